#include "core/time.hpp"

#include <gtest/gtest.h>

namespace cv {
namespace {

TEST(Time, FormatsIsoAndUtc)
{
    EXPECT_EQ(format_iso({2022, 3, 27, 21, 41, 35}), "2022-03-27T21:41:35");
    EXPECT_EQ(format_utc(1648418010), "2022-03-27T21:53:30Z");
    EXPECT_EQ(as_if_utc({2022, 3, 27, 21, 53, 30}), 1648418010);
}

// StampWriter reuses the previous call's date text: it must write exactly what write_iso and
// write_utc write, across day changes, backwards steps, negative instants and clamped years.
TEST(Time, StampWriterMatchesTheStatelessWriters)
{
    StampWriter stamps;
    std::int64_t s = -90000;
    std::uint64_t rng = 12345;
    for (int i = 0; i < 200000; ++i) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        const auto r = static_cast<std::int64_t>(rng >> 33);
        s += r % 7 == 0 ? -(r % 200000) : r % 5000;  // mostly forward, sometimes back a day or two
        if (i % 50000 == 0)
            s = (i / 50000 - 2) * 400'000'000'000LL;  // far past and future: years clamped
        char a[kUtcLength], b[kUtcLength];
        write_utc(s, a);
        stamps.utc(s, b);
        ASSERT_EQ(std::string_view(a, kUtcLength), std::string_view(b, kUtcLength)) << s;

        const LocalDateTime t{static_cast<int>(r % 13000) - 500, static_cast<int>(r % 12) + 1,
                              static_cast<int>(r / 12 % 31) + 1, static_cast<int>(r / 7 % 24),
                              static_cast<int>(r / 11 % 60),     static_cast<int>(r / 13 % 60)};
        const LocalDateTime same_day{t.year, t.month, t.day, t.second % 24, t.hour, t.minute};
        for (const auto& u : {t, same_day}) {
            write_iso(u, a);
            stamps.iso(u, b);
            ASSERT_EQ(std::string_view(a, kIsoLength), std::string_view(b, kIsoLength)) << i;
        }
    }
}

TEST(Time, ValidatesCalendar)
{
    EXPECT_TRUE(is_valid({2024, 2, 29, 0, 0, 0}));
    EXPECT_FALSE(is_valid({2023, 2, 29, 0, 0, 0}));
    EXPECT_FALSE(is_valid({2023, 13, 1, 0, 0, 0}));
    EXPECT_FALSE(is_valid({2023, 1, 1, 24, 0, 0}));
}

TEST(TimeZone, UnknownZoneIsAClearError)
{
    const auto z = TimeZone::locate("Mars/Olympus_Mons");
    ASSERT_FALSE(z);
    EXPECT_EQ(z.error().code(), ErrorCode::InvalidArgument);
    EXPECT_NE(z.error().message().find("Mars/Olympus_Mons"), std::string::npos);
}

TEST(TimeZone, ConvertsWithTheRulesOfThatInstant)
{
    const auto madrid = TimeZone::locate("Europe/Madrid").value();
    // Winter: UTC+1; summer: UTC+2 (the KnugiHK #169 trap: never use today's offset).
    EXPECT_EQ(format_utc(madrid.to_utc({2022, 1, 15, 12, 0, 0}).unix_seconds), "2022-01-15T11:00:00Z");
    EXPECT_EQ(format_utc(madrid.to_utc({2022, 7, 15, 12, 0, 0}).unix_seconds), "2022-07-15T10:00:00Z");
}

TEST(TimeZone, GapIsResolvedForwardAndFlagged)
{
    const auto madrid = TimeZone::locate("Europe/Madrid").value();
    // 2022-03-27 02:30 does not exist in Madrid (02:00 → 03:00).
    const auto z = madrid.to_utc({2022, 3, 27, 2, 30, 0});
    EXPECT_EQ(z.resolution, DstResolution::Gap);
    EXPECT_EQ(format_utc(z.unix_seconds), "2022-03-27T01:30:00Z");                   // = 03:30 CEST
    EXPECT_EQ(madrid.to_utc({2022, 3, 27, 2, 30, 0}).unix_seconds, z.unix_seconds);  // same every time
}

TEST(TimeZone, OverlapTakesTheEarlierInstantAndIsFlagged)
{
    const auto madrid = TimeZone::locate("Europe/Madrid").value();
    // 2022-10-30 02:30 happens twice in Madrid (03:00 CEST → 02:00 CET).
    const auto z = madrid.to_utc({2022, 10, 30, 2, 30, 0});
    EXPECT_EQ(z.resolution, DstResolution::Overlap);
    EXPECT_EQ(format_utc(z.unix_seconds), "2022-10-30T00:30:00Z");
}

}  // namespace
}  // namespace cv

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

namespace cv {
namespace {

TEST(TimeZoneToLocal, WallClockAtAnInstantAcrossDaylightSavingTransitions)
{
    auto utc = TimeZone::locate("UTC");
    ASSERT_TRUE(utc);
    EXPECT_EQ(format_iso(utc->to_local(1767261600).wall_clock), "2026-01-01T10:00:00");
    auto zone = TimeZone::locate("Europe/Madrid");
    ASSERT_TRUE(zone);
    // 2025-10-26 01:00 UTC: 03:00 CEST becomes 02:00 CET; 02:30 happens twice.
    const auto early = zone->to_local(1761440400 - 1800);  // 00:30 UTC
    EXPECT_EQ(format_iso(early.wall_clock), "2025-10-26T02:30:00");
    EXPECT_EQ(early.resolution, DstResolution::Overlap);
    const auto late = zone->to_local(1761440400 + 1800);  // 01:30 UTC
    EXPECT_EQ(format_iso(late.wall_clock), "2025-10-26T02:30:00");
    EXPECT_EQ(late.resolution, DstResolution::Overlap);
    // 2025-03-30 01:00 UTC: 02:00 CET becomes 03:00 CEST; no wall clock falls in the gap.
    EXPECT_EQ(format_iso(zone->to_local(1743296400 - 1).wall_clock), "2025-03-30T01:59:59");
    EXPECT_EQ(format_iso(zone->to_local(1743296400).wall_clock), "2025-03-30T03:00:00");
    const auto summer = zone->to_local(1751371200);  // 2025-07-01 12:00 UTC
    EXPECT_EQ(format_iso(summer.wall_clock), "2025-07-01T14:00:00");
    EXPECT_EQ(summer.resolution, DstResolution::Unique);
    // Round trip: the wall clock goes back to the same instant (the earlier one in overlaps).
    for (std::int64_t t = 1761430000; t < 1761450000; t += 601) {
        const auto local = zone->to_local(t);
        const auto back = zone->to_utc(local.wall_clock);
        if (local.resolution == DstResolution::Unique) {
            EXPECT_EQ(back.unix_seconds, t);
        }
    }
}

TEST(TimeZoneToLocal, ClampsAbsurdInstants)
{
    auto utc = TimeZone::locate("UTC");
    ASSERT_TRUE(utc);
    EXPECT_EQ(utc->to_local(INT64_MAX).wall_clock.year, 9999);
    EXPECT_EQ(utc->to_local(INT64_MIN).wall_clock.year, 1);
}

}  // namespace
}  // namespace cv

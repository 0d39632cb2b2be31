#include "sources/chat_export/detail/date_order.hpp"

#include <gtest/gtest.h>

namespace cv::chat_export::detail {
namespace {

DateOrderEvidence::Decision decide(std::initializer_list<std::string_view> lines)
{
    DateOrderEvidence e;
    std::uint64_t n = 0;
    for (auto line : lines) {
        const auto h = parse_header(line);
        EXPECT_TRUE(h) << line;
        if (h)
            e.add(*h, ++n);
    }
    return e.decide();
}

TEST(DateOrder, FirstFieldAboveTwelveMeansDayFirst)
{
    const auto d = decide({"01/02/2020, 10:00 - A: x", "13/02/2020, 10:00 - A: x"});
    EXPECT_EQ(d.order, DateOrder::DayMonthYear);
    EXPECT_NE(d.evidence.find("line 2"), std::string::npos);
    EXPECT_FALSE(d.inconsistent);
}

TEST(DateOrder, SecondFieldAboveTwelveMeansMonthFirst)
{
    EXPECT_EQ(decide({"01/02/2020, 10:00 - A: x", "02/13/2020, 10:00 - A: x"}).order,
              DateOrder::MonthDayYear);
}

// Pustur #237: a decision per line would flip day and month mid-file.
TEST(DateOrder, DecidedOnceFromAllDatesNotTheFirst)
{
    EXPECT_EQ(decide({"1/12/2020 13:00 - A: x", "1/1/2021 13:00 - A: x", "13/1/2021 13:00 - A: x"}).order,
              DateOrder::DayMonthYear);
}

TEST(DateOrder, ChronologyDecidesWhenNoFieldExceedsTwelve)
{
    // 06/03, 08/05, 09/04: read day-first the dates go back once; month-first never.
    EXPECT_EQ(
        decide({"06/03/2017, 00:45 - A: x", "08/05/2017, 01:48 - A: x", "09/04/2017, 01:50 - A: x"}).order,
        DateOrder::MonthDayYear);
}

TEST(DateOrder, YearFirst)
{
    EXPECT_EQ(decide({"2019/01/01, 11:25 - A: x", "2019/01/02, 11:25 - A: x"}).order,
              DateOrder::YearMonthDay);
}

TEST(DateOrder, ContradictionIsReported)
{
    const auto d =
        decide({"13/01/2020, 10:00 - A: x", "14/01/2020, 10:00 - A: x", "01/13/2020, 10:00 - A: x"});
    EXPECT_EQ(d.order, DateOrder::DayMonthYear);
    EXPECT_TRUE(d.inconsistent);
}

TEST(DateOrder, AllAmbiguousFallsBackToDayFirstAndSaysSo)
{
    const auto d = decide({"03/06/2018, 10:00 - A: x"});
    EXPECT_EQ(d.order, DateOrder::DayMonthYear);
    EXPECT_NE(d.evidence.find("assumed"), std::string::npos);
}

}  // namespace
}  // namespace cv::chat_export::detail

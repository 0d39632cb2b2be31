#include "sources/chat_export/detail/header.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace cv::chat_export::detail {
namespace {

struct Case {
    const char* name;
    std::string_view line;
    FieldOrder order;
    Family family;
    LocalDateTime expected;
    std::string_view body;  // what follows the header
};

// Every header shape of specs/export-text-format.md §2 (written here, not copied from the
// corpus), with the body that must follow it.
const Case kCases[] = {
    {"android_24h",
     "23/03/2022, 13:31 - Elon: Hi",
     FieldOrder::DayMonth,
     Family::Dash,
     {2022, 3, 23, 13, 31, 0},
     "Elon: Hi"},
    {"android_system",
     "23/03/2022, 13:31 - You created group \"X\"",
     FieldOrder::DayMonth,
     Family::Dash,
     {2022, 3, 23, 13, 31, 0},
     "You created group \"X\""},
    {"no_comma_dots",
     "23.03.22 13:31 - A: x",
     FieldOrder::DayMonth,
     Family::Dash,
     {2022, 3, 23, 13, 31, 0},
     "A: x"},
    {"no_comma_dashes",
     "23-03-2022 13:31 - A: x",
     FieldOrder::DayMonth,
     Family::Dash,
     {2022, 3, 23, 13, 31, 0},
     "A: x"},
    {"finnish_klo",
     "13.6.2018 klo 21.25.15 - A: x",
     FieldOrder::DayMonth,
     Family::Dash,
     {2018, 6, 13, 21, 25, 15},
     "A: x"},
    {"dotted_time_pm",
     "03-06-2018, 01.55 PM - A: x",
     FieldOrder::DayMonth,
     Family::Dash,
     {2018, 6, 3, 13, 55, 0},
     "A: x"},
    {"trailing_dot",
     "2022/12/14, 13:34. - A: x",
     FieldOrder::DayMonth,
     Family::Dash,
     {2022, 12, 14, 13, 34, 0},
     "A: x"},
    {"colon_separator",
     "13.06.18 21.25.15: A: x",
     FieldOrder::DayMonth,
     Family::Dash,
     {2018, 6, 13, 21, 25, 15},
     "A: x"},
    {"no_separator",
     "13. 6. 2018. 21:25:15 A: x",
     FieldOrder::DayMonth,
     Family::Dash,
     {2018, 6, 13, 21, 25, 15},
     "A: x"},
    {"pm_lower",
     "3/6/18, 1:55 pm - A: x",
     FieldOrder::DayMonth,
     Family::Dash,
     {2018, 6, 3, 13, 55, 0},
     "A: x"},
    {"pm_dotted",
     "3/6/18, 1:55 p.m. - A: x",
     FieldOrder::DayMonth,
     Family::Dash,
     {2018, 6, 3, 13, 55, 0},
     "A: x"},
    {"pm_spaced",
     "3/6/18, 1:55 p. m. - A: x",
     FieldOrder::DayMonth,
     Family::Dash,
     {2018, 6, 3, 13, 55, 0},
     "A: x"},
    {"pm_nbsp",
     "3/6/2018 1:55 p.\xC2\xA0m. - A: x",
     FieldOrder::DayMonth,
     Family::Dash,
     {2018, 6, 3, 13, 55, 0},
     "A: x"},
    {"pm_nnbsp",
     "3/6/18, 1:55\xE2\x80\xAFPM - A: x",
     FieldOrder::DayMonth,
     Family::Dash,
     {2018, 6, 3, 13, 55, 0},
     "A: x"},
    {"am_hour_zero",
     "3/6/18, 00:08 a. m. - A: x",
     FieldOrder::DayMonth,
     Family::Dash,
     {2018, 6, 3, 0, 8, 0},
     "A: x"},
    {"twelve_am",
     "3/6/18, 12:08 AM - A: x",
     FieldOrder::DayMonth,
     Family::Dash,
     {2018, 6, 3, 0, 8, 0},
     "A: x"},
    {"twelve_pm",
     "3/6/18, 12:08 PM - A: x",
     FieldOrder::DayMonth,
     Family::Dash,
     {2018, 6, 3, 12, 8, 0},
     "A: x"},
    {"hour_13_pm",
     "[11/10/22 13:37:00 p.m.] A: x",
     FieldOrder::DayMonth,
     Family::Bracket,
     {2022, 10, 11, 13, 37, 0},
     "A: x"},
    {"ios_24h",
     "[3/27/22, 21:41:35] Dmitry S: Hello",
     FieldOrder::MonthDay,
     Family::Bracket,
     {2022, 3, 27, 21, 41, 35},
     "Dmitry S: Hello"},
    {"ios_lrm",
     "\xE2\x80\x8E[3/27/22, 21:41:55] D: \xE2\x80\x8Eimage omitted",
     FieldOrder::MonthDay,
     Family::Bracket,
     {2022, 3, 27, 21, 41, 55},
     "D: \xE2\x80\x8Eimage omitted"},
    {"ios_bom_inside",
     "\xEF\xBB\xBF\xEF\xBB\xBF[\xEF\xBB\xBF"
     "29.01.18, 12:24:03 PM] Du: x",
     FieldOrder::DayMonth,
     Family::Bracket,
     {2018, 1, 29, 12, 24, 3},
     "Du: x"},
    {"ios_nnbsp_pm",
     "[13/11/2025, 12:25:55\xE2\x80\xAFPM] A: x",
     FieldOrder::DayMonth,
     Family::Bracket,
     {2025, 11, 13, 12, 25, 55},
     "A: x"},
    {"ios_dotted_time",
     "[3/18/22 14.56.01] A: x",
     FieldOrder::MonthDay,
     Family::Bracket,
     {2022, 3, 18, 14, 56, 1},
     "A: x"},
    {"ios_time_first",
     "[14:56:01, 3/18/22] A: x",
     FieldOrder::MonthDay,
     Family::Bracket,
     {2022, 3, 18, 14, 56, 1},
     "A: x"},
    {"ios_year_first",
     "[2018/06/13, 21:25:15] A: x",
     FieldOrder::DayMonth,
     Family::Bracket,
     {2018, 6, 13, 21, 25, 15},
     "A: x"},
    {"ios_year_first_small_fields",
     "[2024/12/01, 21:25:15] A: x",
     FieldOrder::DayMonth,
     Family::Bracket,
     {2024, 12, 1, 21, 25, 15},
     "A: x"},
    {"ios_year_middle",
     "[06/2018/13, 21:25:15] A: x",
     FieldOrder::MonthDay,
     Family::Bracket,
     {2018, 6, 13, 21, 25, 15},
     "A: x"},
    {"ios_thin_space_zh",
     "[2022/7/21\xE2\x80\x89"
     "05:11:12] A: x",
     FieldOrder::DayMonth,
     Family::Bracket,
     {2022, 7, 21, 5, 11, 12},
     "A: x"},
    {"buddhist_era",
     "[3/18/2565 BE, 14:56:01] A: x",
     FieldOrder::MonthDay,
     Family::Bracket,
     {2022, 3, 18, 14, 56, 1},
     "A: x"},
    {"japanese_era",
     "[3/18/R4, 14:56:01] A: x",
     FieldOrder::MonthDay,
     Family::Bracket,
     {2022, 3, 18, 14, 56, 1},
     "A: x"},
    {"arabic_rlm_comma",
     "[\xE2\x80\x8F"
     "18\xE2\x80\x8F/3\xE2\x80\x8F/2022\xD8\x8C 14:56:01] A: x",
     FieldOrder::DayMonth,
     Family::Bracket,
     {2022, 3, 18, 14, 56, 1},
     "A: x"},
    // [١٨‏/٣‏/٢٠٢٢، ٢:٥٦:٠٠ م] — Arabic-Indic digits, NBSP before the PM letter.
    {"arabic_indic_digits",
     "[\xD9\xA1\xD9\xA8\xE2\x80\x8F/\xD9\xA3\xE2\x80\x8F/\xD9\xA2\xD9\xA0\xD9\xA2\xD9\xA2\xD8\x8C "
     "\xD9\xA2:\xD9\xA5\xD9\xA6:\xD9\xA0\xD9\xA0\xC2\xA0\xD9\x85] A: x",
     FieldOrder::DayMonth,
     Family::Bracket,
     {2022, 3, 18, 14, 56, 0},
     "A: x"},
    {"ios_empty_body",
     "[13/11/2025, 12:25:55] Amazon EG:",
     FieldOrder::DayMonth,
     Family::Bracket,
     {2025, 11, 13, 12, 25, 55},
     "Amazon EG:"},
};

// Test names and failure messages show the case's name, not its bytes.
void PrintTo(const Case& c, std::ostream* os)
{
    *os << c.name;
}

class HeaderShapes : public testing::TestWithParam<Case> {};

TEST_P(HeaderShapes, ParsesDateTimeAndFindsBody)
{
    const Case& c = GetParam();
    const auto h = parse_header(c.line);
    ASSERT_TRUE(h) << c.line;
    EXPECT_EQ(h->family, c.family);
    const auto t = resolve(*h, c.order);
    ASSERT_TRUE(t);
    EXPECT_EQ(format_iso(*t), format_iso(c.expected));
    EXPECT_EQ(c.line.substr(h->body), c.body);
}

INSTANTIATE_TEST_SUITE_P(Spec, HeaderShapes, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

// chat-miner #135, #72 and Pustur's multiline test: text that starts like a date is body.
TEST(Header, RejectsDateLikeContinuationLines)
{
    for (std::string_view line : {
             "2016-04-29 10:30:00",
             "20.15.21.15 h Stock",
             "12.5.2020 10:30 meeting notes",
             "12/05/2020",
             "12/05/2020, 10:30",
             "12/05/2020, 10:30 -",
             "1/1/2020, 25:00 - A: x",
             "1/1/2020, 10:61 - A: x",
             "123/1/2020, 10:30 - A: x",
             "1/1/2020/1, 10:30 - A: x",
             "[1/1/2020, 10:30:00",
             "[1/1/2020, 10:30:00]x",
             "1/1-2020, 10:30 - A: x",
             "hello 1/1/2020, 10:30 - A: x",
             "",
             "[",
             "\xE2\x80",
         }) {
        EXPECT_FALSE(parse_header(line)) << line;
    }
}

TEST(Header, ResolveRejectsImpossibleDates)
{
    const auto h = parse_header("31/02/2022, 10:00 - A: x");
    ASSERT_TRUE(h);
    EXPECT_FALSE(resolve(*h, FieldOrder::DayMonth));
    EXPECT_FALSE(resolve(*h, FieldOrder::MonthDay));
}

TEST(Header, TimestampRangeCoversTheTextAsWritten)
{
    const std::string_view line = "[3/27/22, 9:41:35\xE2\x80\xAFPM] A: x";
    const auto h = parse_header(line);
    ASSERT_TRUE(h);
    EXPECT_EQ(line.substr(h->stamp_begin, h->stamp_end - h->stamp_begin), "3/27/22, 9:41:35\xE2\x80\xAFPM");
}

TEST(Header, FastPathAgreesWithGeneralParser)
{
    std::vector<std::string> lines;
    for (const Case& c : kCases)
        lines.emplace_back(c.line);
    for (const char* extra : {"23/03/2022, 13:31 - A: x", "[3/27/22, 21:41:35] A: x", "2022-12-14, 13:34 - A",
                              "23.03.2022, 13:31 - x", "[2018/06/13, 21:25:15] a: m", "1/1/22, 9:05 - Z: z",
                              "01/01/2019, 11:25 -  double space", "[1/1/22, 9:05:00]  two spaces"})
        lines.emplace_back(extra);
    // iOS marks generated messages with a leading LRM; the fast path reads past one.
    for (std::size_t i = 0, n = lines.size(); i < n; ++i) {
        lines.push_back("\u200E" + lines[i]);
        lines.push_back("\u200E\u200E" + lines[i]);
        lines.push_back("\u200F" + lines[i]);
    }
    lines.emplace_back("\u200E[3/27/22, 21:41:35] A: \u200Eimage omitted");
    lines.emplace_back("\u200E23/03/2022, 13:31 - \u200EA: x");
    lines.emplace_back("\u200E23/03/2022, 13:31 -\u00A0A: x");
    std::size_t fast = 0;
    for (const auto& line : lines) {
        const auto f = parse_header_fast_path(line);
        const auto g = parse_header_general(line);
        if (f) {
            ++fast;
            ASSERT_TRUE(g) << line;
            EXPECT_TRUE(*f == *g) << line;
        }
        const auto h = parse_header(line);
        EXPECT_EQ(h.has_value(), g.has_value()) << line;
        if (h && g) {
            EXPECT_TRUE(*h == *g) << line;
        }
    }
    EXPECT_GE(fast, 12u);  // the common shapes really take the fast path, with LRM too
}

// HeaderParser reuses the previous date: each line after one sharing its date text (and lines
// that share only part of it, or all of it with another ending) must parse as parse_header does.
TEST(Header, DateCacheAgreesWithStatelessParser)
{
    std::vector<std::string> lines;
    for (const Case& c : kCases)
        lines.emplace_back(c.line);
    for (const char* prefix :
         {"23/03/2022, ", "[3/27/22, ", "1/1/22, ", "23.03.2022, ", "2022-12-14, ", "[12/31/2022, ",
          "[3/27/22, ", "23/03/2022, ", "23/03/20222, ", "9/9/9999, "}) {
        for (const char* rest :
             {"13:31 - A: x", "21:41:35] A: x", "9:05 - Z: z", "13:34 - A", "1:3 - A: x", "25:00 - A: x",
              "10:30:00]x", "10:30 -", "x", "", "13:31 -  two", "13:31:59] ",
              "13:31 - A: a much longer line that goes on past the window"}) {
            lines.push_back(std::string(prefix) + rest);
            lines.push_back(std::string(prefix).substr(0, std::string(prefix).size() - 1) + rest);
        }
    }
    for (int round = 0; round < 2; ++round) {
        HeaderParser parser;
        for (const auto& line : lines) {
            const auto a = parse_header(line);
            const auto b = parser.parse(line);
            ASSERT_EQ(a.has_value(), b.has_value()) << line;
            if (a) {
                EXPECT_TRUE(*a == *b) << line;
            }
        }
        std::reverse(lines.begin(), lines.end());
    }
}

}  // namespace
}  // namespace cv::chat_export::detail

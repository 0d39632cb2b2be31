#include "mapping/mapping.hpp"

#include <fstream>

#include <gtest/gtest.h>

namespace cv::mapping {
namespace {

const PhoneNormalizer& de()
{
    static const PhoneNormalizer n = *PhoneNormalizer::create("DE");
    return n;
}

MappingLoad parse(std::string_view text)
{
    return parse_mapping_csv(text, "map.csv", de());
}

// "line:column:kind" for each problem, for exact comparisons.
std::vector<std::string> summary(const MappingLoad& load)
{
    std::vector<std::string> out;
    for (const auto& p : load.problems)
        out.push_back(std::to_string(p.line) + ":" + p.column + ":" +
                      std::to_string(static_cast<int>(p.kind)));
    return out;
}

std::string k(std::uint64_t line, const char* column, ProblemKind kind)
{
    return std::to_string(line) + ":" + column + ":" + std::to_string(static_cast<int>(kind));
}

TEST(MappingCsv, SimpleFile)
{
    const auto load = parse("phone,email\n"
                            "+49 151 12345678,anna@Example.COM\n"
                            "0151 22222222,Bob.Smith@example.com\n");
    EXPECT_TRUE(load.problems.empty()) << load.problems[0].message;
    EXPECT_FALSE(load.rejected);
    EXPECT_EQ(load.rows, 2u);
    EXPECT_EQ(load.mapping.size(), 2u);
    EXPECT_EQ(load.mapping.email_for("+4915112345678"), "anna@example.com");
    EXPECT_EQ(load.mapping.email_for("+4915122222222"), "Bob.Smith@example.com");  // local part kept
    EXPECT_EQ(load.mapping.email_for("+4915100000000"), std::nullopt);
}

TEST(MappingCsv, BomCrlfAndNoFinalNewline)
{
    const auto load =
        parse("\xEF\xBB\xBFPhone,Email\r\n+4915112345678,a@example.com\r\n+4915122222222,b@example.com");
    EXPECT_TRUE(load.problems.empty());
    EXPECT_EQ(load.mapping.size(), 2u);
    EXPECT_EQ(load.mapping.email_for("+4915122222222"), "b@example.com");
}

TEST(MappingCsv, HeaderVariantsAndExtraColumns)
{
    for (const char* header :
         {"Phone Number,E-Mail", " MOBILE , Email Address ", "msisdn,upn", "WhatsApp,User",
          "phonenumber,emailaddress", "number,mail", "\"Phone\",\"EMAIL\""}) {
        const auto load = parse(std::string(header) + "\n+4915112345678,a@example.com\n");
        EXPECT_TRUE(load.problems.empty()) << header;
        EXPECT_EQ(load.mapping.email_for("+4915112345678"), "a@example.com") << header;
    }
    const auto load = parse("Name,Department,E-mail,Mobile,Notes\n"
                            "Anna,Sales,anna@example.com,0151 12345678,\"likes, commas\"\n");
    EXPECT_TRUE(load.problems.empty());
    EXPECT_EQ(load.mapping.email_for("+4915112345678"), "anna@example.com");
}

TEST(MappingCsv, SemicolonDelimiterAsExcelWritesIt)
{
    const auto load = parse("Phone;Email\n0151 12345678;anna@example.com\n");
    EXPECT_TRUE(load.problems.empty());
    EXPECT_EQ(load.mapping.email_for("+4915112345678"), "anna@example.com");
}

TEST(MappingCsv, QuotedFieldsWithCommasAndNewlinesKeepLineNumbersRight)
{
    const auto load = parse("phone,email,note\n"                                 // 1
                            "\"+49 151 12345678\",\"a@example.com\",\"x, y\"\n"  // 2
                            "+4915122222222,b@example.com,\"three\n"             // 3
                            "line\n"                                             // 4
                            "note\"\n"                                           // 5
                            "not a phone,c@example.com,\"two\r\nlines\"\n"       // 6-7
                            "+4915133333333,broken,\n");                         // 8
    EXPECT_EQ(summary(load), (std::vector<std::string>{k(6, "phone", ProblemKind::InvalidPhone),
                                                       k(8, "email", ProblemKind::InvalidEmail)}));
    EXPECT_EQ(load.problems[0].message, "'not a phone': not a number: contains 'n'");
    EXPECT_EQ(load.problems[1].message, "'broken': no '@'");
    EXPECT_EQ(load.mapping.size(), 2u);
    EXPECT_EQ(load.mapping.email_for("+4915122222222"), "b@example.com");
    EXPECT_EQ(load.rows, 4u);
}

TEST(MappingCsv, MultiLineFieldInPhoneColumnReportsItsFirstLine)
{
    const auto load = parse("phone,email\n\n\"0151\n12345678\",a@example.com\n\n0151,b@example.com\n");
    // Line 3 holds a number split over two lines (a newline is not a separator): invalid.
    EXPECT_EQ(summary(load), (std::vector<std::string>{k(3, "phone", ProblemKind::InvalidPhone),
                                                       k(6, "phone", ProblemKind::InvalidPhone)}));
    EXPECT_EQ(load.problems[1].message, "'0151': too short for DE (+49)");
}

TEST(MappingCsv, MissingColumnNamesWhatWasFound)
{
    const auto load = parse("Name,Mobile\nAnna,0151 12345678\n");
    EXPECT_TRUE(load.rejected);
    EXPECT_EQ(load.mapping.size(), 0u);
    ASSERT_EQ(load.problems.size(), 1u);
    EXPECT_EQ(load.problems[0].line, 1u);
    EXPECT_EQ(load.problems[0].kind, ProblemKind::File);
    EXPECT_EQ(load.problems[0].message,
              "map.csv: no email column: the header has 'Name', 'Mobile' (expected one "
              "of: email, e-mail, mail, emailaddress, email address, upn, user)");
}

TEST(MappingCsv, DataWithoutHeaderIsRefusedWithAHint)
{
    const auto load = parse("\n+4915112345678,a@example.com\n");
    EXPECT_TRUE(load.rejected);
    ASSERT_EQ(load.problems.size(), 1u);
    EXPECT_EQ(load.problems[0].line, 2u);
    EXPECT_EQ(
        load.problems[0].message,
        "map.csv: no phone column: the header has '+4915112345678', 'a@example.com' (expected one of: phone, "
        "phone number, phonenumber, mobile, number, msisdn, whatsapp); the first line looks like data: the "
        "file needs a header row such as 'phone,email'");
}

TEST(MappingCsv, TwoPhoneColumnsAreAmbiguous)
{
    const auto load = parse("phone,mobile,email\n");
    EXPECT_TRUE(load.rejected);
    ASSERT_EQ(load.problems.size(), 1u);
    EXPECT_EQ(
        load.problems[0].message,
        "map.csv: the header has two phone columns, 'phone' (column 1) and 'mobile' (column 2); keep one");
}

TEST(MappingCsv, EmptyFileIsRefused)
{
    for (std::string_view text : {"", "\xEF\xBB\xBF", "\n\r\n  \n"}) {
        const auto load = parse(text);
        EXPECT_TRUE(load.rejected);
        ASSERT_EQ(load.problems.size(), 1u);
        EXPECT_EQ(load.problems[0].line, 0u);
        EXPECT_EQ(load.problems[0].message,
                  "map.csv: no header row: the file is empty; the first line must name "
                  "the columns, e.g. 'phone,email'");
    }
}

TEST(MappingCsv, DuplicateRowIsReportedOnTheLaterLineAndStillMapped)
{
    const auto load = parse("phone,email\n"
                            "0151 12345678,anna@example.com\n"
                            "+4915122222222,bob@example.com\n"
                            "+49 151 12345678,ANNA@EXAMPLE.com\n");
    EXPECT_EQ(summary(load), (std::vector<std::string>{k(4, "phone", ProblemKind::Duplicate)}));
    EXPECT_EQ(load.problems[0].message, "+4915112345678: duplicate of line 2");
    EXPECT_EQ(load.mapping.email_for("+4915112345678"), "anna@example.com");  // the first spelling
    EXPECT_EQ(load.mapping.size(), 2u);
}

TEST(MappingCsv, ConflictReportsEveryLineAndMapsNeither)
{
    const auto load = parse("phone,email\n"                       // 1
                            "0151 12345678,anna@example.com\n"    // 2
                            "+4915122222222,bob@example.com\n"    // 3
                            "+49 151 12345678,eve@example.com\n"  // 4
                            "\n"                                  // 5
                            "015112345678,anna@example.com\n");   // 6
    EXPECT_EQ(summary(load), (std::vector<std::string>{k(2, "phone", ProblemKind::Conflict),
                                                       k(4, "phone", ProblemKind::Conflict),
                                                       k(6, "phone", ProblemKind::Conflict)}));
    EXPECT_EQ(load.problems[0].message,
              "+4915112345678: anna@example.com here but also on line 4 (eve@example.com), line 6 "
              "(anna@example.com); conflicting rows, so the number is not mapped");
    EXPECT_EQ(load.problems[1].message,
              "+4915112345678: eve@example.com here but also on line 2 (anna@example.com), line 6 "
              "(anna@example.com); conflicting rows, so the number is not mapped");
    EXPECT_EQ(load.mapping.email_for("+4915112345678"), std::nullopt);
    EXPECT_EQ(load.mapping.email_for("+4915122222222"), "bob@example.com");
    EXPECT_EQ(load.mapping.size(), 1u);
}

TEST(MappingCsv, SameEmailForTwoPhonesIsAllowed)
{
    const auto load = parse("phone,email\n0151 12345678,anna@example.com\n0170 1234567,anna@example.com\n");
    EXPECT_TRUE(load.problems.empty());
    EXPECT_EQ(load.mapping.email_for("+4915112345678"), "anna@example.com");
    EXPECT_EQ(load.mapping.email_for("+491701234567"), "anna@example.com");
}

TEST(MappingCsv, InvalidEmails)
{
    const auto load = parse("phone,email\n"
                            "+4915100000001,anna\n"
                            "+4915100000002,anna@localhost\n"
                            "+4915100000003,an na@example.com\n"
                            "+4915100000004,a@b@example.com\n"
                            "+4915100000005,@example.com\n"
                            "+4915100000006,anna@-example.com\n"
                            "+4915100000007,anna@example..com\n"
                            "+4915100000008,\"Anna <anna@example.com>\"\n"
                            "+4915100000009,jörg@bücher.example\n");
    ASSERT_EQ(load.problems.size(), 8u);
    const char* expected[] = {
        "'anna': no '@'",
        "'anna@localhost': domain 'localhost' has no dot",
        "'an na@example.com': contains a space",
        "'a@b@example.com': more than one '@'",
        "'@example.com': nothing before the '@'",
        "'anna@-example.com': domain '-example.com' has a label that starts or ends with '-'",
        "'anna@example..com': domain 'example..com' has an empty label",
        "'Anna <anna@example.com>': contains a space"};
    for (std::size_t i = 0; i < 8; ++i) {
        EXPECT_EQ(load.problems[i].line, i + 2);
        EXPECT_EQ(load.problems[i].column, "email");
        EXPECT_EQ(load.problems[i].kind, ProblemKind::InvalidEmail);
        EXPECT_EQ(load.problems[i].message, expected[i]);
    }
    EXPECT_EQ(load.mapping.email_for("+4915100000009"), "jörg@bücher.example");  // UTF-8 is fine
}

TEST(MappingCsv, InvalidPhonesAndMissingFields)
{
    const auto load = parse("phone,email,name\n"
                            "hello,a@example.com,A\n"
                            ",b@example.com,B\n"
                            "+4915100000003,,C\n"
                            "+4915100000004\n"
                            ",,\n"                              // an empty row: skipped silently
                            "+4915100000005,e@example.com\n");  // fewer fields than the header: fine
    EXPECT_EQ(summary(load), (std::vector<std::string>{k(2, "phone", ProblemKind::InvalidPhone),
                                                       k(3, "phone", ProblemKind::MissingField),
                                                       k(4, "email", ProblemKind::MissingField),
                                                       k(5, "email", ProblemKind::MissingField)}));
    EXPECT_EQ(load.problems[3].message, "the row has 1 field; the email column is column 2");
    EXPECT_EQ(load.mapping.size(), 1u);
    EXPECT_EQ(load.mapping.email_for("+4915100000005"), "e@example.com");
    EXPECT_EQ(load.rows, 5u);
}

TEST(MappingCsv, BrokenQuotingSkipsTheRowAndCarriesOn)
{
    const auto load = parse("phone,email\n"
                            "\"+4915100000001\"x,a@example.com\n"
                            "+4915100000002,b@example.com\n");
    EXPECT_EQ(summary(load), (std::vector<std::string>{k(2, "", ProblemKind::Syntax)}));
    EXPECT_EQ(load.mapping.size(), 1u);
    EXPECT_EQ(load.mapping.email_for("+4915100000002"), "b@example.com");
}

TEST(MappingCsv, UnclosedQuoteIsReportedWhereItStarts)
{
    const auto load = parse("phone,email\n"
                            "+4915100000001,a@example.com\n"
                            "+4915100000002,\"b@example.com\n"
                            "+4915100000003,c@example.com\n");
    EXPECT_EQ(summary(load), (std::vector<std::string>{k(3, "", ProblemKind::Syntax)}));
    EXPECT_EQ(load.problems[0].message,
              "a quoted field that starts on this row is never closed, so the rest of "
              "the file (2 lines) could not be read");
    EXPECT_EQ(load.mapping.size(), 1u);
}

TEST(MappingCsv, NotUtf8IsRefusedWithItsPlace)
{
    const auto load = parse("phone,email\n+4915100000001,j\xF6rg@example.com\n");
    EXPECT_TRUE(load.rejected);
    EXPECT_EQ(load.mapping.size(), 0u);
    ASSERT_EQ(load.problems.size(), 1u);
    EXPECT_EQ(load.problems[0].line, 2u);
    EXPECT_EQ(
        load.problems[0].message,
        "map.csv: not UTF-8 (byte 0xF6 at line 2, column 17); save the file as UTF-8 (Excel: \"CSV UTF-8\")");
    const auto utf16 = parse(std::string_view("\xFF\xFEp\0h\0", 6));
    EXPECT_TRUE(utf16.rejected);
    EXPECT_EQ(utf16.problems.at(0).message,
              "map.csv: the file is UTF-16; save it as UTF-8 (Excel: \"CSV UTF-8\")");
}

TEST(MappingCsv, OversizedInputIsRefused)
{
    const std::string big(kMaxMappingBytes + 1, '\n');
    const auto load = parse(big);
    EXPECT_TRUE(load.rejected);
    ASSERT_EQ(load.problems.size(), 1u);
    EXPECT_EQ(load.problems[0].line, 0u);
}

TEST(MappingCsv, ProblemsAreCappedAndCounted)
{
    std::string text = "phone,email\n";
    for (int i = 0; i < 1500; ++i)
        text += "x,a@example.com\n";
    const auto load = parse(text);
    EXPECT_EQ(load.problems.size(), kMaxProblems);
    EXPECT_EQ(load.problems_not_listed, 500u);
    EXPECT_EQ(load.problems.back().line, kMaxProblems + 1);
}

TEST(MappingCsv, CappedListMergesLateProblemsInLineOrder)
{
    // Row problems after the duplicates: the duplicates (earlier lines) must be listed first.
    std::string text = "phone,email\n+4915100000001,a@example.com\n+4915100000001,a@example.com\n";
    for (int i = 0; i < 1200; ++i)
        text += "x,a@example.com\n";
    const auto load = parse(text);
    ASSERT_EQ(load.problems.size(), kMaxProblems);
    EXPECT_EQ(load.problems[0].line, 3u);
    EXPECT_EQ(load.problems[0].kind, ProblemKind::Duplicate);
    EXPECT_EQ(load.problems[1].line, 4u);
    EXPECT_EQ(load.problems_not_listed, 201u);
}

TEST(MappingCsv, LoadFromFile)
{
    const auto path = std::filesystem::path(::testing::TempDir()) / "mapping_load_test.csv";
    {
        std::ofstream out(path, std::ios::binary);
        out << "phone,email\n0151 12345678,anna@example.com\n";
    }
    const auto load = load_mapping_csv(path, de());
    std::filesystem::remove(path);
    ASSERT_TRUE(load) << load.error().describe();
    EXPECT_EQ(load->mapping.email_for("+4915112345678"), "anna@example.com");

    const auto missing = load_mapping_csv("/nonexistent/mapping.csv", de());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
}

}  // namespace
}  // namespace cv::mapping

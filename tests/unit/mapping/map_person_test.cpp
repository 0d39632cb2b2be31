#include "mapping/mapping.hpp"

#include <gtest/gtest.h>

namespace cv::mapping {
namespace {

const PhoneNormalizer& de()
{
    static const PhoneNormalizer n = *PhoneNormalizer::create("DE");
    return n;
}

Person person(std::string name, std::optional<std::string> phone, std::optional<std::string> email)
{
    Person p;
    p.name = std::move(name);
    p.phone = std::move(phone);
    p.email = std::move(email);
    return p;
}

std::string mapped(const std::optional<Mapped>& m)
{
    return m ? std::string(to_string(m->by)) + ":" + m->email : "quarantine";
}

class MappingPrecedence : public ::testing::Test {
protected:
    MappingLoad csv = parse_mapping_csv("phone,email\n"
                                        "+4915112345678,anna@corp.example\n"
                                        "0151 22222222,bob@corp.example\n",
                                        "map.csv", de());
};

TEST_F(MappingPrecedence, CsvHitBeatsSourceEmail)
{
    ASSERT_TRUE(csv.problems.empty());
    EXPECT_EQ(
        mapped(map_person(person("Anna", "+4915112345678", "anna@private.example"), &csv.mapping, de())),
        "csv:anna@corp.example");
}

TEST_F(MappingPrecedence, CsvMissWithSourceEmailIsSource)
{
    EXPECT_EQ(
        mapped(map_person(person("Carl", "+4915133333333", "Carl@Private.Example"), &csv.mapping, de())),
        "source:Carl@private.example");
}

TEST_F(MappingPrecedence, NeitherIsQuarantine)
{
    EXPECT_EQ(mapped(map_person(person("Carl", "+4915133333333", std::nullopt), &csv.mapping, de())),
              "quarantine");
    EXPECT_EQ(mapped(map_person(person("Carl", std::nullopt, std::nullopt), &csv.mapping, de())),
              "quarantine");
    // An address the source carries that is no address is as good as none.
    EXPECT_EQ(mapped(map_person(person("Carl", std::nullopt, "not an address"), &csv.mapping, de())),
              "quarantine");
}

TEST_F(MappingPrecedence, NoCsvFallsBackToSource)
{
    EXPECT_EQ(mapped(map_person(person("Anna", "+4915112345678", "anna@private.example"), nullptr, de())),
              "source:anna@private.example");
}

TEST_F(MappingPrecedence, PhoneIsNormalisedBeforeLookup)
{
    EXPECT_EQ(mapped(map_person(person("Bob", "+49 151 2222 2222", std::nullopt), &csv.mapping, de())),
              "csv:bob@corp.example");
}

TEST_F(MappingPrecedence, InternationalDisplayNameStandsInForAMissingPhone)
{
    EXPECT_EQ(mapped(map_person(person("+49 151 12345678", std::nullopt, std::nullopt), &csv.mapping, de())),
              "csv:anna@corp.example");
    // A national-looking name is a label, not a number: not read in the default region.
    EXPECT_EQ(mapped(map_person(person("0151 12345678", std::nullopt, std::nullopt), &csv.mapping, de())),
              "quarantine");
}

TEST_F(MappingPrecedence, ALaterCsvThatKnowsTheNumberMapsIt)
{
    const Person carl = person("Carl", "+4915133333333", std::nullopt);
    EXPECT_EQ(mapped(map_person(carl, &csv.mapping, de())), "quarantine");
    const auto later = parse_mapping_csv("phone,email\n0151 33333333,carl@corp.example\n", "map2.csv", de());
    EXPECT_EQ(mapped(map_person(carl, &later.mapping, de())), "csv:carl@corp.example");
}

TEST(ParseOwner, PhoneEqualsEmail)
{
    const auto p = parse_owner(" 0151 12345678 = Anna@Corp.Example ", de());
    ASSERT_TRUE(p) << p.error().describe();
    EXPECT_EQ(p->phone, "+4915112345678");
    EXPECT_EQ(p->email, "Anna@corp.example");
    EXPECT_EQ(p->name, "0151 12345678");
}

TEST(ParseOwner, ClearErrors)
{
    const auto message = [](std::string_view spec) {
        const auto p = parse_owner(spec, de());
        EXPECT_FALSE(p);
        return p ? std::string() : p.error().message();
    };
    EXPECT_EQ(message("anna@corp.example"),
              "--owner 'anna@corp.example': expected PHONE=EMAIL, e.g. +4915112345678=anna@example.com");
    EXPECT_EQ(message("=anna@corp.example"), "--owner '=anna@corp.example': no phone number before the '='");
    EXPECT_EQ(message("0151=anna@corp.example"), "--owner phone '0151': too short for DE (+49)");
    EXPECT_EQ(message("+4915112345678=anna"), "--owner email 'anna': no '@'");
    EXPECT_EQ(message("+4915112345678="), "--owner email '': empty");
}

TEST(NormalizeEmail, LowerCasesTheDomainOnly)
{
    EXPECT_EQ(normalize_email("  John.Doe+tag@Sub.Example.COM "), "John.Doe+tag@sub.example.com");
    EXPECT_EQ(normalize_email("o'brien@example.ie"), "o'brien@example.ie");
    EXPECT_FALSE(normalize_email("a\tb@example.com"));
    EXPECT_FALSE(normalize_email("a@exa_mple.com"));
    EXPECT_FALSE(normalize_email(std::string(65, 'a') + "@example.com"));
}

}  // namespace
}  // namespace cv::mapping

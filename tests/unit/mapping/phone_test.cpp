#include "mapping/mapping.hpp"

#include <gtest/gtest.h>

namespace cv::mapping {
namespace {

PhoneNormalizer normalizer(const char* region)
{
    auto n = PhoneNormalizer::create(region);
    EXPECT_TRUE(n) << (n ? "" : n.error().describe());
    return *n;
}

std::string e164(const char* region, std::string_view written)
{
    auto r = normalizer(region).to_e164(written);
    return r ? *r : "error: " + r.error().message();
}

struct Case {
    const char* region;
    const char* written;
    const char* expected;  // E.164, or "error: " + the message
};

void PrintTo(const Case& c, std::ostream* os)
{
    // Readable ctest names: gtest_discover_tests names each case by this; controls escaped.
    *os << "[" << c.region << "] '";
    for (const char ch : std::string_view(c.written)) {
        if (static_cast<unsigned char>(ch) < 0x20)
            *os << "\\x" << std::hex << static_cast<int>(ch) << std::dec;
        else
            *os << ch;
    }
    *os << "'";
}

class PhoneNormalizerTable : public ::testing::TestWithParam<Case> {};

TEST_P(PhoneNormalizerTable, ToE164)
{
    const Case& c = GetParam();
    EXPECT_EQ(e164(c.region, c.written), c.expected)
        << "region '" << c.region << "', written '" << c.written << "'";
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(Mapping, PhoneNormalizerTable, ::testing::Values(
    // National numbers in their region.
    Case{"DE", "0151 12345678", "+4915112345678"},
    Case{"DE", "0151/123 456-78", "+4915112345678"},
    Case{"de", "(0151) 12345678", "+4915112345678"},
    Case{"US", "(415) 555-0142", "+14155550142"},
    Case{"US", "415.555.0142", "+14155550142"},
    Case{"GB", "07700 900461", "+447700900461"},
    // International forms, whatever the region.
    Case{"DE", "+49 151 12345678", "+4915112345678"},
    Case{"DE", "+49 (0)151 12345678", "+4915112345678"},  // the trunk "(0)" is dropped
    Case{"", "+49 (0)151 12345678", "+4915112345678"},
    Case{"DE", "0049 151 12345678", "+4915112345678"},
    Case{"", "0049 151 12345678", "+4915112345678"},
    Case{"US", "0049 151 12345678", "+4915112345678"},  // US dials 011, but "00" is unambiguous
    Case{"US", "011 49 151 12345678", "+4915112345678"},
    Case{"GB", "+1 415 555 0142", "+14155550142"},
    Case{"", "tel:+49-151-12345678", "+4915112345678"},
    Case{"", "TEL:+49 151 12345678", "+4915112345678"},
    Case{"", "+4915112345678", "+4915112345678"},
    // Separators and marks phones and spreadsheets put in.
    Case{"", "+49\u00A0151\u00A012345678", "+4915112345678"},
    Case{"", "+49\u202F151\u202F12345678", "+4915112345678"},
    Case{"", "\u200E+49 151 12345678\u200E", "+4915112345678"},
    Case{"", "\u202A+971 50 123 4567\u202C", "+971501234567"},
    Case{"", "  +49 151 12345678\t", "+4915112345678"},
    Case{"", "+\u0664\u0669 \u0661\u0665\u0661 \u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668", "+4915112345678"},
    // Garbage, and numbers that are not possible.
    Case{"DE", "", "error: not a number: no digits"},
    Case{"DE", "n/a", "error: not a number: contains 'n'"},
    Case{"DE", "call 0151 12345678", "error: not a number: contains 'c'"},
    Case{"US", "1-800-FLOWERS", "error: not a number: contains 'F'"},
    Case{"DE", "0151 1234#5", "error: not a number: contains '#'"},
    Case{"DE", "49+151", "error: not a number: '+' only belongs at the start"},
    Case{"DE", "0151", "error: too short for DE (+49)"},
    Case{"DE", "015", "error: too short for DE (+49): at most a local number; add the area code"},
    Case{"DE", "0151 12345678 12345678", "error: too long for DE (+49)"},
    Case{"", "0151 12345678",
         "error: needs a country code: no --default-region given, so national numbers cannot be read "
         "(write it as +<country code> …)"},
    Case{"", "+999 1234567", "error: unknown country code"},
    Case{"DE", "+4900328443751", "error: not a number for DE (+49): too many '0's after the country code"},  // fuzz
    Case{"", "+49 151 12345678 ext. 5", "error: not a number: contains 'e'"},
    Case{"", "+49 151 1234\x01", "error: not a number: contains control character 0x01"}
));
// clang-format on

TEST(PhoneNormalizer, UnknownRegionIsAnErrorWithAnExample)
{
    const auto n = PhoneNormalizer::create("XX");
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(n.error().message(),
              "unknown region 'XX': use an ISO 3166 alpha-2 country code such as DE, GB or US");
    EXPECT_FALSE(PhoneNormalizer::create("DEU"));
    EXPECT_FALSE(PhoneNormalizer::create("ZZ"));
}

TEST(PhoneNormalizer, RegionIsUpperCasedAndEmptyIsAllowed)
{
    EXPECT_EQ(normalizer("gb").default_region(), "GB");
    EXPECT_EQ(normalizer("").default_region(), "");
}

TEST(PhoneNormalizer, ErrorsAreInvalidArgument)
{
    const auto r = normalizer("DE").to_e164("hello");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::InvalidArgument);
}

TEST(PhoneNormalizer, PossibleButUnknownRangeIsAcceptedAndFlagged)
{
    // 07700 900xxx is Ofcom's range for drama: the right length, never assigned.
    const auto drama = normalizer("GB").normalize("07700 900461");
    ASSERT_TRUE(drama);
    EXPECT_EQ(drama->e164, "+447700900461");
    EXPECT_EQ(drama->check, NumberCheck::PossibleOnly);
    const auto real = normalizer("DE").normalize("0151 12345678");
    ASSERT_TRUE(real);
    EXPECT_EQ(real->check, NumberCheck::Valid);
}

TEST(PhoneNormalizer, OverlongInputIsRefusedBeforeParsing)
{
    EXPECT_EQ(e164("DE", std::string(101, '1')), "error: too long to be a phone number");
}

}  // namespace
}  // namespace cv::mapping

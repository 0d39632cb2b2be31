#include "core/utf8.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace cv {
namespace {

TEST(Utf8, AcceptsValidTextIncludingEmojiSequences)
{
    EXPECT_EQ(utf8::first_invalid("plain ascii that is longer than eight bytes"), std::string_view::npos);
    EXPECT_EQ(utf8::first_invalid("\xF0\x9F\x91\xA9\xF0\x9F\x8F\xBB\xE2\x80\x8D\xE2\x9A\x96\xEF\xB8\x8F"),
              std::string_view::npos);  // 👩🏻‍⚖️
}

TEST(Utf8, FindsIllFormedSequences)
{
    EXPECT_EQ(utf8::first_invalid("abc\xC3"), 3u);              // truncated
    EXPECT_EQ(utf8::first_invalid("abcdefghij\xC0\xAF"), 10u);  // overlong '/'
    EXPECT_EQ(utf8::first_invalid("\xED\xA0\x80"), 0u);         // surrogate
    EXPECT_EQ(utf8::first_invalid("\xF4\x90\x80\x80"), 0u);     // beyond U+10FFFF
}

TEST(Utf8, SanitizeReplacesOnlyTheBadBytes)
{
    EXPECT_EQ(utf8::sanitize("a\xFF"
                             "b"),
              "a\xEF\xBF\xBD"
              "b");
    EXPECT_EQ(utf8::sanitize("caf\xC3\xA9"), "caf\xC3\xA9");
}

}  // namespace
}  // namespace cv

namespace cv {
namespace {

// The SIMD validator must agree with the portable one on every input: valid or not, and (since
// it defers to the portable loop on failure) at the same offset.
TEST(Utf8, SimdAgreesWithPortableValidator)
{
    std::vector<std::string> inputs = {
        "",
        "a",
        "\xC3",
        "\xC3\xA9",
        "\xE2\x82",
        "\xE2\x82\xAC",
        "\xF0\x9F\x98",
        "\xF0\x9F\x98\x82",
        "\xED\xA0\x80",
        "\xED\x9F\xBF",
        "\xE0\x9F\xBF",
        "\xE0\xA0\x80",
        "\xF0\x8F\xBF\xBF",
        "\xF0\x90\x80\x80",
        "\xF4\x8F\xBF\xBF",
        "\xF4\x90\x80\x80",
        "\xF5\x80\x80\x80",
        "\xC0\xAF",
        "\xC1\xBF",
        "\xC2\x80",
        "\x80",
        "\xBF",
        "\xFF",
        "a\x80"
        "b",
    };
    // Every sequence at every offset around a 16- and 32-byte block boundary, and cut at every
    // length.
    const std::vector<std::string> seqs = {"\xC3\xA9",     "\xE2\x82\xAC", "\xF0\x9F\x98\x82",
                                           "\xED\xA0\x80", "\xC3",         "\xE2\x82",
                                           "\xF0\x9F\x98", "\x80",         "\xF4\x90\x80\x80"};
    for (const auto& seq : seqs)
        for (std::size_t pad = 0; pad < 70; ++pad) {
            std::string s(pad, 'x');
            s += seq;
            inputs.push_back(s);
            inputs.push_back(s + "tail text");
            inputs.push_back(s + std::string(16 - (s.size() % 16), 'y'));
            inputs.push_back(s + std::string(32 - (s.size() % 32), 'y'));
        }
    std::uint32_t state = 12345;
    for (int n = 0; n < 20000; ++n) {
        std::string s;
        const auto len = (state = state * 1103515245 + 12345) % 70;
        for (std::uint32_t i = 0; i < len; ++i) {
            state = state * 1103515245 + 12345;
            // Mostly well-formed pieces with the odd stray byte, like real damage.
            switch ((state >> 16) % 8) {
            case 0: s += "\xC3\xA9"; break;
            case 1: s += "\xF0\x9F\x98\x82"; break;
            case 2: s += "\xE4\xBD\xA0"; break;
            case 3: s += static_cast<char>((state >> 8) & 0xFF); break;
            default: s += static_cast<char>('a' + (state >> 8) % 26); break;
            }
        }
        inputs.push_back(s);
    }
    for (const auto& s : inputs) {
        const auto expected = utf8::first_invalid_portable(s);
        ASSERT_EQ(utf8::first_invalid(s), expected) << testing::PrintToString(s);
        for (const auto level : {utf8::Simd::Ssse3, utf8::Simd::Avx2})
            ASSERT_EQ(utf8::first_invalid(s, level), expected) << testing::PrintToString(s);
    }
}

}  // namespace
}  // namespace cv

namespace cv::utf8 {
namespace {

TEST(Utf8, AnEmptyViewWithoutDataIsValidOnEveryPath)
{
    // What an SQL NULL column hands over: no pointer at all (UBSan checks the SIMD tails).
    const std::string_view empty;
    EXPECT_EQ(first_invalid(empty), std::string_view::npos);
    EXPECT_EQ(first_invalid(empty, Simd::Avx2), std::string_view::npos);
    EXPECT_EQ(first_invalid(empty, Simd::Ssse3), std::string_view::npos);
    EXPECT_EQ(first_invalid_portable(empty), std::string_view::npos);
}

}  // namespace
}  // namespace cv::utf8

#include "core/utf8.hpp"

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

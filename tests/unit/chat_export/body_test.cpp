#include "sources/chat_export/detail/body.hpp"

#include <gtest/gtest.h>

#include "core/utf8.hpp"

namespace cv::chat_export::detail {
namespace {

// clean_author copies runs between possible marks; this is the byte-at-a-time definition.
std::string without_marks(std::string_view s)
{
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        if (const auto n = utf8::invisible_mark_length(s, i))
            i += n;
        else
            out += s[i++];
    }
    return out;
}

TEST(CleanAuthor, DropsInvisibleMarksOnly)
{
    std::string out = "old contents";
    clean_author("\u202A+49 170 1234567\u202C", out);
    EXPECT_EQ(out, "+49 170 1234567");
    clean_author("Ana", out);
    EXPECT_EQ(out, "Ana");
    clean_author("\u200EZoë \U0001F338\u200F", out);
    EXPECT_EQ(out, "Zoë \U0001F338");
}

TEST(CleanAuthor, MatchesByteAtATimeDefinition)
{
    const std::string pieces[] = {"a",        "\u200E", "\u200F",   "\u202A", "\u202C", "\u2066",
                                  "\uFEFF",   "\u061C", "\u2019",   "\xE2",   "\xEF",   "\xD8",
                                  "\xE2\x80", "é",      "\xEF\xBB", "\u2069", "\u202E", "\u2013"};
    std::string out;
    for (const auto& a : pieces)
        for (const auto& b : pieces)
            for (const auto& c : pieces) {
                const std::string author = a + "x" + b + c + "yz" + a;
                clean_author(author, out);
                ASSERT_EQ(out, without_marks(author)) << author;
                clean_author(b + c, out);
                ASSERT_EQ(out, without_marks(b + c)) << b + c;
            }
}

}  // namespace
}  // namespace cv::chat_export::detail

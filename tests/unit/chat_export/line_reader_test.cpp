#include "sources/chat_export/detail/line_reader.hpp"

#include "../support/chunked_source.hpp"

#include <algorithm>
#include <cstring>

#include <gtest/gtest.h>

namespace cv::chat_export::detail {
namespace {

using cv::testing::ChunkedSource;

std::vector<std::string> read_all(std::string data, std::size_t chunk, std::size_t buffer)
{
    LineReader r(std::make_unique<ChunkedSource>(std::move(data), chunk), Utf8Check::PerBuffer, buffer);
    std::vector<std::string> out;
    Line line;
    while (r.next(line))
        out.emplace_back(line.text);
    return out;
}

TEST(LineReader, SplitsLfCrlfAndKeepsBlankLinesAndLastLineWithoutNewline)
{
    for (std::size_t chunk : {1, 2, 3, 7, 64}) {
        for (std::size_t buffer : {4, 16, 1024}) {
            const auto lines = read_all("a\r\n\r\nbb\ncc  \r\nlast", chunk, buffer);
            EXPECT_EQ(lines, (std::vector<std::string>{"a", "", "bb", "cc  ", "last"}))
                << "chunk " << chunk << " buffer " << buffer;
        }
    }
}

// Against a plain split, on text dense and sparse in newlines (several per 64-byte block, none
// for a whole stretch) read through buffers and pieces of many sizes.
TEST(LineReader, AgreesWithPlainSplit)
{
    std::uint32_t state = 7;
    auto next = [&state] { return (state = state * 1103515245 + 12345) >> 16; };
    for (int round = 0; round < 60; ++round) {
        std::string data;
        const auto len = next() % 20000;
        const auto gap = 1 + next() % (round % 3 == 0 ? 4 : round % 3 == 1 ? 100 : 9000);
        for (std::size_t i = 0; i < len; ++i)
            data += next() % gap == 0 ? '\n' : next() % 50 == 0 ? '\r' : static_cast<char>('a' + next() % 26);
        std::vector<std::string> expected;
        for (std::size_t start = 0; start < data.size();) {
            auto nl = data.find('\n', start);
            const bool last = nl == std::string::npos;
            if (last)
                nl = data.size();
            std::string line = data.substr(start, nl - start);
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            expected.push_back(line);
            start = nl + 1;
        }
        const std::size_t chunk = 1 + next() % 5000, buffer = 1 + next() % 9000;
        EXPECT_EQ(read_all(data, chunk, buffer), expected) << "chunk " << chunk << " buffer " << buffer;
    }
}

TEST(LineReader, EmptyInputHasNoLines)
{
    EXPECT_TRUE(read_all("", 8, 16).empty());
}

TEST(LineReader, CutsOverlongLineAndGoesOn)
{
    std::string data(kMaxLineBytes + 100, 'x');
    data += "\nnext\n";
    LineReader r(std::make_unique<ChunkedSource>(data, 1 << 20), Utf8Check::PerBuffer, 1 << 16);
    Line line;
    ASSERT_TRUE(r.next(line));
    EXPECT_TRUE(line.truncated);
    EXPECT_EQ(line.text.size(), kMaxLineBytes);
    ASSERT_TRUE(r.next(line));
    EXPECT_EQ(line.text, "next");
    EXPECT_FALSE(line.truncated);
    EXPECT_EQ(line.number, 2u);
}

TEST(LineReader, MarksLinesOfAValidBufferAsCheckedAndNoneOfAnInvalidOne)
{
    {
        LineReader r(std::make_unique<ChunkedSource>("caf\xC3\xA9\nok\nlast", 1 << 10), Utf8Check::PerBuffer,
                     64);
        Line line;
        ASSERT_TRUE(r.next(line));
        EXPECT_TRUE(line.valid_utf8);
        ASSERT_TRUE(r.next(line));
        EXPECT_TRUE(line.valid_utf8);
        ASSERT_TRUE(r.next(line));
        EXPECT_FALSE(line.valid_utf8);  // after the last newline: the caller checks it
    }
    {
        LineReader r(std::make_unique<ChunkedSource>("good\nbad \xFF\n", 1 << 10), Utf8Check::PerBuffer, 64);
        Line line;
        ASSERT_TRUE(r.next(line));
        EXPECT_FALSE(line.valid_utf8);  // the buffer had a bad byte: every line is checked alone
    }
    {
        LineReader r(std::make_unique<ChunkedSource>("fine\n", 1 << 10), Utf8Check::No, 64);
        Line line;
        ASSERT_TRUE(r.next(line));
        EXPECT_FALSE(line.valid_utf8);
    }
}

}  // namespace
}  // namespace cv::chat_export::detail

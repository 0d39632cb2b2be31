#include "cli/json_writer.hpp"

#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace cv::cli {

void JsonWriter::comma()
{
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (need_comma_)
        buf_ += ',';
}

void JsonWriter::open(char c)
{
    comma();
    buf_ += c;
    need_comma_ = false;
}

void JsonWriter::close(char c)
{
    buf_ += c;
    need_comma_ = true;
}

void JsonWriter::key(std::string_view k)
{
    comma();
    buf_ += '"';
    buf_.append(k);
    buf_ += "\":";
    after_key_ = true;
}

namespace {

// True when any of the 8 bytes is below 0x20, '"' or '\\' (SWAR: the classic "has a byte less
// than n" and "has a byte equal to c" bit tricks), so clean runs are skipped 8 bytes at a time.
bool needs_escape8(std::uint64_t w)
{
    constexpr std::uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    const std::uint64_t below_space = (w - ones * 0x20) & ~w & high;
    const std::uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    const std::uint64_t quote = (q - ones) & ~q & high;
    const std::uint64_t backslash = (b - ones) & ~b & high;
    return (below_space | quote | backslash) != 0;
}

}  // namespace

void JsonWriter::plain_string(std::string_view v)
{
    comma();
    buf_ += '"';
    buf_.append(v);
    buf_ += '"';
    need_comma_ = true;
}

void JsonWriter::string(std::string_view v)
{
    comma();
    buf_ += '"';
    // Copy runs of characters that need no escape in one append; the input is valid UTF-8
    // (the reader repairs it), so only '"', '\\' and control characters are escaped.
    std::size_t run = 0;
    std::size_t i = 0;
    for (;;) {
        while (i + 8 <= v.size()) {
            std::uint64_t w;
            std::memcpy(&w, v.data() + i, 8);
            if (needs_escape8(w))
                break;
            i += 8;
        }
        if (i >= v.size())
            break;
        const auto c = static_cast<unsigned char>(v[i++]);
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        const std::size_t at = i - 1;
        buf_.append(v.data() + run, at - run);
        run = at + 1;
        switch (c) {
        case '"': buf_ += "\\\""; break;
        case '\\': buf_ += "\\\\"; break;
        case '\n': buf_ += "\\n"; break;
        case '\r': buf_ += "\\r"; break;
        case '\t': buf_ += "\\t"; break;
        default: fmt::format_to(std::back_inserter(buf_), "\\u{:04x}", c); break;
        }
    }
    buf_.append(v.data() + run, v.size() - run);
    buf_ += '"';
    need_comma_ = true;
}

void JsonWriter::number(std::int64_t v)
{
    comma();
    char digits[24];
    const auto r = std::to_chars(std::begin(digits), std::end(digits), v);
    buf_.append(digits, r.ptr);
    need_comma_ = true;
}

void JsonWriter::boolean(bool v)
{
    comma();
    buf_ += v ? "true" : "false";
    need_comma_ = true;
}

void JsonWriter::null()
{
    comma();
    buf_ += "null";
    need_comma_ = true;
}

void JsonWriter::end_line()
{
    buf_ += '\n';
    need_comma_ = false;
    after_key_ = false;
    if (buf_.size() >= kFlushAt)
        flush();
}

void JsonWriter::flush()
{
    if (!buf_.empty()) {
        std::fwrite(buf_.data(), 1, buf_.size(), out_);
        buf_.clear();
    }
    std::fflush(out_);
}

}  // namespace cv::cli

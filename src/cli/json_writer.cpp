#include "cli/json_writer.hpp"

#include <charconv>
#include <iterator>

namespace cv::cli {

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

void JsonWriter::string(std::string_view v)
{
    comma();
    put('"');
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
        append(v.substr(run, i - 1 - run));
        run = i;
        switch (c) {
        case '"': append("\\\""); break;
        case '\\': append("\\\\"); break;
        case '\n': append("\\n"); break;
        case '\r': append("\\r"); break;
        case '\t': append("\\t"); break;
        default: {
            static constexpr char kHex[] = "0123456789abcdef";
            const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
            append(std::string_view(esc, 6));
            break;
        }
        }
    }
    append(v.substr(run));
    put('"');
    need_comma_ = true;
}

void JsonWriter::number(std::int64_t v)
{
    comma();
    char digits[24];
    const auto r = std::to_chars(std::begin(digits), std::end(digits), v);
    append(std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
    need_comma_ = true;
}

void JsonWriter::flush()
{
    flush_buffer();
    std::fflush(out_);
}

}  // namespace cv::cli

#include "cli/json_writer.hpp"

#include <charconv>
#include <iterator>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// The escape of one byte that needs it (see JsonWriter::string); returns the end. Out of line:
// rare, and it keeps the block loop small.
__attribute__((noinline)) char* write_escape(char* out, unsigned char c)
{
    out[0] = '\\';
    switch (c) {
    case '"': out[1] = '"'; return out + 2;
    case '\\': out[1] = '\\'; return out + 2;
    case '\n': out[1] = 'n'; return out + 2;
    case '\r': out[1] = 'r'; return out + 2;
    case '\t': out[1] = 't'; return out + 2;
    default: {
        static constexpr char kHex[] = "0123456789abcdef";
        out[1] = 'u';
        out[2] = '0';
        out[3] = '0';
        out[4] = kHex[c >> 4];
        out[5] = kHex[c & 15];
        return out + 6;
    }
    }
}

#if defined(__SSE2__)

// Bit i set when byte i of the block needs an escape: below 0x20 (unsigned: min(v, 0x1F) == v;
// UTF-8 bytes >= 0x80 never match), '"' or '\\'.
inline unsigned escape_mask(__m128i v)
{
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
    const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    const __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
    return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(quote, backslash))));
}

// One block: copies the 16 bytes at `p` to `out` whatever they are, then keeps the clean ones
// before the first byte that needs an escape (among the first `avail`) and escapes that one.
// Returns the input bytes consumed. Unconditional 16-byte stores instead of a memcpy per run:
// most strings are short and clean, so this is one load, one store and a compare per block.
inline std::size_t escape_block(char*& out, const char* p, std::size_t avail)
{
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), v);
    auto mask = escape_mask(v);
    if (avail < 16)
        mask &= (1u << avail) - 1;
    if (mask == 0) {
        out += avail;
        return avail;
    }
    const auto k = static_cast<std::size_t>(__builtin_ctz(mask));
    out = write_escape(out + k, static_cast<unsigned char>(p[k]));
    return k + 1;
}

#endif

}  // namespace

char* write_escaped(char* out, std::string_view s)
{
    const char* p = s.data();
    std::size_t n = s.size();
#if defined(__SSE2__)
    while (n >= 16) {
        const auto used = escape_block(out, p, 16);
        p += used;
        n -= used;
    }
    if (n > 0) {
        // The last partial block from a padded copy: reading past the string is not allowed.
        char tail[32] = {};
        std::memcpy(tail, p, n);
        const char* q = tail;
        while (n > 0) {
            const auto used = escape_block(out, q, n);
            q += used;
            n -= used;
        }
    }
#else
    for (; n > 0; ++p, --n) {
        const auto c = static_cast<unsigned char>(*p);
        if (c >= 0x20 && c != '"' && c != '\\')
            *out++ = *p;
        else
            out = write_escape(out, c);
    }
#endif
    return out;
}

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

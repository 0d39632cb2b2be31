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

// Byte by byte: what the block code below falls back to around escapes, and the reference.
char* escape_bytes(char* out, const char* p, std::size_t n)
{
    for (; n > 0; ++p, --n) {
        const auto c = static_cast<unsigned char>(*p);
        if (c >= 0x20 && c != '"' && c != '\\')
            *out++ = *p;
        else
            out = write_escape(out, c);
    }
    return out;
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

template <class T> T load(const char* p)
{
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <class T> void store(char* p, T v)
{
    std::memcpy(p, &v, sizeof v);
}

// Under 16 bytes (most authors, many messages): two overlapping loads cover the string, and
// when neither needs an escape two overlapping stores copy it. Reading past the string is not
// allowed, and a padded copy costs a store-forwarding stall.
char* escape_short(char* out, const char* p, std::size_t n)
{
    if (n >= 8) {
        const auto lo = load<std::uint64_t>(p), hi = load<std::uint64_t>(p + n - 8);
        if (escape_mask(_mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo))) == 0) {
            store(out, lo);
            store(out + n - 8, hi);
            return out + n;
        }
    } else if (n >= 4) {
        const auto lo = load<std::uint32_t>(p), hi = load<std::uint32_t>(p + n - 4);
        // The upper 8 bytes are zero, which would count as control characters: masked off.
        if ((escape_mask(_mm_set_epi32(0, 0, static_cast<int>(hi), static_cast<int>(lo))) & 0xFF) == 0) {
            store(out, lo);
            store(out + n - 4, hi);
            return out + n;
        }
    }
    return escape_bytes(out, p, n);
}

#endif

}  // namespace

char* write_escaped(char* out, std::string_view s)
{
    const char* p = s.data();
    const std::size_t n = s.size();
#if defined(__SSE2__)
    if (n < 16)
        return escape_short(out, p, n);
    // Whole blocks: store all 16 bytes whatever they are (the caller's room allows it), then keep
    // those before the first byte that needs an escape.
    std::size_t i = 0;
    std::size_t verbatim_from = 0;  // the output of input [verbatim_from, i) is a plain copy
    while (n - i >= 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), v);
        if (const unsigned mask = escape_mask(v); mask != 0) {
            const auto k = static_cast<std::size_t>(__builtin_ctz(mask));
            out = write_escape(out + k, static_cast<unsigned char>(p[i + k]));
            i += k + 1;
            verbatim_from = i;
        } else {
            out += 16;
            i += 16;
        }
    }
    if (i == n)
        return out;
    // The rest as the string's last 16 bytes, which overlap what is written: when that overlap
    // was a plain copy, rewriting it changes nothing.
    const std::size_t rest = n - i, overlap = 16 - rest;
    if (verbatim_from <= n - 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16));
        if ((escape_mask(v) >> overlap) == 0) {
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out - overlap), v);
            return out + rest;
        }
    }
    return escape_bytes(out, p + i, rest);
#else
    return escape_bytes(out, p, n);
#endif
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

#include "core/utf8.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace cv::utf8 {

char32_t decode(std::string_view s, std::size_t pos, std::size_t& len)
{
    const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + pos;
    const std::size_t avail = s.size() - pos;
    const unsigned char b0 = p[0];
    len = 1;
    if (b0 < 0x80)
        return b0;
    std::size_t need = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((b0 & 0xE0) == 0xC0) {
        need = 2, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        need = 3, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        need = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
        return kInvalid;
    }
    if (avail < need)
        return kInvalid;
    for (std::size_t i = 1; i < need; ++i) {
        if ((p[i] & 0xC0) != 0x80)
            return kInvalid;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return kInvalid;
    len = need;
    return cp;
}

std::size_t first_invalid(std::string_view s)
{
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    auto cont = [p](std::size_t k) { return (p[k] & 0xC0) == 0x80; };
    std::size_t i = 0;
    std::size_t scalar_until = 0;  // after a non-ASCII character, stay scalar for a while
    while (i < n) {
        // ASCII runs dominate chat text: skip 16 bytes at a time (SSE2 is in every x86-64).
#if defined(__SSE2__)
        while (i >= scalar_until && i + 16 <= n) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
            if (_mm_movemask_epi8(v) != 0)
                break;
            i += 16;
        }
        if (i >= n)
            break;
#endif
        const unsigned char b0 = p[i];
        if (b0 < 0x80) {
            ++i;
            continue;
        }
        // Text with one non-ASCII character usually has more nearby (accents, Cyrillic, emoji):
        // re-probing 16 bytes after each one costs more than it saves.
        scalar_until = i + 16;
        // The well-formed byte sequences of RFC 3629 §4 (no overlongs, surrogates or > U+10FFFF).
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            if (i + 1 >= n || !cont(i + 1))
                return i;
            i += 2;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            if (i + 2 >= n || !cont(i + 2))
                return i;
            const unsigned char b1 = p[i + 1];
            const bool ok = b0 == 0xE0   ? (b1 >= 0xA0 && b1 <= 0xBF)
                            : b0 == 0xED ? (b1 >= 0x80 && b1 <= 0x9F)
                                         : cont(i + 1);
            if (!ok)
                return i;
            i += 3;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            if (i + 3 >= n || !cont(i + 2) || !cont(i + 3))
                return i;
            const unsigned char b1 = p[i + 1];
            const bool ok = b0 == 0xF0   ? (b1 >= 0x90 && b1 <= 0xBF)
                            : b0 == 0xF4 ? (b1 >= 0x80 && b1 <= 0x8F)
                                         : cont(i + 1);
            if (!ok)
                return i;
            i += 4;
        } else {
            return i;
        }
    }
    return std::string_view::npos;
}

void append(std::string& out, char32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::string sanitize(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t len = 0;
        const char32_t cp = decode(s, i, len);
        if (cp == kInvalid)
            append(out, 0xFFFD);
        else
            out.append(s.substr(i, len));
        i += len;
    }
    return out;
}

}  // namespace cv::utf8

#include "core/utf8.hpp"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#include <tmmintrin.h>
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

std::size_t first_invalid_portable(std::string_view s)
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

#if defined(__x86_64__)

namespace {

// UTF-8 validation 16 bytes at a time: the "lookup" algorithm of Keiser and Lemire, "Validating
// UTF-8 in less than one instruction per byte" (2021), as simdjson and simdutf use it. Written
// here because neither library is packaged for Debian 12. Three table lookups classify every
// pair of adjacent bytes into error bits; a lead byte's required continuations are checked by
// shifting the block by two and three bytes. It answers only "valid or not"; the portable loop
// then finds the offset of a bad sequence (rare).
constexpr std::uint8_t kTooShort = 1 << 0;   // lead or ASCII followed by a lead / ASCII
constexpr std::uint8_t kTooLong = 1 << 1;    // ASCII followed by a continuation
constexpr std::uint8_t kOverlong3 = 1 << 2;  // E0 followed by 80..9F
constexpr std::uint8_t kTooLarge = 1 << 3;   // beyond U+10FFFF
constexpr std::uint8_t kSurrogate = 1 << 4;  // ED followed by A0..BF
constexpr std::uint8_t kOverlong2 = 1 << 5;  // C0 or C1
constexpr std::uint8_t kTooLarge1000 = 1 << 6;
constexpr std::uint8_t kOverlong4 = 1 << 6;  // F0 followed by 80..8F
constexpr std::uint8_t kTwoConts = 1 << 7;   // a continuation following a continuation (checked below)
constexpr std::uint8_t kCarry = kTooShort | kTooLong | kTwoConts;

__attribute__((target("ssse3"))) __m128i
table(std::uint8_t a0, std::uint8_t a1, std::uint8_t a2, std::uint8_t a3, std::uint8_t a4, std::uint8_t a5,
      std::uint8_t a6, std::uint8_t a7, std::uint8_t a8, std::uint8_t a9, std::uint8_t a10, std::uint8_t a11,
      std::uint8_t a12, std::uint8_t a13, std::uint8_t a14, std::uint8_t a15)
{
    return _mm_setr_epi8(
        static_cast<char>(a0), static_cast<char>(a1), static_cast<char>(a2), static_cast<char>(a3),
        static_cast<char>(a4), static_cast<char>(a5), static_cast<char>(a6), static_cast<char>(a7),
        static_cast<char>(a8), static_cast<char>(a9), static_cast<char>(a10), static_cast<char>(a11),
        static_cast<char>(a12), static_cast<char>(a13), static_cast<char>(a14), static_cast<char>(a15));
}

__attribute__((target("ssse3"))) __m128i special_cases(__m128i input, __m128i prev1)
{
    const __m128i low_nibble = _mm_set1_epi8(0x0F);
    const __m128i byte_1_high_table =
        table(kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTwoConts,
              kTwoConts, kTwoConts, kTwoConts, kTooShort | kOverlong2, kTooShort,
              kTooShort | kOverlong3 | kSurrogate, kTooShort | kTooLarge | kTooLarge1000 | kOverlong4);
    const __m128i byte_1_low_table =
        table(kCarry | kOverlong3 | kOverlong2 | kOverlong4, kCarry | kOverlong2, kCarry, kCarry,
              kCarry | kTooLarge, kCarry | kTooLarge | kTooLarge1000, kCarry | kTooLarge | kTooLarge1000,
              kCarry | kTooLarge | kTooLarge1000, kCarry | kTooLarge | kTooLarge1000,
              kCarry | kTooLarge | kTooLarge1000, kCarry | kTooLarge | kTooLarge1000,
              kCarry | kTooLarge | kTooLarge1000, kCarry | kTooLarge | kTooLarge1000,
              kCarry | kTooLarge | kTooLarge1000 | kSurrogate, kCarry | kTooLarge | kTooLarge1000,
              kCarry | kTooLarge | kTooLarge1000);
    const __m128i byte_2_high_table =
        table(kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort,
              kTooLong | kOverlong2 | kTwoConts | kOverlong3 | kTooLarge1000 | kOverlong4,
              kTooLong | kOverlong2 | kTwoConts | kOverlong3 | kTooLarge,
              kTooLong | kOverlong2 | kTwoConts | kSurrogate | kTooLarge,
              kTooLong | kOverlong2 | kTwoConts | kSurrogate | kTooLarge, kTooShort, kTooShort, kTooShort,
              kTooShort);
    const __m128i b1h =
        _mm_shuffle_epi8(byte_1_high_table, _mm_and_si128(_mm_srli_epi16(prev1, 4), low_nibble));
    const __m128i b1l = _mm_shuffle_epi8(byte_1_low_table, _mm_and_si128(prev1, low_nibble));
    const __m128i b2h =
        _mm_shuffle_epi8(byte_2_high_table, _mm_and_si128(_mm_srli_epi16(input, 4), low_nibble));
    return _mm_and_si128(_mm_and_si128(b1h, b1l), b2h);
}

__attribute__((target("ssse3"))) bool valid_ssse3(std::string_view s)
{
    __m128i prev = _mm_setzero_si128();
    __m128i error = _mm_setzero_si128();
    // One block more than the text fills, zero-padded (ASCII): a sequence cut short at the end
    // shows as an error there.
    const std::size_t blocks = s.size() / 16 + 1;
    for (std::size_t b = 0; b < blocks; ++b) {
        __m128i input;
        const std::size_t at = b * 16;
        if (at + 16 <= s.size()) {
            input = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + at));
        } else {
            alignas(16) char tail[16] = {};
            if (s.size() > at)  // an empty view may have no data pointer at all
                std::memcpy(tail, s.data() + at, s.size() - at);
            input = _mm_load_si128(reinterpret_cast<const __m128i*>(tail));
        }
        if (_mm_movemask_epi8(input) == 0 && _mm_movemask_epi8(prev) == 0) {
            prev = input;  // ASCII after ASCII: nothing can be wrong here
            continue;
        }
        const __m128i prev1 = _mm_alignr_epi8(input, prev, 15);
        const __m128i prev2 = _mm_alignr_epi8(input, prev, 14);
        const __m128i prev3 = _mm_alignr_epi8(input, prev, 13);
        const __m128i sc = special_cases(input, prev1);
        // Bytes that must be the 2nd continuation of a 3-byte lead or the 3rd of a 4-byte one.
        const __m128i third = _mm_subs_epu8(prev2, _mm_set1_epi8(static_cast<char>(0xE0 - 0x80)));
        const __m128i fourth = _mm_subs_epu8(prev3, _mm_set1_epi8(static_cast<char>(0xF0 - 0x80)));
        const __m128i must23_80 =
            _mm_and_si128(_mm_or_si128(third, fourth), _mm_set1_epi8(static_cast<char>(0x80)));
        error = _mm_or_si128(error, _mm_xor_si128(must23_80, sc));
        prev = input;
    }
    return _mm_movemask_epi8(_mm_cmpeq_epi8(error, _mm_setzero_si128())) == 0xFFFF;
}

// The same algorithm 32 bytes at a time. AVX2 shuffles and byte shifts work within each 16-byte
// lane, so the previous block's bytes come in through a lane permute first (as in simdjson's
// Haswell kernel).
__attribute__((target("avx2"))) __m256i both_lanes(__m128i t)
{
    return _mm256_broadcastsi128_si256(t);
}

__attribute__((target("avx2"))) bool valid_avx2(std::string_view s)
{
    const __m256i byte_1_high_table = both_lanes(
        table(kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTwoConts,
              kTwoConts, kTwoConts, kTwoConts, kTooShort | kOverlong2, kTooShort,
              kTooShort | kOverlong3 | kSurrogate, kTooShort | kTooLarge | kTooLarge1000 | kOverlong4));
    const __m256i byte_1_low_table =
        both_lanes(table(kCarry | kOverlong3 | kOverlong2 | kOverlong4, kCarry | kOverlong2, kCarry, kCarry,
                         kCarry | kTooLarge, kCarry | kTooLarge | kTooLarge1000,
                         kCarry | kTooLarge | kTooLarge1000, kCarry | kTooLarge | kTooLarge1000,
                         kCarry | kTooLarge | kTooLarge1000, kCarry | kTooLarge | kTooLarge1000,
                         kCarry | kTooLarge | kTooLarge1000, kCarry | kTooLarge | kTooLarge1000,
                         kCarry | kTooLarge | kTooLarge1000, kCarry | kTooLarge | kTooLarge1000 | kSurrogate,
                         kCarry | kTooLarge | kTooLarge1000, kCarry | kTooLarge | kTooLarge1000));
    const __m256i byte_2_high_table = both_lanes(
        table(kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort,
              kTooLong | kOverlong2 | kTwoConts | kOverlong3 | kTooLarge1000 | kOverlong4,
              kTooLong | kOverlong2 | kTwoConts | kOverlong3 | kTooLarge,
              kTooLong | kOverlong2 | kTwoConts | kSurrogate | kTooLarge,
              kTooLong | kOverlong2 | kTwoConts | kSurrogate | kTooLarge, kTooShort, kTooShort, kTooShort,
              kTooShort));
    const __m256i low_nibble = _mm256_set1_epi8(0x0F);
    __m256i prev = _mm256_setzero_si256();
    __m256i error = _mm256_setzero_si256();
    // One block more than the text fills, zero-padded (ASCII), as in valid_ssse3.
    const std::size_t blocks = s.size() / 32 + 1;
    for (std::size_t b = 0; b < blocks; ++b) {
        __m256i input;
        const std::size_t at = b * 32;
        if (at + 32 <= s.size()) {
            input = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s.data() + at));
        } else {
            alignas(32) char tail[32] = {};
            if (s.size() > at)  // an empty view may have no data pointer at all
                std::memcpy(tail, s.data() + at, s.size() - at);
            input = _mm256_load_si256(reinterpret_cast<const __m256i*>(tail));
        }
        if (_mm256_movemask_epi8(_mm256_or_si256(input, prev)) == 0) {
            prev = input;  // ASCII after ASCII: nothing can be wrong here
            continue;
        }
        // [prev's high lane, input's low lane]: the 16 bytes before each lane of input.
        const __m256i before = _mm256_permute2x128_si256(prev, input, 0x21);
        const __m256i prev1 = _mm256_alignr_epi8(input, before, 15);
        const __m256i prev2 = _mm256_alignr_epi8(input, before, 14);
        const __m256i prev3 = _mm256_alignr_epi8(input, before, 13);
        const __m256i b1h =
            _mm256_shuffle_epi8(byte_1_high_table, _mm256_and_si256(_mm256_srli_epi16(prev1, 4), low_nibble));
        const __m256i b1l = _mm256_shuffle_epi8(byte_1_low_table, _mm256_and_si256(prev1, low_nibble));
        const __m256i b2h =
            _mm256_shuffle_epi8(byte_2_high_table, _mm256_and_si256(_mm256_srli_epi16(input, 4), low_nibble));
        const __m256i sc = _mm256_and_si256(_mm256_and_si256(b1h, b1l), b2h);
        const __m256i third = _mm256_subs_epu8(prev2, _mm256_set1_epi8(static_cast<char>(0xE0 - 0x80)));
        const __m256i fourth = _mm256_subs_epu8(prev3, _mm256_set1_epi8(static_cast<char>(0xF0 - 0x80)));
        const __m256i must23_80 =
            _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8(static_cast<char>(0x80)));
        error = _mm256_or_si256(error, _mm256_xor_si256(must23_80, sc));
        prev = input;
    }
    return _mm256_testz_si256(error, error) != 0;
}

const bool kHasSsse3 = __builtin_cpu_supports("ssse3");
const bool kHasAvx2 = __builtin_cpu_supports("avx2");

}  // namespace

std::size_t first_invalid(std::string_view s, Simd level)
{
    if (level == Simd::Avx2 && kHasAvx2)
        return valid_avx2(s) ? std::string_view::npos : first_invalid_portable(s);
    if (level != Simd::None && kHasSsse3)
        return valid_ssse3(s) ? std::string_view::npos : first_invalid_portable(s);
    return first_invalid_portable(s);
}

std::size_t first_invalid(std::string_view s)
{
    // Chat text is dense in non-ASCII (accents, emoji, CJK): the full check runs on most blocks,
    // and 32 bytes per step halves it.
    if (kHasAvx2 && valid_avx2(s))
        return std::string_view::npos;
    if (!kHasAvx2 && kHasSsse3 && valid_ssse3(s))
        return std::string_view::npos;
    return first_invalid_portable(s);
}

#else

std::size_t first_invalid(std::string_view s)
{
    return first_invalid_portable(s);
}

std::size_t first_invalid(std::string_view s, Simd)
{
    return first_invalid_portable(s);
}

#endif

}  // namespace cv::utf8

#pragma once
/// Small UTF-8 helpers. Written by hand because the reader needs only decoding of one code
/// point and validation on its hot path, and the libraries Debian ships for this (ICU) would
/// cost a large dependency and a per-call conversion for a few dozen lines of work.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cv::utf8 {

/// The replacement for an invalid sequence.
inline constexpr char32_t kInvalid = 0xFFFFFFFF;

/// Decodes the code point starting at s[pos]; sets `len` to the bytes it used (1 for an
/// invalid byte, so a caller always advances). Returns kInvalid for an ill-formed sequence
/// (overlong, surrogate, beyond U+10FFFF, truncated).
char32_t decode(std::string_view s, std::size_t pos, std::size_t& len);

/// Offset of the first ill-formed byte, or npos when `s` is valid UTF-8. Uses SIMD (AVX2 or
/// SSSE3) where the CPU has it, the portable loop below otherwise.
std::size_t first_invalid(std::string_view s);

/// first_invalid with the SIMD level capped (a level the CPU lacks falls back to the next one
/// down): lets tests check each implementation on a machine that has them all.
enum class Simd { None, Ssse3, Avx2 };
std::size_t first_invalid(std::string_view s, Simd level);

/// The portable byte-at-a-time validator: the reference the SIMD path is tested against.
std::size_t first_invalid_portable(std::string_view s);

/// `s` with every ill-formed sequence replaced by U+FFFD.
std::string sanitize(std::string_view s);

/// Letters a-z upper-cased, every other byte kept (WhatsApp ids, IMAP keywords: ASCII by
/// definition, so no locale is involved).
inline std::string ascii_upper(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
    return out;
}

/// Appends the UTF-8 encoding of `cp`.
void append(std::string& out, char32_t cp);

/// Byte length of the invisible formatting mark at s[i], or 0: LRM, RLM, ARABIC LETTER MARK,
/// the embedding/override controls U+202A..U+202E, the isolates U+2066..U+2069 and BOM. These
/// are what WhatsApp and phones scatter through exports; they carry no text.
inline std::size_t invisible_mark_length(std::string_view s, std::size_t i)
{
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0xD8)  // every mark's UTF-8 starts with D8, E2 or EF
        return 0;
    const std::size_t avail = s.size() - i;
    const auto b1 = avail >= 2 ? static_cast<unsigned char>(s[i + 1]) : 0;
    if (b0 == 0xD8)
        return b1 == 0x9C ? 2 : 0;
    if (avail < 3)
        return 0;
    const auto b2 = static_cast<unsigned char>(s[i + 2]);
    if (b0 == 0xE2 && b1 == 0x80 && (b2 == 0x8E || b2 == 0x8F || (b2 >= 0xAA && b2 <= 0xAE)))
        return 3;
    if (b0 == 0xE2 && b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9)
        return 3;
    if (b0 == 0xEF && b1 == 0xBB && b2 == 0xBF)
        return 3;
    return 0;
}

}  // namespace cv::utf8

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

/// Offset of the first ill-formed byte, or npos when `s` is valid UTF-8.
std::size_t first_invalid(std::string_view s);

/// `s` with every ill-formed sequence replaced by U+FFFD.
std::string sanitize(std::string_view s);

/// Appends the UTF-8 encoding of `cp`.
void append(std::string& out, char32_t cp);

}  // namespace cv::utf8

#pragma once
/// The MIME primitives the renderer needs, written by hand rather than taken from GMime, the
/// one maintained MIME library in Debian: our output must be byte-identical on every run and
/// every machine (boundaries, folding, encoded words all derived from the item), streamed
/// with bounded memory, and GMime 3.2 mis-decodes the padded B-encoded words it may emit
/// (upstream issue 133, DESIGN.md). The subset is small and fixed: RFC 2047 Q-encoded words
/// (never B, so never padded), RFC 2231 parameters, RFC 5322 folding and dates,
/// quoted-printable and base64 (AVX2, or OpenSSL's encoder) bodies. Every line ends in CRLF.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/byte_sink.hpp"
#include "core/byte_source.hpp"
#include "core/result.hpp"

namespace cv::render::detail {

inline constexpr std::string_view kCrlf = "\r\n";

/// One address in a From/To/Cc header.
struct Mailbox {
    std::string display_name;  ///< any Unicode; empty for a bare address
    std::string address;       ///< ASCII addr-spec
};

/// "Name: value" for free text (Subject, X- headers): plain folded ASCII when the text allows
/// it, otherwise UTF-8 Q-encoded words, lines at most 76 characters. Control characters
/// (line breaks included) become spaces: a header value is one logical line.
void append_text_header(std::string& out, std::string_view name, std::string_view value);

/// "Name: value" for a value known to be short printable ASCII (Message-ID, Date, tokens).
void append_raw_header(std::string& out, std::string_view name, std::string_view value);

/// "Name: a <x>, b <y>" with display names as atoms, quoted strings or encoded words.
void append_address_header(std::string& out, std::string_view name, std::span<const Mailbox> mailboxes);

/// Appends "; name=value" (RFC 2045 quoted string) or its RFC 2231 extended form (UTF-8,
/// percent-encoded, split into continuations that never cut a character), folding as needed.
/// `line_length` is the length of the header line written so far and is kept up to date.
void append_parameter(std::string& out, std::size_t& line_length, std::string_view name,
                      std::string_view value);

/// RFC 5322 date-time: "Thu, 01 Jan 2026 11:00:00 +0100" for the UTC instant shown at the
/// given offset from UTC (seconds; rounded to whole minutes as the format requires).
std::string format_rfc5322_date(std::int64_t utc, std::int32_t offset_seconds);

/// Quoted-printable body text: "\n" (or "\r\n") becomes a hard CRLF line break, lines are
/// at most 76 characters, and a line starting "From " is protected for mbox tools. The last
/// line gets no line break: the CRLF that ends a part belongs to the boundary after it
/// (RFC 2046 §5.1.1), so the caller adds it, and a text ending in "\n" keeps that newline.
void append_quoted_printable(std::string& out, std::string_view text);

/// base64 of `bytes` in 76-character CRLF lines (the whole input is one unit: the last line
/// may be shorter and padded). Whole lines in AVX2 where the CPU has it.
void append_base64(std::string& out, std::string_view bytes);

/// append_base64 by OpenSSL's encoder alone: the reference the fast path is tested against.
void append_base64_reference(std::string& out, std::string_view bytes);

/// Streams `first` followed by the rest of `source` to `sink` as base64 lines, holding at
/// most one fixed-size chunk in memory whatever the size of the content. Returns the number
/// of content bytes read. Errors: whatever the source or the sink reports.
Result<std::uint64_t> stream_base64(std::string_view first, ByteSource& source, ByteSink& sink);

/// The length of `s` cut to at most `max_bytes` on a UTF-8 character boundary.
std::size_t utf8_prefix(std::string_view s, std::size_t max_bytes);

}  // namespace cv::render::detail

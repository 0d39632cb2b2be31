#pragma once
/// Splits a ByteSource into lines with bounded memory: one fixed buffer, plus a spill string
/// for a line that crosses the buffer's end. A line longer than kMaxLineBytes is cut there
/// (the reader warns); the rest of it is skipped, so a 100 MB line costs no more memory than
/// a short one.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_source.hpp"

namespace cv::chat_export::detail {

inline constexpr std::size_t kMaxLineBytes = 4u << 20;

struct Line {
    std::string_view text;     ///< without "\n" and a "\r" before it; valid until next()
    std::uint64_t number = 0;  ///< 1-based
    bool truncated = false;    ///< longer than kMaxLineBytes; cut
    bool had_crlf = false;
    bool valid_utf8 = false;  ///< known to be valid UTF-8 (false: not checked, or invalid)
};

/// Whether to check UTF-8 as buffers are read (Line::valid_utf8 then says which lines passed).
enum class Utf8Check { No, PerBuffer };

class LineReader {
public:
    explicit LineReader(std::unique_ptr<ByteSource> source, Utf8Check check = Utf8Check::PerBuffer,
                        std::size_t buffer_bytes = 256u << 10);

    /// The next line; false at the end or on a read error (then error() says why).
    bool next(Line& line);

    /// Set when the source failed midway: lines before it were delivered.
    const std::optional<Error>& error() const { return error_; }
    std::uint64_t bytes_read() const { return bytes_read_; }
    std::uint64_t lines_read() const { return number_; }

private:
    bool fill();                 // refills from the source; false at the end or on error
    const char* next_newline();  // the first '\n' at or after begin_ in the buffer, or null
    void index_newlines();       // adds the newlines of the next stretch of the buffer

    std::unique_ptr<ByteSource> source_;
    Utf8Check check_;
    std::size_t capacity_;   // bytes read into buf_ at most
    std::vector<char> buf_;  // capacity_ plus a block of slack, so scans need no bounds checks
    std::size_t begin_ = 0;  // first unconsumed byte in buf_
    std::size_t end_ = 0;    // one past the last valid byte in buf_
    // Newline offsets in buf_[0, scanned_), found a stretch at a time: next() takes the next one
    // instead of searching (a search per line costs a mispredicted branch where the line ends).
    std::vector<std::uint32_t> newlines_;
    std::size_t newline_count_ = 0;  // entries of newlines_ in use
    std::size_t newline_next_ = 0;   // the first not yet handed out
    std::size_t scanned_ = 0;
    bool eof_ = false;
    std::size_t valid_until_ = 0;  // buf_[0, valid_until_) was checked and is valid UTF-8
    std::string spill_;            // a line that crossed the end of buf_
    std::uint64_t number_ = 0;
    std::uint64_t bytes_read_ = 0;
    std::optional<Error> error_;
};

}  // namespace cv::chat_export::detail

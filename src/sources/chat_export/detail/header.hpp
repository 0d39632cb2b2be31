#pragma once
/// Recognises the timestamp header that starts every message line of an export, in both
/// families ("date, time - " Android, "[date, time] " iOS) and all their variants (see
/// specs/export-text-format.md §2). Recognition is strict — a full date, a full time and the
/// family's separator — so continuation lines that merely start with a date stay body text.
/// Invisible marks and Unicode spaces are tolerated inside the header; the body is untouched.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/time.hpp"

namespace cv::chat_export::detail {

enum class Family { Dash, Bracket };

/// The numeric fields of a header exactly as read, before the file's date order is applied.
struct Header {
    Family family = Family::Dash;
    int field[3] = {0, 0, 0};  ///< date fields in written order (era years already Gregorian)
    int year_pos = -1;         ///< index of the field that must be the year (4 digits or an
                               ///< era year), or -1 when all three are 1–2 digits
    char date_sep = '/';
    int hour = 0, minute = 0, second = 0;  ///< 24-hour clock (AM/PM applied)
    std::size_t stamp_begin = 0;           ///< byte range of the timestamp text in the line
    std::size_t stamp_end = 0;
    std::size_t body = 0;  ///< byte offset where the body (author or system text) begins
};

/// Parses the header at the start of `line`. Never reads past the view; any bytes accepted.
std::optional<Header> parse_header(std::string_view line);

/// The two halves of parse_header, exposed so that tests and the fuzzer can check that the
/// fast path for the common ASCII shapes agrees with the general parser wherever it answers.
std::optional<Header> parse_header_fast_path(std::string_view line);
std::optional<Header> parse_header_general(std::string_view line);

bool operator==(const Header& a, const Header& b);

/// parse_header for the lines of one file in order, with the same answers. It remembers the
/// date text of the last header of the common shape ("07/01/2019, " or "[3/27/22, ") and when
/// a line starts with the same bytes reads only the time: consecutive messages mostly share
/// their date, and the date fields are most of the fast path's work. Not thread-safe.
class HeaderParser {
public:
    std::optional<Header> parse(std::string_view line);

    /// The remembered date (internal to header.cpp).
    struct DateCache {
        bool valid = false;
        std::uint64_t bytes[2] = {0, 0};  ///< the line's first 16 bytes, masked
        std::uint64_t mask[2] = {0, 0};   ///< which of them are the date text
        std::size_t length = 0;           ///< bytes of date text, up to the hour
        Header date;                      ///< family, stamp_begin and the date fields
    };

private:
    DateCache cache_;
};

/// Cheap first test: can `line` start a header at all? (digit, '[', or a mark/digit lead byte)
inline bool may_start_header(std::string_view line)
{
    if (line.empty())
        return false;
    const auto c = static_cast<unsigned char>(line[0]);
    return (c >= '0' && c <= '9') || c == '[' || c == 0xE2 || c == 0xEF || c == 0xD8 || c == 0xD9 ||
           c == 0xDB;
}

/// Applies the file's day/month order. The year is taken from year_pos when known; a
/// two-digit year means 20YY. Returns nullopt when the fields make no real date.
enum class FieldOrder { DayMonth, MonthDay, YearMonthDay };
std::optional<LocalDateTime> resolve(const Header& h, FieldOrder order);

/// The two non-year fields in written order (for date-order evidence), and the year.
struct DayMonthPair {
    int first = 0;
    int second = 0;
    int year = 0;
    bool year_first = false;  ///< a 4-digit year leads: the order is year-month-day
};
DayMonthPair day_month_pair(const Header& h);

}  // namespace cv::chat_export::detail

#include "sources/chat_export/detail/header.hpp"

#include "core/utf8.hpp"

#include <algorithm>
#include <cstring>

namespace cv::chat_export::detail {

namespace {

// Walks the header bytes. Written by hand rather than with std::regex: it runs on every
// line of multi-gigabyte exports, and the grammar needs Unicode-aware "space", "invisible
// mark" and "digit" classes that no regex engine in Debian offers at this speed.
//
// Two instantiations: Unicode = false knows only ASCII spaces and digits and no marks, which
// is all most headers contain, and compiles to a fraction of the work; parse_header tries it
// first and falls back to the full one.
template <bool Unicode> class Cursor {
public:
    explicit Cursor(std::string_view s) : s_(s) {}

    std::size_t pos() const { return p_; }
    void set_pos(std::size_t p) { p_ = p; }
    bool done() const { return p_ >= s_.size(); }
    unsigned char peek(std::size_t ahead = 0) const
    {
        return p_ + ahead < s_.size() ? static_cast<unsigned char>(s_[p_ + ahead]) : 0;
    }

    // Invisible formatting marks exports scatter through headers: LRM, RLM, ALM, LRE..RLO,
    // LRI..PDI, BOM.
    std::size_t mark_len() const
    {
        if constexpr (!Unicode)
            return 0;
        return p_ < s_.size() ? utf8::invisible_mark_length(s_, p_) : 0;
    }
    void skip_marks()
    {
        while (std::size_t n = mark_len())
            p_ += n;
    }

    // Any Unicode space separator (Zs) exports use: SPACE, NBSP, U+2000..U+200A (THIN SPACE
    // among them), NNBSP, MMSP, IDEOGRAPHIC SPACE.
    std::size_t space_len() const
    {
        const unsigned char a = peek();
        if (a == ' ')
            return 1;
        if constexpr (!Unicode)
            return 0;
        if (a < 0xC2)
            return 0;
        const unsigned char b = peek(1), c = peek(2);
        if (a == 0xC2 && b == 0xA0)
            return 2;
        if (a == 0xE2 && b == 0x80 && ((c >= 0x80 && c <= 0x8A) || c == 0xAF))
            return 3;
        if (a == 0xE2 && b == 0x81 && c == 0x9F)
            return 3;
        if (a == 0xE3 && b == 0x80 && c == 0x80)
            return 3;
        return 0;
    }
    // Skips spaces and marks; true when at least one space was among them.
    bool skip_spaces()
    {
        bool any = false;
        for (;;) {
            if (std::size_t n = space_len()) {
                p_ += n;
                any = true;
            } else if (std::size_t m = mark_len()) {
                p_ += m;
            } else {
                return any;
            }
        }
    }

    // A decimal digit: ASCII, Arabic-Indic (U+0660..) or Extended Arabic-Indic (U+06F0..).
    int digit(std::size_t& len) const
    {
        const unsigned char a = peek(), b = peek(1);
        if (a >= '0' && a <= '9') {
            len = 1;
            return a - '0';
        }
        if constexpr (!Unicode)
            return -1;
        if (a == 0xD9 && b >= 0xA0 && b <= 0xA9) {
            len = 2;
            return b - 0xA0;
        }
        if (a == 0xDB && b >= 0xB0 && b <= 0xB9) {
            len = 2;
            return b - 0xB0;
        }
        return -1;
    }
    // Reads 1..max_digits digits; returns the count (0 if none) and the value.
    int number(int& value, int max_digits)
    {
        value = 0;
        int count = 0;
        std::size_t len = 0;
        int d;
        while ((d = digit(len)) >= 0) {
            if (count == max_digits)
                return -1;  // too many digits for this field
            value = value * 10 + d;
            ++count;
            p_ += len;
        }
        return count;
    }

    bool lit(char c)
    {
        if (peek() == static_cast<unsigned char>(c)) {
            ++p_;
            return true;
        }
        return false;
    }
    bool lit(std::string_view w)
    {
        if (s_.size() - p_ < w.size())
            return false;
        for (std::size_t i = 0; i < w.size(); ++i)
            if (s_[p_ + i] != w[i])
                return false;
        p_ += w.size();
        return true;
    }
    bool is_letter_ahead() const
    {
        const unsigned char a = peek();
        return (a >= 'A' && a <= 'Z') || (a >= 'a' && a <= 'z');
    }

private:
    std::string_view s_;
    std::size_t p_ = 0;
};

constexpr int kYearAbsent = -1;

// One date field: digits, or a Japanese era year ("R4" = Reiwa 4 = 2022).
template <class Cursor> bool date_field(Cursor& c, int& value, int& digits, bool& era)
{
    era = false;
    const unsigned char a = c.peek();
    int base = 0;
    switch (a) {
    case 'R': base = 2018; break;  // Reiwa 1 = 2019
    case 'H': base = 1988; break;  // Heisei 1 = 1989
    case 'S': base = 1925; break;  // Showa 1 = 1926
    default: break;
    }
    if (base != 0) {
        const auto save = c.pos();
        c.set_pos(save + 1);
        int n = 0;
        if (c.number(n, 2) > 0 && n > 0) {
            value = base + n;
            digits = 4;
            era = true;
            return true;
        }
        c.set_pos(save);
        return false;
    }
    digits = c.number(value, 4);
    return digits > 0;
}

// Which date field is the year, from the digit count of each: one 4-digit (or era) field at
// most, and no 3-digit field at all. False when the widths make no date. Shared by the general
// parser and the fast path so both apply the same rule.
bool find_year(const int (&width)[3], int& year_pos)
{
    year_pos = kYearAbsent;
    for (int i = 0; i < 3; ++i) {
        if (width[i] == 3)
            return false;
        if (width[i] == 4) {
            if (year_pos != kYearAbsent)
                return false;
            year_pos = i;
        }
    }
    return true;
}

bool is_date_sep(unsigned char ch)
{
    return ch == '/' || ch == '.' || ch == '-';
}

// date := field SEP [spaces] field SEP [spaces] field ['.'] [" BE"]
template <class Cursor> bool parse_date(Cursor& c, Header& h)
{
    int digits[3] = {0, 0, 0};
    bool era[3] = {false, false, false};
    for (int i = 0; i < 3; ++i) {
        c.skip_marks();
        if (!date_field(c, h.field[i], digits[i], era[i]))
            return false;
        if (i == 2)
            break;
        c.skip_marks();
        const unsigned char sep = c.peek();
        if (!is_date_sep(sep))
            return false;
        if (i == 0)
            h.date_sep = static_cast<char>(sep);
        else if (sep != static_cast<unsigned char>(h.date_sep))
            return false;
        c.set_pos(c.pos() + 1);
        if (sep == '.') {
            const auto save = c.pos();
            c.skip_spaces();  // "13. 6. 2018."
            std::size_t digit_len = 0;
            if (c.digit(digit_len) < 0 && !c.is_letter_ahead())
                c.set_pos(save);
        }
    }
    // Exactly zero or one field may be the year (3-4 digits or an era); 3-digit fields are not
    // dates at all.
    if (!find_year(digits, h.year_pos))
        return false;
    // Trailing dot after the date ("13. 6. 2018.") when the separator is a dot.
    if (h.date_sep == '.')
        c.lit('.');
    // Thai Buddhist era: "3/18/2565 BE".
    if (c.peek() != ',') {
        const auto save = c.pos();
        c.skip_spaces();
        if (c.peek() == 'B' && c.lit("BE") && !c.is_letter_ahead()) {
            const int y = h.year_pos >= 0 ? h.year_pos : 2;
            h.field[y] -= 543;
            h.year_pos = y;
        } else {
            c.set_pos(save);
        }
    }
    return true;
}

// AM/PM in every spelling exports use: AM PM am pm a.m. p.m. "a. m." "p.<NBSP>m." and the
// Arabic ص (AM) / م (PM). Returns 0 none, 1 AM, 2 PM.
template <class Cursor> int parse_meridiem(Cursor& c)
{
    const auto save = c.pos();
    c.skip_spaces();
    const unsigned char a = c.peek();
    int which = 0;
    if (a == 'a' || a == 'A')
        which = 1;
    else if (a == 'p' || a == 'P')
        which = 2;
    if (which != 0) {
        c.set_pos(c.pos() + 1);
        c.lit('.');
        c.skip_spaces();
        if (c.lit('m') || c.lit('M')) {
            c.lit('.');
            if (!c.is_letter_ahead())
                return which;
        }
    } else if (a == 0xD8 && c.peek(1) == 0xB5) {  // ص
        c.set_pos(c.pos() + 2);
        return 1;
    } else if (a == 0xD9 && c.peek(1) == 0x85) {  // م
        c.set_pos(c.pos() + 2);
        return 2;
    }
    c.set_pos(save);
    return 0;
}

// time := h (':'|'.') mm [SEP ss] [meridiem]
template <class Cursor> bool parse_time(Cursor& c, Header& h)
{
    c.skip_marks();
    if (c.number(h.hour, 2) <= 0)
        return false;
    const unsigned char sep = c.peek();
    if (sep != ':' && sep != '.')
        return false;
    c.set_pos(c.pos() + 1);
    if (c.number(h.minute, 2) != 2)
        return false;
    h.second = 0;
    if (c.peek() == sep && c.peek(1) >= '0') {
        const auto save = c.pos();
        c.set_pos(save + 1);
        if (c.number(h.second, 2) != 2)
            c.set_pos(save);
    }
    const int meridiem = parse_meridiem(c);
    if (meridiem != 0) {
        if (h.hour > 23)
            return false;
        // "13:37:00 p.m." exists in the wild: an hour past 12 keeps its value.
        if (meridiem == 2 && h.hour < 12)
            h.hour += 12;
        else if (meridiem == 1 && h.hour == 12)
            h.hour = 0;
    }
    return h.hour <= 23 && h.minute <= 59 && h.second <= 59;
}

// Between date and time: ',' or the Arabic comma, spaces, or the Finnish "klo".
template <class Cursor> bool parse_date_time_gap(Cursor& c)
{
    const auto start = c.pos();
    c.skip_marks();
    bool any = c.lit(',') || c.lit("\xD8\x8C");
    any = c.skip_spaces() || any;
    if (c.lit("klo")) {
        if (!c.skip_spaces())
            return false;
        any = true;
    }
    return any && c.pos() > start;
}

template <bool Unicode> std::optional<Header> parse_header_with(std::string_view line)
{
    Header h;
    Cursor<Unicode> c(line);
    c.skip_marks();
    h.family = c.lit('[') ? Family::Bracket : Family::Dash;
    c.skip_spaces();
    h.stamp_begin = c.pos();

    const auto stamp_start = c.pos();
    bool ok = parse_date(c, h) && parse_date_time_gap(c) && parse_time(c, h);
    if (!ok && h.family == Family::Bracket) {
        // Vietnamese iOS: time first, "[14:56:01, 3/18/22]".
        c.set_pos(stamp_start);
        ok = parse_time(c, h) && parse_date_time_gap(c) && parse_date(c, h);
    }
    if (!ok)
        return std::nullopt;
    h.stamp_end = c.pos();
    c.skip_marks();

    if (h.family == Family::Bracket) {
        if (!c.lit(']'))
            return std::nullopt;
        // One space separates "]" from the body; the body keeps anything after it.
        if (const auto n = c.space_len())
            c.set_pos(c.pos() + n);
        else if (!c.done())
            return std::nullopt;
        h.body = c.pos();
        return h;
    }

    // Dash family: " - ", ": ", ". - " (trailing dot), or only a space before "Author: ".
    c.lit('.');
    const bool spaced = c.skip_spaces();
    if (c.lit('-') || c.lit("\xE2\x80\x93")) {  // hyphen or EN DASH
        // Something must follow: WhatsApp never writes a header with nothing after it.
        if (!c.skip_spaces() || c.done())
            return std::nullopt;
        h.body = c.pos();
        return h;
    }
    if (!spaced && c.lit(':')) {
        if (!c.skip_spaces())
            return std::nullopt;
        h.body = c.pos();
        return h;
    }
    if (spaced && !c.done()) {
        // No separator at all ("13. 6. 2018. 21:25:15 a: m"): accept only when an author
        // slot follows, else "12.5.2020 10:30 meeting notes" would open a message.
        const auto rest = line.substr(c.pos());
        const auto colon = rest.find(": ");
        if (colon != std::string_view::npos && colon > 0 &&
            rest.substr(0, colon).find(' ') == std::string_view::npos) {
            h.body = c.pos();
            return h;
        }
    }
    return std::nullopt;
}

// The two shapes most exports use, in plain ASCII, as straight-line code:
//   "D/M/Y, H:MM - "   and   "[D/M/Y, H:MM:SS] "   (date separator / . or -),
// also after one leading LRM (iOS writes one before the lines of media and other messages
// WhatsApp generates). Anything else (AM/PM, dotted times, other marks, other separators)
// returns false and the general parser decides; the fuzz target checks that both agree
// wherever this one answers.
// Fills `h` and returns true, or returns false (h then holds partial work). A bool and an out
// parameter rather than std::optional: g++ copied the 64-byte result into the optional with
// `rep movs`, whose start-up cost was most of this function's time.
bool parse_plain_shape(std::string_view line, HeaderParser::DateCache* cache, Header& h)
{
    // The longest header this path accepts, "[DD/MM/YYYY, HH:MM:SS] X", is 24 bytes. Work on a
    // zero-padded copy: NUL is neither digit nor separator, so no step needs a bounds check.
    constexpr std::size_t kWindow = 32;
    if (line.size() < 16)
        return false;
    char buf[kWindow + 8];
    if (line.size() >= kWindow) {
        // The usual case, as fixed-size copies the compiler inlines (a variable-length memcpy
        // into a zeroed buffer cost a fifth of this function).
        std::memcpy(buf, line.data(), kWindow);
        std::memset(buf + kWindow, 0, 8);
    } else {
        std::memset(buf, 0, sizeof buf);
        std::memcpy(buf, line.data(), line.size());
    }
    const char* p = buf;
    auto is_digit = [](char c) { return static_cast<unsigned char>(c - '0') < 10; };
    // 1..max digits; returns how many (0 = none, or more than max).
    auto digits = [&](int& value, int max) {
        if (!is_digit(p[0]))
            return 0;
        int n = 1;
        value = p[0] - '0';
        while (is_digit(p[n])) {
            if (n == max)
                return 0;
            value = value * 10 + (p[n] - '0');
            ++n;
        }
        p += n;
        return n;
    };

    // Everything up to the hour depends only on these bytes: when they repeat the previous
    // date, so does the parse.
    std::uint64_t head[2];
    std::memcpy(head, buf, sizeof head);
    if (cache != nullptr && cache->valid && ((head[0] ^ cache->bytes[0]) & cache->mask[0]) == 0 &&
        ((head[1] ^ cache->bytes[1]) & cache->mask[1]) == 0) {
        h = cache->date;
        p += cache->length;
    } else {
        h.family = *p == '[' ? Family::Bracket : Family::Dash;
        if (h.family == Family::Bracket)
            ++p;
        h.stamp_begin = static_cast<std::size_t>(p - buf);
        int width[3];
        for (int i = 0; i < 3; ++i) {
            width[i] = digits(h.field[i], 4);
            if (width[i] == 0)
                return false;
            if (i < 2) {
                const char sep = *p;
                if (sep != '/' && sep != '.' && sep != '-')
                    return false;
                if (i == 0)
                    h.date_sep = sep;
                else if (sep != h.date_sep)
                    return false;
                ++p;
            }
        }
        if (!find_year(width, h.year_pos))
            return false;
        if (p[0] != ',' || p[1] != ' ')
            return false;
        p += 2;
        const auto length = static_cast<std::size_t>(p - buf);
        if (cache != nullptr && length <= 16) {
            cache->valid = true;
            cache->length = length;
            for (std::size_t w = 0; w < 2; ++w) {
                const std::size_t in_word = length > 8 * w ? std::min<std::size_t>(length - 8 * w, 8) : 0;
                cache->mask[w] = in_word == 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * in_word)) - 1;
                cache->bytes[w] = head[w] & cache->mask[w];
            }
            cache->date = h;
        }
    }
    if (digits(h.hour, 2) == 0 || *p != ':')
        return false;
    ++p;
    if (digits(h.minute, 2) != 2)
        return false;
    h.second = 0;
    if (*p == ':') {
        ++p;
        if (digits(h.second, 2) != 2)
            return false;
    }
    if (h.hour > 23 || h.minute > 59 || h.second > 59)
        return false;
    h.stamp_end = static_cast<std::size_t>(p - buf);
    if (h.family == Family::Bracket) {
        if (p[0] != ']' || p[1] != ' ')
            return false;
        p += 2;
    } else {
        // " - " then a character that is not a space (the general parser skips any run of
        // spaces here, so leave those lines to it).
        if (p[0] != ' ' || p[1] != '-' || p[2] != ' ' || p[3] == ' ' || p[3] == '\0' ||
            static_cast<unsigned char>(p[3]) >= 0x80)
            return false;
        p += 3;
    }
    h.body = static_cast<std::size_t>(p - buf);
    if (h.body >= kWindow || h.body > line.size())
        return false;  // beyond the copied window: let the general parser decide
    return true;
}

bool parse_common_shape(std::string_view line, HeaderParser::DateCache* cache, Header& h)
{
    constexpr std::string_view kLrm = "\xE2\x80\x8E";
    if (!line.starts_with(kLrm))
        return parse_plain_shape(line, cache, h);
    // The general parser skips the mark and reads the same shape after it.
    if (!parse_plain_shape(line.substr(kLrm.size()), cache, h))
        return false;
    h.stamp_begin += kLrm.size();
    h.stamp_end += kLrm.size();
    h.body += kLrm.size();
    return true;
}

}  // namespace

std::optional<Header> parse_header_general(std::string_view line)
{
    if (!may_start_header(line))
        return std::nullopt;
    if (static_cast<unsigned char>(line[0]) < 0x80) {
        if (auto h = parse_header_with<false>(line))
            return h;
    }
    return parse_header_with<true>(line);
}

// The one named result below is returned on every path, so it is built in place (no copy).
std::optional<Header> parse_header_fast_path(std::string_view line)
{
    std::optional<Header> h(std::in_place);
    if (!parse_common_shape(line, nullptr, *h))
        h.reset();
    return h;
}

std::optional<Header> parse_header(std::string_view line)
{
    std::optional<Header> h;
    if (may_start_header(line) && !parse_common_shape(line, nullptr, h.emplace()))
        h = parse_header_general(line);
    return h;
}

std::optional<Header> HeaderParser::parse(std::string_view line)
{
    std::optional<Header> h;
    if (may_start_header(line) && !parse_common_shape(line, &cache_, h.emplace()))
        h = parse_header_general(line);
    return h;
}

bool operator==(const Header& a, const Header& b)
{
    return a.family == b.family && a.field[0] == b.field[0] && a.field[1] == b.field[1] &&
           a.field[2] == b.field[2] && a.year_pos == b.year_pos && a.date_sep == b.date_sep &&
           a.hour == b.hour && a.minute == b.minute && a.second == b.second &&
           a.stamp_begin == b.stamp_begin && a.stamp_end == b.stamp_end && a.body == b.body;
}

DayMonthPair day_month_pair(const Header& h)
{
    DayMonthPair p;
    switch (h.year_pos) {
    case 0: p = {h.field[1], h.field[2], h.field[0], true}; break;
    case 1: p = {h.field[0], h.field[2], h.field[1], false}; break;
    default: p = {h.field[0], h.field[1], h.field[2], false}; break;
    }
    if (p.year < 100)
        p.year += 2000;
    return p;
}

std::optional<LocalDateTime> resolve(const Header& h, FieldOrder order)
{
    // Built in place and returned by name on every path: a copy into the optional made the
    // caller reload the fields as 16-byte blocks just stored as ints (a store-forwarding stall).
    std::optional<LocalDateTime> result(std::in_place);
    LocalDateTime& t = *result;
    if (order == FieldOrder::YearMonthDay && h.year_pos == kYearAbsent) {
        t.year = h.field[0] + 2000;
        t.month = h.field[1];
        t.day = h.field[2];
    } else {
        const DayMonthPair p = day_month_pair(h);
        t.year = p.year;
        // A 4-digit year in the middle or at the end overrides a "ymd" order: the user can only
        // have meant the order of the other two, and day-first is the common one.
        if (p.year_first) {
            t.month = p.first;
            t.day = p.second;
        } else if (order != FieldOrder::MonthDay) {
            t.day = p.first;
            t.month = p.second;
        } else {
            t.month = p.first;
            t.day = p.second;
        }
    }
    t.hour = h.hour;
    t.minute = h.minute;
    t.second = h.second;
    if (!is_valid(t))
        result.reset();
    return result;
}

}  // namespace cv::chat_export::detail

#include "compliance/query/detail/dates.hpp"

#include <array>
#include <cctype>
#include <string>

namespace cv::compliance::query::detail {

namespace {

struct Ymd {
    int y;
    int m;
    int d;
};

// Howard Hinnant's days_from_civil / civil_from_days: day numbers make "a week ago" and
// "the Monday of this week" plain subtraction.
std::int64_t days_from_civil(Ymd c)
{
    const std::int64_t y = c.m <= 2 ? c.y - 1 : c.y;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const auto mp = static_cast<unsigned>(c.m > 2 ? c.m - 3 : c.m + 9);
    const unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(c.d) - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

Ymd civil_from_days(std::int64_t z)
{
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const auto d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    const auto m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    const auto y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0));
    return {y, m, d};
}

std::int64_t start_of(const TimeZone& zone, Ymd c)
{
    return zone.to_utc(LocalDateTime{c.y, c.m, c.d, 0, 0, 0}).unix_seconds;
}

std::int64_t start_of_day(const TimeZone& zone, std::int64_t day)
{
    return start_of(zone, civil_from_days(day));
}

Ymd add_months(Ymd c, int months)
{
    const int index = c.y * 12 + (c.m - 1) + months;
    return {index / 12, index % 12 + 1, 1};
}

// Lower-cased with runs of ASCII white space collapsed to one space, so "This  Week" works.
std::string normalise(std::string_view s)
{
    std::string out;
    for (const char c : s) {
        if (std::isspace(static_cast<unsigned char>(c)) != 0) {
            if (!out.empty() && out.back() != ' ')
                out.push_back(' ');
        } else {
            out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        }
    }
    if (!out.empty() && out.back() == ' ')
        out.pop_back();
    return out;
}

std::optional<Interval> relative(std::string_view name, const TimeZone& zone, std::int64_t now)
{
    const LocalDateTime local = zone.to_local(now).wall_clock;
    const Ymd today{local.year, local.month, local.day};
    const std::int64_t day = days_from_civil(today);
    // 1970-01-01 was a Thursday: index 3 when Monday is 0.
    const auto weekday = static_cast<int>(((day % 7) + 7 + 3) % 7);
    const std::int64_t monday = day - weekday;
    const Ymd month{today.y, today.m, 1};
    const Ymd year{today.y, 1, 1};
    const auto days = [&zone](std::int64_t a, std::int64_t b) {
        return Interval{start_of_day(zone, a), start_of_day(zone, b)};
    };
    const auto dates = [&zone](Ymd a, Ymd b) { return Interval{start_of(zone, a), start_of(zone, b)}; };
    if (name == "today")
        return days(day, day + 1);
    if (name == "yesterday")
        return days(day - 1, day);
    if (name == "this week")
        return days(monday, monday + 7);
    if (name == "last week")
        return days(monday - 7, monday);
    if (name == "this month")
        return dates(month, add_months(month, 1));
    if (name == "last month")
        return dates(add_months(month, -1), month);
    if (name == "this year")
        return dates(year, Ymd{today.y + 1, 1, 1});
    if (name == "last year")
        return dates(Ymd{today.y - 1, 1, 1}, year);
    return std::nullopt;
}

// Reads exactly `n` ASCII digits at s[pos].
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out)
{
    if (pos + n > s.size())
        return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

std::optional<Interval> absolute(std::string_view s, const TimeZone& zone)
{
    LocalDateTime t;
    if (!digits(s, 0, 4, t.year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, t.month) ||
        s[7] != '-' || !digits(s, 8, 2, t.day))
        return std::nullopt;
    if (s.size() == 10) {
        if (!is_valid(t))
            return std::nullopt;
        const std::int64_t day = days_from_civil({t.year, t.month, t.day});
        return Interval{start_of_day(zone, day), start_of_day(zone, day + 1)};
    }
    if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, t.hour) || s.size() < 16 ||
        s[13] != ':' || !digits(s, 14, 2, t.minute))
        return std::nullopt;
    std::int64_t precision = 60;
    std::size_t pos = 16;
    if (pos < s.size() && s[pos] == ':') {
        if (!digits(s, pos + 1, 2, t.second))
            return std::nullopt;
        precision = 1;
        pos += 3;
    }
    bool utc = false;
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
        utc = true;
        ++pos;
    }
    if (pos != s.size() || !is_valid(t))
        return std::nullopt;
    const std::int64_t from = utc ? as_if_utc(t) : zone.to_utc(t).unix_seconds;
    return Interval{from, from + precision};
}

}  // namespace

std::optional<Interval> resolve_date(std::string_view text, const TimeZone& zone, std::int64_t now)
{
    if (text.size() > 40)
        return std::nullopt;
    if (!text.empty() && text[0] >= '0' && text[0] <= '9')
        return absolute(text, zone);
    return relative(normalise(text), zone, now);
}

}  // namespace cv::compliance::query::detail

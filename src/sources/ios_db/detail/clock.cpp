#include "sources/ios_db/detail/clock.hpp"

#include <charconv>
#include <cmath>

namespace cv::ios_db::detail {

std::optional<double> parse_number(std::string_view text)
{
    while (!text.empty() && text.front() == ' ')
        text.remove_prefix(1);
    if (text.empty())
        return std::nullopt;
    if (text.front() == '+')
        text.remove_prefix(1);
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v))
        return std::nullopt;
    return v;
}

std::optional<std::int64_t> unix_from_core_data(std::string_view text)
{
    const auto v = parse_number(text);
    // 1900-01-01 and 9999-12-31 relative to 2001: beyond them the value is damage, not a date.
    if (!v || *v == 0 || *v < -3187296000.0 || *v > 252423993599.0 - kCoreDataEpoch)
        return std::nullopt;
    return static_cast<std::int64_t>(std::floor(*v)) + kCoreDataEpoch;
}

LocalDateTime civil_utc(std::int64_t unix_seconds)
{
    std::int64_t days = unix_seconds / 86400;
    std::int64_t secs = unix_seconds % 86400;
    if (secs < 0) {
        secs += 86400;
        --days;
    }
    const CivilDate c = civil_from_days(days);
    LocalDateTime t;
    t.year = static_cast<int>(c.year);
    t.month = c.month;
    t.day = c.day;
    t.hour = static_cast<int>(secs / 3600);
    t.minute = static_cast<int>(secs / 60 % 60);
    t.second = static_cast<int>(secs % 60);
    return t;
}

}  // namespace cv::ios_db::detail

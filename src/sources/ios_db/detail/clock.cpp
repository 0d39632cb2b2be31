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
    // Howard Hinnant's civil_from_days.
    std::int64_t days = unix_seconds / 86400;
    std::int64_t secs = unix_seconds % 86400;
    if (secs < 0) {
        secs += 86400;
        --days;
    }
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
    LocalDateTime t;
    t.year = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
    t.month = static_cast<int>(m);
    t.day = static_cast<int>(d);
    t.hour = static_cast<int>(secs / 3600);
    t.minute = static_cast<int>(secs / 60 % 60);
    t.second = static_cast<int>(secs % 60);
    return t;
}

}  // namespace cv::ios_db::detail

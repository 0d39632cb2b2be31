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

Local to_local(const TimeZone& zone, std::int64_t unix_seconds)
{
    // TimeZone converts wall clock → instant only. The offsets in force around the instant
    // (zones change offset at most a few times a year, so ±2 days covers both sides of any
    // transition) are the candidates; the one whose wall clock maps back to the instant wins.
    // The later of two repeated wall-clock times maps back to the earlier instant, so when
    // none maps back the candidate that lands in an overlap is the answer.
    auto offset_at = [&](std::int64_t t) {
        const LocalDateTime l = civil_utc(t);
        return as_if_utc(l) - zone.to_utc(l).unix_seconds;
    };
    const std::int64_t candidates[] = {offset_at(unix_seconds), offset_at(unix_seconds - 2 * 86400),
                                       offset_at(unix_seconds + 2 * 86400)};
    std::optional<Local> overlap;
    for (const std::int64_t offset : candidates) {
        const LocalDateTime l = civil_utc(unix_seconds + offset);
        const ZonedInstant back = zone.to_utc(l);
        if (back.unix_seconds == unix_seconds &&
            back.resolution != DstResolution::Gap)  // a gap's times never occur
            return {l, back.resolution == DstResolution::Overlap ? DstResolution::Overlap
                                                                 : DstResolution::Unique};
        if (back.resolution == DstResolution::Overlap && !overlap)
            overlap = Local{l, DstResolution::Overlap};
    }
    if (overlap)
        return *overlap;
    return {civil_utc(unix_seconds + candidates[0]), DstResolution::Unique};
}

}  // namespace cv::ios_db::detail

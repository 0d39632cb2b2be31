#include "sources/android_db/detail/local_time.hpp"

#include <algorithm>

#include <date/date.h>
#include <date/tz.h>

#include <fmt/format.h>

namespace cv::android_db::detail {

Result<WallClock> WallClock::make(std::string_view zone)
{
    CV_TRY(const TimeZone checked, TimeZone::locate(zone));  // one wording for unknown zones
    if (checked.name() == "UTC" || checked.name() == "Etc/UTC")
        return WallClock(nullptr);
    try {  // date::locate_zone throws; it stays in here
        return WallClock(date::locate_zone(zone));
    } catch (const std::exception& e) {
        return fail(ErrorCode::InvalidArgument, fmt::format("unknown time zone '{}': {}", zone, e.what()));
    }
}

LocalDateTime WallClock::at(std::int64_t unix_seconds) const
{
    // Years 1..9999 keep date's arithmetic and the ISO text in range whatever a row holds.
    constexpr std::int64_t kMin = -62135596800;  // 0001-01-01T00:00:00Z
    constexpr std::int64_t kMax = 253402300799;  // 9999-12-31T23:59:59Z
    unix_seconds = std::clamp(unix_seconds, kMin + 86400, kMax - 86400);
    const date::sys_seconds sys{std::chrono::seconds{unix_seconds}};
    std::chrono::seconds local;
    if (zone_ == nullptr) {
        local = sys.time_since_epoch();
    } else {
        const auto* zone = static_cast<const date::time_zone*>(zone_);
        local = zone->to_local(sys).time_since_epoch();
    }
    const auto days = date::floor<date::days>(local);
    const date::year_month_day ymd{date::sys_days{days}};
    const date::hh_mm_ss<std::chrono::seconds> tod{local - days};
    LocalDateTime out;
    out.year = static_cast<int>(ymd.year());
    out.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
    out.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
    out.hour = static_cast<int>(tod.hours().count());
    out.minute = static_cast<int>(tod.minutes().count());
    out.second = static_cast<int>(tod.seconds().count());
    return out;
}

}  // namespace cv::android_db::detail

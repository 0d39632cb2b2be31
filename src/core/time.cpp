#include "core/time.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <fmt/format.h>

namespace cv {

namespace {

date::local_seconds to_local_seconds(const LocalDateTime& t)
{
    auto day = date::local_days{date::year{t.year} / t.month / t.day};
    return day + std::chrono::hours{t.hour} + std::chrono::minutes{t.minute} +
           std::chrono::seconds{t.second};
}

}  // namespace

bool is_valid(const LocalDateTime& t)
{
    if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31)
        return false;
    if (t.hour < 0 || t.hour > 23 || t.minute < 0 || t.minute > 59 || t.second < 0 || t.second > 59)
        return false;
    return (date::year{t.year} / t.month / t.day).ok();
}

std::int64_t as_if_utc(const LocalDateTime& t)
{
    return to_local_seconds(t).time_since_epoch().count();
}

std::string format_iso(const LocalDateTime& t)
{
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", t.year, t.month, t.day, t.hour, t.minute,
                       t.second);
}

std::string format_utc(std::int64_t unix_seconds)
{
    auto tp = date::sys_seconds{std::chrono::seconds{unix_seconds}};
    auto day = date::floor<date::days>(tp);
    date::year_month_day ymd{day};
    date::hh_mm_ss hms{tp - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", int(ymd.year()), unsigned(ymd.month()),
                       unsigned(ymd.day()), hms.hours().count(), hms.minutes().count(),
                       hms.seconds().count());
}

std::string_view to_string(DstResolution r)
{
    switch (r) {
    case DstResolution::Unique: return "unique";
    case DstResolution::Gap: return "gap";
    case DstResolution::Overlap: return "overlap";
    }
    return "unique";
}

Result<TimeZone> TimeZone::locate(std::string_view name)
{
    if (name == "UTC" || name == "Etc/UTC")
        return TimeZone(std::string(name), nullptr);
    // date::locate_zone throws std::runtime_error for unknown names; it stays in here.
    try {
        const date::time_zone* zone = date::locate_zone(name);
        return TimeZone(std::string(name), zone);
    } catch (const std::exception& e) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("unknown time zone '{}': use an IANA name such as Europe/Madrid ({})",
                                name, e.what()));
    }
}

ZonedInstant TimeZone::to_utc(const LocalDateTime& t) const
{
    const auto local = to_local_seconds(t);
    if (zone_ == nullptr)
        return {local.time_since_epoch().count(), DstResolution::Unique};
    const auto* zone = static_cast<const date::time_zone*>(zone_);
    const date::local_info info = zone->get_info(local);
    switch (info.result) {
    case date::local_info::unique:
        return {(local - info.first.offset).time_since_epoch().count(), DstResolution::Unique};
    case date::local_info::nonexistent:
        // In a gap: use the offset in force before the transition, which moves the time
        // forward by the length of the gap (POSIX mktime does the same with tm_isdst = -1).
        return {(local - info.first.offset).time_since_epoch().count(), DstResolution::Gap};
    case date::local_info::ambiguous:
        return {(local - info.first.offset).time_since_epoch().count(), DstResolution::Overlap};
    }
    return {(local - info.first.offset).time_since_epoch().count(), DstResolution::Unique};
}

}  // namespace cv

#include "core/time.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include <date/date.h>
#include <date/tz.h>

#include <fmt/format.h>

namespace cv {

namespace {

date::local_seconds to_local_seconds(const LocalDateTime& t)
{
    auto day = date::local_days{date::year{t.year} / t.month / t.day};
    return day + std::chrono::hours{t.hour} + std::chrono::minutes{t.minute} + std::chrono::seconds{t.second};
}

// Hand-rolled rather than fmt::format: this runs twice per item on the parse hot path and the
// fixed layout needs no parsing of a format string.
void two(char* p, int v)
{
    static constexpr char kPairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    const auto i = static_cast<unsigned>(v) % 100u * 2u;
    p[0] = kPairs[i];
    p[1] = kPairs[i + 1];
}

// "THH:MM:SS" at out[10..19), the part of write_iso after the date. Inline: StampWriter's
// calls are most of its work.
inline __attribute__((always_inline)) void write_time_of_day(int hour, int minute, int second, char* out)
{
    out[10] = 'T';
    two(out + 11, hour);
    out[13] = ':';
    two(out + 14, minute);
    out[16] = ':';
    two(out + 17, second);
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

void write_iso(const LocalDateTime& t, char* out)
{
    const int year = std::clamp(t.year, 0, 9999);
    two(out, year / 100);
    two(out + 2, year % 100);
    out[4] = '-';
    two(out + 5, t.month);
    out[7] = '-';
    two(out + 8, t.day);
    write_time_of_day(t.hour, t.minute, t.second, out);
}

void write_utc(std::int64_t unix_seconds, char* out)
{
    const auto tp = date::sys_seconds{std::chrono::seconds{unix_seconds}};
    const auto day = date::floor<date::days>(tp);
    const date::year_month_day ymd{day};
    const auto secs = (tp - day).count();
    const LocalDateTime t{int(ymd.year()),  int(unsigned(ymd.month())), int(unsigned(ymd.day())),
                          int(secs / 3600), int(secs / 60 % 60),        int(secs % 60)};
    write_iso(t, out);
    out[kIsoLength] = 'Z';
}

void StampWriter::iso(const LocalDateTime& t, char* out)
{
    if (!iso_valid_ || t.year != iso_day_.year || t.month != iso_day_.month || t.day != iso_day_.day) {
        write_iso(t, out);
        std::memcpy(iso_date_, out, sizeof iso_date_);
        iso_day_ = t;
        iso_valid_ = true;
        return;
    }
    std::memcpy(out, iso_date_, sizeof iso_date_);
    write_time_of_day(t.hour, t.minute, t.second, out);
}

void StampWriter::utc(std::int64_t unix_seconds, char* out)
{
    // Beyond a few million years the day arithmetic below could overflow; nothing real is there.
    constexpr std::int64_t kLimit = std::int64_t{1} << 50;
    if (unix_seconds < -kLimit || unix_seconds > kLimit) {
        write_utc(unix_seconds, out);
        return;
    }
    constexpr std::int64_t kDay = 86400;
    // Same day as last time: a subtraction instead of the floor division.
    std::int64_t secs = unix_seconds - utc_day_start_;
    if (!utc_valid_ || secs < 0 || secs >= kDay) {
        std::int64_t day = unix_seconds / kDay;
        if (unix_seconds % kDay < 0)
            --day;  // floor, as date::floor<days> in write_utc
        write_utc(unix_seconds, out);
        std::memcpy(utc_date_, out, sizeof utc_date_);
        utc_day_start_ = day * kDay;
        utc_valid_ = true;
        return;
    }
    std::memcpy(out, utc_date_, sizeof utc_date_);
    const auto s = static_cast<unsigned>(secs);
    write_time_of_day(static_cast<int>(s / 3600), static_cast<int>(s / 60 % 60), static_cast<int>(s % 60),
                      out);
    out[kIsoLength] = 'Z';
}

std::string format_iso(const LocalDateTime& t)
{
    char buf[kIsoLength];
    write_iso(t, buf);
    return std::string(buf, kIsoLength);
}

std::string format_utc(std::int64_t unix_seconds)
{
    char buf[kUtcLength];
    write_utc(unix_seconds, buf);
    return std::string(buf, kUtcLength);
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
                    fmt::format("unknown time zone '{}': use an IANA name such as Europe/Madrid ({})", name,
                                e.what()));
    }
}

ZonedWallClock TimeZone::to_local(std::int64_t unix_seconds) const
{
    constexpr std::int64_t kMin = -62135596800 + 86400;  // 0001-01-02T00:00:00Z
    constexpr std::int64_t kMax = 253402300799 - 86400;  // 9999-12-30T23:59:59Z
    unix_seconds = std::clamp(unix_seconds, kMin, kMax);
    const date::sys_seconds sys{std::chrono::seconds{unix_seconds}};
    std::chrono::seconds local = sys.time_since_epoch();
    ZonedWallClock out;
    if (zone_ != nullptr) {
        const auto* zone = static_cast<const date::time_zone*>(zone_);
        const auto local_time = zone->to_local(sys);
        local = local_time.time_since_epoch();
        if (zone->get_info(local_time).result == date::local_info::ambiguous)
            out.resolution = DstResolution::Overlap;
    }
    const auto days = date::floor<date::days>(local);
    const date::year_month_day ymd{date::sys_days{days}};
    const date::hh_mm_ss<std::chrono::seconds> tod{local - days};
    out.wall_clock.year = static_cast<int>(ymd.year());
    out.wall_clock.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
    out.wall_clock.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
    out.wall_clock.hour = static_cast<int>(tod.hours().count());
    out.wall_clock.minute = static_cast<int>(tod.minutes().count());
    out.wall_clock.second = static_cast<int>(tod.seconds().count());
    return out;
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

CivilDate civil_from_days(std::int64_t z)
{
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
    return {yoe + era * 400 + (m <= 2 ? 1 : 0), static_cast<int>(m), static_cast<int>(d)};
}

std::int64_t days_from_civil(std::int64_t y, int m, int d)
{
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t yoe = y - era * 400;
    const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

Result<std::int64_t> parse_instant(std::string_view text, std::string_view what)
{
    auto bad = [&] {
        return fail(
            ErrorCode::InvalidArgument,
            fmt::format("{} '{}': expected a UTC date or time like 2026-11-24 or 2026-11-24T09:30:00Z, or "
                        "@<unix seconds>",
                        what, text));
    };
    auto number = [&](std::size_t pos, std::size_t len, std::int64_t& out) {
        if (pos + len > text.size())
            return false;
        const auto* b = text.data() + pos;
        const auto [end, ec] = std::from_chars(b, b + len, out);
        return ec == std::errc() && end == b + len;
    };
    if (text.starts_with('@')) {
        std::int64_t t = 0;
        if (!number(1, text.size() - 1, t))
            return bad();
        return t;
    }
    if (text.ends_with('Z') || text.ends_with('z'))
        text.remove_suffix(1);
    std::int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    if (text.size() < 10 || !number(0, 4, y) || text[4] != '-' || !number(5, 2, mo) || text[7] != '-' ||
        !number(8, 2, d))
        return bad();
    if (text.size() > 10) {
        if ((text[10] != 'T' && text[10] != ' ') || !number(11, 2, h) || text.size() < 16 ||
            text[13] != ':' || !number(14, 2, mi))
            return bad();
        if (text.size() > 16 && (text.size() != 19 || text[16] != ':' || !number(17, 2, sec)))
            return bad();
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
        return bad();
    const std::int64_t days = days_from_civil(y, static_cast<int>(mo), static_cast<int>(d));
    if (civil_from_days(days).month != mo)  // 2026-02-30
        return bad();
    return days * 86400 + h * 3600 + mi * 60 + sec;
}

}  // namespace cv

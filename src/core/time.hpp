#pragma once
/// Wall-clock times, UTC instants and IANA time zones. Nothing here exposes date/tz.h.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace cv {

/// A calendar date and time of day with no zone, as written in a chat export.
struct LocalDateTime {
    int year = 1970;
    int month = 1;   ///< 1..12
    int day = 1;     ///< 1..31
    int hour = 0;    ///< 0..23
    int minute = 0;  ///< 0..59
    int second = 0;  ///< 0..59 (60 is rejected: exports never carry leap seconds)

    friend bool operator==(const LocalDateTime&, const LocalDateTime&) = default;
};

/// True when the fields name a real proleptic-Gregorian date and a valid time of day.
bool is_valid(const LocalDateTime& t);

/// Seconds since 1970-01-01T00:00:00 treating `t` as if it were UTC.
std::int64_t as_if_utc(const LocalDateTime& t);

/// "YYYY-MM-DDTHH:MM:SS".
std::string format_iso(const LocalDateTime& t);

/// "YYYY-MM-DDTHH:MM:SSZ" for seconds since the Unix epoch.
std::string format_utc(std::int64_t unix_seconds);

/// An instant written in UTC: "2026-11-24", "2026-11-24T09:30[:15][Z]", or Unix seconds
/// ("@1732440615"). Errors: InvalidArgument naming `what` (the option or field).
Result<std::int64_t> parse_instant(std::string_view text, std::string_view what);

/// A proleptic-Gregorian date and its day number since 1970-01-01, both ways (Howard Hinnant's
/// era-based algorithms): exact for any day count, without the ±32,767-year range of the date
/// library's types (retention periods and damaged timestamps reach far).
struct CivilDate {
    std::int64_t year = 1970;
    int month = 1;
    int day = 1;
};
CivilDate civil_from_days(std::int64_t days);
std::int64_t days_from_civil(std::int64_t year, int month, int day);

/// The same texts written into a caller's buffer of at least kIsoLength / kUtcLength bytes (no
/// allocation: the parse output writes two per item). Years outside 0..9999 are clamped.
inline constexpr std::size_t kIsoLength = 19;
inline constexpr std::size_t kUtcLength = 20;
void write_iso(const LocalDateTime& t, char* out);
void write_utc(std::int64_t unix_seconds, char* out);

/// write_iso and write_utc for a stream of times that mostly share their date, as consecutive
/// chat messages do: the date text of the previous call is kept and only "THH:MM:SS" is
/// formatted when the date repeats. Output is byte-identical to write_iso / write_utc.
/// One per writer; not thread-safe.
class StampWriter {
public:
    void iso(const LocalDateTime& t, char* out);     ///< as write_iso
    void utc(std::int64_t unix_seconds, char* out);  ///< as write_utc

private:
    bool iso_valid_ = false;  // iso_day_ and iso_date_ hold a previous call's date
    LocalDateTime iso_day_;
    char iso_date_[10] = {};
    bool utc_valid_ = false;
    std::int64_t utc_day_start_ = 0;  // unix seconds of 00:00:00 on utc_date_
    char utc_date_[10] = {};
};

/// How a wall-clock time was placed on the time line.
enum class DstResolution {
    Unique,   ///< the wall-clock time exists exactly once in the zone
    Gap,      ///< skipped by a forward transition; read with the offset in force before it
              ///< (so 02:30 in a 02:00→03:00 gap becomes 03:30 local)
    Overlap,  ///< repeated by a backward transition; the earlier instant is taken
};

std::string_view to_string(DstResolution r);

struct ZonedInstant {
    std::int64_t unix_seconds = 0;
    DstResolution resolution = DstResolution::Unique;
};

struct ZonedWallClock {
    LocalDateTime wall_clock;
    DstResolution resolution = DstResolution::Unique;  ///< Unique or Overlap
};

/// An IANA time zone from the system tz database. Cheap to copy; thread-compatible.
class TimeZone {
public:
    /// Looks a zone up by IANA name ("Europe/Madrid", "UTC").
    /// Errors: InvalidArgument naming the zone when the tz database does not know it.
    static Result<TimeZone> locate(std::string_view name);

    /// The zone's IANA name as given to locate().
    const std::string& name() const { return name_; }

    /// Places a wall-clock time on the time line; gaps and overlaps are resolved the same
    /// way every time (see DstResolution) and reported.
    ZonedInstant to_utc(const LocalDateTime& t) const;

    /// The wall clock at an instant (phone databases store instants), with Overlap when that
    /// wall-clock time occurs twice in the zone. Years are clamped to 1..9999.
    ZonedWallClock to_local(std::int64_t unix_seconds) const;

private:
    TimeZone(std::string name, const void* zone) : name_(std::move(name)), zone_(zone) {}
    std::string name_;
    const void* zone_;  // const date::time_zone*, owned by the process-wide tz database; null = UTC
};

}  // namespace cv

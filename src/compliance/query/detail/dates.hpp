#pragma once
/// Date values of the query language resolved to UTC intervals. Internal to the parser.

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/time.hpp"

namespace cv::compliance::query::detail {

/// A written date value as the half-open UTC interval [from, to) it names.
struct Interval {
    std::int64_t from = 0;
    std::int64_t to = 0;
};

/// Earliest and latest instants a query may name: every year the parser accepts, with room
/// for any zone offset, and every instant explain prints is readable again.
inline constexpr std::int64_t kMinInstant = -30610224000;  // 1000-01-01T00:00:00Z
inline constexpr std::int64_t kMaxInstant = 253370764800;  // 9999-01-01T00:00:00Z

/// Reads one date bound, already unquoted: YYYY-MM-DD (that local day),
/// YYYY-MM-DD[T| ]HH:MM (that local minute), …:SS (that local second), any of the timed forms
/// with a trailing Z (UTC instead of local), or a relative name (today, yesterday, this week,
/// last week, this month, last month, this year, last year; case-insensitive, any spacing)
/// resolved against `now` in `zone`. Weeks start on Monday (ISO 8601). Local midnights that a
/// DST change skips begin at the first instant the day has (see cv::DstResolution).
/// Returns nullopt for anything else. The caller checks the result against kMinInstant and
/// kMaxInstant.
std::optional<Interval> resolve_date(std::string_view text, const TimeZone& zone, std::int64_t now);

}  // namespace cv::compliance::query::detail

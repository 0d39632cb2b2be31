#pragma once
// Core Data times (§0.2) to the Item's three clocks.

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/time.hpp"

namespace cv::ios_db::detail {

inline constexpr std::int64_t kCoreDataEpoch = 978307200;  // 2001-01-01T00:00:00Z in Unix seconds

// A Core Data timestamp as SQLite renders it ("704735807.221498", "676082810") to whole Unix
// seconds (floored); nullopt for NULL, 0 ("not recorded", §0.2), text that is no number, and
// instants outside the years 1900..9999 (a corrupt value).
std::optional<std::int64_t> unix_from_core_data(std::string_view text);

// The number SQLite rendered as text, or nullopt.
std::optional<double> parse_number(std::string_view text);

// The calendar date and time of a Unix instant, in UTC.
LocalDateTime civil_utc(std::int64_t unix_seconds);

}  // namespace cv::ios_db::detail

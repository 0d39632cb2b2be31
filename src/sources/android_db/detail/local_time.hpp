#pragma once
/// UTC instant → wall clock in an IANA zone (core/time.hpp converts only the other way).

#include <cstdint>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"

namespace cv::android_db::detail {

class WallClock {
public:
    /// Errors: InvalidArgument for a zone the tz database does not know.
    static Result<WallClock> make(std::string_view zone);
    /// The local time at `unix_seconds` (clamped to years 1..9999).
    LocalDateTime at(std::int64_t unix_seconds) const;

private:
    explicit WallClock(const void* zone) : zone_(zone) {}
    const void* zone_;  // const date::time_zone*, owned by the tz database; null = UTC
};

}  // namespace cv::android_db::detail

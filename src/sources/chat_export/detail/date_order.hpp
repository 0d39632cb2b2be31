#pragma once
/// Decides once per file whether its numeric dates are day-first, month-first or year-first,
/// from all of its dates (specs/export-text-format.md §2.3), and says why.
///
/// Evidence, strongest first:
///  1. a 4-digit year in the first field: year-month-day;
///  2. a field above 12 can only be the day (if both positions show one, the majority wins and
///     the file is reported inconsistent);
///  3. chronology: within a year, consecutive dates should not go back in time — the order that
///     makes fewer steps backwards wins;
///  4. the field whose value changes more often is the day;
///  5. otherwise day-first, the most common order worldwide.

#include <cstdint>
#include <string>

#include "sources/chat_export/chat_export.hpp"
#include "sources/chat_export/detail/header.hpp"

namespace cv::chat_export::detail {

class DateOrderEvidence {
public:
    /// Feeds one header's date, in file order.
    void add(const Header& h, std::uint64_t line);

    std::uint64_t dates() const { return dates_; }

    struct Decision {
        DateOrder order = DateOrder::DayMonthYear;
        std::string evidence;  ///< one sentence a person can check
        bool inconsistent = false;
    };
    Decision decide() const;

private:
    std::uint64_t dates_ = 0;
    std::uint64_t year_first_ = 0;
    std::uint64_t first_over_12_ = 0, second_over_12_ = 0;
    std::uint64_t first_over_12_line_ = 0, second_over_12_line_ = 0;
    std::uint64_t back_if_dm_ = 0, back_if_md_ = 0;  // backward steps under each reading
    std::uint64_t first_changes_ = 0, second_changes_ = 0;
    bool have_prev_ = false;
    int prev_first_ = 0, prev_second_ = 0, prev_year_ = 0;
};

}  // namespace cv::chat_export::detail

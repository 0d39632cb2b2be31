#include "sources/chat_export/detail/date_order.hpp"

#include <fmt/format.h>

namespace cv::chat_export::detail {

void DateOrderEvidence::add(const Header& h, std::uint64_t line)
{
    ++dates_;
    const DayMonthPair p = day_month_pair(h);
    if (p.year_first) {
        ++year_first_;
        return;
    }
    if (p.first > 12 && first_over_12_++ == 0)
        first_over_12_line_ = line;
    if (p.second > 12 && second_over_12_++ == 0)
        second_over_12_line_ = line;
    if (have_prev_) {
        if (p.first != prev_first_)
            ++first_changes_;
        if (p.second != prev_second_)
            ++second_changes_;
        if (p.year == prev_year_) {
            // Read as day-month, the month is `second`; read as month-day, it is `first`.
            const auto dm_now = p.second * 32 + p.first, dm_prev = prev_second_ * 32 + prev_first_;
            const auto md_now = p.first * 32 + p.second, md_prev = prev_first_ * 32 + prev_second_;
            back_if_dm_ += dm_now < dm_prev;
            back_if_md_ += md_now < md_prev;
        }
    }
    have_prev_ = true;
    prev_first_ = p.first;
    prev_second_ = p.second;
    prev_year_ = p.year;
}

DateOrderEvidence::Decision DateOrderEvidence::decide() const
{
    Decision d;
    if (dates_ == 0) {
        d.evidence = "no dates; day-first assumed";
        return d;
    }
    if (year_first_ * 2 > dates_) {
        d.order = DateOrder::YearMonthDay;
        d.evidence = fmt::format("{} of {} dates start with a 4-digit year", year_first_, dates_);
        return d;
    }
    if (first_over_12_ > 0 || second_over_12_ > 0) {
        d.inconsistent = first_over_12_ > 0 && second_over_12_ > 0;
        if (first_over_12_ >= second_over_12_) {
            d.order = DateOrder::DayMonthYear;
            d.evidence = fmt::format("{} date(s) have a first field above 12 (first on line {})",
                                     first_over_12_, first_over_12_line_);
        } else {
            d.order = DateOrder::MonthDayYear;
            d.evidence = fmt::format("{} date(s) have a second field above 12 (first on line {})",
                                     second_over_12_, second_over_12_line_);
        }
        if (d.inconsistent)
            d.evidence +=
                fmt::format("; but {} date(s) contradict it (first on line {})",
                            std::min(first_over_12_, second_over_12_),
                            first_over_12_ >= second_over_12_ ? second_over_12_line_ : first_over_12_line_);
        return d;
    }
    if (back_if_dm_ != back_if_md_) {
        d.order = back_if_dm_ < back_if_md_ ? DateOrder::DayMonthYear : DateOrder::MonthDayYear;
        d.evidence =
            fmt::format("no field above 12; read {} the dates go back in time {} time(s), read {} {} time(s)",
                        d.order == DateOrder::DayMonthYear ? "day-first" : "month-first",
                        std::min(back_if_dm_, back_if_md_),
                        d.order == DateOrder::DayMonthYear ? "month-first" : "day-first",
                        std::max(back_if_dm_, back_if_md_));
        return d;
    }
    if (first_changes_ != second_changes_) {
        d.order = first_changes_ > second_changes_ ? DateOrder::DayMonthYear : DateOrder::MonthDayYear;
        d.evidence =
            fmt::format("no field above 12 and no chronology clue; the {} field changes "
                        "more often ({} vs {} times), so it is the day",
                        first_changes_ > second_changes_ ? "first" : "second",
                        std::max(first_changes_, second_changes_), std::min(first_changes_, second_changes_));
        return d;
    }
    d.evidence = "all dates are ambiguous (no field above 12, no chronology clue); day-first assumed";
    return d;
}

}  // namespace cv::chat_export::detail

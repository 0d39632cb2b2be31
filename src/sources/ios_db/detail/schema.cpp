#include "sources/ios_db/detail/schema.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace cv::ios_db::detail {

Result<TableColumns> TableColumns::read(sqlite::Snapshot& db, std::string table)
{
    CV_TRY(auto columns, db.columns(table));
    TableColumns out;
    out.table_ = std::move(table);
    out.columns_.insert(columns.begin(), columns.end());
    return out;
}

std::string TableColumns::select(std::string_view alias, std::string_view column)
{
    if (has(column))
        return fmt::format("{}.{}", alias, column);
    if (std::find(skipped_.begin(), skipped_.end(), column) == skipped_.end())
        skipped_.emplace_back(column);
    return "NULL";
}

std::string TableColumns::warning() const
{
    if (skipped_.empty())
        return {};
    std::vector<std::string> names = skipped_;  // sorted: the order select() was called in is not stable
    std::sort(names.begin(), names.end());
    return fmt::format("table {}: column{} {} missing, read as empty", table_, names.size() > 1 ? "s" : "",
                       fmt::join(names, ", "));
}

}  // namespace cv::ios_db::detail

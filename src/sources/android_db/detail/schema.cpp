#include "sources/android_db/detail/schema.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sqlite/sqlite.hpp"

namespace cv::android_db::detail {

Result<SchemaInfo> SchemaInfo::load(sqlite::Snapshot& db)
{
    CV_TRY(auto tables, db.tables());
    return SchemaInfo(db, std::move(tables));
}

bool SchemaInfo::has_table(std::string_view table) const
{
    for (const auto& t : tables_)
        if (t == table)
            return true;
    return false;
}

bool SchemaInfo::has_column(std::string_view table, std::string_view column)
{
    if (!has_table(table))
        return false;
    auto it = columns_.find(table);
    if (it == columns_.end()) {
        std::set<std::string> cols;
        // A failure here (a damaged schema) reads as "no columns": the caller reports them missing.
        if (auto names = db_->columns(table))
            cols.insert(names->begin(), names->end());
        it = columns_.emplace(std::string(table), std::move(cols)).first;
    }
    return it->second.contains(std::string(column));
}

int SelectBuilder::col(std::string_view alias, std::string_view table, std::string_view column)
{
    if (schema_->has_column(table, column)) {
        exprs_.push_back(fmt::format("{}.\"{}\"", alias, column));
    } else {
        exprs_.emplace_back("NULL");
        if (schema_->has_table(table))
            missing_[std::string(table)].emplace_back(column);
    }
    return static_cast<int>(exprs_.size()) - 1;
}

int SelectBuilder::expr(std::string_view sql)
{
    exprs_.emplace_back(sql);
    return static_cast<int>(exprs_.size()) - 1;
}

std::string SelectBuilder::list() const
{
    std::string out;
    for (std::size_t i = 0; i < exprs_.size(); ++i) {
        if (i)
            out += ", ";
        out += exprs_[i];
    }
    return out;
}

std::vector<std::string> SelectBuilder::missing_warnings(std::string_view consequence) const
{
    std::vector<std::string> out;
    for (const auto& [table, cols] : missing_)
        out.push_back(fmt::format("table {}: column{} {} missing: {}", table, cols.size() > 1 ? "s" : "",
                                  fmt::join(cols, ", "), consequence));
    return out;
}

}  // namespace cv::android_db::detail

#pragma once
/// What a database's schema holds, asked once per table, and SELECT lists built from it: a
/// column the table lacks reads as NULL, and each table with missing columns gets one warning.

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace cv::sqlite {
class Snapshot;
}

namespace cv::android_db::detail {

class SchemaInfo {
public:
    /// Reads the table names. Errors: as Snapshot::tables.
    static Result<SchemaInfo> load(sqlite::Snapshot& db);

    bool has_table(std::string_view table) const;
    bool has_column(std::string_view table, std::string_view column);
    const std::vector<std::string>& tables() const { return tables_; }
    /// Points at `db` instead (after the snapshot it was loaded from moved there).
    void rebind(sqlite::Snapshot& db) { db_ = &db; }

private:
    SchemaInfo(sqlite::Snapshot& db, std::vector<std::string> tables) : db_(&db), tables_(std::move(tables))
    {
    }
    sqlite::Snapshot* db_;
    std::vector<std::string> tables_;
    std::map<std::string, std::set<std::string>, std::less<>> columns_;  // loaded on first ask
};

/// A SELECT list over aliased tables: col() returns the result column's index.
class SelectBuilder {
public:
    explicit SelectBuilder(SchemaInfo& schema) : schema_(&schema) {}

    /// `alias.column` when `table` has it, else NULL (and the column is noted as missing when
    /// the table exists: absent tables are reported by the caller, once).
    int col(std::string_view alias, std::string_view table, std::string_view column);
    /// An arbitrary expression, used as written.
    int expr(std::string_view sql);
    std::string list() const;
    /// One warning per table with missing columns: "table messages: columns missing: a, b".
    std::vector<std::string> missing_warnings(std::string_view consequence) const;

private:
    SchemaInfo* schema_;
    std::vector<std::string> exprs_;
    std::map<std::string, std::vector<std::string>> missing_;
};

}  // namespace cv::android_db::detail

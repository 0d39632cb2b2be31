#pragma once
// Which columns a table of someone else's Core Data store has. Every query is built from
// this: a column the schema lacks is read as NULL and named in one warning per table, so an
// older or newer WhatsApp build reads as far as it can (§C.2, issue: unknown schema versions).

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "sqlite/sqlite.hpp"

namespace cv::ios_db::detail {

class TableColumns {
public:
    // The columns of `table` (none when the table is missing). Errors: as Snapshot::columns.
    static Result<TableColumns> read(sqlite::Snapshot& db, std::string table);

    bool exists() const { return !columns_.empty(); }
    bool has(std::string_view column) const { return columns_.count(std::string(column)) > 0; }
    // "alias.COLUMN" when the table has the column; "NULL" otherwise, remembering the name
    // for warning().
    std::string select(std::string_view alias, std::string_view column);
    // "table ZWAMESSAGE: columns ZSORT, ZTEXT missing, read as empty" or "" when none were.
    std::string warning() const;
    const std::string& table() const { return table_; }

private:
    std::string table_;
    std::set<std::string> columns_;
    std::vector<std::string> skipped_;
};

}  // namespace cv::ios_db::detail

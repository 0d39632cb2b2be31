#pragma once
/// A thin adapter over SQLite's C API: a connection, prepared statements with bound
/// parameters, and transactions. Nothing outside src/archive sees sqlite3.h; errors come back
/// as Result with SQLite's own message and the statement that failed.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace cv::archive::detail {

class Statement {
public:
    Statement(Statement&&) noexcept;
    Statement& operator=(Statement&&) noexcept;
    ~Statement();

    // Parameters are 1-based, as in SQL ("?1").
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, std::string_view text);
    Statement& bind_blob(int index, std::span<const std::uint8_t> bytes);
    Statement& bind_null(int index);

    /// Runs one step: true when a row is ready, false when done. Errors: Io (disk full,
    /// busy), Internal (constraint or misuse; the message names the SQL).
    Result<bool> step();
    /// step() until done, for statements that return no rows.
    Result<void> run();
    void reset();

    std::int64_t column_int(int index) const;
    std::string_view column_text(int index) const;
    std::span<const std::uint8_t> column_blob(int index) const;
    bool column_is_null(int index) const;

private:
    friend class Database;
    Statement(sqlite3_stmt* stmt, sqlite3* db);
    sqlite3_stmt* stmt_;
    sqlite3* db_;
};

class Database {
public:
    /// Opens (creating when asked) the database file. Errors: NotFound, Io.
    static Result<Database> open(const std::string& path, bool create);
    Database(Database&&) noexcept;
    Database& operator=(Database&&) noexcept;
    ~Database();

    Result<void> exec(std::string_view sql);
    Result<Statement> prepare(std::string_view sql);
    std::int64_t last_insert_rowid() const;
    std::int64_t changes() const;

private:
    explicit Database(sqlite3* db);
    sqlite3* db_;
};

/// Steps `st` through all its rows, calling `row()` on each (which reads `st`'s columns).
template <class F> Result<void> for_each_row(Statement& st, F&& row)
{
    for (;;) {
        CV_TRY(const bool more, st.step());
        if (!more)
            return {};
        row();
    }
}

/// BEGIN IMMEDIATE … COMMIT; rolls back when destroyed without commit().
class Transaction {
public:
    static Result<Transaction> begin(Database& db);
    Transaction(Transaction&&) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction();
    Result<void> commit();

private:
    explicit Transaction(Database& db) : db_(&db) {}
    Database* db_;
};

}  // namespace cv::archive::detail

#pragma once
/// The one adapter over SQLite's C API (the archive's store and the phone-database readers use
/// it): a connection, prepared statements with bound parameters, and transactions. Nothing
/// outside sqlite.cpp sees sqlite3.h; errors come back as Result with SQLite's own message and
/// the statement that failed.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace cv::sqlite {

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
    /// bind() and bind_blob() without SQLite copying the bytes: the caller keeps them alive
    /// and unchanged until the statement has run or is reset (a hot insert loop).
    Statement& bind_static(int index, std::string_view text);
    Statement& bind_blob_static(int index, std::span<const std::uint8_t> bytes);

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
    friend Result<std::vector<std::string>> peek_tables(const std::filesystem::path& db);
    explicit Database(sqlite3* db);
    sqlite3* db_;
};

/// A private copy of a database someone else owns (a phone's msgstore.db with its -wal and
/// -shm side files), opened read-only. SQLite writes to -shm, and may checkpoint -wal, even
/// when only reading; the originals must never change, so it reads a copy in a private temp
/// folder that is removed with the snapshot. The -wal is honoured: its committed pages are
/// what the phone had last.
class Snapshot {
public:
    /// Errors: NotFound, Io; Parse when the file is not an SQLite database.
    static Result<Snapshot> open(const std::filesystem::path& db);
    Snapshot(Snapshot&&) noexcept;
    Snapshot& operator=(Snapshot&&) noexcept;
    ~Snapshot();
    Database& db() { return *db_; }
    /// Names of the tables, and of one table's columns, as the schema has them.
    Result<std::vector<std::string>> tables();
    Result<std::vector<std::string>> columns(std::string_view table);

private:
    Snapshot(std::filesystem::path dir, std::unique_ptr<Database> db);
    std::filesystem::path dir_;
    std::unique_ptr<Database> db_;
};

/// The table names of a database file, read without writing anything (SQLite's immutable
/// mode: no locks, no -shm, the -wal ignored): enough to tell what kind of database it is.
/// Errors: NotFound, Parse (not SQLite).
Result<std::vector<std::string>> peek_tables(const std::filesystem::path& db);

/// True when the file starts with SQLite's header ("SQLite format 3").
bool is_sqlite_file(const std::filesystem::path& path);

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

}  // namespace cv::sqlite

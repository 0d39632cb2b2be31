#include "sqlite/sqlite.hpp"

#include <sqlite3.h>
#include <stdlib.h>

#include <cstdio>
#include <cstring>

#include <fmt/format.h>

namespace cv::sqlite {

namespace {

Error sqlite_error(sqlite3* db, int rc, std::string_view what)
{
    const char* message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    const int primary = rc & 0xFF;
    const ErrorCode code = primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_BUSY ||
                                   primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY
                               ? ErrorCode::Io
                           : primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB ? ErrorCode::Parse
                                                                                   : ErrorCode::Internal;
    return Error(code, fmt::format("{}: {}", what, message));
}

// No memory statistics: they are never read, and keeping them takes a process-wide mutex in
// every one of SQLite's allocations and frees (several per row an import writes, on three
// threads at once). Only possible before SQLite initialises itself: called before every open.
void configure_once()
{
    static const bool configured = [] {
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        return true;
    }();
    (void)configured;
}

}  // namespace

Statement::Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
Statement::Statement(Statement&& o) noexcept : stmt_(o.stmt_), db_(o.db_)
{
    o.stmt_ = nullptr;
}
Statement& Statement::operator=(Statement&& o) noexcept
{
    std::swap(stmt_, o.stmt_);
    std::swap(db_, o.db_);
    return *this;
}
Statement::~Statement()
{
    sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, std::int64_t value)
{
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
}

Statement& Statement::bind(int index, std::string_view text)
{
    sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
}

Statement& Statement::bind_blob(int index, std::span<const std::uint8_t> bytes)
{
    // An empty span still binds a zero-length blob, not NULL.
    static const std::uint8_t kEmpty = 0;
    sqlite3_bind_blob64(stmt_, index, bytes.empty() ? &kEmpty : bytes.data(), bytes.size(), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind_static(int index, std::string_view text)
{
    static const char kEmpty = 0;
    sqlite3_bind_text64(stmt_, index, text.empty() ? &kEmpty : text.data(), text.size(), SQLITE_STATIC,
                        SQLITE_UTF8);
    return *this;
}

Statement& Statement::bind_blob_static(int index, std::span<const std::uint8_t> bytes)
{
    static const std::uint8_t kEmpty = 0;
    sqlite3_bind_blob64(stmt_, index, bytes.empty() ? &kEmpty : bytes.data(), bytes.size(), SQLITE_STATIC);
    return *this;
}

Statement& Statement::bind_null(int index)
{
    sqlite3_bind_null(stmt_, index);
    return *this;
}

Result<bool> Statement::step()
{
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    const Error e = sqlite_error(db_, rc, sqlite3_sql(stmt_));
    sqlite3_reset(stmt_);
    return fail(e);
}

Result<void> Statement::run()
{
    for (;;) {
        CV_TRY(const bool row, step());
        if (!row)
            break;
    }
    reset();
    return {};
}

void Statement::reset()
{
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::column_int(int index) const
{
    return sqlite3_column_int64(stmt_, index);
}

std::string_view Statement::column_text(int index) const
{
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)))
             : std::string_view();
}

std::span<const std::uint8_t> Statement::column_blob(int index) const
{
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, index));
    return {p, p ? static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)) : 0};
}

bool Statement::column_is_null(int index) const
{
    return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

Database::Database(sqlite3* db) : db_(db) {}
Database::Database(Database&& o) noexcept : db_(o.db_)
{
    o.db_ = nullptr;
}
Database& Database::operator=(Database&& o) noexcept
{
    std::swap(db_, o.db_);
    return *this;
}
Database::~Database()
{
    sqlite3_close_v2(db_);
}

Result<Database> Database::open(const std::string& path, bool create)
{
    configure_once();
    sqlite3* db = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        Error e = sqlite_error(db, rc, fmt::format("cannot open {}", path));
        sqlite3_close_v2(db);
        if ((rc & 0xFF) == SQLITE_CANTOPEN && !create)
            return fail(ErrorCode::NotFound,
                        fmt::format("{} does not exist: run `chatvault init` first", path));
        return fail(e);
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 5000);
    return Database(db);
}

Result<void> Database::exec(std::string_view sql)
{
    const std::string text(sql);
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string m = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        return fail(sqlite_error(db_, rc, fmt::format("{}: {}", text.substr(0, 80), m)));
    }
    return {};
}

Result<Statement> Database::prepare(std::string_view sql)
{
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK)
        return fail(sqlite_error(db_, rc, std::string(sql)));
    return Statement(stmt, db_);
}

std::int64_t Database::last_insert_rowid() const
{
    return sqlite3_last_insert_rowid(db_);
}

std::int64_t Database::changes() const
{
    return sqlite3_changes64(db_);
}

Result<Transaction> Transaction::begin(Database& db)
{
    CV_TRY_VOID(db.exec("BEGIN IMMEDIATE"));
    return Transaction(db);
}

Transaction::Transaction(Transaction&& o) noexcept : db_(o.db_)
{
    o.db_ = nullptr;
}

Transaction::~Transaction()
{
    if (db_)
        (void)db_->exec("ROLLBACK");
}

Result<void> Transaction::commit()
{
    CV_TRY_VOID(db_->exec("COMMIT"));
    db_ = nullptr;
    return {};
}

Snapshot::Snapshot(std::filesystem::path dir, std::unique_ptr<Database> db)
    : dir_(std::move(dir)), db_(std::move(db))
{
}
Snapshot::Snapshot(Snapshot&&) noexcept = default;
Snapshot& Snapshot::operator=(Snapshot&&) noexcept = default;

Snapshot::~Snapshot()
{
    db_.reset();  // close before the files go
    if (!dir_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
}

Result<Snapshot> Snapshot::open(const std::filesystem::path& db)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_regular_file(db, ec))
        return fail(ErrorCode::NotFound, fmt::format("{} is not a file", db.string()));
    std::string templ = (fs::temp_directory_path(ec) / "chatvault-db-XXXXXX").string();
    if (!::mkdtemp(templ.data()))
        return fail(ErrorCode::Io,
                    fmt::format("cannot create a temporary folder for a copy of {}", db.string()));
    const fs::path dir = templ;
    const fs::path copy = dir / "db.sqlite";
    for (const char* side : {"", "-wal", "-shm"}) {
        fs::path from = db;
        from += side;
        fs::path to = copy;
        to += side;
        if (*side && !fs::exists(from, ec))
            continue;
        fs::copy_file(from, to, ec);
        if (ec) {
            fs::remove_all(dir, ec);
            return fail(ErrorCode::Io, fmt::format("cannot copy {}: {}", from.string(), ec.message()));
        }
    }
    auto opened = Database::open(copy.string(), false);
    if (!opened) {
        fs::remove_all(dir, ec);
        return fail(std::move(opened).error());
    }
    auto database = std::make_unique<Database>(std::move(*opened));
    // A file that is not SQLite fails here, at the first read.
    if (auto check = database->exec("SELECT count(*) FROM sqlite_master"); !check) {
        database.reset();
        fs::remove_all(dir, ec);
        return fail(ErrorCode::Parse,
                    fmt::format("{} is not an SQLite database (an encrypted .crypt14/.crypt15 backup "
                                "must be decrypted first): {}",
                                db.string(), check.error().message()));
    }
    return Snapshot(dir, std::move(database));
}

Result<std::vector<std::string>> Snapshot::tables()
{
    CV_TRY(auto st, db_->prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"));
    std::vector<std::string> out;
    CV_TRY_VOID(for_each_row(st, [&] { out.emplace_back(st.column_text(0)); }));
    return out;
}

Result<std::vector<std::string>> Snapshot::columns(std::string_view table)
{
    CV_TRY(auto st, db_->prepare("SELECT name FROM pragma_table_info(?1)"));
    st.bind(1, table);
    std::vector<std::string> out;
    CV_TRY_VOID(for_each_row(st, [&] { out.emplace_back(st.column_text(0)); }));
    return out;
}

bool is_sqlite_file(const std::filesystem::path& path)
{
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f)
        return false;
    char head[16] = {};
    const std::size_t n = std::fread(head, 1, sizeof head, f);
    std::fclose(f);
    return n == sizeof head && std::memcmp(head, "SQLite format 3", 16) == 0;
}

Result<std::vector<std::string>> peek_tables(const std::filesystem::path& db)
{
    if (!std::filesystem::is_regular_file(db))
        return fail(ErrorCode::NotFound, fmt::format("{} is not a file", db.string()));
    // immutable=1: SQLite reads the file as it is, without locking or creating anything.
    configure_once();
    sqlite3* handle = nullptr;
    const std::string uri = "file:" + db.string() + "?mode=ro&immutable=1";
    const int rc = sqlite3_open_v2(uri.c_str(), &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
    Database database(handle);
    if (rc != SQLITE_OK)
        return fail(ErrorCode::Parse, fmt::format("{} cannot be opened as SQLite", db.string()));
    CV_TRY(auto st, database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"));
    std::vector<std::string> out;
    auto rows = for_each_row(st, [&] { out.emplace_back(st.column_text(0)); });
    if (!rows)
        return fail(ErrorCode::Parse,
                    fmt::format("{} is not an SQLite database: {}", db.string(), rows.error().message()));
    return out;
}

}  // namespace cv::sqlite

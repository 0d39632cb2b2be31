#include "sources/phone_db/phone_db.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "sources/android_db/android_db.hpp"
#include "sources/ios_db/ios_db.hpp"
#include "sqlite/sqlite.hpp"

namespace cv::phone_db {

namespace {

// "msgstore.db.crypt14", "msgstore-2026-11-24.1.db.crypt15": an encrypted backup of one.
bool is_encrypted_backup(const std::filesystem::path& path)
{
    const std::string ext = path.extension().string();
    return ext.size() > 6 && ext.starts_with(".crypt") &&
           std::all_of(ext.begin() + 6, ext.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool is_database(const std::filesystem::path& path)
{
    return sqlite::is_sqlite_file(path) || is_encrypted_backup(path);
}

Result<std::unique_ptr<ChatSource>> open(const std::filesystem::path& path, const Options& options)
{
    if (!sqlite::is_sqlite_file(path)) {
        if (is_encrypted_backup(path))
            return fail(ErrorCode::Parse,
                        fmt::format("{} is an encrypted WhatsApp backup: decrypt it first (with "
                                    "the key from the phone) and give the decrypted msgstore.db",
                                    path.string()));
        return fail(ErrorCode::Parse, fmt::format("{} is not an SQLite database", path.string()));
    }
    CV_TRY(const auto tables, sqlite::peek_tables(path));
    const auto has = [&](std::string_view t) {
        return std::find(tables.begin(), tables.end(), t) != tables.end();
    };
    if (has("ZWAMESSAGE") || has("ZWACHATSESSION")) {
        ios_db::Options o;
        o.time_zone = options.time_zone;
        o.media_dir = options.media_dir;
        o.call_history = options.call_history;
        o.contacts = options.contacts;
        return ios_db::open_ios_db(path, o);
    }
    if (has("message") || has("messages")) {
        if (options.call_history)
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("{} is an Android database: --call-history is for iOS", path.string()));
        android_db::Options o;
        o.time_zone = options.time_zone;
        o.media_dir = options.media_dir;
        o.contacts = options.contacts;
        return android_db::open_android_db(path, o);
    }
    std::string some;
    for (std::size_t i = 0; i < tables.size() && i < 8; ++i)
        some += (i ? ", " : "") + tables[i];
    return fail(ErrorCode::InvalidArgument,
                fmt::format("{} is an SQLite database but not WhatsApp's (tables: {}{})", path.string(), some,
                            tables.size() > 8 ? ", …" : ""));
}

}  // namespace cv::phone_db

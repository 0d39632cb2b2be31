#pragma once
/// Reader for Android WhatsApp databases: a decrypted `msgstore.db` (with its `-wal`/`-shm`
/// when present) and optionally `wa.db` for contact names. Yields cv::Item through the
/// cv::ChatSource interface: messages of every type, system events and calls, with their
/// WhatsApp message keys, so a database copy deduplicates against other sources.
///
/// Stages: snapshot (a private read-only copy; the originals are never modified) → schema
/// detection (modern `message`/`chat`/`jid` tables, or the legacy flat `messages` table; a
/// 2021 "transition" database has both and is read from whichever holds the rows) →
/// identities (jid, wa.db, props) → conversations → one streaming query per schema, merged
/// with `call_log` per chat.
///
/// Times: Android stores Unix milliseconds; Item::utc holds seconds, Item::wall_clock the
/// time in Options::time_zone. A timestamp of 0 or NULL means "not recorded": such an item
/// is kept (its content matters more than its time) with utc 0, an empty wall_clock_text
/// and one warning that counts them (received/server times are tried first).

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "model/chat_source.hpp"

namespace cv::android_db {

struct Options {
    std::string time_zone = "UTC";  ///< IANA zone for Item::wall_clock (the stored times are UTC)
    /// The phone's WhatsApp media root (the folder holding `Media/`): `message_media.file_path`
    /// is relative to it. Without it every attachment is recorded as not present.
    std::optional<std::filesystem::path> media_dir;
    /// `wa.db` (contacts): address-book and push names for JIDs. Read through a snapshot too.
    std::optional<std::filesystem::path> contacts;
};

/// Which table layout a msgstore.db uses.
enum class Schema {
    Modern,  ///< 2021+: `message` with `chat_row_id`, plus `chat` and `jid`
    Legacy,  ///< before ~2021: the flat `messages` table keyed by `key_remote_jid`
};
std::string_view to_string(Schema s);  ///< "modern", "legacy"

/// The schema a database with these tables (names as in sqlite_master) is read with, or
/// nullopt when it is not a WhatsApp msgstore.db. Both layouts present means a transition
/// database: open_android_db decides by where the rows are; this answers Modern.
std::optional<Schema> classify_tables(const std::vector<std::string>& tables);

/// Opens a msgstore.db and reads everything but the message rows (identities, conversations,
/// calls); items stream from next(). The source owns its private copies of the databases,
/// which it deletes when destroyed. Errors: NotFound (no such file), Unsupported (an
/// encrypted `.crypt12/14/15` backup or another non-SQLite file: it must be decrypted first),
/// InvalidArgument (an SQLite database that is not a msgstore.db, naming its tables; an
/// unknown time zone; a contacts file that is not a wa.db), Io, Parse (a damaged database).
/// Not thread-safe: one thread reads a source; open several for several threads.
Result<std::unique_ptr<ChatSource>> open_android_db(const std::filesystem::path& msgstore,
                                                    const Options& options);

/// The schema open_android_db would read `msgstore` with (the same snapshot, detection and
/// errors), without reading anything else. For `chatvault parse` to say what it found.
Result<Schema> detect_schema(const std::filesystem::path& msgstore);

}  // namespace cv::android_db

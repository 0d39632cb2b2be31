#pragma once
/// Reader for the iPhone's WhatsApp databases (whatsapp-sources.md §C): `ChatStorage.sqlite`
/// with its -wal/-shm, and optionally `CallHistory.sqlite` (calls) and `ContactsV2.sqlite`
/// (address-book names). Yields cv::Item through the ChatSource interface, one chat after
/// another, each chat in ZSORT (time) order with its calls merged in by time.
///
/// Stages: snapshot (a private copy; the originals are never written) → schema check (which
/// tables and columns exist; what is missing is warned about, not fatal) → identities (owner,
/// chats, group members, names) → one streaming query over ZWAMESSAGE ⋈ ZWAMEDIAITEM → Item.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "model/chat_source.hpp"

namespace cv::ios_db {

struct Options {
    /// IANA zone for Item::wall_clock (the database holds UTC instants only).
    std::string time_zone = "UTC";
    /// The folder ZWAMEDIAITEM.ZMEDIALOCALPATH is relative to: the app-group container's
    /// `Message/` folder, or the container itself (its `Message/` is then tried too). Without
    /// it every attachment is recorded as not present.
    std::optional<std::filesystem::path> media_dir;
    /// CallHistory.sqlite of the same phone: one call item per call (§C.9).
    std::optional<std::filesystem::path> call_history;
    /// ContactsV2.sqlite of the same phone: address-book names for people (§C.7).
    std::optional<std::filesystem::path> contacts;
};

/// Opens an iOS ChatStorage.sqlite (and the optional side databases) read-only through
/// private snapshots and reads the chats, members and names; items are then read one at a
/// time by next(). The returned source owns its snapshots (removed when it is destroyed) and
/// is single-threaded: one caller at a time.
///
/// Errors:
/// - NotFound: a given path does not exist;
/// - Parse: a file that is not an SQLite database (an encrypted backup, a compressed file):
///   the message says it must be decrypted/extracted first;
/// - InvalidArgument: an SQLite database that is not a ChatStorage (names the tables it has,
///   and points to the Android reader for a msgstore.db), or an unknown time zone;
/// - Unsupported: a ChatStorage whose ZWAMESSAGE lacks the columns every message needs
///   (Z_PK, ZCHATSESSION);
/// - Io: the copy or a read failed.
/// The same errors for a given CallHistory or ContactsV2 (with the file named in the context):
/// a side database the caller asked for is not silently dropped (one without its main table,
/// ZWACDCALLEVENT or ZWAADDRESSBOOKCONTACT, is InvalidArgument). Other missing tables and
/// columns, in any of the three, are warnings (ChatSource::warnings()), not errors.
Result<std::unique_ptr<ChatSource>> open_ios_db(const std::filesystem::path& chat_storage,
                                                const Options& options);

}  // namespace cv::ios_db

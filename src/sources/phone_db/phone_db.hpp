#pragma once
/// Opens whichever phone database a file is — Android msgstore.db or iOS ChatStorage.sqlite —
/// by the tables it holds, read without writing anything.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "model/chat_source.hpp"

namespace cv::phone_db {

struct Options {
    std::string time_zone = "UTC";                      ///< for the items' wall-clock times
    std::optional<std::filesystem::path> media_dir;     ///< the phone's media tree, when copied off
    std::optional<std::filesystem::path> contacts;      ///< wa.db (Android) or ContactsV2.sqlite (iOS)
    std::optional<std::filesystem::path> call_history;  ///< CallHistory.sqlite (iOS)
};

/// True when the path is an SQLite file, or an encrypted backup of one (".crypt14"): a
/// database, not an export.
bool is_database(const std::filesystem::path& path);

/// Errors: InvalidArgument (an SQLite file of another app, or options for the wrong
/// platform), Parse (not SQLite: an encrypted .crypt14/.crypt15 backup must be decrypted
/// first), NotFound, Io.
Result<std::unique_ptr<ChatSource>> open(const std::filesystem::path& path, const Options& options);

}  // namespace cv::phone_db

#pragma once
/// The msgstore.db source: identities, conversations and calls read at open, message rows
/// streamed from one query (modern or legacy layout) and merged with calls per chat.

#include <memory>
#include <optional>

#include "core/result.hpp"
#include "model/chat_source.hpp"
#include "sources/address_book/address_book.hpp"
#include "sources/android_db/android_db.hpp"

namespace cv::sqlite {
class Snapshot;
}

namespace cv::android_db::detail {

/// Reads the schema of an open snapshot and decides the layout: InvalidArgument naming the
/// tables when it is not a msgstore.db. Also says whether the legacy table holds rows that the
/// modern one lacks (a transition database read from `messages`).
Result<Schema> choose_schema(sqlite::Snapshot& db);

/// Builds the source over an open snapshot (and an optional wa.db snapshot).
Result<std::unique_ptr<ChatSource>>
make_source(sqlite::Snapshot db, std::optional<address_book::AddressBook> contacts, const Options& options);

}  // namespace cv::android_db::detail

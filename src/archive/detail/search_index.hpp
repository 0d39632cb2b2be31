#pragma once
// The search index's own tables (search.cpp), kept apart from archive.cpp so that the store's
// write path and the index evolve separately. archive.cpp calls these three hooks: when an
// archive is opened, when a conversation snapshot is stored, and for every new item a commit
// stores.

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "archive/detail/crypto.hpp"
#include "core/result.hpp"
#include "model/conversation.hpp"
#include "model/item.hpp"
#include "sqlite/sqlite.hpp"

namespace cv::archive::detail {

/// Item previews are kept compressed and sealed in blocks of this many consecutive item ids.
inline constexpr std::int64_t kPreviewBlockItems = 256;

/// Creates the index tables when missing and fills them for an archive written before they
/// existed (decrypting its conversations and item records once). Runs in its own transaction.
Result<void> open_search_index(sqlite::Database& db, const Key& key);

/// Indexes a new conversation snapshot: its title and its members.
Result<void> index_conversation(sqlite::Database& db, std::int64_t id, const Conversation& conversation);

/// Per-item facts for one commit: the item's conversation, its sender's position among the
/// members, its flags, and its preview record (what a page of hits shows), written a block of
/// items at a time. Reads each conversation
/// once per commit.
class SearchFacts {
public:
    SearchFacts(sqlite::Database& db, const Key& key) : db_(db), key_(key) {}
    Result<void> add(std::int64_t item, std::int64_t conversation, const Item& content);
    /// Writes the previews add() still holds (call before the transaction commits).
    Result<void> finish();

private:
    Result<void> flush();

    sqlite::Database& db_;
    const Key& key_;
    std::optional<sqlite::Statement> drop_;
    std::optional<sqlite::Statement> insert_;
    std::optional<std::int64_t> highest_;  // the highest item indexed when the first add() came
    /// Preview records not yet written, by block (item id / kPreviewBlockItems).
    std::map<std::int64_t, std::vector<std::pair<std::int64_t, std::string>>> previews_;
    std::map<std::int64_t, Conversation> conversations_;
};

/// Disposal: the preview records of `items` are removed (their blocks rewritten, resealed), so
/// that no copy of their text is left in the index.
Result<void> forget_previews(sqlite::Database& db, const Key& key, const std::vector<std::int64_t>& items);

/// An item moved to another conversation snapshot (quarantine retry).
Result<void> reindex_item_conversation(sqlite::Database& db, std::int64_t item, std::int64_t conversation);

}  // namespace cv::archive::detail

#pragma once
// The archive's state behind its public interface, shared by the files that implement it
// (archive.cpp: items, blobs, mailboxes; deliveries.cpp: delivery state and sealed settings).

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "archive/archive.hpp"
#include "archive/detail/crypto.hpp"
#include "archive/detail/journal.hpp"
#include "sqlite/sqlite.hpp"

namespace cv::archive {

struct Archive::Impl {
    std::filesystem::path dir;
    detail::Key key;
    sqlite::Database db;
    std::optional<detail::Journal> journal;
    std::optional<Error> journal_damage;  // set when the journal was cut: read-only from then on
    int lock_fd = -1;

    // Lookups an importer makes while a commit runs on the other connection (WAL lets one
    // connection read while another writes).
    sqlite::Database read_db;

    std::int64_t pack = 0;  // the pack blobs are appended to
    int pack_fd = -1;
    std::uint64_t pack_length = 0;      // including appended, uncommitted blobs
    std::uint64_t pack_writeback = 0;   // BlobWriter: writeback started up to here
    std::mutex blobs_mutex;             // guards the two lists and the flag below
    std::vector<StoredBlob> pending;    // stored since the last take_blobs()
    std::vector<StoredBlob> in_flight;  // taken, not yet committed
    bool blob_appending = false;        // a BlobWriter is appending to the pack
    // commit(): how far each pack is synced and dropped from the page cache.
    std::map<std::int64_t, std::uint64_t> pack_dropped;

    std::unordered_map<std::string, std::int64_t> folder_ids;  // mailbox address → folder id
    std::optional<sqlite::Statement> contains_stmt;            // prepared once: asked for every item
    bool any_disposed = false;  // a retention run has removed items: commit() checks for them
    // BlobWriter's: is this content stored? On a connection of its own (another thread may be
    // committing through `db`).
    std::optional<sqlite::Database> blob_db;
    std::optional<sqlite::Statement> blob_known_stmt;

    // The chunk read last, kept for listing many items of one chunk.
    std::int64_t cached_chunk = 0;
    std::vector<std::string> cached_records;

    Impl(std::filesystem::path d, detail::Key k, sqlite::Database database, std::optional<detail::Journal> j,
         sqlite::Database reader)
        : dir(std::move(d)), key(std::move(k)), db(std::move(database)), journal(std::move(j)),
          read_db(std::move(reader))
    {
    }

    std::optional<StoredBlob> find_uncommitted(const std::array<std::uint8_t, 32>& name)
    {
        std::lock_guard lock(blobs_mutex);
        for (const auto* list : {&pending, &in_flight})
            for (const auto& b : *list)
                if (b.name == name)
                    return b;
        return std::nullopt;
    }
    ~Impl()
    {
        if (pack_fd >= 0)
            ::close(pack_fd);
        if (lock_fd >= 0)
            ::close(lock_fd);
    }

    Result<std::string> meta(std::string_view k)
    {
        CV_TRY(auto st, db.prepare("SELECT value FROM meta WHERE key = ?1"));
        st.bind(1, k);
        CV_TRY(const bool row, st.step());
        if (!row)
            return fail(ErrorCode::Parse, fmt::format("archive metadata '{}' is missing", k));
        return std::string(st.column_text(0));
    }

    Result<void> set_meta(std::string_view k, std::string_view v)
    {
        CV_TRY(auto st, db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)"));
        st.bind(1, k).bind(2, v);
        return st.run();
    }

    // Searches read the database memory-mapped: a search looks up a few rows on each of many
    // pages (32 KiB each: an item's sent time for the newest-first order, the page's previews),
    // and a fresh process copying whole pages into its page cache spent most of its time there
    // (1M items: 21 ms of SQL cold, 5 ms mapped). Only once a search runs: an import's mapped
    // pages would count as its resident memory (+135 MiB peak RSS for 1M items). SQLite clamps
    // the size to its compiled-in maximum.
    bool search_mapped = false;
    Result<void> map_for_search()
    {
        if (search_mapped)
            return {};
        search_mapped = true;
        return db.exec("PRAGMA mmap_size=4294967296");
    }

    Result<void> open_current_pack();
    Result<std::int64_t> folder_for(const std::string& address);
    /// The records of a chunk, decrypted once and kept until another chunk is asked for (the
    /// pointer is valid until then): listing, showing and delivering walk items chunk by chunk.
    Result<const std::vector<std::string>*> chunk_records(std::int64_t chunk);
    Result<detail::JournalHead> journal_append(const nlohmann::json& body);
    Result<detail::JournalHead> journal_append(const std::string& body);
    /// governance.cpp: creates the compliance tables when missing and finishes erasures a
    /// crash interrupted (called when the archive is opened).
    Result<void> open_governance();
    /// Erases the bytes of blobs a committed disposal released.
    Result<void> erase_released();
};

namespace detail {

inline std::filesystem::path pack_path(const std::filesystem::path& dir, std::int64_t id)
{
    return dir / "packs" / fmt::format("{:06}.pack", id);
}

}  // namespace detail

}  // namespace cv::archive

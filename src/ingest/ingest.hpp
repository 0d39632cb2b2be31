#pragma once
/// From a source to the archive: read items, decide whose mailboxes they belong to (user
/// mapping), store attachments, render each item to learn its Message-ID and the SHA-256 of
/// its email, and commit in batches. Also renders archived items again (show, export,
/// verify) and files quarantined items once the mapping knows a participant.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "archive/archive.hpp"
#include "core/byte_sink.hpp"
#include "core/result.hpp"
#include "mapping/mapping.hpp"
#include "model/chat_source.hpp"
#include "render/render.hpp"
#include "sources/chat_export/chat_export.hpp"

namespace cv::ingest {

/// Who is who: the mapping CSV (looked at first), the phone's owner for a chat export (the
/// address the source carries), and the normaliser for numbers.
struct MappingContext {
    const mapping::PhoneNormalizer* normalizer = nullptr;  ///< required
    const mapping::UserMapping* csv = nullptr;
    std::optional<Person> owner;            ///< --owner PHONE=EMAIL
    std::optional<std::string> owner_name;  ///< which author is the owner, when the export cannot tell
};

struct ImportOptions {
    std::string time_zone = "UTC";
    std::optional<chat_export::DateOrder> date_order;
    std::string domain = "whatsapp.invalid";
    std::size_t batch_items = 16384;  // fewer, larger commits: FTS5 flushes a segment per commit
};

struct Progress {
    std::uint64_t items = 0;
    std::uint64_t bytes = 0;        ///< of the chat text read so far
    std::uint64_t total_bytes = 0;  ///< of the chat text (0 when unknown)
};

struct ImportReport {
    std::string source;
    std::uint64_t seen = 0;
    std::uint64_t added = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t quarantined = 0;
    std::uint64_t disposed = 0;  ///< disposed of by a retention run before: not archived again
    std::uint64_t failed = 0;
    std::map<std::string, std::uint64_t> new_per_mailbox;
    std::vector<std::string> warnings;
};

/// Imports one export (anything `parse` reads). Items already archived are counted as
/// duplicates and linked to this source; an item no participant of which is mapped is kept
/// in quarantine. Errors: as chat_export::Reader::open, and the archive's.
Result<ImportReport> import_export(archive::Archive& archive, const std::filesystem::path& path,
                                   const ImportOptions& options, const MappingContext& mapping,
                                   const std::function<void(const Progress&)>& progress = {});

/// Imports every chat of a phone database (an open ChatSource: Android msgstore.db, iOS
/// ChatStorage.sqlite). Same rules as import_export; the owner is the member the database
/// marks as such. ChatSource::open_attachment is called from two threads.
Result<ImportReport> import_database(archive::Archive& archive, const std::filesystem::path& path,
                                     ChatSource& database, const ImportOptions& options,
                                     const MappingContext& mapping,
                                     const std::function<void(const Progress&)>& progress = {});

/// Renders an archived item again, byte for byte as at import.
Result<render::Rendered> render_stored(archive::Archive& archive, const archive::StoredItem& item,
                                       ByteSink& out);

/// Renders archived items again like render_stored(), keeping the renderer of the last
/// conversation snapshot and settings: creating one loads libmagic's database (an mmap, a
/// file open and page faults, ~50 µs), which dominated rendering many items in a row (export).
/// Not thread-safe: one per thread. Reads blobs through `archive.open_blob()`.
class StoredRenderer {
public:
    explicit StoredRenderer(const archive::Archive& archive);
    ~StoredRenderer();
    StoredRenderer(const StoredRenderer&) = delete;
    StoredRenderer& operator=(const StoredRenderer&) = delete;

    /// Same bytes as render_stored(). Errors: as render_stored().
    Result<render::Rendered> render(const archive::StoredItem& item, ByteSink& out);

private:
    struct State;
    std::unique_ptr<State> s_;
};

/// The SHA-256 of render_stored()'s output (for verify).
Result<Sha256Digest> rerender_hash(archive::Archive& archive, const archive::StoredItem& item);

struct RetryReport {
    std::uint64_t filed = 0;
    std::uint64_t still_quarantined = 0;
    std::map<std::string, std::uint64_t> filed_per_mailbox;
};

/// Maps the participants of every quarantined item again; files those that now have a
/// mailbox (re-rendered with their addresses, journaled).
Result<RetryReport> retry_quarantine(archive::Archive& archive, const MappingContext& mapping);

/// A ByteSink that keeps only the SHA-256 and the length of what passes through.
class HashingSink final : public ByteSink {
public:
    Result<void> write(std::string_view bytes) override
    {
        sha_.update(bytes);
        size_ += bytes.size();
        return {};
    }
    Sha256Digest finish() { return sha_.finish(); }
    std::uint64_t size() const { return size_; }

private:
    Sha256 sha_;
    std::uint64_t size_ = 0;
};

}  // namespace cv::ingest

#pragma once
/// The embedded default store: one archive directory holding
///
///   chatvault.db   SQLite (WAL) — metadata, mailboxes and folders, the contentless FTS5
///                  index, and item records (compressed in chunks, sealed with the key)
///   packs/         append-only pack files of attachment blobs (content-addressed,
///                  compressed where that pays, sealed as streams)
///   journal        append-only, hash-chained log of every change
///   key            the 32-byte archive key, mode 0600 (or $CHATVAULT_KEY_FILE)
///
/// An item is stored once and placed in the "WhatsApp Archiver" folder of every mailbox it
/// is filed to; with no mailbox it waits in quarantine with the reason. A batch commits
/// atomically with its index entries and its journal entry: killing the process at any point
/// leaves the archive as it was after the last committed batch (uncommitted pack and
/// journal tails are cut away when the archive is next opened).

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "archive/deliveries.hpp"
#include "archive/governance.hpp"
#include "core/byte_source.hpp"
#include "core/digest.hpp"
#include "core/result.hpp"
#include "model/conversation.hpp"
#include "model/item.hpp"

namespace cv::archive {

inline constexpr std::string_view kFolder = "WhatsApp Archiver";

/// Where an archive is: --archive DIR, else $CHATVAULT_ARCHIVE, else ./archive.
std::filesystem::path default_location(const std::string& flag);

/// How an item is to be rendered again (the renderer's options at import).
struct RenderSettings {
    SourceKind source = SourceKind::ChatExport;
    std::string time_zone = "UTC";
    std::string domain = "whatsapp.invalid";
};

/// An attachment's bytes once stored.
struct BlobRef {
    Sha256Digest sha256{};
    std::uint64_t size = 0;
};

/// An attachment blob written to a pack by put_blob() and not yet committed; handed to
/// commit() with the items that use it.
struct StoredBlob {
    std::array<std::uint8_t, 32> name{};  ///< keyed hash of its SHA-256
    std::uint64_t size = 0;
    std::int64_t pack = 0;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

/// The deduplication key of a Message-ID: 16 bytes of its SHA-256 (a short random key keeps
/// the unique index small and fast where the ids themselves share long prefixes).
using ItemKey = std::array<std::uint8_t, 16>;
ItemKey item_key(std::string_view message_id);

/// One item for commit(). The renderer has run: its Message-ID, hash and size are known.
struct NewItem {
    Item item;                      ///< attachments' locators are "blob:<sha256 hex>" when stored
    std::int64_t conversation = 0;  ///< from put_conversation()
    RenderSettings render;
    std::string message_id;
    std::optional<ItemKey> key;  ///< item_key(message_id) when the caller has it already
    Sha256Digest render_sha256{};
    std::uint64_t render_size = 0;
    std::vector<std::string> mailboxes;  ///< mapped participants; empty → quarantine
    std::string quarantine_reason;       ///< why, when `mailboxes` is empty
    std::string index_sender;            ///< for the full-text index
    std::string index_subject;
    std::string record;  ///< prepare_record()'s, when it was called
};

/// Serializes a new item's stored record ahead of commit(), which does it otherwise: an
/// importer calls it on the thread that rendered the item (once its attachments' locators
/// are final), to take that work off the committing thread.
void prepare_record(NewItem& item);

struct CommitReport {
    std::uint64_t added = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t quarantined = 0;
    std::uint64_t disposed = 0;  ///< items a retention run disposed of: not archived again
    std::map<std::string, std::uint64_t> new_per_mailbox;
};

struct MailboxInfo {
    std::string address;
    std::uint64_t items = 0;
};

struct ItemSummary {
    std::int64_t id = 0;
    std::string message_id;
    ItemKind kind = ItemKind::Message;
    std::int64_t utc = 0;
    bool deleted = false;
    std::uint64_t size = 0;
};

struct StoredItem {
    std::int64_t id = 0;
    std::string message_id;
    Item item;
    Conversation conversation;
    std::int64_t conversation_id = 0;  ///< the stored snapshot `conversation` is (same id: same snapshot)
    RenderSettings render;
    Sha256Digest render_sha256{};
    std::uint64_t render_size = 0;
    std::vector<std::string> mailboxes;
    std::optional<std::string> quarantine_reason;
    std::vector<std::string> sources;  ///< where it was imported from, first first
    /// The item's record, when Archive::items() was asked to leave parsing it to the caller
    /// (Archive::parse_record() fills `item` and `render` from it); empty otherwise.
    std::string record;
};

struct QuarantineEntry {
    std::int64_t id = 0;
    std::string message_id;
    std::string reason;
    std::int64_t since = 0;
};

/// One thing verify() found wrong, naming the item where it can.
struct Finding {
    std::optional<std::int64_t> item;
    std::string message_id;
    std::string problem;
};

struct VerifyReport {
    std::uint64_t items = 0;
    std::uint64_t blobs = 0;
    std::uint64_t journal_entries = 0;
    std::string journal_head;
    std::vector<Finding> findings;
};

class Archive;

/// Stores one blob whose bytes arrive piece by piece (Archive::begin_blob): an importer that
/// reads an attachment to render it stores it from the same reads. The bytes are sealed and
/// appended to the pack as they come; one writer appends at a time (write() fails with
/// Unavailable while another, unfinished, has started appending). Destroyed unfinished, it
/// stores nothing.
class BlobWriter {
public:
    ~BlobWriter();
    BlobWriter(const BlobWriter&) = delete;
    BlobWriter& operator=(const BlobWriter&) = delete;

    /// Errors: Unavailable (another writer is appending: this one is of no further use),
    /// Io.
    Result<void> write(std::span<const char> bytes);
    /// The blob's SHA-256 and size; identical content is stored once. Committed with the
    /// next commit(). Errors: Unavailable, Io.
    Result<BlobRef> finish();

private:
    friend class Archive;
    struct State;
    explicit BlobWriter(std::unique_ptr<State> s);
    std::unique_ptr<State> s_;
};

// ---- Content search over the index (search.cpp). What a query means is decided by
// src/compliance/search, which builds a tree of these conditions; the archive turns the tree
// into one SQL statement over its tables and full-text indexes.

/// One condition of an index search. Full-text expressions (`fts`) are FTS5 MATCH syntax.
struct IndexCondition {
    enum class Op {
        All,            ///< every item
        None,           ///< no item
        And,            ///< every child (`children`, at least one)
        Or,             ///< any child
        Not,            ///< not the one child
        Text,           ///< `fts` over the item index: columns sender, subject, body, attachments
        Person,         ///< a member of the item's conversation matching `fts` (columns name, phone,
                        ///< phone_tail, address) — or one of `ids` when `fts` is empty — plays `role`
        Conversation,   ///< the item's conversation title matches `fts` (column title), or is one of `ids`
        Items,          ///< the item is one of `ids`
        Utc,            ///< sent instant (unix seconds) in [from, to)
        ImportedAt,     ///< import instant in [from, to)
        Size,           ///< size of the email in bytes in [from, to)
        Kind,           ///< items of `kind`
        Deleted,        ///< a deletion tombstone
        Edited,         ///< carries the edited marker
        HasAttachment,  ///< at least one attachment whose bytes are archived
        Mailbox,        ///< placed in a mailbox: address == `text`, or (`domain`) in that domain or a
                        ///< subdomain, or (`prefix`) whose address starts with `text` (case-insensitive)
    };
    enum class Role { Sender, Recipient, Participant };
    Op op = Op::All;
    std::vector<IndexCondition> children;
    std::string fts;
    std::vector<std::int64_t> ids;  ///< Items: item ids; Person: member ids; Conversation: conversation ids
    Role role = Role::Participant;
    std::optional<std::int64_t> from, to;
    ItemKind kind = ItemKind::Message;
    std::string text;
    bool domain = false;
    bool prefix = false;
};

/// A member of a stored conversation as the search index numbers it (conversation × 65536 +
/// position among its members; members past 65,535 are not indexed).
inline constexpr std::int64_t kMemberStride = 65536;

struct IndexHit {
    std::int64_t id = 0;
    std::string message_id;
    std::int64_t conversation = 0;
    ItemKind kind = ItemKind::Message;
    std::int64_t utc = 0;
    std::int64_t imported_at = 0;
    bool deleted = false;
    std::uint64_t size = 0;
    std::vector<std::string> mailboxes;  ///< empty: in quarantine
};

struct IndexPage {
    std::uint64_t total = 0;  ///< every match, not only this page
    std::vector<IndexHit> hits;
};

/// What a page of search hits shows of an item, read without decrypting its record chunk.
struct ItemPreview {
    std::int64_t id = 0;
    Item item;             ///< only author, text, attachment names and call are filled
    bool complete = true;  ///< false: the text was cut (a long message); item() has all of it
};

/// Thread safety: an importer's pipeline may use three threads at once: one runs contains()
/// and open_blob() (reads the source and renders), one put_blob() and begin_blob() (stores
/// attachments), one take_blobs() and commit(). Nothing else may overlap.
class Archive {
public:
    /// Creates an archive in `dir` (created if missing; must be empty of an archive).
    /// Errors: InvalidArgument (already an archive), Io.
    static Result<void> create(const std::filesystem::path& dir);
    /// Opens an archive; cuts uncommitted pack and journal tails. One process at a time: when
    /// another has it open (an import, `chatvault serve`), `waiting` is called once and the
    /// call blocks until it is free. Errors: NotFound (no archive), InvalidArgument (key file
    /// does not belong to it), Io.
    static Result<Archive> open(const std::filesystem::path& dir, const std::function<void()>& waiting = {});
    Archive(Archive&&) noexcept;
    Archive& operator=(Archive&&) noexcept;
    ~Archive();

    const std::filesystem::path& dir() const;

    /// The stored conversation whose snapshot is exactly this (title, members and their
    /// mapped addresses); a new one when anything differs, so earlier items keep rendering
    /// as they did.
    Result<std::int64_t> put_conversation(const Conversation& conversation);
    /// Records an import source (path and kind) for the items of the next commits.
    Result<std::int64_t> add_source(std::string_view kind, std::string_view path);

    /// Stores bytes read from `source` after `head`; returns their SHA-256 and size. Identical
    /// content is stored once. Committed with the next commit().
    Result<BlobRef> put_blob(std::string_view head, ByteSource& source);
    /// A blob stored from bytes handed over piece by piece (see BlobWriter).
    std::unique_ptr<BlobWriter> begin_blob();
    /// The bytes of a stored blob, decrypted as a stream. Errors: NotFound, Parse (damaged).
    Result<std::unique_ptr<ByteSource>> open_blob(const Sha256Digest& sha256) const;

    /// True when an item with this Message-ID is archived (so import can skip rendering).
    Result<bool> contains(std::string_view message_id);
    /// contains() for many items at once, in one read transaction: found[i] is keys[i]'s.
    Result<std::vector<bool>> contains(std::span<const ItemKey> keys);
    /// About how many keys contains() knows (cheap: an upper bound).
    Result<std::uint64_t> key_count();
    /// Every key contains() knows (archived items, and those a retention run disposed of), in
    /// one read transaction, in no particular order. On contains()'s thread.
    Result<void> for_each_key(const std::function<void(const ItemKey&)>& each);

    /// The blobs put_blob() stored since the last call: they belong to the next commit.
    std::vector<StoredBlob> take_blobs();

    /// Commits items and the blobs they use in one transaction: new items stored, indexed and
    /// placed; known ones linked to this source and placed in any newly mapped mailbox (their
    /// content is never replaced: a later tombstone does not overwrite what is archived).
    Result<CommitReport> commit(std::int64_t source, std::vector<NewItem>& items,
                                std::vector<StoredBlob> blobs);
    /// commit() with take_blobs().
    Result<CommitReport> commit(std::int64_t source, std::vector<NewItem>& items);

    Result<std::vector<MailboxInfo>> mailboxes();
    /// Items in a mailbox's folder, oldest first. Errors: NotFound (no such mailbox/folder).
    Result<std::vector<ItemSummary>> list(std::string_view mailbox, std::string_view folder,
                                          std::uint64_t limit, std::uint64_t offset);
    Result<StoredItem> item(std::int64_t id);
    /// item() for many items, in the order given, handed to `each` one at a time (an error
    /// from `each` stops the walk and is returned). Cheaper per item than item(): statements
    /// prepared once, each conversation decrypted once. Errors: as item(), `each`'s. With
    /// `unreadable`, an item that cannot be read (e.g. its conversation's blob is missing or
    /// fails authentication) is handed to it with the error and the walk goes on (an error from
    /// `unreadable` stops it); without, the first such error stops the walk and is returned.
    /// With RecordParsing::Later each item's `item` and `render` are left empty and its
    /// `record` holds the record, for the caller to parse with parse_record() on another thread
    /// (an export reads on one thread and feeds the others: parsing was a fifth of that thread's
    /// work).
    enum class RecordParsing { Now, Later };
    Result<void> items(std::span<const std::int64_t> ids,
                       const std::function<Result<void>(StoredItem&)>& each,
                       const std::function<Result<void>(std::int64_t, const Error&)>& unreadable = {},
                       RecordParsing parsing = RecordParsing::Now);
    /// Fills `stored.item` and `stored.render` from `stored.record` (left by items() with
    /// RecordParsing::Later) and empties it; touches no archive state, so any thread may call
    /// it. Errors: Parse (a damaged record, or one of another message).
    static Result<void> parse_record(StoredItem& stored);
    Result<std::optional<std::int64_t>> find(std::string_view message_id);
    Result<std::vector<QuarantineEntry>> quarantine();
    /// Files a quarantined item: the conversation snapshot with the new mapping, the new
    /// rendering's hash, and the mailboxes. Journaled.
    Result<void> refile(std::int64_t id, std::int64_t conversation, const Sha256Digest& render_sha256,
                        std::uint64_t render_size, const std::vector<std::string>& mailboxes);

    /// Re-reads every row, record and blob and checks them against the journal. `rerender`
    /// renders an item again and returns its SHA-256 (the archive cannot render by itself).
    using Rerender = std::function<Result<Sha256Digest>(const StoredItem&)>;
    Result<VerifyReport> verify(const Rerender& rerender);

    // Delivery to mail servers (deliveries.cpp). Every placement has a delivery state; one
    // without a record is pending, so items archived before a target was set are delivered too.

    /// Mailboxes with deliveries due at `now` (pending or sending; failed ones too when asked).
    Result<std::vector<std::string>> delivery_mailboxes(std::int64_t now, bool include_failed);
    /// Up to `limit` deliveries of a mailbox due at `now` whose item comes after `after_item`,
    /// in item order (a run walks them once, so an item refused again is not retried in a
    /// loop). Errors: NotFound (no such mailbox).
    Result<std::vector<Delivery>> due_deliveries(std::string_view mailbox, std::int64_t now,
                                                 bool include_failed, std::int64_t after_item,
                                                 std::size_t limit);
    /// Records outcomes in one transaction. Errors: NotFound (an item not in that mailbox).
    Result<void> record_deliveries(std::span<const DeliveryUpdate> updates);
    /// Every delivery of a mailbox due at `now` becomes pending until `next_attempt`, with the
    /// reason, as one more attempt (a login refused or a quota reached stops them all at
    /// once). Returns how many.
    Result<std::uint64_t> defer_deliveries(std::string_view mailbox, std::int64_t now, bool include_failed,
                                           std::int64_t next_attempt, std::string_view reason);
    /// Per mailbox, every placement counted once.
    Result<std::map<std::string, DeliveryCounts>> delivery_counts();
    Result<std::vector<Delivery>> deliveries(const DeliveryQuery& query);

    /// A setting kept in the archive (not secret; e.g. the delivery target's JSON).
    Result<void> put_setting(std::string_view name, std::string_view value);
    Result<std::optional<std::string>> setting(std::string_view name);
    /// A secret (password, token), sealed with the archive key and bound to its name; never
    /// journaled or logged. An empty value removes it.
    Result<void> put_secret(std::string_view name, std::string_view value);
    Result<std::optional<std::string>> secret(std::string_view name);

    // Content search (search.cpp). The index: the item full-text index (sender, subject, body,
    // attachment names), conversation titles and members (names, phone numbers, mapped
    // addresses) in contentless FTS5 tables, per-item facts (conversation, sender, edited) and
    // the items table. Filled at commit and put_conversation; built for older archives when
    // they are first opened.

    /// Items matching `where`, newest first (sent time, then item number). Errors: InvalidArgument
    /// (an FTS expression SQLite refuses), Io.
    Result<IndexPage> search(const IndexCondition& where, std::uint64_t limit, std::uint64_t offset);
    /// Every item id matching `where`, in id order (candidates for checks the index cannot make).
    Result<std::vector<std::int64_t>> search_ids(const IndexCondition& where);
    /// Members (conversation × kMemberStride + position) whose index entry matches `fts`.
    Result<std::vector<std::int64_t>> search_members(std::string_view fts);
    /// Conversations whose title matches `fts`.
    Result<std::vector<std::int64_t>> search_conversations(std::string_view fts);
    /// Previews of the items `ids` (the hits of a page), in that order, each from a small record
    /// sealed beside the index at commit: no record chunk is decrypted. An item written by an
    /// older binary may have none: it is left out (read it with item()). Errors: Parse (damaged).
    Result<std::vector<ItemPreview>> search_previews(const std::vector<std::int64_t>& ids);
    /// The SQL search() runs for `where`, parameters written in place (for --explain).
    std::string search_sql(const IndexCondition& where);
    /// A stored conversation snapshot. Errors: NotFound, Parse (damaged).
    Result<Conversation> conversation(std::int64_t id);
    /// Up to `n` items before and after `item` in its conversation (sent time, then item
    /// number), without the item itself: {before…, after…} in time order.
    Result<std::pair<std::vector<ItemSummary>, std::vector<ItemSummary>>> around(std::int64_t item,
                                                                                 std::size_t n);

    // Compliance records (governance.cpp): documents, the audit trail, dispositions.

    /// Every document of a kind, in id order.
    Result<std::vector<Document>> documents(std::string_view kind);
    Result<std::optional<Document>> document(std::string_view kind, std::string_view id);
    /// Stores a document (replacing one with its id), or removes it when `json` is empty, and
    /// journals `event` — whose parameters carry the change — in the same transaction.
    Result<AuditRecord> put_document(std::string_view kind, std::string_view id, std::string_view json,
                                     const AuditEvent& event);
    /// Journals an event that changes nothing stored (a search, an export, a dry run).
    Result<AuditRecord> audit(const AuditEvent& event);
    /// The audit trail, oldest first. Errors: Parse (the journal cannot be read; verify says
    /// where), NotFound (no journal).
    Result<std::vector<AuditRecord>> audit_log(const AuditFilter& filter);

    /// Every placement (an item in a mailbox's folder), in item order, with what a retention
    /// decision needs.
    Result<std::vector<Placement>> placements();
    /// placements() handed to `each` one at a time as the statement steps (memory stays flat
    /// whatever the archive's size); an error from `each` stops the walk and is returned.
    /// Nothing may write to the archive from `each`.
    Result<void> placements(const std::function<Result<void>(const Placement&)>& each);
    /// The subject the full-text index holds for an item: the rendered one, which only the
    /// renderer can make again (removing an entry from a contentless index takes its text).
    using IndexedSubject = std::function<Result<std::string>(const StoredItem&)>;
    /// Removes placements in one transaction. An item whose last placement goes is removed
    /// whole: its row, its record (cut from its chunk), its index entries, and the attachments
    /// no remaining item uses (their bytes erased from the pack). What is removed is never
    /// imported again. One journal entry names every placement with its policy and the item's
    /// rendering hash, and `event`. Errors: NotFound (an item not placed in that mailbox:
    /// nothing is disposed of), the archive's.
    Result<DisposalReport> dispose(std::span<const Disposal> disposals, const AuditEvent& event,
                                   const IndexedSubject& subject);

private:
    friend class BlobWriter;
    struct Impl;
    struct ItemReader;
    explicit Archive(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace cv::archive

// Compliance records: documents (holds, policies, cases), the audit trail and dispositions.
// Each change is journaled in the transaction that makes it; what compliance writes — the
// documents and the audit parameters (a search's query names people and words) — is sealed
// with the archive key like everything else the archive holds.

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include <fcntl.h>
#include <linux/falloc.h>

#include "archive/detail/archive_impl.hpp"
#include "archive/detail/search_index.hpp"
#include "core/digest.hpp"

namespace cv::archive {

using namespace sqlite;
using detail::Bytes;
using json = nlohmann::json;

namespace {

namespace fs = std::filesystem;

// Added after format 1 shipped: created when an archive is opened without them.
constexpr std::string_view kGovernanceSchema = R"sql(
CREATE TABLE IF NOT EXISTS documents(kind TEXT NOT NULL, id TEXT NOT NULL, sealed BLOB NOT NULL,
                                     updated INTEGER NOT NULL, PRIMARY KEY(kind, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS disposed_items(key BLOB PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS disposed_placements(folder INTEGER NOT NULL, item INTEGER NOT NULL,
                                               at INTEGER NOT NULL, PRIMARY KEY(folder, item)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS erasures(pack INTEGER NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL,
                                    PRIMARY KEY(pack, offset)) WITHOUT ROWID;
)sql";

std::span<const std::uint8_t> as_bytes(std::string_view s)
{
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string_view as_text(std::span<const std::uint8_t> b)
{
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string document_context(std::string_view kind, std::string_view id)
{
    return fmt::format("document:{}:{}", kind, id);
}

constexpr std::string_view kAuditContext = "audit parameters";

/// A chunk's plain bytes: each record as a 4-byte little-endian length and its bytes (the
/// layout commit() writes and Impl::chunk_records() reads).
Bytes join_records(const std::vector<std::string>& records)
{
    Bytes out;
    for (const auto& r : records) {
        const auto n = static_cast<std::uint32_t>(r.size());
        out.insert(out.end(), {static_cast<std::uint8_t>(n), static_cast<std::uint8_t>(n >> 8),
                               static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 24)});
        out.insert(out.end(), r.begin(), r.end());
    }
    return out;
}

std::optional<Bytes> from_hex(std::string_view hex)
{
    if (hex.size() % 2 != 0)
        return std::nullopt;
    Bytes out;
    out.reserve(hex.size() / 2);
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int hi = nibble(hex[i]);
        const int lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
    }
    return out;
}

/// The journal body of an audit event: the parameters sealed, the rest in the clear so that
/// `audit` can filter without the key and a reader of the journal sees who did what when.
json audit_body(const detail::Key& key, const AuditEvent& e)
{
    json body{{"type", "audit"}, {"actor", e.actor}, {"time", e.time}, {"action", e.action}};
    body["results"] = e.results ? json(*e.results) : json(nullptr);
    body["parameters"] = to_hex(key.seal(as_bytes(e.parameters), kAuditContext));
    return body;
}

/// Reads an audit event back from a journal body (an "audit" or "dispose" entry).
std::optional<AuditEvent> audit_event(const detail::Key& key, const json& body)
{
    if (!body.is_object() || !body.contains("actor") || !body.contains("action"))
        return std::nullopt;
    AuditEvent e;
    e.actor = body.value("actor", "");
    e.time = body.value("time", std::int64_t{0});
    e.action = body.value("action", "");
    if (body.contains("results") && body["results"].is_number_unsigned())
        e.results = body["results"].get<std::uint64_t>();
    e.parameters = "{}";
    if (body.contains("parameters") && body["parameters"].is_string()) {
        const auto sealed = from_hex(body["parameters"].get<std::string>());
        auto plain =
            sealed ? key.open(*sealed, kAuditContext) : Result<Bytes>(fail(ErrorCode::Parse, "not hex"));
        e.parameters = plain ? std::string(as_text(*plain)) : R"({"error":"the parameters cannot be read"})";
    }
    return e;
}

bool matches(const AuditFilter& f, const AuditEvent& e)
{
    if (f.since && e.time < *f.since)
        return false;
    if (f.actor && e.actor != *f.actor)
        return false;
    if (f.action) {
        if (f.action->ends_with('.') ? !e.action.starts_with(*f.action) : e.action != *f.action)
            return false;
    }
    return true;
}

/// Erases a blob's bytes from its pack: a hole punched where the file system can (the blocks
/// go back to it), zeros written where it cannot. The pack keeps its length.
Result<void> erase_range(const fs::path& pack, std::uint64_t offset, std::uint64_t length)
{
    const int fd = ::open(pack.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return {};  // the pack is gone: nothing left to erase
        return fail(ErrorCode::Io, fmt::format("cannot open {}: {}", pack.string(), std::strerror(errno)));
    }
    int rc = ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                         static_cast<off_t>(length));
    if (rc != 0 && (errno == EOPNOTSUPP || errno == ENOSYS)) {
        static const std::vector<char> zeros(1 << 20, 0);
        rc = 0;
        for (std::uint64_t done = 0; done < length && rc == 0;) {
            const auto n = std::min<std::uint64_t>(zeros.size(), length - done);
            const ssize_t w = ::pwrite(fd, zeros.data(), n, static_cast<off_t>(offset + done));
            if (w < 0 && errno == EINTR)
                continue;
            rc = w > 0 ? 0 : -1;
            done += w > 0 ? static_cast<std::uint64_t>(w) : 0;
        }
    }
    if (rc == 0)
        rc = ::fdatasync(fd);
    const int saved = errno;
    ::close(fd);
    if (rc != 0)
        return fail(ErrorCode::Io, fmt::format("cannot erase {} bytes of {}: {}", length, pack.string(),
                                               std::strerror(saved)));
    return {};
}

}  // namespace

Result<void> Archive::Impl::open_governance()
{
    Impl& a = *this;
    CV_TRY_VOID(a.db.exec(kGovernanceSchema));
    CV_TRY(auto any, a.db.prepare("SELECT EXISTS(SELECT 1 FROM disposed_items)"));
    CV_TRY_VOID(any.step());
    a.any_disposed = any.column_int(0) != 0;
    any.reset();
    return erase_released();
}

Result<void> Archive::Impl::erase_released()
{
    Impl& a = *this;
    // Erasures are recorded in the transaction that released the blobs and done after it
    // commits: a crash in between leaves them here, and they are done at the next open.
    std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>> todo;
    {
        CV_TRY(auto st, a.db.prepare("SELECT pack, offset, length FROM erasures"));
        CV_TRY_VOID(for_each_row(
            st, [&] { todo.emplace_back(st.column_int(0), st.column_int(1), st.column_int(2)); }));
    }
    if (todo.empty())
        return {};
    CV_TRY(auto done, a.db.prepare("DELETE FROM erasures WHERE pack = ?1 AND offset = ?2"));
    for (const auto& [pack_id, offset, length] : todo) {
        CV_TRY_VOID(erase_range(detail::pack_path(a.dir, pack_id), static_cast<std::uint64_t>(offset),
                                static_cast<std::uint64_t>(length)));
        done.bind(1, pack_id).bind(2, offset);
        CV_TRY_VOID(done.run());
    }
    return {};
}

Result<std::vector<Document>> Archive::documents(std::string_view kind)
{
    Impl& a = *impl_;
    CV_TRY(auto st, a.db.prepare("SELECT id, sealed, updated FROM documents WHERE kind = ?1 ORDER BY id"));
    st.bind(1, kind);
    std::vector<Document> out;
    std::optional<Error> damaged;
    CV_TRY_VOID(for_each_row(st, [&] {
        Document d{std::string(kind), std::string(st.column_text(0)), {}, st.column_int(2)};
        auto plain = a.key.open(st.column_blob(1), document_context(kind, d.id));
        if (!plain) {
            damaged = Error(ErrorCode::Parse, fmt::format("the {} document '{}' is damaged", kind, d.id));
            return;
        }
        d.json = std::string(as_text(*plain));
        out.push_back(std::move(d));
    }));
    if (damaged)
        return fail(*damaged);
    return out;
}

Result<std::optional<Document>> Archive::document(std::string_view kind, std::string_view id)
{
    Impl& a = *impl_;
    CV_TRY(auto st, a.db.prepare("SELECT sealed, updated FROM documents WHERE kind = ?1 AND id = ?2"));
    st.bind(1, kind).bind(2, id);
    CV_TRY(const bool row, st.step());
    if (!row)
        return std::optional<Document>();
    CV_TRY(const auto plain, a.key.open(st.column_blob(0), document_context(kind, id)));
    return std::optional<Document>(
        Document{std::string(kind), std::string(id), std::string(as_text(plain)), st.column_int(1)});
}

Result<AuditRecord> Archive::put_document(std::string_view kind, std::string_view id,
                                          std::string_view json_text, const AuditEvent& event)
{
    Impl& a = *impl_;
    if (kind.empty() || id.empty())
        return fail(ErrorCode::InvalidArgument, "a document needs a kind and an id");
    CV_TRY(auto tx, Transaction::begin(a.db));
    if (json_text.empty()) {
        CV_TRY(auto del, a.db.prepare("DELETE FROM documents WHERE kind = ?1 AND id = ?2"));
        del.bind(1, kind).bind(2, id);
        CV_TRY_VOID(del.run());
    } else {
        CV_TRY(auto put,
               a.db.prepare("INSERT INTO documents(kind, id, sealed, updated) VALUES(?1, ?2, ?3, ?4) "
                            "ON CONFLICT(kind, id) DO UPDATE SET sealed = ?3, updated = ?4"));
        put.bind(1, kind).bind(2, id).bind_blob(3,
                                                a.key.seal(as_bytes(json_text), document_context(kind, id)));
        put.bind(4, event.time);
        CV_TRY_VOID(put.run());
    }
    CV_TRY(const auto head, a.journal_append(audit_body(a.key, event)));
    CV_TRY_VOID(tx.commit());
    return AuditRecord{head.seq, head.hash, event};
}

Result<AuditRecord> Archive::audit(const AuditEvent& event)
{
    Impl& a = *impl_;
    CV_TRY(auto tx, Transaction::begin(a.db));
    CV_TRY(const auto head, a.journal_append(audit_body(a.key, event)));
    CV_TRY_VOID(tx.commit());
    return AuditRecord{head.seq, head.hash, event};
}

Result<std::vector<AuditRecord>> Archive::audit_log(const AuditFilter& filter)
{
    Impl& a = *impl_;
    CV_TRY(const auto scan, detail::scan_journal(a.dir / "journal"));
    std::vector<AuditRecord> out;
    for (const auto& e : scan.entries) {
        // Cheap test first: most entries are imports.
        if (e.body.find("\"actor\"") == std::string::npos)
            continue;
        const auto body = json::parse(e.body, nullptr, false);
        auto event = audit_event(a.key, body);
        if (event && matches(filter, *event))
            out.push_back(AuditRecord{e.seq, e.hash, std::move(*event)});
    }
    return out;
}

Result<std::vector<Placement>> Archive::placements()
{
    std::vector<Placement> out;
    CV_TRY_VOID(placements([&](const Placement& p) -> Result<void> {
        out.push_back(p);
        return {};
    }));
    return out;
}

Result<void> Archive::placements(const std::function<Result<void>(const Placement&)>& each)
{
    Impl& a = *impl_;
    CV_TRY(auto st,
           a.db.prepare("SELECT p.item, m.address, f.name, i.kind, i.utc, i.imported_at, i.render_size "
                        "FROM placements p JOIN folders f ON f.id = p.folder JOIN mailboxes m ON "
                        "m.id = f.mailbox JOIN items i ON i.id = p.item ORDER BY p.item, m.address"));
    for (;;) {
        CV_TRY(const bool more, st.step());
        if (!more)
            return {};
        CV_TRY_VOID(
            each(Placement{st.column_int(0), std::string(st.column_text(1)), std::string(st.column_text(2)),
                           static_cast<ItemKind>(st.column_int(3)), st.column_int(4), st.column_int(5),
                           static_cast<std::uint64_t>(st.column_int(6))}));
    }
}

Result<DisposalReport> Archive::dispose(std::span<const Disposal> disposals, const AuditEvent& event,
                                        const IndexedSubject& subject)
{
    Impl& a = *impl_;
    DisposalReport report;
    if (a.journal_damage)
        return fail(Error(*a.journal_damage).with_context("the archive is read-only until it is repaired"));
    const std::int64_t t = event.time;
    CV_TRY(auto tx, Transaction::begin(a.db));
    CV_TRY(auto folder_of, a.db.prepare("SELECT f.id FROM folders f JOIN mailboxes m ON m.id = f.mailbox "
                                        "WHERE m.address = ?1 AND f.name = ?2"));
    CV_TRY(auto unplace, a.db.prepare("DELETE FROM placements WHERE folder = ?1 AND item = ?2"));
    CV_TRY(auto undeliver, a.db.prepare("DELETE FROM deliveries WHERE folder = ?1 AND item = ?2"));
    CV_TRY(auto remember, a.db.prepare("INSERT OR REPLACE INTO disposed_placements(folder, item, at) "
                                       "VALUES(?1, ?2, ?3)"));
    CV_TRY(auto sha_of, a.db.prepare("SELECT render_sha256 FROM items WHERE id = ?1"));

    std::string journal_placements = "[";
    std::set<std::int64_t> touched;
    std::map<std::string, std::int64_t> folders;
    for (const auto& d : disposals) {
        auto f = folders.find(d.mailbox);
        if (f == folders.end()) {
            folder_of.bind(1, d.mailbox).bind(2, kFolder);
            CV_TRY(const bool found, folder_of.step());
            const std::int64_t id = found ? folder_of.column_int(0) : -1;
            folder_of.reset();
            f = folders.emplace(d.mailbox, id).first;
        }
        unplace.bind(1, f->second).bind(2, d.item);
        CV_TRY_VOID(unplace.run());
        if (a.db.changes() == 0)
            return fail(
                ErrorCode::NotFound,
                fmt::format("item {} is not in mailbox {}: nothing was disposed of", d.item, d.mailbox));
        undeliver.bind(1, f->second).bind(2, d.item);
        CV_TRY_VOID(undeliver.run());
        remember.bind(1, f->second).bind(2, d.item).bind(3, t);
        CV_TRY_VOID(remember.run());
        sha_of.bind(1, d.item);
        CV_TRY(const bool row, sha_of.step());
        const std::string sha = row ? to_hex(sha_of.column_blob(0)) : std::string();
        sha_of.reset();
        if (journal_placements.size() > 1)
            journal_placements += ',';
        journal_placements += json::array({d.item, d.mailbox, d.policy, sha, d.reason}).dump();
        ++report.placements;
        touched.insert(d.item);
    }
    journal_placements += ']';

    // Items left with no placement (and not waiting in quarantine) go whole.
    std::vector<std::int64_t> gone;
    {
        CV_TRY(auto left, a.db.prepare("SELECT EXISTS(SELECT 1 FROM placements WHERE item = ?1) OR "
                                       "EXISTS(SELECT 1 FROM quarantine WHERE item = ?1)"));
        for (const std::int64_t id : touched) {
            left.bind(1, id);
            CV_TRY(const bool row, left.step());
            const bool kept = row && left.column_int(0) != 0;
            left.reset();
            if (!kept)
                gone.push_back(id);
        }
    }
    std::map<std::int64_t, std::vector<std::int64_t>> slots_by_chunk;  // chunk → slots cut
    std::set<std::vector<std::uint8_t>> released_names;
    {
        CV_TRY(auto row_of, a.db.prepare("SELECT key, chunk, slot FROM items WHERE id = ?1"));
        CV_TRY(auto unindex,
               a.db.prepare("INSERT INTO search(search, rowid, sender, subject, body, attachments) "
                            "VALUES('delete', ?1, ?2, ?3, ?4, ?5)"));
        CV_TRY(auto blobs_of, a.db.prepare("SELECT name FROM item_blobs WHERE item = ?1"));
        CV_TRY(auto tombstone, a.db.prepare("INSERT OR REPLACE INTO disposed_items(key, at) VALUES(?1, ?2)"));
        for (const std::int64_t id : gone) {
            // The index entry is removed with the text it was made from (a contentless index
            // keeps no copy of it).
            CV_TRY(const StoredItem stored, item(id));
            CV_TRY(const std::string subject_text, subject(stored));
            std::string attachment_names;
            for (const auto& att : stored.item.attachments) {
                if (!attachment_names.empty())
                    attachment_names += ' ';
                attachment_names += att.name;
            }
            unindex.bind(1, id)
                .bind(2, stored.item.author.value_or(""))
                .bind(3, subject_text)
                .bind(4, stored.item.text)
                .bind(5, attachment_names);
            CV_TRY_VOID(unindex.run());
            blobs_of.bind(1, id);
            CV_TRY_VOID(for_each_row(blobs_of, [&] {
                const auto n = blobs_of.column_blob(0);
                released_names.emplace(n.begin(), n.end());
            }));
            blobs_of.reset();
            row_of.bind(1, id);
            CV_TRY(const bool row, row_of.step());
            if (row) {
                tombstone.bind_blob(1, row_of.column_blob(0)).bind(2, t);
                slots_by_chunk[row_of.column_int(1)].push_back(row_of.column_int(2));
            }
            row_of.reset();
            if (row)
                CV_TRY_VOID(tombstone.run());
        }
        // Its placements' records go too: disposed_items keeps it out by its key, and a new item
        // that is given its id (SQLite reuses the highest) must not inherit them.
        for (const std::string_view table :
             {"search_items", "item_sources", "item_blobs", "deliveries", "disposed_placements"}) {
            CV_TRY(auto del, a.db.prepare(fmt::format("DELETE FROM {} WHERE item = ?1", table)));
            for (const std::int64_t id : gone) {
                del.bind(1, id);
                CV_TRY_VOID(del.run());
            }
        }
        CV_TRY_VOID(forget_previews(a.db, a.key, gone));  // search.cpp: their texts leave the previews
        CV_TRY(auto del, a.db.prepare("DELETE FROM items WHERE id = ?1"));
        for (const std::int64_t id : gone) {
            del.bind(1, id);
            CV_TRY_VOID(del.run());
        }
        report.items = gone.size();
        if (!gone.empty()) {
            // Item numbers are never given twice (commit() starts above this one).
            CV_TRY(
                auto floor,
                a.db.prepare("INSERT INTO meta(key, value) VALUES('item_id_floor', ?1) ON CONFLICT(key) DO "
                             "UPDATE SET value = max(CAST(value AS INTEGER), ?1)"));
            floor.bind(1, *std::max_element(gone.begin(), gone.end()));
            CV_TRY_VOID(floor.run());
        }
        if (!gone.empty())
            a.any_disposed = true;
    }

    // Records cut from their chunks: the slot stays (other items' slots do not move), empty.
    json journal_chunks = json::array();
    for (const auto& [chunk, slots] : slots_by_chunk) {
        CV_TRY(const auto* cached, a.chunk_records(chunk));
        std::vector<std::string> records = *cached;
        for (const std::int64_t slot : slots)
            if (slot >= 0 && static_cast<std::size_t>(slot) < records.size())
                records[static_cast<std::size_t>(slot)].clear();
        a.cached_chunk = 0;
        a.cached_records.clear();
        CV_TRY(auto users, a.db.prepare("SELECT count(*) FROM items WHERE chunk = ?1"));
        users.bind(1, chunk);
        CV_TRY_VOID(users.step());
        const bool empty = users.column_int(0) == 0;
        users.reset();
        if (empty) {
            CV_TRY(auto drop, a.db.prepare("DELETE FROM chunks WHERE id = ?1"));
            drop.bind(1, chunk);
            CV_TRY_VOID(drop.run());
            journal_chunks.push_back(json::array({chunk, nullptr}));
            continue;
        }
        const Bytes plain = join_records(records);
        CV_TRY(const auto packed, detail::compress(plain));
        const Bytes sealed = a.key.seal(packed, fmt::format("chunk:{}", chunk));
        CV_TRY(auto fill, a.db.prepare("UPDATE chunks SET sealed = ?2 WHERE id = ?1"));
        fill.bind(1, chunk).bind_blob(2, sealed);
        CV_TRY_VOID(fill.run());
        journal_chunks.push_back(json::array({chunk, to_hex(sha256(as_text(sealed)))}));
    }

    // Attachments no remaining item uses: their rows go now, their bytes once this commits.
    json journal_blobs = json::array();
    {
        CV_TRY(auto used, a.db.prepare("SELECT 1 FROM item_blobs WHERE name = ?1 LIMIT 1"));
        CV_TRY(auto where, a.db.prepare("DELETE FROM blobs WHERE name = ?1 RETURNING pack, offset, length"));
        CV_TRY(auto erase,
               a.db.prepare("INSERT OR IGNORE INTO erasures(pack, offset, length) VALUES(?1, ?2, ?3)"));
        for (const auto& name : released_names) {
            used.bind_blob(1, name);
            CV_TRY(const bool still, used.step());
            used.reset();
            if (still)
                continue;
            where.bind_blob(1, name);
            CV_TRY(const bool row, where.step());
            if (!row) {
                where.reset();
                continue;
            }
            const std::int64_t pack_id = where.column_int(0), offset = where.column_int(1),
                               length = where.column_int(2);
            CV_TRY_VOID(where.run());  // finish the statement before the next write
            erase.bind(1, pack_id).bind(2, offset).bind(3, length);
            CV_TRY_VOID(erase.run());
            ++report.blobs;
            report.bytes_released += static_cast<std::uint64_t>(length);
            journal_blobs.push_back(to_hex(std::span(name).first(8)));
        }
    }

    json body = audit_body(a.key, event);
    body["type"] = "dispose";
    body["results"] = report.placements;
    body["placements"] = json::parse(journal_placements);
    body["items"] = gone;
    body["chunks"] = std::move(journal_chunks);
    body["blobs"] = std::move(journal_blobs);
    CV_TRY_VOID(a.journal_append(body));
    CV_TRY_VOID(tx.commit());
    CV_TRY_VOID(a.erase_released());
    return report;
}

}  // namespace cv::archive

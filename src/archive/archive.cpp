#include "archive/archive.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <unordered_map>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/uio.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "archive/detail/archive_impl.hpp"
#include "archive/detail/crypto.hpp"
#include "archive/detail/journal.hpp"
#include "archive/detail/record.hpp"
#include "archive/detail/search_index.hpp"
#include "sqlite/sqlite.hpp"

namespace cv::archive {

namespace fs = std::filesystem;
using namespace detail;
using namespace sqlite;
using nlohmann::json;

namespace {

constexpr std::uint64_t kPackLimit = 1ull << 30;       // a new pack file after 1 GiB
constexpr std::uint64_t kWritebackBytes = 8ull << 20;  // appended bytes handed to writeback at a time
constexpr std::size_t kMaxChunkBytes = 256ull << 20;
constexpr int kFormatVersion = 1;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE packs(id INTEGER PRIMARY KEY, length INTEGER NOT NULL);
CREATE TABLE blobs(name BLOB PRIMARY KEY, size INTEGER NOT NULL, pack INTEGER NOT NULL,
                   offset INTEGER NOT NULL, length INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE chunks(id INTEGER PRIMARY KEY, items INTEGER NOT NULL, sealed BLOB NOT NULL);
CREATE TABLE conversations(id INTEGER PRIMARY KEY, snapshot BLOB NOT NULL UNIQUE, sealed BLOB NOT NULL);
CREATE TABLE sources(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, sealed_path BLOB NOT NULL,
                     imported_at INTEGER NOT NULL);
CREATE TABLE items(id INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE, message_id TEXT NOT NULL,
                   conversation INTEGER NOT NULL,
                   kind INTEGER NOT NULL, utc INTEGER NOT NULL, deleted INTEGER NOT NULL,
                   imported_at INTEGER NOT NULL, chunk INTEGER NOT NULL, slot INTEGER NOT NULL,
                   render_sha256 BLOB NOT NULL, render_size INTEGER NOT NULL);
CREATE TABLE item_sources(item INTEGER NOT NULL, source INTEGER NOT NULL, line INTEGER NOT NULL,
                          PRIMARY KEY(item, source)) WITHOUT ROWID;
CREATE TABLE item_blobs(item INTEGER NOT NULL, ordinal INTEGER NOT NULL, name BLOB NOT NULL,
                        PRIMARY KEY(item, ordinal)) WITHOUT ROWID;
CREATE INDEX item_blobs_name ON item_blobs(name);
CREATE TABLE mailboxes(id INTEGER PRIMARY KEY, address TEXT NOT NULL UNIQUE);
CREATE TABLE folders(id INTEGER PRIMARY KEY, mailbox INTEGER NOT NULL, name TEXT NOT NULL, UNIQUE(mailbox, name));
CREATE TABLE placements(folder INTEGER NOT NULL, item INTEGER NOT NULL, PRIMARY KEY(folder, item)) WITHOUT ROWID;
CREATE INDEX placements_item ON placements(item);
CREATE TABLE quarantine(item INTEGER PRIMARY KEY, reason TEXT NOT NULL, since INTEGER NOT NULL);
CREATE VIRTUAL TABLE search USING fts5(sender, subject, body, attachments, content='',
                                       tokenize='unicode61 remove_diacritics 2');
)sql";

// Delivery state and sealed secrets, added after format 1 shipped: created when an archive is
// opened without them, so older archives gain them in place.
constexpr std::string_view kDeliverySchema = R"sql(
CREATE TABLE IF NOT EXISTS deliveries(folder INTEGER NOT NULL, item INTEGER NOT NULL, state INTEGER NOT NULL,
                                      attempts INTEGER NOT NULL, next_at INTEGER NOT NULL, reason TEXT NOT NULL,
                                      uid INTEGER, updated INTEGER NOT NULL,
                                      PRIMARY KEY(folder, item)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS secrets(name TEXT PRIMARY KEY, sealed BLOB NOT NULL) WITHOUT ROWID;
)sql";

std::span<const std::uint8_t> as_bytes(std::string_view s)
{
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string_view as_text(std::span<const std::uint8_t> b)
{
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

Sha256Digest to_digest(std::span<const std::uint8_t> b)
{
    Sha256Digest d{};
    std::copy_n(b.begin(), std::min(b.size(), d.size()), d.begin());
    return d;
}

Error io_error(std::string_view what, const fs::path& path)
{
    return Error(ErrorCode::Io, fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(errno)));
}

// Writes all of `parts` at `offset`; returns how many bytes that was.
Result<std::uint64_t> pwrite_parts(int fd, std::span<iovec> parts, std::uint64_t offset, const fs::path& path)
{
    std::uint64_t total = 0;
    for (const auto& p : parts)
        total += p.iov_len;
    std::uint64_t done = 0;
    std::size_t i = 0;
    while (i < parts.size()) {
        const ssize_t w = ::pwritev(fd, parts.data() + i, static_cast<int>(parts.size() - i),
                                    static_cast<off_t>(offset + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return fail(io_error("write", path));
        done += static_cast<std::uint64_t>(w);
        // Skip what was written: whole parts, then into the part it stopped in.
        auto left = static_cast<std::size_t>(w);
        while (i < parts.size() && left >= parts[i].iov_len) {
            left -= parts[i].iov_len;
            ++i;
        }
        if (i < parts.size()) {
            parts[i].iov_base = static_cast<char*>(parts[i].iov_base) + left;
            parts[i].iov_len -= left;
        }
    }
    return total;
}

// Numbers kept as text in the meta table; a damaged value is an error, not an exception.
Result<std::uint64_t> parse_count(std::string_view text, std::string_view what)
{
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size())
        return fail(ErrorCode::Parse, fmt::format("archive metadata '{}' is damaged: \"{}\"", what, text));
    return v;
}

std::int64_t now()
{
    return static_cast<std::int64_t>(std::time(nullptr));
}

// Reads a blob back from its pack: [u32 length][sealed message]… after the stream header.
class BlobSource final : public ByteSource {
public:
    BlobSource(int fd, std::uint64_t offset, std::uint64_t length, const Key& key, fs::path path)
        : fd_(fd), pos_(offset), end_(offset + length), key_(key), path_(std::move(path))
    {
    }
    ~BlobSource() override { ::close(fd_); }
    BlobSource(const BlobSource&) = delete;
    BlobSource& operator=(const BlobSource&) = delete;

    Result<std::size_t> read(std::span<char> buf) override
    {
        while (served_ == plain_.size()) {
            if (done_)
                return std::size_t{0};
            CV_TRY_VOID(next_message());
        }
        const std::size_t n = std::min(buf.size(), plain_.size() - served_);
        std::copy_n(plain_.data() + served_, n, buf.data());
        served_ += n;
        return n;
    }

private:
    Result<void> read_exact(std::uint8_t* p, std::size_t n)
    {
        if (pos_ + n > end_)
            return fail(ErrorCode::Parse, fmt::format("blob in {} is cut short", path_.string()));
        while (n > 0) {
            const ssize_t r = ::pread(fd_, p, n, static_cast<off_t>(pos_));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return fail(ErrorCode::Parse, fmt::format("blob in {} is cut short", path_.string()));
            p += r;
            n -= static_cast<std::size_t>(r);
            pos_ += static_cast<std::uint64_t>(r);
        }
        return {};
    }

    Result<void> next_message()
    {
        if (!opener_) {
            std::array<std::uint8_t, kStreamHeaderBytes> header{};
            CV_TRY_VOID(read_exact(header.data(), header.size()));
            opener_ = std::make_unique<StreamOpener>(key_, header);
        }
        if (pos_ >= end_)
            return fail(ErrorCode::Parse,
                        fmt::format("blob in {} ends before its final part", path_.string()));
        std::array<std::uint8_t, 4> len{};
        CV_TRY_VOID(read_exact(len.data(), len.size()));
        const std::uint32_t n =
            len[0] | len[1] << 8 | len[2] << 16 | static_cast<std::uint32_t>(len[3]) << 24;
        if (n > StreamSealer::kMessageBytes + 1024)
            return fail(ErrorCode::Parse, fmt::format("blob in {} is damaged", path_.string()));
        sealed_.resize(n);
        CV_TRY_VOID(read_exact(sealed_.data(), n));
        bool last = false;
        auto plain = opener_->pull(sealed_, last);
        if (!plain)
            return fail(std::move(plain).error().with_context(path_.string()));
        plain_ = **plain;
        served_ = 0;
        if (last) {
            done_ = true;
            if (pos_ != end_)
                return fail(ErrorCode::Parse,
                            fmt::format("blob in {} has data after its end", path_.string()));
        }
        return {};
    }

    int fd_;
    std::uint64_t pos_;
    std::uint64_t end_;
    const Key& key_;
    fs::path path_;
    std::unique_ptr<StreamOpener> opener_;
    Bytes sealed_;
    Bytes plain_;
    std::size_t served_ = 0;
    bool done_ = false;
};

}  // namespace

ItemKey item_key(std::string_view message_id)
{
    const auto d = sha256(message_id);
    ItemKey k{};
    std::copy_n(d.begin(), k.size(), k.begin());
    return k;
}

void prepare_record(NewItem& n)
{
    n.record = item_record(n.item,
                           RenderContext{n.render.source, n.render.time_zone, n.render.domain, n.message_id});
}

fs::path default_location(const std::string& flag)
{
    if (!flag.empty())
        return flag;
    if (const char* env = std::getenv("CHATVAULT_ARCHIVE"); env && *env)
        return env;
    return "archive";
}

Result<void> Archive::Impl::open_current_pack()
{
    // Blobs go to the last committed pack until it is full, then to the next one; a pack gets
    // its row (and committed length) with the first commit that uses it.
    CV_TRY(auto last, db.prepare("SELECT id, length FROM packs ORDER BY id DESC LIMIT 1"));
    CV_TRY(const bool row, last.step());
    if (row && static_cast<std::uint64_t>(last.column_int(1)) < kPackLimit) {
        pack = last.column_int(0);
        pack_length = static_cast<std::uint64_t>(last.column_int(1));
    } else {
        pack = row ? last.column_int(0) + 1 : 1;
        pack_length = 0;
    }
    if (pack_fd >= 0)
        ::close(pack_fd);
    const fs::path path = pack_path(dir, pack);
    pack_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (pack_fd < 0)
        return fail(io_error("open", path));
    // Whatever lies past the committed length was never committed.
    if (::ftruncate(pack_fd, static_cast<off_t>(pack_length)) != 0)
        return fail(io_error("truncate", path));
    return {};
}

Result<std::int64_t> Archive::Impl::folder_for(const std::string& address)
{
    if (const auto it = folder_ids.find(address); it != folder_ids.end())
        return it->second;
    CV_TRY(auto mb, db.prepare("INSERT INTO mailboxes(address) VALUES(?1) ON CONFLICT(address) DO UPDATE SET "
                               "address = excluded.address RETURNING id"));
    mb.bind(1, address);
    CV_TRY_VOID(mb.step());
    const std::int64_t mailbox = mb.column_int(0);
    mb.reset();
    CV_TRY(auto f,
           db.prepare("INSERT INTO folders(mailbox, name) VALUES(?1, ?2) ON CONFLICT(mailbox, name) DO "
                      "UPDATE SET name = excluded.name RETURNING id"));
    f.bind(1, mailbox).bind(2, kFolder);
    CV_TRY_VOID(f.step());
    const std::int64_t folder = f.column_int(0);
    f.reset();
    folder_ids.emplace(address, folder);
    return folder;
}

Result<const std::vector<std::string>*> Archive::Impl::chunk_records(std::int64_t chunk)
{
    if (chunk == cached_chunk && !cached_records.empty())
        return &cached_records;
    CV_TRY(auto st, db.prepare("SELECT sealed FROM chunks WHERE id = ?1"));
    st.bind(1, chunk);
    CV_TRY(const bool row, st.step());
    if (!row)
        return fail(ErrorCode::NotFound, fmt::format("record chunk {} is missing", chunk));
    CV_TRY(const auto packed, key.open(st.column_blob(0), fmt::format("chunk:{}", chunk)));
    CV_TRY(const auto plain, decompress(packed, kMaxChunkBytes));
    const auto records = split_records(plain);
    if (!records)
        return fail(ErrorCode::Parse, fmt::format("record chunk {} is damaged", chunk));
    cached_chunk = chunk;
    cached_records.assign(records->begin(), records->end());
    return &cached_records;
}

Result<JournalHead> Archive::Impl::journal_append(const json& body)
{
    return journal_append(body.dump());
}

Result<JournalHead> Archive::Impl::journal_append(const std::string& body)
{
    if (journal_damage)
        return fail(Error(*journal_damage).with_context("the archive is read-only until it is repaired"));
    CV_TRY(const auto head, journal->append(body));
    CV_TRY_VOID(set_meta("journal_seq", std::to_string(head.seq)));
    CV_TRY_VOID(set_meta("journal_hash", head.hash));
    CV_TRY_VOID(set_meta("journal_length", std::to_string(head.length)));
    return head;
}

Archive::Archive(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Archive::Archive(Archive&&) noexcept = default;
Archive& Archive::operator=(Archive&&) noexcept = default;
Archive::~Archive() = default;

const fs::path& Archive::dir() const
{
    return impl_->dir;
}

Result<void> Archive::create(const fs::path& dir)
{
    std::error_code ec;
    fs::create_directories(dir / "packs", ec);
    if (ec)
        return fail(ErrorCode::Io, fmt::format("cannot create {}: {}", dir.string(), ec.message()));
    // Only the archive's own user: the index holds terms in the clear (README).
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    fs::permissions(dir / "packs", fs::perms::owner_all, fs::perm_options::replace, ec);
    const fs::path db_path = dir / "chatvault.db";
    if (fs::exists(db_path))
        return fail(ErrorCode::InvalidArgument, fmt::format("{} already holds an archive", dir.string()));
    const fs::path kp = key_file(dir);
    CV_TRY(auto key, Key::create(kp));
    CV_TRY(auto db, Database::open(db_path.string(), true));
    // SQLite gives its -wal and -shm files the database file's mode.
    fs::permissions(db_path, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace, ec);
    // 32 KiB pages (set before the first write; archives made earlier keep theirs): an import
    // commits tens of thousands of items at a time into B-trees that grow at their ends, and
    // larger pages cost it a fifth less of its committing thread (fewer page splits, WAL frames
    // and checkpoint writes) for the same file size.
    CV_TRY_VOID(db.exec("PRAGMA page_size=32768"));
    CV_TRY_VOID(db.exec("PRAGMA journal_mode=WAL"));
    CV_TRY(auto tx, Transaction::begin(db));
    CV_TRY_VOID(db.exec(kSchema));
    CV_TRY(auto meta, db.prepare("INSERT INTO meta(key, value) VALUES(?1, ?2)"));
    const std::pair<std::string, std::string> rows[] = {
        {"format", std::to_string(kFormatVersion)}, {"key_check", key.check_value()},
        {"created", std::to_string(now())},         {"journal_seq", "0"},
        {"journal_hash", std::string(64, '0')},     {"journal_length", "0"},
    };
    for (const auto& [k, v] : rows) {
        meta.bind(1, k).bind(2, v);
        CV_TRY_VOID(meta.run());
    }
    CV_TRY(auto journal, Journal::open(dir / "journal", JournalHead{}));
    CV_TRY(const auto head,
           journal.append(json{{"type", "init"}, {"format", kFormatVersion}, {"time", now()}}.dump()));
    CV_TRY(auto upd, db.prepare("UPDATE meta SET value = ?2 WHERE key = ?1"));
    for (const auto& [k, v] : std::initializer_list<std::pair<std::string, std::string>>{
             {"journal_seq", std::to_string(head.seq)},
             {"journal_hash", head.hash},
             {"journal_length", std::to_string(head.length)}}) {
        upd.bind(1, k).bind(2, v);
        CV_TRY_VOID(upd.run());
    }
    return tx.commit();
}

Result<Archive> Archive::open(const fs::path& dir, const std::function<void()>& waiting)
{
    const fs::path db_path = dir / "chatvault.db";
    if (!fs::exists(db_path))
        return fail(ErrorCode::NotFound,
                    fmt::format("{} is not an archive (no chatvault.db): create one with `chatvault init`",
                                dir.string()));
    // One writer at a time: a second import waits rather than interleaving pack writes.
    const fs::path lock_path = dir / "lock";
    const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd < 0)
        return fail(io_error("open", lock_path));
    if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        const bool held = errno == EWOULDBLOCK;
        if (held && waiting)
            waiting();  // another process has it: say so before blocking
        if (!held || ::flock(lock_fd, LOCK_EX) != 0) {
            const auto error = io_error("lock", lock_path);
            ::close(lock_fd);
            return fail(error);
        }
    }
    auto key = Key::load(key_file(dir));
    if (!key) {
        ::close(lock_fd);
        return fail(std::move(key).error());
    }
    CV_TRY(auto db, Database::open(db_path.string(), false));
    CV_TRY_VOID(db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY; "
                        "PRAGMA cache_size=-32768"));
    {
        // A checkpoint once the WAL holds 32 MiB, whatever the page size (archives made before
        // 32 KiB pages have 4 KiB ones): larger WALs only grew, they did not save work.
        CV_TRY(auto page, db.prepare("PRAGMA page_size"));
        CV_TRY(const bool row, page.step());
        const std::int64_t page_size = row && page.column_int(0) > 0 ? page.column_int(0) : 4096;
        CV_TRY_VOID(db.exec(fmt::format("PRAGMA wal_autocheckpoint={}", (32 << 20) / page_size)));
    }
    CV_TRY_VOID(db.exec(kDeliverySchema));
    auto read_meta = [&](std::string_view k) -> Result<std::string> {
        CV_TRY(auto st, db.prepare("SELECT value FROM meta WHERE key = ?1"));
        st.bind(1, k);
        CV_TRY(const bool row, st.step());
        if (!row)
            return fail(ErrorCode::Parse, fmt::format("archive metadata '{}' is missing", k));
        return std::string(st.column_text(0));
    };
    CV_TRY(const std::string check, read_meta("key_check"));
    if (check != key->check_value()) {
        ::close(lock_fd);
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("the key file {} does not belong to the archive in {}",
                                key_file(dir).string(), dir.string()));
    }
    // The search index's tables (search.cpp): created, and filled for an older archive, here.
    if (auto indexed = open_search_index(db, *key); !indexed) {
        ::close(lock_fd);
        return fail(std::move(indexed).error());
    }
    JournalHead head;
    CV_TRY(const std::string seq, read_meta("journal_seq"));
    CV_TRY(head.hash, read_meta("journal_hash"));
    CV_TRY(const std::string length, read_meta("journal_length"));
    CV_TRY(head.seq, parse_count(seq, "journal_seq"));
    CV_TRY(head.length, parse_count(length, "journal_length"));
    // A journal shorter than what was committed has been cut: the archive still opens, so
    // that verify can say so and name what the lost entries covered, but nothing more may be
    // written to it.
    auto journal = Journal::open(dir / "journal", head);
    std::optional<Error> journal_damage;
    if (!journal) {
        if (journal.error().code() != ErrorCode::Parse) {
            ::close(lock_fd);
            return fail(std::move(journal).error());
        }
        journal_damage = journal.error();
    }
    // Blobs appended after the last commit belong to no item: cut them away.
    {
        CV_TRY(auto packs, db.prepare("SELECT id, length FROM packs"));
        CV_TRY_VOID(for_each_row(packs, [&] {
            const fs::path p = pack_path(dir, packs.column_int(0));
            std::error_code ec;
            const auto size = fs::file_size(p, ec);
            if (!ec && size > static_cast<std::uint64_t>(packs.column_int(1)))
                fs::resize_file(p, static_cast<std::uint64_t>(packs.column_int(1)), ec);
        }));
    }
    CV_TRY(auto read_db, Database::open(db_path.string(), false));
    CV_TRY_VOID(read_db.exec("PRAGMA temp_store=MEMORY"));
    auto impl = std::make_unique<Impl>(dir, std::move(*key), std::move(db),
                                       journal ? std::optional<Journal>(std::move(*journal)) : std::nullopt,
                                       std::move(read_db));
    impl->journal_damage = std::move(journal_damage);
    impl->lock_fd = lock_fd;
    CV_TRY_VOID(impl->open_current_pack());
    CV_TRY_VOID(impl->open_governance());  // governance.cpp: compliance tables, unfinished erasures
    return Archive(std::move(impl));
}

Result<std::int64_t> Archive::put_conversation(const Conversation& conversation)
{
    Impl& a = *impl_;
    const std::string record = conversation_record(conversation);
    // A keyed name for the snapshot, so equal snapshots are found without revealing content.
    const auto name = a.key.blob_name(sha256(record));
    CV_TRY(auto find, a.db.prepare("SELECT id FROM conversations WHERE snapshot = ?1"));
    find.bind_blob(1, name);
    CV_TRY(const bool row, find.step());
    if (row)
        return find.column_int(0);
    CV_TRY(auto insert, a.db.prepare("INSERT INTO conversations(snapshot, sealed) VALUES(?1, x'')"));
    insert.bind_blob(1, name);
    CV_TRY_VOID(insert.run());
    const std::int64_t id = a.db.last_insert_rowid();
    CV_TRY(auto seal, a.db.prepare("UPDATE conversations SET sealed = ?2 WHERE id = ?1"));
    seal.bind(1, id).bind_blob(2, a.key.seal(as_bytes(record), fmt::format("conversation:{}", id)));
    CV_TRY_VOID(seal.run());
    CV_TRY_VOID(index_conversation(a.db, id, conversation));  // search.cpp
    return id;
}

Result<std::int64_t> Archive::add_source(std::string_view kind, std::string_view path)
{
    Impl& a = *impl_;
    CV_TRY(auto insert,
           a.db.prepare("INSERT INTO sources(kind, sealed_path, imported_at) VALUES(?1, x'', ?2)"));
    insert.bind(1, kind).bind(2, now());
    CV_TRY_VOID(insert.run());
    const std::int64_t id = a.db.last_insert_rowid();
    // The path names the chat ("WhatsApp Chat with …"): sealed like the content.
    CV_TRY(auto seal, a.db.prepare("UPDATE sources SET sealed_path = ?2 WHERE id = ?1"));
    seal.bind(1, id).bind_blob(2, a.key.seal(as_bytes(path), fmt::format("source:{}", id)));
    CV_TRY_VOID(seal.run());
    return id;
}

// Bytes are sealed in whole kMessageBytes pieces except the last; the stream must know which
// piece is last before sealing it, so a full piece is held back until more bytes (or the end)
// arrive. The first piece decides whether zstd is tried at all.
struct BlobWriter::State {
    Archive::Impl& a;
    Sha256 sha;
    std::uint64_t size = 0;
    // A byte in front for the sealer's flag (push_framed: nothing copied before sealing).
    std::vector<std::uint8_t> piece = std::vector<std::uint8_t>(1 + StreamSealer::kMessageBytes);
    std::size_t fill = 0;
    std::optional<StreamSealer> sealer;  // from the first sealed piece on
    bool appending = false;              // holds the pack (Impl::blob_appending)
    bool broken = false;
    std::uint64_t start = 0;
    std::uint64_t written = 0;

    explicit State(Archive::Impl& archive) : a(archive) {}
    ~State() { release(); }

    void release()
    {
        if (appending) {
            std::lock_guard lock(a.blobs_mutex);
            a.blob_appending = false;
            appending = false;
        }
    }

    // Seals the held piece and appends it (with the stream header before the first).
    Result<void> seal(bool last)
    {
        if (!appending) {
            {
                std::lock_guard lock(a.blobs_mutex);
                if (a.blob_appending) {
                    broken = true;
                    return fail(ErrorCode::Unavailable, "another attachment is being stored");
                }
                a.blob_appending = true;
                appending = true;
            }
            if (a.pack_length >= kPackLimit) {
                ::close(a.pack_fd);
                a.pack_fd = -1;
                ++a.pack;
                a.pack_length = 0;
                const fs::path next = pack_path(a.dir, a.pack);
                a.pack_fd = ::open(next.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                if (a.pack_fd < 0) {
                    broken = true;
                    return fail(io_error("create", next));
                }
            }
            start = a.pack_length;
            a.pack_writeback = std::min(a.pack_writeback, start);
            sealer.emplace(a.key, worth_compressing(std::span<const std::uint8_t>(piece.data() + 1, fill)));
        }
        sha.update(std::span<const std::uint8_t>(piece.data() + 1, fill));
        size += fill;
        const auto sealed = sealer->push_framed(std::span<std::uint8_t>(piece.data(), 1 + fill), last);
        const auto n = static_cast<std::uint32_t>(sealed.size());
        std::uint8_t len[4] = {static_cast<std::uint8_t>(n), static_cast<std::uint8_t>(n >> 8),
                               static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 24)};
        // [stream header] [u32 length] [sealed message], in one system call.
        std::array<iovec, 3> parts{};
        std::size_t count = 0;
        if (written == 0)
            parts[count++] =
                iovec{const_cast<std::uint8_t*>(sealer->header().data()), sealer->header().size()};
        parts[count++] = iovec{len, sizeof len};
        parts[count++] = iovec{const_cast<std::uint8_t*>(sealed.data()), sealed.size()};
        auto w = pwrite_parts(a.pack_fd, std::span(parts.data(), count), start + written,
                              pack_path(a.dir, a.pack));
        if (!w) {
            broken = true;
            return fail(std::move(w).error());
        }
        written += *w;
        fill = 0;
        // Start writing back what is appended, without waiting for it, every few megabytes:
        // the commit's fdatasync then finds the pages on their way to the disk already instead
        // of waiting for all of them on the committing thread.
        const std::uint64_t end = start + written;
        if (end >= a.pack_writeback + kWritebackBytes) {
            (void)::sync_file_range(a.pack_fd, static_cast<off_t>(a.pack_writeback),
                                    static_cast<off_t>(end - a.pack_writeback), SYNC_FILE_RANGE_WRITE);
            a.pack_writeback = end;
        }
        return {};
    }
};

BlobWriter::BlobWriter(std::unique_ptr<State> s) : s_(std::move(s)) {}
BlobWriter::~BlobWriter() = default;

Result<void> BlobWriter::write(std::span<const char> bytes)
{
    State& s = *s_;
    if (s.broken)
        return fail(ErrorCode::Unavailable, "attachment storage failed earlier");
    constexpr std::size_t kPiece = StreamSealer::kMessageBytes;
    while (!bytes.empty()) {
        if (s.fill == kPiece)
            CV_TRY_VOID(s.seal(false));  // more bytes came: the held piece was not the last
        const std::size_t n = std::min(bytes.size(), kPiece - s.fill);
        std::memcpy(s.piece.data() + 1 + s.fill, bytes.data(), n);
        s.fill += n;
        bytes = bytes.subspan(n);
    }
    return {};
}

Result<BlobRef> BlobWriter::finish()
{
    State& s = *s_;
    if (s.broken)
        return fail(ErrorCode::Unavailable, "attachment storage failed earlier");
    CV_TRY_VOID(s.seal(true));
    Archive::Impl& a = s.a;
    const fs::path path = pack_path(a.dir, a.pack);
    BlobRef ref{s.sha.finish(), s.size};
    const auto name = a.key.blob_name(ref.sha256);
    bool known = a.find_uncommitted(name).has_value();
    if (!known) {
        // Its own connection: commit() may be writing through the main one meanwhile.
        if (!a.blob_known_stmt) {
            if (!a.blob_db) {
                CV_TRY(auto db, sqlite::Database::open((a.dir / "chatvault.db").string(), false));
                a.blob_db.emplace(std::move(db));
            }
            CV_TRY(auto st, a.blob_db->prepare("SELECT 1 FROM blobs WHERE name = ?1"));
            a.blob_known_stmt.emplace(std::move(st));
        }
        a.blob_known_stmt->bind_blob(1, name);
        auto row = a.blob_known_stmt->step();
        a.blob_known_stmt->reset();
        CV_TRY(known, std::move(row));
    }
    if (known) {
        // Stored already: give the space back.
        if (::ftruncate(a.pack_fd, static_cast<off_t>(s.start)) != 0)
            return fail(io_error("truncate", path));
    } else {
        std::lock_guard lock(a.blobs_mutex);
        a.pending.push_back(StoredBlob{name, s.size, a.pack, s.start, s.written});
        a.pack_length = s.start + s.written;
    }
    s.release();
    s.broken = true;  // finished: nothing more to write
    return ref;
}

std::unique_ptr<BlobWriter> Archive::begin_blob()
{
    return std::unique_ptr<BlobWriter>(new BlobWriter(std::make_unique<BlobWriter::State>(*impl_)));
}

Result<BlobRef> Archive::put_blob(std::string_view head, ByteSource& source)
{
    auto writer = begin_blob();
    CV_TRY_VOID(writer->write(head));
    std::vector<char> buf(StreamSealer::kMessageBytes);
    for (;;) {
        CV_TRY(const std::size_t n, source.read(buf));
        if (n == 0)
            break;
        CV_TRY_VOID(writer->write(std::span<const char>(buf.data(), n)));
    }
    return writer->finish();
}

std::vector<StoredBlob> Archive::take_blobs()
{
    Impl& a = *impl_;
    std::lock_guard lock(a.blobs_mutex);
    std::vector<StoredBlob> taken = std::move(a.pending);
    a.pending.clear();
    a.in_flight.insert(a.in_flight.end(), taken.begin(), taken.end());
    return taken;
}

Result<std::unique_ptr<ByteSource>> Archive::open_blob(const Sha256Digest& sha256) const
{
    Impl& a = *impl_;
    const auto name = a.key.blob_name(sha256);
    std::int64_t pack = 0;
    std::uint64_t offset = 0, length = 0;
    if (const auto pending = a.find_uncommitted(name)) {
        pack = pending->pack;
        offset = pending->offset;
        length = pending->length;
    } else {
        auto& db = a.read_db;
        CV_TRY(auto find, db.prepare("SELECT pack, offset, length FROM blobs WHERE name = ?1"));
        find.bind_blob(1, name);
        CV_TRY(const bool row, find.step());
        if (!row)
            return fail(ErrorCode::NotFound, fmt::format("blob {} is not in the archive", to_hex(sha256)));
        pack = find.column_int(0);
        offset = static_cast<std::uint64_t>(find.column_int(1));
        length = static_cast<std::uint64_t>(find.column_int(2));
    }
    const fs::path path = pack_path(a.dir, pack);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(ErrorCode::NotFound, fmt::format("pack {} is missing", path.string()));
    return std::unique_ptr<ByteSource>(std::make_unique<BlobSource>(fd, offset, length, a.key, path));
}

// An item a retention run disposed of counts as archived: importing its source again must not
// bring it back.
constexpr std::string_view kContainsSql =
    "SELECT 1 FROM items WHERE key = ?1 UNION ALL SELECT 1 FROM disposed_items WHERE key = ?1 LIMIT 1";

Result<bool> Archive::contains(std::string_view message_id)
{
    Impl& a = *impl_;
    if (!a.contains_stmt) {
        CV_TRY(auto st, a.read_db.prepare(kContainsSql));
        a.contains_stmt.emplace(std::move(st));
    }
    a.contains_stmt->bind_blob(1, item_key(message_id));
    auto found = a.contains_stmt->step();
    a.contains_stmt->reset();
    return found;
}

Result<std::vector<bool>> Archive::contains(std::span<const ItemKey> keys)
{
    Impl& a = *impl_;
    std::vector<bool> found(keys.size(), false);
    if (keys.empty())
        return found;
    if (!a.contains_stmt) {
        CV_TRY(auto st, a.read_db.prepare(kContainsSql));
        a.contains_stmt.emplace(std::move(st));
    }
    // One read transaction for all of them: a statement outside one takes and drops the
    // database's read lock (and checks the WAL) for every key.
    CV_TRY_VOID(a.read_db.exec("BEGIN"));
    for (std::size_t i = 0; i < keys.size(); ++i) {
        a.contains_stmt->bind_blob(1, keys[i]);
        auto row = a.contains_stmt->step();
        a.contains_stmt->reset();
        if (!row) {
            (void)a.read_db.exec("ROLLBACK");
            return fail(std::move(row).error());
        }
        found[i] = *row;
    }
    CV_TRY_VOID(a.read_db.exec("COMMIT"));
    return found;
}

Result<std::uint64_t> Archive::key_count()
{
    CV_TRY(auto st,
           impl_->read_db.prepare(
               "SELECT (SELECT coalesce(max(id), 0) FROM items) + (SELECT count(*) FROM disposed_items)"));
    CV_TRY_VOID(st.step());
    return static_cast<std::uint64_t>(std::max<std::int64_t>(0, st.column_int(0)));
}

Result<void> Archive::for_each_key(const std::function<void(const ItemKey&)>& each)
{
    Impl& a = *impl_;
    CV_TRY(auto st, a.read_db.prepare("SELECT key FROM items UNION ALL SELECT key FROM disposed_items"));
    ItemKey key{};
    return for_each_row(st, [&] {
        const auto b = st.column_blob(0);
        key.fill(0);
        std::copy_n(b.begin(), std::min(b.size(), key.size()), key.begin());
        each(key);
    });
}

Result<CommitReport> Archive::commit(std::int64_t source, std::vector<NewItem>& items)
{
    return commit(source, items, take_blobs());
}

Result<CommitReport> Archive::commit(std::int64_t source, std::vector<NewItem>& items,
                                     std::vector<StoredBlob> blobs)
{
    Impl& a = *impl_;
    CommitReport report;
    // The blobs' bytes reach the disk before the rows that point at them.
    std::map<std::int64_t, std::uint64_t> pack_ends;
    for (const auto& b : blobs)
        pack_ends[b.pack] = std::max(pack_ends[b.pack], b.offset + b.length);
    for (const auto& [pack, end] : pack_ends) {
        const fs::path path = pack_path(a.dir, pack);
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::fdatasync(fd) != 0) {
            if (fd >= 0)
                ::close(fd);
            return fail(io_error("flush", path));
        }
        // Once on the disk, the pages are dropped from the page cache: an import writes
        // gigabytes it will not read again, and the pages freed here are the ones the next
        // blobs are written into (fresh pages cost more to fill, and push out what is read).
        auto& dropped = a.pack_dropped[pack];
        if (end > dropped) {
            (void)::posix_fadvise(fd, static_cast<off_t>(dropped), static_cast<off_t>(end - dropped),
                                  POSIX_FADV_DONTNEED);
            dropped = end;
        }
        ::close(fd);
    }
    CV_TRY(auto tx, Transaction::begin(a.db));
    const std::int64_t t = now();

    CV_TRY(auto find, a.db.prepare("SELECT id, (SELECT 1 FROM quarantine WHERE item = items.id) FROM items "
                                   "WHERE key = ?1"));
    CV_TRY(
        auto insert_item,
        a.db.prepare(
            "INSERT INTO items(message_id, conversation, kind, utc, deleted, imported_at, chunk, slot, "
            "render_sha256, render_size, key, id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
            "ON CONFLICT(key) DO NOTHING"));
    // SQLite numbers a new row after the highest one left: once a retention run has removed the
    // newest items, their numbers (named in the journal and the audit trail) would be given
    // again. The first new item then starts above the highest number ever disposed of; a NULL
    // ?12 lets SQLite number the rest.
    if (a.any_disposed) {
        CV_TRY(auto floor, a.db.prepare("SELECT (SELECT CAST(value AS INTEGER) FROM meta WHERE key = "
                                        "'item_id_floor'), (SELECT coalesce(max(id), 0) FROM items)"));
        CV_TRY_VOID(floor.step());
        if (!floor.column_is_null(0) && floor.column_int(1) < floor.column_int(0))
            insert_item.bind(12, floor.column_int(0) + 1);
    }
    CV_TRY(auto link,
           a.db.prepare("INSERT OR IGNORE INTO item_sources(item, source, line) VALUES(?1, ?2, ?3)"));
    CV_TRY(auto place, a.db.prepare("INSERT OR IGNORE INTO placements(folder, item) VALUES(?1, ?2)"));
    // A known item is placed again only where a retention run has not disposed of it.
    CV_TRY(auto replace,
           a.db.prepare("INSERT OR IGNORE INTO placements(folder, item) SELECT ?1, ?2 WHERE NOT "
                        "EXISTS(SELECT 1 FROM disposed_placements WHERE folder = ?1 AND item = ?2)"));
    std::optional<Statement> disposed;
    if (a.any_disposed) {
        CV_TRY(auto st, a.db.prepare("SELECT 1 FROM disposed_items WHERE key = ?1"));
        disposed.emplace(std::move(st));
    }
    CV_TRY(auto hold, a.db.prepare("INSERT INTO quarantine(item, reason, since) VALUES(?1, ?2, ?3)"));
    CV_TRY(auto item_blob, a.db.prepare("INSERT INTO item_blobs(item, ordinal, name) VALUES(?1, ?2, ?3)"));
    CV_TRY(auto index, a.db.prepare("INSERT INTO search(rowid, sender, subject, body, attachments) "
                                    "VALUES(?1, ?2, ?3, ?4, ?5)"));
    CV_TRY(auto blob, a.db.prepare("INSERT OR IGNORE INTO blobs(name, size, pack, offset, length) "
                                   "VALUES(?1, ?2, ?3, ?4, ?5)"));

    CV_TRY(auto new_chunk, a.db.prepare("INSERT INTO chunks(items, sealed) VALUES(0, x'')"));
    CV_TRY_VOID(new_chunk.run());
    const std::int64_t chunk = a.db.last_insert_rowid();
    SearchFacts search_facts(a.db, a.key);  // search.cpp: per-item facts for content search
    Bytes records;
    std::int64_t slot = 0;
    // The journal entry's lists, written as JSON text as they grow (a JSON value per item cost
    // more than the item's rows): [[id,"sha"],…] and [id,…].
    std::string journal_items = "[";
    std::string journal_held = "[";
    {
        // The chunk's size at once: grown as it fills, the megabytes were copied again and again.
        std::size_t bytes = 0;
        for (const auto& n : items)
            bytes += 4 + n.record.size();
        records.reserve(std::max<std::size_t>(bytes, 64 * 1024));
    }

    // Inserts a new item row; false when its key is there already.
    auto insert_new = [&](const NewItem& n, const ItemKey& key, std::int64_t at_slot) -> Result<bool> {
        insert_item.bind_static(1, n.message_id)
            .bind(2, n.conversation)
            .bind(3, static_cast<std::int64_t>(n.item.kind))
            .bind(4, n.item.utc)
            .bind(5, std::int64_t{n.item.deleted})
            .bind(6, t)
            .bind(7, chunk)
            .bind(8, at_slot)
            .bind_blob_static(9, n.render_sha256)
            .bind(10, static_cast<std::int64_t>(n.render_size))
            .bind_blob_static(11, key);
        CV_TRY_VOID(insert_item.run());
        const bool fresh = a.db.changes() > 0;
        if (fresh)
            insert_item.bind_null(12);  // an explicit first number is used once (see above)
        return fresh;
    };

    for (auto& n : items) {
        const ItemKey key = n.key ? *n.key : item_key(n.message_id);
        // A rendered item is new as far as its importer could tell: insert it straight away
        // (the unique key finds the rare one that is not); an item sent only to be linked
        // is looked up.
        if (disposed) {
            disposed->bind_blob(1, key);
            CV_TRY(const bool gone, disposed->step());
            disposed->reset();
            if (gone) {
                ++report.disposed;
                continue;
            }
        }
        bool inserted = false;
        if (n.render_size > 0) {
            CV_TRY(const bool fresh, insert_new(n, key, slot));
            inserted = fresh;
        }
        if (!inserted) {
            find.bind_blob(1, key);
            CV_TRY(const bool exists, find.step());
            if (exists) {
                const std::int64_t id = find.column_int(0);
                const bool held = !find.column_is_null(1);
                find.reset();
                ++report.duplicates;
                link.bind(1, id).bind(2, source).bind(3, static_cast<std::int64_t>(n.item.line));
                CV_TRY_VOID(link.run());
                if (!held) {
                    for (const auto& address : n.mailboxes) {
                        CV_TRY(const std::int64_t folder, a.folder_for(address));
                        replace.bind(1, folder).bind(2, id);
                        CV_TRY_VOID(replace.run());
                        if (a.db.changes() > 0)
                            ++report.new_per_mailbox[address];
                    }
                }
                continue;
            }
            find.reset();
            CV_TRY_VOID(insert_new(n, key, slot));
        }
        ++slot;
        if (n.record.empty())
            prepare_record(n);
        const std::string& record = n.record;
        const auto len = static_cast<std::uint32_t>(record.size());
        records.insert(records.end(),
                       {static_cast<std::uint8_t>(len), static_cast<std::uint8_t>(len >> 8),
                        static_cast<std::uint8_t>(len >> 16), static_cast<std::uint8_t>(len >> 24)});
        // As bytes of the vector's own type: from the string's chars it was a loop a byte at a time.
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(record.data());
        records.insert(records.end(), bytes, bytes + record.size());
        const std::int64_t id = a.db.last_insert_rowid();
        ++report.added;
        if (journal_items.size() > 1)
            journal_items += ',';
        fmt::format_to(std::back_inserter(journal_items), "[{},\"{}\"]", id,
                       to_hex(std::span(n.render_sha256).first(8)));
        link.bind(1, id).bind(2, source).bind(3, static_cast<std::int64_t>(n.item.line));
        CV_TRY_VOID(link.run());
        std::string attachment_names;
        std::int64_t ordinal = 0;
        for (const auto& att : n.item.attachments) {
            if (!attachment_names.empty())
                attachment_names += ' ';
            attachment_names += att.name;
            if (!att.locator.starts_with("blob:"))
                continue;
            const auto sha = sha256_from_hex(std::string_view(att.locator).substr(5));
            if (!sha)
                return fail(ErrorCode::Internal,
                            fmt::format("item {}: bad attachment reference", n.message_id));
            item_blob.bind(1, id).bind(2, ordinal++).bind_blob(3, a.key.blob_name(*sha));
            CV_TRY_VOID(item_blob.run());
        }
        index.bind(1, id)
            .bind_static(2, n.index_sender)
            .bind_static(3, n.index_subject)
            .bind_static(4, n.item.text)
            .bind_static(5, attachment_names);
        CV_TRY_VOID(index.run());
        CV_TRY_VOID(search_facts.add(id, n.conversation, n.item));
        if (n.mailboxes.empty()) {
            hold.bind(1, id).bind(2, n.quarantine_reason).bind(3, t);
            CV_TRY_VOID(hold.run());
            ++report.quarantined;
            if (journal_held.size() > 1)
                journal_held += ',';
            journal_held += std::to_string(id);
        }
        for (const auto& address : n.mailboxes) {
            CV_TRY(const std::int64_t folder, a.folder_for(address));
            place.bind(1, folder).bind(2, id);
            CV_TRY_VOID(place.run());
            ++report.new_per_mailbox[address];
        }
    }

    CV_TRY_VOID(search_facts.finish());

    json journal_blobs = json::array();
    for (const auto& p : blobs) {
        blob.bind_blob(1, p.name)
            .bind(2, static_cast<std::int64_t>(p.size))
            .bind(3, p.pack)
            .bind(4, static_cast<std::int64_t>(p.offset))
            .bind(5, static_cast<std::int64_t>(p.length));
        CV_TRY_VOID(blob.run());
        journal_blobs.push_back(json::array({to_hex(std::span(p.name).first(8)), p.size}));
    }
    std::string chunk_sha;
    if (slot > 0) {
        // Megabytes each: let go of every copy as soon as the next one is made.
        Bytes sealed;
        {
            CV_TRY(const auto packed, compress(records));
            Bytes().swap(records);
            sealed = a.key.seal(packed, fmt::format("chunk:{}", chunk));
        }
        chunk_sha = to_hex(sha256(as_text(sealed)));
        CV_TRY(auto fill, a.db.prepare("UPDATE chunks SET items = ?2, sealed = ?3 WHERE id = ?1"));
        fill.bind(1, chunk).bind(2, slot).bind_blob_static(3, sealed);
        CV_TRY_VOID(fill.run());
    } else {
        CV_TRY(auto drop, a.db.prepare("DELETE FROM chunks WHERE id = ?1"));
        drop.bind(1, chunk);
        CV_TRY_VOID(drop.run());
    }
    CV_TRY(auto pack_len,
           a.db.prepare("INSERT INTO packs(id, length) VALUES(?1, ?2) ON CONFLICT(id) DO UPDATE SET "
                        "length = max(length, excluded.length)"));
    for (const auto& [pack, end] : pack_ends) {
        pack_len.bind(1, pack).bind(2, static_cast<std::int64_t>(end));
        CV_TRY_VOID(pack_len.run());
    }

    journal_items += ']';
    journal_held += ']';
    // As nlohmann::json would write it (keys in order, no spaces): the journal is read back
    // with it.
    const std::string body = fmt::format(
        "{{\"blobs\":{},\"chunk\":{},\"chunk_sha256\":{},\"duplicates\":{},\"items\":{},\"quarantined\":{},"
        "\"source\":{},\"time\":{},\"type\":\"import\"}}",
        journal_blobs.dump(), slot > 0 ? std::to_string(chunk) : "null", json(chunk_sha).dump(),
        report.duplicates, journal_items, journal_held, source, t);
    CV_TRY_VOID(a.journal_append(body));
    CV_TRY_VOID(tx.commit());
    {
        std::lock_guard lock(a.blobs_mutex);
        std::erase_if(a.in_flight, [&](const StoredBlob& b) {
            return std::any_of(blobs.begin(), blobs.end(),
                               [&](const StoredBlob& c) { return c.name == b.name; });
        });
    }
    return report;
}

Result<std::vector<MailboxInfo>> Archive::mailboxes()
{
    CV_TRY(auto st,
           impl_->db.prepare("SELECT m.address, (SELECT count(*) FROM folders f JOIN placements p ON "
                             "p.folder = f.id WHERE f.mailbox = m.id) FROM mailboxes m ORDER BY m.address"));
    std::vector<MailboxInfo> out;
    CV_TRY_VOID(for_each_row(st, [&] {
        out.push_back(
            MailboxInfo{std::string(st.column_text(0)), static_cast<std::uint64_t>(st.column_int(1))});
    }));
    return out;
}

Result<std::vector<ItemSummary>> Archive::list(std::string_view mailbox, std::string_view folder,
                                               std::uint64_t limit, std::uint64_t offset)
{
    CV_TRY(auto f, impl_->db.prepare("SELECT f.id FROM folders f JOIN mailboxes m ON m.id = f.mailbox "
                                     "WHERE m.address = ?1 AND f.name = ?2"));
    f.bind(1, mailbox).bind(2, folder);
    CV_TRY(const bool found, f.step());
    if (!found)
        return fail(ErrorCode::NotFound, fmt::format("no folder \"{}\" in mailbox {}", folder, mailbox));
    const std::int64_t folder_id = f.column_int(0);
    CV_TRY(auto st,
           impl_->db.prepare("SELECT i.id, i.message_id, i.kind, i.utc, i.deleted, i.render_size FROM "
                             "placements p JOIN items i ON i.id = p.item WHERE p.folder = ?1 "
                             "ORDER BY i.utc, i.id LIMIT ?2 OFFSET ?3"));
    st.bind(1, folder_id)
        .bind(2, static_cast<std::int64_t>(limit))
        .bind(3, static_cast<std::int64_t>(offset));
    std::vector<ItemSummary> out;
    CV_TRY_VOID(for_each_row(st, [&] {
        out.push_back(ItemSummary{st.column_int(0), std::string(st.column_text(1)),
                                  static_cast<ItemKind>(st.column_int(2)), st.column_int(3),
                                  st.column_int(4) != 0, static_cast<std::uint64_t>(st.column_int(5))});
    }));
    return out;
}

Result<std::optional<std::int64_t>> Archive::find(std::string_view message_id)
{
    CV_TRY(auto st, impl_->db.prepare("SELECT id FROM items WHERE key = ?1"));
    st.bind_blob(1, item_key(message_id));
    CV_TRY(const bool row, st.step());
    if (!row)
        return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(st.column_int(0));
}

namespace {

// Fills a stored item's `item` and `render` from its record.
Result<void> parse_stored_record(StoredItem& stored, std::string_view record)
{
    RenderContext context;
    CV_TRY_VOID(parse_item_record(record, stored.item, context));
    if (context.message_id != stored.message_id)
        return fail(ErrorCode::Parse, fmt::format("item {}: its record belongs to {}, not {}", stored.id,
                                                  context.message_id, stored.message_id));
    stored.render = RenderSettings{context.source, context.time_zone, context.domain};
    return {};
}

}  // namespace

// Reads stored items with its statements prepared once and the conversations and source
// paths it has decrypted kept: item() reads one, items() many (an export reads every item of
// a search; preparing three statements and decrypting the conversation per item was half of
// its time).
struct Archive::ItemReader {
    sqlite::Statement st, mb, src;
    std::unordered_map<std::int64_t, Conversation> conversations;
    std::unordered_map<std::int64_t, std::string> sources;

    static Result<ItemReader> make(sqlite::Database& db)
    {
        CV_TRY(auto st,
               db.prepare("SELECT i.message_id, i.conversation, i.chunk, i.slot, i.render_sha256, "
                          "i.render_size, c.sealed, (SELECT reason FROM quarantine WHERE item = i.id) FROM "
                          "items i LEFT JOIN conversations c ON c.id = i.conversation WHERE i.id = ?1"));
        CV_TRY(auto mb,
               db.prepare("SELECT m.address FROM placements p JOIN folders f ON f.id = p.folder JOIN "
                          "mailboxes m ON m.id = f.mailbox WHERE p.item = ?1 ORDER BY m.address"));
        CV_TRY(auto src,
               db.prepare("SELECT s.id, s.sealed_path, x.line FROM item_sources x JOIN sources s ON "
                          "s.id = x.source WHERE x.item = ?1 ORDER BY s.id"));
        return ItemReader{std::move(st), std::move(mb), std::move(src), {}, {}};
    }

    Result<StoredItem> read(Impl& a, std::int64_t id, RecordParsing parsing = RecordParsing::Now)
    {
        st.reset();
        st.bind(1, id);
        CV_TRY(const bool row, st.step());
        if (!row)
            return fail(ErrorCode::NotFound, fmt::format("no item {} in the archive", id));
        StoredItem out;
        out.id = id;
        out.message_id = st.column_text(0);
        const std::int64_t conversation = st.column_int(1);
        out.conversation_id = conversation;
        const std::int64_t chunk = st.column_int(2);
        const auto slot = static_cast<std::size_t>(st.column_int(3));
        out.render_sha256 = to_digest(st.column_blob(4));
        out.render_size = static_cast<std::uint64_t>(st.column_int(5));
        if (st.column_is_null(6))
            return fail(ErrorCode::NotFound,
                        fmt::format("item {}: its conversation {} is missing", id, conversation));
        if (const auto known = conversations.find(conversation); known != conversations.end()) {
            out.conversation = known->second;
        } else {
            CV_TRY(const auto conv_plain,
                   a.key.open(st.column_blob(6), fmt::format("conversation:{}", conversation)));
            CV_TRY(out.conversation, parse_conversation_record(as_text(conv_plain)));
            if (conversations.size() >= 4096)
                conversations.clear();  // bounded: an export over many chats reads them again
            conversations.emplace(conversation, out.conversation);
        }
        if (!st.column_is_null(7))
            out.quarantine_reason = std::string(st.column_text(7));
        CV_TRY(const auto* records, a.chunk_records(chunk));
        if (slot >= records->size())
            return fail(ErrorCode::Parse,
                        fmt::format("item {}: its record is missing from chunk {}", id, chunk));
        if (parsing == RecordParsing::Now)
            CV_TRY_VOID(parse_stored_record(out, (*records)[slot]));
        else
            out.record = (*records)[slot];
        mb.reset();
        mb.bind(1, id);
        CV_TRY_VOID(for_each_row(mb, [&] { out.mailboxes.emplace_back(mb.column_text(0)); }));
        src.reset();
        src.bind(1, id);
        CV_TRY_VOID(for_each_row(src, [&] {
            const std::int64_t source = src.column_int(0);
            auto known = sources.find(source);
            if (known == sources.end()) {
                auto path = a.key.open(src.column_blob(1), fmt::format("source:{}", source));
                known =
                    sources.emplace(source, path ? std::string(as_text(*path)) : "(damaged source record)")
                        .first;
            }
            out.sources.push_back(fmt::format("{}:{}", known->second, src.column_int(2)));
        }));
        return out;
    }
};

Result<StoredItem> Archive::item(std::int64_t id)
{
    CV_TRY(auto reader, ItemReader::make(impl_->db));
    return reader.read(*impl_, id);
}

Result<void> Archive::parse_record(StoredItem& stored)
{
    CV_TRY_VOID(parse_stored_record(stored, stored.record));
    std::string().swap(stored.record);
    return {};
}

Result<void> Archive::items(std::span<const std::int64_t> ids,
                            const std::function<Result<void>(StoredItem&)>& each,
                            const std::function<Result<void>(std::int64_t, const Error&)>& unreadable,
                            RecordParsing parsing)
{
    CV_TRY(auto reader, ItemReader::make(impl_->db));
    // The items are read a batch at a time inside one read transaction (a savepoint, which
    // also nests in a transaction the caller has open): outside one, each of the three
    // statements per item takes and drops the database's read lock and looks at the WAL, an
    // eighth of an export's reading thread. Batches, not the whole walk, so that a long export
    // does not keep the WAL from being checkpointed meanwhile.
    constexpr std::size_t kBatch = 512;
    struct ReadTransaction {
        sqlite::Database& db;
        bool open = false;
        ~ReadTransaction()
        {
            if (open)
                (void)db.exec("RELEASE items_read");
        }
        Result<void> begin()
        {
            CV_TRY_VOID(db.exec("SAVEPOINT items_read"));
            open = true;
            return {};
        }
        Result<void> end()
        {
            open = false;
            return db.exec("RELEASE items_read");
        }
    } tx{impl_->db};
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i % kBatch == 0) {
            if (tx.open)
                CV_TRY_VOID(tx.end());
            CV_TRY_VOID(tx.begin());
        }
        const std::int64_t id = ids[i];
        auto stored = reader.read(*impl_, id, parsing);
        if (!stored) {
            if (!unreadable)
                return fail(stored.error());
            CV_TRY_VOID(unreadable(id, stored.error()));
            continue;
        }
        CV_TRY_VOID(each(*stored));
    }
    if (tx.open)
        CV_TRY_VOID(tx.end());
    return {};
}

Result<std::vector<QuarantineEntry>> Archive::quarantine()
{
    CV_TRY(auto st,
           impl_->db.prepare("SELECT q.item, i.message_id, q.reason, q.since FROM quarantine q JOIN items "
                             "i ON i.id = q.item ORDER BY q.item"));
    std::vector<QuarantineEntry> out;
    CV_TRY_VOID(for_each_row(st, [&] {
        out.push_back(QuarantineEntry{st.column_int(0), std::string(st.column_text(1)),
                                      std::string(st.column_text(2)), st.column_int(3)});
    }));
    return out;
}

Result<void> Archive::refile(std::int64_t id, std::int64_t conversation, const Sha256Digest& render_sha256,
                             std::uint64_t render_size, const std::vector<std::string>& mailboxes)
{
    Impl& a = *impl_;
    if (mailboxes.empty())
        return fail(ErrorCode::InvalidArgument, "refile needs at least one mailbox");
    CV_TRY(auto tx, Transaction::begin(a.db));
    CV_TRY(auto upd, a.db.prepare("UPDATE items SET conversation = ?2, render_sha256 = ?3, render_size = ?4 "
                                  "WHERE id = ?1"));
    upd.bind(1, id)
        .bind(2, conversation)
        .bind_blob(3, render_sha256)
        .bind(4, static_cast<std::int64_t>(render_size));
    CV_TRY_VOID(upd.run());
    CV_TRY(auto place, a.db.prepare("INSERT OR IGNORE INTO placements(folder, item) VALUES(?1, ?2)"));
    for (const auto& address : mailboxes) {
        CV_TRY(const std::int64_t folder, a.folder_for(address));
        place.bind(1, folder).bind(2, id);
        CV_TRY_VOID(place.run());
    }
    CV_TRY_VOID(reindex_item_conversation(a.db, id, conversation));  // search.cpp
    CV_TRY(auto release, a.db.prepare("DELETE FROM quarantine WHERE item = ?1"));
    release.bind(1, id);
    CV_TRY_VOID(release.run());
    CV_TRY_VOID(a.journal_append(json{{"type", "refile"},
                                      {"time", now()},
                                      {"item", id},
                                      {"render_sha256", to_hex(std::span(render_sha256).first(8))},
                                      {"mailboxes", mailboxes.size()}}));
    return tx.commit();
}

Result<VerifyReport> Archive::verify(const Rerender& rerender)
{
    Impl& a = *impl_;
    VerifyReport report;
    auto finding = [&](std::optional<std::int64_t> id, std::string message_id, std::string problem) {
        report.findings.push_back(Finding{id, std::move(message_id), std::move(problem)});
    };

    // 1. The journal: an unbroken chain that ends where the archive says it does.
    CV_TRY(const auto scan, scan_journal(a.dir / "journal"));
    for (const auto& p : scan.problems)
        finding(std::nullopt, "", p);
    report.journal_entries = scan.entries.size();
    CV_TRY(const std::string seq, a.meta("journal_seq"));
    CV_TRY(const std::string head, a.meta("journal_hash"));
    report.journal_head = head;
    CV_TRY(const std::uint64_t committed, parse_count(seq, "journal_seq"));
    const bool cut = scan.entries.size() < committed;
    if (cut)
        finding(std::nullopt, "",
                fmt::format("the journal ends at entry {} but the archive committed {}: it was cut",
                            scan.entries.size(), seq));
    else if (scan.entries.empty() || scan.entries.back().hash != head)
        finding(std::nullopt, "", "the journal's last entry is not the head the archive committed");

    std::map<std::int64_t, std::string> expected;  // item id → first 8 bytes of its rendering's SHA-256
    std::map<std::int64_t, std::string> chunk_sha;
    for (const auto& e : scan.entries) {
        const auto body = json::parse(e.body, nullptr, false);
        if (body.is_discarded())
            continue;
        const std::string type = body.value("type", "");
        try {
            if (type == "import") {
                for (const auto& it : body.at("items"))
                    expected[it.at(0).get<std::int64_t>()] = it.at(1).get<std::string>();
                if (!body.at("chunk").is_null())
                    chunk_sha[body.at("chunk").get<std::int64_t>()] =
                        body.at("chunk_sha256").get<std::string>();
            } else if (type == "refile") {
                expected[body.at("item").get<std::int64_t>()] = body.at("render_sha256").get<std::string>();
            } else if (type == "dispose") {
                // governance.cpp: items removed whole, and the chunks their records were cut from.
                for (const auto& it : body.at("items"))
                    expected.erase(it.get<std::int64_t>());
                for (const auto& c : body.at("chunks")) {
                    if (c.at(1).is_null())
                        chunk_sha.erase(c.at(0).get<std::int64_t>());
                    else
                        chunk_sha[c.at(0).get<std::int64_t>()] = c.at(1).get<std::string>();
                }
            }
        } catch (const json::exception&) {
            // A chained entry of the wrong shape was written so (its hash covers it): say so.
            finding(std::nullopt, "", fmt::format("journal entry {} ({}) cannot be read", e.seq, type));
        }
    }

    // 2. Rows against the journal.
    std::vector<std::pair<std::int64_t, std::string>> rows;
    {
        CV_TRY(auto st, a.db.prepare("SELECT id, message_id, render_sha256 FROM items ORDER BY id"));
        CV_TRY_VOID(for_each_row(st, [&] {
            const std::int64_t id = st.column_int(0);
            std::string message_id(st.column_text(1));
            const auto it = expected.find(id);
            if (it == expected.end()) {
                finding(id, message_id,
                        cut ? "the journal entry that recorded it is gone (the journal was cut)"
                            : "its row is not in the journal (added behind the archive's back)");
            } else {
                if (to_hex(st.column_blob(2).first(std::min<std::size_t>(8, st.column_blob(2).size()))) !=
                    it->second)
                    finding(id, message_id, "its recorded hash differs from the journal's");
                expected.erase(it);
            }
            rows.emplace_back(id, std::move(message_id));
        }));
    }
    for (const auto& [id, sha] : expected)
        finding(id, "", "the journal records it but its row is gone");
    report.items = rows.size();

    // 3. Record chunks, byte for byte.
    {
        CV_TRY(auto st, a.db.prepare("SELECT id, sealed FROM chunks"));
        CV_TRY(auto members, a.db.prepare("SELECT id, message_id FROM items WHERE chunk = ?1"));
        for (;;) {
            CV_TRY(const bool row, st.step());
            if (!row)
                break;
            const std::int64_t chunk = st.column_int(0);
            const auto it = chunk_sha.find(chunk);
            const bool ok = it != chunk_sha.end() && to_hex(sha256(as_text(st.column_blob(1)))) == it->second;
            if (it != chunk_sha.end())
                chunk_sha.erase(it);
            if (ok)
                continue;
            members.bind(1, chunk);
            for (;;) {
                CV_TRY(const bool m, members.step());
                if (!m)
                    break;
                finding(members.column_int(0), std::string(members.column_text(1)),
                        fmt::format("its record chunk {} was altered", chunk));
            }
            members.reset();
        }
        for (const auto& entry : chunk_sha) {
            const std::int64_t chunk = entry.first;  // clang 14 cannot capture a structured binding
            members.bind(1, chunk);
            CV_TRY_VOID(for_each_row(members, [&] {
                finding(members.column_int(0), std::string(members.column_text(1)),
                        fmt::format("its record chunk {} is missing", chunk));
            }));
            members.reset();
        }
    }

    // 4. Blobs: every byte decrypts, authenticates and hashes to its name.
    {
        CV_TRY(auto st, a.db.prepare("SELECT name, pack, offset, length FROM blobs"));
        CV_TRY(auto users,
               a.db.prepare("SELECT b.item, i.message_id FROM item_blobs b JOIN items i ON i.id = b.item "
                            "WHERE b.name = ?1"));
        std::vector<char> buf(256 * 1024);
        for (;;) {
            CV_TRY(const bool row, st.step());
            if (!row)
                break;
            ++report.blobs;
            const auto name_span = st.column_blob(0);
            const std::vector<std::uint8_t> name(name_span.begin(), name_span.end());
            const fs::path path = pack_path(a.dir, st.column_int(1));
            std::string problem;
            const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                problem = fmt::format("its attachment's pack {} is missing", path.filename().string());
            } else {
                BlobSource source(fd, static_cast<std::uint64_t>(st.column_int(2)),
                                  static_cast<std::uint64_t>(st.column_int(3)), a.key, path);
                Sha256 sha;
                for (;;) {
                    auto n = source.read(buf);
                    if (!n) {
                        problem = fmt::format("an attachment is damaged: {}", n.error().message());
                        break;
                    }
                    if (*n == 0)
                        break;
                    sha.update(std::string_view(buf.data(), *n));
                }
                if (problem.empty()) {
                    const auto expect = a.key.blob_name(sha.finish());
                    if (!std::equal(expect.begin(), expect.end(), name.begin(), name.end()))
                        problem = "an attachment's content does not match its name";
                }
            }
            if (problem.empty())
                continue;
            users.bind_blob(1, name);
            bool named = false;
            for (;;) {
                CV_TRY(const bool u, users.step());
                if (!u)
                    break;
                named = true;
                finding(users.column_int(0), std::string(users.column_text(1)), problem);
            }
            users.reset();
            if (!named)
                finding(std::nullopt, "", problem);
        }
    }

    // 5. Every item renders again to the bytes whose hash was taken at import.
    for (const auto& [id, message_id] : rows) {
        auto stored = item(id);
        if (!stored) {
            finding(id, message_id, stored.error().message());
            continue;
        }
        auto sha = rerender(*stored);
        if (!sha)
            finding(id, message_id, fmt::format("it cannot be rendered again: {}", sha.error().message()));
        else if (*sha != stored->render_sha256)
            finding(id, message_id, "it renders to different bytes than were archived");
    }
    return report;
}

}  // namespace cv::archive

#include "archive/spool.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "archive/detail/crypto.hpp"
#include "sqlite/sqlite.hpp"

namespace cv::archive {

namespace fs = std::filesystem;
using detail::Bytes;
using detail::Key;

namespace {

constexpr std::string_view kSchema = R"(
CREATE TABLE IF NOT EXISTS events(
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: a number is never given twice
  channel  TEXT NOT NULL,
  received INTEGER NOT NULL,
  sealed   BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS events_channel ON events(channel, seq);
CREATE TABLE IF NOT EXISTS media(
  channel  TEXT NOT NULL,
  id       TEXT NOT NULL,
  seq      INTEGER NOT NULL,  -- the event it came with: kept until that event is imported
  sealed   BLOB NOT NULL,
  PRIMARY KEY(channel, id)
);
)";

// The associated data an event is sealed with: an event cannot be moved to another channel.
std::string seal_context(std::string_view channel, std::int64_t received)
{
    return fmt::format("spool {} {}", channel, received);
}

}  // namespace

struct Spool::Impl {
    struct Waiter {
        std::string_view channel;
        std::int64_t received = 0;
        Bytes sealed;
        std::uint64_t seq = 0;
        std::optional<Error> error;
        bool finished = false;
    };

    Impl(Key k, sqlite::Database d) : key(std::move(k)), db(std::move(d)) {}

    Key key;
    std::mutex db_mutex;  // the connection: the writer thread, pending() and done()
    sqlite::Database db;

    std::mutex queue_mutex;
    std::condition_variable work;
    std::condition_variable finished;
    std::deque<Waiter*> queue;
    bool stopping = false;
    std::thread writer;

    // One transaction for every event queued while the last one was being written.
    void write_loop()
    {
        std::unique_lock lock(queue_mutex);
        for (;;) {
            work.wait(lock, [&] { return stopping || !queue.empty(); });
            if (queue.empty())
                return;  // stopping, and nobody is waiting
            std::deque<Waiter*> batch;
            batch.swap(queue);
            lock.unlock();
            const auto written = write(batch);
            lock.lock();
            for (Waiter* w : batch) {
                if (!written)
                    w->error = written.error();
                w->finished = true;
            }
            finished.notify_all();
        }
    }

    Result<void> write(std::deque<Waiter*>& batch)
    {
        std::lock_guard db_lock(db_mutex);
        CV_TRY(auto tx, sqlite::Transaction::begin(db));
        CV_TRY(auto insert, db.prepare("INSERT INTO events(channel, received, sealed) VALUES(?1, ?2, ?3)"));
        for (Waiter* w : batch) {
            insert.reset();
            insert.bind(1, w->channel).bind(2, w->received).bind_blob(3, w->sealed);
            CV_TRY_VOID(insert.run());
            w->seq = static_cast<std::uint64_t>(db.last_insert_rowid());
        }
        return tx.commit();
    }
};

Spool::Spool(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Spool::Spool(Spool&&) noexcept = default;
Spool& Spool::operator=(Spool&&) noexcept = default;

Spool::~Spool()
{
    if (!impl_)
        return;
    {
        std::lock_guard lock(impl_->queue_mutex);
        impl_->stopping = true;
    }
    impl_->work.notify_all();
    if (impl_->writer.joinable())
        impl_->writer.join();
}

Result<Spool> Spool::open(const fs::path& archive_dir)
{
    CV_TRY(auto key, Key::load(detail::key_file(archive_dir)));
    const fs::path path = archive_dir / "spool.db";
    CV_TRY(auto db, sqlite::Database::open(path.string(), true));
    // FULL: an event is on disk when its commit returns — the promise behind the 200.
    CV_TRY_VOID(db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000"));
    CV_TRY_VOID(db.exec(kSchema));
    std::error_code ec;
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, ec);
    auto impl = std::make_unique<Impl>(std::move(key), std::move(db));
    Impl* raw = impl.get();
    impl->writer = std::thread([raw] { raw->write_loop(); });
    return Spool(std::move(impl));
}

Result<std::uint64_t> Spool::append(std::string_view channel, std::int64_t received, std::string_view body)
{
    Impl::Waiter waiter;
    waiter.channel = channel;
    waiter.received = received;
    // Sealed on the caller's thread: the writer only writes.
    waiter.sealed =
        impl_->key.seal(std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()),
                        seal_context(channel, received));
    std::unique_lock lock(impl_->queue_mutex);
    if (impl_->stopping)
        return fail(ErrorCode::Io, "the spool is closing");
    impl_->queue.push_back(&waiter);
    impl_->work.notify_one();
    impl_->finished.wait(lock, [&] { return waiter.finished; });
    if (waiter.error)
        return fail(std::move(*waiter.error).with_context("spooling a webhook event"));
    return waiter.seq;
}

Result<std::vector<SpooledEvent>> Spool::pending(std::string_view channel, std::size_t limit)
{
    std::lock_guard db_lock(impl_->db_mutex);
    CV_TRY(auto st, impl_->db.prepare(
                        "SELECT seq, received, sealed FROM events WHERE channel = ?1 ORDER BY seq LIMIT ?2"));
    st.bind(1, channel).bind(2, static_cast<std::int64_t>(limit));
    std::vector<SpooledEvent> out;
    for (;;) {
        CV_TRY(const bool row, st.step());
        if (!row)
            break;
        SpooledEvent e;
        e.seq = static_cast<std::uint64_t>(st.column_int(0));
        e.channel = std::string(channel);
        e.received = st.column_int(1);
        auto plain = impl_->key.open(st.column_blob(2), seal_context(channel, e.received));
        if (!plain)
            return fail(std::move(plain).error().with_context(
                fmt::format("spool.db event {} of {}", e.seq, channel)));
        e.body.assign(plain->begin(), plain->end());
        out.push_back(std::move(e));
    }
    return out;
}

Result<void> Spool::done(std::string_view channel, std::uint64_t seq)
{
    std::lock_guard db_lock(impl_->db_mutex);
    CV_TRY(auto st, impl_->db.prepare("DELETE FROM events WHERE channel = ?1 AND seq <= ?2"));
    st.bind(1, channel).bind(2, static_cast<std::int64_t>(seq));
    CV_TRY_VOID(st.run());
    CV_TRY(auto media, impl_->db.prepare("DELETE FROM media WHERE channel = ?1 AND seq <= ?2"));
    media.bind(1, channel).bind(2, static_cast<std::int64_t>(seq));
    return media.run();
}

Result<void> Spool::put_media(std::string_view channel, std::string_view media_id, std::uint64_t seq,
                              std::string_view bytes)
{
    const auto sealed =
        impl_->key.seal(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
                        fmt::format("spool media {} {}", channel, media_id));
    std::lock_guard db_lock(impl_->db_mutex);
    CV_TRY(auto st, impl_->db.prepare(
                        "INSERT OR REPLACE INTO media(channel, id, seq, sealed) VALUES(?1, ?2, ?3, ?4)"));
    st.bind(1, channel).bind(2, media_id).bind(3, static_cast<std::int64_t>(seq)).bind_blob(4, sealed);
    return st.run();
}

Result<std::optional<std::string>> Spool::media(std::string_view channel, std::string_view media_id)
{
    std::lock_guard db_lock(impl_->db_mutex);
    CV_TRY(auto st, impl_->db.prepare("SELECT sealed FROM media WHERE channel = ?1 AND id = ?2"));
    st.bind(1, channel).bind(2, media_id);
    CV_TRY(const bool row, st.step());
    if (!row)
        return std::optional<std::string>();
    auto plain = impl_->key.open(st.column_blob(0), fmt::format("spool media {} {}", channel, media_id));
    if (!plain)
        return fail(
            std::move(plain).error().with_context(fmt::format("spool.db media {} of {}", media_id, channel)));
    return std::optional<std::string>(std::string(plain->begin(), plain->end()));
}

Result<std::uint64_t> Spool::waiting(std::string_view channel)
{
    std::lock_guard db_lock(impl_->db_mutex);
    CV_TRY(auto st, impl_->db.prepare("SELECT count(*) FROM events WHERE channel = ?1"));
    st.bind(1, channel);
    CV_TRY(const bool row, st.step());
    return row ? static_cast<std::uint64_t>(st.column_int(0)) : 0;
}

}  // namespace cv::archive

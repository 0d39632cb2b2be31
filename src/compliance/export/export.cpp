// The export run: freeze the item list, reconcile with what an earlier run left, render and
// write the items on worker threads, append the load file in item order, then the manifest,
// the summary and the zip. README.md in this folder has the rules this code keeps.

#include "compliance/export/export.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "compliance/export/detail/fd_io.hpp"
#include "compliance/export/detail/followed_file.hpp"
#include "compliance/export/detail/job.hpp"
#include "compliance/export/detail/zip.hpp"
#include "compliance/search/search.hpp"
#include "core/digest.hpp"
#include "core/time.hpp"

namespace cv::compliance::exports {

namespace fs = std::filesystem;
using detail::io_error;
using detail::Job;
using detail::Settings;
using detail::write_all;
using nlohmann::json;

namespace {

constexpr std::string_view kStateDir = ".chatvault-export";
constexpr std::string_view kJobFile = ".chatvault-export/job.json";
constexpr std::string_view kLoadFile = "loadfile.csv";
constexpr std::string_view kManifest = "manifest.sha256";
constexpr std::string_view kSummaryJson = "summary.json";
constexpr std::string_view kSummaryText = "summary.txt";
constexpr std::string_view kErrorsFile = "errors.csv";
constexpr std::string_view kQuarantineCustodian = "(quarantine)";
constexpr std::string_view kQuarantineFolder = "Quarantine";
constexpr std::size_t kBufferBytes = 64 * 1024;
constexpr std::size_t kHeaderCap = 256 * 1024;  // headers past this are not read for the load file

// A small file written whole through a temporary name, so that a reader (or a resume) sees the
// old content or the new, never half of it.
Result<void> write_file_atomic(const fs::path& path, std::string_view bytes, bool sync)
{
    fs::path temp = path;
    temp += ".part";
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return fail(io_error("create", temp, errno));
    auto w = write_all(fd, bytes, temp);
    if (w && sync && ::fdatasync(fd) != 0)
        w = fail(io_error("sync", temp, errno));
    ::close(fd);
    if (w && ::rename(temp.c_str(), path.c_str()) != 0)
        w = fail(io_error("rename into", path, errno));
    if (!w)
        ::unlink(temp.c_str());
    return w;
}

Result<std::string> read_file(const fs::path& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(io_error("open", path, errno));
    std::string out;
    char buf[65536];
    while (true) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const int e = errno;
            ::close(fd);
            return fail(io_error("read", path, e));
        }
        if (n == 0)
            break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

Result<Sha256Digest> hash_file(const fs::path& path, std::uint64_t& size)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(io_error("open", path, errno));
    Sha256 sha;
    size = 0;
    std::string buf(1 << 20, '\0');
    while (true) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const int e = errno;
            ::close(fd);
            return fail(io_error("read", path, e));
        }
        if (n == 0)
            break;
        sha.update(std::string_view(buf.data(), static_cast<std::size_t>(n)));
        size += static_cast<std::uint64_t>(n);
    }
    ::close(fd);
    return sha.finish();
}

// Reads the load file in pieces and hands each complete row to `on_row` (memory stays flat
// whatever the export's size). Returns the offset past the last complete row.
Result<std::uint64_t> scan_load_file(
    const fs::path& path,
    const std::function<Result<void>(const LoadRow&, std::uint64_t, std::uint64_t, std::uint64_t)>& on_row)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(io_error("open", path, errno));
    std::string pending;
    std::uint64_t base = 0;  // file offset of pending[0]
    std::uint64_t line = 1;
    bool header = true;
    std::string buf(4 << 20, '\0');
    Result<std::uint64_t> out = std::uint64_t{0};
    bool eof = false;
    while (!eof) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            out = fail(io_error("read", path, errno));
            break;
        }
        eof = n == 0;
        pending.append(buf.data(), static_cast<std::size_t>(n));
        auto parsed = parse_load_file(pending, header, line);
        if (!parsed) {
            out = fail(parsed.error());
            break;
        }
        if (header && parsed->complete_bytes == 0 && !eof)
            continue;  // the header is not even complete yet: read more
        std::uint64_t start = 0;
        if (header && parsed->complete_bytes > 0) {
            start = load_file_header().size();
            header = false;
            ++line;
        }
        bool failed = false;
        for (std::size_t i = 0; i < parsed->rows.size(); ++i) {
            const std::string_view text(pending.data() + start, parsed->row_ends[i] - start);
            if (auto r = on_row(parsed->rows[i], base + start, base + parsed->row_ends[i], line); !r) {
                out = fail(r.error());
                failed = true;
                break;
            }
            line += 1 + static_cast<std::uint64_t>(std::count(text.begin(), text.end() - 2, '\n'));
            start = parsed->row_ends[i];
        }
        if (failed)
            break;
        base += parsed->complete_bytes;
        pending.erase(0, parsed->complete_bytes);
        out = base;
    }
    ::close(fd);
    return out;
}

std::string sent_utc(std::int64_t utc)
{
    return format_utc(utc);
}

Result<ItemPlan> plan_rows(const archive::StoredItem& s, const Settings& settings)
{
    ItemPlan p;
    std::string attachments;
    for (const auto& a : s.item.attachments) {
        if (a.name.empty() || !(a.locator.starts_with("blob:") || a.inline_data))
            continue;
        if (!attachments.empty())
            attachments += "; ";
        attachments += a.name;
    }
    const std::string item_file = fmt::format("{:010}.eml", s.id);
    const auto base_row = [&](std::size_t k) {
        LoadRow r;
        r.doc_id = fmt::format("CV{:010}-{:02}", s.id, k);
        r.item = s.id;
        r.message_id = s.message_id;
        r.sent_utc = sent_utc(s.item.utc);
        r.attachments = attachments;
        return r;
    };
    if (s.mailboxes.empty()) {
        if (!settings.mailboxes.empty())
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("item {} <{}> is in quarantine, outside the requested mailboxes", s.id,
                                    s.message_id));
        LoadRow r = base_row(1);
        r.custodian = kQuarantineCustodian;
        r.folder = kQuarantineFolder;
        r.path = fmt::format("quarantine/{}", item_file);
        p.files.push_back(r.path);
        p.rows.push_back(std::move(r));
        return p;
    }
    std::size_t k = 0;
    for (const auto& m : s.mailboxes) {
        if (!settings.mailboxes.empty() &&
            !std::binary_search(settings.mailboxes.begin(), settings.mailboxes.end(), m))
            continue;
        LoadRow r = base_row(++k);
        const auto c = settings.custodians.find(m);
        r.custodian = c != settings.custodians.end() ? c->second : m;
        r.mailbox = m;
        r.folder = archive::kFolder;
        r.path = fmt::format("custodians/{}/{}/{}/{}", safe_component(r.custodian), safe_component(m),
                             archive::kFolder, item_file);
        if (settings.dedupe && !p.rows.empty()) {
            r.duplicate_of = p.rows.front().doc_id;
            r.path = p.rows.front().path;
        } else if (std::find(p.files.begin(), p.files.end(), r.path) == p.files.end()) {
            p.files.push_back(r.path);
        }
        p.rows.push_back(std::move(r));
    }
    if (p.rows.empty())
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("item {} <{}> is in none of the requested mailboxes", s.id, s.message_id));
    return p;
}

// Copies `from` to `to` through `temp` (renamed into place when whole).
Result<void> copy_file(const fs::path& from, const fs::path& temp, const fs::path& to)
{
    const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return fail(io_error("open", from, errno));
    const int out = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        const int e = errno;
        ::close(in);
        return fail(io_error("create", temp, e));
    }
    Result<void> r;
    std::string buf(kBufferBytes, '\0');
    while (r) {
        const ssize_t n = ::read(in, buf.data(), buf.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            r = fail(io_error("read", from, errno));
        else if (n == 0)
            break;
        else
            r = write_all(out, std::string_view(buf.data(), static_cast<std::size_t>(n)), temp);
    }
    ::close(in);
    if (::close(out) != 0 && r)
        r = fail(io_error("close", temp, errno));
    if (r && ::rename(temp.c_str(), to.c_str()) != 0)
        r = fail(io_error("rename into", to, errno));
    if (!r)
        ::unlink(temp.c_str());
    return r;
}

// Writes one rendering to an item's first file (a temporary name, renamed on finish()) and
// links its other files to it — or, for a zip export, deflates it into `zipped` — hashing it
// and keeping its header section for the load file. A failure of its own (the disk, not the
// render) is remembered: it stops the export, where a render's failure only skips the item.
class ItemSink final : public ByteSink {
public:
    ItemSink(const fs::path& dir, const std::vector<std::string>& files, detail::Deflater* zipped)
        : zipped_(zipped)
    {
        for (const auto& f : files) {
            finals_.push_back(dir / f);
            fs::path t = finals_.back();
            t += ".part";
            temps_.push_back(std::move(t));
        }
    }
    ~ItemSink() override
    {
        for (std::size_t i = 0; i < fds_.size(); ++i)
            if (fds_[i] >= 0)
                ::close(fds_[i]);
        if (!finished_ && !fds_.empty())
            ::unlink(temps_.front().c_str());
    }
    ItemSink(const ItemSink&) = delete;
    ItemSink& operator=(const ItemSink&) = delete;

    // Only the first file is written; the item's other files are hard links to it (see
    // finish()).
    Result<void> open()
    {
        if (zipped_)
            return {};
        const int fd = ::open(temps_.front().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            own_failure_ = true;
            return fail(io_error("create", temps_.front(), errno));
        }
        fds_.push_back(fd);
        return {};
    }

    Result<void> write(std::string_view bytes) override
    {
        if (!headers_done_) {
            const std::size_t before = headers_.size();
            headers_.append(
                bytes.substr(0, std::min(bytes.size(), kHeaderCap - std::min(kHeaderCap, before))));
            const std::size_t from = before >= 3 ? before - 3 : 0;
            const std::size_t end = headers_.find("\r\n\r\n", from);
            if (end != std::string::npos) {
                headers_.resize(end + 2);
                headers_done_ = true;
            } else if (headers_.size() >= kHeaderCap) {
                headers_done_ = true;
            }
        }
        sha_.update(bytes);
        size_ += bytes.size();
        if (zipped_) {
            auto w = zipped_->write(bytes);
            own_failure_ = own_failure_ || !w;
            return w;
        }
        if (buffer_.size() + bytes.size() > kBufferBytes) {
            CV_TRY_VOID(flush());
            if (bytes.size() >= kBufferBytes) {
                for (std::size_t i = 0; i < fds_.size(); ++i) {
                    auto w = write_all(fds_[i], bytes, temps_[i]);
                    own_failure_ = own_failure_ || !w;
                    CV_TRY_VOID(w);
                }
                return {};
            }
        }
        buffer_.append(bytes);
        return {};
    }

    Result<void> finish()
    {
        auto r = finish_files();
        own_failure_ = own_failure_ || !r;
        return r;
    }

    bool own_failure() const { return own_failure_; }
    const std::string& headers() const { return headers_; }
    Sha256Digest digest() { return sha_.finish(); }
    std::uint64_t size() const { return size_; }

private:
    Result<void> finish_files()
    {
        if (zipped_)
            return zipped_->finish();
        CV_TRY_VOID(flush());
        for (std::size_t i = 0; i < fds_.size(); ++i) {
            const int fd = fds_[i];
            fds_[i] = -1;
            if (::close(fd) != 0)
                return fail(io_error("close", temps_[i], errno));
        }
        if (::rename(temps_.front().c_str(), finals_.front().c_str()) != 0)
            return fail(io_error("rename into", finals_.front(), errno));
        finished_ = true;
        // The same bytes in other mailboxes' folders: a hard link costs one call where a copy
        // costs four and the bytes again (half of an export's system time when every item is in
        // two mailboxes). A link replaces what an interrupted run left at that name. Where the
        // file system has no hard links (FAT, some network shares) the file is copied.
        for (std::size_t i = 1; i < finals_.size(); ++i) {
            if (::unlink(finals_[i].c_str()) != 0 && errno != ENOENT)
                return fail(io_error("replace", finals_[i], errno));
            if (::link(finals_.front().c_str(), finals_[i].c_str()) == 0)
                continue;
            if (errno != EPERM && errno != EXDEV && errno != EMLINK && errno != ENOTSUP &&
                errno != EOPNOTSUPP)
                return fail(io_error("link", finals_[i], errno));
            CV_TRY_VOID(copy_file(finals_.front(), temps_[i], finals_[i]));
        }
        return {};
    }

    Result<void> flush()
    {
        if (buffer_.empty())
            return {};
        for (std::size_t i = 0; i < fds_.size(); ++i) {
            auto w = write_all(fds_[i], buffer_, temps_[i]);
            own_failure_ = own_failure_ || !w;
            CV_TRY_VOID(w);
        }
        buffer_.clear();
        return {};
    }

    detail::Deflater* zipped_ = nullptr;
    bool own_failure_ = false;

    std::vector<fs::path> finals_;
    std::vector<fs::path> temps_;
    std::vector<int> fds_;
    std::string buffer_;
    std::string headers_;
    bool headers_done_ = false;
    Sha256 sha_;
    std::uint64_t size_ = 0;
    bool finished_ = false;
};

// One item on its way through the workers: read by the calling thread, its record parsed, its
// rows planned, rendered and written by a worker.
struct Task {
    archive::StoredItem stored;  // after the worker: only id and message_id
    ItemPlan plan;
    std::string rows;                          // the load-file text, once written
    std::unique_ptr<detail::Deflater> zipped;  // a zip export's entry, once written
    std::optional<Error> error;
    bool fatal = false;  // the error is the export's (the disk), not the item's
    bool done = false;
};

class Workers {
public:
    Workers(unsigned n, const fs::path& dir, const Settings& settings, const RenderFactory& render, bool zip)
        : dir_(dir), settings_(settings), make_render_(render), zip_(zip)
    {
        for (unsigned i = 0; i < n; ++i)
            threads_.emplace_back([this] { loop(); });
    }
    ~Workers()
    {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        work_cv_.notify_all();
        for (auto& t : threads_)
            t.join();
    }
    Workers(const Workers&) = delete;
    Workers& operator=(const Workers&) = delete;

    // Tasks are handed over a few at a time: a wake-up per item cost the calling thread a
    // system call and, often, its core to the worker it woke.
    void submit(std::vector<std::shared_ptr<Task>>& batch)
    {
        if (batch.empty())
            return;
        {
            std::lock_guard lock(mutex_);
            for (auto& t : batch)
                queue_.push_back(std::move(t));
        }
        batch.clear();
        work_cv_.notify_all();
    }
    void wait(const Task& t)
    {
        std::unique_lock lock(mutex_);
        done_cv_.wait(lock, [&t] { return t.done; });
    }
    bool is_done(const Task& t)
    {
        std::lock_guard lock(mutex_);
        return t.done;
    }

private:
    void loop()
    {
        const RenderFn render = make_render_();
        while (true) {
            std::shared_ptr<Task> t;
            {
                std::unique_lock lock(mutex_);
                work_cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
                if (stop_)
                    return;
                t = std::move(queue_.front());
                queue_.pop_front();
            }
            run(*t, render);
            {
                std::lock_guard lock(mutex_);
                t->done = true;
            }
            done_cv_.notify_all();
        }
    }

    void run(Task& t, const RenderFn& render)
    {
        prepare_and_render(t, render);
        // What the calling thread still needs of the item is its id and Message-ID: the rest
        // is freed here rather than there.
        archive::StoredItem rest = std::move(t.stored);
        t.stored = archive::StoredItem{};
        t.stored.id = rest.id;
        t.stored.message_id = std::move(rest.message_id);
    }

    // Creates the folder a file goes in, once per folder.
    Result<void> make_parent(const std::string& file)
    {
        std::string parent = file.substr(0, file.rfind('/'));
        std::lock_guard lock(dirs_mutex_);
        if (made_dirs_.contains(parent))
            return {};
        std::error_code ec;
        fs::create_directories(dir_ / parent, ec);
        if (ec)
            return fail(ErrorCode::Io, fmt::format("create {}: {}", (dir_ / parent).string(), ec.message()));
        made_dirs_.insert(std::move(parent));
        return {};
    }

    void prepare_and_render(Task& t, const RenderFn& render)
    {
        if (auto parsed = archive::Archive::parse_record(t.stored); !parsed) {
            t.error = parsed.error();
            return;
        }
        auto plan = plan_rows(t.stored, settings_);
        if (!plan) {
            t.error = plan.error();
            return;
        }
        t.plan = std::move(*plan);
        if (!zip_) {
            for (const auto& f : t.plan.files) {
                if (auto made = make_parent(f); !made) {
                    t.error = made.error();
                    t.fatal = true;
                    return;
                }
            }
        }
        bool media = false;  // renders from the archive's blobs: one such render at a time
        for (const auto& a : t.stored.item.attachments)
            media = media || a.locator.starts_with("blob:");
        if (zip_) {
            // Items with stored attachments (photos, voice notes, documents: compressed already,
            // as base64) are stored; deflating them cost five times the CPU for ~20%.
            auto d = detail::Deflater::create(dir_ / kStateDir, media ? detail::Deflater::Mode::Store
                                                                      : detail::Deflater::Mode::Deflate);
            if (!d) {
                t.error = d.error();
                t.fatal = true;
                return;
            }
            t.zipped = std::move(*d);
        }
        ItemSink sink(dir_, t.plan.files, t.zipped.get());
        auto r = sink.open();
        if (r) {
            if (media) {
                std::lock_guard media_lock(media_mutex_);
                r = render(t.stored, sink);
            } else {
                r = render(t.stored, sink);
            }
        }
        // The rendering must be the archived one (as `show --eml` checks): a damaged attachment
        // blob can render to other bytes without any read failing.
        const Sha256Digest digest = sink.digest();
        if (r && (digest != t.stored.render_sha256 || sink.size() != t.stored.render_size))
            r = fail(ErrorCode::Parse,
                     fmt::format("it renders to different bytes than were archived (SHA-256 {}, "
                                 "{} bytes; archived {}, {} bytes): run `chatvault verify`",
                                 to_hex(digest), sink.size(), to_hex(t.stored.render_sha256),
                                 t.stored.render_size));
        if (r)
            r = sink.finish();
        if (!r) {
            Error e = r.error();
            t.fatal = sink.own_failure();
            t.error = t.fatal ? std::move(e).with_context(fmt::format("exporting item {} <{}> to {}",
                                                                      t.stored.id, t.stored.message_id,
                                                                      (dir_ / t.plan.files.front()).string()))
                              : std::move(e);
            t.zipped.reset();
            return;
        }
        const std::string sha = to_hex(digest);
        const std::string from = header_value(sink.headers(), "From");
        const std::string to = header_value(sink.headers(), "To");
        const std::string subject = header_value(sink.headers(), "Subject");
        for (auto& row : t.plan.rows) {
            row.from = from;
            row.to = to;
            row.subject = subject;
            row.sha256 = sha;
            row.size = sink.size();
            t.rows += format_row(row);
        }
    }

    fs::path dir_;
    const Settings& settings_;
    const RenderFactory& make_render_;
    bool zip_ = false;
    std::mutex dirs_mutex_;
    std::set<std::string> made_dirs_;
    std::mutex mutex_;
    std::condition_variable work_cv_;
    std::condition_variable done_cv_;
    std::deque<std::shared_ptr<Task>> queue_;
    bool stop_ = false;
    std::mutex media_mutex_;
    std::vector<std::thread> threads_;
};

Settings settings_of(const ExportRequest& r)
{
    Settings s;
    s.mailboxes = r.mailboxes;
    std::sort(s.mailboxes.begin(), s.mailboxes.end());
    s.mailboxes.erase(std::unique(s.mailboxes.begin(), s.mailboxes.end()), s.mailboxes.end());
    for (const auto& c : r.custodians)
        for (const auto& m : c.mailboxes)
            s.custodians[m] = c.name;
    s.dedupe = r.dedupe;
    return s;
}

std::optional<std::string> difference(const Job& old, const ExportRequest& r, const Settings& s)
{
    if (old.query != r.query)
        return fmt::format("query \"{}\" (this run asks for \"{}\")", old.query, r.query);
    if (old.zone != r.zone)
        return fmt::format("time zone {} (this run asks for {})", old.zone, r.zone);
    if (old.settings.mailboxes != s.mailboxes)
        return "other mailboxes";
    if (old.settings.custodians != s.custodians)
        return "other custodians";
    if (old.settings.dedupe != s.dedupe)
        return old.settings.dedupe ? "--dedupe (this run has none)" : "no --dedupe (this run asks for it)";
    return std::nullopt;
}

bool has_entries_besides_state(const fs::path& dir)
{
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().filename() != kStateDir)
            return true;
    return false;
}

// ---- Finishing: summary, manifest, zip.

std::string summary_text(const ExportReport& r)
{
    std::string out = "chatvault eDiscovery export\n\n";
    if (!r.title.empty())
        out += fmt::format("title:        {}\n", r.title);
    if (!r.description.empty())
        out += fmt::format("description:  {}\n", r.description);
    out += fmt::format("query:        {}\n", r.query);
    out += fmt::format("time zone:    {} (dates in the query read in this zone; times below UTC)\n", r.zone);
    out += fmt::format("dedupe:       {}\n",
                       r.dedupe ? "yes (one file per item)" : "no (one file per placement)");
    out += fmt::format("started:      {}\n", format_utc(r.started));
    out += fmt::format("finished:     {}\n", format_utc(r.finished));
    out += fmt::format("items:        {}\n", r.items);
    out += fmt::format("rows:         {} (one per item per mailbox)\n", r.rows);
    out += fmt::format("files:        {} ({} bytes)\n", r.files, r.bytes);
    out += fmt::format("duplicates:   {}\n", r.duplicates);
    out += fmt::format("quarantined:  {}\n", r.quarantined);
    out += fmt::format("failed:       {}{}\n\n", r.failed,
                       r.failed > 0 ? fmt::format(" (not exported: listed in {})", kErrorsFile) : "");
    out += fmt::format("{:<40} {:>10} {:>10} {:>14}\n", "custodian", "rows", "files", "bytes");
    for (const auto& [name, c] : r.per_custodian)
        out += fmt::format("{:<40} {:>10} {:>10} {:>14}\n", name, c.rows, c.files, c.bytes);
    if (!r.failures.empty()) {
        out += fmt::format("\n{:<12} {}\n", "failed item", "mailboxes: reason");
        for (const auto& f : r.failures)
            out += fmt::format("{:<12} {}: {}\n", f.item,
                               f.mailboxes.empty() ? "-" : fmt::format("{}", fmt::join(f.mailboxes, ", ")),
                               f.reason);
    }
    out += fmt::format("\nCheck the files with:  sha256sum -c {}\n", kManifest);
    return out;
}

std::string summary_json(const ExportReport& r)
{
    json per = json::object();
    for (const auto& [name, c] : r.per_custodian)
        per[name] = json{{"rows", c.rows}, {"files", c.files}, {"bytes", c.bytes}};
    return json{{"title", r.title},
                {"description", r.description},
                {"query", r.query},
                {"zone", r.zone},
                {"dedupe", r.dedupe},
                {"started", format_utc(r.started)},
                {"finished", format_utc(r.finished)},
                {"items", r.items},
                {"rows", r.rows},
                {"files", r.files},
                {"duplicates", r.duplicates},
                {"quarantined", r.quarantined},
                {"failed", r.failed},
                {"errors", r.failed > 0 ? json(kErrorsFile) : json(nullptr)},
                {"bytes", r.bytes},
                {"per_custodian", per},
                {"load_file", kLoadFile},
                {"manifest", kManifest}}
               .dump(2, ' ', false, json::error_handler_t::replace) +
           "\n";
}

// errors.csv: one row per item that could not be exported (RFC 4180, as the load file).
std::string errors_text(const ExportReport& r)
{
    std::string out = "ItemID,MessageID,Mailboxes,Reason\r\n";
    for (const auto& f : r.failures)
        out += fmt::format("{},{},{},{}\r\n", f.item, csv_field(f.message_id),
                           csv_field(fmt::format("{}", fmt::join(f.mailboxes, "; "))), csv_field(f.reason));
    return out;
}

// Counts one item's committed rows into the report (what the summaries give) and adds the
// manifest lines of its files: done as rows are committed to the load file (and, on a resume,
// for the rows an earlier run left there), so that the end of an export reads nothing back.
void count_item(std::span<const LoadRow> rows, ExportReport& report, std::string& manifest)
{
    if (rows.empty())
        return;
    ++report.items;
    if (rows.front().folder == kQuarantineFolder)
        ++report.quarantined;
    for (const auto& row : rows) {
        ++report.rows;
        auto& c = report.per_custodian[row.custodian];
        ++c.rows;
        if (!row.duplicate_of.empty()) {
            ++report.duplicates;
            continue;
        }
        ++report.files;
        ++c.files;
        report.bytes += row.size;
        c.bytes += row.size;
        manifest += manifest_line(row.sha256, row.path);
    }
}

// The manifest, written to its part file as items are committed and renamed into place when
// complete; a run that does not get there removes it (the next one writes it again).
struct ManifestPart {
    fs::path temp;
    int fd = -1;
    std::unique_ptr<detail::FollowedFile> file;
    std::string lines;  // not yet written
    bool done = false;

    ManifestPart() = default;
    ManifestPart(const ManifestPart&) = delete;
    ManifestPart& operator=(const ManifestPart&) = delete;
    ~ManifestPart()
    {
        file.reset();
        if (fd >= 0)
            ::close(fd);
        if (!done && fd >= 0)
            ::unlink(temp.c_str());
    }

    static Result<void> open(ManifestPart& m, const fs::path& dir, bool zip)
    {
        m.temp = dir / kManifest;
        m.temp += ".part";
        m.fd = ::open(m.temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (m.fd < 0)
            return fail(io_error("create", m.temp, errno));
        detail::FollowedFile::Follow follow;
        if (zip)
            follow.zip_spill_dir = dir / kStateDir;
        CV_TRY(m.file, detail::FollowedFile::start(m.fd, m.temp, 0, std::move(follow)));
        return {};
    }
    Result<void> write_some()
    {
        if (lines.size() < kBufferBytes)
            return {};
        CV_TRY_VOID(file->write(std::move(lines)));
        lines.clear();
        return {};
    }
};

// Summaries, errors file and manifest (its lines for the emails are written by now, the
// load file's digest and zip entry made by its follower), then, for a zip export, the zip's
// last entries and central directory.
Result<void> finish(const fs::path& dir, ExportReport& report, detail::FollowedFile& load,
                    ManifestPart& manifest, detail::ZipWriter* zip)
{
    CV_TRY(const auto loaded, load.finish());
    if (zip)
        CV_TRY_VOID(zip->add(kLoadFile, *loaded.zipped));
    manifest.lines += manifest_line(to_hex(loaded.sha256), kLoadFile);
    std::vector<std::string_view> extra;
    if (report.failed > 0) {
        CV_TRY_VOID(write_file_atomic(dir / kErrorsFile, errors_text(report), false));
        extra.push_back(kErrorsFile);
    } else {
        ::unlink((dir / kErrorsFile).c_str());  // an earlier run's, whose items are now exported
    }
    CV_TRY_VOID(write_file_atomic(dir / kSummaryJson, summary_json(report), false));
    CV_TRY_VOID(write_file_atomic(dir / kSummaryText, summary_text(report), false));
    extra.push_back(kSummaryJson);
    extra.push_back(kSummaryText);
    for (const auto name : extra) {
        if (zip)
            CV_TRY_VOID(zip->add_file(name, dir / name));
        std::uint64_t size = 0;
        CV_TRY(const auto digest, hash_file(dir / name, size));
        manifest.lines += manifest_line(to_hex(digest), name);
    }
    CV_TRY_VOID(manifest.file->write(std::move(manifest.lines)));
    CV_TRY(const auto listed, manifest.file->finish());
    if (::fdatasync(manifest.fd) != 0)
        return fail(io_error("sync", manifest.temp, errno));
    if (::rename(manifest.temp.c_str(), (dir / kManifest).c_str()) != 0)
        return fail(io_error("rename into", dir / kManifest, errno));
    manifest.done = true;
    if (zip) {
        CV_TRY_VOID(zip->add(kManifest, *listed.zipped));
        CV_TRY_VOID(zip->finish());
    }
    return {};
}

}  // namespace

Result<ExportReport> export_items(archive::Archive& archive,
                                  const std::function<Result<std::vector<std::int64_t>>()>& find_ids,
                                  const ExportRequest& request, const RenderFactory& render)
{
    const fs::path& dir = request.dir;
    const Settings settings = settings_of(request);
    std::error_code ec;
    fs::create_directories(dir / kStateDir, ec);
    if (ec)
        return fail(ErrorCode::Io, fmt::format("create {}: {}", (dir / kStateDir).string(), ec.message()));

    // 1. The job: new, or the one an earlier run froze.
    Job job;
    const fs::path job_path = dir / kJobFile;
    if (fs::exists(job_path, ec)) {
        CV_TRY(const auto text, read_file(job_path));
        CV_TRY(job, detail::parse_job(text, job_path));
        if (const auto d = difference(job, request, settings))
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("{} holds another export (made with {}): give an empty folder, or run "
                                    "the same export again to resume it",
                                    dir.string(), *d));
    } else {
        if (has_entries_besides_state(dir))
            return fail(
                ErrorCode::InvalidArgument,
                fmt::format("{} is not empty and holds no chatvault export: give an empty or new folder",
                            dir.string()));
        job.query = request.query;
        job.zone = request.zone;
        job.settings = settings;
        job.title = request.title;
        job.description = request.description;
        job.started = static_cast<std::int64_t>(std::time(nullptr));
        CV_TRY(job.ids, find_ids());
        std::sort(job.ids.begin(), job.ids.end());
        job.ids.erase(std::unique(job.ids.begin(), job.ids.end()), job.ids.end());
        CV_TRY_VOID(write_file_atomic(job_path, detail::job_text(job), true));
    }

    ExportReport report;
    report.dir = dir;
    report.zip = request.zip;
    report.query = job.query;
    report.zone = job.zone;
    report.title = job.title;
    report.description = job.description;
    report.dedupe = job.settings.dedupe;
    report.started = job.started;

    // 2. What an earlier run left: the load file's complete item groups, each an item of the
    // list not seen before, each file present with its size. Groups follow the list except
    // where a run retried items an earlier one could not export (appended after the others).
    // The last group is always redone (it may be short of rows). For a zip export a row's
    // file must be the zip's next entry instead: the spool (ZipWriter::spooled) lists the
    // entries whose bytes and central records are on disk, in the order their rows were
    // committed. Rule: the load file decides. Its groups are kept while their files are the
    // spool's next entries; the first group that is not (its entry torn, or never written) and
    // all after it are cut and redone, and the zip is cut after the entries of the groups kept
    // (entries of items the load file does not list are dropped).
    const fs::path load = dir / kLoadFile;
    std::vector<bool> done(job.ids.size(), false);
    std::size_t resumed = 0;
    std::uint64_t zip_keep = 0;  // a zip export's entries kept from an earlier run
    ManifestPart manifest;
    CV_TRY_VOID(ManifestPart::open(manifest, dir, request.zip.has_value()));
    if (fs::exists(load, ec)) {
        std::size_t group = 0;  // index of the item of the current group (valid when have_group)
        bool have_group = false;
        std::uint64_t group_start = 0;
        std::uint64_t keep = 0;
        std::vector<std::string> spooled;
        if (request.zip) {
            CV_TRY(spooled, detail::ZipWriter::spooled(*request.zip));
        }
        std::size_t entries = 0;        // entries named by the rows so far
        std::size_t group_entries = 0;  // entries of the groups before the current one
        bool cut = false;               // a row whose entry is not in the spool was seen
        std::vector<std::string> group_paths;
        std::vector<LoadRow> group_rows;  // counted (count_item) once the next group shows it whole
        {
            auto scanned = scan_load_file(
                load,
                [&](const LoadRow& row, std::uint64_t begin, std::uint64_t,
                    std::uint64_t line) -> Result<void> {
                    if (cut)
                        return {};
                    if (!have_group || row.item != job.ids[group]) {
                        const auto at = std::lower_bound(job.ids.begin(), job.ids.end(), row.item);
                        const auto want = static_cast<std::size_t>(at - job.ids.begin());
                        if (at == job.ids.end() || *at != row.item || done[want])
                            return fail(
                                ErrorCode::Parse,
                                fmt::format("{} line {}: item {} is {}; the load file was changed: remove "
                                            "the folder to export again",
                                            load.string(), line, row.item,
                                            at == job.ids.end() || *at != row.item
                                                ? "not an item of this export"
                                                : "listed twice"));
                        if (have_group) {
                            done[group] = true;
                            count_item(group_rows, report, manifest.lines);
                            CV_TRY_VOID(manifest.write_some());
                        }
                        group_rows.clear();
                        group = want;
                        have_group = true;
                        group_start = begin;
                        group_entries = entries;
                        group_paths.clear();
                    }
                    group_rows.push_back(row);
                    if (request.zip) {
                        // One entry per file of the item (ItemPlan::files): rows sharing a
                        // path (DuplicateOf, or two mailboxes' names made the same) share it.
                        if (std::find(group_paths.begin(), group_paths.end(), row.path) != group_paths.end())
                            return {};
                        group_paths.push_back(row.path);
                        if (entries >= spooled.size() || spooled[entries] != row.path) {
                            cut = true;  // this group and the rest are redone
                            return {};
                        }
                        ++entries;
                        return {};
                    }
                    if (row.duplicate_of.empty()) {
                        struct stat st {};
                        const fs::path f = dir / row.path;
                        if (::stat(f.c_str(), &st) != 0 || static_cast<std::uint64_t>(st.st_size) != row.size)
                            return fail(
                                ErrorCode::Parse,
                                fmt::format("{} line {}: {} is missing or not {} bytes; the export was "
                                            "changed: remove the folder to export again",
                                            load.string(), line, f.string(), row.size));
                    }
                    return {};
                });
            if (!scanned)
                return fail(scanned.error());
            keep = have_group ? group_start : *scanned;
        }
        zip_keep = have_group ? group_entries : 0;
        std::vector<std::string>().swap(spooled);
        if (keep < load_file_header().size())
            keep = 0;
        if (::truncate(load.c_str(), static_cast<off_t>(keep)) != 0)
            return fail(io_error("truncate", load, errno));
        resumed = static_cast<std::size_t>(std::count(done.begin(), done.end(), true));
    }
    report.resumed_from = resumed;

    const int lfd = ::open(load.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (lfd < 0)
        return fail(io_error("open", load, errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{lfd};
    {
        struct stat st {};
        if (::fstat(lfd, &st) == 0 && st.st_size == 0)
            CV_TRY_VOID(write_all(lfd, load_file_header(), load));
    }
    // The load file's SHA-256 and zip entry, made as its rows are appended.
    std::unique_ptr<detail::FollowedFile> load_file;
    {
        struct stat st {};
        if (::fstat(lfd, &st) != 0)
            return fail(io_error("stat", load, errno));
        detail::FollowedFile::Follow follow;
        follow.sha256 = true;
        if (request.zip)
            follow.zip_spill_dir = dir / kStateDir;
        CV_TRY(load_file, detail::FollowedFile::start(lfd, load, static_cast<std::uint64_t>(st.st_size),
                                                      std::move(follow)));
    }
    std::unique_ptr<detail::ZipWriter> zip;
    if (request.zip) {
        CV_TRY(zip, detail::ZipWriter::open(*request.zip, zip_keep));
    }

    // 3. The items: read here in list order (the archive is read on this thread only),
    // rendered and written by the workers, their rows appended here in list order so that the
    // load file holds whole items only. An item that cannot be read or rendered is listed in
    // the report and left out; an error of the folder or zip (the disk) stops the export.
    {
        const unsigned threads =
            request.threads > 0 ? request.threads : std::max(1u, std::thread::hardware_concurrency());
        const std::size_t window = 64 * threads;
        constexpr std::size_t kHandOver = 8;  // tasks handed to the workers at a time
        Workers workers(threads, dir, job.settings, render, zip != nullptr);
        std::deque<std::shared_ptr<Task>> inflight;
        std::vector<std::shared_ptr<Task>> unsubmitted;
        std::string pending;
        Progress progress{resumed, job.ids.size()};
        const auto failed = [&](std::int64_t id, std::string message_id, const ItemPlan* plan,
                                const Error& e) {
            FailedItem f;
            f.item = id;
            f.message_id = std::move(message_id);
            if (plan)
                for (const auto& row : plan->rows)
                    if (!row.mailbox.empty())
                        f.mailboxes.push_back(row.mailbox);
            f.reason = e.describe();
            report.failures.push_back(std::move(f));
            ++progress.done;
        };
        const auto flush = [&]() -> Result<void> {
            if (pending.empty())
                return {};
            // The zip's entries and their central records before the rows naming them: a row
            // on disk means its entry is (write() order survives a kill, like the files'
            // renames before their rows).
            if (zip)
                CV_TRY_VOID(zip->flush());
            CV_TRY_VOID(load_file->write(std::move(pending)));
            pending.clear();
            return {};
        };
        // Commits the finished items at the front, in list order; waits for the front one when
        // `wait` (the window is full, or the list is read).
        const auto commit_done = [&](bool wait) -> Result<void> {
            while (!inflight.empty()) {
                if (!workers.is_done(*inflight.front())) {
                    if (!wait)
                        return {};
                    // About to wait: what is done goes to disk first, what is read to the
                    // workers.
                    workers.submit(unsubmitted);
                    CV_TRY_VOID(flush());
                    workers.wait(*inflight.front());
                }
                auto t = std::move(inflight.front());
                inflight.pop_front();
                if (t->error && t->fatal) {
                    CV_TRY_VOID(flush());
                    return fail(*t->error);
                }
                if (t->error) {
                    failed(t->stored.id, t->stored.message_id, &t->plan, *t->error);
                    continue;
                }
                if (zip)
                    for (const auto& f : t->plan.files)
                        CV_TRY_VOID(zip->add(f, *t->zipped));
                pending += t->rows;
                count_item(t->plan.rows, report, manifest.lines);
                CV_TRY_VOID(manifest.write_some());
                ++report.written_now;
                ++progress.done;
                if (pending.size() >= kBufferBytes)
                    CV_TRY_VOID(flush());
                if (request.progress && progress.done % 1024 == 0)
                    request.progress(progress);
                if (wait && inflight.size() < window)
                    return {};
            }
            return {};
        };
        std::vector<std::int64_t> todo;
        todo.reserve(job.ids.size() - resumed);
        for (std::size_t i = 0; i < job.ids.size(); ++i)
            if (!done[i])
                todo.push_back(job.ids[i]);
        std::vector<bool>().swap(done);
        // This thread is the pipeline's serial stage (the archive allows one reader): it only
        // reads, hands over and commits; the workers parse each record, plan its rows and files,
        // render and write.
        auto walked = archive.items(
            todo,
            [&](archive::StoredItem& stored) -> Result<void> {
                auto t = std::make_shared<Task>();
                t->stored = std::move(stored);
                unsubmitted.push_back(t);
                inflight.push_back(std::move(t));
                if (unsubmitted.size() >= kHandOver)
                    workers.submit(unsubmitted);
                return commit_done(inflight.size() >= window);
            },
            [&](std::int64_t id, const Error& e) -> Result<void> {
                failed(id, {}, nullptr, e);
                return {};
            },
            archive::Archive::RecordParsing::Later);
        workers.submit(unsubmitted);
        if (!walked) {
            (void)flush();  // keep what is done for the next run
            return fail(walked.error());
        }
        while (!inflight.empty())
            CV_TRY_VOID(commit_done(true));
        CV_TRY_VOID(flush());
        if (request.progress)
            request.progress(progress);
    }
    if (::fdatasync(lfd) != 0)
        return fail(io_error("sync", load, errno));
    std::sort(report.failures.begin(), report.failures.end(),
              [](const FailedItem& a, const FailedItem& b) { return a.item < b.item; });
    report.failed = report.failures.size();

    // 4. Manifest, summary, the zip's last entries and central directory: redone whole by every
    // run that gets this far.
    report.finished = static_cast<std::int64_t>(std::time(nullptr));
    CV_TRY_VOID(finish(dir, report, *load_file, manifest, zip.get()));
    return report;
}

Result<ItemPlan> plan_item(const archive::StoredItem& item, const ExportRequest& request)
{
    return plan_rows(item, settings_of(request));
}

Result<ExportReport> export_query(archive::Archive& archive, const query::Query& q,
                                  const ExportRequest& request, const RenderFactory& render)
{
    const auto find = [&archive, &q, &request]() -> Result<std::vector<std::int64_t>> {
        search::SearchOptions options;
        if (request.mailboxes.size() == 1)
            options.mailbox = request.mailboxes.front();
        CV_TRY(auto p, search::plan(q, options, &archive));
        archive::IndexCondition where = std::move(p.where);
        if (request.mailboxes.size() > 1) {
            archive::IndexCondition any;
            any.op = archive::IndexCondition::Op::Or;
            for (const auto& m : request.mailboxes) {
                archive::IndexCondition c;
                c.op = archive::IndexCondition::Op::Mailbox;
                c.text = m;
                any.children.push_back(std::move(c));
            }
            archive::IndexCondition both;
            both.op = archive::IndexCondition::Op::And;
            both.children.push_back(std::move(where));
            both.children.push_back(std::move(any));
            where = std::move(both);
        }
        return archive.search_ids(where);
    };
    return export_items(archive, find, request, render);
}

}  // namespace cv::compliance::exports

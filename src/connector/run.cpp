// One run of a connector: find what is new (settled files in a drop folder, index entries past
// the checkpoint), import each through src/ingest with the connector's zone and mapping, and
// keep the outcome. Nothing is lost: a file is moved to done/ only after its import committed;
// a file that failed goes to failed/ with its reason; an http-pull checkpoint only moves past
// files that were all imported. Re-importing is harmless (imports are idempotent).

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "connector/connector.hpp"
#include "connector/detail/http.hpp"
#include "core/digest.hpp"
#include "ingest/ingest.hpp"
#include "mapping/mapping.hpp"
#include "sources/phone_db/phone_db.hpp"

namespace cv::connector {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxErrors = 100;
constexpr std::size_t kMaxIndexBytes = 16u << 20;
constexpr auto kPoll = std::chrono::milliseconds(200);

std::int64_t wall_now()
{
    return static_cast<std::int64_t>(std::time(nullptr));
}

bool ends_with(std::string_view s, std::string_view suffix)
{
    if (s.size() < suffix.size())
        return false;
    for (std::size_t i = 0; i < suffix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i])
            return false;
    return true;
}

/// Hidden files and the partial files browsers and copy tools write before renaming.
bool ignored_name(std::string_view name)
{
    return name.empty() || name.front() == '.' || ends_with(name, ".part") || ends_with(name, ".tmp") ||
           ends_with(name, ".crdownload") || ends_with(name, ".partial") || name.back() == '~';
}

std::string one_line(std::string s)
{
    std::replace(s.begin(), s.end(), '\n', ' ');
    return s;
}

/// The mapping the connector's files are imported with; owns what MappingContext points at.
struct Mapping {
    std::optional<mapping::PhoneNormalizer> normalizer;
    std::optional<mapping::UserMapping> csv;
    std::vector<Person> owners;
    ingest::ImportOptions options;

    Result<void> load(const Connector& c)
    {
        CV_TRY(auto n, mapping::PhoneNormalizer::create(c.default_region));
        normalizer = std::move(n);
        if (!c.mapping_csv.empty()) {
            auto load = mapping::parse_mapping_csv(c.mapping_csv, "mapping_csv", *normalizer);
            for (const auto& p : load.problems)
                if (p.kind != mapping::ProblemKind::Duplicate)
                    return fail(ErrorCode::InvalidArgument,
                                fmt::format("mapping_csv line {}: {}", p.line, p.message));
            csv = std::move(load.mapping);
        }
        if (c.automatic_mapping)
            for (const auto& spec : c.owners) {
                CV_TRY(auto o, mapping::parse_owner(spec, *normalizer));
                owners.push_back(std::move(o));
            }
        options.time_zone = c.time_zone;
        return {};
    }

    /// A chat export names no numbers: its owner is the one whose digits its file name holds,
    /// else the first.
    ingest::MappingContext context_for(std::string_view file_name) const
    {
        ingest::MappingContext ctx;
        ctx.normalizer = &*normalizer;
        ctx.csv = csv ? &*csv : nullptr;
        if (owners.empty())
            return ctx;
        ctx.owner = owners.front();
        for (const auto& o : owners)
            if (o.phone && o.phone->size() > 1 &&
                file_name.find(o.phone->substr(1)) != std::string_view::npos) {
                ctx.owner = o;
                break;
            }
        return ctx;
    }
};

/// The run's record and its progress reports (throttled).
class Reporter {
public:
    Reporter(RunRecord& run, const std::function<void(const RunProgress&)>& on_progress)
        : run_(run), on_progress_(on_progress)
    {
    }
    RunProgress& p() { return run_.progress; }
    void error(std::string line)
    {
        if (p().errors.size() < kMaxErrors)
            p().errors.push_back(std::move(line));
    }
    /// Reports now (file boundaries) or when 250 ms passed (`throttled`).
    void report(bool throttled = false)
    {
        if (!on_progress_)
            return;
        const auto t = Clock::now();
        if (throttled && t - last_ < std::chrono::milliseconds(250))
            return;
        last_ = t;
        on_progress_(p());
    }
    /// A per-item callback for ingest that shows the items read of the current file.
    std::function<void(const ingest::Progress&)> items()
    {
        base_seen_ = p().seen;
        return [this](const ingest::Progress& ip) {
            p().seen = base_seen_ + ip.items;
            report(true);
        };
    }
    void add(std::string_view file, const ingest::ImportReport& r)
    {
        for (const auto& w : r.warnings)
            if (p().warnings.size() < kMaxErrors)
                p().warnings.push_back(fmt::format("{}: {}", file, one_line(w)));
        p().seen = base_seen_ + r.seen;
        p().imported += r.added;
        p().duplicates += r.duplicates;
        p().quarantined += r.quarantined;
    }

private:
    RunRecord& run_;
    const std::function<void(const RunProgress&)>& on_progress_;
    Clock::time_point last_{};
    std::uint64_t base_seen_ = 0;
};

/// Imports one file: a phone database or an export. A file some items of which failed counts
/// as failed (the items read are kept; the file can be dropped again once fixed).
Result<ingest::ImportReport> import_file(archive::Archive& archive, const fs::path& path,
                                         std::string_view shown_name, const Mapping& m, Reporter& reporter)
{
    const auto ctx = m.context_for(shown_name);
    Result<ingest::ImportReport> r = fail(ErrorCode::Internal, "not imported");
    if (phone_db::is_database(path)) {
        phone_db::Options db_options;
        db_options.time_zone = m.options.time_zone;
        auto db = phone_db::open(path, db_options);
        if (!db)
            return fail(std::move(db).error());
        r = ingest::import_database(archive, path, **db, m.options, ctx, reporter.items());
    } else {
        r = ingest::import_export(archive, path, m.options, ctx, reporter.items());
    }
    if (!r)
        return r;
    reporter.add(shown_name, *r);
    if (r->failed)
        return fail(ErrorCode::Parse, fmt::format("{} of {} items could not be imported{}{}", r->failed,
                                                  r->seen, r->warnings.empty() ? "" : ": ",
                                                  r->warnings.empty() ? "" : r->warnings.front()));
    return r;
}

// ---- drop-folder ------------------------------------------------------------------------------

struct FileState {
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    Clock::time_point since;  // when we first saw it as it is now
};

std::optional<FileState> stat_file(const fs::path& p)
{
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        return std::nullopt;
    FileState s;
    s.size = static_cast<std::uint64_t>(st.st_size);
    s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    return s;
}

/// Moves `name` into `dir/sub/`, under a new name when that one is taken. Returns the target.
Result<fs::path> move_into(const fs::path& dir, std::string_view sub, const std::string& name)
{
    std::error_code ec;
    const fs::path target_dir = dir / sub;
    fs::create_directories(target_dir, ec);
    if (ec)
        return fail(ErrorCode::Io, fmt::format("cannot create {}: {}", target_dir.string(), ec.message()));
    fs::path target = target_dir / name;
    for (int n = 1; fs::exists(target) || fs::exists(fs::path(target.string() + ".reason.txt")); ++n)
        target = target_dir / fmt::format("{}.{}", name, n);
    fs::rename(dir / name, target, ec);
    if (ec)
        return fail(ErrorCode::Io, fmt::format("cannot move {} to {}/: {}", name, sub, ec.message()));
    return target;
}

void run_drop_folder(archive::Archive& archive, const Connector& c, const Mapping& m, Reporter& reporter,
                     const std::atomic<bool>& stop, const RunOptions& options)
{
    const fs::path dir = c.folder;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        reporter.error(fmt::format("folder {}: not a directory (is it mounted?)", dir.string()));
        return;
    }
    const auto settle = std::chrono::seconds(c.settle_seconds);
    std::map<std::string, FileState> watch;
    std::set<std::string> handled;
    // Without waiting (a service's lock), a file whose mtime is old enough is taken at once.
    const auto confirm = options.max_settle_wait_seconds > 0
                             ? std::min<Clock::duration>(settle, std::chrono::seconds(1))
                             : Clock::duration::zero();
    const auto give_up =
        Clock::now() + std::chrono::seconds(std::max<std::int64_t>(0, options.max_settle_wait_seconds));
    while (true) {
        std::vector<std::string> ready;
        std::vector<std::string> waiting;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if (ignored_name(name) || handled.count(name))
                continue;
            auto now_state = stat_file(it->path());
            if (!now_state)
                continue;  // a folder (done/, failed/, anything else) or gone
            const auto t = Clock::now();
            auto found = watch.find(name);
            if (found == watch.end() || found->second.size != now_state->size ||
                found->second.mtime_ns != now_state->mtime_ns) {
                now_state->since = t;
                found = watch.insert_or_assign(name, *now_state).first;
            }
            // Settled: unchanged for the settle period while we watched, or last written that
            // long ago by the file's own clock and unchanged for a moment while we watched (a
            // copy that preserves timestamps may carry an old mtime while it still grows).
            const std::int64_t age_ns = wall_now() * 1'000'000'000 - found->second.mtime_ns;
            const bool settled =
                t - found->second.since >= settle ||
                (age_ns >= std::chrono::nanoseconds(settle).count() && t - found->second.since >= confirm);
            (settled ? ready : waiting).push_back(name);
        }
        if (ec) {
            reporter.error(fmt::format("folder {}: {}", dir.string(), ec.message()));
            return;
        }
        std::sort(ready.begin(), ready.end());
        reporter.p().files = handled.size() + ready.size();
        for (const auto& name : ready) {
            if (stop)
                return;
            handled.insert(name);
            const fs::path path = dir / name;
            reporter.p().current = name;
            reporter.report();
            const auto size = watch[name].size;
            auto imported = import_file(archive, path, name, m, reporter);
            if (imported) {
                reporter.p().bytes += size;
                if (auto moved = move_into(dir, "done", name); !moved)
                    reporter.error(fmt::format("{}: imported, but {}", name, moved.error().describe()));
            } else {
                ++reporter.p().failed;
                const std::string reason = imported.error().describe();
                reporter.error(fmt::format("{}: {}", name, one_line(reason)));
                auto moved = move_into(dir, "failed", name);
                if (!moved) {
                    reporter.error(fmt::format("{}: {}", name, moved.error().describe()));
                } else {
                    std::ofstream out(moved->string() + ".reason.txt", std::ios::binary);
                    out << "chatvault connector '" << c.name << "' could not import " << name << ":\n"
                        << reason << "\n\nFix the file (or the connector's settings) and drop it into "
                        << dir.string() << " again: items already archived are not duplicated.\n";
                }
            }
            ++reporter.p().files_done;
            reporter.p().current.clear();
            reporter.report();
        }
        reporter.p().waiting = waiting.size();
        if (stop || waiting.empty() || Clock::now() >= give_up)
            return;
        reporter.p().current = fmt::format("waiting for {} to settle", waiting.front());
        reporter.report(true);
        std::this_thread::sleep_for(kPoll);
    }
}

// ---- http-pull --------------------------------------------------------------------------------

struct IndexEntry {
    std::string name;
    std::string url;
    std::int64_t modified = 0;
    std::optional<std::uint64_t> size;
    std::optional<Sha256Digest> sha256;
};

Result<std::vector<IndexEntry>> parse_index(std::string_view body)
{
    const auto j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("files") || !j["files"].is_array())
        return fail(ErrorCode::Parse, "index: expected a JSON object {\"files\": [...]}");
    std::vector<IndexEntry> out;
    std::size_t i = 0;
    for (const auto& f : j["files"]) {
        const auto bad = [&](std::string_view what) {
            return fail(ErrorCode::Parse, fmt::format("index: files[{}]: {}", i, what));
        };
        if (!f.is_object())
            return bad("expected an object");
        IndexEntry e;
        if (!f.contains("name") || !f["name"].is_string())
            return bad("name: expected a string");
        e.name = f["name"].get<std::string>();
        if (e.name.empty() || e.name == "." || e.name == ".." || e.name.find('/') != std::string::npos ||
            e.name.find('\\') != std::string::npos || e.name.find('\0') != std::string::npos ||
            e.name.size() > 255)
            return bad(fmt::format("name: '{}' is not a plain file name", e.name));
        if (!f.contains("url") || !f["url"].is_string() || f["url"].get<std::string>().empty())
            return bad("url: expected a string");
        e.url = f["url"].get<std::string>();
        if (!f.contains("modified") || !f["modified"].is_number_integer())
            return bad("modified: expected Unix seconds (a whole number)");
        e.modified = f["modified"].get<std::int64_t>();
        if (f.contains("size") && !f["size"].is_null()) {
            if (!f["size"].is_number_unsigned())
                return bad("size: expected a whole number of bytes");
            e.size = f["size"].get<std::uint64_t>();
        }
        if (f.contains("sha256") && !f["sha256"].is_null()) {
            if (!f["sha256"].is_string() || !(e.sha256 = sha256_from_hex(f["sha256"].get<std::string>())))
                return bad("sha256: expected 64 hex digits");
        }
        out.push_back(std::move(e));
        ++i;
    }
    return out;
}

Result<Sha256Digest> hash_file(const fs::path& p)
{
    std::ifstream in(p, std::ios::binary);
    if (!in)
        return fail(ErrorCode::Io, fmt::format("cannot read {}", p.string()));
    Sha256 sha;
    std::string buf(1 << 16, '\0');
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        sha.update(std::string_view(buf.data(), static_cast<std::size_t>(in.gcount())));
    }
    return sha.finish();
}

/// Downloads, checks and imports one index entry.
Result<void> pull_one(archive::Archive& archive, const Connector& c, const detail::HttpAuth& auth,
                      const IndexEntry& e, const fs::path& tmp, const Mapping& m, Reporter& reporter)
{
    const std::string url = detail::resolve_url(c.url, e.url);
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
        return fail(ErrorCode::Unsupported,
                    fmt::format("{}: only http:// and https:// are fetched", detail::redact(url)));
    // The connector's credentials are for its own server, not for wherever an index points.
    const detail::HttpAuth file_auth =
        detail::origin(url) == detail::origin(c.url) ? auth : detail::HttpAuth{"none", {}, {}};
    const fs::path file = tmp / e.name;
    struct Cleanup {
        fs::path p;
        ~Cleanup()
        {
            std::error_code ec;
            fs::remove(p, ec);
        }
    } cleanup{file};
    CV_TRY(const auto bytes, detail::http_download(url, file_auth, file));
    if (e.size && *e.size != bytes)
        return fail(
            ErrorCode::Parse,
            fmt::format("downloaded {} bytes, the index says {}: incomplete download", bytes, *e.size));
    if (e.sha256) {
        CV_TRY(const auto digest, hash_file(file));
        if (digest != *e.sha256)
            return fail(ErrorCode::Parse, "the download's SHA-256 differs from the index's");
    }
    CV_TRY_VOID(import_file(archive, file, e.name, m, reporter));
    reporter.p().bytes += bytes;
    return {};
}

std::optional<std::int64_t> run_http_pull(archive::Archive& archive, Connectors& store, const Connector& c,
                                          const Mapping& m, Reporter& reporter, const std::atomic<bool>& stop)
{
    detail::HttpAuth auth{c.auth, c.username, {}};
    if (c.auth != "none") {
        const std::string field = c.auth == "basic" ? "password" : "token";
        auto secret = store.secret(c.name, field);
        if (!secret || !*secret || (*secret)->empty()) {
            reporter.error(fmt::format("secret '{}' is not set", field));
            return c.checkpoint;
        }
        auth.secret = **secret;
    }
    reporter.p().current = "index";
    reporter.report();
    auto body = detail::http_get(c.url, auth, kMaxIndexBytes);
    if (!body) {
        reporter.error(body.error().describe());
        return c.checkpoint;
    }
    auto index = parse_index(*body);
    if (!index) {
        reporter.error(index.error().describe());
        return c.checkpoint;
    }
    std::vector<IndexEntry> todo;
    for (auto& e : *index)
        if (!c.checkpoint || e.modified > *c.checkpoint)
            todo.push_back(std::move(e));
    std::sort(todo.begin(), todo.end(), [](const IndexEntry& a, const IndexEntry& b) {
        return a.modified != b.modified ? a.modified < b.modified : a.name < b.name;
    });
    reporter.p().files = todo.size();
    // Downloads go to the archive's folder: same file system, private, and a leftover of a
    // killed run is cleared by the next.
    const fs::path tmp = archive.dir() / "connector-tmp" / c.name;
    std::error_code ec;
    fs::remove_all(tmp, ec);
    fs::create_directories(tmp, ec);
    if (ec) {
        reporter.error(fmt::format("cannot create {}: {}", tmp.string(), ec.message()));
        return c.checkpoint;
    }
    fs::permissions(tmp, fs::perms::owner_all, ec);
    std::optional<std::int64_t> checkpoint = c.checkpoint;
    bool all_ok = true;
    for (std::size_t i = 0; i < todo.size(); ++i) {
        if (stop)
            break;
        const auto& e = todo[i];
        reporter.p().current = e.name;
        reporter.report();
        auto done = pull_one(archive, c, auth, e, tmp, m, reporter);
        if (!done) {
            all_ok = false;
            ++reporter.p().failed;
            reporter.error(fmt::format("{}: {}", e.name, one_line(done.error().describe())));
        }
        // The checkpoint moves past a time only when every file up to it and at it is in.
        if (all_ok && (i + 1 == todo.size() || todo[i + 1].modified > e.modified))
            checkpoint = e.modified;
        ++reporter.p().files_done;
        reporter.p().current.clear();
        reporter.report();
    }
    fs::remove_all(tmp, ec);
    return checkpoint;
}

}  // namespace

Result<RunRecord> run_connector(archive::Archive& archive, Connectors& store, const Connector& c,
                                std::string_view trigger, std::string_view actor, std::int64_t now,
                                const std::function<void(const RunProgress&)>& on_progress,
                                const std::atomic<bool>& stop, const RunOptions& options)
{
    if (c.kind == Kind::CloudApi)
        return fail(ErrorCode::Unsupported,
                    fmt::format("connector '{}' is a cloud-api connector: its items arrive by webhook "
                                "(chatvault serve)",
                                c.name));
    // A run this process's predecessor left "running" died with it (only the newest can be).
    CV_TRY(auto previous, store.last_run(c.name));
    if (previous &&
        (previous->progress.state == RunState::Running || previous->progress.state == RunState::Queued)) {
        previous->progress.state = RunState::Failed;
        previous->progress.ended = now;
        previous->progress.current.clear();
        previous->progress.errors.push_back("interrupted: the process ended during the run");
        CV_TRY_VOID(store.record_run(*previous, actor));
    }
    RunRecord run;
    run.connector = c.name;
    run.number = previous ? previous->number + 1 : 1;
    run.trigger = std::string(trigger);
    run.actor = std::string(actor);
    run.progress.state = RunState::Running;
    run.progress.started = now;
    run.checkpoint = c.checkpoint;
    CV_TRY_VOID(store.record_run(run, actor));
    Reporter reporter(run, on_progress);
    reporter.report();

    Mapping m;
    if (auto loaded = m.load(c); !loaded) {
        reporter.error(loaded.error().describe());
    } else if (c.kind == Kind::DropFolder) {
        run_drop_folder(archive, c, m, reporter, stop, options);
    } else {
        run.checkpoint = run_http_pull(archive, store, c, m, reporter, stop);
    }

    RunProgress& p = run.progress;
    p.current.clear();
    p.ended = std::max(now, wall_now());
    if (stop && p.files_done < p.files)
        p.state = RunState::Cancelled;
    else if (stop && c.kind == Kind::DropFolder)
        p.state = RunState::Cancelled;
    else
        p.state = (p.failed || !p.errors.empty()) ? RunState::Failed : RunState::Succeeded;
    if (c.kind == Kind::DropFolder && p.state == RunState::Succeeded)
        run.checkpoint = now;
    reporter.report();
    CV_TRY_VOID(store.record_run(run, actor));
    return run;
}

}  // namespace cv::connector

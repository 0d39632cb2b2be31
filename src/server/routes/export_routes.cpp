// A case's holds and eDiscovery exports through the API. An export is the CLI's `case export`
// (compliance/export, zipped) run on a thread of its own; its files hold plaintext mail, so they
// live under the archive's folder in `exports/` (mode 0700), the export's folder is removed as
// soon as it is zipped, and the zip is removed 24 hours after it was made, or once it has been
// downloaded and its case is closed, or when the service starts again (README, "Service").
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "compliance/export/export.hpp"
#include "compliance/governance/governance.hpp"
#include "compliance/query/query.hpp"
#include "ingest/ingest.hpp"
#include "server/detail/api.hpp"

namespace cv::server::detail {

namespace {

namespace fs = std::filesystem;
namespace gov = compliance::governance;
namespace ret = compliance::retention;
namespace exports = compliance::exports;

constexpr std::int64_t kZipLifetime = 24 * 3600;

fs::path exports_dir(const Context& ctx)
{
    return ctx.archive.dir() / "exports";
}

// A folder only the service's user may enter, made so from the start (no window with a wider mode).
Result<void> private_dir(const fs::path& dir)
{
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return fail(ErrorCode::Io, fmt::format("cannot create {}: {}", dir.string(), std::strerror(errno)));
    if (::chmod(dir.c_str(), 0700) != 0)
        return fail(ErrorCode::Io,
                    fmt::format("cannot set the mode of {}: {}", dir.string(), std::strerror(errno)));
    return {};
}

nlohmann::json job_json(const Context::ExportJob& j)
{
    return {{"id", j.id},
            {"case", j.case_id},
            {"search", j.search},
            {"state", j.state},
            {"items", j.items},
            {"failed", j.failed},
            {"bytes", j.bytes},
            {"started", format_utc(j.started)},
            {"ended", j.ended ? nlohmann::json(format_utc(j.ended)) : nlohmann::json()},
            {"error", j.error},
            {"downloaded", j.downloaded},
            {"available", j.state == "done" && !j.removed}};
}

Result<Reply> case_hold(Context& ctx, Call& call)
{
    CV_TRY(const auto body, call.json_body());
    if (!body.contains("reason") || !body["reason"].is_string() || body["reason"].get<std::string>().empty())
        return fail(ErrorCode::InvalidArgument, "reason: say why (it is kept with the hold)");
    std::string query;
    if (body.contains("query") && !body["query"].is_null()) {
        if (!body["query"].is_string())
            return fail(ErrorCode::InvalidArgument, "query: expected a query (text)");
        query = body["query"].get<std::string>();
    }
    std::string id;
    if (body.contains("id") && body["id"].is_string())
        id = body["id"].get<std::string>();
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    CV_TRY(const auto h, g.add_case_hold(call.params["id"], query, body["reason"].get<std::string>(), id,
                                         gov::Actor{call.actor(), now_utc()}));
    return Reply::json(hold_json(h), 201);
}

// The export's work, on its own thread. compliance/export wants the archive to itself for the
// whole export (it reads items on this thread and blobs on its workers), so the archive lock is
// held from the first item to the zip: other requests wait meanwhile, as during an import.
void run_export(Context& ctx, std::string id, exports::ExportRequest request, compliance::query::Query q,
                std::string search)
{
    const fs::path dir = request.dir;
    Result<exports::ExportReport> report = [&]() -> Result<exports::ExportReport> {
        std::lock_guard lock(ctx.archive_mutex);
        archive::Archive& ar = ctx.archive;
        const exports::RenderFactory render = [&ar]() -> exports::RenderFn {
            auto r = std::make_shared<ingest::StoredRenderer>(ar);
            return [r](const archive::StoredItem& s, ByteSink& out) -> Result<void> {
                CV_TRY_VOID(r->render(s, out));
                return {};
            };
        };
        CV_TRY(auto rep, exports::export_query(ar, q, request, render));
        std::string actor, case_id;
        {
            std::lock_guard jobs(ctx.exports_mutex);
            actor = ctx.exports[id].actor;
            case_id = ctx.exports[id].case_id;
        }
        const nlohmann::json parameters{{"case", case_id},      {"search", search},
                                        {"query", rep.query},   {"zone", rep.zone},
                                        {"export", id},         {"dedupe", rep.dedupe},
                                        {"files", rep.files},   {"bytes", rep.bytes},
                                        {"failed", rep.failed}, {"mailboxes", request.mailboxes},
                                        {"via", "api"}};
        CV_TRY_VOID(
            ar.audit(archive::AuditEvent{actor, now_utc(), "case.export", parameters.dump(), rep.items}));
        return rep;
    }();
    // The plaintext folder goes as soon as the zip holds it (or the export failed).
    std::error_code ec;
    fs::remove_all(dir, ec);
    std::lock_guard jobs(ctx.exports_mutex);
    auto& job = ctx.exports[id];
    job.ended = now_utc();
    if (!report) {
        job.state = "failed";
        // The message may name files of the server: the log has it, the caller a summary.
        job.error = fmt::format("the export failed ({}); the service's log says why",
                                to_string(report.error().code()));
        if (ctx.log)
            ctx.log(fmt::format("export {}: {}", id, report.error().describe()));
        fs::remove(job.zip, ec);
        job.removed = true;
        return;
    }
    job.state = "done";
    job.items = report->items;
    job.failed = report->failed;
    job.bytes = fs::file_size(job.zip, ec);
    ::chmod(job.zip.c_str(), 0600);
}

Result<Reply> start_export(Context& ctx, Call& call)
{
    CV_TRY(const auto body, call.json_body());
    if (!body.contains("search") || !body["search"].is_string() || body["search"].get<std::string>().empty())
        return fail(ErrorCode::InvalidArgument, "search: expected the name of a search saved in the case");
    if (body.contains("dedupe") && !body["dedupe"].is_boolean())
        return fail(ErrorCode::InvalidArgument, "dedupe: expected true or false");
    const std::string search = body["search"].get<std::string>();
    const std::int64_t now = now_utc();
    exports::ExportRequest request;
    request.dedupe = body.value("dedupe", false);
    gov::Case c;
    {
        std::lock_guard lock(ctx.archive_mutex);
        gov::Governance g(ctx.archive);
        CV_TRY(c, g.get_case(call.params["id"]));
    }
    auto scope = gov::case_export_scope(c, search);
    if (!scope)
        return fail(scope.error().code() == ErrorCode::NotFound ? ErrorCode::InvalidArgument
                                                                : scope.error().code(),
                    fmt::format("search: {}", scope.error().message()));
    CV_TRY(const auto zone, TimeZone::locate(scope->search.zone));
    auto q = compliance::query::parse(scope->search.query, zone, now);
    if (!q)
        return fail(ErrorCode::InvalidArgument, fmt::format("search: {}", q.error().message()));
    // As `chatvault case export`: the custodians' mailboxes, each under its custodian's name.
    request.query = scope->search.query;
    request.zone = q->zone;
    request.mailboxes = scope->mailboxes;
    for (const auto& x : scope->custodians)
        request.custodians.push_back(exports::Custodian{x.name, x.mailboxes});
    request.title = scope->title;
    request.description = scope->description;
    request.threads = 2;  // the service shares its machine: an export must not take every core

    CV_TRY_VOID(private_dir(exports_dir(ctx)));
    Context::ExportJob job;
    {
        std::lock_guard jobs(ctx.exports_mutex);
        job.id = fmt::format("{}-{}", now, ++ctx.exports_started);
    }
    request.dir = exports_dir(ctx) / job.id;
    request.zip = exports_dir(ctx) / (job.id + ".zip");
    CV_TRY_VOID(private_dir(request.dir));
    job.case_id = c.id;
    job.search = search;
    job.actor = call.actor();
    job.started = now;
    job.zip = *request.zip;
    std::lock_guard jobs(ctx.exports_mutex);
    // Threads of exports that ended: their state is set last, under this mutex, so they are
    // only returning now.
    for (auto it = ctx.export_threads.begin(); it != ctx.export_threads.end();) {
        if (ctx.exports[it->first].state == "running") {
            ++it;
            continue;
        }
        it->second.join();
        it = ctx.export_threads.erase(it);
    }
    ctx.exports[job.id] = job;
    ctx.export_threads.try_emplace(job.id, run_export, std::ref(ctx), job.id, std::move(request),
                                   std::move(*q), search);
    return Reply::json({{"id", job.id}, {"state", "running"}}, 202);
}

Result<Reply> list_exports(Context& ctx, Call& call)
{
    {
        std::lock_guard lock(ctx.archive_mutex);
        gov::Governance g(ctx.archive);
        CV_TRY_VOID(g.get_case(call.params["id"]));  // an unknown case is a 404, not an empty list
    }
    std::lock_guard jobs(ctx.exports_mutex);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [id, j] : ctx.exports)
        if (j.case_id == call.params["id"])
            out.push_back(job_json(j));
    return Reply::json({{"exports", out}});
}

Result<Reply> download_export(Context& ctx, Call& call)
{
    const std::string& id = call.params["id"];
    Context::ExportJob job;
    {
        std::lock_guard jobs(ctx.exports_mutex);
        const auto it = ctx.exports.find(id);
        if (it == ctx.exports.end())
            return fail(ErrorCode::NotFound, fmt::format("no export '{}'", id));
        job = it->second;
    }
    if (job.state == "running")
        return fail(ErrorCode::Refused, fmt::format("export {} is still running", id));
    if (job.state != "done" || job.removed)
        return fail(ErrorCode::NotFound,
                    fmt::format("export {} has no zip (failed, expired or removed)", id));
    {
        std::lock_guard lock(ctx.archive_mutex);
        CV_TRY_VOID(ctx.archive.audit(archive::AuditEvent{
            call.actor(), now_utc(), "export.download",
            nlohmann::json{
                {"export", id}, {"case", job.case_id}, {"search", job.search}, {"bytes", job.bytes}}
                .dump(),
            job.items}));
    }
    {
        std::lock_guard jobs(ctx.exports_mutex);
        ctx.exports[id].downloaded = true;
    }
    Reply r;
    r.content_type = "application/zip";
    r.file = job.zip;
    r.headers.emplace_back("Content-Disposition",
                           fmt::format("attachment; filename=\"{}-export-{}.zip\"", job.case_id, id));
    return r;
}

}  // namespace

void clear_exports(Context& ctx)
{
    // Jobs are not kept across restarts: what a previous run left (a zip nobody fetched, the
    // plaintext folder of an export cut short) must not stay behind unseen.
    std::error_code ec;
    fs::remove_all(exports_dir(ctx), ec);
}

void sweep_exports(Context& ctx)
{
    const std::int64_t now = now_utc();
    std::vector<std::pair<std::string, std::string>> downloaded;  // export, case
    {
        std::lock_guard jobs(ctx.exports_mutex);
        for (auto& [id, j] : ctx.exports) {
            if (j.state != "done" || j.removed)
                continue;
            if (now - j.ended >= kZipLifetime) {
                std::error_code ec;
                fs::remove(j.zip, ec);
                j.removed = true;
            } else if (j.downloaded) {
                downloaded.emplace_back(id, j.case_id);
            }
        }
    }
    if (downloaded.empty())
        return;
    // Whether their cases are closed: only when the archive is free (a running export holds it).
    std::unique_lock lock(ctx.archive_mutex, std::try_to_lock);
    if (!lock.owns_lock())
        return;
    gov::Governance g(ctx.archive);
    std::vector<std::string> closed;
    for (const auto& [id, case_id] : downloaded) {
        auto c = g.get_case(case_id);
        if (!c || c->closed_at)
            closed.push_back(id);
    }
    lock.unlock();
    std::lock_guard jobs(ctx.exports_mutex);
    for (const auto& id : closed) {
        auto& j = ctx.exports[id];
        std::error_code ec;
        fs::remove(j.zip, ec);
        j.removed = true;
    }
}

void join_exports(Context& ctx)
{
    std::map<std::string, std::thread> threads;
    {
        std::lock_guard jobs(ctx.exports_mutex);
        threads.swap(ctx.export_threads);
    }
    for (auto& [id, t] : threads)
        t.join();
}

void add_export_routes(std::vector<Route>& routes)
{
    using P = auth::Permission;
    routes.push_back({"POST", "/api/v1/cases/{id}/holds", Access::Permission, P::CasesManage, case_hold});
    routes.push_back({"POST", "/api/v1/cases/{id}/exports", Access::Permission, P::Export, start_export});
    routes.push_back({"GET", "/api/v1/cases/{id}/exports", Access::Permission, P::Export, list_exports});
    routes.push_back(
        {"GET", "/api/v1/exports/{id}/download", Access::Permission, P::Export, download_export});
}

}  // namespace cv::server::detail

// Connectors: list (with live progress), add, change, remove, pause, run now, run history.
// Creating, changing and removing need connectors.manage (Mailbox Import Export, as in
// Microsoft 365); secrets go in, never come out.
#include <algorithm>

#include <fmt/format.h>

#include "server/detail/api.hpp"

namespace cv::server::detail {

namespace {

nlohmann::json progress_json(const connector::RunProgress& p)
{
    return {{"state", connector::to_string(p.state)},
            {"files", p.files},
            {"files_done", p.files_done},
            {"seen", p.seen},
            {"imported", p.imported},
            {"duplicates", p.duplicates},
            {"quarantined", p.quarantined},
            {"failed", p.failed},
            {"waiting", p.waiting},
            {"bytes", p.bytes},
            {"started", p.started ? nlohmann::json(format_utc(p.started)) : nlohmann::json()},
            {"ended", p.ended ? nlohmann::json(format_utc(p.ended)) : nlohmann::json()},
            {"errors", p.errors},
            {"current", p.current}};
}

nlohmann::json run_json(const connector::RunRecord& r)
{
    return {{"number", r.number},
            {"trigger", r.trigger},
            {"actor", r.actor},
            {"progress", progress_json(r.progress)}};
}

// The connector as stored (secrets as set/unset), its last and next run, and what it is doing.
nlohmann::json connector_json(Context& ctx, const connector::Connector& c, const connector::RunRecord* last)
{
    nlohmann::json j = nlohmann::json::parse(connector::to_json(c));
    const std::int64_t now = now_utc();
    std::optional<std::int64_t> last_start;
    if (last)
        last_start = last->progress.started;
    const auto next = connector::next_run(c, last_start, now);
    j["status"] = c.paused ? "paused" : "active";
    j["last_run"] = last ? run_json(*last) : nlohmann::json();
    j["next_run"] = c.kind == connector::Kind::CloudApi ? nlohmann::json("continuous")
                    : next                              ? nlohmann::json(format_utc(std::max(*next, now)))
                                                        : nlohmann::json();
    std::lock_guard lock(ctx.runs_mutex);
    if (const auto it = ctx.running.find(c.name); it != ctx.running.end()) {
        j["status"] = "running";
        j["live"] = {{"trigger", it->second.trigger}, {"progress", progress_json(it->second.progress)}};
    } else if (ctx.run_now.contains(c.name)) {
        j["status"] = "queued";
    } else if (const auto retry = ctx.settle_retry.find(c.name); retry != ctx.settle_retry.end()) {
        j["status"] = "settling";  // files still being written: run again once they can have settled
        j["next_run"] = format_utc(retry->second);
    }
    return j;
}

// The request body: a connector with its secrets' values in `secrets` (the stored form only
// says "set"/"unset").
Result<std::pair<connector::Connector, std::map<std::string, std::string>>> connector_body(const Call& call)
{
    CV_TRY(auto request, connector::parse_connector_request(call.body));
    return std::pair(std::move(request.connector), std::move(request.secrets));
}

// The connectors and their last runs: read from the archive when it is free, else (a run
// holds it) as last read, so that a running import's progress can be watched.
Result<std::pair<std::vector<connector::Connector>, std::map<std::string, connector::RunRecord>>>
connectors_now(Context& ctx)
{
    std::unique_lock lock(ctx.archive_mutex, std::try_to_lock);
    if (lock.owns_lock()) {
        connector::Connectors store(ctx.archive);
        CV_TRY(auto list, store.list());
        CV_TRY(auto last, store.last_runs());
        std::lock_guard cache(ctx.connectors_cache_mutex);
        ctx.connectors_cache = list;
        ctx.last_runs_cache = last;
        return std::pair(std::move(list), std::move(last));
    }
    std::lock_guard cache(ctx.connectors_cache_mutex);
    return std::pair(ctx.connectors_cache, ctx.last_runs_cache);
}

Result<Reply> list_connectors(Context& ctx, Call&)
{
    CV_TRY(const auto now, connectors_now(ctx));
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : now.first) {
        const auto it = now.second.find(c.name);
        out.push_back(connector_json(ctx, c, it == now.second.end() ? nullptr : &it->second));
    }
    return Reply::json({{"connectors", out}});
}

// A connector's run history, fresh when the archive is free, else as last read.
Result<std::vector<connector::RunRecord>> runs_now(Context& ctx, const std::string& name)
{
    std::unique_lock lock(ctx.archive_mutex, std::try_to_lock);
    if (lock.owns_lock()) {
        connector::Connectors store(ctx.archive);
        CV_TRY(auto runs, store.runs(name));
        std::lock_guard cache(ctx.connectors_cache_mutex);
        ctx.runs_cache[name] = runs;
        return runs;
    }
    std::lock_guard cache(ctx.connectors_cache_mutex);
    if (const auto it = ctx.runs_cache.find(name); it != ctx.runs_cache.end())
        return it->second;
    if (const auto it = ctx.last_runs_cache.find(name); it != ctx.last_runs_cache.end())
        return std::vector<connector::RunRecord>{it->second};
    return std::vector<connector::RunRecord>{};
}

Result<Reply> show_connector(Context& ctx, Call& call)
{
    const std::string& name = call.params["name"];
    CV_TRY(const auto now, connectors_now(ctx));
    const auto c =
        std::find_if(now.first.begin(), now.first.end(), [&](const auto& x) { return x.name == name; });
    if (c == now.first.end())
        return fail(ErrorCode::NotFound, fmt::format("no connector {}", name));
    CV_TRY(const auto runs, runs_now(ctx, name));
    nlohmann::json j = connector_json(ctx, *c, runs.empty() ? nullptr : &runs.front());
    nlohmann::json history = nlohmann::json::array();
    for (const auto& r : runs)
        history.push_back(run_json(r));
    j["runs"] = history;
    return Reply::json(j);
}

Result<Reply> list_runs(Context& ctx, Call& call)
{
    CV_TRY(const auto runs, runs_now(ctx, call.params["name"]));
    nlohmann::json history = nlohmann::json::array();
    for (const auto& r : runs)
        history.push_back(run_json(r));
    return Reply::json({{"runs", history}});
}

Result<Reply> add_connector(Context& ctx, Call& call)
{
    CV_TRY(auto parsed, connector_body(call));
    {
        std::lock_guard lock(ctx.archive_mutex);
        connector::Connectors store(ctx.archive);
        CV_TRY_VOID(store.add(parsed.first, parsed.second, call.actor(), now_utc()));
    }
    CV_TRY_VOID(ctx.reload_webhook_secrets());
    ctx.runs_changed.notify_all();
    call.params["name"] = parsed.first.name;
    CV_TRY(Reply r, show_connector(ctx, call));
    r.status = 201;
    return r;
}

Result<Reply> update_connector(Context& ctx, Call& call)
{
    CV_TRY(auto parsed, connector_body(call));
    if (parsed.first.name != call.params["name"])
        return fail(ErrorCode::InvalidArgument,
                    "name: a connector cannot be renamed (remove it and add another)");
    {
        std::lock_guard lock(ctx.archive_mutex);
        connector::Connectors store(ctx.archive);
        CV_TRY_VOID(store.update(parsed.first, parsed.second, call.actor(), now_utc()));
    }
    CV_TRY_VOID(ctx.reload_webhook_secrets());
    ctx.runs_changed.notify_all();
    return show_connector(ctx, call);
}

Result<Reply> remove_connector(Context& ctx, Call& call)
{
    {
        std::lock_guard lock(ctx.archive_mutex);
        connector::Connectors store(ctx.archive);
        CV_TRY_VOID(store.remove(call.params["name"], call.actor(), now_utc()));
    }
    CV_TRY_VOID(ctx.reload_webhook_secrets());
    return Reply::no_content();
}

Result<Reply> pause_connector(Context& ctx, Call& call, bool paused)
{
    {
        std::lock_guard lock(ctx.archive_mutex);
        connector::Connectors store(ctx.archive);
        CV_TRY_VOID(store.set_paused(call.params["name"], paused, call.actor(), now_utc()));
    }
    ctx.runs_changed.notify_all();
    return show_connector(ctx, call);
}

Result<Reply> run_now(Context& ctx, Call& call)
{
    const std::string& name = call.params["name"];
    {
        std::lock_guard lock(ctx.archive_mutex);
        connector::Connectors store(ctx.archive);
        CV_TRY(const auto c, store.get(name));
        if (!c)
            return fail(ErrorCode::NotFound, fmt::format("no connector {}", name));
        if (c->kind == connector::Kind::CloudApi)
            return fail(
                ErrorCode::InvalidArgument,
                fmt::format("{} is a Cloud API connector: its events are imported as they arrive", name));
        archive::AuditEvent event;
        event.actor = call.actor();
        event.time = now_utc();
        event.action = "connector.run.request";
        event.parameters = nlohmann::json{{"connector", name}}.dump();
        CV_TRY_VOID(ctx.archive.audit(event));
    }
    {
        std::lock_guard lock(ctx.runs_mutex);
        ctx.run_now[name] = call.actor();
    }
    ctx.runs_changed.notify_all();
    return Reply::json({{"connector", name}, {"status", "queued"}}, 202);
}

}  // namespace

void add_connector_routes(std::vector<Route>& routes)
{
    using P = auth::Permission;
    routes.push_back({"GET", "/api/v1/connectors", Access::Permission, P::ConnectorsRead, list_connectors});
    routes.push_back({"POST", "/api/v1/connectors", Access::Permission, P::ConnectorsManage, add_connector});
    routes.push_back(
        {"GET", "/api/v1/connectors/{name}", Access::Permission, P::ConnectorsRead, show_connector});
    routes.push_back(
        {"PUT", "/api/v1/connectors/{name}", Access::Permission, P::ConnectorsManage, update_connector});
    routes.push_back(
        {"DELETE", "/api/v1/connectors/{name}", Access::Permission, P::ConnectorsManage, remove_connector});
    routes.push_back({"POST", "/api/v1/connectors/{name}/pause", Access::Permission, P::ConnectorsManage,
                      [](Context& c, Call& call) { return pause_connector(c, call, true); }});
    routes.push_back({"POST", "/api/v1/connectors/{name}/resume", Access::Permission, P::ConnectorsManage,
                      [](Context& c, Call& call) { return pause_connector(c, call, false); }});
    routes.push_back(
        {"POST", "/api/v1/connectors/{name}/run", Access::Permission, P::ConnectorsRun, run_now});
    routes.push_back(
        {"GET", "/api/v1/connectors/{name}/runs", Access::Permission, P::ConnectorsRead, list_runs});
}

}  // namespace cv::server::detail

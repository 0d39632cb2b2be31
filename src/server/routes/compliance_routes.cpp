// What compliance staff do through the API: mailboxes, content search, an item, holds, the
// audit trail and quarantine. Searches and item views are audited like the CLI's.
#include <fmt/format.h>

#include "compliance/governance/governance.hpp"
#include "compliance/query/query.hpp"
#include "compliance/search/search.hpp"
#include "core/time.hpp"
#include "ingest/ingest.hpp"
#include "mapping/mapping.hpp"
#include "server/detail/api.hpp"

namespace cv::server::detail {

namespace {

namespace gov = compliance::governance;
namespace ret = compliance::retention;

Result<std::uint64_t> count_param(const Call& call, std::string_view name, std::uint64_t fallback,
                                  std::uint64_t max)
{
    const auto v = call.query_value(name);
    if (!v)
        return fallback;
    std::uint64_t n = 0;
    if (v->empty() || v->size() > 9 || v->find_first_not_of("0123456789") != std::string::npos)
        return fail(ErrorCode::InvalidArgument, fmt::format("{}: expected a whole number", name));
    n = std::stoull(*v);
    if (n > max)
        return fail(ErrorCode::InvalidArgument, fmt::format("{}: at most {}", name, max));
    return n;
}

Result<Reply> mailboxes(Context& ctx, Call&)
{
    std::lock_guard lock(ctx.archive_mutex);
    CV_TRY(const auto list, ctx.archive.mailboxes());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& m : list)
        out.push_back({{"address", m.address}, {"items", m.items}});
    return Reply::json({{"mailboxes", out}});
}

Result<Reply> search(Context& ctx, Call& call)
{
    const auto text = call.query_value("q");
    if (!text || text->empty())
        return fail(ErrorCode::InvalidArgument, "q: the query is missing");
    const std::string tz = call.query_value("tz").value_or("UTC");
    CV_TRY(const auto zone, TimeZone::locate(tz));
    const std::int64_t now = now_utc();
    auto q = compliance::query::parse(*text, zone, now);
    if (!q)
        return fail(ErrorCode::InvalidArgument, fmt::format("q: {}", q.error().message()));
    compliance::search::SearchOptions options;
    options.mailbox = call.query_value("mailbox");
    CV_TRY(options.limit, count_param(call, "limit", 50, 1000));
    CV_TRY(options.offset, count_param(call, "offset", 0, 100000000));
    std::lock_guard lock(ctx.archive_mutex);
    CV_TRY(const auto result, compliance::search::search(ctx.archive, *q, options));
    const nlohmann::json parameters{{"query", *text},
                                    {"zone", tz},
                                    {"mailbox", options.mailbox.value_or("")},
                                    {"limit", options.limit},
                                    {"offset", options.offset},
                                    {"via", "api"}};
    CV_TRY_VOID(
        ctx.archive.audit(archive::AuditEvent{call.actor(), now, "search", parameters.dump(), result.total}));
    nlohmann::json hits = nlohmann::json::array();
    for (const auto& h : result.hits)
        hits.push_back({{"item", h.item},
                        {"message_id", h.message_id},
                        {"mailboxes", h.mailboxes},
                        {"conversation", h.conversation},
                        {"author", h.author},
                        {"sent", format_utc(h.utc)},
                        {"kind", to_string(h.kind)},
                        {"deleted", h.deleted},
                        {"size", h.size},
                        {"snippet", h.snippet}});
    return Reply::json({{"total", result.total}, {"zone", result.zone}, {"hits", hits}});
}

Result<Reply> item(Context& ctx, Call& call)
{
    // A Reviewer's items.read reaches only the cases they are assigned to, and case
    // assignments are not kept yet: until they are, only those who may search see items.
    if (!call.principal->may(auth::Permission::Search))
        return Reply::json({{"error",
                             {{"code", "forbidden"},
                              {"message", "reviewers see the items of the cases they are assigned to"}}}},
                           403);
    const std::string& id_text = call.params["id"];
    if (id_text.empty() || id_text.size() > 18 ||
        id_text.find_first_not_of("0123456789") != std::string::npos)
        return fail(ErrorCode::InvalidArgument, "id: expected an item number");
    const std::int64_t id = std::stoll(id_text);
    std::lock_guard lock(ctx.archive_mutex);
    CV_TRY(const auto stored, ctx.archive.item(id));
    const nlohmann::json parameters{{"item", id}, {"via", "api"}};
    CV_TRY_VOID(
        ctx.archive.audit(archive::AuditEvent{call.actor(), now_utc(), "item.view", parameters.dump(), 1}));
    return Reply::json({{"item", stored.id},
                        {"message_id", stored.message_id},
                        {"mailboxes", stored.mailboxes},
                        {"conversation", stored.conversation.title},
                        {"author", stored.item.author.value_or("")},
                        {"sent", format_utc(stored.item.utc)},
                        {"kind", to_string(stored.item.kind)},
                        {"text", stored.item.text},
                        {"deleted", stored.item.deleted},
                        {"attachments", attachments_json(stored.item.attachments)},
                        {"sha256", to_hex(stored.render_sha256)},
                        {"sources", stored.sources}});
}

Result<Reply> list_holds(Context& ctx, Call& call)
{
    const bool all = call.query_value("all").value_or("") == "true";
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    CV_TRY(const auto holds, g.holds());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& h : holds)
        if (all || !h.released_at)
            out.push_back(hold_json(h));
    return Reply::json({{"holds", out}});
}

Result<Reply> add_hold(Context& ctx, Call& call)
{
    CV_TRY(const auto body, call.json_body());
    if (!body.contains("mailbox") || !body["mailbox"].is_string() ||
        body["mailbox"].get<std::string>().empty())
        return fail(ErrorCode::InvalidArgument, "mailbox: expected the mailbox's address");
    if (!body.contains("reason") || !body["reason"].is_string() || body["reason"].get<std::string>().empty())
        return fail(ErrorCode::InvalidArgument, "reason: say why (it is kept with the hold)");
    const gov::Actor actor{call.actor(), now_utc()};
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    CV_TRY(const auto existing, g.holds());
    ret::Hold h;
    h.id = body.contains("id") && body["id"].is_string() ? body["id"].get<std::string>()
                                                         : fmt::format("hold-{}", existing.size() + 1);
    h.kind = ret::HoldKind::Litigation;
    h.mailboxes = {body["mailbox"].get<std::string>()};
    h.reason = body["reason"].get<std::string>();
    CV_TRY_VOID(g.add_hold(h, actor));
    CV_TRY(const auto all, g.holds());
    for (const auto& x : all)
        if (x.id == h.id)
            return Reply::json(hold_json(x), 201);
    return fail(ErrorCode::Internal, "the hold was placed but cannot be read back");
}

Result<Reply> release_hold(Context& ctx, Call& call)
{
    CV_TRY(const auto body, call.json_body());
    if (!body.contains("reason") || !body["reason"].is_string() || body["reason"].get<std::string>().empty())
        return fail(ErrorCode::InvalidArgument, "reason: say why the hold is released");
    const gov::Actor actor{call.actor(), now_utc()};
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    CV_TRY(const auto h, g.release_hold(call.params["id"], body["reason"].get<std::string>(), actor));
    return Reply::json(hold_json(h));
}

Result<Reply> audit_log(Context& ctx, Call& call)
{
    archive::AuditFilter filter;
    if (const auto since = call.query_value("since")) {
        CV_TRY(filter.since, parse_instant(*since, "since"));
    }
    filter.actor = call.query_value("actor");
    filter.action = call.query_value("action");
    CV_TRY(const std::uint64_t limit, count_param(call, "limit", 1000, 100000));
    std::lock_guard lock(ctx.archive_mutex);
    CV_TRY(const auto records, ctx.archive.audit_log(filter));
    nlohmann::json out = nlohmann::json::array();
    // The newest `limit` events, oldest first.
    const std::size_t first = records.size() > limit ? records.size() - limit : 0;
    for (std::size_t i = first; i < records.size(); ++i) {
        const auto& r = records[i];
        nlohmann::json parameters = nlohmann::json::parse(r.event.parameters, nullptr, false);
        out.push_back(
            {{"seq", r.seq},
             {"hash", r.hash},
             {"time", format_utc(r.event.time)},
             {"actor", r.event.actor},
             {"action", r.event.action},
             {"parameters", parameters.is_discarded() ? nlohmann::json(r.event.parameters) : parameters},
             {"results", r.event.results ? nlohmann::json(*r.event.results) : nlohmann::json()}});
    }
    return Reply::json({{"events", out}, {"total", records.size()}});
}

Result<Reply> quarantine(Context& ctx, Call&)
{
    std::lock_guard lock(ctx.archive_mutex);
    CV_TRY(const auto entries, ctx.archive.quarantine());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& q : entries)
        out.push_back({{"item", q.id},
                       {"message_id", q.message_id},
                       {"reason", q.reason},
                       {"since", format_utc(q.since)}});
    return Reply::json({{"items", out}});
}

// Files the quarantined items the mapping now knows (`chatvault quarantine retry`): the CSV and
// region as a connector's, checked before the archive is touched.
Result<Reply> retry_quarantine(Context& ctx, Call& call)
{
    CV_TRY(const auto body, call.json_body());
    std::string region = "DE";
    if (body.contains("default_region")) {
        if (!body["default_region"].is_string())
            return fail(ErrorCode::InvalidArgument, "default_region: expected an ISO country code (DE)");
        region = body["default_region"].get<std::string>();
    }
    auto normalizer = mapping::PhoneNormalizer::create(region);
    if (!normalizer)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("default_region: {}", normalizer.error().message()));
    std::optional<mapping::UserMapping> csv;
    if (body.contains("mapping_csv") && !body["mapping_csv"].is_null()) {
        if (!body["mapping_csv"].is_string())
            return fail(ErrorCode::InvalidArgument, "mapping_csv: expected the CSV's text");
        const auto load =
            mapping::parse_mapping_csv(body["mapping_csv"].get<std::string>(), "mapping_csv", *normalizer);
        for (const auto& p : load.problems)
            if (p.kind != mapping::ProblemKind::Duplicate)
                return fail(ErrorCode::InvalidArgument,
                            fmt::format("mapping_csv line {}: {}{}", p.line,
                                        p.column.empty() ? "" : p.column + ": ", p.message));
        if (load.rejected)
            return fail(ErrorCode::InvalidArgument, "mapping_csv: refused");
        csv = std::move(load.mapping);
    }
    ingest::MappingContext mapping;
    mapping.normalizer = &*normalizer;
    mapping.csv = csv ? &*csv : nullptr;
    std::lock_guard lock(ctx.archive_mutex);
    CV_TRY(const auto report, ingest::retry_quarantine(ctx.archive, mapping));
    nlohmann::json per = nlohmann::json::object();
    for (const auto& [mailbox, n] : report.filed_per_mailbox)
        per[mailbox] = n;
    const nlohmann::json parameters{{"default_region", region},
                                    {"mapping_csv", csv.has_value()},
                                    {"still_quarantined", report.still_quarantined},
                                    {"per_mailbox", per},
                                    {"via", "api"}};
    CV_TRY_VOID(ctx.archive.audit(
        archive::AuditEvent{call.actor(), now_utc(), "quarantine.retry", parameters.dump(), report.filed}));
    return Reply::json(
        {{"filed", report.filed}, {"still_quarantined", report.still_quarantined}, {"per_mailbox", per}});
}

}  // namespace

nlohmann::json attachments_json(const std::vector<Attachment>& attachments)
{
    nlohmann::json out = nlohmann::json::array();
    for (const auto& a : attachments)
        out.push_back({{"name", a.name},
                       {"present", a.present},
                       {"size", a.size ? nlohmann::json(*a.size) : nlohmann::json()}});
    return out;
}

nlohmann::json hold_json(const ret::Hold& h)
{
    return {{"id", h.id},
            {"kind", h.kind == ret::HoldKind::Litigation ? "litigation" : "case"},
            {"mailboxes", h.mailboxes},
            {"query", h.query},
            {"case", h.case_id},
            {"since", format_utc(h.since)},
            {"released_at", h.released_at ? nlohmann::json(format_utc(*h.released_at)) : nlohmann::json()},
            {"placed_by", h.placed_by},
            {"reason", h.reason},
            {"released_by", h.released_by}};
}

void add_compliance_routes(std::vector<Route>& routes)
{
    using P = auth::Permission;
    routes.push_back({"GET", "/api/v1/mailboxes", Access::Permission, P::Search, mailboxes});
    routes.push_back({"GET", "/api/v1/search", Access::Permission, P::Search, search});
    routes.push_back({"GET", "/api/v1/items/{id}", Access::Permission, P::ItemsRead, item});
    routes.push_back({"GET", "/api/v1/holds", Access::Permission, P::HoldsRead, list_holds});
    routes.push_back({"POST", "/api/v1/holds", Access::Permission, P::HoldsManage, add_hold});
    routes.push_back(
        {"POST", "/api/v1/holds/{id}/release", Access::Permission, P::HoldsManage, release_hold});
    routes.push_back({"GET", "/api/v1/audit", Access::Permission, P::AuditRead, audit_log});
    routes.push_back({"GET", "/api/v1/quarantine", Access::Permission, P::QuarantineRead, quarantine});
    routes.push_back(
        {"POST", "/api/v1/quarantine/retry", Access::Permission, P::QuarantineManage, retry_quarantine});
}

}  // namespace cv::server::detail

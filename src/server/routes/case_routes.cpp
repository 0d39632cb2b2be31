// eDiscovery cases through the API: create, custodians, reviewers, saved searches with their
// estimate, a case's holds (shown with it), close (cases.read / cases.manage); and the Reviewer's view
// (review.assigned): the cases they are added to, their saved searches' results within the custodians'
// mailboxes, and those items — nothing outside them. Everything a reviewer looks at is audited.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "compliance/governance/governance.hpp"
#include "compliance/query/query.hpp"
#include "compliance/search/search.hpp"
#include "server/detail/api.hpp"

namespace cv::server::detail {

namespace {

namespace gov = compliance::governance;

nlohmann::json estimate_json(const gov::Estimate& e)
{
    nlohmann::json per = nlohmann::json::object();
    for (const auto& [mailbox, m] : e.mailboxes)
        per[mailbox] = {{"items", m.items}, {"bytes", m.bytes}};
    return {{"items", e.items}, {"bytes", e.bytes}, {"mailboxes", per}};
}

nlohmann::json case_json(const gov::Case& c)
{
    nlohmann::json custodians = nlohmann::json::array();
    for (const auto& x : c.custodians)
        custodians.push_back({{"name", x.name}, {"mailboxes", x.mailboxes}});
    nlohmann::json searches = nlohmann::json::array();
    for (const auto& s : c.searches)
        searches.push_back({{"name", s.name},
                            {"query", s.query},
                            {"zone", s.zone},
                            {"saved_by", s.saved_by},
                            {"saved_at", format_utc(s.saved_at)}});
    return {{"id", c.id},
            {"name", c.name},
            {"description", c.description},
            {"created_by", c.created_by},
            {"created_at", format_utc(c.created_at)},
            {"closed_at", c.closed_at ? nlohmann::json(format_utc(*c.closed_at)) : nlohmann::json()},
            {"custodians", custodians},
            {"searches", searches},
            {"reviewers", c.reviewers}};
}

Result<std::string> required_text(const nlohmann::json& body, const char* key)
{
    if (!body.contains(key) || !body[key].is_string() || body[key].get<std::string>().empty())
        return fail(ErrorCode::InvalidArgument, fmt::format("{}: expected a non-empty string", key));
    return body[key].get<std::string>();
}

Result<gov::Case> open_case(gov::Governance& g, const std::string& id)
{
    CV_TRY(auto c, g.get_case(id));
    if (c.closed_at)
        return fail(ErrorCode::InvalidArgument, fmt::format("case '{}' is closed", id));
    return c;
}

Result<Reply> list_cases(Context& ctx, Call&)
{
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    CV_TRY(const auto cases, g.cases());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : cases)
        out.push_back(case_json(c));
    return Reply::json({{"cases", out}});
}

Result<Reply> create_case(Context& ctx, Call& call)
{
    CV_TRY(const auto body, call.json_body());
    CV_TRY(const std::string id, required_text(body, "id"));
    const gov::Actor actor{call.actor(), now_utc()};
    std::lock_guard lock(ctx.archive_mutex);
    CV_TRY(const auto existing, ctx.archive.document("case", id));
    if (existing)
        return fail(ErrorCode::InvalidArgument, fmt::format("id: there is already a case '{}'", id));
    gov::Case c;
    c.id = id;
    c.name = body.value("name", id);
    c.description = body.value("description", "");
    c.created_by = actor.name;
    c.created_at = actor.now;
    gov::Governance g(ctx.archive);
    CV_TRY_VOID(g.put_case(
        c, "case.create",
        nlohmann::json{{"name", c.name}, {"description", c.description}, {"via", "api"}}.dump(), actor));
    return Reply::json(case_json(c), 201);
}

Result<Reply> show_case(Context& ctx, Call& call)
{
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    CV_TRY(const auto c, g.get_case(call.params["id"]));
    // The case's own holds, released ones too: those who manage a case place its holds without
    // holds.read, and must still see what they placed.
    CV_TRY(const auto all_holds, g.holds());
    nlohmann::json holds = nlohmann::json::array();
    for (const auto& h : all_holds)
        if (h.case_id == c.id)
            holds.push_back(hold_json(h));
    nlohmann::json j = case_json(c);
    j["holds"] = holds;
    return Reply::json(j);
}

Result<Reply> add_custodian(Context& ctx, Call& call)
{
    CV_TRY(const auto body, call.json_body());
    CV_TRY(const std::string name, required_text(body, "name"));
    if (!body.contains("mailboxes") || !body["mailboxes"].is_array() || body["mailboxes"].empty())
        return fail(ErrorCode::InvalidArgument, "mailboxes: expected a non-empty list of mailbox addresses");
    gov::Custodian custodian{name, {}};
    for (const auto& m : body["mailboxes"]) {
        if (!m.is_string() || m.get<std::string>().empty())
            return fail(ErrorCode::InvalidArgument, "mailboxes: expected a list of mailbox addresses");
        custodian.mailboxes.push_back(m.get<std::string>());
    }
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    CV_TRY(const auto widened,
           g.add_custodian(call.params["id"], custodian, gov::Actor{call.actor(), now_utc()}));
    CV_TRY(const auto c, g.get_case(call.params["id"]));
    nlohmann::json j = case_json(c);
    j["holds_widened"] = widened;
    return Reply::json(j);
}

Result<Reply> add_reviewer(Context& ctx, Call& call)
{
    CV_TRY(const auto body, call.json_body());
    CV_TRY(const std::string user, required_text(body, "user"));
    const gov::Actor actor{call.actor(), now_utc()};
    std::lock_guard lock(ctx.archive_mutex);
    auth::Accounts accounts(ctx.archive);
    CV_TRY(const auto known, accounts.user(user));
    if (!known)
        return fail(ErrorCode::InvalidArgument, fmt::format("user: no user '{}'", user));
    gov::Governance g(ctx.archive);
    CV_TRY(const auto c, g.set_reviewer(call.params["id"], user, true, actor));
    return Reply::json(case_json(c));
}

Result<Reply> remove_reviewer(Context& ctx, Call& call)
{
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    CV_TRY_VOID(
        g.set_reviewer(call.params["id"], call.params["user"], false, gov::Actor{call.actor(), now_utc()}));
    return Reply::no_content();
}

Result<Reply> save_search(Context& ctx, Call& call)
{
    CV_TRY(const auto body, call.json_body());
    CV_TRY(const std::string name, required_text(body, "name"));
    CV_TRY(const std::string query, required_text(body, "query"));
    const std::string zone = body.value("tz", "UTC");
    const gov::Actor actor{call.actor(), now_utc()};
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    CV_TRY(auto c, open_case(g, call.params["id"]));
    // Estimated before it is saved: a query that cannot run is refused, not stored.
    auto estimate = g.estimate(query, zone, c.mailboxes(), actor.now);
    if (!estimate)
        return fail(ErrorCode::InvalidArgument, fmt::format("query: {}", estimate.error().message()));
    std::erase_if(c.searches, [&](const auto& s) { return s.name == name; });
    c.searches.push_back(gov::SavedSearch{name, query, zone, actor.name, actor.now});
    CV_TRY_VOID(g.put_case(
        c, "case.search.save",
        nlohmann::json{
            {"search", name}, {"query", query}, {"zone", zone}, {"estimate", estimate_json(*estimate)}}
            .dump(),
        actor));
    return Reply::json({{"case", c.id}, {"search", name}, {"estimate", estimate_json(*estimate)}}, 201);
}

Result<Reply> close_case(Context& ctx, Call& call)
{
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    CV_TRY_VOID(g.close_case(call.params["id"], gov::Actor{call.actor(), now_utc()}));
    CV_TRY(const auto c, g.get_case(call.params["id"]));
    return Reply::json(case_json(c));
}

// ---- the Reviewer's view ---------------------------------------------------------------------

// The case, if the caller reviews it; "not found" otherwise, so that case ids are not probed.
Result<gov::Case> reviewed_case(gov::Governance& g, const Call& call)
{
    auto c = g.get_case(call.params.at("id"));
    if (!c || std::find(c->reviewers.begin(), c->reviewers.end(), call.principal->user) == c->reviewers.end())
        return fail(ErrorCode::NotFound, fmt::format("no case '{}' for you to review", call.params.at("id")));
    return c;
}

Result<Reply> my_cases(Context& ctx, Call& call)
{
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    CV_TRY(const auto cases, g.cases());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : cases)
        if (std::find(c.reviewers.begin(), c.reviewers.end(), call.principal->user) != c.reviewers.end())
            out.push_back(case_json(c));
    return Reply::json({{"cases", out}});
}

Result<Reply> review_results(Context& ctx, Call& call)
{
    const std::int64_t now = now_utc();
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    CV_TRY(const auto c, reviewed_case(g, call));
    const auto saved = std::find_if(c.searches.begin(), c.searches.end(),
                                    [&](const auto& s) { return s.name == call.params["search"]; });
    if (saved == c.searches.end())
        return fail(ErrorCode::NotFound,
                    fmt::format("case '{}' has no search '{}'", c.id, call.params["search"]));
    CV_TRY(const auto zone, TimeZone::locate(saved->zone));
    CV_TRY(const auto q, compliance::query::parse(saved->query, zone, now));
    // The results within the custodians' mailboxes, newest first, each item once.
    constexpr std::uint64_t kLimit = 1000;
    std::map<std::int64_t, compliance::search::Hit> hits;
    std::uint64_t total = 0;
    for (const auto& mailbox : c.mailboxes()) {
        compliance::search::SearchOptions options;
        options.mailbox = mailbox;
        options.limit = kLimit;
        CV_TRY(const auto result, compliance::search::search(ctx.archive, q, options));
        total += result.total;
        for (const auto& h : result.hits)
            hits.emplace(h.item, h);
    }
    std::vector<compliance::search::Hit> ordered;
    for (auto& [id, h] : hits)
        ordered.push_back(std::move(h));
    std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.utc > b.utc; });
    if (ordered.size() > kLimit)
        ordered.resize(kLimit);
    CV_TRY_VOID(ctx.archive.audit(archive::AuditEvent{
        call.actor(), now, "review.search",
        nlohmann::json{{"case", c.id}, {"search", saved->name}, {"query", saved->query}}.dump(),
        ordered.size()}));
    nlohmann::json out = nlohmann::json::array();
    for (const auto& h : ordered)
        out.push_back({{"item", h.item},
                       {"mailboxes", h.mailboxes},
                       {"conversation", h.conversation},
                       {"author", h.author},
                       {"sent", format_utc(h.utc)},
                       {"kind", to_string(h.kind)},
                       {"snippet", h.snippet}});
    return Reply::json({{"case", c.id}, {"search", saved->name}, {"hits", out}});
}

Result<Reply> review_item(Context& ctx, Call& call)
{
    const std::string& id_text = call.params["item"];
    if (id_text.empty() || id_text.size() > 18 ||
        id_text.find_first_not_of("0123456789") != std::string::npos)
        return fail(ErrorCode::InvalidArgument, "item: expected an item number");
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    CV_TRY(const auto c, reviewed_case(g, call));
    auto stored = ctx.archive.item(std::stoll(id_text));
    const auto mailboxes = c.mailboxes();
    // Only items placed in the case's custodians' mailboxes: the reviewer's reach is the case.
    if (!stored || std::none_of(stored->mailboxes.begin(), stored->mailboxes.end(), [&](const auto& m) {
            return std::binary_search(mailboxes.begin(), mailboxes.end(), m);
        }))
        return fail(ErrorCode::NotFound, fmt::format("case '{}' holds no item {}", c.id, id_text));
    CV_TRY_VOID(ctx.archive.audit(
        archive::AuditEvent{call.actor(), now_utc(), "review.item",
                            nlohmann::json{{"case", c.id}, {"item", stored->id}}.dump(), 1}));
    return Reply::json({{"item", stored->id},
                        {"conversation", stored->conversation.title},
                        {"author", stored->item.author.value_or("")},
                        {"sent", format_utc(stored->item.utc)},
                        {"kind", to_string(stored->item.kind)},
                        {"text", stored->item.text},
                        {"attachments", attachments_json(stored->item.attachments)}});
}

}  // namespace

void add_case_routes(std::vector<Route>& routes)
{
    using P = auth::Permission;
    routes.push_back({"GET", "/api/v1/cases", Access::Permission, P::CasesRead, list_cases});
    routes.push_back({"POST", "/api/v1/cases", Access::Permission, P::CasesManage, create_case});
    routes.push_back({"GET", "/api/v1/cases/{id}", Access::Permission, P::CasesRead, show_case});
    routes.push_back(
        {"POST", "/api/v1/cases/{id}/custodians", Access::Permission, P::CasesManage, add_custodian});
    routes.push_back(
        {"POST", "/api/v1/cases/{id}/reviewers", Access::Permission, P::CasesManage, add_reviewer});
    routes.push_back({"DELETE", "/api/v1/cases/{id}/reviewers/{user}", Access::Permission, P::CasesManage,
                      remove_reviewer});
    routes.push_back(
        {"POST", "/api/v1/cases/{id}/searches", Access::Permission, P::CasesManage, save_search});
    routes.push_back({"POST", "/api/v1/cases/{id}/close", Access::Permission, P::CasesManage, close_case});
    routes.push_back({"GET", "/api/v1/review/cases", Access::Permission, P::ReviewAssignedCases, my_cases});
    routes.push_back({"GET", "/api/v1/review/cases/{id}/searches/{search}", Access::Permission,
                      P::ReviewAssignedCases, review_results});
    routes.push_back({"GET", "/api/v1/review/cases/{id}/items/{item}", Access::Permission,
                      P::ReviewAssignedCases, review_item});
}

}  // namespace cv::server::detail

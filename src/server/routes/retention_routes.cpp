// Retention through the API: policies (as `chatvault retention policy`), the dry run to review,
// and a reviewed disposition: only the placements a reviewer approved, decided again when applied
// (still due, not held), are disposed of; a rejected placement is kept on record and shown as
// rejected, and no later apply disposes of it unless it is approved again.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "compliance/governance/governance.hpp"
#include "core/byte_sink.hpp"
#include "core/time.hpp"
#include "ingest/ingest.hpp"
#include "server/detail/api.hpp"

namespace cv::server::detail {

namespace {

namespace gov = compliance::governance;
namespace ret = compliance::retention;

nlohmann::json policy_json(const ret::Policy& p)
{
    return nlohmann::json::parse(gov::to_json(p));
}

Result<std::vector<std::string>> string_list(const nlohmann::json& v, std::string_view field)
{
    if (!v.is_array())
        return fail(ErrorCode::InvalidArgument, fmt::format("{}: expected a list of names", field));
    std::vector<std::string> out;
    for (const auto& x : v) {
        if (!x.is_string() || x.get<std::string>().empty())
            return fail(ErrorCode::InvalidArgument, fmt::format("{}: expected a list of names", field));
        out.push_back(x.get<std::string>());
    }
    return out;
}

// The body's fields over `base` (a new policy: defaults), as the CLI's options: id, name, action,
// period ("7 years", "forever"), basis (sent, imported), scope {mailboxes, folders, kinds}, lock.
Result<ret::Policy> policy_from_body(const nlohmann::json& body, ret::Policy p, bool is_new)
{
    auto text = [&](const char* key) -> Result<std::optional<std::string>> {
        if (!body.contains(key) || body[key].is_null())
            return std::optional<std::string>();
        if (!body[key].is_string())
            return fail(ErrorCode::InvalidArgument, fmt::format("{}: expected text", key));
        return std::optional<std::string>(body[key].get<std::string>());
    };
    CV_TRY(const auto name, text("name"));
    if (name)
        p.name = *name;
    CV_TRY(const auto action, text("action"));
    if (!action && is_new)
        return fail(ErrorCode::InvalidArgument, "action: expected retain, delete or retain-then-delete");
    if (action) {
        auto a = gov::parse_action(*action);
        if (!a)
            return fail(ErrorCode::InvalidArgument, fmt::format("action: {}", a.error().message()));
        p.action = *a;
    }
    CV_TRY(const auto period, text("period"));
    if (period) {
        if (*period == "forever")
            p.period.reset();
        else {
            auto parsed = gov::parse_period(*period);
            if (!parsed)
                return fail(ErrorCode::InvalidArgument, fmt::format("period: {}", parsed.error().message()));
            p.period = *parsed;
        }
    }
    CV_TRY(const auto basis, text("basis"));
    if (basis) {
        auto b = gov::parse_basis(*basis);
        if (!b)
            return fail(ErrorCode::InvalidArgument, fmt::format("basis: {}", b.error().message()));
        p.basis = *b;
    }
    if (body.contains("scope") && !body["scope"].is_null()) {
        const auto& scope = body["scope"];
        if (!scope.is_object())
            return fail(ErrorCode::InvalidArgument, "scope: expected {mailboxes, folders, kinds}");
        if (scope.contains("mailboxes")) {
            CV_TRY(p.scope.mailboxes, string_list(scope["mailboxes"], "scope.mailboxes"));
        }
        if (scope.contains("folders")) {
            CV_TRY(p.scope.folders, string_list(scope["folders"], "scope.folders"));
        }
        if (scope.contains("kinds")) {
            CV_TRY(const auto kinds, string_list(scope["kinds"], "scope.kinds"));
            p.scope.kinds.clear();
            for (const auto& k : kinds) {
                auto kind = gov::parse_kind(k);
                if (!kind)
                    return fail(ErrorCode::InvalidArgument,
                                fmt::format("scope.kinds: {}", kind.error().message()));
                p.scope.kinds.push_back(*kind);
            }
        }
    }
    if (body.contains("lock")) {
        if (!body["lock"].is_boolean())
            return fail(ErrorCode::InvalidArgument, "lock: expected true or false");
        if (body["lock"].get<bool>())
            p.locked = true;  // a lock is never lifted (put_policy refuses that anyway)
    }
    return p;
}

Result<Reply> list_policies(Context& ctx, Call&)
{
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    CV_TRY(const auto all, g.policies());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : all)
        out.push_back(policy_json(p));
    return Reply::json({{"policies", out}});
}

Result<Reply> add_policy(Context& ctx, Call& call)
{
    CV_TRY(const auto body, call.json_body());
    if (!body.contains("id") || !body["id"].is_string() || body["id"].get<std::string>().empty())
        return fail(ErrorCode::InvalidArgument, "id: expected the policy's id");
    ret::Policy base;
    base.id = body["id"].get<std::string>();
    CV_TRY(const auto p, policy_from_body(body, base, true));
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    CV_TRY(const auto all, g.policies());
    for (const auto& x : all)
        if (x.id == p.id)
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("id: there is already a policy '{}' (change it with PUT)", p.id));
    CV_TRY_VOID(g.put_policy(p, gov::Actor{call.actor(), now_utc()}));
    return Reply::json(policy_json(p), 201);
}

Result<Reply> change_policy(Context& ctx, Call& call)
{
    CV_TRY(const auto body, call.json_body());
    if (body.contains("id") && body["id"] != call.params["id"])
        return fail(ErrorCode::InvalidArgument, "id: a policy's id cannot change");
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    CV_TRY(const auto all, g.policies());
    std::optional<ret::Policy> before;
    for (const auto& x : all)
        if (x.id == call.params["id"])
            before = x;
    if (!before)
        return fail(ErrorCode::NotFound, fmt::format("no retention policy '{}'", call.params["id"]));
    CV_TRY(const auto p, policy_from_body(body, *before, false));
    // A locked policy may only become stricter: put_policy refuses anything else (409, why).
    CV_TRY_VOID(g.put_policy(p, gov::Actor{call.actor(), now_utc()}));
    return Reply::json(policy_json(p));
}

Result<Reply> remove_policy(Context& ctx, Call& call)
{
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    CV_TRY_VOID(g.remove_policy(call.params["id"], gov::Actor{call.actor(), now_utc()}));
    return Reply::no_content();
}

nlohmann::json entry_json(const gov::RunEntry& e, const gov::Governance::Rejection* rejected)
{
    const auto& d = e.decision;
    return {{"item", e.item},
            {"mailbox", e.mailbox},
            {"policy", d.deletion_policy},
            {"last_placement", e.last_placement},
            {"delete_at", d.delete_at ? nlohmann::json(format_utc(*d.delete_at)) : nlohmann::json()},
            {"reasons", d.reasons},
            {"rejected", rejected ? nlohmann::json{{"by", rejected->by},
                                                   {"at", format_utc(rejected->at)},
                                                   {"reason", rejected->reason}}
                                  : nlohmann::json()}};
}

// The index entry of an item removed whole goes with the text it was made of: its rendered subject.
archive::Archive::IndexedSubject subject_of(archive::Archive& a)
{
    return [&a](const archive::StoredItem& s) -> Result<std::string> {
        CountingSink sink;
        CV_TRY(const auto r, ingest::render_stored(a, s, sink));
        return r.subject;
    };
}

Result<Reply> review(Context& ctx, Call& call)
{
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    const gov::Actor actor{call.actor(), now_utc()};
    CV_TRY(const auto report,
           g.run_retention(false, actor, subject_of(ctx.archive)));  // audited retention.run
    CV_TRY(const auto rejections, g.rejections());
    nlohmann::json dispose = nlohmann::json::array();
    for (const auto& e : report.dispose) {
        const auto it = rejections.find({e.item, e.mailbox});
        dispose.push_back(entry_json(e, it == rejections.end() ? nullptr : &it->second));
    }
    return Reply::json({{"now", format_utc(actor.now)},
                        {"placements", report.placements},
                        {"held", report.held},
                        {"dispose", dispose}});
}

Result<std::vector<std::pair<std::int64_t, std::string>>> placements_of(const nlohmann::json& body,
                                                                        const char* key, bool with_reason,
                                                                        std::vector<std::string>* reasons)
{
    std::vector<std::pair<std::int64_t, std::string>> out;
    if (!body.contains(key))
        return out;
    if (!body[key].is_array())
        return fail(ErrorCode::InvalidArgument, fmt::format("{}: expected a list of {{item, mailbox}}", key));
    for (std::size_t i = 0; i < body[key].size(); ++i) {
        const auto& x = body[key][i];
        if (!x.is_object() || !x.contains("item") || !x["item"].is_number_integer() ||
            !x.contains("mailbox") || !x["mailbox"].is_string() || x["mailbox"].get<std::string>().empty())
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("{}[{}]: expected {{item: number, mailbox: address{}}}", key, i,
                                    with_reason ? ", reason" : ""));
        if (with_reason) {
            if (!x.contains("reason") || !x["reason"].is_string() || x["reason"].get<std::string>().empty())
                return fail(ErrorCode::InvalidArgument,
                            fmt::format("{}[{}].reason: say why it is kept", key, i));
            reasons->push_back(x["reason"].get<std::string>());
        }
        out.emplace_back(x["item"].get<std::int64_t>(), x["mailbox"].get<std::string>());
    }
    return out;
}

Result<Reply> apply(Context& ctx, Call& call)
{
    CV_TRY(const auto body, call.json_body());
    CV_TRY(const auto approve, placements_of(body, "approve", false, nullptr));
    std::vector<std::string> reasons;
    CV_TRY(const auto reject, placements_of(body, "reject", true, &reasons));
    const std::set<std::pair<std::int64_t, std::string>> approved(approve.begin(), approve.end());
    for (const auto& r : reject)
        if (approved.contains(r))
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("reject: item {} in {} is approved too", r.first, r.second));
    const gov::Actor actor{call.actor(), now_utc()};
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    for (std::size_t i = 0; i < reject.size(); ++i)
        CV_TRY_VOID(g.reject_disposal(reject[i].first, reject[i].second, reasons[i], actor));
    nlohmann::json disposed = nlohmann::json::array();
    nlohmann::json removed = nlohmann::json::object();
    if (!approved.empty()) {
        // Decided again now: an approved placement no longer due, or held since, stays.
        CV_TRY(const auto report,
               g.run_retention(true, actor, subject_of(ctx.archive), [&](const gov::RunEntry& e) {
                   return approved.contains({e.item, e.mailbox});
               }));
        for (const auto& e : report.dispose)
            disposed.push_back(
                {{"item", e.item}, {"mailbox", e.mailbox}, {"policy", e.decision.deletion_policy}});
        removed = {{"placements", report.disposal.placements},
                   {"items", report.disposal.items},
                   {"attachments", report.disposal.blobs},
                   {"bytes_released", report.disposal.bytes_released}};
    }
    nlohmann::json kept = nlohmann::json::array();
    for (const auto& a : approve) {
        const bool done = std::any_of(disposed.begin(), disposed.end(), [&](const auto& d) {
            return d["item"] == a.first && d["mailbox"] == a.second;
        });
        if (!done)
            kept.push_back({{"item", a.first}, {"mailbox", a.second}});
    }
    return Reply::json(
        {{"disposed", disposed}, {"not_disposed", kept}, {"rejected", reject.size()}, {"removed", removed}});
}

}  // namespace

void add_retention_routes(std::vector<Route>& routes)
{
    using P = auth::Permission;
    routes.push_back(
        {"GET", "/api/v1/retention/policies", Access::Permission, P::RetentionRead, list_policies});
    routes.push_back(
        {"POST", "/api/v1/retention/policies", Access::Permission, P::RetentionManage, add_policy});
    routes.push_back(
        {"PUT", "/api/v1/retention/policies/{id}", Access::Permission, P::RetentionManage, change_policy});
    routes.push_back(
        {"DELETE", "/api/v1/retention/policies/{id}", Access::Permission, P::RetentionManage, remove_policy});
    routes.push_back({"GET", "/api/v1/retention/review", Access::Permission, P::RetentionRead, review});
    routes.push_back({"POST", "/api/v1/retention/apply", Access::Permission, P::RetentionApply, apply});
}

}  // namespace cv::server::detail

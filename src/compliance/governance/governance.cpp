#include "compliance/governance/governance.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "compliance/query/query.hpp"
#include "compliance/search/search.hpp"
#include "core/time.hpp"

namespace cv::compliance::governance {

using json = nlohmann::json;
using namespace retention;

namespace {

constexpr std::string_view kHold = "hold";
constexpr std::string_view kPolicy = "policy";
constexpr std::string_view kCase = "case";

archive::AuditEvent event(const Actor& actor, std::string_view action, std::string parameters,
                          std::optional<std::uint64_t> results = std::nullopt)
{
    return archive::AuditEvent{actor.name, actor.now, std::string(action), std::move(parameters), results};
}

/// Every document of a kind, read with `read` (hold_from_json, …).
template <class Read>
auto read_all(archive::Archive& a, std::string_view kind, Read read)
    -> Result<std::vector<typename decltype(read(std::string_view()))::value_type>>
{
    CV_TRY(const auto docs, a.documents(kind));
    std::vector<typename decltype(read(std::string_view()))::value_type> out;
    for (const auto& d : docs) {
        CV_TRY(auto x, read(d.json));
        out.push_back(std::move(x));
    }
    return out;
}

/// Every item id a query finds (in the archive's whole index), read in `zone` at `now`.
Result<std::vector<std::int64_t>> query_ids(archive::Archive& a, std::string_view text,
                                            std::string_view zone_name, std::int64_t now)
{
    CV_TRY(const auto zone, TimeZone::locate(std::string(zone_name)));
    CV_TRY(const auto q, query::parse(text, zone, now));
    search::SearchOptions options;
    options.snippets = false;
    CV_TRY(const auto plan, search::plan(q, options, &a));
    return a.search_ids(plan.where);
}

}  // namespace

Result<void> Governance::audit(std::string_view action, std::string_view parameters,
                               std::optional<std::uint64_t> results, const Actor& actor)
{
    CV_TRY_VOID(archive_.audit(event(actor, action, std::string(parameters), results)));
    return {};
}

// ---- holds ----------------------------------------------------------------------------------

Result<std::vector<Hold>> Governance::holds()
{
    return read_all(archive_, kHold, hold_from_json);
}

Result<void> Governance::add_hold(Hold hold, const Actor& actor)
{
    if (hold.since == 0)
        hold.since = actor.now;
    if (hold.placed_by.empty())
        hold.placed_by = actor.name;
    CV_TRY_VOID(validate(hold));
    if (hold.kind == HoldKind::Case && !hold.query.empty()) {
        // A query that cannot run would protect nothing: refuse it now, not at the next run.
        CV_TRY(const auto zone, TimeZone::locate("UTC"));
        if (auto q = query::parse(hold.query, zone, actor.now); !q)
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("hold '{}': query: {}", hold.id, q.error().message()));
    }
    CV_TRY(const auto existing, archive_.document(kHold, hold.id));
    if (existing)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("there is already a hold '{}' (holds are released, never reused)", hold.id));
    const std::string doc = to_json(hold);
    CV_TRY_VOID(archive_.put_document(kHold, hold.id, doc, event(actor, "hold.add", doc)));
    return {};
}

Result<CaseExportScope> case_export_scope(const Case& c, std::string_view search)
{
    const auto s =
        std::find_if(c.searches.begin(), c.searches.end(), [&](const auto& x) { return x.name == search; });
    if (s == c.searches.end())
        return fail(ErrorCode::NotFound, fmt::format("case {} has no search '{}'", c.id, search));
    if (c.custodians.empty())
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("case {} has no custodian: nothing to export", c.id));
    CaseExportScope scope;
    scope.search = *s;
    scope.mailboxes = c.mailboxes();
    scope.custodians = c.custodians;
    scope.title = c.name.empty() ? "case " + c.id : c.name;
    scope.description = fmt::format("case {}, search {}: {}", c.id, s->name, s->query);
    return scope;
}

Result<Hold> Governance::add_case_hold(std::string_view case_id, std::string_view query,
                                       std::string_view reason, std::string_view id, const Actor& actor)
{
    CV_TRY(const auto c, get_case(case_id));
    if (c.closed_at)
        return fail(ErrorCode::InvalidArgument, fmt::format("case {} is closed", c.id));
    const auto mailboxes = c.mailboxes();
    if (mailboxes.empty())
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("case {} has no custodian: add one with `case custodian add`", c.id));
    CV_TRY(const auto existing, holds());
    std::size_t n = 1;
    for (const auto& h : existing)
        n += h.case_id == c.id ? 1 : 0;
    Hold h;
    h.id = id.empty() ? fmt::format("{}-hold-{}", c.id, n) : std::string(id);
    h.kind = HoldKind::Case;
    h.case_id = c.id;
    h.mailboxes = mailboxes;
    h.query = std::string(query);
    h.reason = reason.empty() ? fmt::format("case {}", c.id) : std::string(reason);
    CV_TRY_VOID(add_hold(h, actor));
    CV_TRY(const auto all, holds());
    for (auto& x : all)
        if (x.id == h.id)
            return x;
    return fail(ErrorCode::Internal, fmt::format("hold '{}' was placed but cannot be read back", h.id));
}

Result<Hold> Governance::release_hold(std::string_view id, std::string_view reason, const Actor& actor)
{
    CV_TRY(const auto doc, archive_.document(kHold, id));
    if (!doc)
        return fail(ErrorCode::NotFound, fmt::format("no hold '{}'", id));
    CV_TRY(Hold h, hold_from_json(doc->json));
    if (h.released_at)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("hold '{}' was already released by {}", id, h.released_by));
    // In force up to and including this second (a hold placed and released within the same
    // second stays valid: released_at is never before since).
    h.released_at = std::max(actor.now, h.since);
    h.released_by = actor.name;
    const std::string text = to_json(h);
    json parameters = json::parse(text);
    parameters["release_reason"] = reason;
    CV_TRY_VOID(archive_.put_document(kHold, h.id, text, event(actor, "hold.release", parameters.dump())));
    return h;
}

// ---- policies ---------------------------------------------------------------------------------

Result<std::vector<Policy>> Governance::policies()
{
    return read_all(archive_, kPolicy, policy_from_json);
}

Result<void> Governance::put_policy(const Policy& policy, const Actor& actor)
{
    CV_TRY_VOID(validate(policy));
    CV_TRY(const auto doc, archive_.document(kPolicy, policy.id));
    std::string action = "policy.add";
    json parameters = json::parse(to_json(policy));
    if (doc) {
        CV_TRY(const Policy before, policy_from_json(doc->json));
        CV_TRY_VOID(check_policy_change(before, policy));
        action = "policy.change";
        parameters = json{{"before", json::parse(doc->json)}, {"after", parameters}};
    }
    CV_TRY_VOID(
        archive_.put_document(kPolicy, policy.id, to_json(policy), event(actor, action, parameters.dump())));
    return {};
}

Result<void> Governance::remove_policy(std::string_view id, const Actor& actor)
{
    CV_TRY(const auto doc, archive_.document(kPolicy, id));
    if (!doc)
        return fail(ErrorCode::NotFound, fmt::format("no retention policy '{}'", id));
    CV_TRY(const Policy p, policy_from_json(doc->json));
    if (p.locked)
        return fail(
            ErrorCode::Refused,
            fmt::format("retention policy '{}' is under preservation lock: it cannot be removed", id));
    CV_TRY_VOID(archive_.put_document(kPolicy, id, "", event(actor, "policy.remove", doc->json)));
    return {};
}

// ---- cases ------------------------------------------------------------------------------------

Result<std::vector<Case>> Governance::cases()
{
    return read_all(archive_, kCase, case_from_json);
}

Result<Case> Governance::get_case(std::string_view id)
{
    CV_TRY(const auto doc, archive_.document(kCase, id));
    if (!doc)
        return fail(ErrorCode::NotFound, fmt::format("no case '{}'", id));
    return case_from_json(doc->json);
}

Result<Case> Governance::set_reviewer(std::string_view case_id, std::string_view user, bool reviews,
                                      const Actor& actor)
{
    CV_TRY(auto c, get_case(case_id));
    const bool present = std::find(c.reviewers.begin(), c.reviewers.end(), user) != c.reviewers.end();
    if (reviews) {
        if (c.closed_at)
            return fail(ErrorCode::InvalidArgument, fmt::format("case '{}' is closed", c.id));
        if (present)
            return c;
        c.reviewers.emplace_back(user);
    } else {
        if (!present)
            return fail(ErrorCode::NotFound, fmt::format("{} does not review case '{}'", user, c.id));
        std::erase(c.reviewers, user);
    }
    CV_TRY_VOID(put_case(c, reviews ? "case.reviewer.add" : "case.reviewer.remove",
                         nlohmann::json{{"reviewer", user}}.dump(), actor));
    return c;
}

Result<void> Governance::put_case(const Case& c, std::string_view action, std::string_view detail,
                                  const Actor& actor)
{
    if (c.id.empty())
        return fail(ErrorCode::InvalidArgument, "a case needs an id");
    std::set<std::string> names;
    for (const auto& s : c.searches)
        if (!names.insert(s.name).second)
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("case '{}' has two searches named '{}'", c.id, s.name));
    json parameters = json::parse(std::string(detail.empty() ? "{}" : detail), nullptr, false);
    if (parameters.is_discarded() || !parameters.is_object())
        parameters = json::object();
    parameters["case"] = c.id;
    CV_TRY_VOID(archive_.put_document(kCase, c.id, to_json(c), event(actor, action, parameters.dump())));
    return {};
}

Result<std::vector<std::string>> Governance::add_custodian(std::string_view case_id,
                                                           const Custodian& custodian, const Actor& actor)
{
    CV_TRY(Case c, get_case(case_id));
    if (c.closed_at)
        return fail(ErrorCode::InvalidArgument, fmt::format("case '{}' is closed", case_id));
    if (custodian.name.empty() || custodian.mailboxes.empty())
        return fail(ErrorCode::InvalidArgument, "a custodian needs a name and at least one mailbox");
    auto it = std::find_if(c.custodians.begin(), c.custodians.end(),
                           [&](const Custodian& x) { return x.name == custodian.name; });
    if (it == c.custodians.end()) {
        c.custodians.push_back(Custodian{custodian.name, {}});
        it = std::prev(c.custodians.end());
    }
    for (const auto& m : custodian.mailboxes)
        if (std::find(it->mailboxes.begin(), it->mailboxes.end(), m) == it->mailboxes.end())
            it->mailboxes.push_back(m);
    CV_TRY_VOID(put_case(c, "case.custodian.add",
                         json{{"custodian", custodian.name}, {"mailboxes", custodian.mailboxes}}.dump(),
                         actor));
    // A case hold covers the case's custodians, those added after it was placed too.
    std::vector<std::string> widened;
    CV_TRY(const auto all, holds());
    for (Hold h : all) {
        if (h.case_id != c.id || h.released_at)
            continue;
        bool changed = false;
        for (const auto& m : custodian.mailboxes)
            if (std::find(h.mailboxes.begin(), h.mailboxes.end(), m) == h.mailboxes.end()) {
                h.mailboxes.push_back(m);
                changed = true;
            }
        if (!changed)
            continue;
        std::sort(h.mailboxes.begin(), h.mailboxes.end());
        const std::string doc = to_json(h);
        CV_TRY_VOID(archive_.put_document(kHold, h.id, doc, event(actor, "hold.widen", doc)));
        widened.push_back(h.id);
    }
    return widened;
}

Result<void> Governance::close_case(std::string_view id, const Actor& actor)
{
    CV_TRY(Case c, get_case(id));
    if (c.closed_at)
        return fail(ErrorCode::InvalidArgument, fmt::format("case '{}' is already closed", id));
    // Its holds go with it: a closed case protects nothing (Purview does the same).
    CV_TRY(const auto all, holds());
    for (const auto& h : all)
        if (h.case_id == c.id && !h.released_at)
            CV_TRY_VOID(release_hold(h.id, fmt::format("case {} closed", c.id), actor));
    c.closed_at = actor.now;
    c.closed_by = actor.name;
    return put_case(c, "case.close", "{}", actor);
}

Result<Estimate> Governance::estimate(std::string_view query_text, std::string_view zone,
                                      const std::vector<std::string>& mailboxes, std::int64_t now)
{
    CV_TRY(auto found, query_ids(archive_, query_text, zone, now));
    std::sort(found.begin(), found.end());
    const std::set<std::string> wanted(mailboxes.begin(), mailboxes.end());
    // Streamed: the archive's placements are never all in memory, only the query's ids.
    Estimate e;
    std::int64_t last = -1;
    CV_TRY_VOID(archive_.placements([&](const archive::Placement& p) -> Result<void> {
        if (!std::binary_search(found.begin(), found.end(), p.item) ||
            (!wanted.empty() && !wanted.contains(p.mailbox)))
            return {};
        auto& m = e.mailboxes[p.mailbox];
        ++m.items;
        m.bytes += p.size;
        if (p.item != last) {  // placements come in item order: count each item once
            ++e.items;
            e.bytes += p.size;
            last = p.item;
        }
        return {};
    }));
    return e;
}

// ---- retention ------------------------------------------------------------------------------

Result<std::map<std::string, std::vector<std::int64_t>>>
Governance::hold_matches(const std::vector<Hold>& all, std::int64_t now)
{
    std::map<std::string, std::vector<std::int64_t>> out;
    for (const auto& h : all) {
        // A hold protects up to and including the second it is released (retention::protects):
        // its query is evaluated while it is in force at `now`, not only while unreleased.
        if (h.query.empty() || now < h.since || (h.released_at && now > *h.released_at))
            continue;
        // Case hold queries are read in UTC (a hold has no zone of its own).
        auto ids = query_ids(archive_, h.query, "UTC", now);
        if (!ids)
            return fail(Error(ids.error()).with_context(fmt::format("hold '{}'", h.id)));
        out.emplace(h.id, std::move(*ids));
    }
    return out;
}

Result<RunReport> Governance::run_retention(bool apply, const Actor& actor,
                                            const archive::Archive::IndexedSubject& subject,
                                            const std::function<bool(const RunEntry&)>& select)
{
    CV_TRY(const auto all_holds, holds());
    CV_TRY(const auto all_policies, policies());
    CV_TRY(const auto matches, hold_matches(all_holds, actor.now));
    // Streamed, one item's placements at a time (they come in item order): a plan's only
    // cross-placement fact, last_placement, is per item, so planning item by item gives the
    // whole run's plan, and memory holds one item and what is due, not every placement.
    RunReport report;
    std::vector<ItemFacts> facts;
    const auto plan_item = [&]() {
        for (const auto& d : plan_disposition(facts, all_holds, all_policies, actor.now))
            report.dispose.push_back(
                RunEntry{std::stoll(d.item_id), d.mailbox, d.decision, d.last_placement});
        facts.clear();
    };
    std::int64_t current = -1;
    CV_TRY_VOID(archive_.placements([&](const archive::Placement& p) -> Result<void> {
        if (p.item != current && !facts.empty())
            plan_item();
        current = p.item;
        ItemFacts f;
        f.id = std::to_string(p.item);
        f.mailbox = p.mailbox;
        f.folder = p.folder;
        f.kind = p.kind;
        f.sent = p.utc;
        f.imported = p.imported_at;
        for (const auto& [hold, ids] : matches)
            if (std::binary_search(ids.begin(), ids.end(), p.item))
                f.matching_holds.insert(hold);
        ++report.placements;
        for (const auto& h : all_holds)
            if (protects(h, f, actor.now)) {
                ++report.held;
                break;
            }
        facts.push_back(std::move(f));
        return {};
    }));
    if (!facts.empty())
        plan_item();
    const std::size_t due = report.dispose.size();
    if (apply && select)
        std::erase_if(report.dispose, [&](const RunEntry& e) { return !select(e); });

    json parameters{{"apply", apply},      {"now", actor.now},          {"placements", report.placements},
                    {"held", report.held}, {"policies", json::array()}, {"holds", json::array()}};
    for (const auto& p : all_policies)
        parameters["policies"].push_back(p.id);
    for (const auto& h : all_holds)
        if (!h.released_at)
            parameters["holds"].push_back(h.id);
    if (apply && select) {
        parameters["due"] = due;
        parameters["approved"] = report.dispose.size();
    }
    if (!apply || report.dispose.empty()) {
        CV_TRY_VOID(archive_.audit(event(actor, apply ? "retention.dispose" : "retention.run",
                                         parameters.dump(), report.dispose.size())));
        report.applied = apply;
        return report;
    }
    std::vector<archive::Disposal> disposals;
    disposals.reserve(report.dispose.size());
    for (const auto& e : report.dispose) {
        // Belt and braces: the plan never disposes of a held placement; the decision says so.
        if (e.decision.held)
            return fail(ErrorCode::Internal, fmt::format("item {} in {} is held", e.item, e.mailbox));
        std::string reason;
        for (const auto& r : e.decision.reasons) {
            if (!reason.empty())
                reason += "; ";
            reason += r;
        }
        disposals.push_back(
            archive::Disposal{e.item, e.mailbox, e.decision.deletion_policy, std::move(reason)});
    }
    CV_TRY(report.disposal,
           archive_.dispose(disposals, event(actor, "retention.dispose", parameters.dump()), subject));
    report.applied = true;
    return report;
}

constexpr std::string_view kRejection = "retention.rejection";

Result<void> Governance::reject_disposal(std::int64_t item, std::string_view mailbox, std::string_view reason,
                                         const Actor& actor)
{
    if (mailbox.empty())
        return fail(ErrorCode::InvalidArgument, "mailbox: expected the placement's mailbox");
    if (reason.empty())
        return fail(ErrorCode::InvalidArgument, "reason: say why the item is kept");
    const std::string doc =
        json{{"item", item}, {"mailbox", mailbox}, {"by", actor.name}, {"at", actor.now}, {"reason", reason}}
            .dump();
    CV_TRY_VOID(archive_.put_document(kRejection, fmt::format("{}/{}", item, mailbox), doc,
                                      event(actor, "retention.reject", doc, 1)));
    return {};
}

Result<std::map<std::pair<std::int64_t, std::string>, Governance::Rejection>> Governance::rejections()
{
    CV_TRY(const auto docs, archive_.documents(kRejection));
    std::map<std::pair<std::int64_t, std::string>, Rejection> out;
    for (const auto& d : docs) {
        const json j = json::parse(d.json, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("item") || !j["item"].is_number_integer())
            return fail(ErrorCode::Parse, fmt::format("rejection '{}': not a rejection document", d.id));
        out[{j["item"].get<std::int64_t>(), j.value("mailbox", "")}] =
            Rejection{j.value("by", ""), j.value("at", std::int64_t{0}), j.value("reason", "")};
    }
    return out;
}

}  // namespace cv::compliance::governance

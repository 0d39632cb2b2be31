// `chatvault hold`, `retention`, `case` and `audit`: the compliance officer's commands. Each
// change is attributed (--actor, $CHATVAULT_ACTOR, else the login name) and journaled by the
// archive as an audit event in the transaction that makes it.

#include "cli/compliance_commands.hpp"

#include <ctime>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/cli_support.hpp"
#include "cli/export_command.hpp"
#include "compliance/governance/governance.hpp"
#include "core/byte_sink.hpp"
#include "ingest/ingest.hpp"
#include "server/auth/auth.hpp"

namespace cv::cli {

using nlohmann::json;
namespace gov = compliance::governance;
namespace ret = compliance::retention;

namespace {

gov::Actor actor_of(const Common& c)
{
    return gov::Actor{actor_name(c.actor), now_utc()};
}

/// Opens the archive and runs `body` with a Governance over it; errors become exit codes.
template <class F> int with_governance(const Common& c, F&& body)
{
    auto a = open_archive(c.archive);
    if (!a)
        return report_error(a.error());
    gov::Governance g(*a);
    Result<void> r = body(*a, g);
    if (!r)
        return report_error(r.error());
    return 0;
}

std::string when(const std::optional<std::int64_t>& t)
{
    return t ? utc_text(*t) : "";
}

json hold_json(const ret::Hold& h)
{
    return json{{"id", h.id},
                {"kind", std::string(ret::to_string(h.kind))},
                {"mailboxes", h.mailboxes},
                {"query", h.query},
                {"case", h.case_id},
                {"since", utc_text(h.since)},
                {"released_at", h.released_at ? json(utc_text(*h.released_at)) : json(nullptr)},
                {"placed_by", h.placed_by},
                {"reason", h.reason},
                {"released_by", h.released_by}};
}

// ---- hold -------------------------------------------------------------------------------------

struct HoldArgs {
    Common common;
    std::string mailbox, id, reason, query;
    bool all = false;
};

void add_hold_commands(CLI::App& app, int& status)
{
    auto* hold = app.add_subcommand("hold", "Litigation holds: a held item is never disposed of");
    hold->require_subcommand(1);
    auto args = std::make_shared<HoldArgs>();

    auto* add = hold->add_subcommand("add", "Put a mailbox on litigation hold (at once; later items too)");
    add->add_option("mailbox", args->mailbox, "The mailbox (email address)")->required();
    add->add_option("--reason", args->reason, "Why (recorded with the hold)")->required();
    add->add_option("--id", args->id, "The hold's id (default: hold-N)");
    add_common(add, args->common);
    add->callback([args, &status] {
        status = with_governance(args->common, [&](archive::Archive& a, gov::Governance& g) -> Result<void> {
            CV_TRY(const auto existing, g.holds());
            const auto mailboxes = a.mailboxes();
            ret::Hold h;
            h.id = args->id.empty() ? fmt::format("hold-{}", existing.size() + 1) : args->id;
            h.kind = ret::HoldKind::Litigation;
            h.mailboxes = {args->mailbox};
            h.reason = args->reason;
            const auto actor = actor_of(args->common);
            CV_TRY_VOID(g.add_hold(h, actor));
            bool known = false;
            if (mailboxes)
                for (const auto& m : *mailboxes)
                    known = known || m.address == args->mailbox;
            if (args->common.json) {
                CV_TRY(const auto all, g.holds());
                for (const auto& x : all)
                    if (x.id == h.id)
                        print_json(hold_json(x));
            } else {
                fmt::print("hold {} placed on {} by {} at {}\n", h.id, args->mailbox, actor.name,
                           utc_text(actor.now));
                if (!known)
                    fmt::print("note: no item is filed in {} yet; the hold covers those that arrive\n",
                               args->mailbox);
            }
            return {};
        });
    });

    auto* rm = hold->add_subcommand("rm", "Release a hold (it stays on record)");
    rm->add_option("id", args->id, "The hold's id")->required();
    rm->add_option("--reason", args->reason, "Why it is released")->required();
    add_common(rm, args->common);
    rm->callback([args, &status] {
        status = with_governance(args->common, [&](archive::Archive&, gov::Governance& g) -> Result<void> {
            CV_TRY(const auto h, g.release_hold(args->id, args->reason, actor_of(args->common)));
            if (args->common.json)
                print_json(hold_json(h));
            else
                fmt::print("hold {} released by {} at {}\n", h.id, h.released_by, when(h.released_at));
            return {};
        });
    });

    auto* ls = hold->add_subcommand("ls", "List the holds in force (--all: released ones too)");
    ls->add_flag("--all", args->all, "Released holds too");
    add_common(ls, args->common);
    ls->callback([args, &status] {
        status = with_governance(args->common, [&](archive::Archive&, gov::Governance& g) -> Result<void> {
            CV_TRY(const auto all, g.holds());
            json out = json::array();
            for (const auto& h : all) {
                if (h.released_at && !args->all)
                    continue;
                if (args->common.json) {
                    out.push_back(hold_json(h));
                    continue;
                }
                fmt::print("{}\t{}\t{}\t{} by {}\t{}{}{}\n", h.id, ret::to_string(h.kind),
                           fmt::join(h.mailboxes, ","), utc_text(h.since), h.placed_by, h.reason,
                           h.query.empty() ? "" : "\tquery: " + h.query,
                           h.released_at
                               ? fmt::format("\treleased {} by {}", when(h.released_at), h.released_by)
                               : "");
            }
            if (args->common.json)
                print_json(out);
            return {};
        });
    });
}

// ---- retention --------------------------------------------------------------------------------

struct PolicyArgs {
    Common common;
    std::string id, name, action, period, basis;
    std::vector<std::string> mailboxes, folders, kinds;
    bool lock = false;
    bool apply = false;
    std::string now;
};

Result<ret::Policy> policy_from_args(const PolicyArgs& a, CLI::App* cmd, std::optional<ret::Policy> base)
{
    ret::Policy p = base.value_or(ret::Policy{});
    p.id = a.id;
    if (cmd->count("--name") || !base)
        p.name = a.name;
    if (cmd->count("--action") || !base) {
        CV_TRY(p.action, gov::parse_action(a.action));
    }
    if (cmd->count("--period")) {
        if (a.period == "forever")
            p.period.reset();
        else {
            CV_TRY(p.period, gov::parse_period(a.period));
        }
    }
    if (cmd->count("--basis")) {
        CV_TRY(p.basis, gov::parse_basis(a.basis));
    }
    if (cmd->count("--mailbox"))
        p.scope.mailboxes = a.mailboxes;
    if (cmd->count("--folder"))
        p.scope.folders = a.folders;
    if (cmd->count("--kind")) {
        p.scope.kinds.clear();
        for (const auto& k : a.kinds) {
            CV_TRY(const auto kind, gov::parse_kind(k));
            p.scope.kinds.push_back(kind);
        }
    }
    if (a.lock)
        p.locked = true;
    return p;
}

void add_policy_options(CLI::App* cmd, PolicyArgs& a, bool required)
{
    cmd->add_option("id", a.id, "The policy's id")->required();
    auto* action = cmd->add_option("--action", a.action, "retain, delete or retain-then-delete");
    if (required)
        action->required();
    cmd->add_option("--period", a.period,
                    "How long: \"7 years\", \"90 days\", \"18 months\", or forever (retain)");
    cmd->add_option("--basis", a.basis,
                    "Count the period from the sent date (sent, default) or the import date");
    cmd->add_option("--mailbox", a.mailboxes, "Only these mailboxes (explicit scope; default: all)");
    cmd->add_option("--folder", a.folders, "Only these folders (explicit scope; default: all)");
    cmd->add_option("--kind", a.kinds, "Only these kinds: message, call, system (default: all)");
    cmd->add_option("--name", a.name, "A name for people");
    cmd->add_flag("--lock", a.lock, "Preservation lock: from now on the policy can only be made stricter");
    add_common(cmd, a.common);
}

std::string describe(const ret::Policy& p)
{
    std::string scope;
    auto part = [&](std::string_view what, const std::vector<std::string>& v) {
        if (!v.empty())
            scope += fmt::format(" {} {}", what, fmt::join(v, ","));
    };
    part("mailboxes", p.scope.mailboxes);
    part("folders", p.scope.folders);
    std::vector<std::string> kinds;
    for (const auto k : p.scope.kinds)
        kinds.emplace_back(to_string(k));
    part("kinds", kinds);
    return fmt::format("{}\t{} {} from {}\t{}{}{}", p.id, ret::to_string(p.action),
                       p.period ? ret::to_string(*p.period) : std::string("forever"), ret::to_string(p.basis),
                       scope.empty() ? "all mailboxes" : scope.substr(1), p.locked ? "\tlocked" : "",
                       p.name.empty() ? "" : "\t" + p.name);
}

json policy_json(const ret::Policy& p)
{
    return json::parse(gov::to_json(p));
}

json decision_json(const gov::RunEntry& e)
{
    const auto& d = e.decision;
    return json{{"item", e.item},
                {"mailbox", e.mailbox},
                {"last_placement", e.last_placement},
                {"policy", d.deletion_policy},
                {"delete_at", d.delete_at ? json(utc_text(*d.delete_at)) : json(nullptr)},
                {"retain_until",
                 d.retain_until
                     ? (*d.retain_until == ret::kForever ? json("forever") : json(utc_text(*d.retain_until)))
                     : json(nullptr)},
                {"reasons", d.reasons}};
}

void add_retention_commands(CLI::App& app, int& status)
{
    auto* retention = app.add_subcommand("retention", "Retention policies and disposition runs");
    retention->require_subcommand(1);
    auto* policy = retention->add_subcommand("policy", "Add, change, remove and list retention policies");
    policy->require_subcommand(1);
    auto args = std::make_shared<PolicyArgs>();

    auto* add = policy->add_subcommand("add", "Add a retention policy");
    add_policy_options(add, *args, true);
    add->callback([args, add, &status] {
        status = with_governance(args->common, [&](archive::Archive&, gov::Governance& g) -> Result<void> {
            CV_TRY(const auto all, g.policies());
            for (const auto& p : all)
                if (p.id == args->id)
                    return fail(
                        ErrorCode::InvalidArgument,
                        fmt::format("there is already a policy '{}': change it with `retention policy set`",
                                    args->id));
            CV_TRY(const auto p, policy_from_args(*args, add, std::nullopt));
            CV_TRY_VOID(g.put_policy(p, actor_of(args->common)));
            if (args->common.json)
                print_json(policy_json(p));
            else
                fmt::print("policy added: {}\n", describe(p));
            return {};
        });
    });

    auto* set = policy->add_subcommand("set", "Change a policy (a locked one only to be stricter)");
    add_policy_options(set, *args, false);
    set->callback([args, set, &status] {
        status = with_governance(args->common, [&](archive::Archive&, gov::Governance& g) -> Result<void> {
            CV_TRY(const auto all, g.policies());
            std::optional<ret::Policy> before;
            for (const auto& p : all)
                if (p.id == args->id)
                    before = p;
            if (!before)
                return fail(ErrorCode::NotFound, fmt::format("no retention policy '{}'", args->id));
            CV_TRY(const auto p, policy_from_args(*args, set, before));
            CV_TRY_VOID(g.put_policy(p, actor_of(args->common)));
            if (args->common.json)
                print_json(policy_json(p));
            else
                fmt::print("policy changed: {}\n", describe(p));
            return {};
        });
    });

    auto* rm = policy->add_subcommand("rm", "Remove a policy (not a locked one)");
    rm->add_option("id", args->id, "The policy's id")->required();
    add_common(rm, args->common, false);
    rm->callback([args, &status] {
        status = with_governance(args->common, [&](archive::Archive&, gov::Governance& g) -> Result<void> {
            CV_TRY_VOID(g.remove_policy(args->id, actor_of(args->common)));
            fmt::print("policy {} removed\n", args->id);
            return {};
        });
    });

    auto* ls = policy->add_subcommand("ls", "List the retention policies");
    add_common(ls, args->common);
    ls->callback([args, &status] {
        status = with_governance(args->common, [&](archive::Archive&, gov::Governance& g) -> Result<void> {
            CV_TRY(const auto all, g.policies());
            json out = json::array();
            for (const auto& p : all) {
                if (args->common.json)
                    out.push_back(policy_json(p));
                else
                    fmt::print("{}\n", describe(p));
            }
            if (args->common.json)
                print_json(out);
            return {};
        });
    });

    auto* run = retention->add_subcommand(
        "run",
        "Decide every item by the policies and holds; list what would be disposed of (--apply: do it)");
    run->add_flag("--apply", args->apply,
                  "Dispose of what is due (journaled with the policy and the item's hash)");
    run->add_option("--now", args->now, "Decide as at this UTC instant instead of now (dry runs only)");
    add_common(run, args->common);
    run->callback([args, &status] {
        status = with_governance(args->common, [&](archive::Archive& a, gov::Governance& g) -> Result<void> {
            auto actor = actor_of(args->common);
            if (!args->now.empty()) {
                if (args->apply)
                    return fail(ErrorCode::InvalidArgument,
                                "--now is for dry runs: --apply disposes as at now");
                CV_TRY(actor.now, parse_instant(args->now, "--now"));
            }
            // The index entry of an item removed whole is taken out with the text it was made
            // of; its subject is the rendered one.
            auto subject = [&a](const archive::StoredItem& s) -> Result<std::string> {
                CountingSink sink;
                CV_TRY(const auto r, ingest::render_stored(a, s, sink));
                return r.subject;
            };
            CV_TRY(const auto report, g.run_retention(args->apply, actor, subject));
            if (args->common.json) {
                json out{{"now", utc_text(actor.now)},
                         {"applied", report.applied},
                         {"placements", report.placements},
                         {"held", report.held},
                         {"dispose", json::array()}};
                for (const auto& e : report.dispose)
                    out["dispose"].push_back(decision_json(e));
                if (report.applied)
                    out["disposed"] = {{"placements", report.disposal.placements},
                                       {"items", report.disposal.items},
                                       {"attachments", report.disposal.blobs},
                                       {"bytes_released", report.disposal.bytes_released}};
                print_json(out);
                return {};
            }
            for (const auto& e : report.dispose)
                fmt::print("{}\t{}\t{}\t{}\n", e.item, e.mailbox, e.decision.deletion_policy,
                           fmt::join(e.decision.reasons, "; "));
            fmt::print("{} placements decided at {}, {} held; {} {}\n", report.placements,
                       utc_text(actor.now), report.held, report.dispose.size(),
                       report.applied ? "disposed of"
                                      : "due for disposal (dry run: --apply disposes of them)");
            if (report.applied)
                fmt::print("{} items removed whole, {} attachments erased ({} bytes)\n",
                           report.disposal.items, report.disposal.blobs, report.disposal.bytes_released);
            return {};
        });
    });
}

// ---- case -------------------------------------------------------------------------------------

struct CaseArgs {
    Common common;
    std::string id, name, description, custodian, search, query, tz = "UTC", reason, hold_id;
    std::vector<std::string> mailboxes;
};

json estimate_json(const gov::Estimate& e)
{
    json per = json::object();
    for (const auto& [m, x] : e.mailboxes)
        per[m] = {{"items", x.items}, {"bytes", x.bytes}};
    return json{{"items", e.items}, {"bytes", e.bytes}, {"mailboxes", per}};
}

void print_estimate(const gov::Estimate& e)
{
    fmt::print("estimate: {} items, {} bytes\n", e.items, e.bytes);
    for (const auto& [m, x] : e.mailboxes)
        fmt::print("  {}\t{} items\t{} bytes\n", m, x.items, x.bytes);
}

json case_json(const gov::Case& c)
{
    json j = json::parse(gov::to_json(c));
    j["created_at"] = utc_text(c.created_at);
    j["closed_at"] = c.closed_at ? json(utc_text(*c.closed_at)) : json(nullptr);
    return j;
}

Result<gov::Case> open_case(gov::Governance& g, const std::string& id)
{
    CV_TRY(auto c, g.get_case(id));
    if (c.closed_at)
        return fail(ErrorCode::InvalidArgument, fmt::format("case '{}' is closed", id));
    return c;
}

void add_case_commands(CLI::App& app, int& status)
{
    auto* cs = app.add_subcommand("case", "eDiscovery cases: custodians, holds, saved searches, exports");
    cs->require_subcommand(1);
    auto args = std::make_shared<CaseArgs>();

    auto* create = cs->add_subcommand("create", "Open a case");
    create->add_option("id", args->id, "The case's id (e.g. 2026-017)")->required();
    create->add_option("--name", args->name, "Its name");
    create->add_option("--description", args->description, "What it is about");
    add_common(create, args->common, false);
    create->callback([args, &status] {
        status = with_governance(args->common, [&](archive::Archive& a, gov::Governance& g) -> Result<void> {
            CV_TRY(const auto existing, a.document("case", args->id));
            if (existing)
                return fail(ErrorCode::InvalidArgument,
                            fmt::format("there is already a case '{}'", args->id));
            const auto actor = actor_of(args->common);
            gov::Case c;
            c.id = args->id;
            c.name = args->name;
            c.description = args->description;
            c.created_by = actor.name;
            c.created_at = actor.now;
            CV_TRY_VOID(g.put_case(c, "case.create",
                                   json{{"name", c.name}, {"description", c.description}}.dump(), actor));
            fmt::print("case {} opened by {}\n", c.id, actor.name);
            return {};
        });
    });

    auto* close = cs->add_subcommand("close", "Close a case (its holds are released)");
    close->add_option("id", args->id, "The case")->required();
    add_common(close, args->common, false);
    close->callback([args, &status] {
        status = with_governance(args->common, [&](archive::Archive&, gov::Governance& g) -> Result<void> {
            CV_TRY_VOID(g.close_case(args->id, actor_of(args->common)));
            fmt::print("case {} closed; its holds are released\n", args->id);
            return {};
        });
    });

    auto* ls = cs->add_subcommand("ls", "List the cases");
    add_common(ls, args->common);
    ls->callback([args, &status] {
        status = with_governance(args->common, [&](archive::Archive&, gov::Governance& g) -> Result<void> {
            CV_TRY(const auto all, g.cases());
            json out = json::array();
            for (const auto& c : all) {
                if (args->common.json)
                    out.push_back(case_json(c));
                else
                    fmt::print("{}\t{}\t{}\t{} custodians\t{} searches\t{}\n", c.id,
                               c.closed_at ? "closed" : "open", c.name, c.custodians.size(),
                               c.searches.size(), utc_text(c.created_at));
            }
            if (args->common.json)
                print_json(out);
            return {};
        });
    });

    auto* show = cs->add_subcommand("show", "Show a case: custodians, holds, searches");
    show->add_option("id", args->id, "The case")->required();
    add_common(show, args->common);
    show->callback([args, &status] {
        status = with_governance(args->common, [&](archive::Archive&, gov::Governance& g) -> Result<void> {
            CV_TRY(const auto c, g.get_case(args->id));
            CV_TRY(const auto holds, g.holds());
            if (args->common.json) {
                json j = case_json(c);
                j["holds"] = json::array();
                for (const auto& h : holds)
                    if (h.case_id == c.id)
                        j["holds"].push_back(hold_json(h));
                print_json(j);
                return {};
            }
            fmt::print("case {} ({})\nname: {}\ndescription: {}\nopened: {} by {}\n", c.id,
                       c.closed_at ? "closed" : "open", c.name, c.description, utc_text(c.created_at),
                       c.created_by);
            if (c.closed_at)
                fmt::print("closed: {} by {}\n", utc_text(*c.closed_at), c.closed_by);
            for (const auto& x : c.custodians)
                fmt::print("custodian: {}\t{}\n", x.name, fmt::join(x.mailboxes, ","));
            for (const auto& h : holds)
                if (h.case_id == c.id)
                    fmt::print("hold: {}\t{}\t{}\n", h.id,
                               h.released_at ? "released " + when(h.released_at) : "in force",
                               h.query.empty() ? "(everything)" : h.query);
            for (const auto& s : c.searches)
                fmt::print("search: {}\t{}\t(tz {}, saved by {})\n", s.name, s.query, s.zone, s.saved_by);
            for (const auto& r : c.reviewers)
                fmt::print("reviewer: {}\n", r);
            return {};
        });
    });

    auto* custodian = cs->add_subcommand("custodian", "Add or remove a case's custodians");
    custodian->require_subcommand(1);
    auto* cadd = custodian->add_subcommand("add", "Add a custodian and their mailboxes");
    cadd->add_option("case", args->id, "The case")->required();
    cadd->add_option("name", args->custodian, "The custodian (a person)")->required();
    cadd->add_option("--mailbox", args->mailboxes, "Their mailbox(es)")->required();
    add_common(cadd, args->common, false);
    cadd->callback([args, &status] {
        status = with_governance(args->common, [&](archive::Archive&, gov::Governance& g) -> Result<void> {
            CV_TRY(const auto widened,
                   g.add_custodian(args->id, gov::Custodian{args->custodian, args->mailboxes},
                                   actor_of(args->common)));
            fmt::print("custodian {} added to case {}\n", args->custodian, args->id);
            for (const auto& h : widened)
                fmt::print("hold {} now covers {} too\n", h, fmt::join(args->mailboxes, ", "));
            return {};
        });
    });
    auto* crm = custodian->add_subcommand("rm", "Remove a custodian");
    crm->add_option("case", args->id, "The case")->required();
    crm->add_option("name", args->custodian, "The custodian")->required();
    add_common(crm, args->common, false);
    crm->callback([args, &status] {
        status = with_governance(args->common, [&](archive::Archive&, gov::Governance& g) -> Result<void> {
            CV_TRY(auto c, open_case(g, args->id));
            const auto n =
                std::erase_if(c.custodians, [&](const auto& x) { return x.name == args->custodian; });
            if (n == 0)
                return fail(ErrorCode::NotFound,
                            fmt::format("case {} has no custodian '{}'", c.id, args->custodian));
            CV_TRY_VOID(g.put_case(c, "case.custodian.remove", json{{"custodian", args->custodian}}.dump(),
                                   actor_of(args->common)));
            // Protection is never withdrawn silently: the case's holds keep their mailboxes.
            fmt::print("custodian {} removed from case {}; the case's holds still cover their mailboxes "
                       "(release a hold with `hold rm`)\n",
                       args->custodian, c.id);
            return {};
        });
    });

    auto* reviewer =
        cs->add_subcommand("reviewer", "Who reviews the case's results (users of the Reviewer role)");
    reviewer->require_subcommand(1);
    for (const bool reviews : {true, false}) {
        auto* sub = reviewer->add_subcommand(reviews ? "add" : "rm",
                                             reviews ? "Add a reviewer" : "Remove a reviewer");
        sub->add_option("case", args->id, "The case")->required();
        sub->add_option("user", args->custodian, "The user (see `chatvault user ls`)")->required();
        add_common(sub, args->common, false);
        sub->callback([args, &status, reviews] {
            status =
                with_governance(args->common, [&](archive::Archive& a, gov::Governance& g) -> Result<void> {
                    if (reviews) {
                        CV_TRY(const auto known, auth::Accounts(a).user(args->custodian));
                        if (!known)
                            return fail(ErrorCode::InvalidArgument,
                                        fmt::format("no user '{}' (add one with `chatvault user add`)",
                                                    args->custodian));
                    }
                    CV_TRY_VOID(g.set_reviewer(args->id, args->custodian, reviews, actor_of(args->common)));
                    fmt::print("{} {} case {}\n", args->custodian,
                               reviews ? "now reviews" : "no longer reviews", args->id);
                    return {};
                });
        });
    }

    auto* hold =
        cs->add_subcommand("hold", "Hold the custodians' mailboxes, optionally only what a query finds");
    hold->add_option("case", args->id, "The case")->required();
    hold->add_option("--query", args->query, "Hold only items this query finds (read in UTC)");
    hold->add_option("--reason", args->reason, "Why");
    hold->add_option("--id", args->hold_id, "The hold's id (default: <case>-hold-N)");
    add_common(hold, args->common, false);
    hold->callback([args, &status] {
        status = with_governance(args->common, [&](archive::Archive&, gov::Governance& g) -> Result<void> {
            CV_TRY(const auto h, g.add_case_hold(args->id, args->query, args->reason, args->hold_id,
                                                 actor_of(args->common)));
            fmt::print("hold {} placed on {} mailbox(es) of case {}{}\n", h.id, h.mailboxes.size(), h.case_id,
                       h.query.empty() ? "" : " for: " + h.query);
            return {};
        });
    });

    auto* search = cs->add_subcommand("search", "Saved searches of a case, with estimates");
    search->require_subcommand(1);
    auto* sadd = search->add_subcommand("add", "Save a search in a case and estimate it");
    sadd->add_option("case", args->id, "The case")->required();
    sadd->add_option("name", args->search, "The search's name")->required();
    sadd->add_option("query", args->query, "The query (KQL, as `chatvault search`)")->required();
    sadd->add_option("--tz", args->tz, "IANA time zone its dates are read in")->capture_default_str();
    add_common(sadd, args->common);
    sadd->callback([args, &status] {
        status = with_governance(args->common, [&](archive::Archive&, gov::Governance& g) -> Result<void> {
            CV_TRY(auto c, open_case(g, args->id));
            const auto actor = actor_of(args->common);
            // Estimated before it is saved: a query that cannot run is refused, not stored.
            CV_TRY(const auto e, g.estimate(args->query, args->tz, c.mailboxes(), actor.now));
            std::erase_if(c.searches, [&](const auto& s) { return s.name == args->search; });
            c.searches.push_back(
                gov::SavedSearch{args->search, args->query, args->tz, actor.name, actor.now});
            CV_TRY_VOID(g.put_case(c, "case.search.save",
                                   json{{"search", args->search},
                                        {"query", args->query},
                                        {"zone", args->tz},
                                        {"estimate", estimate_json(e)}}
                                       .dump(),
                                   actor));
            if (args->common.json)
                print_json(estimate_json(e));
            else {
                fmt::print("search {} saved in case {}\n", args->search, c.id);
                print_estimate(e);
            }
            return {};
        });
    });
    auto* sest =
        search->add_subcommand("estimate", "Estimate a saved search again: counts and size by mailbox");
    sest->add_option("case", args->id, "The case")->required();
    sest->add_option("name", args->search, "The search")->required();
    add_common(sest, args->common);
    sest->callback([args, &status] {
        status = with_governance(args->common, [&](archive::Archive&, gov::Governance& g) -> Result<void> {
            CV_TRY(const auto c, g.get_case(args->id));
            const auto s = std::find_if(c.searches.begin(), c.searches.end(),
                                        [&](const auto& x) { return x.name == args->search; });
            if (s == c.searches.end())
                return fail(ErrorCode::NotFound,
                            fmt::format("case {} has no search '{}'", c.id, args->search));
            const auto actor = actor_of(args->common);
            CV_TRY(const auto e, g.estimate(s->query, s->zone, c.mailboxes(), actor.now));
            CV_TRY_VOID(g.audit("case.search.estimate",
                                json{{"case", c.id}, {"search", s->name}, {"query", s->query}}.dump(),
                                e.items, actor));
            if (args->common.json)
                print_json(estimate_json(e));
            else
                print_estimate(e);
            return {};
        });
    });
    auto export_args = std::make_shared<DiscoveryExportArgs>();
    auto* exp =
        cs->add_subcommand("export", "Export a saved search's results within the case's custodians' "
                                     "mailboxes: .eml files, load file, manifest, summary (resumable)");
    exp->add_option("case", args->id, "The case")->required();
    exp->add_option("search", args->search, "The saved search")->required();
    exp->add_option("--to", export_args->to, "Output folder (run again with the same arguments to resume)")
        ->required();
    exp->add_flag("--dedupe", export_args->dedupe,
                  "One file per item; its other rows name it as duplicate-of");
    exp->add_option("--zip", export_args->zip,
                    "Write the emails into this zip file instead of the folder (which keeps the load file, "
                    "manifest and summary)");
    exp->add_option("--threads", export_args->threads, "Rendering threads (default: one per core)");
    exp->add_flag("--json", export_args->json, "JSON summary");
    add_common(exp, args->common, false);
    exp->callback([args, export_args, &status] {
        gov::Case c;
        status = with_governance(args->common, [&](archive::Archive&, gov::Governance& g) -> Result<void> {
            CV_TRY(c, g.get_case(args->id));
            return {};
        });
        if (status != 0)
            return;
        const auto scope = gov::case_export_scope(c, args->search);
        if (!scope) {
            status = report_error(scope.error());
            return;
        }
        // The archive is opened again by the export (one writer at a time: the lock above is
        // released when with_governance returns).
        DiscoveryExportArgs d = *export_args;
        d.archive = args->common.archive;
        d.actor = args->common.actor;
        d.query = scope->search.query;
        d.tz = scope->search.zone;
        d.scope = scope->mailboxes;
        for (const auto& x : scope->custodians)
            for (const auto& m : x.mailboxes)
                d.custodians.push_back(m + "=" + x.name);
        d.title = scope->title;
        d.description = scope->description;
        d.case_id = c.id;
        d.search_name = scope->search.name;
        status = run_discovery_export(d);
    });

    auto* srm = search->add_subcommand("rm", "Remove a saved search");
    srm->add_option("case", args->id, "The case")->required();
    srm->add_option("name", args->search, "The search")->required();
    add_common(srm, args->common, false);
    srm->callback([args, &status] {
        status = with_governance(args->common, [&](archive::Archive&, gov::Governance& g) -> Result<void> {
            CV_TRY(auto c, open_case(g, args->id));
            if (std::erase_if(c.searches, [&](const auto& s) { return s.name == args->search; }) == 0)
                return fail(ErrorCode::NotFound,
                            fmt::format("case {} has no search '{}'", c.id, args->search));
            CV_TRY_VOID(g.put_case(c, "case.search.remove", json{{"search", args->search}}.dump(),
                                   actor_of(args->common)));
            fmt::print("search {} removed from case {}\n", args->search, c.id);
            return {};
        });
    });
}

// ---- audit ------------------------------------------------------------------------------------

struct AuditArgs {
    Common common;
    std::string since, actor_filter, action;
};

void add_audit_command(CLI::App& app, int& status)
{
    auto args = std::make_shared<AuditArgs>();
    auto* cmd =
        app.add_subcommand("audit", "The audit trail: searches, exports, holds, policies, dispositions");
    cmd->add_option("--since", args->since, "At or after this UTC date or time");
    cmd->add_option("--actor", args->actor_filter, "Only what this actor did");
    cmd->add_option(
        "--action", args->action,
        "Only this action (e.g. search, hold.add; a prefix ending in '.' like hold. for all hold actions)");
    cmd->add_option("--archive", args->common.archive,
                    "Archive folder (default $CHATVAULT_ARCHIVE, else ./archive)");
    cmd->add_flag("--json", args->common.json, "JSON output");
    cmd->callback([args, &status] {
        status = with_governance(args->common, [&](archive::Archive& a, gov::Governance&) -> Result<void> {
            archive::AuditFilter f;
            if (!args->since.empty()) {
                CV_TRY(f.since, parse_instant(args->since, "--since"));
            }
            if (!args->actor_filter.empty())
                f.actor = args->actor_filter;
            if (!args->action.empty())
                f.action = args->action;
            CV_TRY(const auto log, a.audit_log(f));
            json out = json::array();
            for (const auto& r : log) {
                const auto& e = r.event;
                if (args->common.json) {
                    out.push_back({{"seq", r.seq},
                                   {"hash", r.hash},
                                   {"time", utc_text(e.time)},
                                   {"actor", e.actor},
                                   {"action", e.action},
                                   {"parameters", json::parse(e.parameters, nullptr, false)},
                                   {"results", e.results ? json(*e.results) : json(nullptr)}});
                    continue;
                }
                fmt::print("{}\t{}\t{}\t{}\t{}\t{}\n", r.seq, utc_text(e.time), e.actor, e.action,
                           e.results ? std::to_string(*e.results) : "-", e.parameters);
            }
            if (args->common.json)
                print_json(out);
            return {};
        });
    });
}

}  // namespace

void add_compliance_commands(CLI::App& app, int& status)
{
    add_hold_commands(app, status);
    add_retention_commands(app, status);
    add_case_commands(app, status);
    add_audit_command(app, status);
}

}  // namespace cv::cli

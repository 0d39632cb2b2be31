// Holds, policies and cases as JSON documents. They are read back from the archive, where they
// are sealed and journaled, but a damaged or hand-made one still gets an error naming the field.

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/json_fields.hpp"

#include "compliance/governance/governance.hpp"

namespace cv::compliance::governance {

using json = nlohmann::json;
using namespace retention;

namespace {

json strings(const std::vector<std::string>& v)
{
    return json(v);
}

json optional_time(const std::optional<std::int64_t>& t)
{
    return t ? json(*t) : json(nullptr);
}

std::string_view unit_name(Unit u)
{
    switch (u) {
    case Unit::Days: return "days";
    case Unit::Months: return "months";
    case Unit::Years: return "years";
    }
    return "days";
}

std::optional<Unit> unit_from(std::string_view s)
{
    if (s == "d" || s == "day" || s == "days")
        return Unit::Days;
    if (s == "m" || s == "month" || s == "months")
        return Unit::Months;
    if (s == "y" || s == "year" || s == "years")
        return Unit::Years;
    return std::nullopt;
}

std::optional<ItemKind> kind_from(std::string_view s)
{
    for (const auto k : {ItemKind::Message, ItemKind::System, ItemKind::Call})
        if (to_string(k) == s)
            return k;
    return std::nullopt;
}

std::optional<Action> action_from(std::string_view s)
{
    if (s == "retain" || s == "retain-only")
        return Action::RetainOnly;
    if (s == "delete" || s == "delete-only")
        return Action::DeleteOnly;
    if (s == "retain-then-delete" || s == "retain-delete")
        return Action::RetainThenDelete;
    return std::nullopt;
}

std::string_view action_name(Action a)
{
    switch (a) {
    case Action::RetainOnly: return "retain";
    case Action::DeleteOnly: return "delete";
    case Action::RetainThenDelete: return "retain-then-delete";
    }
    return "retain";
}

}  // namespace

std::vector<std::string> Case::mailboxes() const
{
    std::vector<std::string> out;
    for (const auto& c : custodians)
        out.insert(out.end(), c.mailboxes.begin(), c.mailboxes.end());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Result<Period> parse_period(std::string_view text)
{
    std::string s;
    for (const char c : text)
        if (!std::isspace(static_cast<unsigned char>(c)))
            s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::int64_t count = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), count);
    const std::string_view unit(end, static_cast<std::size_t>(s.data() + s.size() - end));
    const auto u = unit_from(unit);
    if (ec != std::errc() || end == s.data() || !u || count < 0)
        return fail(
            ErrorCode::InvalidArgument,
            fmt::format("period '{}': expected a number and days, months or years (\"7 years\")", text));
    return Period{count, *u};
}

Result<Action> parse_action(std::string_view text)
{
    if (const auto a = action_from(text))
        return *a;
    return fail(ErrorCode::InvalidArgument,
                fmt::format("action '{}': expected retain, delete or retain-then-delete", text));
}

Result<Basis> parse_basis(std::string_view text)
{
    if (text == "sent")
        return Basis::Sent;
    if (text == "imported" || text == "import")
        return Basis::Imported;
    return fail(ErrorCode::InvalidArgument, fmt::format("basis '{}': expected sent or imported", text));
}

Result<ItemKind> parse_kind(std::string_view text)
{
    if (const auto k = kind_from(text))
        return *k;
    return fail(ErrorCode::InvalidArgument, fmt::format("kind '{}': expected message, call or system", text));
}

std::string to_json(const Hold& h)
{
    return json{{"id", h.id},
                {"kind", std::string(to_string(h.kind))},
                {"mailboxes", strings(h.mailboxes)},
                {"query", h.query},
                {"case", h.case_id},
                {"since", h.since},
                {"released_at", optional_time(h.released_at)},
                {"placed_by", h.placed_by},
                {"reason", h.reason},
                {"released_by", h.released_by}}
        .dump();
}

Result<Hold> hold_from_json(std::string_view text)
{
    CV_TRY(const json j, parse_json_document(text, "hold"));
    JsonFields r(j, "hold");
    Hold h;
    h.id = r.text("id");
    const std::string kind = r.text("kind");
    if (kind == "litigation")
        h.kind = HoldKind::Litigation;
    else if (kind == "case")
        h.kind = HoldKind::Case;
    else if (r.error().empty())
        r.problem("kind", "expected litigation or case");
    h.mailboxes = r.texts("mailboxes");
    h.query = r.text("query", false);
    h.case_id = r.text("case", false);
    h.since = r.integer("since");
    h.released_at = r.maybe_integer("released_at");
    h.placed_by = r.text("placed_by", false);
    h.reason = r.text("reason", false);
    h.released_by = r.text("released_by", false);
    if (!r.error().empty())
        return fail(ErrorCode::Parse, r.error());
    return h;
}

std::string to_json(const Policy& p)
{
    json kinds = json::array();
    for (const auto k : p.scope.kinds)
        kinds.push_back(std::string(to_string(k)));
    json period = nullptr;
    if (p.period)
        period = json{{"count", p.period->count}, {"unit", std::string(unit_name(p.period->unit))}};
    return json{{"id", p.id},
                {"name", p.name},
                {"action", std::string(action_name(p.action))},
                {"period", period},
                {"basis", std::string(to_string(p.basis))},
                {"scope",
                 {{"mailboxes", strings(p.scope.mailboxes)},
                  {"folders", strings(p.scope.folders)},
                  {"kinds", kinds}}},
                {"locked", p.locked}}
        .dump();
}

Result<Policy> policy_from_json(std::string_view text)
{
    CV_TRY(const json j, parse_json_document(text, "policy"));
    JsonFields r(j, "policy");
    Policy p;
    p.id = r.text("id");
    p.name = r.text("name", false);
    const std::string action = r.text("action");
    if (const auto a = action_from(action))
        p.action = *a;
    else if (r.error().empty())
        r.problem("action", "expected retain, delete or retain-then-delete");
    if (const json* period = r.object("period")) {
        JsonFields pr(*period, "policy: period");
        const std::int64_t count = pr.integer("count");
        const auto unit = unit_from(pr.text("unit"));
        if (!pr.error().empty())
            r.adopt(pr.error());
        else if (!unit)
            r.problem("period", "unit: expected days, months or years");
        else
            p.period = Period{count, *unit};
    }
    const std::string basis = r.text("basis", false);
    if (basis.empty() || basis == "sent")
        p.basis = Basis::Sent;
    else if (basis == "imported")
        p.basis = Basis::Imported;
    else
        r.problem("basis", "expected sent or imported");
    if (const json* scope = r.object("scope")) {
        JsonFields sr(*scope, "policy: scope");
        p.scope.mailboxes = sr.texts("mailboxes");
        p.scope.folders = sr.texts("folders");
        for (const auto& k : sr.texts("kinds")) {
            if (const auto kind = kind_from(k))
                p.scope.kinds.push_back(*kind);
            else
                sr.problem("kinds", fmt::format("'{}' is not message, call or system", k));
        }
        if (!sr.error().empty())
            r.adopt(sr.error());
    }
    p.locked = r.boolean("locked");
    if (!r.error().empty())
        return fail(ErrorCode::Parse, r.error());
    return p;
}

std::string to_json(const Case& c)
{
    json custodians = json::array();
    for (const auto& x : c.custodians)
        custodians.push_back({{"name", x.name}, {"mailboxes", strings(x.mailboxes)}});
    json searches = json::array();
    for (const auto& s : c.searches)
        searches.push_back({{"name", s.name},
                            {"query", s.query},
                            {"zone", s.zone},
                            {"saved_by", s.saved_by},
                            {"saved_at", s.saved_at}});
    return json{{"id", c.id},
                {"name", c.name},
                {"description", c.description},
                {"created_by", c.created_by},
                {"created_at", c.created_at},
                {"closed_at", optional_time(c.closed_at)},
                {"closed_by", c.closed_by},
                {"custodians", custodians},
                {"searches", searches},
                {"reviewers", strings(c.reviewers)}}
        .dump();
}

Result<Case> case_from_json(std::string_view text)
{
    CV_TRY(const json j, parse_json_document(text, "case"));
    JsonFields r(j, "case");
    Case c;
    c.id = r.text("id");
    c.name = r.text("name", false);
    c.description = r.text("description", false);
    c.created_by = r.text("created_by", false);
    c.created_at = r.integer("created_at", false);
    c.closed_at = r.maybe_integer("closed_at");
    c.closed_by = r.text("closed_by", false);
    if (const json* list = r.list("custodians")) {
        for (const auto& x : *list) {
            JsonFields xr(x, "case: custodians");
            Custodian cu{xr.text("name"), xr.texts("mailboxes")};
            if (!xr.error().empty())
                r.adopt(xr.error());
            c.custodians.push_back(std::move(cu));
        }
    }
    if (const json* list = r.list("searches")) {
        for (const auto& x : *list) {
            JsonFields sr(x, "case: searches");
            SavedSearch s{sr.text("name"), sr.text("query"), sr.text("zone", false),
                          sr.text("saved_by", false), sr.integer("saved_at", false)};
            if (s.zone.empty())
                s.zone = "UTC";
            if (!sr.error().empty())
                r.adopt(sr.error());
            c.searches.push_back(std::move(s));
        }
    }
    c.reviewers = r.texts("reviewers");  // absent in cases saved before reviewers existed
    if (!r.error().empty())
        return fail(ErrorCode::Parse, r.error());
    return c;
}

}  // namespace cv::compliance::governance

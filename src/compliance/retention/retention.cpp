#include "compliance/retention/retention.hpp"

#include <algorithm>
#include <functional>
#include <tuple>

#include <fmt/format.h>

#include "core/time.hpp"

namespace cv::compliance::retention {
namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kMaxDays = 100000;
constexpr std::int64_t kMaxMonths = 10000;
constexpr std::int64_t kMaxYears = 1000;

bool is_leap(std::int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int month_length(std::int64_t y, int m)
{
    static constexpr int kLengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : kLengths[m - 1];
}

std::int64_t floor_div(std::int64_t a, std::int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// Times outside ±1e13 s (about ±317,000 years) never come from a real item; clamping keeps the
// arithmetic below far from overflow.
constexpr std::int64_t kTimeLimit = 10'000'000'000'000;

std::int64_t add_months(std::int64_t t, std::int64_t months)
{
    const std::int64_t days = floor_div(t, kDay);
    const std::int64_t second_of_day = t - days * kDay;
    const CivilDate c = civil_from_days(days);
    const std::int64_t index = c.year * 12 + (c.month - 1) + months;
    const std::int64_t year = floor_div(index, 12);
    const int month = static_cast<int>(index - year * 12 + 1);
    const int day = std::min(c.day, month_length(year, month));
    return days_from_civil(year, month, day) * kDay + second_of_day;
}

// Months and years are compared exactly (a year is 12 months in add_period); days against
// months only by bounds that hold from every start date: n months last at least
// 365·(n/12) + 28·(n%12) days and at most 366·(n/12) + 31·(n%12).
struct DayBounds {
    std::int64_t low, high;
};

DayBounds day_bounds(const Period& p)
{
    if (p.unit == Unit::Days)
        return {p.count, p.count};
    const std::int64_t months = p.unit == Unit::Years ? p.count * 12 : p.count;
    return {365 * (months / 12) + 28 * (months % 12), 366 * (months / 12) + 31 * (months % 12)};
}

// a ≥ b from every start date (empty = forever).
bool at_least(const std::optional<Period>& a, const std::optional<Period>& b)
{
    if (!a)
        return true;
    if (!b)
        return false;
    const bool a_days = a->unit == Unit::Days, b_days = b->unit == Unit::Days;
    if (a_days == b_days) {
        const auto months = [](const Period& p) { return p.unit == Unit::Years ? p.count * 12 : p.count; };
        return a_days ? a->count >= b->count : months(*a) >= months(*b);
    }
    return day_bounds(*a).low >= day_bounds(*b).high;
}

std::string period_text(const std::optional<Period>& p)
{
    return p ? to_string(*p) : std::string("forever");
}

std::string time_text(std::int64_t t)
{
    return t == kForever ? std::string("forever") : format_utc(t);
}

int retentiveness(Action a)
{
    switch (a) {
    case Action::DeleteOnly: return 0;
    case Action::RetainThenDelete: return 1;
    case Action::RetainOnly: return 2;
    }
    return 0;
}

bool retains(Action a)
{
    return a != Action::DeleteOnly;
}

bool deletes(const Policy& p)
{
    // A RetainThenDelete policy without a period would retain forever: it never deletes.
    return p.action != Action::RetainOnly && p.period.has_value();
}

template <class T> bool contains(const std::vector<T>& v, const T& x)
{
    return std::find(v.begin(), v.end(), x) != v.end();
}

std::string describe(const Policy& p)
{
    std::string s = fmt::format("policy {}", p.id);
    if (!p.name.empty())
        s += fmt::format(" \"{}\"", p.name);
    s += fmt::format(" ({}, {}", to_string(p.action), period_text(p.period));
    if (p.period)
        s += fmt::format(" from {}", p.basis == Basis::Sent ? "sent" : "import");
    s += fmt::format(", {})", is_explicit(p) ? "explicitly scoped" : "org-wide");
    return s;
}

std::string describe(const Hold& h)
{
    std::string s = h.kind == HoldKind::Case && !h.case_id.empty()
                        ? fmt::format("case hold {} of case {}", h.id, h.case_id)
                        : fmt::format("{} hold {}", to_string(h.kind), h.id);
    if (!h.query.empty())
        s += fmt::format(" matching {}", h.query);
    s += fmt::format(", in force since {}", format_utc(h.since));
    if (h.released_at)
        s += fmt::format(" until {}", format_utc(*h.released_at));
    if (!h.placed_by.empty())
        s += fmt::format(", placed by {}", h.placed_by);
    if (!h.reason.empty())
        s += fmt::format(": {}", h.reason);
    return s;
}

std::string join_ids(const std::vector<const Policy*>& ps)
{
    std::string s;
    for (const Policy* p : ps)
        s += (s.empty() ? "" : ", ") + p->id;
    return s;
}

// Total orders on policies and holds, so that ties (equal dates) pick the same winner and the
// reasons come out the same whatever the input order: by id, then by every other field.
auto policy_key(const Policy* p)
{
    return std::make_tuple(p->id, p->name, retentiveness(p->action), p->basis, p->period.has_value(),
                           p->period ? p->period->count : 0, p->period ? p->period->unit : Unit::Days,
                           p->locked, p->scope.mailboxes, p->scope.folders, p->scope.kinds);
}

bool policy_less(const Policy* a, const Policy* b)
{
    return policy_key(a) < policy_key(b);
}

bool hold_less(const Hold* a, const Hold* b)
{
    const auto key = [](const Hold* h) {
        return std::make_tuple(h->id, h->since, h->released_at.has_value(), h->released_at.value_or(0),
                               h->kind, h->case_id, h->query, h->placed_by, h->reason, h->released_by,
                               h->mailboxes);
    };
    return key(a) < key(b);
}

struct Candidate {
    const Policy* policy;
    std::int64_t end;
};

}  // namespace

std::string_view to_string(HoldKind k)
{
    return k == HoldKind::Case ? "case" : "litigation";
}

std::string_view to_string(Action a)
{
    switch (a) {
    case Action::RetainOnly: return "retain-only";
    case Action::DeleteOnly: return "delete-only";
    case Action::RetainThenDelete: return "retain-then-delete";
    }
    return "retain-only";
}

std::string_view to_string(Basis b)
{
    return b == Basis::Sent ? "sent" : "imported";
}

std::string to_string(const Period& p)
{
    const char* unit = p.unit == Unit::Days ? "day" : p.unit == Unit::Months ? "month" : "year";
    return fmt::format("{} {}{}", p.count, unit, p.count == 1 ? "" : "s");
}

std::int64_t add_period(std::int64_t t, const Period& p)
{
    if (t == kForever)
        return kForever;
    const std::int64_t base = std::clamp(t, -kTimeLimit, kTimeLimit);
    switch (p.unit) {
    case Unit::Days: return base + std::clamp<std::int64_t>(p.count, -kMaxDays * 10, kMaxDays * 10) * kDay;
    case Unit::Months:
        return add_months(base, std::clamp<std::int64_t>(p.count, -kMaxMonths * 10, kMaxMonths * 10));
    case Unit::Years:
        return add_months(base, std::clamp<std::int64_t>(p.count, -kMaxYears * 10, kMaxYears * 10) * 12);
    }
    return base;
}

Result<void> validate(const Hold& hold)
{
    if (hold.id.empty())
        return fail(ErrorCode::InvalidArgument, "a hold needs an id");
    if (hold.mailboxes.empty())
        return fail(ErrorCode::InvalidArgument, fmt::format("hold {} names no mailbox", hold.id));
    if (hold.kind == HoldKind::Litigation && !hold.query.empty())
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("hold {}: a litigation hold covers the whole mailbox and takes no query "
                                "(use a case hold to narrow by query)",
                                hold.id));
    if (hold.released_at && *hold.released_at < hold.since)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("hold {} is released ({}) before it takes effect ({})", hold.id,
                                format_utc(*hold.released_at), format_utc(hold.since)));
    return {};
}

bool protects(const Hold& hold, const ItemFacts& item, std::int64_t now)
{
    if (now < hold.since || (hold.released_at && now > *hold.released_at))
        return false;
    if (!contains(hold.mailboxes, item.mailbox))
        return false;
    return hold.query.empty() || item.matching_holds.count(hold.id) > 0;
}

bool is_explicit(const Policy& policy)
{
    return !policy.scope.mailboxes.empty() || !policy.scope.folders.empty();
}

Result<void> validate(const Policy& policy)
{
    if (policy.id.empty())
        return fail(ErrorCode::InvalidArgument, "a retention policy needs an id");
    if (!policy.period) {
        if (policy.action != Action::RetainOnly)
            return fail(
                ErrorCode::InvalidArgument,
                fmt::format("policy {}: a {} policy needs a period (only retain-only may keep forever)",
                            policy.id, to_string(policy.action)));
        return {};
    }
    const std::int64_t limit = policy.period->unit == Unit::Days     ? kMaxDays
                               : policy.period->unit == Unit::Months ? kMaxMonths
                                                                     : kMaxYears;
    if (policy.period->count < 0 || policy.period->count > limit)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("policy {}: the period must be 0 to {} {}", policy.id, limit,
                                to_string(Period{2, policy.period->unit}).substr(2)));
    return {};
}

bool applies(const Policy& policy, const ItemFacts& item)
{
    const Scope& s = policy.scope;
    return (s.mailboxes.empty() || contains(s.mailboxes, item.mailbox)) &&
           (s.folders.empty() || contains(s.folders, item.folder)) &&
           (s.kinds.empty() || contains(s.kinds, item.kind));
}

std::int64_t period_end(const Policy& policy, const ItemFacts& item)
{
    if (!policy.period)
        return kForever;
    return add_period(policy.basis == Basis::Sent ? item.sent : item.imported, *policy.period);
}

Result<void> check_policy_change(const Policy& before, const Policy& after)
{
    CV_TRY_VOID(validate(after));
    if (!before.locked)
        return {};
    const auto refuse = [&](std::string why) {
        return fail(ErrorCode::Refused,
                    fmt::format("policy {} is under preservation lock and can only be made stricter: {}",
                                before.id, why));
    };
    if (!after.locked)
        return refuse("it cannot be unlocked");
    if (retentiveness(after.action) < retentiveness(before.action))
        return refuse(
            fmt::format("{} retains less than {}", to_string(after.action), to_string(before.action)));
    if (after.basis != before.basis)
        return refuse(
            fmt::format("the period cannot count from the {} date instead of the {} date (the two are "
                        "not ordered for every item)",
                        to_string(after.basis), to_string(before.basis)));
    if (retains(before.action) && !at_least(after.period, before.period))
        return refuse(fmt::format("a retention period of {} is not at least {} from every start date",
                                  period_text(after.period), period_text(before.period)));
    if (before.action == Action::DeleteOnly && after.action == Action::DeleteOnly) {
        if (!at_least(before.period, after.period))
            return refuse(fmt::format("a deletion period of {} is not at most {} from every start date",
                                      period_text(after.period), period_text(before.period)));
        if (is_explicit(before) && !is_explicit(after))
            return refuse(
                "an org-wide scope would give up the precedence its explicit scope gives its deletion "
                "(principle 3)");
    }
    const auto covers = [&](const auto& was, const auto& now, std::string_view what) -> Result<void> {
        if (was.empty() && !now.empty())
            return refuse(fmt::format("it covered every {} and would no longer", what));
        if (!now.empty()) {
            for (const auto& x : was) {
                if (!contains(now, x))
                    return refuse(fmt::format("it would no longer cover the {} {}", what, x));
            }
        }
        return {};
    };
    CV_TRY_VOID(covers(before.scope.mailboxes, after.scope.mailboxes, "mailbox"));
    CV_TRY_VOID(covers(before.scope.folders, after.scope.folders, "folder"));
    std::vector<std::string> kinds_before, kinds_after;
    for (ItemKind k : before.scope.kinds)
        kinds_before.emplace_back(to_string(k));
    for (ItemKind k : after.scope.kinds)
        kinds_after.emplace_back(to_string(k));
    CV_TRY_VOID(covers(kinds_before, kinds_after, "kind"));
    return {};
}

// The principles of retention, as Microsoft Purview documents them: "Learn about retention
// policies and retention labels", section "The principles of retention, or what takes
// precedence?"
// (https://learn.microsoft.com/purview/retention#the-principles-of-retention-or-what-takes-precedence;
// microsoft-365/compliance/retention.md in MicrosoftDocs/microsoft-365-docs). How long an item
// is retained and when it is deleted are computed independently from every applicable setting,
// each level a tie-breaker for the one above: (1) retention wins over deletion; (2) the longest
// retention period wins; (3) explicit wins over implicit, "applicable to determine when items
// will be deleted": a policy that "includes specific instances ... takes precedence over a
// static scope that is configured for all instances"; (4) the shortest deletion period wins,
// among what (3) left. Retention labels, Purview's other explicit case, do not exist here.
Decision decide(const ItemFacts& item, std::span<const Hold> holds, std::span<const Policy> policies,
                std::int64_t now)
{
    Decision d;

    // Holds first: a held placement is never disposed of (Purview: "items subject to eDiscovery
    // hold also fall under the first principle of retention; they cannot be deleted by any
    // retention policy or retention label").
    std::vector<const Hold*> in_force;
    for (const Hold& h : holds) {
        if (protects(h, item, now))
            in_force.push_back(&h);
    }
    std::sort(in_force.begin(), in_force.end(), hold_less);
    for (const Hold* h : in_force) {
        d.holds.push_back(h->id);
        d.reasons.push_back(fmt::format("held in {} by {} — a held item is never disposed of, whatever the "
                                        "policies say",
                                        item.mailbox, describe(*h)));
    }
    d.held = !in_force.empty();

    std::vector<const Policy*> applicable;
    for (const Policy& p : policies) {
        if (applies(p, item))
            applicable.push_back(&p);
    }
    std::sort(applicable.begin(), applicable.end(), policy_less);
    if (applicable.empty()) {
        d.reasons.push_back(fmt::format("no retention policy applies to this {} in {}/{}: kept",
                                        to_string(item.kind), item.mailbox, item.folder));
        return d;
    }

    // The two outcomes are computed independently from all the applicable settings, as Purview
    // does: how long the item is retained, and when it is deleted.
    std::vector<Candidate> retaining, deleting;
    for (const Policy* p : applicable) {
        const std::int64_t end = period_end(*p, item);
        if (retains(p->action))
            retaining.push_back({p, end});
        if (deletes(*p))
            deleting.push_back({p, end});
    }

    // Principle 2: the longest retention period wins (ties: the first policy in id order).
    if (!retaining.empty()) {
        const Candidate* best = &retaining.front();
        for (const Candidate& c : retaining) {
            if (c.end > best->end)
                best = &c;
        }
        d.retain_until = best->end;
        d.retention_policy = best->policy->id;
        d.reasons.push_back(
            retaining.size() == 1
                ? fmt::format("{} retains it until {}", describe(*best->policy), time_text(best->end))
                : fmt::format("principle 2 (the longest retention period wins): {} retains it until {}, the "
                              "longest of {} retention periods",
                              describe(*best->policy), time_text(best->end), retaining.size()));
    }

    // Principle 3: explicit inclusion wins over implicit for deletion — when an explicitly
    // scoped policy deletes, org-wide policies' deletion actions are set aside.
    if (!deleting.empty()) {
        std::vector<Candidate> candidates;
        std::vector<const Policy*> set_aside;
        for (const Candidate& c : deleting) {
            if (is_explicit(*c.policy))
                candidates.push_back(c);
        }
        if (candidates.empty()) {
            candidates = deleting;
        } else {
            for (const Candidate& c : deleting) {
                if (!is_explicit(*c.policy))
                    set_aside.push_back(c.policy);
            }
        }
        if (!set_aside.empty())
            d.reasons.push_back(
                fmt::format("principle 3 (explicit inclusion wins over implicit): the deletion of "
                            "explicitly scoped policies takes precedence over org-wide {}",
                            join_ids(set_aside)));
        // Principle 4: the shortest deletion period wins.
        const Candidate* first = &candidates.front();
        for (const Candidate& c : candidates) {
            if (c.end < first->end)
                first = &c;
        }
        d.delete_at = first->end;
        d.deletion_policy = first->policy->id;
        d.reasons.push_back(
            candidates.size() == 1
                ? fmt::format("{} deletes it at {}", describe(*first->policy), time_text(first->end))
                : fmt::format("principle 4 (the shortest deletion period wins): {} deletes it at {}, "
                              "the earliest of {} deletion periods",
                              describe(*first->policy), time_text(first->end), candidates.size()));
    }

    if (!d.delete_at) {
        d.reasons.push_back("kept: no applicable policy deletes it");
        return d;
    }

    // Principle 1: retention wins over deletion — the deletion is deferred until the longest
    // retention ends.
    d.dispose_at = std::max(*d.delete_at, d.retain_until.value_or(*d.delete_at));
    if (d.retain_until && *d.retain_until > *d.delete_at)
        d.reasons.push_back(
            fmt::format("principle 1 (retention wins over deletion): the deletion due at {} is "
                        "deferred until policy {}'s retention ends at {}",
                        format_utc(*d.delete_at), d.retention_policy, time_text(*d.retain_until)));
    if (*d.dispose_at == kForever) {
        d.dispose_at.reset();
        d.reasons.push_back("kept: it is retained forever");
        return d;
    }
    if (now < *d.dispose_at) {
        d.reasons.push_back(fmt::format("kept until {}", format_utc(*d.dispose_at)));
        return d;
    }
    if (d.held) {
        d.reasons.push_back(fmt::format("not disposed of: due since {} by policy {}, but held",
                                        format_utc(*d.dispose_at), d.deletion_policy));
        return d;
    }
    d.dispose = true;
    d.reasons.push_back(fmt::format("dispose: policy {}'s deletion fell due at {} and no retention or hold "
                                    "applies at {}",
                                    d.deletion_policy, format_utc(*d.dispose_at), format_utc(now)));
    return d;
}

std::vector<Disposition> plan_disposition(std::span<const ItemFacts> placements, std::span<const Hold> holds,
                                          std::span<const Policy> policies, std::int64_t now)
{
    std::vector<Disposition> out;
    std::vector<std::string> kept_items;  // ids with at least one placement kept
    for (const ItemFacts& item : placements) {
        Decision d = decide(item, holds, policies, now);
        if (d.dispose)
            out.push_back({item.id, item.mailbox, std::move(d), false});
        else
            kept_items.push_back(item.id);
    }
    std::sort(kept_items.begin(), kept_items.end());
    for (Disposition& x : out)
        x.last_placement = !std::binary_search(kept_items.begin(), kept_items.end(), x.item_id);
    return out;
}

}  // namespace cv::compliance::retention

#pragma once
// An independent reference for retention decisions: every expectation computed from the
// definitions in src/compliance/retention/README.md, never by calling decide() or the library's
// helpers (period arithmetic goes through <chrono>). Shared by the pure property test
// (retention_test.cpp) and the end-to-end one on a real archive (governance_property_test.cpp).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "compliance/retention/retention.hpp"

namespace cv::compliance::retention::oracle {

inline constexpr std::int64_t kDay = 86400;
inline constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

struct Rng {
    std::mt19937_64 engine;
    std::int64_t range(std::int64_t lo, std::int64_t hi)  // [lo, hi]
    {
        return lo + static_cast<std::int64_t>(engine() % static_cast<std::uint64_t>(hi - lo + 1));
    }
    bool chance(int percent) { return range(1, 100) <= percent; }
};

template <class T> inline std::vector<T> subset(Rng& rng, const std::vector<T>& all, bool non_empty)
{
    std::vector<T> out;
    do {
        out.clear();
        for (const T& x : all) {
            if (rng.chance(50))
                out.push_back(x);
        }
    } while (non_empty && out.empty());
    return out;
}

inline std::int64_t ref_add(std::int64_t t, const Period& p)
{
    using namespace std::chrono;
    if (p.unit == Unit::Days)
        return t + p.count * kDay;
    const sys_seconds tp{seconds{t}};
    const sys_days day = floor<std::chrono::days>(tp);
    const auto time_of_day = tp - day;
    year_month_day ymd =
        year_month_day{day} + std::chrono::months{p.unit == Unit::Years ? p.count * 12 : p.count};
    if (!ymd.ok())
        ymd = year_month_day{year_month_day_last{ymd.year(), month_day_last{ymd.month()}}};
    return (sys_days{ymd} + time_of_day).time_since_epoch().count();
}

inline bool ref_in(const std::vector<std::string>& v, const std::string& x)
{
    return std::count(v.begin(), v.end(), x) > 0;
}

inline bool ref_applies(const Policy& p, const ItemFacts& f)
{
    const bool mailbox = p.scope.mailboxes.empty() || ref_in(p.scope.mailboxes, f.mailbox);
    const bool folder = p.scope.folders.empty() || ref_in(p.scope.folders, f.folder);
    const bool kind =
        p.scope.kinds.empty() || std::count(p.scope.kinds.begin(), p.scope.kinds.end(), f.kind) > 0;
    return mailbox && folder && kind;
}

inline bool ref_explicit(const Policy& p)
{
    return !(p.scope.mailboxes.empty() && p.scope.folders.empty());
}

inline std::int64_t ref_end(const Policy& p, const ItemFacts& f)
{
    if (!p.period)
        return kNever;
    return ref_add(p.basis == Basis::Sent ? f.sent : f.imported, *p.period);
}

inline bool ref_retains(const Policy& p)
{
    return p.action == Action::RetainOnly || p.action == Action::RetainThenDelete;
}
inline bool ref_deletes(const Policy& p)
{
    return p.action == Action::DeleteOnly || p.action == Action::RetainThenDelete;
}

// Held: some hold names the placement's mailbox, is in force at `now` (since ≤ now ≤ released),
// and either has no query or the item matches it.
inline bool ref_held(const ItemFacts& f, const std::vector<Hold>& holds, std::int64_t now)
{
    for (const Hold& h : holds) {
        const bool in_force = h.since <= now && (!h.released_at.has_value() || now <= *h.released_at);
        const bool covers = ref_in(h.mailboxes, f.mailbox);
        const bool matches = h.query.empty() || f.matching_holds.count(h.id) == 1;
        if (in_force && covers && matches)
            return true;
    }
    return false;
}

struct Expected {
    bool held = false;
    bool any_policy = false;
    std::optional<std::int64_t> retain_until;    // principle 2
    std::vector<std::string> retention_winners;  // policies reaching retain_until
    std::optional<std::int64_t> delete_at;       // principles 3 and 4
    std::vector<std::string> deletion_winners;   // policies no other deletion beats
    bool dispose = false;
};

inline Expected reference(const ItemFacts& f, const std::vector<Hold>& holds,
                          const std::vector<Policy>& policies, std::int64_t now)
{
    Expected e;
    e.held = ref_held(f, holds, now);
    std::vector<const Policy*> applicable;
    for (const Policy& p : policies) {
        if (ref_applies(p, f))
            applicable.push_back(&p);
    }
    e.any_policy = !applicable.empty();
    for (const Policy* p : applicable) {
        if (ref_retains(*p))
            e.retain_until =
                std::max(e.retain_until.value_or(std::numeric_limits<std::int64_t>::min()), ref_end(*p, f));
    }
    for (const Policy* p : applicable) {
        if (ref_retains(*p) && ref_end(*p, f) == e.retain_until)
            e.retention_winners.push_back(p->id);
    }
    // Brute force over pairs: a deleting policy wins when no other deleting policy beats it —
    // an explicit one beats an org-wide one (3), and among equals an earlier end beats (4).
    for (const Policy* p : applicable) {
        if (!ref_deletes(*p) || !p->period)
            continue;
        bool beaten = false;
        for (const Policy* q : applicable) {
            if (!ref_deletes(*q) || !q->period || q == p)
                continue;
            if (ref_explicit(*q) && !ref_explicit(*p))
                beaten = true;
            else if (ref_explicit(*q) == ref_explicit(*p) && ref_end(*q, f) < ref_end(*p, f))
                beaten = true;
        }
        if (!beaten) {
            e.deletion_winners.push_back(p->id);
            e.delete_at = ref_end(*p, f);
        }
    }
    // Retention wins over deletion (1): no disposal while any applicable retention runs.
    const bool retained_now = e.retain_until && now < *e.retain_until;
    e.dispose = !e.held && e.delete_at && now >= *e.delete_at && !retained_now;
    return e;
}

}  // namespace cv::compliance::retention::oracle

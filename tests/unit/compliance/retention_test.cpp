#include "compliance/retention/retention.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "compliance/support/retention_reference.hpp"

namespace cv::compliance::retention {
namespace {

using std::chrono::sys_days;
using namespace oracle;

// UTC seconds of a calendar date and time, through <chrono> (not the library's own arithmetic).
std::int64_t at(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0)
{
    const sys_days day{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
    return day.time_since_epoch().count() * kDay + hh * 3600 + mm * 60 + ss;
}

Period days(std::int64_t n)
{
    return {n, Unit::Days};
}
Period months(std::int64_t n)
{
    return {n, Unit::Months};
}
Period years(std::int64_t n)
{
    return {n, Unit::Years};
}

Policy policy(std::string id, Action action, std::optional<Period> period,
              std::vector<std::string> mailboxes = {}, Basis basis = Basis::Sent)
{
    Policy p;
    p.id = std::move(id);
    p.name = "Policy " + p.id;
    p.action = action;
    p.period = period;
    p.basis = basis;
    p.scope.mailboxes = std::move(mailboxes);
    return p;
}

Hold litigation(std::string id, std::string mailbox, std::int64_t since,
                std::optional<std::int64_t> released = {})
{
    Hold h;
    h.id = std::move(id);
    h.kind = HoldKind::Litigation;
    h.mailboxes = {std::move(mailbox)};
    h.since = since;
    h.released_at = released;
    h.placed_by = "legal@example.com";
    h.reason = "SEC inquiry 2024-17";
    return h;
}

const std::int64_t kSent = at(2020, 3, 15, 10, 30);

ItemFacts item(std::string mailbox = "ana@example.com", std::int64_t sent = kSent)
{
    ItemFacts f;
    f.id = "item-1";
    f.mailbox = std::move(mailbox);
    f.folder = "WhatsApp Archiver";
    f.kind = ItemKind::Message;
    f.sent = sent;
    f.imported = sent + 40 * kDay;
    return f;
}

bool mentions(const Decision& d, std::string_view text)
{
    return std::any_of(d.reasons.begin(), d.reasons.end(),
                       [&](const std::string& r) { return r.find(text) != std::string::npos; });
}

std::string reasons(const Decision& d)
{
    std::string s;
    for (const auto& r : d.reasons)
        s += "\n  " + r;
    return s;
}

// ---- periods and bases ------------------------------------------------------------------------

TEST(RetentionPeriod, CalendarArithmeticClampsToMonthEnd)
{
    EXPECT_EQ(add_period(at(2024, 1, 31, 12), months(1)), at(2024, 2, 29, 12));
    EXPECT_EQ(add_period(at(2023, 1, 31, 12), months(1)), at(2023, 2, 28, 12));
    EXPECT_EQ(add_period(at(2024, 2, 29, 8), years(1)), at(2025, 2, 28, 8));
    EXPECT_EQ(add_period(at(2024, 2, 29, 8), years(4)), at(2028, 2, 29, 8));
    EXPECT_EQ(add_period(at(2020, 11, 30), months(3)), at(2021, 2, 28));
    EXPECT_EQ(add_period(at(2020, 3, 15, 10, 30), days(30)), at(2020, 4, 14, 10, 30));
    EXPECT_EQ(add_period(at(1969, 12, 31, 23), months(1)), at(1970, 1, 31, 23));
    EXPECT_EQ(add_period(at(2020, 5, 1), years(0)), at(2020, 5, 1));
    EXPECT_EQ(to_string(years(7)), "7 years");
    EXPECT_EQ(to_string(days(1)), "1 day");
}

TEST(RetentionDecide, NoApplicablePolicyKeepsTheItem)
{
    const std::vector<Policy> ps{policy("p1", Action::DeleteOnly, days(1), {"bo@example.com"})};
    const Decision d = decide(item(), {}, ps, at(2040, 1, 1));
    EXPECT_FALSE(d.dispose);
    EXPECT_FALSE(d.retain_until);
    EXPECT_FALSE(d.delete_at);
    EXPECT_TRUE(mentions(d, "no retention policy applies")) << reasons(d);
    EXPECT_FALSE(decide(item(), {}, {}, at(2040, 1, 1)).dispose);
}

TEST(RetentionDecide, DeleteOnlyCountsFromTheSentDate)
{
    const std::vector<Policy> ps{policy("p1", Action::DeleteOnly, days(30))};
    const std::int64_t due = kSent + 30 * kDay;
    const Decision before = decide(item(), {}, ps, due - 1);
    EXPECT_FALSE(before.dispose);
    EXPECT_EQ(before.delete_at, due);
    EXPECT_EQ(before.dispose_at, due);
    EXPECT_FALSE(before.retain_until);
    const Decision d = decide(item(), {}, ps, due);
    EXPECT_TRUE(d.dispose) << reasons(d);
    EXPECT_EQ(d.deletion_policy, "p1");
    EXPECT_TRUE(mentions(d, "policy p1")) << reasons(d);
}

TEST(RetentionDecide, DeleteOnlyCountsFromTheImportDate)
{
    const std::vector<Policy> ps{policy("p1", Action::DeleteOnly, months(2), {}, Basis::Imported)};
    const ItemFacts f = item();  // imported 2020-04-24T10:30:00Z
    EXPECT_EQ(decide(f, {}, ps, 0).delete_at, at(2020, 6, 24, 10, 30));
    EXPECT_FALSE(decide(f, {}, ps, at(2020, 6, 24, 10, 29, 59)).dispose);
    EXPECT_TRUE(decide(f, {}, ps, at(2020, 6, 24, 10, 30)).dispose);
}

TEST(RetentionDecide, RetainOnlyNeverDisposes)
{
    const std::vector<Policy> ps{policy("p1", Action::RetainOnly, years(1))};
    const Decision d = decide(item(), {}, ps, at(2090, 1, 1));
    EXPECT_FALSE(d.dispose);
    EXPECT_EQ(d.retain_until, at(2021, 3, 15, 10, 30));  // reported although past
    EXPECT_EQ(d.retention_policy, "p1");
    EXPECT_FALSE(d.delete_at);
    EXPECT_FALSE(d.dispose_at);

    const std::vector<Policy> forever{policy("p2", Action::RetainOnly, std::nullopt)};
    const Decision f = decide(item(), {}, forever, at(2090, 1, 1));
    EXPECT_FALSE(f.dispose);
    EXPECT_EQ(f.retain_until, kForever);
    EXPECT_TRUE(mentions(f, "forever")) << reasons(f);
}

TEST(RetentionDecide, RetainThenDeleteDeletesWhenTheRetentionEnds)
{
    const std::vector<Policy> ps{policy("p1", Action::RetainThenDelete, years(7), {}, Basis::Imported)};
    const std::int64_t end = at(2027, 4, 24, 10, 30);
    const Decision d = decide(item(), {}, ps, end - 1);
    EXPECT_FALSE(d.dispose);
    EXPECT_EQ(d.retain_until, end);
    EXPECT_EQ(d.delete_at, end);
    EXPECT_TRUE(decide(item(), {}, ps, end).dispose);
}

// ---- the four principles ----------------------------------------------------------------------

TEST(RetentionPrinciples, RetentionWinsOverDeletion)
{
    // Purview's example: delete after three years, retain for five then delete.
    const std::vector<Policy> ps{policy("del3", Action::DeleteOnly, years(3)),
                                 policy("keep5", Action::RetainThenDelete, years(5))};
    const Decision at4 = decide(item(), {}, ps, at(2024, 3, 15));
    EXPECT_FALSE(at4.dispose) << reasons(at4);
    EXPECT_EQ(at4.delete_at, at(2023, 3, 15, 10, 30));
    EXPECT_EQ(at4.dispose_at, at(2025, 3, 15, 10, 30));
    EXPECT_TRUE(mentions(at4, "principle 1 (retention wins over deletion)")) << reasons(at4);
    EXPECT_TRUE(decide(item(), {}, ps, at(2025, 3, 15, 10, 30)).dispose);

    // A retain-only policy defers a deletion, even forever.
    const std::vector<Policy> forever{policy("del1", Action::DeleteOnly, days(1)),
                                      policy("keep", Action::RetainOnly, std::nullopt)};
    const Decision f = decide(item(), {}, forever, at(2099, 1, 1));
    EXPECT_FALSE(f.dispose);
    EXPECT_FALSE(f.dispose_at);
}

TEST(RetentionPrinciples, LongestRetentionWins)
{
    const std::vector<Policy> ps{policy("keep5", Action::RetainOnly, years(5)),
                                 policy("keep10", Action::RetainOnly, years(10), {"ana@example.com"}),
                                 policy("keep2", Action::RetainThenDelete, years(2))};
    const Decision d = decide(item(), {}, ps, at(2026, 1, 1));
    EXPECT_EQ(d.retain_until, at(2030, 3, 15, 10, 30));
    EXPECT_EQ(d.retention_policy, "keep10");
    EXPECT_TRUE(mentions(d, "principle 2 (the longest retention period wins)")) << reasons(d);
    EXPECT_FALSE(d.dispose);
    EXPECT_EQ(d.dispose_at, at(2030, 3, 15, 10, 30));  // keep2's deletion, deferred
    EXPECT_TRUE(decide(item(), {}, ps, at(2030, 3, 15, 10, 30)).dispose);
}

TEST(RetentionPrinciples, ExplicitDeletionWinsOverOrgWide)
{
    // Purview's example 1: org-wide deletes after ten years, scoped after five: five.
    const std::vector<Policy> shorter{policy("org10", Action::DeleteOnly, years(10)),
                                      policy("ana5", Action::DeleteOnly, years(5), {"ana@example.com"})};
    const Decision d = decide(item(), {}, shorter, at(2025, 3, 15, 10, 30));
    EXPECT_TRUE(d.dispose) << reasons(d);
    EXPECT_EQ(d.deletion_policy, "ana5");
    EXPECT_TRUE(mentions(d, "principle 3 (explicit inclusion wins over implicit)")) << reasons(d);
    EXPECT_TRUE(mentions(d, "org10")) << reasons(d);

    // Explicit wins even when its deletion is later than the org-wide one.
    const std::vector<Policy> longer{policy("org2", Action::DeleteOnly, years(2)),
                                     policy("ana5", Action::DeleteOnly, years(5), {"ana@example.com"})};
    const Decision l = decide(item(), {}, longer, at(2024, 1, 1));
    EXPECT_FALSE(l.dispose) << reasons(l);
    EXPECT_EQ(l.delete_at, at(2025, 3, 15, 10, 30));
    EXPECT_EQ(l.deletion_policy, "ana5");

    // A folder makes a policy explicit too; a kind alone does not.
    Policy folder = policy("folder3", Action::DeleteOnly, years(3));
    folder.scope.folders = {"WhatsApp Archiver"};
    Policy kind = policy("messages1", Action::DeleteOnly, years(1));
    kind.scope.kinds = {ItemKind::Message};
    EXPECT_TRUE(is_explicit(folder));
    EXPECT_FALSE(is_explicit(kind));
    const std::vector<Policy> mixed{kind, folder};
    EXPECT_EQ(decide(item(), {}, mixed, 0).deletion_policy, "folder3");
}

TEST(RetentionPrinciples, ShortestDeletionWins)
{
    // Purview's example: two scoped policies, ten and seven years: seven.
    const std::vector<Policy> ps{policy("a10", Action::DeleteOnly, years(10), {"ana@example.com"}),
                                 policy("a7", Action::RetainThenDelete, years(7), {"ana@example.com"})};
    const Decision d = decide(item(), {}, ps, 0);
    EXPECT_EQ(d.delete_at, at(2027, 3, 15, 10, 30));
    EXPECT_EQ(d.deletion_policy, "a7");
    EXPECT_TRUE(mentions(d, "principle 4 (the shortest deletion period wins)")) << reasons(d);
    // Among org-wide policies alike.
    const std::vector<Policy> org{policy("o30", Action::DeleteOnly, days(30)),
                                  policy("o1m", Action::DeleteOnly, months(1), {}, Basis::Imported)};
    EXPECT_EQ(decide(item(), {}, org, 0).deletion_policy, "o30");
}

TEST(RetentionPrinciples, PurviewCombinedExamples)
{
    // Delete-only 5y, retain-then-delete 3y, retain-only 7y: retained 7 years, then deleted.
    const std::vector<Policy> one{policy("d5", Action::DeleteOnly, years(5)),
                                  policy("rd3", Action::RetainThenDelete, years(3)),
                                  policy("r7", Action::RetainOnly, years(7))};
    const Decision a = decide(item(), {}, one, at(2027, 3, 15, 10, 29));
    EXPECT_FALSE(a.dispose);
    EXPECT_EQ(a.retain_until, at(2027, 3, 15, 10, 30));
    EXPECT_TRUE(decide(item(), {}, one, at(2027, 3, 15, 10, 30)).dispose);

    // Org-wide delete-only 10y, scoped retain-then-delete 5y: retained five years, deleted then
    // (the scoped deletion takes precedence over the org-wide ten years).
    const std::vector<Policy> two{policy("org10", Action::DeleteOnly, years(10)),
                                  policy("ana5", Action::RetainThenDelete, years(5), {"ana@example.com"})};
    const Decision b = decide(item(), {}, two, at(2025, 3, 15, 10, 30));
    EXPECT_TRUE(b.dispose) << reasons(b);
    EXPECT_EQ(b.deletion_policy, "ana5");
}

TEST(RetentionPrinciples, ScopeByKindAndFolder)
{
    Policy calls = policy("calls", Action::DeleteOnly, days(1));
    calls.scope.kinds = {ItemKind::Call};
    Policy other = policy("other", Action::DeleteOnly, days(1));
    other.scope.folders = {"Elsewhere"};
    const std::vector<Policy> ps{calls, other};
    EXPECT_FALSE(decide(item(), {}, ps, at(2030, 1, 1)).dispose);
    ItemFacts call = item();
    call.kind = ItemKind::Call;
    EXPECT_TRUE(decide(call, {}, ps, at(2030, 1, 1)).dispose);
}

// ---- holds ------------------------------------------------------------------------------------

TEST(RetentionHolds, LitigationHoldFromSinceUntilReleased)
{
    const std::vector<Policy> ps{policy("d1", Action::DeleteOnly, days(1))};
    const std::int64_t since = at(2022, 6, 1);
    const std::int64_t released = at(2023, 6, 1);
    const std::vector<Hold> hs{litigation("lh1", "ana@example.com", since, released)};

    EXPECT_TRUE(decide(item(), hs, ps, since - 1).dispose);
    const Decision d = decide(item(), hs, ps, since);  // in force at exactly `since`
    EXPECT_FALSE(d.dispose);
    EXPECT_TRUE(d.held);
    EXPECT_EQ(d.holds, std::vector<std::string>{"lh1"});
    EXPECT_TRUE(mentions(d, "litigation hold lh1")) << reasons(d);
    EXPECT_TRUE(mentions(d, "SEC inquiry 2024-17")) << reasons(d);
    EXPECT_TRUE(mentions(d, "legal@example.com")) << reasons(d);
    EXPECT_EQ(d.dispose_at, at(2020, 3, 16, 10, 30));        // due, but held
    EXPECT_FALSE(decide(item(), hs, ps, released).dispose);  // still protects at the release instant
    EXPECT_TRUE(decide(item(), hs, ps, released + 1).dispose);

    // Another mailbox's hold does not protect this placement.
    EXPECT_TRUE(decide(item("bo@example.com"), hs, ps, since).dispose);
}

TEST(RetentionHolds, CoversItemsThatArriveLater)
{
    const std::vector<Policy> ps{policy("d1", Action::DeleteOnly, days(1), {}, Basis::Imported)};
    const std::vector<Hold> hs{litigation("lh1", "ana@example.com", at(2019, 1, 1))};
    const ItemFacts later = item("ana@example.com", at(2024, 1, 1));
    EXPECT_TRUE(decide(later, hs, ps, at(2030, 1, 1)).held);
    EXPECT_FALSE(decide(later, hs, ps, at(2030, 1, 1)).dispose);
}

TEST(RetentionHolds, CaseHoldNarrowedByQuery)
{
    Hold h;
    h.id = "ch1";
    h.kind = HoldKind::Case;
    h.case_id = "case-7";
    h.mailboxes = {"ana@example.com", "bo@example.com"};
    h.query = "budget";
    h.since = at(2021, 1, 1);
    const std::vector<Hold> hs{h};
    const std::vector<Policy> ps{policy("d1", Action::DeleteOnly, days(1))};
    ItemFacts f = item();
    EXPECT_TRUE(decide(f, hs, ps, at(2022, 1, 1)).dispose);  // does not match the query
    f.matching_holds = {"ch1"};
    const Decision d = decide(f, hs, ps, at(2022, 1, 1));
    EXPECT_FALSE(d.dispose);
    EXPECT_TRUE(mentions(d, "case hold ch1 of case case-7 matching budget")) << reasons(d);
    h.query.clear();  // without a query: everything in the custodians' mailboxes
    const std::vector<Hold> all{h};
    EXPECT_FALSE(decide(item("bo@example.com"), all, ps, at(2022, 1, 1)).dispose);
}

TEST(RetentionHolds, Validation)
{
    Hold h = litigation("lh1", "ana@example.com", 100, 50);
    EXPECT_FALSE(validate(h));
    h.released_at = 100;
    EXPECT_TRUE(validate(h));
    h.query = "x";
    EXPECT_FALSE(validate(h));
    h.query.clear();
    h.mailboxes.clear();
    EXPECT_FALSE(validate(h));
}

// ---- disposition run --------------------------------------------------------------------------

TEST(RetentionRun, PerPlacementAndLastPlacement)
{
    const std::vector<Policy> ps{policy("ana1", Action::DeleteOnly, days(1), {"ana@example.com"}),
                                 policy("cy1", Action::DeleteOnly, days(1), {"cy@example.com"})};
    const std::vector<Hold> hs{litigation("lh", "cy@example.com", 0)};
    std::vector<ItemFacts> placements{item("ana@example.com"), item("bo@example.com"),
                                      item("cy@example.com")};
    ItemFacts other = item("ana@example.com");
    other.id = "item-2";
    placements.push_back(other);

    const auto run = plan_disposition(placements, hs, ps, at(2030, 1, 1));
    ASSERT_EQ(run.size(), 2u);
    EXPECT_EQ(run[0].item_id, "item-1");
    EXPECT_EQ(run[0].mailbox, "ana@example.com");
    EXPECT_FALSE(run[0].last_placement);  // bo's copy has no policy, cy's is held
    EXPECT_EQ(run[1].item_id, "item-2");
    EXPECT_TRUE(run[1].last_placement);
    EXPECT_TRUE(mentions(run[1].decision, "ana1"));
}

// ---- preservation lock ------------------------------------------------------------------------

TEST(RetentionLock, UnlockedPoliciesChangeFreely)
{
    Policy before = policy("p", Action::RetainOnly, years(7));
    Policy after = policy("p", Action::DeleteOnly, days(1));
    EXPECT_TRUE(check_policy_change(before, after));
    after.period.reset();  // invalid: delete-only needs a period
    const auto r = check_policy_change(before, after);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::InvalidArgument);
}

Result<void> change(Policy before, Policy after)
{
    before.locked = true;
    after.locked = true;
    return check_policy_change(before, after);
}

void expect_refused(const Result<void>& r, std::string_view why)
{
    ASSERT_FALSE(r) << "expected a refusal: " << why;
    EXPECT_EQ(r.error().code(), ErrorCode::Refused);
    EXPECT_NE(r.error().message().find("preservation lock"), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find(why), std::string::npos) << r.error().message();
}

TEST(RetentionLock, OnlyStricter)
{
    const Policy keep7 = policy("p", Action::RetainThenDelete, years(7), {"ana@example.com"});

    Policy unlocked = keep7;
    Policy locked = keep7;
    locked.locked = true;
    expect_refused(check_policy_change(locked, unlocked), "cannot be unlocked");
    EXPECT_TRUE(check_policy_change(unlocked, locked));  // locking is stricter
    EXPECT_TRUE(change(keep7, keep7));

    // Retention: longer is fine, shorter is not.
    Policy p = keep7;
    p.period = years(8);
    EXPECT_TRUE(change(keep7, p));
    p.period = months(84);
    EXPECT_TRUE(change(keep7, p));  // exactly seven years
    p.period = months(83);
    expect_refused(change(keep7, p), "retention period of 83 months");
    p.period = days(2555);  // 7×365: shorter in a span with leap days
    expect_refused(change(keep7, p), "not at least 7 years");
    p.period = days(2562);  // 7×366: longer from every start date
    EXPECT_TRUE(change(keep7, p));

    // Action: more retentive is fine, less is not.
    p = keep7;
    p.action = Action::RetainOnly;
    EXPECT_TRUE(change(keep7, p));
    p.period.reset();  // forever
    EXPECT_TRUE(change(keep7, p));
    p = keep7;
    p.action = Action::DeleteOnly;
    expect_refused(change(keep7, p), "delete-only retains less than retain-then-delete");
    const Policy keep_forever = policy("p", Action::RetainOnly, std::nullopt);
    p = keep_forever;
    p.period = years(100);
    expect_refused(change(keep_forever, p), "not at least forever");
    p.action = Action::RetainThenDelete;
    expect_refused(change(keep_forever, p), "retains less");

    // Scope: may grow, may not shrink.
    p = keep7;
    p.scope.mailboxes.push_back("bo@example.com");
    EXPECT_TRUE(change(keep7, p));
    p.scope.mailboxes = {"bo@example.com"};
    expect_refused(change(keep7, p), "no longer cover the mailbox ana@example.com");
    p = keep7;
    p.scope.mailboxes.clear();  // every mailbox: covers more
    EXPECT_TRUE(change(keep7, p));
    p = keep7;
    p.scope.kinds = {ItemKind::Message};
    expect_refused(change(keep7, p), "covered every kind");
    Policy calls = keep7;
    calls.scope.kinds = {ItemKind::Call};
    p = calls;
    p.scope.kinds = {ItemKind::Call, ItemKind::System};
    EXPECT_TRUE(change(calls, p));
    p.scope.kinds = {ItemKind::System};
    expect_refused(change(calls, p), "no longer cover the kind call");
    p = keep7;
    p.scope.folders = {"WhatsApp Archiver"};
    expect_refused(change(keep7, p), "covered every folder");

    // Basis: not ordered for every item.
    p = keep7;
    p.basis = Basis::Imported;
    expect_refused(change(keep7, p), "count from the imported date");
}

TEST(RetentionLock, DeletionMayOnlyComeSooner)
{
    const Policy del1 = policy("d", Action::DeleteOnly, years(1), {"ana@example.com"});
    Policy p = del1;
    p.period = months(11);
    EXPECT_TRUE(change(del1, p));
    p.period = days(365);  // shorter than or equal to a year from every start date
    EXPECT_TRUE(change(del1, p));
    p.period = days(366);
    expect_refused(change(del1, p), "deletion period of 366 days is not at most 1 year");
    p.period = years(2);
    expect_refused(change(del1, p), "deletion period");
    p = del1;
    p.scope.mailboxes.clear();  // covers more, but org-wide deletion loses principle 3's precedence
    expect_refused(change(del1, p), "principle 3");
    p = del1;
    p.action = Action::RetainThenDelete;  // more retentive
    EXPECT_TRUE(change(del1, p));
}

TEST(RetentionPolicy, Validation)
{
    EXPECT_TRUE(validate(policy("p", Action::RetainOnly, std::nullopt)));
    EXPECT_FALSE(validate(policy("p", Action::DeleteOnly, std::nullopt)));
    EXPECT_FALSE(validate(policy("p", Action::RetainThenDelete, std::nullopt)));
    EXPECT_FALSE(validate(policy("", Action::RetainOnly, years(1))));
    EXPECT_FALSE(validate(policy("p", Action::RetainOnly, years(-1))));
    EXPECT_FALSE(validate(policy("p", Action::RetainOnly, years(1001))));
    EXPECT_TRUE(validate(policy("p", Action::DeleteOnly, days(0))));
}

// ---- property test ----------------------------------------------------------------------------
//
// Random holds, policies, placements and clock times; every expectation is computed here from
// the definitions, never by calling decide() or the library's helpers (period arithmetic goes
// through <chrono>). CV_RETENTION_SEED=<n> reruns with another base seed; a failure prints the
// base seed, the case's own seed and the whole case.

const std::vector<std::string> kMailboxes{"ana", "bo", "cy"};
const std::vector<std::string> kFolders{"WhatsApp Archiver", "Other"};
const std::vector<ItemKind> kKinds{ItemKind::Message, ItemKind::Call, ItemKind::System};

struct Case {
    std::vector<Hold> holds;
    std::vector<Policy> policies;
    std::vector<ItemFacts> placements;
    std::int64_t now = 0;
};

const std::int64_t kFrom = at(2015, 1, 1);
const std::int64_t kTo = at(2045, 1, 1);

Case generate(Rng& rng)
{
    Case c;
    const int n_holds = static_cast<int>(rng.range(0, 3));
    for (int i = 0; i < n_holds; ++i) {
        Hold h;
        h.id = "h" + std::to_string(i);
        h.kind = rng.chance(50) ? HoldKind::Litigation : HoldKind::Case;
        h.mailboxes = h.kind == HoldKind::Litigation ? std::vector<std::string>{kMailboxes[rng.range(0, 2)]}
                                                     : subset(rng, kMailboxes, true);
        if (h.kind == HoldKind::Case) {
            h.case_id = "case-" + std::to_string(rng.range(1, 3));
            if (rng.chance(50))
                h.query = "budget";
        }
        h.since = rng.range(kFrom, kTo);
        if (rng.chance(40))
            h.released_at = h.since + rng.range(0, 3000) * kDay / 3;
        h.placed_by = "legal";
        h.reason = "matter " + std::to_string(i);
        c.holds.push_back(std::move(h));
    }
    const int n_policies = static_cast<int>(rng.range(0, 5));
    for (int i = 0; i < n_policies; ++i) {
        Policy p;
        p.id = "p" + std::to_string(i);
        p.name = "policy " + std::to_string(i);
        p.action = static_cast<Action>(rng.range(0, 2));
        const auto unit = static_cast<Unit>(rng.range(0, 2));
        // Small counts make equal ends (ties) likely.
        const std::int64_t count = unit == Unit::Days     ? rng.range(0, 12) * 365 / 2
                                   : unit == Unit::Months ? rng.range(0, 12) * 6
                                                          : rng.range(0, 12);
        p.period = Period{count, unit};
        if (p.action == Action::RetainOnly && rng.chance(15))
            p.period.reset();
        p.basis = rng.chance(50) ? Basis::Sent : Basis::Imported;
        if (rng.chance(50))
            p.scope.mailboxes = subset(rng, kMailboxes, true);
        if (rng.chance(25))
            p.scope.folders = subset(rng, kFolders, true);
        if (rng.chance(30))
            p.scope.kinds = subset(rng, kKinds, true);
        c.policies.push_back(std::move(p));
    }
    const int n_items = static_cast<int>(rng.range(1, 4));
    for (int i = 0; i < n_items; ++i) {
        ItemFacts f;
        f.id = "item" + std::to_string(i);
        f.folder = kFolders[rng.range(0, 1)];
        f.kind = kKinds[rng.range(0, 2)];
        f.sent = rng.range(kFrom, at(2030, 1, 1));
        // Usually imported later; now and then earlier (a phone with a wrong clock).
        f.imported = f.sent + (rng.chance(90) ? rng.range(0, 400 * kDay) : -rng.range(1, 30 * kDay));
        for (const Hold& h : c.holds) {
            if (rng.chance(50))
                f.matching_holds.insert(h.id);
        }
        for (const std::string& m : subset(rng, kMailboxes, true)) {
            f.mailbox = m;
            c.placements.push_back(f);
        }
    }
    // The clock: anywhere, or on a boundary (a hold's start or release, a period's end, ±1 s).
    c.now = rng.range(kFrom, kTo);
    const int boundary = static_cast<int>(rng.range(0, 3));
    if (boundary == 1 && !c.holds.empty()) {
        const Hold& h = c.holds[rng.range(0, static_cast<std::int64_t>(c.holds.size()) - 1)];
        c.now = h.released_at && rng.chance(50) ? *h.released_at : h.since;
    } else if (boundary == 2 && !c.policies.empty()) {
        const Policy& p = c.policies[rng.range(0, static_cast<std::int64_t>(c.policies.size()) - 1)];
        const std::int64_t end =
            ref_end(p, c.placements[rng.range(0, static_cast<std::int64_t>(c.placements.size()) - 1)]);
        if (end != kNever)
            c.now = end;
    }
    c.now += rng.range(-1, 1);
    return c;
}

std::string dump(const Case& c)
{
    std::ostringstream o;
    o << "now=" << c.now << "\n";
    for (const Hold& h : c.holds) {
        o << "hold " << h.id << " " << to_string(h.kind) << " since=" << h.since
          << " released=" << (h.released_at ? std::to_string(*h.released_at) : "-") << " query='" << h.query
          << "' mailboxes=";
        for (const auto& m : h.mailboxes)
            o << m << ",";
        o << "\n";
    }
    for (const Policy& p : c.policies) {
        o << "policy " << p.id << " " << to_string(p.action) << " "
          << (p.period ? to_string(*p.period) : "forever") << " from " << to_string(p.basis) << " mailboxes=";
        for (const auto& m : p.scope.mailboxes)
            o << m << ",";
        o << " folders=";
        for (const auto& m : p.scope.folders)
            o << m << ",";
        o << " kinds=";
        for (ItemKind k : p.scope.kinds)
            o << to_string(k) << ",";
        o << "\n";
    }
    for (const ItemFacts& f : c.placements) {
        o << "placement " << f.id << " in " << f.mailbox << "/" << f.folder << " " << to_string(f.kind)
          << " sent=" << f.sent << " imported=" << f.imported << " matches=";
        for (const auto& h : f.matching_holds)
            o << h << ",";
        o << "\n";
    }
    return o.str();
}

// Checks one case; returns false (after reporting) at the first broken invariant.
bool check_case(const Case& c, Rng& rng)
{
    std::map<std::string, bool> every_placement_disposed;
    std::map<std::string, bool> any_placement_held;
    std::vector<std::pair<std::string, std::string>> expected_run;

    for (const ItemFacts& f : c.placements) {
        const Expected e = reference(f, c.holds, c.policies, c.now);
        const Decision d = decide(f, c.holds, c.policies, c.now);
        const std::string where = "placement " + f.id + " in " + f.mailbox + reasons(d);

        // A held placement is never disposed of.
        EXPECT_EQ(d.held, e.held) << where;
        if (e.held && d.dispose) {
            ADD_FAILURE() << "held placement disposed: " << where;
            return false;
        }
        // No applicable policy: kept.
        EXPECT_FALSE(!e.any_policy && d.dispose) << where;
        // Principle 1: while any applicable retention runs, no disposal.
        for (const Policy& p : c.policies) {
            if (ref_applies(p, f) && ref_retains(p) && c.now < ref_end(p, f) && d.dispose) {
                ADD_FAILURE() << "disposed while policy " << p.id << " retains: " << where;
                return false;
            }
        }
        // Disposed only when some applicable deletion period has passed.
        if (d.dispose) {
            bool some_deletion_passed = false;
            for (const Policy& p : c.policies) {
                if (ref_applies(p, f) && ref_deletes(p) && p.period && ref_end(p, f) <= c.now)
                    some_deletion_passed = true;
            }
            EXPECT_TRUE(some_deletion_passed) << where;
        }
        // Principle 2: retain_until is the longest applicable retention end, set by one of them.
        EXPECT_EQ(d.retain_until, e.retain_until) << where;
        if (e.retain_until) {
            EXPECT_TRUE(ref_in(e.retention_winners, d.retention_policy))
                << d.retention_policy << " " << where;
        }
        // Principles 3 and 4 against the brute-force reference.
        EXPECT_EQ(d.delete_at, e.delete_at) << where;
        if (e.delete_at) {
            EXPECT_TRUE(ref_in(e.deletion_winners, d.deletion_policy)) << d.deletion_policy << " " << where;
        }
        EXPECT_EQ(d.dispose, e.dispose) << where;
        // Reasons name what decided.
        EXPECT_FALSE(d.reasons.empty());
        for (const std::string& h : d.holds) {
            EXPECT_TRUE(mentions(d, "hold " + h)) << where;
        }
        if (d.dispose) {
            EXPECT_TRUE(mentions(d, "policy " + d.deletion_policy)) << where;
        }

        // Determinism: again, and with holds and policies shuffled.
        EXPECT_EQ(decide(f, c.holds, c.policies, c.now), d) << where;
        std::vector<Hold> holds = c.holds;
        std::vector<Policy> policies = c.policies;
        std::shuffle(holds.begin(), holds.end(), rng.engine);
        std::shuffle(policies.begin(), policies.end(), rng.engine);
        EXPECT_EQ(decide(f, holds, policies, c.now), d) << "order changed the decision: " << where;

        if (!every_placement_disposed.count(f.id))
            every_placement_disposed[f.id] = true;
        every_placement_disposed[f.id] = every_placement_disposed[f.id] && e.dispose;
        any_placement_held[f.id] = any_placement_held[f.id] || e.held;
        if (e.dispose)
            expected_run.emplace_back(f.id, f.mailbox);
    }

    // The run: exactly the disposable placements, in order; the stored item goes only when every
    // placement does, and never while any placement is held.
    const auto run = plan_disposition(c.placements, c.holds, c.policies, c.now);
    std::vector<std::pair<std::string, std::string>> got;
    for (const Disposition& x : run) {
        got.emplace_back(x.item_id, x.mailbox);
        EXPECT_EQ(x.last_placement, every_placement_disposed[x.item_id]) << x.item_id;
        if (x.last_placement && any_placement_held[x.item_id]) {
            ADD_FAILURE() << "held item " << x.item_id << " removed";
            return false;
        }
        EXPECT_TRUE(x.decision.dispose);
    }
    EXPECT_EQ(got, expected_run);
    return !::testing::Test::HasFailure();
}

TEST(RetentionProperty, RandomHoldsPoliciesAndClocks)
{
    std::uint64_t base = 20240508;
    if (const char* env = std::getenv("CV_RETENTION_SEED"))
        base = std::strtoull(env, nullptr, 10);
    constexpr int kCases = 20000;
    int placements = 0, disposed = 0, held = 0;
    for (int i = 0; i < kCases; ++i) {
        const std::uint64_t seed = base * 1000003u + static_cast<std::uint64_t>(i);
        Rng rng{std::mt19937_64{seed}};
        const Case c = generate(rng);
        if (!check_case(c, rng)) {
            ADD_FAILURE() << "property failed: CV_RETENTION_SEED=" << base << ", case " << i << " (seed "
                          << seed << ")\n"
                          << dump(c);
            return;
        }
        for (const ItemFacts& f : c.placements) {
            const Expected e = reference(f, c.holds, c.policies, c.now);
            ++placements;
            disposed += e.dispose;
            held += e.held;
        }
    }
    // The generator must exercise both outcomes, or the invariants prove little.
    EXPECT_GT(disposed, placements / 20) << placements;
    EXPECT_GT(held, placements / 20) << placements;
    RecordProperty("placements", placements);
    RecordProperty("disposed", disposed);
    RecordProperty("held", held);
}

}  // namespace
}  // namespace cv::compliance::retention

// Governance: documents as JSON (round trips, errors naming the field), periods and actions
// as typed, holds, locked policies and cases on a real archive, and the archive's side of
// disposition (placements, shared attachments, erased pack bytes, the erasures table finished
// at open, tampering caught by verify) and of the audit trail (filters).

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "compliance/governance/governance.hpp"
#include "compliance/support/governance_archive.hpp"
#include "sqlite/sqlite.hpp"

namespace cv::compliance::governance {
namespace {

using namespace retention;
using test::GovernanceArchive;
using test::ItemSpec;

constexpr std::int64_t kT0 = 1700000000;  // 2023-11-14
constexpr std::int64_t kDay = 86400;

// ---- documents --------------------------------------------------------------------------------

Hold sample_hold()
{
    Hold h;
    h.id = "lit-1";
    h.kind = HoldKind::Case;
    h.mailboxes = {"ana@corp.example", "bo@corp.example"};
    h.query = "budget";
    h.case_id = "c-7";
    h.since = kT0;
    h.released_at = kT0 + 5 * kDay;
    h.placed_by = "legal";
    h.reason = "Smith v. Corp";
    h.released_by = "counsel";
    return h;
}

Policy sample_policy()
{
    Policy p;
    p.id = "p-calls";
    p.name = "Calls, 7 years";
    p.action = Action::RetainThenDelete;
    p.period = Period{7, Unit::Years};
    p.basis = Basis::Imported;
    p.scope.mailboxes = {"ana@corp.example"};
    p.scope.folders = {"WhatsApp Archiver"};
    p.scope.kinds = {ItemKind::Call, ItemKind::System};
    p.locked = true;
    return p;
}

Case sample_case()
{
    Case c;
    c.id = "c-7";
    c.name = "Smith";
    c.description = "contract dispute";
    c.created_by = "legal";
    c.created_at = kT0;
    c.closed_at = kT0 + 9;
    c.closed_by = "counsel";
    c.custodians = {{"Ana", {"ana@corp.example"}}, {"Bo", {"bo@corp.example", "bo2@corp.example"}}};
    c.searches = {{"budget", "budget AND kind:message", "Europe/Berlin", "legal", kT0 + 3}};
    return c;
}

TEST(GovernanceDocuments, RoundTrip)
{
    const Hold h = sample_hold();
    auto h2 = hold_from_json(to_json(h));
    ASSERT_TRUE(h2) << h2.error().describe();
    EXPECT_EQ(*h2, h);
    Hold open = h;
    open.kind = HoldKind::Litigation;
    open.query.clear();
    open.released_at.reset();
    auto h3 = hold_from_json(to_json(open));
    ASSERT_TRUE(h3);
    EXPECT_EQ(*h3, open);

    const Policy p = sample_policy();
    auto p2 = policy_from_json(to_json(p));
    ASSERT_TRUE(p2) << p2.error().describe();
    EXPECT_EQ(*p2, p);
    Policy forever;
    forever.id = "keep";
    forever.action = Action::RetainOnly;
    auto p3 = policy_from_json(to_json(forever));
    ASSERT_TRUE(p3);
    EXPECT_EQ(*p3, forever);
    EXPECT_FALSE(p3->period.has_value());

    const Case c = sample_case();
    auto c2 = case_from_json(to_json(c));
    ASSERT_TRUE(c2) << c2.error().describe();
    EXPECT_EQ(*c2, c);
    EXPECT_EQ(c.mailboxes(),
              (std::vector<std::string>{"ana@corp.example", "bo2@corp.example", "bo@corp.example"}));
}

// Each bad document fails, and its message names the field that is wrong.
TEST(GovernanceDocuments, ErrorsNameTheField)
{
    struct Bad {
        std::string json;
        std::vector<std::string> mentions;
    };
    const std::vector<Bad> holds{
        {"not json", {"hold", "JSON"}},
        {"[1]", {"hold", "object"}},
        {R"({"kind":"litigation","mailboxes":["a"],"since":1})", {"id", "missing"}},
        {R"({"id":"h","kind":"forever","mailboxes":["a"],"since":1})", {"kind"}},
        {R"({"id":"h","kind":"case","mailboxes":"a","since":1})", {"mailboxes"}},
        {R"({"id":"h","kind":"case","mailboxes":["a", 3],"since":1})", {"mailboxes"}},
        {R"({"id":"h","kind":"case","mailboxes":["a"],"since":"yesterday"})", {"since"}},
        {R"({"id":"h","kind":"case","mailboxes":["a"],"since":1,"released_at":"x"})", {"released_at"}},
        {R"({"id":7,"kind":"case","mailboxes":["a"],"since":1})", {"id", "string"}},
    };
    for (const auto& b : holds) {
        auto r = hold_from_json(b.json);
        ASSERT_FALSE(r) << b.json;
        for (const auto& m : b.mentions)
            EXPECT_NE(r.error().message().find(m), std::string::npos) << r.error().message() << " / " << m;
    }
    const std::vector<Bad> policies{
        {R"({"action":"delete"})", {"id", "missing"}},
        {R"({"id":"p","action":"shred"})", {"action"}},
        {R"({"id":"p","action":"delete","period":{"unit":"days"}})", {"period", "count"}},
        {R"({"id":"p","action":"delete","period":{"count":3,"unit":"weeks"}})", {"period", "unit"}},
        {R"({"id":"p","action":"delete","period":{"count":"3","unit":"days"}})", {"period", "count"}},
        {R"({"id":"p","action":"delete","basis":"received"})", {"basis"}},
        {R"({"id":"p","action":"delete","scope":{"kinds":["sms"]}})", {"scope", "kinds", "sms"}},
        {R"({"id":"p","action":"delete","scope":{"mailboxes":"a"}})", {"scope", "mailboxes"}},
        {R"({"id":"p","action":"delete","locked":"yes"})", {"locked"}},
    };
    for (const auto& b : policies) {
        auto r = policy_from_json(b.json);
        ASSERT_FALSE(r) << b.json;
        for (const auto& m : b.mentions)
            EXPECT_NE(r.error().message().find(m), std::string::npos) << r.error().message() << " / " << m;
    }
    const std::vector<Bad> cases{
        {R"({"name":"x"})", {"id", "missing"}},
        {R"({"id":"c","custodians":{}})", {"custodians"}},
        {R"({"id":"c","custodians":[{"mailboxes":["a"]}]})", {"custodians", "name"}},
        {R"({"id":"c","searches":[{"name":"s"}]})", {"searches", "query"}},
        {R"({"id":"c","created_at":"monday"})", {"created_at"}},
    };
    for (const auto& b : cases) {
        auto r = case_from_json(b.json);
        ASSERT_FALSE(r) << b.json;
        for (const auto& m : b.mentions)
            EXPECT_NE(r.error().message().find(m), std::string::npos) << r.error().message() << " / " << m;
    }
}

// A nested field's error names its path once: "policy: period: count: missing".
TEST(GovernanceDocuments, NestedErrorsNameThePathOnce)
{
    const std::vector<std::pair<std::string, std::string>> policies{
        {R"({"id":"p","action":"delete","period":{"unit":"days"}})", "policy: period: count: missing"},
        {R"({"id":"p","action":"delete","period":{"count":3,"unit":"weeks"}})",
         "policy: period: unit: expected days, months or years"},
        {R"({"id":"p","action":"delete","scope":{"kinds":["sms"]}})",
         "policy: scope: kinds: 'sms' is not message, call or system"},
    };
    for (const auto& [json, message] : policies) {
        auto r = policy_from_json(json);
        ASSERT_FALSE(r) << json;
        EXPECT_EQ(r.error().message(), message);
    }
    auto c = case_from_json(R"({"id":"c","custodians":[{"mailboxes":["a"]}]})");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().message(), "case: custodians: name: missing");
    auto s = case_from_json(R"({"id":"c","searches":[{"name":"s"}]})");
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().message(), "case: searches: query: missing");
}

TEST(GovernanceDocuments, ParsePeriod)
{
    const std::vector<std::pair<std::string, Period>> good{
        {"7 years", {7, Unit::Years}}, {"7y", {7, Unit::Years}},       {"1 year", {1, Unit::Years}},
        {"30 days", {30, Unit::Days}}, {"30d", {30, Unit::Days}},      {"1 day", {1, Unit::Days}},
        {"18m", {18, Unit::Months}},   {"1 month", {1, Unit::Months}}, {" 2  Months ", {2, Unit::Months}},
        {"0 days", {0, Unit::Days}},
    };
    for (const auto& [text, period] : good) {
        auto p = parse_period(text);
        ASSERT_TRUE(p) << text << ": " << p.error().describe();
        EXPECT_EQ(*p, period) << text;
    }
    for (const std::string bad :
         {"", "years", "7", "7 weeks", "-3 days", "seven years", "7 years ago", "3.5y"}) {
        auto p = parse_period(bad);
        ASSERT_FALSE(p) << "'" << bad << "' parsed as " << p->count;
        EXPECT_EQ(p.error().code(), ErrorCode::InvalidArgument);
        EXPECT_NE(p.error().message().find("period"), std::string::npos) << p.error().message();
    }
}

TEST(GovernanceDocuments, ParseAction)
{
    EXPECT_EQ(parse_action("retain").value(), Action::RetainOnly);
    EXPECT_EQ(parse_action("delete").value(), Action::DeleteOnly);
    EXPECT_EQ(parse_action("retain-then-delete").value(), Action::RetainThenDelete);
    for (const std::string bad : {"", "Retain", "purge", "retain then delete"}) {
        auto a = parse_action(bad);
        ASSERT_FALSE(a) << bad;
        EXPECT_EQ(a.error().code(), ErrorCode::InvalidArgument);
        EXPECT_NE(a.error().message().find("action"), std::string::npos);
    }
}

// ---- the store --------------------------------------------------------------------------------

Hold litigation(std::string id, std::string mailbox)
{
    Hold h;
    h.id = std::move(id);
    h.kind = HoldKind::Litigation;
    h.mailboxes = {std::move(mailbox)};
    h.reason = "matter";
    return h;
}

std::vector<std::string> actions(archive::Archive& a, const archive::AuditFilter& f = {})
{
    auto log = a.audit_log(f);
    EXPECT_TRUE(log) << log.error().describe();
    std::vector<std::string> out;
    if (log)
        for (const auto& r : *log)
            out.push_back(r.event.action);
    return out;
}

TEST(Governance, HoldsAreAddedOnceAndReleasedOnce)
{
    GovernanceArchive a;
    Governance g(*a);
    ASSERT_TRUE(g.add_hold(litigation("h1", "ana@corp.example"), Actor{"legal", kT0}));
    auto again = g.add_hold(litigation("h1", "bo@corp.example"), Actor{"legal", kT0 + 1});
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code(), ErrorCode::InvalidArgument);
    // The first one stands.
    auto holds = g.holds();
    ASSERT_TRUE(holds);
    ASSERT_EQ(holds->size(), 1u);
    EXPECT_EQ(holds->front().mailboxes, std::vector<std::string>{"ana@corp.example"});
    EXPECT_EQ(holds->front().since, kT0);
    EXPECT_EQ(holds->front().placed_by, "legal");

    auto released = g.release_hold("h1", "settled", Actor{"counsel", kT0 + 50});
    ASSERT_TRUE(released) << released.error().describe();
    EXPECT_EQ(released->released_at, kT0 + 50);
    EXPECT_EQ(released->released_by, "counsel");
    auto twice = g.release_hold("h1", "again", Actor{"counsel", kT0 + 60});
    ASSERT_FALSE(twice);
    EXPECT_EQ(twice.error().code(), ErrorCode::InvalidArgument);
    auto unknown = g.release_hold("nope", "", Actor{"counsel", kT0 + 60});
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code(), ErrorCode::NotFound);
    // Still released at the first release's time, and the id cannot be reused.
    holds = g.holds();
    ASSERT_TRUE(holds);
    EXPECT_EQ(holds->front().released_at, kT0 + 50);
    EXPECT_FALSE(g.add_hold(litigation("h1", "ana@corp.example"), Actor{"legal", kT0 + 70}));
    // Invalid holds are refused: no mailbox; a query on a litigation hold; a query that cannot run.
    Hold none = litigation("h2", "");
    none.mailboxes.clear();
    EXPECT_FALSE(g.add_hold(none, Actor{"legal", kT0}));
    Hold queried = litigation("h3", "ana@corp.example");
    queried.query = "budget";
    EXPECT_FALSE(g.add_hold(queried, Actor{"legal", kT0}));
    Hold broken = queried;
    broken.kind = HoldKind::Case;
    broken.case_id = "c";
    broken.query = "kind:fax";
    EXPECT_FALSE(g.add_hold(broken, Actor{"legal", kT0}));
    // Only what succeeded is on the audit trail.
    EXPECT_EQ(actions(*a), (std::vector<std::string>{"hold.add", "hold.release"}));
}

TEST(Governance, LockedPolicyOnlyGetsStricter)
{
    GovernanceArchive a;
    Governance g(*a);
    Policy p;
    p.id = "keep5";
    p.action = Action::RetainOnly;
    p.period = Period{5, Unit::Years};
    p.scope.mailboxes = {"ana@corp.example"};
    p.locked = true;
    ASSERT_TRUE(g.put_policy(p, Actor{"records", kT0}));

    auto removed = g.remove_policy("keep5", Actor{"records", kT0 + 1});
    ASSERT_FALSE(removed);
    EXPECT_EQ(removed.error().code(), ErrorCode::Refused);
    EXPECT_NE(removed.error().message().find("lock"), std::string::npos) << removed.error().message();

    Policy shorter = p;
    shorter.period = Period{3, Unit::Years};
    auto loosened = g.put_policy(shorter, Actor{"records", kT0 + 2});
    ASSERT_FALSE(loosened);
    EXPECT_EQ(loosened.error().code(), ErrorCode::Refused);
    Policy unlocked = p;
    unlocked.locked = false;
    EXPECT_FALSE(g.put_policy(unlocked, Actor{"records", kT0 + 3}));
    Policy deletes = p;
    deletes.action = Action::DeleteOnly;
    EXPECT_FALSE(g.put_policy(deletes, Actor{"records", kT0 + 3}));
    Policy narrower = p;
    narrower.scope.mailboxes.clear();
    narrower.scope.kinds = {ItemKind::Call};
    EXPECT_FALSE(g.put_policy(narrower, Actor{"records", kT0 + 3}));

    Policy longer = p;
    longer.period = Period{7, Unit::Years};
    longer.scope.mailboxes.push_back("bo@corp.example");
    auto tightened = g.put_policy(longer, Actor{"records", kT0 + 4});
    ASSERT_TRUE(tightened) << tightened.error().describe();
    auto stored = g.policies();
    ASSERT_TRUE(stored);
    ASSERT_EQ(stored->size(), 1u);
    EXPECT_EQ(stored->front(), longer);

    // An unlocked policy may be changed any way and removed.
    Policy free = p;
    free.id = "free";
    free.locked = false;
    ASSERT_TRUE(g.put_policy(free, Actor{"records", kT0 + 5}));
    free.period = Period{1, Unit::Days};
    ASSERT_TRUE(g.put_policy(free, Actor{"records", kT0 + 6}));
    ASSERT_TRUE(g.remove_policy("free", Actor{"records", kT0 + 7}));
    auto missing = g.remove_policy("free", Actor{"records", kT0 + 8});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
    EXPECT_EQ(actions(*a), (std::vector<std::string>{"policy.add", "policy.change", "policy.add",
                                                     "policy.change", "policy.remove"}));
}

TEST(Governance, ClosingACaseReleasesItsHolds)
{
    GovernanceArchive a;
    Governance g(*a);
    Case c;
    c.id = "c1";
    c.name = "Smith";
    c.custodians = {{"Ana", {"ana@corp.example"}}};
    ASSERT_TRUE(g.put_case(c, "case.create", "{}", Actor{"legal", kT0}));
    Case other = c;
    other.id = "c2";
    ASSERT_TRUE(g.put_case(other, "case.create", "{}", Actor{"legal", kT0}));
    auto case_hold = [](std::string id, std::string case_id, std::string query) {
        Hold h;
        h.id = std::move(id);
        h.kind = HoldKind::Case;
        h.case_id = std::move(case_id);
        h.mailboxes = {"ana@corp.example"};
        h.query = std::move(query);
        return h;
    };
    ASSERT_TRUE(g.add_hold(case_hold("c1-a", "c1", ""), Actor{"legal", kT0 + 1}));
    ASSERT_TRUE(g.add_hold(case_hold("c1-b", "c1", "budget"), Actor{"legal", kT0 + 2}));
    ASSERT_TRUE(g.add_hold(case_hold("c2-a", "c2", ""), Actor{"legal", kT0 + 3}));
    ASSERT_TRUE(g.add_hold(case_hold("c1-old", "c1", ""), Actor{"legal", kT0 + 4}));
    ASSERT_TRUE(g.release_hold("c1-old", "early", Actor{"counsel", kT0 + 5}));

    ASSERT_TRUE(g.close_case("c1", Actor{"counsel", kT0 + 100}));
    auto holds = g.holds();
    ASSERT_TRUE(holds);
    std::map<std::string, Hold> by_id;
    for (const auto& h : *holds)
        by_id[h.id] = h;
    EXPECT_EQ(by_id["c1-a"].released_at, kT0 + 100);
    EXPECT_EQ(by_id["c1-a"].released_by, "counsel");
    EXPECT_EQ(by_id["c1-b"].released_at, kT0 + 100);
    EXPECT_EQ(by_id["c1-old"].released_at, kT0 + 5);  // released before: untouched
    EXPECT_FALSE(by_id["c2-a"].released_at.has_value());
    auto closed = g.get_case("c1");
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->closed_at, kT0 + 100);
    EXPECT_EQ(closed->closed_by, "counsel");
    auto open = g.get_case("c2");
    ASSERT_TRUE(open);
    EXPECT_FALSE(open->closed_at.has_value());

    EXPECT_FALSE(g.close_case("c1", Actor{"counsel", kT0 + 200}));
    auto unknown = g.close_case("c9", Actor{"counsel", kT0 + 200});
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code(), ErrorCode::NotFound);
    archive::AuditFilter since;
    since.since = kT0 + 100;
    EXPECT_EQ(actions(*a, since), (std::vector<std::string>{"hold.release", "hold.release", "case.close"}));
}

std::int64_t id_of(GovernanceArchive& a, const std::string& message_id);

// Regression: a case hold's query was evaluated only while the hold was unreleased, so at the
// very second of its release (when it still protects) and in a dry run --now before it, what it
// held was disposed of.
TEST(Governance, CaseHoldWithAQueryProtectsThroughTheSecondItIsReleased)
{
    GovernanceArchive a;
    Governance g(*a);
    a.commit({{"b@x", ItemKind::Message, kT0, "the budget", {"ana@corp.example"}, {}},
              {"l@x", ItemKind::Message, kT0, "lunch", {"ana@corp.example"}, {}}});
    Policy purge;
    purge.id = "purge";
    purge.action = Action::DeleteOnly;
    purge.period = Period{1, Unit::Days};
    ASSERT_TRUE(g.put_policy(purge, Actor{"records", kT0}));
    Hold h;
    h.id = "c-budget";
    h.kind = HoldKind::Case;
    h.case_id = "c";
    h.mailboxes = {"ana@corp.example"};
    h.query = "budget";
    ASSERT_TRUE(g.add_hold(h, Actor{"legal", kT0}));
    const std::int64_t release = kT0 + 100 * kDay;
    ASSERT_TRUE(g.release_hold("c-budget", "done", Actor{"legal", release}));
    const auto subject = a.subject();
    for (const std::int64_t now : {release - 50 * kDay, release}) {
        auto run = g.run_retention(false, Actor{"bot", now}, subject);
        ASSERT_TRUE(run) << run.error().describe();
        ASSERT_EQ(run->dispose.size(), 1u) << now;
        EXPECT_EQ(run->dispose[0].item, id_of(a, "l@x")) << now;
        EXPECT_EQ(run->held, 1u) << now;
    }
    auto after = g.run_retention(false, Actor{"bot", release + 1}, subject);
    ASSERT_TRUE(after);
    EXPECT_EQ(after->dispose.size(), 2u);
    EXPECT_EQ(after->held, 0u);
}

TEST(Governance, EstimateCountsPerMailbox)
{
    GovernanceArchive a;
    Governance g(*a);
    const std::vector<std::string> boxes{"ana@corp.example", "bo@corp.example", "cy@corp.example"};
    std::vector<ItemSpec> items;
    for (int i = 0; i < 30; ++i) {
        ItemSpec s;
        s.message_id = "e" + std::to_string(i) + "@x.invalid";
        s.kind = i % 4 == 0 ? ItemKind::Call : ItemKind::Message;
        s.utc = kT0 + i * 3600;
        s.text =
            (i % 3 == 0 ? "budget talk " : "other talk ") + std::string(static_cast<std::size_t>(i), 'z');
        for (std::size_t b = 0; b < boxes.size(); ++b)
            if (((i >> b) & 1) != 0 || (b == 2 && i % 5 == 0))
                s.mailboxes.push_back(boxes[b]);
        if (s.mailboxes.empty())
            s.mailboxes.push_back(boxes[0]);
        items.push_back(std::move(s));
    }
    a.commit(items);

    auto expect = [&](const std::string& query, const std::vector<std::string>& wanted, auto match) {
        std::map<std::string, Estimate::PerMailbox> per;
        std::uint64_t n = 0, bytes = 0;
        for (const auto& s : items) {
            if (!match(s))
                continue;
            bool any = false;
            for (const auto& m : s.mailboxes)
                if (wanted.empty() || std::count(wanted.begin(), wanted.end(), m)) {
                    ++per[m].items;
                    per[m].bytes += 100 + s.text.size();
                    any = true;
                }
            if (any) {
                ++n;
                bytes += 100 + s.text.size();
            }
        }
        auto e = g.estimate(query, "UTC", wanted, kT0 + 400 * kDay);
        ASSERT_TRUE(e) << e.error().describe();
        EXPECT_EQ(e->items, n) << query;
        EXPECT_EQ(e->bytes, bytes) << query;
        ASSERT_EQ(e->mailboxes.size(), per.size()) << query;
        for (const auto& [m, x] : per) {
            EXPECT_EQ(e->mailboxes[m].items, x.items) << query << " " << m;
            EXPECT_EQ(e->mailboxes[m].bytes, x.bytes) << query << " " << m;
        }
        EXPECT_GT(n, 0u) << query;
    };
    auto budget = [](const ItemSpec& s) { return s.text.find("budget") != std::string::npos; };
    auto calls = [](const ItemSpec& s) { return s.kind == ItemKind::Call; };
    expect("budget", {}, budget);
    expect("budget", {"bo@corp.example"}, budget);
    expect("budget", {"bo@corp.example", "cy@corp.example"}, budget);
    expect("kind:call", {}, calls);
    expect("kind:call", {"cy@corp.example"}, calls);
    auto bad = g.estimate("kind:fax", "UTC", {}, kT0);
    EXPECT_FALSE(bad);
}

// ---- the archive: disposition -------------------------------------------------------------------

archive::AuditEvent run_event(std::int64_t t)
{
    return archive::AuditEvent{"retention-bot", t, "retention.dispose", "{}", std::nullopt};
}

std::int64_t id_of(GovernanceArchive& a, const std::string& message_id)
{
    auto id = a->find(message_id);
    EXPECT_TRUE(id && *id) << message_id;
    return id && *id ? **id : -1;
}

std::set<std::pair<std::int64_t, std::string>> placements(GovernanceArchive& a)
{
    auto p = a->placements();
    EXPECT_TRUE(p) << p.error().describe();
    std::set<std::pair<std::int64_t, std::string>> out;
    if (p)
        for (const auto& x : *p)
            out.insert({x.item, x.mailbox});
    return out;
}

TEST(ArchiveDispose, PlacementOnlyKeepsTheItemForOtherMailboxes)
{
    GovernanceArchive a;
    a.commit({{"one@x", ItemKind::Message, kT0, "hello there", {"ana@corp.example", "bo@corp.example"}, {}},
              {"two@x", ItemKind::Message, kT0, "second", {"ana@corp.example"}, {}}});
    const std::int64_t one = id_of(a, "one@x"), two = id_of(a, "two@x");
    const std::vector<archive::Disposal> d{{one, "ana@corp.example", "p1", "test"}};
    auto report = a->dispose(d, run_event(kT0 + 10), a.subject());
    ASSERT_TRUE(report) << report.error().describe();
    EXPECT_EQ(report->placements, 1u);
    EXPECT_EQ(report->items, 0u);
    EXPECT_EQ(placements(a), (std::set<std::pair<std::int64_t, std::string>>{{one, "bo@corp.example"},
                                                                             {two, "ana@corp.example"}}));
    auto stored = a->item(one);
    ASSERT_TRUE(stored) << stored.error().describe();
    EXPECT_EQ(stored->item.text, "hello there");
    EXPECT_EQ(stored->mailboxes, std::vector<std::string>{"bo@corp.example"});
    auto listed = a->list("ana@corp.example", archive::kFolder, 100, 0);
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ(listed->front().id, two);

    // Importing it again does not place it back in Ana's mailbox.
    auto again = a.commit(
        {{"one@x", ItemKind::Message, kT0, "hello there", {"ana@corp.example", "bo@corp.example"}, {}}});
    EXPECT_EQ(again.duplicates, 1u);
    EXPECT_EQ(again.disposed, 0u);
    EXPECT_EQ(placements(a).count({one, "ana@corp.example"}), 0u);

    // A placement that is not there: an error, and nothing at all disposed of.
    const std::vector<archive::Disposal> wrong{{two, "ana@corp.example", "p1", "x"},
                                               {one, "ana@corp.example", "p1", "gone already"}};
    auto refused = a->dispose(wrong, run_event(kT0 + 20), a.subject());
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), ErrorCode::NotFound);
    EXPECT_EQ(placements(a).count({two, "ana@corp.example"}), 1u);
    for (const auto& f : a.findings())
        ADD_FAILURE() << f;
}

// SQLite gives a new row the highest id plus one: an item removed whole with the highest id
// leaves its id to the next new item, which must not inherit anything of the removed one (its
// disposed placements, its index entries).
TEST(ArchiveDispose, TheNumberOfARemovedItemIsNeverGivenAgain)
{
    GovernanceArchive a;
    a.commit({{"old@x", ItemKind::Message, kT0, "first", {"ana@corp.example"}, {}},
              {"gone@x", ItemKind::Message, kT0, "secretword", {"ana@corp.example", "bo@corp.example"}, {}}});
    const std::int64_t gone = id_of(a, "gone@x");
    const std::vector<archive::Disposal> d{{gone, "ana@corp.example", "p", "t"},
                                           {gone, "bo@corp.example", "p", "t"}};
    auto report = a->dispose(d, run_event(kT0 + 10), a.subject());
    ASSERT_TRUE(report) << report.error().describe();
    ASSERT_EQ(report->items, 1u);

    // A new item, first filed to Cy only, then (a new mapping) to Ana and Bo as well.
    a.commit({{"new@x", ItemKind::Message, kT0 + 5, "fresh", {"cy@corp.example"}, {}}});
    const std::int64_t fresh = id_of(a, "new@x");
    EXPECT_GT(fresh, gone) << "an item number named in the journal is never given to another item";
    auto again = a.commit({{"new@x",
                            ItemKind::Message,
                            kT0 + 5,
                            "fresh",
                            {"ana@corp.example", "bo@corp.example", "cy@corp.example"},
                            {}}});
    EXPECT_EQ(again.duplicates, 1u);
    EXPECT_EQ(placements(a),
              (std::set<std::pair<std::int64_t, std::string>>{{id_of(a, "old@x"), "ana@corp.example"},
                                                              {fresh, "ana@corp.example"},
                                                              {fresh, "bo@corp.example"},
                                                              {fresh, "cy@corp.example"}}))
        << "the new item (id " << fresh << ", the removed one's was " << gone
        << ") is placed everywhere it is filed";
    archive::IndexCondition word;
    word.op = archive::IndexCondition::Op::Text;
    word.fts = "secretword";
    auto found = a->search_ids(word);
    ASSERT_TRUE(found);
    EXPECT_TRUE(found->empty()) << "the removed item's words find the item that took its id";
    for (const auto& f : a.findings())
        ADD_FAILURE() << f;
}

struct PackRange {
    std::int64_t pack = 0;
    std::int64_t offset = 0;
    std::int64_t length = 0;
};

std::vector<PackRange> blob_ranges(const std::filesystem::path& dir)
{
    auto db = sqlite::Database::open((dir / "chatvault.db").string(), false);
    EXPECT_TRUE(db) << db.error().describe();
    std::vector<PackRange> out;
    if (!db)
        return out;
    auto st = db->prepare("SELECT pack, offset, length FROM blobs ORDER BY pack, offset");
    EXPECT_TRUE(st);
    if (!st)
        return out;
    EXPECT_TRUE(sqlite::for_each_row(*st, [&] {
        out.push_back(PackRange{st->column_int(0), st->column_int(1), st->column_int(2)});
    }));
    return out;
}

// The pack file of a pack id, as the archive names it (packs/000001.pack).
std::filesystem::path pack_file(const std::filesystem::path& dir, std::int64_t pack)
{
    const auto path = dir / "packs" / fmt::format("{:06}.pack", pack);
    EXPECT_TRUE(std::filesystem::exists(path)) << path;
    return path;
}

std::string read_range(const std::filesystem::path& file, std::int64_t offset, std::int64_t length)
{
    std::ifstream in(file, std::ios::binary);
    in.seekg(offset);
    std::string out(static_cast<std::size_t>(length), '\1');
    in.read(out.data(), length);
    EXPECT_EQ(in.gcount(), length);
    return out;
}

TEST(ArchiveDispose, SharedAttachmentSurvivesAndAnUnusedOneIsErased)
{
    GovernanceArchive a;
    const std::string shared = "shared attachment " + std::string(5000, 's');
    const std::string own = "own attachment, not compressible? " + std::string(9000, 'o');
    a.commit({{"a@x", ItemKind::Message, kT0, "first", {"ana@corp.example"}, {shared, own}},
              {"b@x", ItemKind::Message, kT0, "second", {"bo@corp.example"}, {shared}}});
    a.close();
    const auto ranges = blob_ranges(a.dir());
    ASSERT_EQ(ranges.size(), 2u);
    a.open();
    // Which range is whose: the one that goes is the one no longer in the table afterwards.
    std::map<std::int64_t, std::uintmax_t> pack_sizes;
    for (const auto& r : ranges)
        pack_sizes[r.pack] = std::filesystem::file_size(pack_file(a.dir(), r.pack));

    const std::vector<archive::Disposal> d{{id_of(a, "a@x"), "ana@corp.example", "p", "test"}};
    auto report = a->dispose(d, run_event(kT0 + 10), a.subject());
    ASSERT_TRUE(report) << report.error().describe();
    EXPECT_EQ(report->placements, 1u);
    EXPECT_EQ(report->items, 1u);
    EXPECT_EQ(report->blobs, 1u);
    EXPECT_EQ(a.read_blob(shared), shared);
    EXPECT_FALSE(a.read_blob(own).has_value());
    auto gone = a->item(d[0].item);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code(), ErrorCode::NotFound);
    auto kept = a->item(id_of(a, "b@x"));
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->item.attachments.size(), 1u);

    a.close();
    const auto left = blob_ranges(a.dir());
    ASSERT_EQ(left.size(), 1u);
    const PackRange erased =
        ranges[0].offset == left[0].offset && ranges[0].pack == left[0].pack ? ranges[1] : ranges[0];
    EXPECT_EQ(report->bytes_released, static_cast<std::uint64_t>(erased.length));
    // The erased bytes read back as zeros, the pack keeps its length, the kept blob its bytes.
    const auto file = pack_file(a.dir(), erased.pack);
    EXPECT_EQ(read_range(file, erased.offset, erased.length),
              std::string(static_cast<std::size_t>(erased.length), '\0'));
    EXPECT_NE(read_range(file, left[0].offset, left[0].length),
              std::string(static_cast<std::size_t>(left[0].length), '\0'));
    for (const auto& [pack, size] : pack_sizes)
        EXPECT_EQ(std::filesystem::file_size(pack_file(a.dir(), pack)), size);
    a.open();
    EXPECT_EQ(a.read_blob(shared), shared);
    for (const auto& f : a.findings())
        ADD_FAILURE() << f;
    // The removed item is never imported again; its attachment is not stored again either.
    auto again = a.commit({{"a@x", ItemKind::Message, kT0, "first", {"ana@corp.example"}, {}}});
    EXPECT_EQ(again.disposed, 1u);
    EXPECT_EQ(again.added, 0u);
    EXPECT_FALSE(a->item(d[0].item));
}

TEST(ArchiveDispose, ErasureLeftByACrashIsDoneAtTheNextOpen)
{
    GovernanceArchive a;
    const std::string bytes = "attachment " + std::string(20000, 'q');
    a.commit({{"a@x", ItemKind::Message, kT0, "first", {"ana@corp.example"}, {bytes}}});
    a.close();
    const auto ranges = blob_ranges(a.dir());
    ASSERT_EQ(ranges.size(), 1u);
    const auto file = pack_file(a.dir(), ranges[0].pack);
    const auto size = std::filesystem::file_size(file);
    EXPECT_NE(read_range(file, ranges[0].offset, ranges[0].length),
              std::string(static_cast<std::size_t>(ranges[0].length), '\0'));
    {
        // As a crash between a disposal's commit and its erasure leaves it.
        auto db = sqlite::Database::open((a.dir() / "chatvault.db").string(), false);
        ASSERT_TRUE(db) << db.error().describe();
        auto st = db->prepare("INSERT INTO erasures(pack, offset, length) VALUES(?1, ?2, ?3)");
        ASSERT_TRUE(st) << st.error().describe();
        st->bind(1, ranges[0].pack).bind(2, ranges[0].offset).bind(3, ranges[0].length);
        ASSERT_TRUE(st->run());
    }
    a.open();
    EXPECT_EQ(read_range(file, ranges[0].offset, ranges[0].length),
              std::string(static_cast<std::size_t>(ranges[0].length), '\0'));
    EXPECT_EQ(std::filesystem::file_size(file), size);
    a.close();
    auto db = sqlite::Database::open((a.dir() / "chatvault.db").string(), false);
    ASSERT_TRUE(db);
    auto left = db->prepare("SELECT count(*) FROM erasures");
    ASSERT_TRUE(left);
    ASSERT_TRUE(left->step());
    EXPECT_EQ(left->column_int(0), 0);
}

// Flips one character inside the journal entry whose body contains `marker`.
void tamper_journal(const std::filesystem::path& dir, const std::string& marker, const std::string& from,
                    const std::string& to)
{
    std::string journal = test::slurp(dir / "journal");
    const auto at = journal.find(marker);
    ASSERT_NE(at, std::string::npos) << marker;
    const auto line_end = journal.find('\n', at);
    const auto line_start = journal.rfind('\n', at) + 1;
    const auto hit = journal.find(from, line_start);
    ASSERT_TRUE(hit != std::string::npos && hit < line_end) << from;
    ASSERT_EQ(from.size(), to.size());
    journal.replace(hit, from.size(), to);
    std::ofstream(dir / "journal", std::ios::binary | std::ios::trunc) << journal;
}

TEST(ArchiveDispose, TamperingWithADisposeOrAuditEntryIsCaught)
{
    for (const std::string marker : {"\"type\":\"dispose\"", "\"hold.add\""}) {
        SCOPED_TRACE(marker);
        GovernanceArchive a;
        a.commit({{"a@x", ItemKind::Message, kT0, "first", {"ana@corp.example", "bo@corp.example"}, {}}});
        Governance g(*a);
        ASSERT_TRUE(g.add_hold(litigation("h1", "bo@corp.example"), Actor{"mallory", kT0}));
        const std::vector<archive::Disposal> d{{id_of(a, "a@x"), "ana@corp.example", "p", "test"}};
        ASSERT_TRUE(a->dispose(d, run_event(kT0 + 10), a.subject()));
        EXPECT_TRUE(a.findings().empty());
        a.close();
        tamper_journal(a.dir(), marker, marker == "\"hold.add\"" ? "mallory" : "retention-bot",
                       marker == "\"hold.add\"" ? "mallorx" : "retention-bou");
        a.open();
        EXPECT_FALSE(a.findings().empty()) << "an edited journal entry went unnoticed";
    }
}

TEST(ArchiveAudit, FiltersBySinceActorAndAction)
{
    GovernanceArchive a;
    struct E {
        std::string actor;
        std::int64_t time;
        std::string action;
    };
    const std::vector<E> events{
        {"ana", kT0, "hold.add"},          {"bo", kT0 + 10, "hold.release"}, {"ana", kT0 + 20, "holdings"},
        {"ana", kT0 + 30, "policy.add"},   {"bo", kT0 + 40, "hold.add"},     {"ana", kT0 + 50, "search"},
        {"ana", kT0 + 60, "hold.release"}, {"Ana", kT0 + 70, "hold.add"},    {"ana", kT0 + 80, "hold"},
    };
    for (std::size_t i = 0; i < events.size(); ++i) {
        const auto& e = events[i];
        ASSERT_TRUE(
            a->audit(archive::AuditEvent{e.actor, e.time, e.action, "{\"n\":" + std::to_string(i) + "}",
                                         i % 2 ? std::optional<std::uint64_t>(i) : std::nullopt}));
    }
    // Journal entries that are not audit events are skipped.
    a.commit({{"a@x", ItemKind::Message, kT0, "first", {"ana@corp.example"}, {}}});

    auto check = [&](const archive::AuditFilter& f) {
        std::vector<std::size_t> expected;
        for (std::size_t i = 0; i < events.size(); ++i) {
            const auto& e = events[i];
            if (f.since && e.time < *f.since)
                continue;
            if (f.actor && e.actor != *f.actor)
                continue;
            if (f.action &&
                (f.action->back() == '.' ? e.action.rfind(*f.action, 0) != 0 : e.action != *f.action))
                continue;
            expected.push_back(i);
        }
        auto log = a->audit_log(f);
        ASSERT_TRUE(log) << log.error().describe();
        std::vector<std::size_t> got;
        for (const auto& r : *log) {
            const std::size_t n = static_cast<std::size_t>(std::stoul(r.event.parameters.substr(5)));
            got.push_back(n);
            ASSERT_LT(n, events.size());
            EXPECT_EQ(r.event.actor, events[n].actor);
            EXPECT_EQ(r.event.time, events[n].time);
            EXPECT_EQ(r.event.action, events[n].action);
            EXPECT_EQ(r.event.results, n % 2 ? std::optional<std::uint64_t>(n) : std::nullopt);
            EXPECT_EQ(r.hash.size(), 64u);
        }
        EXPECT_EQ(got, expected);
    };
    check({});
    check({kT0 + 30, std::nullopt, std::nullopt});
    check({std::nullopt, "ana", std::nullopt});
    check({std::nullopt, std::nullopt, "hold.add"});
    check({std::nullopt, std::nullopt, "hold."});
    check({std::nullopt, "ana", "hold."});
    check({kT0 + 15, "ana", "hold."});
    check({std::nullopt, std::nullopt, "hold"});
    check({std::nullopt, "nobody", std::nullopt});
    // The prefix form really is a prefix: "hold." matches neither "hold" nor "holdings".
    archive::AuditFilter prefix;
    prefix.action = "hold.";
    EXPECT_EQ(actions(*a, prefix).size(), 5u);
}

}  // namespace
}  // namespace cv::compliance::governance

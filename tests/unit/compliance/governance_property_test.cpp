// Retention end to end on a real archive: random items (kinds, sent times, several mailboxes,
// shared attachments), random litigation and case holds (some released, some with a query the
// test evaluates itself), random policies and a random clock; Governance::run_retention(apply)
// must dispose of exactly the placements the independent reference (support/
// retention_reference.hpp) disposes of, remove an item whole with its last placement, never
// import it again, keep everything else intact, and leave an archive verify() finds clean.
// CV_GOVERNANCE_SEED=<n> reruns with another base seed; a failure prints the round's seed.

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "compliance/governance/governance.hpp"
#include "compliance/support/governance_archive.hpp"
#include "compliance/support/retention_reference.hpp"

namespace cv::compliance::governance {
namespace {

using namespace retention;
using namespace retention::oracle;
using test::GovernanceArchive;
using test::ItemSpec;

const std::vector<std::string> kBoxes{"ana@corp.example", "bo@corp.example", "cy@corp.example"};
const std::vector<std::string> kFolders{"WhatsApp Archiver", "Other"};
const std::vector<ItemKind> kKinds{ItemKind::Message, ItemKind::Call, ItemKind::System};
constexpr std::int64_t kFrom = 1420070400;    // 2015-01-01
constexpr std::int64_t kTo = 2366841600;      // 2045-01-01
constexpr std::int64_t kSentTo = 1893456000;  // 2030-01-01

/// Whether an item matches a case hold's query, computed from what the test put in it.
bool matches_query(const std::string& query, const ItemSpec& s)
{
    if (query == "budget")
        return s.text.find("budget") != std::string::npos;
    if (query == "kind:call")
        return s.kind == ItemKind::Call;
    ADD_FAILURE() << "unknown query " << query;
    return false;
}

struct Round {
    std::vector<ItemSpec> items;
    std::vector<Hold> holds;  // as the test means them (released_at set for released ones)
    std::vector<Policy> policies;
    std::int64_t now = 0;
};

Round generate(Rng& rng)
{
    Round r;
    const std::vector<std::string> attachments{"attachment one", std::string(70000, 'x') + "two",
                                               "attachment three"};
    const int n_items = static_cast<int>(rng.range(3, 12));
    for (int i = 0; i < n_items; ++i) {
        ItemSpec s;
        s.message_id = "m" + std::to_string(i) + "@governance.invalid";
        s.kind = kKinds[rng.range(0, 2)];
        s.utc = rng.range(kFrom, kSentTo);
        s.text = rng.chance(40) ? "the budget for q" + std::to_string(i) : "lunch at " + std::to_string(i);
        s.mailboxes = subset(rng, kBoxes, true);
        if (rng.chance(35))
            s.blobs.push_back(attachments[rng.range(0, 2)]);
        r.items.push_back(std::move(s));
    }
    const int n_holds = static_cast<int>(rng.range(0, 3));
    for (int i = 0; i < n_holds; ++i) {
        Hold h;
        h.id = "h" + std::to_string(i);
        h.kind = rng.chance(50) ? HoldKind::Litigation : HoldKind::Case;
        h.mailboxes = h.kind == HoldKind::Litigation ? std::vector<std::string>{kBoxes[rng.range(0, 2)]}
                                                     : subset(rng, kBoxes, true);
        if (h.kind == HoldKind::Case) {
            h.case_id = "case-" + std::to_string(rng.range(1, 2));
            const int q = static_cast<int>(rng.range(0, 2));
            h.query = q == 0 ? "" : q == 1 ? "budget" : "kind:call";
        }
        h.since = rng.range(kFrom, kTo);
        if (rng.chance(40))
            h.released_at = h.since + rng.range(0, 3000) * kDay / 3;
        h.reason = "matter " + std::to_string(i);
        r.holds.push_back(std::move(h));
    }
    const int n_policies = static_cast<int>(rng.range(1, 4));
    for (int i = 0; i < n_policies; ++i) {
        Policy p;
        p.id = "p" + std::to_string(i);
        p.name = "policy " + std::to_string(i);
        p.action = static_cast<Action>(rng.range(0, 2));
        const auto unit = static_cast<Unit>(rng.range(0, 2));
        const std::int64_t count = unit == Unit::Days     ? rng.range(0, 12) * 365 / 2
                                   : unit == Unit::Months ? rng.range(0, 12) * 6
                                                          : rng.range(0, 12);
        p.period = Period{count, unit};
        if (p.action == Action::RetainOnly && rng.chance(15))
            p.period.reset();
        p.basis = rng.chance(70) ? Basis::Sent : Basis::Imported;
        if (rng.chance(50))
            p.scope.mailboxes = subset(rng, kBoxes, true);
        if (rng.chance(20))
            p.scope.folders = subset(rng, kFolders, true);
        if (rng.chance(30))
            p.scope.kinds = subset(rng, kKinds, true);
        r.policies.push_back(std::move(p));
    }
    r.now = rng.range(kFrom, kTo);
    if (rng.chance(45) && !r.holds.empty()) {  // on a hold's boundary: its start or its release
        const Hold& h = r.holds[rng.range(0, static_cast<std::int64_t>(r.holds.size()) - 1)];
        r.now = (h.released_at && rng.chance(70) ? *h.released_at : h.since) + rng.range(-1, 1);
    }
    return r;
}

std::string dump(const Round& r)
{
    std::ostringstream o;
    o << "now=" << r.now << "\n";
    for (const Hold& h : r.holds) {
        o << "hold " << h.id << " " << to_string(h.kind) << " since=" << h.since
          << " released=" << (h.released_at ? std::to_string(*h.released_at) : "-") << " query='" << h.query
          << "' mailboxes=";
        for (const auto& m : h.mailboxes)
            o << m << ",";
        o << "\n";
    }
    for (const Policy& p : r.policies) {
        o << "policy " << p.id << " " << to_string(p.action) << " "
          << (p.period ? to_string(*p.period) : "forever") << " from " << to_string(p.basis)
          << " explicit=" << ref_explicit(p) << " kinds=" << p.scope.kinds.size() << "\n";
    }
    for (const ItemSpec& s : r.items) {
        o << "item " << s.message_id << " " << to_string(s.kind) << " sent=" << s.utc << " text='" << s.text
          << "' mailboxes=";
        for (const auto& m : s.mailboxes)
            o << m << ",";
        o << " blobs=" << s.blobs.size() << "\n";
    }
    return o.str();
}

using Key = std::pair<std::int64_t, std::string>;  // item, mailbox

void check_round(const Round& r, int& disposed_total, int& held_total, int& removed_items_total)
{
    GovernanceArchive a;
    Governance g(*a);
    const auto committed = a.commit(r.items);
    ASSERT_EQ(committed.added, r.items.size());

    // Holds: placed, and released at their time when the round says so.
    for (const Hold& h : r.holds) {
        Hold placed = h;
        placed.released_at.reset();
        auto added = g.add_hold(placed, Actor{"legal", h.since});
        ASSERT_TRUE(added) << added.error().describe();
        if (h.released_at) {
            auto released = g.release_hold(h.id, "settled", Actor{"legal", *h.released_at});
            ASSERT_TRUE(released) << released.error().describe();
            ASSERT_EQ(released->released_at, h.released_at);
        }
    }
    for (const Policy& p : r.policies) {
        auto put = g.put_policy(p, Actor{"records", kFrom});
        ASSERT_TRUE(put) << put.error().describe();
    }

    auto before = a->placements();
    ASSERT_TRUE(before) << before.error().describe();
    std::map<std::string, std::int64_t> id_of;
    for (std::size_t i = 0; i < r.items.size(); ++i) {
        auto id = a->find(r.items[i].message_id);
        ASSERT_TRUE(id && *id);
        id_of[r.items[i].message_id] = **id;
    }
    std::map<std::int64_t, const ItemSpec*> spec_of;
    for (const ItemSpec& s : r.items)
        spec_of[id_of[s.message_id]] = &s;

    // The oracle, from the test's own facts (the import time is the archive's: read it).
    std::set<Key> expected_gone, held;
    std::set<Key> all;
    for (const auto& p : *before) {
        const ItemSpec& s = *spec_of.at(p.item);
        ASSERT_EQ(p.utc, s.utc);
        ASSERT_EQ(p.kind, s.kind);
        ItemFacts f;
        f.id = std::to_string(p.item);
        f.mailbox = p.mailbox;
        f.folder = p.folder;
        f.kind = s.kind;
        f.sent = s.utc;
        f.imported = p.imported_at;
        for (const Hold& h : r.holds)
            if (!h.query.empty() && matches_query(h.query, s))
                f.matching_holds.insert(h.id);
        const Expected e = reference(f, r.holds, r.policies, r.now);
        all.insert({p.item, p.mailbox});
        if (e.dispose)
            expected_gone.insert({p.item, p.mailbox});
        if (e.held)
            held.insert({p.item, p.mailbox});
    }
    // Every placement the test committed is there, once.
    std::size_t n_placements = 0;
    for (const ItemSpec& s : r.items)
        n_placements += s.mailboxes.size();
    ASSERT_EQ(all.size(), n_placements);

    auto run = g.run_retention(true, Actor{"retention-bot", r.now}, a.subject());
    ASSERT_TRUE(run) << run.error().describe();
    EXPECT_EQ(run->placements, n_placements);
    EXPECT_EQ(run->held, held.size());
    EXPECT_EQ(run->disposal.placements, expected_gone.size());

    auto after = a->placements();
    ASSERT_TRUE(after) << after.error().describe();
    std::set<Key> left;
    for (const auto& p : *after)
        left.insert({p.item, p.mailbox});
    for (const Key& k : held)
        EXPECT_TRUE(left.count(k)) << "held placement removed: item " << k.first << " in " << k.second;
    std::set<Key> expected_left;
    std::set_difference(all.begin(), all.end(), expected_gone.begin(), expected_gone.end(),
                        std::inserter(expected_left, expected_left.end()));
    EXPECT_EQ(left, expected_left);

    // Items: gone whole with their last placement, intact otherwise.
    std::map<std::int64_t, std::vector<std::string>> boxes_left;
    for (const Key& k : expected_left)
        boxes_left[k.first].push_back(k.second);
    std::set<std::string> blobs_in_use;
    std::uint64_t items_removed = 0;
    for (const ItemSpec& s : r.items) {
        const std::int64_t id = id_of[s.message_id];
        auto stored = a->item(id);
        auto contained = a->contains(s.message_id);
        ASSERT_TRUE(contained);
        EXPECT_TRUE(*contained) << s.message_id;
        if (!boxes_left.count(id)) {
            ++items_removed;
            EXPECT_FALSE(stored) << s.message_id << " should be gone";
            if (!stored) {
                EXPECT_EQ(stored.error().code(), ErrorCode::NotFound);
            }
            continue;
        }
        ASSERT_TRUE(stored) << s.message_id << ": " << stored.error().describe();
        EXPECT_EQ(stored->item.text, s.text);
        EXPECT_EQ(stored->item.utc, s.utc);
        EXPECT_EQ(stored->render_sha256, sha256(s.message_id + "|" + s.text));
        std::vector<std::string> mailboxes = stored->mailboxes;
        std::sort(mailboxes.begin(), mailboxes.end());
        EXPECT_EQ(mailboxes, boxes_left[id]) << s.message_id;
        for (const auto& b : s.blobs)
            blobs_in_use.insert(b);
    }
    EXPECT_EQ(run->disposal.items, items_removed);
    removed_items_total += static_cast<int>(items_removed);
    // Attachments: kept while an item left uses them, erased otherwise.
    for (const ItemSpec& s : r.items)
        for (const auto& b : s.blobs) {
            const auto bytes = a.read_blob(b);
            if (blobs_in_use.count(b))
                EXPECT_EQ(bytes, b) << "attachment of a kept item lost";
            else
                EXPECT_FALSE(bytes.has_value()) << "attachment of removed items still stored";
        }

    // The full-text index forgot the removed items: a word in their text finds only items left.
    archive::IndexCondition budget;
    budget.op = archive::IndexCondition::Op::Text;
    budget.fts = "budget";
    auto found = a->search_ids(budget);
    ASSERT_TRUE(found) << found.error().describe();
    std::vector<std::int64_t> expected_found;
    for (const ItemSpec& s : r.items)
        if (boxes_left.count(id_of[s.message_id]) && s.text.find("budget") != std::string::npos)
            expected_found.push_back(id_of[s.message_id]);
    std::sort(expected_found.begin(), expected_found.end());
    EXPECT_EQ(*found, expected_found);

    // The audit trail has the run, with its count.
    archive::AuditFilter filter;
    filter.action = "retention.dispose";
    auto log = a->audit_log(filter);
    ASSERT_TRUE(log) << log.error().describe();
    ASSERT_EQ(log->size(), 1u);
    EXPECT_EQ(log->front().event.actor, "retention-bot");
    EXPECT_EQ(log->front().event.time, r.now);
    EXPECT_EQ(log->front().event.results, expected_gone.size());

    // Nothing the run removed comes back with the same import again.
    auto again = a.commit(r.items);
    EXPECT_EQ(again.added, 0u);
    EXPECT_EQ(again.disposed, items_removed);
    EXPECT_EQ(again.duplicates, r.items.size() - items_removed);
    auto reimported = a->placements();
    ASSERT_TRUE(reimported);
    std::set<Key> left_again;
    for (const auto& p : *reimported)
        left_again.insert({p.item, p.mailbox});
    EXPECT_EQ(left_again, expected_left) << "a disposed placement was imported again";

    // And the archive's own check (journal, rows, chunks, blobs) finds nothing wrong, also
    // after it is opened again.
    for (const auto& f : a.findings())
        ADD_FAILURE() << "verify: " << f;
    a.open();
    for (const auto& f : a.findings())
        ADD_FAILURE() << "verify after reopening: " << f;

    disposed_total += static_cast<int>(expected_gone.size());
    held_total += static_cast<int>(held.size());
}

TEST(GovernanceProperty, RetentionRunOnARealArchiveDisposesOfWhatTheReferenceSays)
{
    std::uint64_t base = 20261124;
    if (const char* env = std::getenv("CV_GOVERNANCE_SEED"))
        base = std::strtoull(env, nullptr, 10);
    constexpr int kRounds = 40;
    int disposed = 0, held = 0, removed_items = 0;
    for (int i = 0; i < kRounds; ++i) {
        const std::uint64_t seed = base * 1000003u + static_cast<std::uint64_t>(i);
        Rng rng{std::mt19937_64{seed}};
        const Round r = generate(rng);
        check_round(r, disposed, held, removed_items);
        if (::testing::Test::HasFailure()) {
            ADD_FAILURE() << "round " << i << " failed: CV_GOVERNANCE_SEED=" << base << " (seed " << seed
                          << ")\n"
                          << dump(r);
            return;
        }
    }
    // The generator must exercise disposal, holds and whole-item removal, or this proves little.
    EXPECT_GT(disposed, 20);
    EXPECT_GT(held, 10);
    EXPECT_GT(removed_items, 5);
    RecordProperty("disposed", disposed);
    RecordProperty("held", held);
    RecordProperty("removed_items", removed_items);
}

}  // namespace
}  // namespace cv::compliance::governance

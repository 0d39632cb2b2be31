#pragma once
/// Holds and retention: the pure decision core. May this placement of an item be disposed of
/// now, and why (or why not)? Every function here is a pure function of its arguments: `now`
/// is passed in, nothing is read from a clock, a database or the environment, and the same
/// inputs always give the same output (the order of holds and policies never matters).
///
/// The unit decided is a *placement*: one stored item filed in one mailbox (chatvault stores an
/// item once and places it in the "WhatsApp Archiver" folder of every mapped participant's
/// mailbox). A policy or hold on Ana's mailbox acts on Ana's placement only, as Purview's act
/// on one mailbox's copy; the stored item itself goes when its last placement does
/// (Disposition::last_placement). Times are UTC Unix seconds. The model and the four principles
/// of retention as implemented are described in src/compliance/retention/README.md.

#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "model/item.hpp"

namespace cv::compliance::retention {

/// A time that never comes: `retain_until == kForever` means "retained forever".
inline constexpr std::int64_t kForever = std::numeric_limits<std::int64_t>::max();

// ---- facts ------------------------------------------------------------------------------------

/// What the decision needs to know about one placement of an item. The caller evaluates case
/// holds' queries (the query language lives in compliance/query) and passes the ids of the
/// holds whose query this item matches.
struct ItemFacts {
    std::string id;                        ///< the stored item's id (the same for all its placements)
    std::string mailbox;                   ///< the mailbox this placement is in
    std::string folder;                    ///< the folder within it ("WhatsApp Archiver")
    ItemKind kind = ItemKind::Message;     ///< message, call or system
    std::int64_t sent = 0;                 ///< when it was sent (UTC)
    std::int64_t imported = 0;             ///< when chatvault stored it (UTC)
    std::set<std::string> matching_holds;  ///< ids of the case holds whose query it matches

    friend bool operator==(const ItemFacts&, const ItemFacts&) = default;
};

// ---- holds ------------------------------------------------------------------------------------

enum class HoldKind {
    Litigation,  ///< a whole mailbox: everything in it, whenever it arrived
    Case,        ///< an eDiscovery case's custodians' mailboxes, optionally narrowed by a query
};
std::string_view to_string(HoldKind k);

/// A hold is in force from `since` until `released_at`, both instants included (at the very
/// second a hold is released it still protects; a second later it does not). While in force it
/// covers every item placed in its mailboxes — items that arrive later too — that matches its
/// query, if it has one. A held placement is never disposed of, whatever the policies say.
struct Hold {
    std::string id;
    HoldKind kind = HoldKind::Litigation;
    std::vector<std::string> mailboxes;       ///< litigation: the mailbox; case: the custodians'
    std::string query;                        ///< case holds: the narrowing query; empty = all
    std::string case_id;                      ///< case holds: the case it belongs to
    std::int64_t since = 0;                   ///< takes effect at this instant
    std::optional<std::int64_t> released_at;  ///< no longer protects after this instant
    std::string placed_by;                    ///< who placed it
    std::string reason;                       ///< why
    std::string released_by;                  ///< who released it, when released

    friend bool operator==(const Hold&, const Hold&) = default;
};

/// The hold is well formed: an id, at least one mailbox, a litigation hold has no query, a
/// release no earlier than `since`. Errors: InvalidArgument saying what is wrong.
Result<void> validate(const Hold& hold);

/// True when `hold` protects this placement at `now` (in force, its mailbox, its query).
bool protects(const Hold& hold, const ItemFacts& item, std::int64_t now);

// ---- policies ---------------------------------------------------------------------------------

enum class Action {
    RetainOnly,        ///< keep for the period (or forever), then do nothing
    DeleteOnly,        ///< delete when the period has passed
    RetainThenDelete,  ///< keep for the period, then delete
};
std::string_view to_string(Action a);

enum class Basis {
    Sent,      ///< the period counts from the item's sent time
    Imported,  ///< the period counts from when chatvault stored it
};
std::string_view to_string(Basis b);

enum class Unit { Days, Months, Years };

/// A calendar period. Months and years are calendar months in UTC with the day clamped to the
/// end of a shorter month (Jan 31 + 1 month = Feb 28 or 29; Feb 29 + 1 year = Feb 28); the time
/// of day is kept. Days are 86,400 seconds.
struct Period {
    std::int64_t count = 0;
    Unit unit = Unit::Days;

    friend bool operator==(const Period&, const Period&) = default;
};
std::string to_string(const Period& p);  ///< "7 years", "1 day"

/// `t` plus `p`, saturating at the int64 range.
std::int64_t add_period(std::int64_t t, const Period& p);

/// What a policy covers. An empty list means "all" for that dimension.
struct Scope {
    std::vector<std::string> mailboxes;
    std::vector<std::string> folders;
    std::vector<ItemKind> kinds;

    friend bool operator==(const Scope&, const Scope&) = default;
};

/// A retention policy. It is *explicit* when it names specific mailboxes or folders, and
/// *implicit* (org-wide) when it covers every mailbox and every folder — Purview's "static scope
/// configured for all instances of a location"; narrowing by kind alone (Purview's choice of
/// location type) keeps a policy org-wide.
struct Policy {
    std::string id;
    std::string name;
    Action action = Action::RetainOnly;
    std::optional<Period> period;  ///< empty = forever (RetainOnly only)
    Basis basis = Basis::Sent;
    Scope scope;
    bool locked = false;  ///< preservation lock: can only be made stricter

    friend bool operator==(const Policy&, const Policy&) = default;
};

/// Names specific mailboxes or folders (principle 3).
bool is_explicit(const Policy& policy);

/// The policy is well formed: an id; a period for DeleteOnly and RetainThenDelete; counts from 0
/// to 100,000 days, 10,000 months or 1,000 years. Errors: InvalidArgument saying what is wrong.
Result<void> validate(const Policy& policy);

/// True when the policy's scope covers this placement.
bool applies(const Policy& policy, const ItemFacts& item);

/// When the policy's period ends for this item (its basis plus its period), kForever when the
/// policy retains forever.
std::int64_t period_end(const Policy& policy, const ItemFacts& item);

/// Whether `after` may replace `before`. An unlocked `before` may change in any way (`after` is
/// still validated). A locked one may only be made stricter, for every item it covered; refused:
/// unlocking; an action that retains less (DeleteOnly < RetainThenDelete < RetainOnly); a
/// shorter retention period (RetainOnly, RetainThenDelete); a longer deletion period, or losing
/// the explicit scope its deletion's precedence rests on (DeleteOnly); dropping a mailbox,
/// folder or kind it covered; changing the basis (sent and import dates are not ordered for
/// every item). A period in another unit is accepted only when it is longer (shorter) from
/// every start date. Errors: Refused (or InvalidArgument for an invalid `after`) with the reason.
Result<void> check_policy_change(const Policy& before, const Policy& after);

// ---- the decision -----------------------------------------------------------------------------

struct Decision {
    bool dispose = false;            ///< dispose of this placement now
    bool held = false;               ///< at least one hold protects it now
    std::vector<std::string> holds;  ///< ids of the holds protecting it now, sorted
    /// End of the longest retention among the applicable policies (principle 2), kForever for
    /// "forever"; empty when no applicable policy retains. Reported even when already past.
    std::optional<std::int64_t> retain_until;
    std::string retention_policy;  ///< the policy that sets retain_until
    /// When the winning deletion action (principles 3 and 4) falls due; empty when no applicable
    /// policy deletes.
    std::optional<std::int64_t> delete_at;
    std::string deletion_policy;  ///< the policy that sets delete_at
    /// When disposal is due, holds aside: delete_at deferred to retain_until (principle 1).
    /// Empty when never.
    std::optional<std::int64_t> dispose_at;
    /// Why: each line names the hold or policy and the principle applied.
    std::vector<std::string> reasons;

    friend bool operator==(const Decision&, const Decision&) = default;
};

/// Decides one placement at `now` by Purview's principles of retention, in order: (1) retention
/// wins over deletion; (2) the longest retention period wins; (3) explicit inclusion wins over
/// implicit for deletion; (4) the shortest deletion period wins. A held placement is never
/// disposed of; one that no policy applies to is kept. Expects validated holds and policies.
Decision decide(const ItemFacts& item, std::span<const Hold> holds, std::span<const Policy> policies,
                std::int64_t now);

/// One placement to dispose of, and why.
struct Disposition {
    std::string item_id;
    std::string mailbox;
    Decision decision;
    /// Every placement of this item given to the run is disposed of: the stored item itself may
    /// go (the run's caller must pass all of an item's placements for this to mean that).
    bool last_placement = false;

    friend bool operator==(const Disposition&, const Disposition&) = default;
};

/// A disposition run: the placements (in the order given) that decide() disposes of at `now`.
/// Pure: the caller applies the result and journals it.
std::vector<Disposition> plan_disposition(std::span<const ItemFacts> placements, std::span<const Hold> holds,
                                          std::span<const Policy> policies, std::int64_t now);

}  // namespace cv::compliance::retention

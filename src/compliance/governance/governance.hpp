#pragma once
/// Holds, retention policies and eDiscovery cases kept in an archive, and the retention run.
/// The decisions are compliance/retention's pure functions; this keeps their inputs (as
/// documents the archive seals and journals) and applies their outputs. Every change and every
/// run is an audit event with its actor, time, parameters and result count.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "archive/archive.hpp"
#include "compliance/retention/retention.hpp"
#include "core/result.hpp"

namespace cv::compliance::governance {

/// Who acts and when: every change is attributed.
struct Actor {
    std::string name;
    std::int64_t now = 0;  ///< UTC Unix seconds
};

// ---- eDiscovery cases -----------------------------------------------------------------------

struct Custodian {
    std::string name;
    std::vector<std::string> mailboxes;
    friend bool operator==(const Custodian&, const Custodian&) = default;
};

/// A query saved in a case, read in `zone`.
struct SavedSearch {
    std::string name;
    std::string query;
    std::string zone = "UTC";
    std::string saved_by;
    std::int64_t saved_at = 0;
    friend bool operator==(const SavedSearch&, const SavedSearch&) = default;
};

struct Case {
    std::string id;
    std::string name;
    std::string description;
    std::string created_by;
    std::int64_t created_at = 0;
    std::optional<std::int64_t> closed_at;
    std::string closed_by;
    std::vector<Custodian> custodians;
    std::vector<SavedSearch> searches;
    /// Users who review the case's results (the Reviewer role sees these cases only).
    std::vector<std::string> reviewers;
    friend bool operator==(const Case&, const Case&) = default;

    /// Every custodian's mailboxes, sorted, once each.
    std::vector<std::string> mailboxes() const;
};

/// What exporting a case's saved search covers (`case export`, the API's case exports): the
/// search, the custodians' mailboxes, each exported under its custodian's name, and the
/// report's title and description.
struct CaseExportScope {
    SavedSearch search;
    std::vector<std::string> mailboxes;
    std::vector<Custodian> custodians;
    std::string title;
    std::string description;
};
/// Errors: NotFound (the case has no such search), InvalidArgument (no custodian).
Result<CaseExportScope> case_export_scope(const Case& c, std::string_view search);

// ---- documents (JSON) -----------------------------------------------------------------------
// Errors name the field that is wrong: "policy 'p1': period: expected an object".

std::string to_json(const retention::Hold& hold);
std::string to_json(const retention::Policy& policy);
std::string to_json(const Case& c);
Result<retention::Hold> hold_from_json(std::string_view json);
Result<retention::Policy> policy_from_json(std::string_view json);
Result<Case> case_from_json(std::string_view json);

/// "7 years", "30 days", "1 month" (also "7y", "30d", "18m"). Errors: InvalidArgument.
Result<retention::Period> parse_period(std::string_view text);
/// "retain", "delete", "retain-then-delete". Errors: InvalidArgument.
Result<retention::Action> parse_action(std::string_view text);
/// "sent" or "imported" (also "import"). Errors: InvalidArgument.
Result<retention::Basis> parse_basis(std::string_view text);
/// "message", "call", "system". Errors: InvalidArgument.
Result<ItemKind> parse_kind(std::string_view text);

// ---- the store --------------------------------------------------------------------------------

/// What a search of a case found, per mailbox.
struct Estimate {
    struct PerMailbox {
        std::uint64_t items = 0;
        std::uint64_t bytes = 0;
    };
    std::uint64_t items = 0;  ///< distinct items
    std::uint64_t bytes = 0;  ///< their renderings' bytes, each item once
    std::map<std::string, PerMailbox> mailboxes;
};

/// One placement a retention run disposes of (or would), with the decision.
struct RunEntry {
    std::int64_t item = 0;
    std::string mailbox;
    retention::Decision decision;
    bool last_placement = false;
};

struct RunReport {
    std::uint64_t placements = 0;  ///< placements decided
    std::uint64_t held = 0;        ///< of which held
    std::vector<RunEntry> dispose;
    bool applied = false;
    archive::DisposalReport disposal;  ///< when applied
};

class Governance {
public:
    explicit Governance(archive::Archive& archive) : archive_(archive) {}

    // Holds. A hold is never deleted: it is released, and stays on record.
    Result<std::vector<retention::Hold>> holds();
    /// Places a hold (validated; its id must be new). Audited as "hold.add".
    Result<void> add_hold(retention::Hold hold, const Actor& actor);
    /// Places a case hold on every mailbox of an open case's custodians, optionally only on what
    /// `query` finds (read in UTC); `reason` empty: "case ID"; `id` empty: "<case>-hold-N".
    /// Audited as "hold.add". Returns the hold as stored. Errors: NotFound (case),
    /// InvalidArgument (closed case, no custodian, a query that cannot run, an id in use).
    Result<retention::Hold> add_case_hold(std::string_view case_id, std::string_view query,
                                          std::string_view reason, std::string_view id, const Actor& actor);
    /// Releases a hold in force. Audited as "hold.release". Errors: NotFound, InvalidArgument
    /// (already released).
    Result<retention::Hold> release_hold(std::string_view id, std::string_view reason, const Actor& actor);

    // Retention policies.
    Result<std::vector<retention::Policy>> policies();
    /// Adds or changes a policy; a locked one only as check_policy_change() allows.
    /// Audited as "policy.add" / "policy.change". Errors: Refused, InvalidArgument.
    Result<void> put_policy(const retention::Policy& policy, const Actor& actor);
    /// Removes an unlocked policy. Audited as "policy.remove". Errors: NotFound, Refused.
    Result<void> remove_policy(std::string_view id, const Actor& actor);

    // Cases.
    Result<std::vector<Case>> cases();
    Result<Case> get_case(std::string_view id);
    /// Creates or changes a case (custodians, searches, closing). Audited with `action`
    /// ("case.create", "case.custodian.add", …) and `detail` (a JSON object) as parameters.
    Result<void> put_case(const Case& c, std::string_view action, std::string_view detail,
                          const Actor& actor);
    /// Adds a custodian (or more mailboxes of one) to an open case; the case's holds in force
    /// widen to the new mailboxes at once (audited as "hold.widen"). Returns the holds widened.
    Result<std::vector<std::string>> add_custodian(std::string_view case_id, const Custodian& custodian,
                                                   const Actor& actor);
    /// Adds (or removes) a reviewer of an open case. Audited as "case.reviewer.add" / ".remove";
    /// adding one already there changes nothing. Errors: NotFound (case; a reviewer to remove),
    /// InvalidArgument (closed).
    Result<Case> set_reviewer(std::string_view case_id, std::string_view user, bool reviews,
                              const Actor& actor);
    /// Closes a case and releases its holds. Audited as "case.close".
    Result<void> close_case(std::string_view id, const Actor& actor);

    /// Counts and sizes per mailbox of what a query finds in `mailboxes` (all when empty).
    Result<Estimate> estimate(std::string_view query, std::string_view zone,
                              const std::vector<std::string>& mailboxes, std::int64_t now);

    /// Decides every placement at `actor.now` and, with `apply`, disposes of what is due —
    /// never a held placement. Audited as "retention.run" (dry) or journaled with each
    /// disposition ("retention.dispose": the policy and the item's hash for each).
    /// With `select` (applying only), only the due placements it approves are disposed of, and
    /// the report's `dispose` lists those: a reviewed disposition (the API's retention apply).
    Result<RunReport> run_retention(bool apply, const Actor& actor,
                                    const archive::Archive::IndexedSubject& subject,
                                    const std::function<bool(const RunEntry&)>& select = {});

    /// A reviewer's "do not dispose of this placement" (kept, and shown with the dry run; a later
    /// reviewed disposition leaves it unless it is approved again). Audited as "retention.reject".
    Result<void> reject_disposal(std::int64_t item, std::string_view mailbox, std::string_view reason,
                                 const Actor& actor);
    struct Rejection {
        std::string by;
        std::int64_t at = 0;
        std::string reason;
    };
    /// The rejections on record, by (item, mailbox).
    Result<std::map<std::pair<std::int64_t, std::string>, Rejection>> rejections();

    /// Records an audit event of `action` with `parameters` (a JSON object).
    Result<void> audit(std::string_view action, std::string_view parameters,
                       std::optional<std::uint64_t> results, const Actor& actor);

private:
    /// Per case hold with a query: the ids of the items it matches (evaluated once per run).
    Result<std::map<std::string, std::vector<std::int64_t>>>
    hold_matches(const std::vector<retention::Hold>& holds, std::int64_t now);
    archive::Archive& archive_;
};

}  // namespace cv::compliance::governance

#pragma once
/// What the archive keeps for compliance: documents (holds, retention policies, cases — JSON
/// whose meaning src/compliance owns), the audit trail, and dispositions. Every change here is
/// an entry of the archive's hash-chained journal, written in the same transaction as the
/// change itself, so the audit trail cannot disagree with the archive and cannot be edited
/// without `verify` noticing.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/item.hpp"

namespace cv::archive {

/// One audited action: who did what, when, with which parameters, and how many items it
/// concerned.
struct AuditEvent {
    std::string actor;                     ///< who (a person or service account, as given)
    std::int64_t time = 0;                 ///< when (UTC Unix seconds)
    std::string action;                    ///< "search", "export", "hold.add", "policy.set", …
    std::string parameters = "{}";         ///< a JSON object: the query, the hold, the policy, …
    std::optional<std::uint64_t> results;  ///< items found, exported, disposed, …
};

/// An audit event as the journal holds it.
struct AuditRecord {
    std::uint64_t seq = 0;  ///< its journal entry
    std::string hash;       ///< that entry's hash (the chain)
    AuditEvent event;
};

/// Which audit records to list; every field narrows.
struct AuditFilter {
    std::optional<std::int64_t> since;  ///< at or after (UTC)
    std::optional<std::string> actor;   ///< exactly this actor
    std::optional<std::string> action;  ///< this action, or (ending in '.') every action it prefixes
};

/// A compliance document: kind ("hold", "policy", "case", …), id, and its JSON.
struct Document {
    std::string kind;
    std::string id;
    std::string json;
    std::int64_t updated = 0;  ///< when last written (UTC)
};

/// An item in one mailbox's folder: what a retention decision is made on.
struct Placement {
    std::int64_t item = 0;
    std::string mailbox;
    std::string folder;
    ItemKind kind = ItemKind::Message;
    std::int64_t utc = 0;          ///< sent
    std::int64_t imported_at = 0;  ///< stored
    std::uint64_t size = 0;
};

/// One placement to dispose of (an item in one mailbox), as a retention run decided it.
struct Disposal {
    std::int64_t item = 0;
    std::string mailbox;
    std::string policy;  ///< the policy whose period ended
    std::string reason;  ///< the decision's reasons, one line
};

struct DisposalReport {
    std::uint64_t placements = 0;      ///< placements removed
    std::uint64_t items = 0;           ///< items removed with their last placement
    std::uint64_t blobs = 0;           ///< attachments no remaining item uses, erased from their pack
    std::uint64_t bytes_released = 0;  ///< their stored bytes
};

}  // namespace cv::archive

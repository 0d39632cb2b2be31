#pragma once
/// Addresses and ids for rendered mail (whatsapp-sources.md §E.1, §E.3): who a person is as
/// a mailbox, what a conversation is called as a thread, and the Message-ID of an item.
/// Everything is derived from the data alone, so that a re-import, or a second source of
/// the same message, yields the same values.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/conversation.hpp"
#include "model/item.hpp"
#include "render/detail/mime.hpp"

namespace cv::render::detail {

class Identity {
public:
    /// `domain` ends in ".invalid" (checked by the renderer): addresses built here must never
    /// be deliverable.
    Identity(const Conversation& conversation, std::string domain);

    /// The person's mapped mailbox when there is one; otherwise "<digits>@domain" from the
    /// E.164 number, "<alias>@domain", or "<ascii-slug>.<hash>@by-name.<domain>" for a name
    /// alone (an export's saved contact).
    Mailbox mailbox(const Person& person) const;

    /// The chat as a mailbox: "g-<group id>@domain" for a group, "chat-<hash>@domain" else.
    Mailbox conversation_mailbox() const;

    /// The member who sent `item`, or null (system lines, unknown senders).
    const Person* sender(const Item& item) const;

    /// The person key used for ids: the member's key, "name:<author>", or "system".
    std::string sender_key(const Item& item) const;

    /// 32 hex digits naming the conversation (SHA-256 of its key).
    const std::string& conversation_hash() const { return conversation_hash_; }

    /// The Message-ID every item of the conversation refers to, so mail clients thread a chat.
    std::string thread_root() const;

    /// The Message-ID of a message whose WhatsApp id is known (§E.3): "wa.<ID>@domain",
    /// with a discriminator from conversation and sender for short legacy ids.
    std::string message_id_for_key(std::string_view key_id, std::string_view sender_key, bool call) const;

    const std::string& domain() const { return domain_; }

private:
    Mailbox compute_mailbox(const Person& person) const;

    const Conversation& conversation_;
    std::string domain_;
    std::string conversation_hash_;
    std::vector<Mailbox> member_mailboxes_;  // members' addresses, hashed once
};

/// Hands out Message-IDs in item order. Items with a WhatsApp id get §E.3's id. Export items
/// have none, so theirs is a digest of conversation, sender, UTC minute (Android exports
/// have no seconds), kind, text and attachment names: the same message exported from either
/// phone collides on purpose. Identical messages within one minute ("ok", "ok") are told
/// apart by their order (".2", ".3"), which both copies of a chat share.
class MessageIds {
public:
    explicit MessageIds(const Identity& identity) : identity_(identity) {}

    /// The id for `item` (without angle brackets). Asking again for the same item index (a
    /// render retried after a failure) returns the same id.
    std::string assign(const Item& item);

private:
    const Identity& identity_;
    std::optional<std::uint64_t> last_index_;
    std::string last_id_;
    std::int64_t minute_ = INT64_MIN;
    std::unordered_map<std::string, unsigned> seen_in_minute_;
};

/// The text used for the export digest: invisible marks removed, CRLF as LF, trimmed.
std::string normalized_text(std::string_view text);

}  // namespace cv::render::detail

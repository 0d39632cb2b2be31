#pragma once
/// What the archive records about delivering its items to mail servers: one state per item
/// per mailbox it is placed in (a placement with no record yet is pending).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cv::archive {

enum class DeliveryState {
    Pending = 0,    ///< not delivered yet (never tried, or the last try failed for a reason that may pass)
    Sending = 1,    ///< handed to the server by a run that did not record the answer: check before resending
    Delivered = 2,  ///< the server confirmed it
    Failed = 3,     ///< the server refused this item itself; retried only when asked
};

/// "pending", "sending", "delivered", "failed".
std::string_view to_string(DeliveryState state);
std::optional<DeliveryState> delivery_state_from_string(std::string_view name);

/// One item in one mailbox.
struct Delivery {
    std::int64_t item = 0;
    std::string mailbox;
    std::string message_id;  ///< without angle brackets
    std::int64_t utc = 0;    ///< the item's time, Unix seconds: the message's INTERNALDATE
    std::uint64_t size = 0;  ///< bytes of the item's rendering
    DeliveryState state = DeliveryState::Pending;
    std::uint32_t attempts = 0;
    std::int64_t next_attempt = 0;     ///< not tried again before this time (Unix seconds)
    std::string reason;                ///< why the last attempt did not deliver; empty when delivered
    std::optional<std::uint32_t> uid;  ///< the UID the server gave (UIDPLUS), when it said
    std::int64_t updated = 0;
};

/// A change recorded by record_deliveries().
struct DeliveryUpdate {
    std::int64_t item = 0;
    std::string mailbox;
    DeliveryState state = DeliveryState::Pending;
    bool attempted = false;  ///< counts as one more attempt
    std::int64_t next_attempt = 0;
    std::string reason;
    std::optional<std::uint32_t> uid;
};

struct DeliveryCounts {
    std::uint64_t pending = 0;  ///< includes the ones left "sending" by an interrupted run
    std::uint64_t delivered = 0;
    std::uint64_t failed = 0;
};

struct DeliveryQuery {
    std::optional<DeliveryState> state;  ///< none: every state
    std::string mailbox;                 ///< empty: every mailbox
    std::uint64_t limit = 1000;
};

}  // namespace cv::archive

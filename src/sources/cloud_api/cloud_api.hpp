#pragma once
/// WhatsApp Business Platform (Cloud API) webhooks as a source (spec §A, §E).
///
/// Stages: raw POST body → verify_signature (HMAC-SHA256 over the exact bytes) →
/// parse_notification (JSON → Notification: one Change per `entry[].changes[]`, each with
/// its typed events and their idempotency keys) → WebhookSource (notifications received so
/// far → conversations and Items, shaped like a phone database's, for ingest::import_database).
/// MediaClient downloads a media id's bytes from the Graph API (§A.11) for the service to store
/// at receipt; WebhookSource reads them back through a function given at construction.
///
/// Nothing here serves HTTP, and no libcurl, OpenSSL or JSON type appears in this header.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_sink.hpp"
#include "core/byte_source.hpp"
#include "core/result.hpp"
#include "model/chat_source.hpp"
#include "model/item.hpp"

namespace cv::cloud_api {

// ---------------------------------------------------------------------------------------------
// Signature

/// True when `header_value` (the `X-Hub-Signature-256` header) is exactly `sha256=` followed by
/// the 64 lower-case hex digits of HMAC-SHA256(app_secret, raw_body). The comparison takes the
/// same time wherever the digests differ. Anything else (missing, short, upper-case hex,
/// garbage, an empty secret) is false. Thread-safe.
bool verify_signature(std::string_view app_secret, std::string_view raw_body, std::string_view header_value);

// ---------------------------------------------------------------------------------------------
// wamid

/// What the base64 inside a `wamid.` holds (spec §A.12, observed, undocumented).
struct WamidKey {
    std::string remote;      ///< phone digits or group id of the other party
    bool from_me = false;    ///< relative to our business number
    std::string message_id;  ///< the WhatsApp message id as written (not upper-cased)
};

/// Decodes a wamid; nullopt when it is not the observed layout (never an error: §E.3 falls back).
std::optional<WamidKey> decode_wamid(std::string_view wamid);

/// The Item::key_id for a wamid: the decoded message id upper-cased, or, when it cannot be
/// decoded, "W" + the first 32 hex digits (upper-case) of SHA-256(wamid) (§E.3).
std::string key_id_for_wamid(std::string_view wamid);

// ---------------------------------------------------------------------------------------------
// Notification

/// An error object (`value.errors[]`, `messages[].errors[]`, `statuses[].errors[]`, §A.7).
struct ErrorInfo {
    std::int64_t code = 0;
    std::string title;
    std::string message;
    std::string details;  ///< error_data.details
};

/// Who a message is from or to, as far as the payload says (§A.2, §A.9).
struct Party {
    std::optional<std::string> phone;  ///< digits (`from`, `wa_id`, `to`), no '+'
    std::optional<std::string> bsuid;  ///< business-scoped user id (`from_user_id`, `user_id`)
    std::optional<std::string> parent_bsuid;
    std::string name;      ///< contacts[].profile.name (push name)
    std::string username;  ///< contacts[].profile.username
};

/// A media object (`image`, `video`, `audio`, `document`, `sticker`).
struct Media {
    std::string id;  ///< media id for MediaClient::download (empty in history without media)
    MediaType type = MediaType::Unknown;
    std::string mime_type;
    std::string sha256;    ///< as sent: base64 or hex
    std::string filename;  ///< document.filename as sent (unsanitized)
    std::string url;
    bool voice = false;     ///< audio.voice
    bool animated = false;  ///< sticker.animated
};

/// Where a message event came from.
enum class Direction {
    Inbound,   ///< `messages` from a customer
    Outbound,  ///< sent by the business: `smb_message_echoes`, or `history` from our number
};

/// One message (`messages[]`, `message_echoes[]`, `history[].threads[].messages[]`), of any
/// type: follow-ups (reaction, edit, revoke) carry the wamid they refer to in `target`.
struct MessageEvent {
    std::string wamid;
    std::string type;  ///< as sent: "text", "image", …, "reaction", "edit", "revoke", "unsupported"
    Direction direction = Direction::Inbound;
    std::int64_t timestamp = 0;  ///< Unix seconds; 0 when absent
    Party from;
    Party to;  ///< echoes and outbound history: the customer
    std::optional<std::string> group_id;
    std::string text;  ///< body, caption, or the readable rendering of a structured type
    std::optional<Media> media;
    std::optional<Location> location;
    std::vector<std::string> vcards;      ///< `contacts` messages, one vCard 3.0 text per card
    std::optional<std::string> reply_to;  ///< context.id: the quoted wamid
    std::optional<std::string> reply_to_from;
    bool forwarded = false;
    bool frequently_forwarded = false;
    std::string referral;               ///< referral / referred_product rendered as "key: value" lines
    std::optional<std::string> target;  ///< reaction.message_id, edit/revoke.original_message_id
    std::optional<std::string> emoji;   ///< reaction: empty = removed
    std::string edit_type;              ///< edit: the type of the new content
    bool system = false;                ///< `system`, `request_welcome`: not a person's words
    bool unreadable = false;            ///< unsupported/unknown, or carries errors: content not delivered
    std::vector<ErrorInfo> errors;
    std::optional<std::int64_t> history_phase;
    std::optional<std::int64_t> history_chunk;
    std::string history_status;  ///< history_context.status
    /// (wamid, type) (§E.3); history adds phase and chunk order.
    std::string idempotency_key;
};

/// `statuses[]` (§A.6): a state change of an outbound message, or of a call (`type: "call"`).
struct StatusEvent {
    std::string id;      ///< wamid (or wacid for call statuses)
    std::string status;  ///< sent, delivered, read, played, failed; RINGING/ACCEPTED/REJECTED for calls
    std::string type;    ///< "call" for call statuses, else empty
    std::int64_t timestamp = 0;
    Party recipient;
    std::optional<std::string> group_id;  ///< recipient_type "group": recipient_id
    std::vector<ErrorInfo> errors;
    std::string idempotency_key;  ///< (wamid, status)
};

/// `calls[]` (§A.10).
struct CallEvent {
    std::string wacid;
    std::string event;      ///< connect, terminate
    std::string direction;  ///< USER_INITIATED, BUSINESS_INITIATED
    std::string status;     ///< COMPLETED, FAILED (terminate)
    Party from;
    Party to;
    std::int64_t timestamp = 0;
    std::optional<std::int64_t> start_time;
    std::optional<std::int64_t> end_time;
    std::optional<std::int64_t> duration;
    std::string idempotency_key;  ///< (wacid, event)
};

/// One `entry[].changes[]`.
struct Change {
    std::string field;  ///< messages, calls, smb_message_echoes, history
    std::string waba_id;
    std::string phone_number_id;       ///< our number's Graph id: routes to the archive owner
    std::string display_phone_number;  ///< our number, digits
    std::vector<MessageEvent> messages;
    std::vector<StatusEvent> statuses;
    std::vector<CallEvent> calls;
    std::vector<ErrorInfo> errors;  ///< value.errors: whole-change errors, no message
};

struct Notification {
    /// Changes whose field we archive; others are left out with a warning.
    std::vector<Change> changes;
    /// What was skipped, in words ("entry[0].changes[1]: field account_update skipped").
    std::vector<std::string> warnings;
    /// Every media id of the notification, for the service to download at receipt.
    std::vector<std::string> media_ids() const;
};

/// Parses a POST body. Errors: Parse, naming the JSON path of the first value of the wrong
/// shape (`entry[0].changes[1].value.messages[3].type: missing`). Unknown `field`s, unknown
/// message types and unknown extra keys are not errors. Never throws. Thread-safe.
Result<Notification> parse_notification(std::string_view raw_body);

// ---------------------------------------------------------------------------------------------
// Source

/// One POST body the service kept, with the time it arrived (Unix seconds).
struct Received {
    std::string body;
    std::int64_t received_at = 0;
};

/// Bytes of a media id the service stored at receipt. NotFound: never retrieved (expired,
/// failed): the attachment is recorded as not present and its item is still archived.
using MediaOpener = std::function<Result<std::unique_ptr<ByteSource>>(std::string_view media_id)>;

/// The notifications received so far as a cv::ChatSource of kind CloudApi, for
/// ingest::import_database. Conversations: 1:1 = our number + the customer (the same whatever
/// the order the events came in), group = group_id. The owner of every conversation is our
/// number (Person::owner, phone "+<display_phone_number>"). Items per conversation in time
/// order (then arrival order); every event yields at most one item however often it was
/// delivered; reactions, edits and revokes are small follow-up items quoting the original's
/// key_id (§E.4 a); statuses and `connect` call events yield no item (counted, see statuses()).
/// Bodies that do not parse are skipped with a warning. Not thread-safe, except
/// open_attachment(), which only calls the opener (which must be thread-safe itself).
class WebhookSource final : public ChatSource {
public:
    /// Never fails: bad bodies become warnings. `opener` may be empty (every media attachment
    /// is then not present).
    static std::unique_ptr<WebhookSource> create(const std::vector<Received>& bodies, MediaOpener opener);
    ~WebhookSource() override;

    SourceKind kind() const override { return SourceKind::CloudApi; }
    const std::vector<Conversation>& conversations() const override;
    /// Decides at each item whether its media are present by opening them once.
    Result<bool> next(Item& item, std::size_t& conversation) override;
    /// Attachments with locator "media:<id>" through the opener; inline vCards from memory.
    /// Errors: NotFound, and the opener's.
    Result<std::unique_ptr<ByteSource>> open_attachment(const Attachment& attachment) const override;
    const std::vector<std::string>& warnings() const override;

    /// Status notifications seen (de-duplicated): kept as counts only for now.
    std::uint64_t statuses() const;
    /// Duplicate deliveries dropped (same idempotency key).
    std::uint64_t duplicates() const;

    struct State;

private:
    explicit WebhookSource(std::unique_ptr<State> state);
    std::unique_ptr<State> s_;
};

// ---------------------------------------------------------------------------------------------
// Media download

struct MediaClientOptions {
    std::string graph_base_url = "https://graph.facebook.com/v21.0";  ///< no trailing slash needed
    std::string access_token;                                         ///< bearer token; never logged
    std::chrono::seconds timeout{60};                                 ///< per request
};

/// What the Graph API said about a media id, and what was downloaded.
struct MediaFile {
    std::string id;
    std::string mime_type;
    std::string sha256;  ///< as the metadata gave it
    std::uint64_t size = 0;
};

/// The two-step media download of §A.11 over libcurl. Not thread-safe: one per thread.
class MediaClient {
public:
    /// Errors: InvalidArgument (empty token or base URL).
    static Result<MediaClient> create(MediaClientOptions options);
    ~MediaClient();
    MediaClient(MediaClient&&) noexcept;
    MediaClient& operator=(MediaClient&&) noexcept;

    /// Step 1: GET <base>/<media_id>[?phone_number_id=…] for the metadata; step 2: GET its url
    /// with the same Authorization header, streamed into `out` (on 401/403/404 step 1 is
    /// repeated once for a fresh url). The size and sha256 (hex or base64) of the bytes are
    /// checked against the metadata. `out` may have received bytes when this fails: the caller
    /// discards them (FileSink without commit()). Errors: Refused (401/403 from step 1),
    /// NotFound (404, expired id), Unavailable (network, 5xx), Parse (metadata not as
    /// documented; size or hash mismatch), and `out`'s errors. Messages never hold the token.
    Result<MediaFile> download(std::string_view media_id, std::string_view phone_number_id, ByteSink& out);

private:
    struct Impl;
    explicit MediaClient(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace cv::cloud_api

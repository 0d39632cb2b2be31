#pragma once
/// The source-independent model: one Item per WhatsApp message, call or system event.
/// Every source (chat export, phone database, webhook) yields these; render and archive
/// consume them. Nothing here knows where items come from or go.

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "core/time.hpp"

namespace cv {

enum class ItemKind { Message, System, Call };
std::string_view to_string(ItemKind k);

/// What an attachment holds, from its marker or file name.
enum class MediaType { Unknown, Image, Video, Audio, VoiceNote, Gif, Sticker, Document, Contact };
std::string_view to_string(MediaType t);

struct Attachment {
    /// File name as the export names it (the zip entry or file beside the text); empty when the
    /// export only says that media was left out ("<Media omitted>", "image omitted").
    std::string name;
    MediaType type = MediaType::Unknown;
    /// True when the bytes are in the export (zip entry or file found); false when named but
    /// missing, or omitted by the exporter.
    bool present = false;
    /// True when the exporter left the media out and wrote a placeholder instead.
    bool omitted = false;
    /// Where the bytes are: the zip entry name or the path of the file; empty when absent.
    std::string locator;
    /// Uncompressed size in bytes when present.
    std::optional<std::uint64_t> size;
    /// MIME type as the source records it (phone databases); empty when it records none. The
    /// renderer trusts the bytes over this.
    std::string mime_type;
    /// Bytes the source holds itself rather than in a file (a contact card's vCard in a phone
    /// database); when set, `locator` is unused.
    std::optional<std::string> inline_data;
};

struct Location {
    std::string url;
    std::optional<std::string> latitude;   ///< decimal degrees as written
    std::optional<std::string> longitude;  ///< decimal degrees as written
    std::optional<std::string> venue;      ///< "Name (Address)" for a shared place
    bool live = false;                     ///< "live location shared"
};

enum class CallMedia { Voice, Video };
enum class CallResult { Missed, Answered, Unknown };
std::string_view to_string(CallMedia m);
std::string_view to_string(CallResult r);

struct CallInfo {
    CallMedia media = CallMedia::Voice;
    CallResult result = CallResult::Unknown;
    std::optional<bool> outgoing;                   ///< unknown for an export's "Missed call" line
    std::optional<std::uint32_t> duration_seconds;  ///< phone databases only
};

/// The message a reply quotes, as far as the source knows it.
struct Quote {
    std::optional<std::string> key_id;     ///< the quoted message's WhatsApp id
    std::optional<std::string> sender_id;  ///< the quoted message's sender (person key)
    std::optional<std::string> author;     ///< display name of the quoted sender
    std::string text;                      ///< the quoted text as the source holds it
};

/// Why a body is not ordinary text, when it is not.
enum class Placeholder {
    None,
    Empty,         ///< "Name: " with nothing after it: view-once or self-deleting media
    Unrenderable,  ///< "null": a message type the exporter could not render
};
std::string_view to_string(Placeholder p);

struct Item {
    std::uint64_t index = 0;  ///< 0-based position in source order
    std::uint64_t line = 0;   ///< 1-based line of the header in the source text (0: not a text source)
    ItemKind kind = ItemKind::Message;

    /// Sender as written, with invisible marks (LRM, RLM, embedding controls, BOM) removed;
    /// nullopt for a system event that has no author slot.
    std::optional<std::string> author;

    LocalDateTime wall_clock;     ///< the time as written (no zone)
    std::string wall_clock_text;  ///< the header's timestamp text exactly as written
    std::int64_t utc = 0;         ///< seconds since the Unix epoch
    DstResolution dst = DstResolution::Unique;

    /// The body exactly as written after the header; continuation lines joined with "\n".
    std::string text;
    std::vector<Attachment> attachments;
    bool deleted = false;  ///< a "this message was deleted" tombstone
    bool edited = false;   ///< carries the "<This message was edited>" marker
    Placeholder placeholder = Placeholder::None;
    std::optional<Location> location;
    std::optional<CallInfo> call;

    // What only phone databases and webhooks know (a chat export has none of it).
    /// The WhatsApp message id (key_id, ZSTANZAID, or the id inside a wamid), upper-case.
    std::optional<std::string> key_id;
    /// The sender's person key (phone digits, "lid-…"), matching Person::key().
    std::optional<std::string> sender_id;
    std::optional<Quote> quoted;
    bool forwarded = false;
    /// Sent from the phone the source came from (phone databases); unknown for an export.
    std::optional<bool> from_me;
    /// Where an examiner finds the item in its database: the primary key of its row
    /// (message._id / messages._id, call_log._id, ZWAMESSAGE.Z_PK, ZWACDCALLEVENT.Z_PK).
    std::optional<std::int64_t> row;

    /// Resets every field for reuse without giving up string capacity (the reader's hot loop).
    void clear();
};

/// One line a person can read in a test failure or a log: index, line, kind, author, time, flags
/// and the first 60 bytes of text.
std::string describe(const Item& item);

/// GoogleTest printer (found by argument-dependent lookup), so failing tests show items.
inline void PrintTo(const Item& item, std::ostream* os)
{
    *os << describe(item);
}

}  // namespace cv

template <> struct fmt::formatter<cv::Item> : fmt::formatter<std::string_view> {
    auto format(const cv::Item& item, format_context& ctx) const
    {
        return fmt::formatter<std::string_view>::format(cv::describe(item), ctx);
    }
};

#pragma once
/// WhatsApp JIDs ("user@server", spec §0.1) → person keys and cv::Person fields.

#include <optional>
#include <string>
#include <string_view>

namespace cv::android_db::detail {

enum class JidKind {
    Phone,       ///< s.whatsapp.net (or a bare number in hand-made legacy rows)
    Lid,         ///< lid: an opaque linked identity
    Group,       ///< g.us
    Broadcast,   ///< broadcast lists and status@broadcast
    Newsletter,  ///< channels
    Owner,       ///< "status_me" / empty: the phone's owner in participant tables
    Other,       ///< anything else (kept verbatim)
};

struct Jid {
    std::string user;  ///< without the device suffix (":12", ".0:1")
    std::string server;
    JidKind kind = JidKind::Other;
    std::string raw;  ///< as stored
};

/// Parses a stored JID. A string without '@' made of digits is a legacy phone JID.
Jid parse_jid(std::string_view raw);

/// "4915112345678:12" → "4915112345678"; "4915112345678.0:1" → "4915112345678".
std::string strip_device(std::string_view user);

/// "+<digits>" for a phone JID whose user is 5..15 digits; nullopt otherwise.
std::optional<std::string> phone_of(const Jid& jid);

/// "lid-<digits>" for a LID JID; nullopt otherwise.
std::optional<std::string> lid_alias_of(const Jid& jid);

}  // namespace cv::android_db::detail

#pragma once
// WhatsApp addresses (§0.1) as the iOS databases write them, and the person keys (§E.1)
// they map to.

#include <optional>
#include <string>
#include <string_view>

namespace cv::ios_db::detail {

enum class JidKind { Phone, Lid, Group, Broadcast, Status, Newsletter, Other };

struct Jid {
    std::string user;  // without the device part (":12", ".0:1")
    std::string server;
    JidKind kind = JidKind::Other;
    std::string text() const { return user + "@" + server; }
};

// Splits and normalises a JID; nullopt when it has no '@' or an empty side. A bare run of
// digits (ContactsV2 writes some ZWHATSAPPIDs so) is read as a phone JID.
std::optional<Jid> parse_jid(std::string_view text);

// "+19195794674" for a phone JID whose user is 1-15 digits; nullopt otherwise.
std::optional<std::string> phone_of(const Jid& jid);

// The person key Person::key() gives a person with this JID: the digits for a phone JID,
// "lid-<user>" for a LID, the JID text otherwise.
std::string person_key(const Jid& jid);

// Chats that are not conversations: status feeds (§C.3).
bool is_pseudo_chat(const Jid& jid);

}  // namespace cv::ios_db::detail

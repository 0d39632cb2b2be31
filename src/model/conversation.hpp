#pragma once
/// Who takes part in a chat and where its items come from: the context every item of one
/// conversation shares. Sources fill it in; the user mapping adds mailbox addresses; render
/// and archive read it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cv {

/// Where items were read from. Decides how much a rendered item can be trusted (an export
/// has no message ids, minute-precision times and names instead of numbers).
enum class SourceKind { ChatExport, AndroidDatabase, IosDatabase, CloudApi };
std::string_view to_string(SourceKind s);  ///< "export", "android", "ios", "cloud-api"

struct Person {
    /// Address book name, push name, or the number as written ("+49 151 12345678").
    std::string name;
    /// E.164 ("+4915112345678") when the source gives a number.
    std::optional<std::string> phone;
    /// Opaque WhatsApp identity when there is no number ("lid-187654321098765").
    std::optional<std::string> alias;
    /// The mailbox the user mapping gives this person, when it knows them.
    std::optional<std::string> email;
    /// The owner of the phone the source came from (phone databases know which messages are
    /// theirs, not always their number).
    bool owner = false;

    /// The identity that does not depend on whose phone the copy came from as far as the
    /// source allows: phone digits, else the alias, else "name:" + name (exports only).
    std::string key() const;
};

struct Conversation {
    /// The chat's name: the group subject, or the other party's name in a 1:1 chat.
    std::string title;
    bool group = false;
    /// The chat JID when the source has one ("120363041234567890@g.us").
    std::optional<std::string> jid;
    /// Known participants: both parties of a 1:1 chat, the known members of a group.
    std::vector<Person> members;

    /// Stable across the copies of the chat on different phones where the source allows it:
    /// the group JID; the unordered pair of the two person keys in a 1:1 chat; for a group
    /// known only from an export, its title.
    std::string key() const;

    /// The member with this person key, or with this display name; null when neither.
    const Person* find(std::string_view key_or_name) const;
};

/// "+49 (151) 1234-5678" → "+4915112345678": a display name that is a number written in
/// international form (what WhatsApp shows for an unsaved contact). Nothing else qualifies:
/// national numbers need a region, which is the user mapping's business.
std::optional<std::string> phone_from_display_name(std::string_view name);

}  // namespace cv

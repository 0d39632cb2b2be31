#include "render/detail/identity.hpp"

#include <fmt/format.h>

#include "core/digest.hpp"
#include "core/utf8.hpp"

namespace cv::render::detail {

namespace {

std::string hash_hex(std::string_view text, std::size_t bytes)
{
    const auto d = sha256(text);
    return to_hex(std::span<const std::uint8_t>(d.data(), bytes));
}

// Lower-case ASCII letters and digits of a name, other runs as one '-': readable where the
// name allows, empty for a name in another script (the hash still tells people apart).
std::string ascii_slug(std::string_view name)
{
    std::string slug;
    for (const char ch : name) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            slug += static_cast<char>(c);
        else if (c >= 'A' && c <= 'Z')
            slug += static_cast<char>(c - 'A' + 'a');
        else if (!slug.empty() && slug.back() != '-')
            slug += '-';
        if (slug.size() >= 24)
            break;
    }
    while (!slug.empty() && slug.back() == '-')
        slug.pop_back();
    return slug;
}

bool is_local_part_safe(std::string_view s)
{
    if (s.empty())
        return false;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '.' || c == '_'))
            return false;
    }
    return !s.starts_with('.') && !s.ends_with('.') && s.find("..") == std::string_view::npos;
}

}  // namespace

std::string normalized_text(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        if (const std::size_t n = utf8::invisible_mark_length(text, i)) {
            i += n;
            continue;
        }
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            ++i;
            continue;
        }
        out += text[i++];
    }
    const auto first = out.find_first_not_of(" \t\n");
    if (first == std::string::npos)
        return {};
    const auto last = out.find_last_not_of(" \t\n");
    return out.substr(first, last - first + 1);
}

Identity::Identity(const Conversation& conversation, std::string domain)
    : conversation_(conversation), domain_(std::move(domain)),
      conversation_hash_(hash_hex(conversation.key(), 16))
{
    for (const auto& m : conversation_.members)
        member_mailboxes_.push_back(compute_mailbox(m));
}

Mailbox Identity::mailbox(const Person& person) const
{
    const auto& members = conversation_.members;
    if (!members.empty() && &person >= members.data() && &person < members.data() + members.size())
        return member_mailboxes_[static_cast<std::size_t>(&person - members.data())];
    return compute_mailbox(person);
}

Mailbox Identity::compute_mailbox(const Person& person) const
{
    if (person.email)
        return {person.name, *person.email};
    if (person.phone)
        return {person.name, fmt::format("{}@{}", person.key(), domain_)};
    if (person.alias && is_local_part_safe(*person.alias))
        return {person.name, fmt::format("{}@{}", *person.alias, domain_)};
    const std::string slug = ascii_slug(person.name);
    return {person.name, fmt::format("{}{}{}@by-name.{}", slug, slug.empty() ? "" : ".",
                                     hash_hex(person.key(), 4), domain_)};
}

Mailbox Identity::conversation_mailbox() const
{
    if (conversation_.group) {
        if (conversation_.jid) {
            const std::string user = conversation_.jid->substr(0, conversation_.jid->find('@'));
            if (is_local_part_safe(user))
                return {conversation_.title, fmt::format("g-{}@{}", user, domain_)};
        }
        return {conversation_.title, fmt::format("g-{}@{}", conversation_hash_.substr(0, 16), domain_)};
    }
    // Not the other party's own name: mail from the chat must not look like mail from them.
    return {"WhatsApp chat - " + conversation_.title,
            fmt::format("chat-{}@{}", conversation_hash_.substr(0, 16), domain_)};
}

const Person* Identity::sender(const Item& item) const
{
    if (item.sender_id)
        if (const Person* p = conversation_.find(*item.sender_id))
            return p;
    if (item.author && item.kind != ItemKind::System)
        return conversation_.find(*item.author);
    return nullptr;
}

std::string Identity::sender_key(const Item& item) const
{
    if (const Person* p = sender(item))
        return p->key();
    if (item.sender_id)
        return *item.sender_id;
    if (item.author)
        return "name:" + *item.author;
    return "system";
}

std::string Identity::thread_root() const
{
    return fmt::format("wa-chat.{}@{}", conversation_hash_, domain_);
}

std::string Identity::message_id_for_key(std::string_view key_id, std::string_view sender_key,
                                         bool call) const
{
    std::string id;
    for (const char ch : key_id) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'a' && c <= 'z'))
            id += static_cast<char>(c - 'a' + 'A');
        else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')
            id += static_cast<char>(c);
    }
    const std::string_view prefix = call ? "wa-call" : "wa";
    // Ids are random for every modern sender; short or numeric legacy ids are not, so they
    // get a discriminator from the conversation and the sender (§E.3).
    if (id.size() < 16 || id.size() != key_id.size())
        return fmt::format("{}.{}.{}@{}", prefix, id.empty() ? "0" : id,
                           hash_hex(fmt::format("{}\n{}\n{}", conversation_.key(), sender_key, key_id), 4),
                           domain_);
    return fmt::format("{}.{}@{}", prefix, id, domain_);
}

std::string MessageIds::assign(const Item& item)
{
    if (last_index_ == item.index)
        return last_id_;
    last_index_ = item.index;
    const std::string sender = identity_.sender_key(item);
    if (item.key_id) {
        last_id_ = identity_.message_id_for_key(*item.key_id, sender, item.kind == ItemKind::Call);
        return last_id_;
    }
    Sha256 h;
    h.update(identity_.conversation_hash()).update("\n").update(sender).update("\n");
    h.update(to_string(item.kind)).update("\n");
    const std::int64_t minute = item.utc >= 0 ? item.utc / 60 : (item.utc - 59) / 60;
    h.update(std::to_string(minute)).update("\n").update(normalized_text(item.text));
    for (const auto& a : item.attachments)
        h.update("\n").update(a.name);
    const auto d = h.finish();
    const std::string hex = to_hex(std::span<const std::uint8_t>(d.data(), 16));
    if (minute != minute_) {
        minute_ = minute;
        seen_in_minute_.clear();
    }
    const unsigned n = ++seen_in_minute_[hex];
    last_id_ = n == 1 ? fmt::format("wa.x.{}@{}", hex, identity_.domain())
                      : fmt::format("wa.x.{}.{}@{}", hex, n, identity_.domain());
    return last_id_;
}

}  // namespace cv::render::detail

#include "model/conversation.hpp"

#include <algorithm>

namespace cv {

std::string_view to_string(SourceKind s)
{
    switch (s) {
    case SourceKind::ChatExport: return "export";
    case SourceKind::AndroidDatabase: return "android";
    case SourceKind::IosDatabase: return "ios";
    case SourceKind::CloudApi: return "cloud-api";
    }
    return "export";
}

std::string Person::key() const
{
    if (phone)
        return phone->substr(phone->starts_with('+') ? 1 : 0);
    if (alias)
        return *alias;
    return "name:" + name;
}

std::string Conversation::key() const
{
    if (jid && group)
        return *jid;
    if (group)
        return "group:" + title;
    std::vector<std::string> keys;
    for (const auto& m : members)
        keys.push_back(m.key());
    if (keys.size() == 1 && !title.empty())
        keys.push_back(Person{title, phone_from_display_name(title), {}, {}}.key());
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    std::string out = "pair:";
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (i)
            out += '|';
        out += keys[i];
    }
    return out;
}

namespace {

// m.key() == key, without building the key (find() runs several times for every item rendered).
bool has_key(const Person& m, std::string_view key)
{
    if (m.phone)
        return std::string_view(*m.phone).substr(m.phone->starts_with('+') ? 1 : 0) == key;
    if (m.alias)
        return *m.alias == key;
    return key.starts_with("name:") && key.substr(5) == m.name;
}

}  // namespace

const Person* Conversation::find(std::string_view key_or_name) const
{
    for (const auto& m : members)
        if (has_key(m, key_or_name))
            return &m;
    for (const auto& m : members)
        if (m.name == key_or_name)
            return &m;
    return nullptr;
}

std::optional<std::string> phone_from_display_name(std::string_view name)
{
    // Invisible marks (LRM/RLM around numbers in RTL locales) were removed by the reader; what
    // may remain are the separators WhatsApp formats numbers with, including no-break spaces.
    if (!name.starts_with('+'))
        return std::nullopt;
    std::string digits = "+";
    for (std::size_t i = 1; i < name.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(name[i]);
        if (c >= '0' && c <= '9')
            digits += static_cast<char>(c);
        else if (c == ' ' || c == '-' || c == '(' || c == ')' || c == '.')
            continue;
        else if (name.substr(i).starts_with("\u00A0"))
            ++i;  // NBSP is two bytes
        else if (name.substr(i).starts_with("\u202F"))
            i += 2;  // NNBSP is three bytes
        else
            return std::nullopt;
    }
    // E.164 allows at most 15 digits; fewer than 7 is no phone number anywhere.
    if (digits.size() < 8 || digits.size() > 16)
        return std::nullopt;
    return digits;
}

}  // namespace cv

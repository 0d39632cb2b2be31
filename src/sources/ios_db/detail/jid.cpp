#include "sources/ios_db/detail/jid.hpp"

#include <algorithm>

namespace cv::ios_db::detail {

namespace {

bool all_digits(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<Jid> parse_jid(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.back() == ' '))
        text = text.front() == ' ' ? text.substr(1) : text.substr(0, text.size() - 1);
    const auto at = text.find('@');
    if (at == std::string_view::npos) {
        if (!all_digits(text))
            return std::nullopt;
        return Jid{std::string(text), "s.whatsapp.net", JidKind::Phone};
    }
    std::string_view user = text.substr(0, at);
    const std::string_view server = text.substr(at + 1);
    if (user.empty() || server.empty())
        return std::nullopt;
    Jid jid;
    jid.server = std::string(server);
    if (server == "s.whatsapp.net" || server == "c.us")
        jid.kind = JidKind::Phone;
    else if (server == "lid")
        jid.kind = JidKind::Lid;
    else if (server == "g.us")
        jid.kind = JidKind::Group;
    else if (server == "broadcast")
        jid.kind = user == "status" ? JidKind::Status : JidKind::Broadcast;
    else if (server == "status" || server == "lid.status")
        jid.kind = JidKind::Status;
    else if (server == "newsletter")
        jid.kind = JidKind::Newsletter;
    if (jid.kind == JidKind::Phone || jid.kind == JidKind::Lid) {
        // The device part names a linked device, not another person (§0.1).
        user = user.substr(0, user.find(':'));
        if (jid.kind == JidKind::Phone)
            user = user.substr(0, user.find('.'));
        if (user.empty())
            return std::nullopt;
    }
    if (jid.kind == JidKind::Phone)
        jid.server = "s.whatsapp.net";
    jid.user = std::string(user);
    return jid;
}

std::optional<std::string> phone_of(const Jid& jid)
{
    if (jid.kind != JidKind::Phone || !all_digits(jid.user) || jid.user.size() > 15)
        return std::nullopt;
    return "+" + jid.user;
}

std::string person_key(const Jid& jid)
{
    if (const auto phone = phone_of(jid))
        return phone->substr(1);
    if (jid.kind == JidKind::Lid)
        return "lid-" + jid.user;
    return jid.text();
}

bool is_pseudo_chat(const Jid& jid)
{
    return jid.kind == JidKind::Status;
}

}  // namespace cv::ios_db::detail

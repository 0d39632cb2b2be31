#include "sources/android_db/detail/jid.hpp"

#include <algorithm>

namespace cv::android_db::detail {

namespace {

bool all_digits(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string strip_device(std::string_view user)
{
    const auto cut = user.find_first_of(":.");
    return std::string(user.substr(0, cut));
}

Jid parse_jid(std::string_view raw)
{
    Jid j;
    j.raw = std::string(raw);
    const auto at = raw.rfind('@');
    if (at == std::string_view::npos) {
        j.user = strip_device(raw);
        j.kind = all_digits(j.user) ? JidKind::Phone : raw.empty() ? JidKind::Owner : JidKind::Other;
        if (raw == "status_me")
            j.kind = JidKind::Owner;
        return j;
    }
    j.server = std::string(raw.substr(at + 1));
    const std::string_view user = raw.substr(0, at);
    if (j.server == "s.whatsapp.net" || j.server == "c.us") {
        j.user = strip_device(user);
        j.kind = JidKind::Phone;
    } else if (j.server == "lid") {
        j.user = strip_device(user);
        j.kind = JidKind::Lid;
    } else if (j.server == "g.us") {
        j.user = std::string(user);
        j.kind = JidKind::Group;
    } else if (j.server == "broadcast") {
        j.user = std::string(user);
        j.kind = JidKind::Broadcast;
    } else if (j.server == "newsletter") {
        j.user = std::string(user);
        j.kind = JidKind::Newsletter;
    } else if (j.server == "status_me") {
        j.kind = JidKind::Owner;
    } else {
        j.user = std::string(user);
    }
    return j;
}

std::optional<std::string> phone_of(const Jid& jid)
{
    if (jid.kind != JidKind::Phone || !all_digits(jid.user) || jid.user.size() < 5 || jid.user.size() > 15)
        return std::nullopt;
    return "+" + jid.user;
}

std::optional<std::string> lid_alias_of(const Jid& jid)
{
    if (jid.kind != JidKind::Lid || jid.user.empty())
        return std::nullopt;
    return "lid-" + jid.user;
}

}  // namespace cv::android_db::detail

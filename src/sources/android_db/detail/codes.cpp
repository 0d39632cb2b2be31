#include "sources/android_db/detail/codes.hpp"

#include <fmt/format.h>

#include "core/utf8.hpp"
#include "sources/android_db/detail/jid.hpp"

namespace cv::android_db::detail {

MediaType media_type_of(std::int64_t message_type, std::int64_t origin)
{
    switch (message_type) {
    case kImage:
    case kViewOnceImage: return MediaType::Image;
    case kAudio: return origin == 1 ? MediaType::VoiceNote : MediaType::Audio;
    case kViewOnceVoice: return MediaType::VoiceNote;
    case kVideo:
    case kViewOnceVideo:
    case kVideoNote: return MediaType::Video;
    case kDocument: return MediaType::Document;
    case kGif: return MediaType::Gif;
    case kSticker: return MediaType::Sticker;
    default: return MediaType::Unknown;
    }
}

bool is_known_type(std::int64_t t)
{
    switch (t) {
    case kText:
    case kImage:
    case kAudio:
    case kVideo:
    case kContact:
    case kLocation:
    case kSystem:
    case kLegacyCall:
    case kDocument:
    case kMissedCall:
    case kWaiting:
    case kGif:
    case kContacts:
    case kRevoked:
    case kLiveLocation:
    case kSticker:
    case kGroupInvite:
    case kViewOnceImage:
    case kViewOnceVideo:
    case kAdminRevoked:
    case kPoll:
    case kVideoNote:
    case kViewOnceVoice:
    case kCallEntry:
    case kAlbum:
    case kPollV2: return true;
    default: return false;
    }
}

namespace {

std::string join(const std::vector<std::string>& names)
{
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i)
            out += i + 1 == names.size() ? " and " : ", ";
        out += names[i];
    }
    return out;
}

}  // namespace

std::string system_text(std::int64_t action, std::string_view actor, const std::vector<std::string>& targets,
                        std::string_view value, bool legacy)
{
    const std::string who = actor.empty() ? std::string("Someone") : std::string(actor);
    const std::string them = join(targets);
    // Legacy rows name one person (remote_resource), the one the event is about.
    if (legacy) {
        switch (action) {
        case 1: return fmt::format("{} changed the subject to \"{}\"", who, value);
        case 4:
        case 12: return fmt::format("{} was added", who);
        case 5: return fmt::format("{} left", who);
        case 6: return fmt::format("{} changed the group photo", who);
        case 7:
        case 14: return fmt::format("{} was removed", who);
        case 11: return fmt::format("{} created group \"{}\"", who, value);
        case 15: return fmt::format("{} is now an admin", who);
        case 18: return fmt::format("The security code with {} changed", who);
        case 19: return "Messages and calls are end-to-end encrypted";
        case 20: return fmt::format("{} joined using an invite link", who);
        default: break;
        }
    } else {
        switch (action) {
        case 1:
            return value.empty() ? fmt::format("{} changed the subject", who)
                                 : fmt::format("{} changed the subject to \"{}\"", who, value);
        case 5: return fmt::format("{} left", them.empty() ? who : them);
        case 6: return fmt::format("{} changed the group photo", who);
        case 10:
        case 28: return fmt::format("{} changed their phone number", them.empty() ? who : them);
        case 11:
            return value.empty() ? fmt::format("{} created the group", who)
                                 : fmt::format("{} created group \"{}\"", who, value);
        case 12:
            return them.empty() ? fmt::format("{} added someone", who)
                                : fmt::format("{} added {}", who, them);
        case 14:
            return them.empty() ? fmt::format("{} removed someone", who)
                                : fmt::format("{} removed {}", who, them);
        case 15:
            return them.empty() ? fmt::format("{} made someone an admin", who)
                                : fmt::format("{} made {} an admin", who, them);
        case 18: return fmt::format("The security code with {} changed", them.empty() ? who : them);
        case 20: return fmt::format("{} joined using an invite link", them.empty() ? who : them);
        case 27: return fmt::format("{} changed the group description", who);
        case 56: return fmt::format("{} changed the disappearing messages timer", who);
        case 57: return fmt::format("The devices of {} changed", them.empty() ? who : them);
        case 58: return fmt::format("{} blocked or unblocked this contact", who);
        case 67: return "Messages and calls are end-to-end encrypted";
        default: break;
        }
    }
    std::string out = fmt::format("system event (type {})", action);
    if (!actor.empty())
        out += fmt::format(" by {}", actor);
    if (!them.empty())
        out += fmt::format(": {}", them);
    if (!value.empty())
        out += fmt::format(" \"{}\"", value);
    return out;
}

CallResult call_result_of(std::int64_t code, std::int64_t duration_seconds)
{
    if (duration_seconds > 0)
        return CallResult::Answered;
    switch (code) {
    case 5:
    case 8: return CallResult::Answered;
    case 2:
    case 3:
    case 4:
    case 7: return CallResult::Missed;
    default: return CallResult::Unknown;
    }
}

std::string normalize_call_id(std::string_view id)
{
    if (id.size() >= 5 && (id.substr(0, 5) == "call:" || id.substr(0, 5) == "CALL:"))
        id.remove_prefix(5);
    return utf8::ascii_upper(id);
}

}  // namespace cv::android_db::detail

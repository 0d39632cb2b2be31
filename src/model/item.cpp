#include "model/item.hpp"

namespace cv {

std::string_view to_string(ItemKind k)
{
    switch (k) {
    case ItemKind::Message: return "message";
    case ItemKind::System: return "system";
    case ItemKind::Call: return "call";
    }
    return "message";
}

std::string_view to_string(MediaType t)
{
    switch (t) {
    case MediaType::Unknown: return "unknown";
    case MediaType::Image: return "image";
    case MediaType::Video: return "video";
    case MediaType::Audio: return "audio";
    case MediaType::VoiceNote: return "voice_note";
    case MediaType::Gif: return "gif";
    case MediaType::Sticker: return "sticker";
    case MediaType::Document: return "document";
    case MediaType::Contact: return "contact";
    }
    return "unknown";
}

std::string_view to_string(CallMedia m)
{
    return m == CallMedia::Voice ? "voice" : "video";
}

std::string_view to_string(CallResult r)
{
    switch (r) {
    case CallResult::Missed: return "missed";
    case CallResult::Answered: return "answered";
    case CallResult::Unknown: return "unknown";
    }
    return "unknown";
}

std::string_view to_string(Placeholder p)
{
    switch (p) {
    case Placeholder::None: return "none";
    case Placeholder::Empty: return "empty";
    case Placeholder::Unrenderable: return "unrenderable";
    }
    return "none";
}

void Item::clear()
{
    index = 0;
    line = 0;
    kind = ItemKind::Message;
    author.reset();
    wall_clock = {};
    wall_clock_text.clear();
    utc = 0;
    dst = DstResolution::Unique;
    text.clear();
    attachments.clear();
    deleted = false;
    edited = false;
    placeholder = Placeholder::None;
    location.reset();
    call.reset();
    key_id.reset();
    sender_id.reset();
    quoted.reset();
    forwarded = false;
    from_me.reset();
    row.reset();
}

std::string describe(const Item& item)
{
    std::string text = item.text.substr(0, 60);
    for (auto& c : text)
        if (c == '\n')
            c = '|';
    std::string flags;
    if (item.deleted)
        flags += " deleted";
    if (item.edited)
        flags += " edited";
    if (!item.attachments.empty())
        flags += fmt::format(" attachments={}", item.attachments.size());
    if (item.location)
        flags += " location";
    if (item.call)
        flags += fmt::format(" call={}/{}", to_string(item.call->media), to_string(item.call->result));
    if (item.placeholder != Placeholder::None)
        flags += fmt::format(" placeholder={}", to_string(item.placeholder));
    if (item.dst != DstResolution::Unique)
        flags += fmt::format(" dst={}", to_string(item.dst));
    return fmt::format("#{} line {} {} [{}] {} \"{}{}\"{}", item.index, item.line, to_string(item.kind),
                       item.author.value_or("-"), format_iso(item.wall_clock), text,
                       item.text.size() > 60 ? "…" : "", flags);
}

}  // namespace cv

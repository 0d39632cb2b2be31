#include "sources/chat_export/detail/body.hpp"

#include <algorithm>
#include <cstring>

#include "core/utf8.hpp"
#include "sources/chat_export/detail/markers.hpp"

namespace cv::chat_export::detail {

namespace {

// Longest plausible author slot: WhatsApp caps push names at 25 characters, contact names are
// longer but not paragraphs; a longer "slot" is a system sentence that contains ": ".
constexpr std::size_t kMaxAuthorBytes = 256;

}  // namespace

std::optional<std::size_t> split_author(std::string_view first_line, std::size_t& text_begin)
{
    const auto limit = std::min(first_line.size(), kMaxAuthorBytes + 1);
    const char* base = first_line.data();
    std::size_t from = 0;
    while (from < limit) {
        const auto* colon = static_cast<const char*>(std::memchr(base + from, ':', limit - from));
        if (colon == nullptr)
            return std::nullopt;
        const auto at = static_cast<std::size_t>(colon - base);
        if (at == 0)
            return std::nullopt;
        if (at + 1 == first_line.size()) {
            text_begin = at + 1;
            return at;
        }
        if (first_line[at + 1] == ' ') {
            text_begin = at + 2;
            return at;
        }
        // Old Android exports wrote a message whose media had expired as "Name:." (chat-miner's
        // fixtures); the author slot is there, the text is ".".
        if (first_line[at + 1] == '.' && at + 2 == first_line.size()) {
            text_begin = at + 1;
            return at;
        }
        from = at + 1;
    }
    return std::nullopt;
}

void clean_author(std::string_view author, std::string& out)
{
    // Every mark's UTF-8 starts with 0xE2, 0xEF or 0xD8: copy the runs between such bytes whole
    // (most authors are one run) and look for a mark only where one can start.
    auto may_start_mark = [](char ch) {
        const auto b = static_cast<unsigned char>(ch);
        return b == 0xE2 || b == 0xEF || b == 0xD8;
    };
    const auto next_candidate = [&](std::size_t from) {
        return static_cast<std::size_t>(
            std::find_if(author.begin() + static_cast<std::ptrdiff_t>(from), author.end(), may_start_mark) -
            author.begin());
    };
    std::size_t i = next_candidate(0);
    out.assign(author.substr(0, i));
    while (i < author.size()) {
        if (const auto n = utf8::invisible_mark_length(author, i)) {
            i += n;
            continue;
        }
        const auto run_end = next_candidate(i + 1);
        out.append(author.substr(i, run_end - i));
        i = run_end;
    }
}

BodyNote classify(Item& item, const Container& media)
{
    const std::string_view text = item.text;
    if (!item.author) {
        item.kind = ItemKind::System;
        return BodyNote::None;
    }
    if (text.empty()) {
        item.placeholder = Placeholder::Empty;
        return BodyNote::None;
    }
    if (text == "null") {
        item.placeholder = Placeholder::Unrenderable;
        return BodyNote::None;
    }
    if (!may_be_marker(text))
        return BodyNote::None;  // ordinary text: nearly every message
    if (const auto call = missed_call(text)) {
        item.kind = ItemKind::Call;
        item.call = CallInfo{*call, CallResult::Missed, std::nullopt, std::nullopt};
        return BodyNote::None;
    }
    if (is_deleted_tombstone(text)) {
        item.deleted = true;
        return BodyNote::None;
    }
    if (edited_marker_length(text) > 0)
        item.edited = true;

    const auto nl = text.find('\n');
    const std::string_view first_line = text.substr(0, nl);
    if (const auto type = media_omitted(first_line)) {
        Attachment a;
        a.type = *type;
        a.omitted = true;
        item.attachments.push_back(std::move(a));
        return BodyNote::None;
    }
    if (auto marker = attachment_marker(first_line)) {
        Attachment a;
        a.type = marker->type;
        if (const auto found = media.find_media(marker->name)) {
            a.present = true;
            a.locator = found->locator;
            a.size = found->size;
        }
        a.name = std::move(marker->name);
        item.attachments.push_back(std::move(a));
        return BodyNote::None;
    }
    if (auto loc = location(text)) {
        item.location = std::move(*loc);
        return BodyNote::None;
    }
    // A marker we could not read (cut across lines, no file name) must not pass as plain text.
    if (mentions_attachment_label(first_line))
        return BodyNote::UnreadableAttachmentMarker;
    // The first line of an iOS chat is WhatsApp's encryption notice under the chat's name; in a
    // language our tables lack, its leading LRM is the only sign.
    // Under an author, name-first notices come only from iOS, which marks them with LRM.
    if (is_system_notice(text, NoticeScope::NameFirstOnlyAfterMark) ||
        (item.index == 0 && is_marked_generated_text(text)))
        item.kind = ItemKind::System;
    return BodyNote::None;
}

}  // namespace cv::chat_export::detail

#pragma once
/// What a reviewer reads: the text/plain body and the text/html chat bubble of an item, and
/// the Subject line. Pure functions of the item and what became of its attachments.

#include <span>
#include <string>
#include <string_view>

#include "model/item.hpp"

namespace cv::render::detail {

enum class AttachmentState {
    Attached,    ///< its bytes travel as a MIME part
    Missing,     ///< the source names it but does not contain it
    Omitted,     ///< the exporter left it out and wrote a placeholder
    Unreadable,  ///< the source contains it but its bytes could not be read
};

struct AttachmentNote {
    const Attachment* attachment = nullptr;
    AttachmentState state = AttachmentState::Missing;
    std::string file_name;     ///< the name it travels under (never empty for Attached)
    std::string content_type;  ///< for Attached
    std::string reason;        ///< for Unreadable
};

struct ItemView {
    const Item& item;
    std::string_view sender;  ///< display name, or the chat's name for system lines
    std::span<const AttachmentNote> attachments;
};

/// "WhatsApp message - Family: first words…" (§E.2; calls as §E.5). `peer` is the other
/// party of a 1:1 chat, or the chat's title.
std::string subject_line(const Item& item, std::string_view chat_title, std::string_view peer);

/// The first non-empty line of the text without invisible marks, cut to `max_chars` code
/// points with "…" when longer.
std::string snippet(std::string_view text, std::size_t max_chars);

/// The item's text/plain body: state notes ([Deleted], [Forwarded]…), the quote, the text
/// as written, and the facts about location, call and every attachment.
std::string plain_body(const ItemView& view);

/// One chat bubble (escaped HTML, inline styles only: mail clients drop style sheets).
/// `time_label` is what the bubble shows in its corner.
void append_html_bubble(std::string& html, const ItemView& view, std::string_view time_label);

/// A whole HTML document around bubbles.
std::string html_document(std::string_view title, std::string_view heading, std::string_view bubbles);

/// "1:35", "1:02:03".
std::string format_duration(std::uint32_t seconds);

/// "12,345 bytes".
std::string format_size(std::uint64_t bytes);

}  // namespace cv::render::detail

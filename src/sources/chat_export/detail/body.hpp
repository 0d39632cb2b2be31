#pragma once
/// Turns a message's raw text into the Item's facts: author split, system/call/deleted/edited
/// classification, attachments (linked to the export's files), location and placeholders.

#include <optional>
#include <string>
#include <string_view>

#include "model/item.hpp"
#include "sources/chat_export/detail/container.hpp"

namespace cv::chat_export::detail {

/// Splits "Author: text" on the first line of a body. Returns the byte length of the author
/// slot (before ':') and sets `text_begin` to where the text starts, or nullopt when the line
/// has no author slot (a system line). An author slot ends at the first ':' followed by a space
/// or the end of the line.
std::optional<std::size_t> split_author(std::string_view first_line, std::size_t& text_begin);

/// Writes `author` without invisible marks (LRM, RLM, ALM, embedding/isolate controls, BOM)
/// into `out`, replacing its contents (and reusing its capacity).
void clean_author(std::string_view author, std::string& out);

/// What classification found that the reader should warn about.
enum class BodyNote { None, UnreadableAttachmentMarker };

/// Classifies an item whose author and text are set. `media` finds attachment files.
BodyNote classify(Item& item, const Container& media);

}  // namespace cv::chat_export::detail

#pragma once
/// The archive's own serialization of what it keeps: an item record (everything needed to
/// render the item again, byte for byte) and a conversation record. JSON (nlohmann) so that
/// fields can be added without a migration; records are compressed in chunks and encrypted,
/// never stored as they are.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "model/conversation.hpp"
#include "model/item.hpp"

namespace cv::archive::detail {

/// What rendering an item needs beyond the item and its conversation.
struct RenderContext {
    SourceKind source = SourceKind::ChatExport;
    std::string time_zone = "UTC";
    std::string domain = "whatsapp.invalid";
    std::string message_id;  ///< as assigned at import (export ids depend on item order)
};

std::string item_record(const Item& item, const RenderContext& context);
/// Errors: Parse (not a record of this format).
Result<void> parse_item_record(std::string_view json, Item& item, RenderContext& context);

std::string conversation_record(const Conversation& conversation);
Result<Conversation> parse_conversation_record(std::string_view json);

/// Text kept in a preview record: longer texts are cut (at a character boundary) and the
/// preview marked incomplete.
inline constexpr std::size_t kPreviewTextBytes = 1024;

/// What a page of search hits shows of an item (search.cpp keeps it sealed beside the index, so
/// that a page never decrypts a record chunk): author, the start of the text, attachment names,
/// call media and result. Short keys: one is stored per item. `{"a":author,"t":text,"x":true
/// (text cut),"n":[attachment names],"c":[call media, call result]}`.
std::string preview_record(const Item& item);
/// Fills only those fields of `item` (the rest reset); `complete` is false when the text was
/// cut. Errors: Parse (not a preview record).
Result<void> parse_preview_record(std::string_view json, Item& item, bool& complete);

/// The item records of a decompressed record chunk: each is stored as a 4-byte little-endian
/// length and that many bytes. The views point into `plain`; nullopt when a length runs past
/// the end (a damaged chunk: the caller names it).
std::optional<std::vector<std::string_view>> split_records(std::span<const std::uint8_t> plain);

}  // namespace cv::archive::detail

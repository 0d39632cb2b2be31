#pragma once
/// One Item as one line of JSON: the output contract of `chatvault parse --format jsonl`.
///
/// {"index":N,"line":N,"kind":K,"author":S|null,"wall_clock":T,"utc":T[,"dst":D],"text":S,
///  "attachments":[...],"deleted":B,"edited":B[,"placeholder":P][,"location":{...}][,"call":{...}]
///  [,"chat":S][,"from_me":B][,"key_id":S][,"sender":S][,"forwarded":true][,"quoted":{...}]}
/// The last group comes from phone databases; an export has none of it.

#include "cli/json_writer.hpp"
#include "core/time.hpp"
#include "model/item.hpp"

namespace cv::cli {

/// Writes items through `w`, formatting each one straight into its buffer (this is the hot
/// path of `parse`: one capacity check per item, dates reused between items of a day). The
/// writer must outlive it. Not thread-safe.
class ItemWriter {
public:
    explicit ItemWriter(JsonWriter& w) : w_(w) {}
    /// `chat` (the JID) and `chat_title` name the item's chat when the source holds many
    /// (phone databases).
    void write(const Item& item, std::string_view chat = {}, std::string_view chat_title = {});

private:
    JsonWriter& w_;
    StampWriter stamps_;
};

/// The same text written field by field through JsonWriter's generic calls: the
/// straightforward version that ItemWriter is tested against (and falls back to for items
/// too large for the buffer).
void write_item_reference(JsonWriter& w, const Item& item, std::string_view chat = {},
                          std::string_view chat_title = {});

}  // namespace cv::cli

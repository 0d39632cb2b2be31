#pragma once
/// A source that holds many chats (a phone database): it names its conversations first, then
/// yields items in source order, each with the index of its conversation. The chat export
/// reader is the one-chat case and keeps its own, streaming interface.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/byte_source.hpp"
#include "core/result.hpp"
#include "model/conversation.hpp"
#include "model/item.hpp"

namespace cv {

class ChatSource {
public:
    virtual ~ChatSource() = default;

    virtual SourceKind kind() const = 0;

    /// Every chat the source holds, with its known members; the phone's owner is the member
    /// with Person::owner set (one per conversation; their number is often unknown).
    virtual const std::vector<Conversation>& conversations() const = 0;

    /// The next item, or false at the end; `conversation` indexes conversations(). Items of
    /// one chat come in time order; chats may interleave. Errors end the stream (what was
    /// read is kept) and name the table and row.
    virtual Result<bool> next(Item& item, std::size_t& conversation) = 0;

    /// An attachment's bytes (a file in the media folder given to the reader). Errors:
    /// NotFound (not present), Io.
    virtual Result<std::unique_ptr<ByteSource>> open_attachment(const Attachment& attachment) const = 0;

    /// What was skipped or could not be read ("table call_log: column video missing, calls
    /// read as voice"), in words.
    virtual const std::vector<std::string>& warnings() const = 0;
};

}  // namespace cv

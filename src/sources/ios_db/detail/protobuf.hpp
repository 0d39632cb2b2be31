#pragma once
// A minimal reader of the protobuf wire format, for ZWAMEDIAITEM.ZMETADATA (§C.6). Written by
// hand rather than with libprotobuf: we need two or three fields out of an undocumented
// message for which there is no .proto, so generated code is impossible and the library's
// reflection-free wire API would be a large dependency for forty lines of bounds checks.
// Every read is bounded by the input; a malformed input ends the walk, it never reads past.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cv::ios_db::detail {

enum class WireType : std::uint8_t { Varint = 0, Fixed64 = 1, Len = 2, Fixed32 = 5 };

struct Field {
    std::uint32_t number = 0;
    WireType type = WireType::Varint;
    std::uint64_t varint = 0;  // the value for Varint; unused otherwise
    std::string_view bytes;    // the payload for Len, Fixed32 and Fixed64: a view into the input
};

// Reads a base-128 varint at in[pos]; advances pos. False (pos unchanged) when it runs past
// the end or is longer than 10 bytes.
bool read_varint(std::string_view in, std::size_t& pos, std::uint64_t& out);

// Walks the top-level fields of one message.
class FieldReader {
public:
    explicit FieldReader(std::string_view in) : in_(in) {}
    // The next field; false at the end or at the first malformed byte (then failed() is true).
    // Groups (wire types 3/4, deprecated) and wire types 6/7 count as malformed.
    bool next(Field& field);
    bool failed() const { return failed_; }
    std::size_t offset() const { return pos_; }

private:
    std::string_view in_;
    std::size_t pos_ = 0;
    bool failed_ = false;
};

// What a reply's ZMETADATA says about the message it quotes; each part only when the field
// has the shape the spec observed (field 5: a 16-40 character id of letters and digits;
// field 6: text with '@'; field 19: a nested message whose field 1 is the quoted text).
struct QuotedRef {
    std::optional<std::string> stanza_id;  // as stored (not upper-cased)
    std::optional<std::string> sender_jid;
    std::optional<std::string> text;  // valid UTF-8 (ill-formed bytes replaced)
};
QuotedRef parse_quoted_ref(std::string_view metadata);

}  // namespace cv::ios_db::detail

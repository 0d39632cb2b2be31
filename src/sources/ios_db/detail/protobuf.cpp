#include "sources/ios_db/detail/protobuf.hpp"

#include "core/utf8.hpp"

namespace cv::ios_db::detail {

bool read_varint(std::string_view in, std::size_t& pos, std::uint64_t& out)
{
    std::uint64_t value = 0;
    std::size_t p = pos;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (p >= in.size())
            return false;
        const auto b = static_cast<std::uint8_t>(in[p++]);
        value |= static_cast<std::uint64_t>(b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
            pos = p;
            out = value;
            return true;
        }
    }
    return false;  // an 11th byte: no valid varint is that long
}

bool FieldReader::next(Field& field)
{
    if (failed_ || pos_ >= in_.size())
        return false;
    std::size_t p = pos_;
    std::uint64_t tag = 0;
    if (!read_varint(in_, p, tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1FFFFFFF) {
        failed_ = true;
        return false;
    }
    field.number = static_cast<std::uint32_t>(tag >> 3);
    field.varint = 0;
    field.bytes = {};
    const std::size_t left = in_.size() - p;  // only ever compared, so no overflow below
    switch (tag & 7) {
    case 0:
        field.type = WireType::Varint;
        if (!read_varint(in_, p, field.varint)) {
            failed_ = true;
            return false;
        }
        break;
    case 1:
    case 5: {
        const std::size_t n = (tag & 7) == 1 ? 8 : 4;
        if (left < n) {
            failed_ = true;
            return false;
        }
        field.type = (tag & 7) == 1 ? WireType::Fixed64 : WireType::Fixed32;
        field.bytes = in_.substr(p, n);
        p += n;
        break;
    }
    case 2: {
        std::uint64_t len = 0;
        if (!read_varint(in_, p, len) || len > in_.size() - p) {
            failed_ = true;
            return false;
        }
        field.type = WireType::Len;
        field.bytes = in_.substr(p, static_cast<std::size_t>(len));
        p += static_cast<std::size_t>(len);
        break;
    }
    default: failed_ = true; return false;
    }
    pos_ = p;
    return true;
}

namespace {

bool is_stanza_id(std::string_view s)
{
    if (s.size() < 16 || s.size() > 40)
        return false;
    for (const char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
            return false;
    return true;
}

bool is_jid(std::string_view s)
{
    if (s.empty() || s.size() > 256 || s.find('@') == std::string_view::npos)
        return false;
    for (const char c : s)
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F)
            return false;
    return true;
}

}  // namespace

QuotedRef parse_quoted_ref(std::string_view metadata)
{
    QuotedRef out;
    FieldReader reader(metadata);
    Field f;
    while (reader.next(f)) {
        if (f.type != WireType::Len)
            continue;
        if (f.number == 5 && !out.stanza_id && is_stanza_id(f.bytes)) {
            out.stanza_id = std::string(f.bytes);
        } else if (f.number == 6 && !out.sender_jid && is_jid(f.bytes)) {
            out.sender_jid = std::string(f.bytes);
        } else if (f.number == 19 && !out.text) {
            FieldReader inner(f.bytes);
            Field g;
            while (inner.next(g))
                if (g.number == 1 && g.type == WireType::Len) {
                    out.text = utf8::sanitize(g.bytes);
                    break;
                }
        }
    }
    return out;
}

}  // namespace cv::ios_db::detail

#include "sources/cloud_api/cloud_api.hpp"

#include <cstdint>

#include "core/digest.hpp"
#include "core/utf8.hpp"
#include "sources/cloud_api/detail/codec.hpp"

namespace cv::cloud_api {

namespace {

// A reader of the few Thrift compact-protocol shapes a wamid holds (§A.12): field headers with
// a delta id, binary strings, zigzag i32 and booleans carried in the field type.
class Compact {
public:
    explicit Compact(std::string_view bytes) : b_(bytes) {}

    bool byte(std::uint8_t& out)
    {
        if (pos_ >= b_.size())
            return false;
        out = static_cast<std::uint8_t>(b_[pos_++]);
        return true;
    }

    bool varint(std::uint64_t& out)
    {
        out = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            std::uint8_t c = 0;
            if (!byte(c))
                return false;
            out |= static_cast<std::uint64_t>(c & 0x7F) << shift;
            if ((c & 0x80) == 0)
                return true;
        }
        return false;
    }

    bool binary(std::string& out)
    {
        std::uint64_t len = 0;
        if (!varint(len) || len > b_.size() - pos_)
            return false;
        out.assign(b_.substr(pos_, len));
        pos_ += len;
        return true;
    }

    bool at_end() const { return pos_ == b_.size(); }

private:
    std::string_view b_;
    std::size_t pos_ = 0;
};

constexpr std::uint8_t kTrue = 1, kFalse = 2, kI32 = 5, kBinary = 8, kStruct = 12;

bool read_remote(Compact& c, std::string& remote)
{
    std::int16_t field = 0;
    for (;;) {
        std::uint8_t h = 0;
        if (!c.byte(h))
            return false;
        if (h == 0)
            return !remote.empty();
        if ((h >> 4) == 0)
            return false;  // long-form field ids never occur in a wamid
        field = static_cast<std::int16_t>(field + (h >> 4));
        const std::uint8_t type = h & 0x0F;
        if (type == kBinary) {
            std::string s;
            if (!c.binary(s))
                return false;
            if (field == 1)
                remote = std::move(s);
        } else if (type == kI32) {
            std::uint64_t ignored = 0;
            if (!c.varint(ignored))
                return false;
        } else if (type != kTrue && type != kFalse) {
            return false;
        }
    }
}

}  // namespace

std::optional<WamidKey> decode_wamid(std::string_view wamid)
{
    constexpr std::string_view kPrefix = "wamid.";
    if (!wamid.starts_with(kPrefix))
        return std::nullopt;
    const auto bytes = detail::base64_decode(wamid.substr(kPrefix.size()));
    if (!bytes)
        return std::nullopt;
    Compact c(*bytes);
    WamidKey key;
    bool have_dir = false;
    bool have_id = false;
    std::int16_t field = 0;
    for (;;) {
        std::uint8_t h = 0;
        if (!c.byte(h))
            return std::nullopt;
        if (h == 0)
            break;
        if ((h >> 4) == 0)
            return std::nullopt;
        field = static_cast<std::int16_t>(field + (h >> 4));
        const std::uint8_t type = h & 0x0F;
        if (field == 1 && type == kStruct) {
            if (!read_remote(c, key.remote))
                return std::nullopt;
        } else if (field == 2 && (type == kTrue || type == kFalse)) {
            key.from_me = type == kTrue;
            have_dir = true;
        } else if (field == 3 && type == kBinary) {
            if (!c.binary(key.message_id))
                return std::nullopt;
            have_id = true;
        } else {
            return std::nullopt;  // not the layout we know: §E.3's fallback, not a guess
        }
    }
    if (!have_dir || !have_id || key.message_id.empty() || key.message_id.size() > 128)
        return std::nullopt;
    for (const char ch : key.message_id) {
        const auto u = static_cast<unsigned char>(ch);
        if (u <= 0x20 || u >= 0x7F)
            return std::nullopt;  // ids are printable ASCII; anything else is not an id
    }
    return key;
}

std::string key_id_for_wamid(std::string_view wamid)
{
    if (auto key = decode_wamid(wamid))
        return utf8::ascii_upper(key->message_id);
    const Sha256Digest d = sha256(wamid);
    return "W" + utf8::ascii_upper(to_hex(d).substr(0, 32));
}

}  // namespace cv::cloud_api

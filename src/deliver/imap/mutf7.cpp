#include "deliver/imap/mutf7.hpp"

#include <cstdint>
#include <vector>

#include <fmt/format.h>

namespace cv::deliver::imap {

namespace {

// Base64 with ',' in place of '/' (RFC 3501 §5.1.3), no padding.
constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

void flush_utf16(std::vector<std::uint16_t>& units, std::string& out)
{
    if (units.empty())
        return;
    out += '&';
    std::uint32_t bits = 0;
    int count = 0;
    for (const std::uint16_t u : units) {
        for (const std::uint8_t byte :
             {static_cast<std::uint8_t>(u >> 8), static_cast<std::uint8_t>(u & 0xff)}) {
            bits = (bits << 8) | byte;
            count += 8;
            while (count >= 6) {
                count -= 6;
                out += kAlphabet[(bits >> count) & 0x3f];
            }
        }
    }
    if (count > 0)
        out += kAlphabet[(bits << (6 - count)) & 0x3f];
    out += '-';
    units.clear();
}

}  // namespace

Result<std::string> encode_mailbox_name(std::string_view utf8)
{
    std::string out;
    std::vector<std::uint16_t> pending;  // UTF-16 code units of the current non-ASCII run
    std::size_t i = 0;
    while (i < utf8.size()) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        if (c >= 0x20 && c <= 0x7e) {
            flush_utf16(pending, out);
            out += c == '&' ? std::string_view("&-") : std::string_view(&utf8[i], 1);
            ++i;
            continue;
        }
        // Decode one UTF-8 sequence.
        std::uint32_t cp = 0;
        int len = 0;
        if (c >= 0xc2 && c <= 0xdf) {
            cp = c & 0x1f;
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            cp = c & 0x0f;
            len = 3;
        } else if (c >= 0xf0 && c <= 0xf4) {
            cp = c & 0x07;
            len = 4;
        } else {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("folder name has byte 0x{:02x} at {}: not a printable UTF-8 name", c, i));
        }
        if (i + static_cast<std::size_t>(len) > utf8.size())
            return fail(ErrorCode::InvalidArgument, "folder name ends inside a UTF-8 character");
        for (int k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(utf8[i + static_cast<std::size_t>(k)]);
            if ((cc & 0xc0) != 0x80)
                return fail(ErrorCode::InvalidArgument,
                            fmt::format("folder name is not UTF-8 at byte {}", i));
            cp = (cp << 6) | (cc & 0x3f);
        }
        const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
        if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x7f && cp < 0xa0))
            return fail(ErrorCode::InvalidArgument, fmt::format("folder name is not UTF-8 at byte {}", i));
        if (cp >= 0x10000) {
            cp -= 0x10000;
            pending.push_back(static_cast<std::uint16_t>(0xd800 | (cp >> 10)));
            pending.push_back(static_cast<std::uint16_t>(0xdc00 | (cp & 0x3ff)));
        } else {
            pending.push_back(static_cast<std::uint16_t>(cp));
        }
        i += static_cast<std::size_t>(len);
    }
    flush_utf16(pending, out);
    return out;
}

}  // namespace cv::deliver::imap

#pragma once
// Webhook payloads built in the tests, shaped as spec §A shows them (nothing copied from the
// corpus): the envelope, a value with metadata and contacts, messages of every type, and
// wamids with the §A.12 layout.

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace cv::cloud_api::test {

using json = nlohmann::json;

inline constexpr std::string_view kBusiness = "4930123456";
inline constexpr std::string_view kPhoneNumberId = "111222333444555";
inline constexpr std::string_view kErika = "4915112345678";
inline constexpr std::string_view kErikaBsuid = "DE.13491208655302741918";

inline std::string base64(std::string_view in)
{
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const auto n = (std::uint32_t(std::uint8_t(in[i])) << 16) |
                       (std::uint32_t(std::uint8_t(in[i + 1])) << 8) | std::uint8_t(in[i + 2]);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += kAlphabet[n & 63];
    }
    if (i + 1 == in.size()) {
        const auto n = std::uint32_t(std::uint8_t(in[i])) << 16;
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        const auto n =
            (std::uint32_t(std::uint8_t(in[i])) << 16) | (std::uint32_t(std::uint8_t(in[i + 1])) << 8);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += '=';
    }
    return out;
}

/// `wamid.` + base64 of `1C 18 <len> <remote> 15 <zigzag i32> 00 12|11 18 <len> <id> 00` (§A.12).
inline std::string wamid(std::string_view remote, std::string_view id, bool from_me = false)
{
    std::string b;
    b += '\x1C';
    b += '\x18';
    b += static_cast<char>(remote.size());
    b += remote;
    b += '\x15';
    b += '\x02';
    b += '\x00';
    b += from_me ? '\x11' : '\x12';
    b += '\x18';
    b += static_cast<char>(id.size());
    b += id;
    b += '\x00';
    return "wamid." + base64(b);
}

inline json metadata()
{
    return {{"display_phone_number", std::string(kBusiness)},
            {"phone_number_id", std::string(kPhoneNumberId)}};
}

inline json contact(std::string_view wa_id, std::string_view name, std::string_view bsuid = {})
{
    json c = {{"profile", {{"name", std::string(name)}}}};
    if (!wa_id.empty())
        c["wa_id"] = std::string(wa_id);
    if (!bsuid.empty())
        c["user_id"] = std::string(bsuid);
    return c;
}

/// An inbound message: `type` and its sibling object.
inline json message(std::string_view type, json payload, std::string_view id,
                    std::string_view ts = "1767261600", std::string_view from = kErika)
{
    json m = {{"id", std::string(id)}, {"timestamp", std::string(ts)}, {"type", std::string(type)}};
    if (!from.empty())
        m["from"] = std::string(from);
    if (!payload.is_null())
        m[std::string(type)] = std::move(payload);
    return m;
}

/// The whole POST body around one change.
inline std::string envelope(json value, std::string_view field = "messages")
{
    value["messaging_product"] = "whatsapp";
    if (!value.contains("metadata"))
        value["metadata"] = metadata();
    json body = {{"object", "whatsapp_business_account"},
                 {"entry", json::array({{{"id", "102938475610293"},
                                         {"changes", json::array({{{"field", std::string(field)},
                                                                   {"value", std::move(value)}}})}}})}};
    return body.dump();
}

/// Inbound messages from Erika (with her contacts[] entry).
inline std::string inbound(json messages,
                           json contacts = json::array({contact(kErika, "Erika Muster", kErikaBsuid)}))
{
    return envelope({{"contacts", std::move(contacts)}, {"messages", std::move(messages)}});
}

}  // namespace cv::cloud_api::test

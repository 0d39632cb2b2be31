// Fuzz target for the Cloud API webhook: arbitrary bytes as a POST body through
// parse_notification, then (as one delivery, and as the same delivery twice) through
// WebhookSource, drained. Invariants: no crash; a parse error names a JSON path or says the
// body is not JSON; every item's conversation index is in range; a second delivery of the same
// body adds no item (at-least-once deliveries are idempotent); media attachments carry
// "media:" locators or none; the signature check never accepts a made-up header.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sources/cloud_api/cloud_api.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::size_t drain(cv::cloud_api::WebhookSource& source)
{
    cv::Item item;
    std::size_t conversation = 0;
    std::size_t n = 0;
    for (;;) {
        auto more = source.next(item, conversation);
        if (!more)
            std::abort();  // the source never fails: bad bodies are warnings
        if (!*more)
            return n;
        if (conversation >= source.conversations().size())
            std::abort();
        for (const auto& a : item.attachments) {
            if (!a.inline_data && !a.locator.empty() && !a.locator.starts_with("media:"))
                std::abort();
            if (a.inline_data && !source.open_attachment(a))
                std::abort();
        }
        ++n;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace cv::cloud_api;
    const std::string body(reinterpret_cast<const char*>(data), size);
    auto n = parse_notification(body);
    if (!n && n.error().message().empty())
        std::abort();
    if (n)
        (void)n->media_ids();
    (void)decode_wamid(body);
    (void)key_id_for_wamid(body);
    if (verify_signature("secret", body, "sha256=" + std::string(64, '0')))
        std::abort();

    MediaOpener none = [](std::string_view) -> cv::Result<std::unique_ptr<cv::ByteSource>> {
        return cv::fail(cv::ErrorCode::NotFound, "not stored");
    };
    auto once = WebhookSource::create({{body, 1767300000}}, none);
    const std::size_t items = drain(*once);
    auto twice = WebhookSource::create({{body, 1767300000}, {body, 1767300001}}, none);
    if (drain(*twice) != items)
        std::abort();
    return 0;
}

#pragma once
/// Renderer's state, shared with DailyTranscript (which renders with the same identity,
/// content sniffer and media). Internal to src/render.

#include <optional>
#include <string>
#include <vector>

#include "render/detail/content_type.hpp"
#include "render/detail/identity.hpp"
#include "render/detail/mime.hpp"
#include "render/render.hpp"

namespace cv::render {

struct Renderer::Impl {
    using Mailbox = detail::Mailbox;

    Conversation conversation;
    Options options;
    const MediaOpener* media = nullptr;
    detail::ContentSniffer sniffer;
    detail::Identity identity;
    detail::MessageIds ids;
    std::optional<AttachmentProblem> failed;

    Impl(Conversation c, Options o, const MediaOpener* m, detail::ContentSniffer s)
        : conversation(std::move(c)), options(std::move(o)), media(m), sniffer(std::move(s)),
          identity(conversation, options.domain), ids(identity)
    {
        build_header_cache();
    }

    // Header lines that only depend on the conversation, built once: a chat has thousands
    // of items and a handful of people.
    std::vector<std::string> from_headers;  ///< "From:" per member
    std::vector<std::string> to_headers;    ///< "To:" per sender member; the last for "no member"
    std::string system_from_header;         ///< "From:" the chat itself
    std::string conversation_headers;       ///< Thread-Topic, X-WhatsApp-Source and the chat's X- headers

    void build_header_cache();
    std::string sender_name(const Item& item) const;
    /// The other party of a 1:1 chat as seen from the sender; the chat title otherwise.
    std::string peer_name(const Item& item) const;
    /// Index of the sending member, or members.size() when the sender is not a member.
    std::size_t sender_slot(const Item& item) const;
};

}  // namespace cv::render

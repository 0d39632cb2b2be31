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
        : conversation(std::move(c)),
          options(std::move(o)),
          media(m),
          sniffer(std::move(s)),
          identity(conversation, options.domain),
          ids(identity)
    {
    }

    std::string sender_name(const Item& item) const
    {
        if (const Person* p = identity.sender(item))
            return p->name;
        if (item.kind == ItemKind::System)
            return conversation.title;
        return item.author.value_or(conversation.title);
    }

    // The other party of a 1:1 chat as seen from the sender; the chat title otherwise.
    std::string peer_name(const Item& item) const
    {
        if (conversation.group || conversation.members.size() != 2)
            return conversation.title;
        const Person* sender = identity.sender(item);
        for (const auto& m : conversation.members)
            if (&m != sender)
                return m.name;
        return conversation.title;
    }

    std::vector<Mailbox> recipients(const Person* sender) const
    {
        std::vector<Mailbox> to;
        for (const auto& m : conversation.members)
            if (&m != sender)
                to.push_back(identity.mailbox(m));
        if (to.empty() && conversation.group)
            to.push_back(identity.conversation_mailbox());
        return to;
    }

    /// Source, kind, conversation and WhatsApp id headers.
    void append_common_headers(std::string& h, const Item& item) const;
};

}  // namespace cv::render

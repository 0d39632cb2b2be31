#include <fmt/format.h>

#include "core/digest.hpp"
#include "render/detail/assemble.hpp"
#include "render/detail/body.hpp"
#include "render/detail/content_type.hpp"
#include "render/detail/identity.hpp"
#include "render/detail/mime.hpp"
#include "render/detail/renderer_impl.hpp"
#include "render/render.hpp"

namespace cv::render {

using namespace detail;

namespace {

// Offset of the wall clock from UTC, when it is a whole number of minutes (RFC 5322 cannot
// say more; local mean times before 1900 are shown in UTC instead).
std::int32_t utc_offset(const Item& item)
{
    const std::int64_t offset = as_if_utc(item.wall_clock) - item.utc;
    if (offset % 60 != 0 || offset <= -100 * 3600 || offset >= 100 * 3600)
        return 0;
    return static_cast<std::int32_t>(offset);
}

std::string yes_no(bool b)
{
    return b ? "yes" : "no";
}

}  // namespace

void Renderer::Impl::build_header_cache()
{
    const auto& members = conversation.members;
    for (std::size_t i = 0; i <= members.size(); ++i) {
        std::vector<Mailbox> to;
        for (std::size_t k = 0; k < members.size(); ++k)
            if (k != i)
                to.push_back(identity.mailbox(members[k]));
        if (to.empty() && conversation.group)
            to.push_back(identity.conversation_mailbox());
        std::string h;
        if (!to.empty())
            append_address_header(h, "To", to);
        to_headers.push_back(std::move(h));
        if (i < members.size()) {
            const Mailbox from = identity.mailbox(members[i]);
            std::string f;
            append_address_header(f, "From", std::span(&from, 1));
            from_headers.push_back(std::move(f));
        }
    }
    const Mailbox chat = identity.conversation_mailbox();
    append_address_header(system_from_header, "From", std::span(&chat, 1));

    std::string& h = conversation_headers;
    append_text_header(h, "Thread-Topic", "WhatsApp - " + conversation.title);
    append_raw_header(h, "X-WhatsApp-Source", to_string(options.source));
    append_raw_header(h, "X-WhatsApp-Conversation", identity.conversation_hash());
    append_text_header(h, "X-WhatsApp-Chat", conversation.title);
    if (conversation.group)
        append_address_header(h, "X-WhatsApp-Group", std::span(&chat, 1));
    if (conversation.jid)
        append_text_header(h, "X-WhatsApp-Chat-JID", *conversation.jid);
}

std::size_t Renderer::Impl::sender_slot(const Item& item) const
{
    const Person* p = identity.sender(item);
    return p ? static_cast<std::size_t>(p - conversation.members.data()) : conversation.members.size();
}

std::string Renderer::Impl::sender_name(const Item& item) const
{
    if (const Person* p = identity.sender(item))
        return p->name;
    if (item.kind == ItemKind::System)
        return conversation.title;
    return item.author.value_or(conversation.title);
}

std::string Renderer::Impl::peer_name(const Item& item) const
{
    if (conversation.group || conversation.members.size() != 2)
        return conversation.title;
    const Person* sender = identity.sender(item);
    for (const auto& m : conversation.members)
        if (&m != sender)
            return m.name;
    return conversation.title;
}

Renderer::Renderer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Renderer::Renderer(Renderer&&) noexcept = default;
Renderer& Renderer::operator=(Renderer&&) noexcept = default;
Renderer::~Renderer() = default;

Result<Renderer> Renderer::create(Conversation conversation, Options options, const MediaOpener* media)
{
    if (!options.domain.ends_with(".invalid") || options.domain.size() <= 8)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("render domain '{}' must end in \".invalid\": made-up addresses for unmapped "
                                "people must never be deliverable",
                                options.domain));
    CV_TRY(auto sniffer, ContentSniffer::open());
    return Renderer(
        std::make_unique<Impl>(std::move(conversation), std::move(options), media, std::move(sniffer)));
}

const std::optional<AttachmentProblem>& Renderer::failed_attachment() const
{
    return impl_->failed;
}

const Conversation& Renderer::conversation() const
{
    return impl_->conversation;
}

std::string Renderer::message_id(const Item& item)
{
    return impl_->ids.assign(item);
}

Result<Rendered> Renderer::render(const Item& item, ByteSink& out,
                                  std::span<const AttachmentProblem> unreadable)
{
    const std::string id = impl_->ids.assign(item);
    return render_as(item, id, out, unreadable);
}

Result<Rendered> Renderer::render_as(const Item& item, std::string_view message_id, ByteSink& out,
                                     std::span<const AttachmentProblem> unreadable)
{
    Impl& r = *impl_;
    Rendered result;
    result.message_id = message_id;

    std::vector<const Attachment*> list;
    for (const auto& a : item.attachments)
        list.push_back(&a);
    auto attachments = prepare_attachments(list, unreadable, r.media, r.sniffer);
    std::vector<AttachmentNote> notes;
    for (const auto& p : attachments) {
        notes.push_back(p.note);
        (p.note.state == AttachmentState::Attached ? result.attached : result.not_attached) += 1;
    }

    const std::size_t slot = r.sender_slot(item);
    const std::string sender_name = r.sender_name(item);
    result.subject = subject_line(item, r.conversation.title, r.peer_name(item));

    std::string h;
    h.reserve(2048);
    append_raw_header(h, "Message-ID", "<" + result.message_id + ">");
    append_raw_header(h, "Date", format_rfc5322_date(item.utc, utc_offset(item)));
    if (slot < r.from_headers.size()) {
        h += r.from_headers[slot];
    } else if (item.author && item.kind != ItemKind::System) {
        // A sender the conversation does not list (a caller that built it partially).
        const Mailbox from =
            r.identity.mailbox(Person{*item.author, phone_from_display_name(*item.author), {}, {}});
        append_address_header(h, "From", std::span(&from, 1));
    } else {
        h += r.system_from_header;
    }
    h += r.to_headers[slot];
    append_text_header(h, "Subject", result.subject);
    std::string references = "<" + r.identity.thread_root() + ">";
    if (item.quoted && item.quoted->key_id) {
        const std::string quoted_sender = item.quoted->sender_id.value_or("");
        const std::string quoted_id =
            "<" + r.identity.message_id_for_key(*item.quoted->key_id, quoted_sender, false) + ">";
        append_raw_header(h, "In-Reply-To", quoted_id);
        references += "\r\n " + quoted_id;
    }
    append_raw_header(h, "References", references);
    h += r.conversation_headers;
    append_raw_header(h, "X-WhatsApp-Kind", to_string(item.kind));
    if (item.key_id)
        append_text_header(h, "X-WhatsApp-Message-Key", *item.key_id);
    if (item.sender_id)
        append_text_header(h, "X-WhatsApp-Sender", *item.sender_id);
    append_raw_header(h, "X-WhatsApp-Deleted", yes_no(item.deleted));
    append_raw_header(h, "X-WhatsApp-Edited", yes_no(item.edited));
    if (item.forwarded)
        append_raw_header(h, "X-WhatsApp-Forwarded", "yes");
    if (item.call) {
        std::string call =
            fmt::format("{}; result={}", to_string(item.call->media), to_string(item.call->result));
        if (item.call->outgoing)
            call += *item.call->outgoing ? "; direction=outgoing" : "; direction=incoming";
        if (item.call->duration_seconds)
            call += fmt::format("; duration={}", *item.call->duration_seconds);
        append_raw_header(h, "X-WhatsApp-Call", call);
    }
    if (item.location && !item.location->url.empty())
        append_text_header(h, "X-WhatsApp-Location", item.location->url);
    append_text_header(h, "X-WhatsApp-Time-Zone", r.options.time_zone);
    if (!item.wall_clock_text.empty())
        append_text_header(h, "X-WhatsApp-Wall-Clock", item.wall_clock_text);
    if (item.dst != DstResolution::Unique)
        append_raw_header(h, "X-WhatsApp-DST", to_string(item.dst));
    if (item.line > 0)
        append_raw_header(h, "X-WhatsApp-Source-Line", std::to_string(item.line));
    append_attachment_state_headers(h, attachments);

    const ItemView view{item, sender_name, notes};
    const std::string plain = plain_body(view);
    std::string bubble;
    append_html_bubble(bubble, view, format_iso(item.wall_clock).replace(10, 1, " "));
    const std::string html = html_document(result.subject, r.conversation.title, bubble);

    const auto digest = sha256(result.message_id);
    CV_TRY(result.bytes, write_email(out, h, to_hex(std::span<const std::uint8_t>(digest.data(), 8)), plain,
                                     html, attachments, r.failed));
    return result;
}

}  // namespace cv::render

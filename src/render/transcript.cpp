#include <map>

#include <fmt/format.h>

#include "core/digest.hpp"
#include "render/detail/assemble.hpp"
#include "render/detail/body.hpp"
#include "render/detail/identity.hpp"
#include "render/detail/mime.hpp"
#include "render/detail/renderer_impl.hpp"
#include "render/render.hpp"

namespace cv::render {

using namespace detail;

namespace {

std::string day_of(const Item& item)
{
    return format_iso(item.wall_clock).substr(0, 10);
}

std::string time_of(const Item& item)
{
    return format_iso(item.wall_clock).substr(11, 8);
}

}  // namespace

struct DailyTranscript::Impl {
    Renderer renderer;  // shares identity, sniffer and media with single-item rendering
    std::vector<Item> items;
    std::string day;
    std::map<std::string, unsigned> emitted;  // a day can recur when the phone's clock jumped back
    std::optional<AttachmentProblem> failed;
};

DailyTranscript::DailyTranscript(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DailyTranscript::DailyTranscript(DailyTranscript&&) noexcept = default;
DailyTranscript& DailyTranscript::operator=(DailyTranscript&&) noexcept = default;
DailyTranscript::~DailyTranscript() = default;

Result<DailyTranscript> DailyTranscript::create(Conversation conversation, Options options,
                                                const MediaOpener* media)
{
    CV_TRY(auto renderer, Renderer::create(std::move(conversation), std::move(options), media));
    return DailyTranscript(std::make_unique<Impl>(Impl{std::move(renderer), {}, {}, {}, {}}));
}

bool DailyTranscript::empty() const
{
    return impl_->items.empty();
}

const std::string& DailyTranscript::day() const
{
    return impl_->day;
}

bool DailyTranscript::starts_new_day(const Item& item) const
{
    return !impl_->items.empty() && day_of(item) != impl_->day;
}

void DailyTranscript::add(const Item& item)
{
    if (impl_->items.empty())
        impl_->day = day_of(item);
    impl_->items.push_back(item);
}

const std::optional<AttachmentProblem>& DailyTranscript::failed_attachment() const
{
    return impl_->failed;
}

Result<Rendered> DailyTranscript::render_day(ByteSink& out, std::span<const AttachmentProblem> unreadable)
{
    if (impl_->items.empty())
        return fail(ErrorCode::InvalidArgument, "no items collected for a transcript");
    Renderer::Impl& r = *impl_->renderer.impl_;
    const auto& items = impl_->items;
    const Item& first = items.front();

    std::vector<const Attachment*> list;
    for (const auto& item : items)
        for (const auto& a : item.attachments)
            list.push_back(&a);
    auto attachments = prepare_attachments(list, unreadable, r.media, r.sniffer);

    Rendered result;
    // Only count a day as emitted once it succeeded, so a retry gets the same id.
    const unsigned occurrence = impl_->emitted.contains(impl_->day) ? impl_->emitted[impl_->day] + 1 : 1;
    result.message_id = occurrence == 1 ? fmt::format("wa-day.{}.{}@{}", r.identity.conversation_hash(),
                                                      impl_->day, r.identity.domain())
                                        : fmt::format("wa-day.{}.{}.{}@{}", r.identity.conversation_hash(),
                                                      impl_->day, occurrence, r.identity.domain());
    result.subject = fmt::format("WhatsApp transcript - {} - {} ({} item{})", r.conversation.title,
                                 impl_->day, items.size(), items.size() == 1 ? "" : "s");

    std::string h;
    append_raw_header(h, "Message-ID", "<" + result.message_id + ">");
    const std::int64_t offset = as_if_utc(first.wall_clock) - first.utc;
    append_raw_header(
        h, "Date", format_rfc5322_date(first.utc, offset % 60 == 0 ? static_cast<std::int32_t>(offset) : 0));
    const Mailbox from = r.identity.conversation_mailbox();
    append_address_header(h, "From", std::span(&from, 1));
    std::vector<Mailbox> to;
    for (const auto& m : r.conversation.members)
        to.push_back(r.identity.mailbox(m));
    if (!to.empty())
        append_address_header(h, "To", to);
    append_text_header(h, "Subject", result.subject);
    append_raw_header(h, "References", "<" + r.identity.thread_root() + ">");
    append_text_header(h, "Thread-Topic", "WhatsApp - " + r.conversation.title);
    append_raw_header(h, "X-WhatsApp-Source", to_string(r.options.source));
    append_raw_header(h, "X-WhatsApp-Kind", "transcript");
    append_raw_header(h, "X-WhatsApp-Conversation", r.identity.conversation_hash());
    append_text_header(h, "X-WhatsApp-Chat", r.conversation.title);
    if (r.conversation.group) {
        const Mailbox group = r.identity.conversation_mailbox();
        append_address_header(h, "X-WhatsApp-Group", std::span(&group, 1));
    }
    append_raw_header(h, "X-WhatsApp-Transcript-Day", impl_->day);
    append_raw_header(h, "X-WhatsApp-Items", std::to_string(items.size()));
    append_text_header(h, "X-WhatsApp-Time-Zone", r.options.time_zone);
    if (first.line > 0)
        append_raw_header(h, "X-WhatsApp-Source-Line", fmt::format("{}-{}", first.line, items.back().line));
    append_attachment_state_headers(h, attachments);

    std::string plain;
    std::string bubbles;
    std::size_t next_attachment = 0;
    for (const auto& item : items) {
        std::vector<AttachmentNote> notes;
        for (std::size_t k = 0; k < item.attachments.size(); ++k, ++next_attachment) {
            const auto& note = attachments[next_attachment].note;
            (note.state == AttachmentState::Attached ? result.attached : result.not_attached) += 1;
            notes.push_back(note);
        }
        const std::string sender = r.sender_name(item);
        const ItemView view{item, sender, notes};
        plain += fmt::format("[{}] {}:\n", time_of(item), sender);
        plain += plain_body(view);
        plain += '\n';
        append_html_bubble(bubbles, view, time_of(item).substr(0, 5));
    }
    const std::string html =
        html_document(result.subject, fmt::format("{} - {}", r.conversation.title, impl_->day), bubbles);

    const auto digest = sha256(result.message_id);
    CV_TRY(result.bytes, write_email(out, h, to_hex(std::span<const std::uint8_t>(digest.data(), 8)), plain,
                                     html, attachments, impl_->failed));
    impl_->emitted[impl_->day] = occurrence;
    impl_->items.clear();
    impl_->day.clear();
    return result;
}

}  // namespace cv::render

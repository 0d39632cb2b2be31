#include "render/detail/assemble.hpp"

#include <fmt/format.h>

#include "render/detail/mime.hpp"

namespace cv::render::detail {

namespace {

Result<std::string> read_head(ByteSource& source)
{
    std::string head(ContentSniffer::kSniffBytes, '\0');
    std::size_t fill = 0;
    while (fill < head.size()) {
        CV_TRY(const std::size_t n, source.read(std::span<char>(head.data() + fill, head.size() - fill)));
        if (n == 0)
            break;
        fill += n;
    }
    head.resize(fill);
    return head;
}

std::string default_name(const Attachment& a)
{
    if (!a.name.empty())
        return a.name;
    return a.type == MediaType::Contact ? "contact.vcf" : "attachment";
}

class CountingWriter {
public:
    explicit CountingWriter(ByteSink& out) : out_(out) {}
    Result<void> write(std::string_view s)
    {
        bytes_ += s.size();
        return out_.write(s);
    }
    std::uint64_t bytes() const { return bytes_; }
    ByteSink& sink() { return out_; }
    void add(std::uint64_t n) { bytes_ += n; }

private:
    ByteSink& out_;
    std::uint64_t bytes_ = 0;
};

// Counts what stream_base64 writes through it.
class CountingSink final : public ByteSink {
public:
    explicit CountingSink(ByteSink& out) : out_(out) {}
    Result<void> write(std::string_view bytes) override
    {
        bytes_ += bytes.size();
        return out_.write(bytes);
    }
    std::uint64_t bytes() const { return bytes_; }

private:
    ByteSink& out_;
    std::uint64_t bytes_ = 0;
};

void append_text_part(std::string& out, std::string_view subtype, std::string_view text)
{
    out += "Content-Type: text/";
    out += subtype;
    out += "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
    append_quoted_printable(out, text);
    out += kCrlf;  // taken by the boundary that follows
}

}  // namespace

std::vector<PreparedAttachment> prepare_attachments(std::span<const Attachment* const> attachments,
                                                    std::span<const AttachmentProblem> unreadable,
                                                    const MediaOpener* media, const ContentSniffer& sniffer)
{
    std::vector<PreparedAttachment> out;
    out.reserve(attachments.size());
    for (std::size_t i = 0; i < attachments.size(); ++i) {
        const Attachment& a = *attachments[i];
        PreparedAttachment p;
        p.note.attachment = &a;
        p.note.file_name = default_name(a);
        const auto problem = std::find_if(unreadable.begin(), unreadable.end(),
                                          [&](const AttachmentProblem& u) { return u.index == i; });
        auto unreadable_because = [&](std::string reason) {
            p.note.state = AttachmentState::Unreadable;
            p.note.reason = std::move(reason);
            p.stream.reset();
        };
        if (problem != unreadable.end()) {
            unreadable_because(problem->reason);
        } else if (a.inline_data) {
            p.stream = std::make_unique<StringSource>(*a.inline_data);
            p.note.state = AttachmentState::Attached;
        } else if (a.present && media) {
            auto stream = media->open(a);
            if (stream) {
                p.stream = std::move(*stream);
                p.note.state = AttachmentState::Attached;
            } else {
                unreadable_because(stream.error().message());
            }
        } else if (a.present) {
            unreadable_because("no media source was given");
        } else {
            p.note.state = a.omitted ? AttachmentState::Omitted : AttachmentState::Missing;
        }
        if (p.stream) {
            auto head = read_head(*p.stream);
            if (head) {
                p.head = std::move(*head);
                p.note.content_type = sniffer.sniff(p.head, p.note.file_name, a.mime_type);
            } else {
                unreadable_because(head.error().message());
            }
        }
        out.push_back(std::move(p));
    }
    return out;
}

void append_attachment_state_headers(std::string& headers, std::span<const PreparedAttachment> attachments)
{
    for (const auto& p : attachments) {
        const Attachment& a = *p.note.attachment;
        switch (p.note.state) {
        case AttachmentState::Attached: break;
        case AttachmentState::Missing:
            append_text_header(headers, "X-WhatsApp-Attachment-Missing", a.name);
            break;
        case AttachmentState::Omitted:
            append_text_header(headers, "X-WhatsApp-Attachment-Omitted",
                               a.name.empty() ? fmt::format("{} media", to_string(a.type)) : a.name);
            break;
        case AttachmentState::Unreadable:
            append_text_header(headers, "X-WhatsApp-Attachment-Unreadable",
                               fmt::format("{}; {}", a.name, p.note.reason));
            break;
        }
    }
}

Result<std::uint64_t> write_email(ByteSink& out, const std::string& headers, std::string_view boundary_seed,
                                  std::string_view plain, std::string_view html,
                                  std::vector<PreparedAttachment>& attachments,
                                  std::optional<AttachmentProblem>& failed)
{
    failed.reset();
    CountingWriter w(out);
    // "=_" cannot occur in quoted-printable or base64 output, so no part can hold the boundary.
    const std::string alternative = fmt::format("=_cv.{}.alt", boundary_seed);
    const std::string mixed = fmt::format("=_cv.{}.mix", boundary_seed);
    const bool with_parts = std::any_of(attachments.begin(), attachments.end(), [](const auto& p) {
        return p.note.state == AttachmentState::Attached;
    });

    // The headers as they are, then the body structure built in a buffer this thread keeps
    // (its capacity stays: no allocation and no copy of the headers per email).
    CV_TRY_VOID(w.write(headers));
    thread_local std::string block;
    block.clear();
    block += "MIME-Version: 1.0\r\n";
    if (with_parts)
        block += fmt::format("Content-Type: multipart/mixed; boundary=\"{}\"\r\n\r\n--{}\r\n", mixed, mixed);
    block += fmt::format("Content-Type: multipart/alternative; boundary=\"{}\"\r\n\r\n", alternative);
    block += fmt::format("--{}\r\n", alternative);
    append_text_part(block, "plain", plain);
    block += fmt::format("--{}\r\n", alternative);
    append_text_part(block, "html", html);
    block += fmt::format("--{}--\r\n", alternative);
    CV_TRY_VOID(w.write(block));

    for (std::size_t i = 0; i < attachments.size(); ++i) {
        PreparedAttachment& p = attachments[i];
        if (p.note.state != AttachmentState::Attached)
            continue;
        std::string part = fmt::format("--{}\r\nContent-Type: {}", mixed, p.note.content_type);
        std::size_t col = part.size() - part.rfind('\n') - 1;
        append_parameter(part, col, "name", p.note.file_name);
        part += "\r\nContent-Disposition: attachment";
        col = std::string_view("Content-Disposition: attachment").size();
        append_parameter(part, col, "filename", p.note.file_name);
        if (p.note.attachment->size)
            append_parameter(part, col, "size", std::to_string(*p.note.attachment->size));
        part += "\r\nContent-Transfer-Encoding: base64\r\n\r\n";
        CV_TRY_VOID(w.write(part));
        CountingSink counted(out);
        auto streamed = stream_base64(p.head, *p.stream, counted);
        w.add(counted.bytes());
        if (!streamed) {
            failed = AttachmentProblem{i, streamed.error().message()};
            return tl::unexpected(std::move(streamed).error().with_context(
                fmt::format("attachment {} failed while being copied", p.note.file_name)));
        }
        p.stream.reset();  // close the file or zip entry as soon as it is copied
    }
    if (with_parts)
        CV_TRY_VOID(w.write(fmt::format("--{}--\r\n", mixed)));
    return w.bytes();
}

}  // namespace cv::render::detail

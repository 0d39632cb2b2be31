#pragma once
/// Item → RFC 5322 / MIME email, streamed (whatsapp-sources.md §E). One email per item, or
/// one per conversation-day (daily transcript). Rendering is deterministic: the same item in
/// the same conversation always gives the same bytes, so re-imports and a second source of
/// the same message produce the same Message-ID on purpose.
///
/// Shape of every email: multipart/alternative (text/plain + a text/html chat bubble), inside
/// multipart/mixed when attachments travel with it. Attachment bytes are streamed from the
/// source as base64: memory stays bounded whatever their size.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/byte_sink.hpp"
#include "core/byte_source.hpp"
#include "core/result.hpp"
#include "model/conversation.hpp"
#include "model/item.hpp"

namespace cv::render {

/// Opens an attachment's bytes; the source knows where they are (a zip entry, a file in a
/// media folder). Only called for attachments marked present.
class MediaOpener {
public:
    virtual ~MediaOpener() = default;
    virtual Result<std::unique_ptr<ByteSource>> open(const Attachment& attachment) const = 0;
};

struct Options {
    SourceKind source = SourceKind::ChatExport;
    /// The IANA zone the wall-clock times are in; recorded in a header.
    std::string time_zone = "UTC";
    /// Domain of generated addresses and Message-IDs. Must end in ".invalid" (RFC 2606), so
    /// that no address made up for an unmapped person can ever receive mail.
    std::string domain = "whatsapp.invalid";
};

/// An attachment to state as unreadable instead of attaching (see Renderer::render).
struct AttachmentProblem {
    std::size_t index = 0;  ///< into Item::attachments
    std::string reason;
};

/// What a render produced, for the caller's bookkeeping (archive, summaries).
struct Rendered {
    std::string message_id;  ///< without angle brackets
    std::string subject;
    std::uint64_t bytes = 0;
    std::size_t attached = 0;      ///< attachments whose bytes travel in the email
    std::size_t not_attached = 0;  ///< named but missing, omitted or unreadable
};

class Renderer {
public:
    /// Errors: InvalidArgument (a domain that is not ".invalid"), Internal (no libmagic
    /// database). `media` may be null when no attachment is present (then none is attached).
    static Result<Renderer> create(Conversation conversation, Options options, const MediaOpener* media);
    Renderer(Renderer&&) noexcept;
    Renderer& operator=(Renderer&&) noexcept;
    ~Renderer();

    /// Renders one item to `out`. Call in item order: Message-IDs of identical export lines
    /// within one minute are numbered in order. Attachments that cannot be opened are stated
    /// as unreadable. If an attachment fails midway through its bytes, render() fails
    /// (what was written is incomplete: discard it) and failed_attachment() says which; call
    /// again with it in `unreadable` to get a complete email without it.
    Result<Rendered> render(const Item& item, ByteSink& out,
                            std::span<const AttachmentProblem> unreadable = {});

    /// The Message-ID render() will give `item` (without angle brackets), without rendering:
    /// lets an importer skip items it already holds. Same ordering rule as render().
    std::string message_id(const Item& item);

    /// Renders an item with a Message-ID assigned earlier (an archived item rendered again,
    /// outside the order of its original import).
    Result<Rendered> render_as(const Item& item, std::string_view message_id, ByteSink& out,
                               std::span<const AttachmentProblem> unreadable = {});

    /// The attachment whose bytes failed during the last render(), if that was the cause.
    const std::optional<AttachmentProblem>& failed_attachment() const;

    const Conversation& conversation() const;

private:
    friend class DailyTranscript;
    struct Impl;
    explicit Renderer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

/// All of one conversation's items of one day (the wall-clock date) in a single email, for
/// reviewers who prefer to read a chat that way. Feed items in order; when starts_new_day()
/// says so, render_day() the collected day first. Keeps one day's text in memory; attachment
/// bytes are streamed when the day is rendered.
class DailyTranscript {
public:
    static Result<DailyTranscript> create(Conversation conversation, Options options,
                                          const MediaOpener* media);
    DailyTranscript(DailyTranscript&&) noexcept;
    DailyTranscript& operator=(DailyTranscript&&) noexcept;
    ~DailyTranscript();

    bool empty() const;
    /// "YYYY-MM-DD" of the collected day (empty when nothing is collected).
    const std::string& day() const;
    bool starts_new_day(const Item& item) const;
    void add(const Item& item);
    /// Renders the collected day and forgets it. Failure semantics as Renderer::render.
    Result<Rendered> render_day(ByteSink& out, std::span<const AttachmentProblem> unreadable = {});
    const std::optional<AttachmentProblem>& failed_attachment() const;

private:
    struct Impl;
    explicit DailyTranscript(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace cv::render

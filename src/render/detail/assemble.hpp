#pragma once
/// The MIME structure shared by single-item emails and daily transcripts: attachments are
/// opened and sniffed before anything is written (so one that cannot be opened is stated,
/// not attached), then headers, the text/plain + text/html alternative and the attachment
/// parts are written in one pass.

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/byte_sink.hpp"
#include "core/byte_source.hpp"
#include "render/detail/body.hpp"
#include "render/detail/content_type.hpp"
#include "render/render.hpp"

namespace cv::render::detail {

struct PreparedAttachment {
    AttachmentNote note;
    std::unique_ptr<ByteSource> stream;  ///< positioned after `head`
    std::string head;                    ///< the first bytes, read for sniffing
};

/// Decides each attachment's fate and opens the ones that travel. `unreadable` overrides
/// (by index into `attachments`).
std::vector<PreparedAttachment> prepare_attachments(std::span<const Attachment* const> attachments,
                                                    std::span<const AttachmentProblem> unreadable,
                                                    const MediaOpener* media, const ContentSniffer& sniffer);

/// Header lines for attachments that do not travel (missing, omitted, unreadable).
void append_attachment_state_headers(std::string& headers, std::span<const PreparedAttachment> attachments);

/// Writes the email: `headers` (every header but MIME-Version and Content-*), then the body
/// structure. `boundary_seed` is hex that makes the boundaries (derived from the Message-ID,
/// so deterministic). On a failure while streaming attachment i, sets `failed`.
Result<std::uint64_t> write_email(ByteSink& out, const std::string& headers, std::string_view boundary_seed,
                                  std::string_view plain, std::string_view html,
                                  std::vector<PreparedAttachment>& attachments,
                                  std::optional<AttachmentProblem>& failed);

}  // namespace cv::render::detail

#pragma once
/// An attachment's Content-Type from its bytes (libmagic; nothing outside content_type.cpp
/// sees it), falling back to the file name's extension only when the bytes say nothing more
/// specific than "binary" or "text". A renamed file is labelled by what it is.

#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace cv::render::detail {

class ContentSniffer {
public:
    /// How many leading bytes sniff() wants to see; more are ignored.
    static constexpr std::size_t kSniffBytes = 64 * 1024;

    /// Loads the magic database once (tens of milliseconds). Errors: Internal when the
    /// system's magic database is missing.
    static Result<ContentSniffer> open();
    ContentSniffer(ContentSniffer&&) noexcept;
    ContentSniffer& operator=(ContentSniffer&&) noexcept;
    ~ContentSniffer();

    /// "image/jpeg", … Never empty: "application/octet-stream" when nothing is known.
    /// `recorded` is what the source says (phone databases), used like the extension.
    std::string sniff(std::string_view head, std::string_view file_name,
                      std::string_view recorded = {}) const;

private:
    struct Impl;
    explicit ContentSniffer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

/// The MIME type WhatsApp's own file names imply ("PTT-….opus" → "audio/ogg"); empty when
/// the extension is unknown.
std::string_view type_from_extension(std::string_view file_name);

}  // namespace cv::render::detail

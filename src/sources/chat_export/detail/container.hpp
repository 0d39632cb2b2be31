#pragma once
/// Where an export's chat text and media live: a lone .txt (media, if any, beside it), a .zip,
/// or an unpacked folder. Owns the libzip adapter; nothing outside this file sees libzip.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_source.hpp"
#include "core/result.hpp"

namespace cv::chat_export::detail {

/// Inflating past this ratio cannot be a real export: deflate's own ceiling is about 1032:1,
/// so only a crafted "zip bomb" gets near it.
inline constexpr std::uint64_t kMaxCompressionRatio = 1000;

struct MediaLocation {
    std::string locator;  ///< zip entry name or file path
    std::optional<std::uint64_t> size;
};

class Container {
public:
    /// Opens `path` (file, zip or folder) and picks the chat text: `_chat.txt`, else a
    /// "WhatsApp Chat …" text, else the only .txt; `__MACOSX/` and "._" entries are noise.
    /// Errors: NotFound, Parse (damaged zip), Unsupported (encrypted zip), Io.
    static Result<std::unique_ptr<Container>> open(const std::filesystem::path& path);
    virtual ~Container() = default;

    /// Candidate chat texts in preference order (the reader keeps the first that holds
    /// headers). Never empty.
    virtual const std::vector<std::string>& chat_candidates() const = 0;

    /// A fresh stream over a candidate. Errors: Io, Unsupported (encrypted), LimitExceeded.
    virtual Result<std::unique_ptr<ByteSource>> open_text(const std::string& name) const = 0;

    /// A fresh stream over a media file found by find_media() (by its locator). Errors: as
    /// open_text.
    Result<std::unique_ptr<ByteSource>> open_media(const std::string& locator) const
    {
        return open_text(locator);
    }

    /// The export's file for an attachment name, when it is there.
    virtual std::optional<MediaLocation> find_media(std::string_view name) const = 0;

    /// "chat.zip:_chat.txt" or the path, for messages.
    virtual std::string describe(const std::string& text_name) const = 0;

    /// Things noticed while opening (unsafe entry names skipped, …).
    const std::vector<std::string>& notes() const { return notes_; }

protected:
    std::vector<std::string> notes_;
};

}  // namespace cv::chat_export::detail

#pragma once
/// Sequential byte streams the reader pulls the chat text from: a plain file, or one entry
/// of a zip archive (the libzip adapter lives in container.cpp).

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>

#include "core/result.hpp"

namespace cv::chat_export::detail {

class ByteSource {
public:
    virtual ~ByteSource() = default;
    /// Reads up to buf.size() bytes; 0 means the end. Errors: Io, Parse (corrupt data),
    /// LimitExceeded (an entry that inflates past its declared size).
    virtual Result<std::size_t> read(std::span<char> buf) = 0;
};

/// Opens a regular file for sequential reading. Errors: NotFound, Io.
Result<std::unique_ptr<ByteSource>> open_file_source(const std::filesystem::path& path);

}  // namespace cv::chat_export::detail

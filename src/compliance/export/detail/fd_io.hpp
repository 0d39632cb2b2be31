#pragma once
/// Writing to file descriptors, as the export's folder files and its zip both do: whole buffers
/// through EINTR, errors naming the file.

#include <filesystem>
#include <string_view>

#include "core/result.hpp"

namespace cv::compliance::exports::detail {

/// An Io error "WHAT PATH: strerror(err)".
Error io_error(std::string_view what, const std::filesystem::path& path, int err);

/// Writes all of `bytes` to `fd` (short writes and EINTR retried). Errors: Io naming `path`.
Result<void> write_all(int fd, std::string_view bytes, const std::filesystem::path& path);

}  // namespace cv::compliance::exports::detail

#pragma once
/// Packaging a finished export folder as a zip (libzip stays inside zip.cpp).

#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace cv::compliance::exports::detail {

/// Writes `zip` holding `files` (paths relative to `dir`, stored under the same names), each
/// streamed from its file while the archive is written (never whole in memory); zip64 where
/// sizes or the entry count need it. The zip appears whole or not at all: libzip writes a
/// temporary file beside it and renames it on success. Errors: Io (file and reason named).
Result<void> write_zip(const std::filesystem::path& dir, const std::vector<std::string>& files,
                       const std::filesystem::path& zip);

}  // namespace cv::compliance::exports::detail

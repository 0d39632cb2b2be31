#pragma once
/// Small decoders the webhook needs: base64 (wamids, media hashes) and the Thrift compact
/// struct inside a wamid.

#include <optional>
#include <string>
#include <string_view>

namespace cv::cloud_api::detail {

/// Standard or URL-safe base64, padding optional; nullopt on any other character or a
/// length that cannot be base64.
std::optional<std::string> base64_decode(std::string_view in);

/// Lower-case hex of bytes.
std::string hex(std::string_view bytes);

/// The 32 raw bytes a media `sha256` names, written as 64 hex digits or as base64; nullopt
/// when it is neither.
std::optional<std::string> sha256_bytes(std::string_view written);

}  // namespace cv::cloud_api::detail

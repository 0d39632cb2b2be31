#pragma once
/// The libcurl adapter of http-pull: GET into memory or into a file, with basic or bearer auth.
/// Nothing of libcurl is visible here. Error messages name the URL without its query string
/// (a pre-signed URL carries a token there) and never a credential.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace cv::connector::detail {

struct HttpAuth {
    std::string scheme;  ///< "none", "basic", "bearer"
    std::string username;
    std::string secret;  ///< password or token
};

/// The body of a GET of `url`, at most `limit` bytes. Errors: Refused (401, 403), NotFound (404,
/// 410), Unavailable (connection, timeout, 5xx, other statuses), LimitExceeded.
Result<std::string> http_get(const std::string& url, const HttpAuth& auth, std::size_t limit);

/// GETs `url` into the file `to` (created or truncated); returns the bytes written. A transfer
/// slower than 1 KB/s for a minute is given up. Errors: as http_get, Io.
Result<std::uint64_t> http_download(const std::string& url, const HttpAuth& auth,
                                    const std::filesystem::path& to);

/// `ref` resolved against `base` (an absolute http(s) URL): absolute URLs as they are, "/x"
/// on base's origin, anything else beside base's last path segment.
std::string resolve_url(std::string_view base, std::string_view ref);

/// "https://host:port" of an http(s) URL (scheme and authority, lower-cased).
std::string origin(std::string_view url);

/// The URL without its query string and fragment, for messages.
std::string redact(std::string_view url);

}  // namespace cv::connector::detail

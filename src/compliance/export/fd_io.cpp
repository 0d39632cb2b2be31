#include "compliance/export/detail/fd_io.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace cv::compliance::exports::detail {

Error io_error(std::string_view what, const std::filesystem::path& path, int err)
{
    return Error(ErrorCode::Io, fmt::format("{} {}: {}", what, path.string(), std::strerror(err)));
}

Result<void> write_all(int fd, std::string_view bytes, const std::filesystem::path& path)
{
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(io_error("write", path, errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

}  // namespace cv::compliance::exports::detail

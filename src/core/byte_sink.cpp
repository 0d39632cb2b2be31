#include "core/byte_sink.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

namespace cv {

namespace {

constexpr std::size_t kBufferBytes = 256 * 1024;

Error io_error(std::string_view what, const std::filesystem::path& path, int err)
{
    return Error(ErrorCode::Io, fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(err)));
}

}  // namespace

Result<std::unique_ptr<FileSink>> FileSink::create(const std::filesystem::path& path)
{
    auto temp = path;
    temp += ".partial";
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return fail(io_error("create", temp, errno));
    return std::unique_ptr<FileSink>(new FileSink(fd, path, std::move(temp)));
}

FileSink::FileSink(int fd, std::filesystem::path path, std::filesystem::path temp)
    : fd_(fd), path_(std::move(path)), temp_(std::move(temp))
{
    buffer_.reserve(kBufferBytes);
}

FileSink::~FileSink()
{
    if (fd_ >= 0)
        ::close(fd_);
    if (!committed_)
        ::unlink(temp_.c_str());
}

Result<void> FileSink::write(std::string_view bytes)
{
    bytes_ += bytes.size();
    if (buffer_.size() + bytes.size() > kBufferBytes) {
        CV_TRY_VOID(flush());
        if (bytes.size() >= kBufferBytes)
            return write_all(bytes);  // large pieces skip the copy into the buffer
    }
    buffer_.append(bytes);
    return {};
}

Result<void> FileSink::write_all(std::string_view bytes)
{
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(io_error("write", temp_, errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

Result<void> FileSink::flush()
{
    CV_TRY_VOID(write_all(buffer_));
    buffer_.clear();
    return {};
}

Result<void> FileSink::commit()
{
    CV_TRY_VOID(flush());
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0)
        return fail(io_error("write", temp_, errno));
    if (std::rename(temp_.c_str(), path_.c_str()) != 0)
        return fail(io_error("rename into place", path_, errno));
    committed_ = true;
    return {};
}

}  // namespace cv

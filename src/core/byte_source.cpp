#include "core/byte_source.hpp"

#include <algorithm>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

namespace cv {

namespace {

class FileSource final : public ByteSource {
public:
    explicit FileSource(int fd) : fd_(fd) {}
    ~FileSource() override { ::close(fd_); }
    FileSource(const FileSource&) = delete;
    FileSource& operator=(const FileSource&) = delete;

    Result<std::size_t> read(std::span<char> buf) override
    {
        for (;;) {
            const ssize_t n = ::read(fd_, buf.data(), buf.size());
            if (n >= 0)
                return static_cast<std::size_t>(n);
            if (errno != EINTR)
                return fail(ErrorCode::Io, fmt::format("read failed: {}", std::strerror(errno)));
        }
    }

private:
    int fd_;
};

}  // namespace

Result<std::size_t> StringSource::read(std::span<char> buf)
{
    const std::size_t n = std::min(buf.size(), data_.size() - pos_);
    std::memcpy(buf.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
}

Result<std::unique_ptr<ByteSource>> open_file_source(const std::filesystem::path& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        return fail(err == ENOENT ? ErrorCode::NotFound : ErrorCode::Io,
                    fmt::format("cannot open {}: {}", path.string(), std::strerror(err)));
    }
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return std::unique_ptr<ByteSource>(std::make_unique<FileSource>(fd));
}

}  // namespace cv

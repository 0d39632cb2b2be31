#include "compliance/export/detail/followed_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "compliance/export/detail/fd_io.hpp"

namespace cv::compliance::exports::detail {

namespace {

// How far the thread may fall behind before write() waits: enough to ride out a slow moment,
// bounded whatever the file's size.
constexpr std::size_t kMaxQueuedBytes = 8u << 20;
constexpr std::size_t kReadBytes = 1u << 20;

}  // namespace

Result<std::unique_ptr<FollowedFile>> FollowedFile::start(int fd, std::filesystem::path path,
                                                          std::uint64_t prefix, Follow follow)
{
    std::unique_ptr<FollowedFile> f(new FollowedFile());
    f->fd_ = fd;
    f->path_ = std::move(path);
    if (!follow.sha256 && !follow.zip_spill_dir)
        return f;
    if (follow.sha256)
        f->sha_.emplace();
    if (follow.zip_spill_dir) {
        CV_TRY(f->made_.zipped, Deflater::create(*follow.zip_spill_dir, Deflater::Mode::Deflate));
    }
    if (prefix > 0) {
        f->read_fd_ = ::open(f->path_.c_str(), O_RDONLY | O_CLOEXEC);
        if (f->read_fd_ < 0)
            return fail(io_error("open", f->path_, errno));
    }
    f->thread_ = std::thread([raw = f.get(), prefix] { raw->run(prefix); });
    return f;
}

FollowedFile::~FollowedFile()
{
    if (thread_.joinable()) {
        {
            std::lock_guard lock(mutex_);
            abandoned_ = true;
            queue_.clear();
        }
        changed_.notify_all();
        thread_.join();
    }
    if (read_fd_ >= 0)
        ::close(read_fd_);
}

Result<void> FollowedFile::take(std::string_view bytes)
{
    if (sha_)
        sha_->update(bytes);
    if (made_.zipped)
        return made_.zipped->write(bytes);
    return {};
}

void FollowedFile::run(std::uint64_t prefix)
{
    Result<void> r;
    if (prefix > 0) {
        std::string buf(kReadBytes, '\0');
        std::uint64_t at = 0;
        while (r && at < prefix && !abandoned_) {
            const ssize_t n =
                ::pread(read_fd_, buf.data(),
                        static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), prefix - at)),
                        static_cast<off_t>(at));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                r = fail(io_error("read back", path_, n < 0 ? errno : EIO));
            else
                r = take(std::string_view(buf.data(), static_cast<std::size_t>(n)));
            at += n > 0 ? static_cast<std::uint64_t>(n) : 0;
        }
    }
    while (r) {
        std::string bytes;
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [this] { return ending_ || abandoned_ || !queue_.empty(); });
            if (abandoned_)
                return;
            if (queue_.empty())
                break;  // ending, and everything written is taken
            bytes = std::move(queue_.front());
            queue_.pop_front();
            queued_bytes_ -= bytes.size();
        }
        changed_.notify_all();  // room for write()
        r = take(bytes);
    }
    if (r && made_.zipped && !abandoned_)
        r = made_.zipped->finish();
    {
        std::lock_guard lock(mutex_);
        if (!r)
            error_ = r.error();
        ended_ = true;
    }
    changed_.notify_all();
}

Result<void> FollowedFile::write(std::string&& bytes)
{
    CV_TRY_VOID(write_all(fd_, bytes, path_));
    if (!thread_.joinable())
        return {};
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return ended_ || queued_bytes_ < kMaxQueuedBytes; });
    if (error_)
        return fail(*error_);
    if (ended_)
        return fail(ErrorCode::Internal, "the follower of " + path_.string() + " ended early");
    queued_bytes_ += bytes.size();
    queue_.push_back(std::move(bytes));
    lock.unlock();
    changed_.notify_all();
    return {};
}

Result<FollowedFile::Followed> FollowedFile::finish()
{
    if (thread_.joinable()) {
        {
            std::lock_guard lock(mutex_);
            ending_ = true;
        }
        changed_.notify_all();
        thread_.join();
        if (error_)
            return fail(*error_);
    }
    if (sha_)
        made_.sha256 = sha_->finish();
    return std::move(made_);
}

}  // namespace cv::compliance::exports::detail

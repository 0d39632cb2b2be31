#pragma once
/// A file the export appends to (the load file, the manifest) whose SHA-256 and zip entry are
/// made from its bytes as they are written, on a thread of its own. Without it the end of an
/// export read the finished files back, hashed and deflated them on one thread while the other
/// cores idled: the load file of 400,000 rows naming a group's members is ~360 MB, a fifth of a
/// 200,000-item zip export's time.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "compliance/export/detail/zip.hpp"
#include "core/digest.hpp"
#include "core/result.hpp"

namespace cv::compliance::exports::detail {

class FollowedFile {
public:
    struct Follow {
        bool sha256 = false;
        /// Deflate the bytes into a zip entry, spilling to a temporary file here (Deflater).
        std::optional<std::filesystem::path> zip_spill_dir;
    };
    struct Followed {
        Sha256Digest sha256{};             ///< when Follow::sha256
        std::unique_ptr<Deflater> zipped;  ///< finished, when Follow::zip_spill_dir
    };

    /// Follows `path`, open for appending as `fd` (not owned), whose first `prefix` bytes are
    /// already written (by an earlier run): the thread reads them back before the bytes given
    /// to write(). With nothing to follow there is no thread. Errors: Io (opening the file to
    /// read its prefix back), Internal (the Deflater).
    static Result<std::unique_ptr<FollowedFile>> start(int fd, std::filesystem::path path,
                                                       std::uint64_t prefix, Follow follow);
    ~FollowedFile();  ///< stops the thread (what it made is dropped)
    FollowedFile(const FollowedFile&) = delete;
    FollowedFile& operator=(const FollowedFile&) = delete;

    /// Appends `bytes` to the file, then hands them to the thread; waits while it is more than
    /// a few MiB behind. Errors: Io (this write, or the thread's reading back of the prefix),
    /// Internal (deflating).
    Result<void> write(std::string&& bytes);
    /// Waits for the thread to take in everything written. Call once. Errors: as write().
    Result<Followed> finish();

    const std::filesystem::path& path() const { return path_; }
    int fd() const { return fd_; }

private:
    FollowedFile() = default;
    void run(std::uint64_t prefix);
    Result<void> take(std::string_view bytes);

    int fd_ = -1;
    std::filesystem::path path_;
    int read_fd_ = -1;  // the prefix is read back through this
    std::optional<Sha256> sha_;
    Followed made_;

    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::string> queue_;
    std::size_t queued_bytes_ = 0;
    bool ending_ = false;                 // finish(): take what is queued, then end
    std::atomic<bool> abandoned_{false};  // the destructor: end now
    bool ended_ = false;
    std::optional<Error> error_;
    std::thread thread_;
};

}  // namespace cv::compliance::exports::detail

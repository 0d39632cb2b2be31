#pragma once
/// Where rendered bytes go: a string (tests, digests of small items) or a file written
/// through a buffer and published atomically, so that a reader never sees half an email.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace cv {

class ByteSink {
public:
    virtual ~ByteSink() = default;
    virtual Result<void> write(std::string_view bytes) = 0;
};

class StringSink final : public ByteSink {
public:
    Result<void> write(std::string_view bytes) override
    {
        data_.append(bytes);
        return {};
    }
    const std::string& data() const { return data_; }
    std::string take() { return std::move(data_); }

private:
    std::string data_;
};

/// Counts bytes and drops them (benchmarks, sizes).
class CountingSink final : public ByteSink {
public:
    Result<void> write(std::string_view bytes) override
    {
        bytes_ += bytes.size();
        return {};
    }
    std::uint64_t bytes() const { return bytes_; }

private:
    std::uint64_t bytes_ = 0;
};

/// Writes `path` through a temporary file beside it; commit() renames it into place. A sink
/// destroyed without commit() removes the temporary file, so a failed render leaves nothing.
class FileSink final : public ByteSink {
public:
    /// Errors: Io (the folder is missing or not writable).
    static Result<std::unique_ptr<FileSink>> create(const std::filesystem::path& path);
    ~FileSink() override;
    FileSink(const FileSink&) = delete;
    FileSink& operator=(const FileSink&) = delete;

    Result<void> write(std::string_view bytes) override;
    /// Flushes, closes and renames into place. Errors: Io (disk full, …).
    Result<void> commit();
    std::uint64_t bytes() const { return bytes_; }

private:
    FileSink(int fd, std::filesystem::path path, std::filesystem::path temp);
    Result<void> flush();
    Result<void> write_all(std::string_view bytes);

    int fd_;
    std::filesystem::path path_;
    std::filesystem::path temp_;
    std::string buffer_;
    std::uint64_t bytes_ = 0;
    bool committed_ = false;
};

}  // namespace cv

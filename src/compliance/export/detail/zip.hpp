#pragma once
/// The export's zip: a streaming writer of entries compressed elsewhere (on the export's worker
/// threads, see Deflater), appended in order, with only a small record per entry kept for the
/// central directory. zlib stays inside zip.cpp.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace cv::compliance::exports::detail {

/// Raw deflate (level 1) and CRC-32 of one entry's bytes, fed in pieces. The compressed bytes
/// stay in memory up to `spill_bytes`, then go to an unnamed temporary file in `spill_dir`
/// (O_TMPFILE), so an item of any size costs bounded memory. Not thread-safe; one per entry.
class Deflater {
public:
    static Result<std::unique_ptr<Deflater>> create(std::filesystem::path spill_dir,
                                                    std::size_t spill_bytes = 8u << 20);
    ~Deflater();
    Deflater(const Deflater&) = delete;
    Deflater& operator=(const Deflater&) = delete;

    Result<void> write(std::string_view bytes);
    /// Ends the stream. Errors: Io (the spill file), Internal (zlib).
    Result<void> finish();

    std::uint32_t crc() const { return crc_; }
    std::uint64_t size() const { return size_; }              ///< uncompressed
    std::uint64_t compressed_size() const { return csize_; }  ///< after finish()
    /// The compressed bytes held in memory (all of them when spill_fd() < 0).
    const std::string& held() const { return held_; }
    /// The spill file (compressed bytes after held()), or -1; owned by this.
    int spill_fd() const { return spill_fd_; }

private:
    Deflater() = default;
    Result<void> pump(const char* in, std::size_t n, bool end);
    Result<void> spill();

    struct Stream;
    std::unique_ptr<Stream> z_;
    std::filesystem::path spill_dir_;
    std::size_t spill_bytes_ = 0;
    std::string held_;
    int spill_fd_ = -1;
    std::uint32_t crc_ = 0;
    std::uint64_t size_ = 0;
    std::uint64_t csize_ = 0;
};

/// Writes a zip sequentially to `<zip>.part` and renames it to `zip` on finish() (a killed
/// run leaves no partial zip under the final name). Entries are deflated (method 8) by a
/// Deflater beforehand; Zip64 records are written where an offset or size passes 4 GiB or the
/// entry count 65,535. Names are stored as UTF-8 (flag bit 11). Not thread-safe.
class ZipWriter {
public:
    /// Errors: Io (cannot create the file).
    static Result<std::unique_ptr<ZipWriter>> create(const std::filesystem::path& zip);
    ~ZipWriter();  ///< without finish(): removes the .part file
    ZipWriter(const ZipWriter&) = delete;
    ZipWriter& operator=(const ZipWriter&) = delete;

    /// Appends one entry named `name` whose bytes `d` compressed (finished). Errors: Io.
    Result<void> add(std::string_view name, const Deflater& d);
    /// Compresses the file `path` on this thread and appends it as `name`. Errors: Io.
    Result<void> add_file(std::string_view name, const std::filesystem::path& path);
    /// Writes the central directory and renames the file into place. Errors: Io.
    Result<void> finish();

private:
    ZipWriter() = default;
    Result<void> put(std::string_view bytes);
    Result<void> put_directory(std::string_view bytes);
    Result<void> entry(std::string_view name, std::uint32_t crc, std::uint64_t csize, std::uint64_t usize);

    std::filesystem::path final_;
    std::filesystem::path temp_;
    int fd_ = -1;
    std::string buffer_;
    std::uint64_t offset_ = 0;
    // The central directory is written as the entries are, to an unnamed temporary file beside
    // the zip, and copied after the last entry: memory stays flat whatever the entry count.
    int dir_fd_ = -1;
    std::string dir_buffer_;
    std::uint64_t dir_size_ = 0;
    std::uint64_t count_ = 0;
    std::uint16_t dos_time_ = 0;
    std::uint16_t dos_date_ = 0;
    bool finished_ = false;
};

}  // namespace cv::compliance::exports::detail

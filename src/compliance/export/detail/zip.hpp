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

/// One zip entry's bytes, fed in pieces, made ready for ZipWriter::add(): their CRC-32 and
/// either their deflated form or (Store, or when deflating does not shrink them) the bytes as
/// they are. Emails of up to `whole_bytes` are deflated whole at the end by libdeflate (level
/// 1: about three times zlib's speed at its fastest level, for the same size); a longer one
/// switches to zlib's streaming deflate. The output stays in memory up to `spill_bytes`, then
/// goes to an unnamed temporary file in `spill_dir` (O_TMPFILE), so an item of any size costs
/// bounded memory. Not thread-safe; one per entry.
class Deflater {
public:
    enum class Mode {
        Deflate,
        Store,  ///< already-compressed content (e.g. base64 of photos: deflate buys ~20% at 5x the CPU)
    };
    static Result<std::unique_ptr<Deflater>> create(std::filesystem::path spill_dir, Mode mode,
                                                    std::size_t whole_bytes = 1u << 20,
                                                    std::size_t spill_bytes = 1u << 20);
    ~Deflater();
    Deflater(const Deflater&) = delete;
    Deflater& operator=(const Deflater&) = delete;

    Result<void> write(std::string_view bytes);
    /// Ends the entry. Errors: Io (the spill file), Internal (zlib, libdeflate).
    Result<void> finish();

    std::uint16_t method() const { return method_; }  ///< 0 stored, 8 deflated
    std::uint32_t crc() const { return crc_; }
    std::uint64_t size() const { return size_; }              ///< uncompressed
    std::uint64_t compressed_size() const { return csize_; }  ///< after finish()
    /// The entry's data held in memory (all of it when spill_fd() < 0).
    const std::string& held() const { return held_; }
    /// The spill file (the entry's data before held()), or -1; owned by this.
    int spill_fd() const { return spill_fd_; }

private:
    Deflater() = default;
    Result<void> stream(const char* in, std::size_t n, bool end);
    Result<void> keep(std::string_view bytes);
    Result<void> spill();

    struct Stream;
    std::unique_ptr<Stream> z_;  // zlib, once an entry outgrows whole_bytes_
    std::filesystem::path spill_dir_;
    Mode mode_ = Mode::Deflate;
    std::size_t whole_bytes_ = 0;
    std::size_t spill_bytes_ = 0;
    std::string whole_;  // Deflate: the bytes so far, while they fit whole_bytes_
    std::string held_;
    int spill_fd_ = -1;
    std::uint16_t method_ = 8;
    std::uint32_t crc_ = 0;
    std::uint64_t size_ = 0;
    std::uint64_t csize_ = 0;
};

/// A Deflater (Mode::Deflate) of the file `path`, spilling into `spill_dir`. Errors: Io.
Result<std::unique_ptr<Deflater>> deflate_file(const std::filesystem::path& path,
                                               const std::filesystem::path& spill_dir);

/// Writes a zip sequentially to `<zip>.part` and renames it to `zip` on finish() (a killed
/// run leaves no partial zip under the final name). The central directory is spooled to
/// `<zip>.dir.part`, each entry's record after the entry's bytes (flush() keeps that order on
/// disk), so a killed run's part files hold whole entries up to the spool's last complete record
/// and open() can continue them. Entries are deflated (method 8) or stored
/// (method 0) by a Deflater beforehand; Zip64 records are written where an offset or size passes 4 GiB or the
/// entry count 65,535. Names are stored as UTF-8 (flag bit 11). Not thread-safe.
class ZipWriter {
public:
    /// Starts a new zip (any part files of an earlier run are overwritten). Errors: Io.
    static Result<std::unique_ptr<ZipWriter>> create(const std::filesystem::path& zip);
    /// The names of the entries an earlier run's spool records completely (a torn last record
    /// is ignored), in order; none without a spool. Errors: Io.
    static Result<std::vector<std::string>> spooled(const std::filesystem::path& zip);
    /// Continues an earlier run's part files keeping their first `keep` entries (at most
    /// spooled().size()): both files are cut after them and new entries appended. Errors: Io,
    /// Parse (the zip part is shorter than its spool says).
    static Result<std::unique_ptr<ZipWriter>> open(const std::filesystem::path& zip, std::uint64_t keep);
    ~ZipWriter();  ///< without finish(): keeps the part files (a later run continues them)
    ZipWriter(const ZipWriter&) = delete;
    ZipWriter& operator=(const ZipWriter&) = delete;

    /// Appends one entry named `name` holding what `d` (finished) holds. Errors: Io.
    Result<void> add(std::string_view name, const Deflater& d);
    /// Deflates the file `path` on this thread and appends it as `name`. Errors: Io.
    Result<void> add_file(std::string_view name, const std::filesystem::path& path);
    /// Writes the buffered entries, then their central records (in that order: a record on disk
    /// means its entry's bytes are). Errors: Io.
    Result<void> flush();
    /// Writes the central directory, renames the file into place, removes the spool. Errors: Io.
    Result<void> finish();

private:
    ZipWriter() = default;
    static Result<std::unique_ptr<ZipWriter>> start(const std::filesystem::path& zip, bool resume,
                                                    std::uint64_t keep);
    Result<void> put(std::string_view bytes);
    Result<void> put_directory(std::string_view bytes);
    /// Puts the local header and returns the central record. Errors: InvalidArgument, Io.
    Result<std::string> entry(std::string_view name, std::uint16_t method, std::uint32_t crc,
                              std::uint64_t csize, std::uint64_t usize);

    std::filesystem::path final_;
    std::filesystem::path temp_;
    int fd_ = -1;
    std::string buffer_;
    std::uint64_t offset_ = 0;
    // The central directory is written as the entries are, to `<zip>.dir.part`, and copied
    // after the last entry: memory stays flat whatever the entry count, and a resumed run finds
    // the records of the entries already written.
    std::filesystem::path dir_path_;
    int dir_fd_ = -1;
    std::string dir_buffer_;
    std::uint64_t dir_size_ = 0;
    std::uint64_t count_ = 0;
    std::uint16_t dos_time_ = 0;
    std::uint16_t dos_date_ = 0;
    bool finished_ = false;
};

}  // namespace cv::compliance::exports::detail

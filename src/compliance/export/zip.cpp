// The export's zip writer. Written here rather than through a library because none of Debian's
// does what an export of hundreds of thousands of items needs: libzip compresses entries itself,
// one at a time, at zip_close() and keeps ~1 KiB per entry until then (420 MiB at 400,000
// entries); libarchive's zip writer compresses on the writing thread too and cannot take
// entries deflated elsewhere; minizip 1.1 takes raw (pre-deflated) entries but patches every
// local header by seeking back through stdio (a flush and two seeks per entry) and keeps the
// central directory in memory. The workers deflate each item as they render it (libdeflate,
// zlib's streaming deflate for the largest: compression runs on every core), this writes each
// finished entry once, sequentially, with its sizes and CRC known up front (no data
// descriptors, no seeks), and spools the central directory to a part file beside the zip (so
// that memory stays flat and an interrupted export can resume). The format is APPNOTE.TXT
// 6.3.x: local headers (4.3.7), the central directory (4.3.12), Zip64 extra fields (4.5.3), end
// records (4.3.14–4.3.16).

#include "compliance/export/detail/zip.hpp"
#include "compliance/export/detail/fd_io.hpp"

#include <fcntl.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <limits>
#include <memory>

#include <fmt/format.h>

namespace cv::compliance::exports::detail {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kFlushBytes = 1 << 20;
constexpr std::uint32_t kMax32 = 0xFFFFFFFFu;
constexpr std::uint16_t kUtf8Flag = 0x0800;

// An unnamed file in `dir` (O_TMPFILE), or a named one unlinked at once where the file system
// has no O_TMPFILE.
Result<int> temp_file(const fs::path& dir)
{
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    std::string name = (dir / ".chatvault-zip-XXXXXX").string();
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0)
        return fail(io_error("create a temporary file in", dir, errno));
    ::unlink(name.c_str());
    return fd;
}

// Copies `size` bytes of `fd` from its start through `put`.
template <class Put> Result<void> copy_from(int fd, std::uint64_t size, const fs::path& what, Put&& put)
{
    std::string buf(kFlushBytes, '\0');
    std::uint64_t at = 0;
    while (at < size) {
        const ssize_t n =
            ::pread(fd, buf.data(), static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - at)),
                    static_cast<off_t>(at));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fail(io_error("read back", what, n < 0 ? errno : EIO));
        CV_TRY_VOID(put(std::string_view(buf.data(), static_cast<std::size_t>(n))));
        at += static_cast<std::uint64_t>(n);
    }
    return {};
}

void le16(std::string& out, std::uint16_t v)
{
    out.push_back(static_cast<char>(v & 0xFF));
    out.push_back(static_cast<char>(v >> 8));
}
void le32(std::string& out, std::uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void le64(std::string& out, std::uint64_t v)
{
    for (int i = 0; i < 8; ++i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
std::uint32_t clamp32(std::uint64_t v)
{
    return v >= kMax32 ? kMax32 : static_cast<std::uint32_t>(v);
}

}  // namespace

// ---- Deflater

struct Deflater::Stream {
    z_stream z{};
};

namespace {

// One libdeflate compressor per thread (allocating one costs more than compressing an email).
struct CompressorFree {
    void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};
libdeflate_compressor* thread_compressor()
{
    thread_local std::unique_ptr<libdeflate_compressor, CompressorFree> c(libdeflate_alloc_compressor(1));
    return c.get();
}

}  // namespace

Result<std::unique_ptr<Deflater>> Deflater::create(fs::path spill_dir, Mode mode, std::size_t whole_bytes,
                                                   std::size_t spill_bytes)
{
    std::unique_ptr<Deflater> d(new Deflater());
    d->spill_dir_ = std::move(spill_dir);
    d->mode_ = mode;
    d->method_ = mode == Mode::Store ? 0 : 8;
    d->whole_bytes_ = whole_bytes;
    d->spill_bytes_ = spill_bytes;
    d->crc_ = 0;
    return d;
}

Deflater::~Deflater()
{
    if (z_)
        deflateEnd(&z_->z);
    if (spill_fd_ >= 0)
        ::close(spill_fd_);
}

Result<void> Deflater::write(std::string_view bytes)
{
    size_ += bytes.size();
    for (std::string_view rest = bytes; !rest.empty();) {
        const std::size_t n = std::min<std::size_t>(rest.size(), 1u << 30);  // zlib takes a uInt
        crc_ = libdeflate_crc32(crc_, rest.data(), n);  // several times zlib's speed (PCLMUL)
        rest.remove_prefix(n);
    }
    if (mode_ == Mode::Store)
        return keep(bytes);
    if (!z_ && whole_.size() + bytes.size() <= whole_bytes_) {
        whole_.append(bytes);
        return {};
    }
    if (!z_) {
        // Too long to deflate whole: zlib from here on, starting with what was kept.
        z_ = std::make_unique<Stream>();
        // Level 1, raw deflate (negative window bits: a zip entry holds no zlib header).
        if (deflateInit2(&z_->z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            z_.reset();
            return fail(ErrorCode::Internal, "zlib: deflateInit2 failed");
        }
        std::string kept = std::move(whole_);
        whole_.clear();
        CV_TRY_VOID(stream(kept.data(), kept.size(), false));
    }
    for (std::string_view rest = bytes; !rest.empty();) {
        const std::size_t n = std::min<std::size_t>(rest.size(), 1u << 30);
        CV_TRY_VOID(stream(rest.data(), n, false));
        rest.remove_prefix(n);
    }
    return {};
}

Result<void> Deflater::finish()
{
    if (mode_ == Mode::Store) {
        if (spill_fd_ >= 0 && !held_.empty())
            CV_TRY_VOID(spill());
        return {};
    }
    if (z_)
        return stream(nullptr, 0, true);
    // Whole: libdeflate, or stored when deflate does not make it smaller.
    std::string out(libdeflate_deflate_compress_bound(thread_compressor(), whole_.size()), '\0');
    const std::size_t n = libdeflate_deflate_compress(thread_compressor(), whole_.data(), whole_.size(),
                                                      out.data(), out.size());
    if (n == 0 || n >= whole_.size()) {
        method_ = 0;
        held_ = std::move(whole_);
    } else {
        out.resize(n);
        held_ = std::move(out);
    }
    whole_.clear();
    csize_ = held_.size();
    return {};
}

Result<void> Deflater::keep(std::string_view bytes)
{
    held_.append(bytes);
    csize_ += bytes.size();
    if (held_.size() >= spill_bytes_ || (spill_fd_ >= 0 && held_.size() >= kFlushBytes))
        CV_TRY_VOID(spill());
    return {};
}

Result<void> Deflater::spill()
{
    if (spill_fd_ < 0) {
        CV_TRY(spill_fd_, temp_file(spill_dir_));
    }
    CV_TRY_VOID(write_all(spill_fd_, held_, spill_dir_));
    held_.clear();
    return {};
}

Result<void> Deflater::stream(const char* in, std::size_t n, bool end)
{
    z_stream& z = z_->z;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in));  // zlib's API is not const
    z.avail_in = static_cast<uInt>(n);
    char out[kChunk];
    while (true) {
        z.next_out = reinterpret_cast<Bytef*>(out);
        z.avail_out = static_cast<uInt>(kChunk);
        const int rc = deflate(&z, end ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_STREAM_ERROR)
            return fail(ErrorCode::Internal, "zlib: deflate failed");
        CV_TRY_VOID(keep(std::string_view(out, kChunk - z.avail_out)));
        if (end ? rc == Z_STREAM_END : (z.avail_in == 0 && z.avail_out != 0))
            break;
    }
    if (end && spill_fd_ >= 0 && !held_.empty())
        CV_TRY_VOID(spill());
    return {};
}

// ---- ZipWriter

Result<std::unique_ptr<ZipWriter>> ZipWriter::create(const fs::path& zip)
{
    return start(zip, false, 0);
}

namespace {

std::uint16_t rd16(const char* p)
{
    return static_cast<std::uint16_t>(static_cast<unsigned char>(p[0]) |
                                      (static_cast<unsigned char>(p[1]) << 8));
}

std::uint32_t rd32(const char* p)
{
    return static_cast<std::uint32_t>(rd16(p)) | (static_cast<std::uint32_t>(rd16(p + 2)) << 16);
}

std::uint64_t rd64(const char* p)
{
    return static_cast<std::uint64_t>(rd32(p)) | (static_cast<std::uint64_t>(rd32(p + 4)) << 32);
}

fs::path spool_path(const fs::path& zip)
{
    fs::path p = zip;
    p += ".dir.part";
    return p;
}

// One central record of the spool, as this writer makes them.
struct Spooled {
    std::string name;
    std::uint64_t record_end = 0;  // in the spool
    std::uint64_t entry_end = 0;   // in the zip: local header, name, local Zip64 field, data
};

// Reads the spool's complete records in order, calling `on` for each until it returns false.
// A torn last record (the run was killed while writing it) is not complete and ends the scan.
template <class On> Result<void> read_spool(const fs::path& path, On&& on)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return {};
        return fail(io_error("open", path, errno));
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    std::string buf;
    std::size_t at = 0;      // parse position in buf
    std::uint64_t base = 0;  // spool offset of buf[0]
    std::string chunk(kFlushBytes, '\0');
    bool eof = false;
    while (true) {
        // A record: 46 fixed bytes, then name, extra and comment of the lengths they give.
        const auto need = [&]() -> std::size_t {
            if (buf.size() - at < 46)
                return 46;
            const char* r = buf.data() + at;
            return 46 + rd16(r + 28) + rd16(r + 30) + rd16(r + 32);
        };
        while (!eof && buf.size() - at < need()) {
            buf.erase(0, at);
            base += at;
            at = 0;
            const ssize_t n = ::read(fd, chunk.data(), chunk.size());
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return fail(io_error("read", path, errno));
            if (n == 0)
                eof = true;
            buf.append(chunk.data(), static_cast<std::size_t>(n));
        }
        if (buf.size() - at < need())
            return {};  // the end, or a torn last record
        const char* r = buf.data() + at;
        if (rd32(r) != 0x02014b50)
            return fail(ErrorCode::Parse,
                        fmt::format("{}: no central record at byte {}; remove the part files to export the "
                                    "zip again",
                                    path.string(), base + at));
        const std::size_t n = rd16(r + 28), m = rd16(r + 30);
        std::uint64_t csize = rd32(r + 20), usize = rd32(r + 24), offset = rd32(r + 42);
        const char* x = r + 46 + n;
        if (m >= 4 && rd16(x) == 0x0001) {  // Zip64 field: the values that did not fit, in order
            const char* v = x + 4;
            if (usize == kMax32)
                usize = rd64(v), v += 8;
            if (csize == kMax32)
                csize = rd64(v), v += 8;
            if (offset == kMax32)
                offset = rd64(v);
        }
        Spooled s;
        s.name.assign(r + 46, n);
        const bool big = csize >= kMax32 || usize >= kMax32;  // as entry() decides
        s.entry_end = offset + 30 + n + (big ? 20 : 0) + csize;
        at += need();
        s.record_end = base + at;
        if (!on(s))
            return {};
    }
}

}  // namespace

Result<std::vector<std::string>> ZipWriter::spooled(const fs::path& zip)
{
    std::vector<std::string> names;
    CV_TRY_VOID(read_spool(spool_path(zip), [&](Spooled& s) {
        names.push_back(std::move(s.name));
        return true;
    }));
    return names;
}

Result<std::unique_ptr<ZipWriter>> ZipWriter::open(const fs::path& zip, std::uint64_t keep)
{
    return start(zip, true, keep);
}

Result<std::unique_ptr<ZipWriter>> ZipWriter::start(const fs::path& zip, bool resume, std::uint64_t keep)
{
    std::unique_ptr<ZipWriter> w(new ZipWriter());
    w->final_ = zip;
    w->temp_ = zip;
    w->temp_ += ".part";
    w->dir_path_ = spool_path(zip);
    if (resume && keep > 0) {
        CV_TRY_VOID(read_spool(w->dir_path_, [&](const Spooled& s) {
            ++w->count_;
            w->dir_size_ = s.record_end;
            w->offset_ = s.entry_end;
            return w->count_ < keep;
        }));
        if (w->count_ < keep)
            return fail(ErrorCode::Internal, fmt::format("{}: {} entries to keep, {} spooled",
                                                         w->dir_path_.string(), keep, w->count_));
        struct stat st {};
        if (::stat(w->temp_.c_str(), &st) != 0 || static_cast<std::uint64_t>(st.st_size) < w->offset_)
            return fail(ErrorCode::Parse,
                        fmt::format("{} is missing or shorter than its {} entries; remove it and {} to "
                                    "export the zip again",
                                    w->temp_.string(), w->count_, w->dir_path_.string()));
    }
    // Both files are cut after the entries kept (all of them when starting over) and appended
    // to: what a killed run wrote past them is written again.
    const int flags = w->count_ > 0 ? O_APPEND : O_TRUNC;
    w->fd_ = ::open(w->temp_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0600);
    if (w->fd_ < 0)
        return fail(io_error("create", w->temp_, errno));
    if (::ftruncate(w->fd_, static_cast<off_t>(w->offset_)) != 0)
        return fail(io_error("truncate", w->temp_, errno));
    w->dir_fd_ = ::open(w->dir_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | flags, 0600);
    if (w->dir_fd_ < 0)
        return fail(io_error("create", w->dir_path_, errno));
    if (::ftruncate(w->dir_fd_, static_cast<off_t>(w->dir_size_)) != 0)
        return fail(io_error("truncate", w->dir_path_, errno));
    const std::time_t now = std::time(nullptr);
    std::tm t{};
    ::localtime_r(&now, &t);
    w->dos_time_ = static_cast<std::uint16_t>((t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec / 2));
    w->dos_date_ =
        static_cast<std::uint16_t>(((std::max(t.tm_year, 80) - 80) << 9) | ((t.tm_mon + 1) << 5) | t.tm_mday);
    return w;
}

ZipWriter::~ZipWriter()
{
    if (fd_ >= 0)
        ::close(fd_);
    if (dir_fd_ >= 0)
        ::close(dir_fd_);
}

Result<void> ZipWriter::put(std::string_view bytes)
{
    offset_ += bytes.size();
    if (buffer_.size() + bytes.size() > kFlushBytes) {
        CV_TRY_VOID(write_all(fd_, buffer_, temp_));
        buffer_.clear();
        if (bytes.size() >= kFlushBytes)
            return write_all(fd_, bytes, temp_);
    }
    buffer_.append(bytes);
    return {};
}

Result<void> ZipWriter::put_directory(std::string_view bytes)
{
    dir_size_ += bytes.size();
    dir_buffer_.append(bytes);
    if (dir_buffer_.size() >= kFlushBytes)
        return flush();
    return {};
}

Result<void> ZipWriter::flush()
{
    // Entries first: a central record reaches the spool only after its entry's bytes reached
    // the zip, so a resumed run can trust every complete record (write() order survives a kill).
    CV_TRY_VOID(write_all(fd_, buffer_, temp_));
    buffer_.clear();
    CV_TRY_VOID(write_all(dir_fd_, dir_buffer_, dir_path_));
    dir_buffer_.clear();
    return {};
}

Result<std::string> ZipWriter::entry(std::string_view name, std::uint16_t method, std::uint32_t crc,
                                     std::uint64_t csize, std::uint64_t usize)
{
    if (name.size() > 0xFFFF)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("zip entry name too long: {}", name.substr(0, 80)));
    const std::uint64_t offset = offset_;
    const bool big = csize >= kMax32 || usize >= kMax32;
    std::string h;
    h.reserve(64 + name.size());
    le32(h, 0x04034b50);
    le16(h, big ? 45 : 20);
    le16(h, kUtf8Flag);
    le16(h, method);
    le16(h, dos_time_);
    le16(h, dos_date_);
    le32(h, crc);
    le32(h, big ? kMax32 : static_cast<std::uint32_t>(csize));
    le32(h, big ? kMax32 : static_cast<std::uint32_t>(usize));
    le16(h, static_cast<std::uint16_t>(name.size()));
    le16(h, big ? 20 : 0);
    h.append(name);
    if (big) {  // a local Zip64 field holds both sizes (4.5.3)
        le16(h, 0x0001);
        le16(h, 16);
        le64(h, usize);
        le64(h, csize);
    }
    CV_TRY_VOID(put(h));

    std::string extra;
    if (usize >= kMax32)
        le64(extra, usize);
    if (csize >= kMax32)
        le64(extra, csize);
    if (offset >= kMax32)
        le64(extra, offset);
    std::string c;
    c.reserve(64 + name.size() + extra.size());
    le32(c, 0x02014b50);
    le16(c, (3 << 8) | 45);  // made by: Unix, APPNOTE 4.5
    le16(c, extra.empty() ? 20 : 45);
    le16(c, kUtf8Flag);
    le16(c, method);
    le16(c, dos_time_);
    le16(c, dos_date_);
    le32(c, crc);
    le32(c, clamp32(csize));
    le32(c, clamp32(usize));
    le16(c, static_cast<std::uint16_t>(name.size()));
    le16(c, static_cast<std::uint16_t>(extra.empty() ? 0 : extra.size() + 4));
    le16(c, 0);               // comment
    le16(c, 0);               // disk
    le16(c, 0);               // internal attributes
    le32(c, 0100644u << 16);  // external: a regular file, rw-r--r--
    le32(c, clamp32(offset));
    c.append(name);
    if (!extra.empty()) {
        le16(c, 0x0001);
        le16(c, static_cast<std::uint16_t>(extra.size()));
        c.append(extra);
    }
    return c;
}

Result<void> ZipWriter::add(std::string_view name, const Deflater& d)
{
    CV_TRY(const auto record, entry(name, d.method(), d.crc(), d.compressed_size(), d.size()));
    if (d.spill_fd() < 0)
        CV_TRY_VOID(put(d.held()));
    else
        CV_TRY_VOID(copy_from(d.spill_fd(), d.compressed_size(), final_,
                              [this](std::string_view b) { return put(b); }));
    // The record after the entry's bytes (see flush()).
    ++count_;
    return put_directory(record);
}

Result<std::unique_ptr<Deflater>> deflate_file(const fs::path& path, const fs::path& spill_dir)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(io_error("open", path, errno));
    auto r = [&]() -> Result<std::unique_ptr<Deflater>> {
        CV_TRY(auto d, Deflater::create(spill_dir, Deflater::Mode::Deflate));
        std::string buf(kFlushBytes, '\0');
        while (true) {
            const ssize_t n = ::read(fd, buf.data(), buf.size());
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return fail(io_error("read", path, errno));
            if (n == 0)
                break;
            CV_TRY_VOID(d->write(std::string_view(buf.data(), static_cast<std::size_t>(n))));
        }
        CV_TRY_VOID(d->finish());
        return d;
    }();
    ::close(fd);
    return r;
}

Result<void> ZipWriter::add_file(std::string_view name, const fs::path& path)
{
    CV_TRY(const auto d, deflate_file(path, final_.has_parent_path() ? final_.parent_path() : fs::path(".")));
    return add(name, *d);
}

Result<void> ZipWriter::finish()
{
    CV_TRY_VOID(flush());
    const std::uint64_t dir_offset = offset_;
    CV_TRY_VOID(copy_from(dir_fd_, dir_size_, final_, [this](std::string_view b) { return put(b); }));
    std::string e;
    const bool zip64 = count_ >= 0xFFFF || dir_offset >= kMax32 || dir_size_ >= kMax32;
    if (zip64) {
        const std::uint64_t record = offset_;
        le32(e, 0x06064b50);  // Zip64 end of central directory record (4.3.14)
        le64(e, 44);
        le16(e, (3 << 8) | 45);
        le16(e, 45);
        le32(e, 0);
        le32(e, 0);
        le64(e, count_);
        le64(e, count_);
        le64(e, dir_size_);
        le64(e, dir_offset);
        le32(e, 0x07064b50);  // its locator (4.3.15)
        le32(e, 0);
        le64(e, record);
        le32(e, 1);
    }
    le32(e, 0x06054b50);  // end of central directory record (4.3.16)
    le16(e, 0);
    le16(e, 0);
    le16(e, static_cast<std::uint16_t>(std::min<std::uint64_t>(count_, 0xFFFF)));
    le16(e, static_cast<std::uint16_t>(std::min<std::uint64_t>(count_, 0xFFFF)));
    le32(e, clamp32(dir_size_));
    le32(e, clamp32(dir_offset));
    le16(e, 0);
    CV_TRY_VOID(put(e));
    CV_TRY_VOID(write_all(fd_, buffer_, temp_));
    buffer_.clear();
    if (::fdatasync(fd_) != 0)
        return fail(io_error("sync", temp_, errno));
    if (::close(fd_) != 0) {
        fd_ = -1;
        return fail(io_error("close", temp_, errno));
    }
    fd_ = -1;
    if (::rename(temp_.c_str(), final_.c_str()) != 0)
        return fail(io_error("rename into", final_, errno));
    finished_ = true;
    ::unlink(dir_path_.c_str());  // the zip holds it now
    return {};
}

}  // namespace cv::compliance::exports::detail

// The libzip adapter of the export. libzip reads each added file only when zip_close() writes
// the archive, one file at a time, so memory stays flat whatever the export's size.

#include "compliance/export/detail/zip.hpp"

#include <zip.h>

#include <fmt/format.h>

namespace cv::compliance::exports::detail {

namespace {

std::string zip_message(zip_t* z)
{
    return z ? zip_strerror(z) : "unknown error";
}

}  // namespace

Result<void> write_zip(const std::filesystem::path& dir, const std::vector<std::string>& files,
                       const std::filesystem::path& zip)
{
    int err = 0;
    zip_t* z = zip_open(zip.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (!z) {
        zip_error_t e;
        zip_error_init_with_code(&e, err);
        std::string msg = fmt::format("create zip {}: {}", zip.string(), zip_error_strerror(&e));
        zip_error_fini(&e);
        return fail(ErrorCode::Io, std::move(msg));
    }
    for (const auto& name : files) {
        const std::filesystem::path path = dir / name;
        zip_source_t* src = zip_source_file(z, path.c_str(), 0, -1);
        if (!src) {
            std::string msg =
                fmt::format("zip {}: cannot read {}: {}", zip.string(), path.string(), zip_message(z));
            zip_discard(z);
            return fail(ErrorCode::Io, std::move(msg));
        }
        const zip_int64_t index = zip_file_add(z, name.c_str(), src, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
        if (index < 0) {
            std::string msg = fmt::format("zip {}: cannot add {}: {}", zip.string(), name, zip_message(z));
            zip_source_free(src);
            zip_discard(z);
            return fail(ErrorCode::Io, std::move(msg));
        }
        // Deflate at its fastest level: emails (base64, quoted-printable) still shrink by a
        // quarter to a half, at a fraction of the default level's time.
        zip_set_file_compression(z, static_cast<zip_uint64_t>(index), ZIP_CM_DEFLATE, 1);
    }
    if (zip_close(z) != 0) {
        std::string msg = fmt::format("write zip {}: {}", zip.string(), zip_message(z));
        zip_discard(z);
        return fail(ErrorCode::Io, std::move(msg));
    }
    return {};
}

}  // namespace cv::compliance::exports::detail

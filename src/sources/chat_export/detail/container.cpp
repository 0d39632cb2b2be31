#include "sources/chat_export/detail/container.hpp"

#include <algorithm>
#include <system_error>
#include <unordered_map>

#include <zip.h>

#include <fmt/format.h>

namespace cv::chat_export::detail {

namespace fs = std::filesystem;

namespace {

template <auto Fn> struct FnDeleter {
    template <class T> void operator()(T* p) const
    {
        if (p != nullptr)
            Fn(p);
    }
};
using ZipArchive = std::unique_ptr<zip_t, FnDeleter<zip_discard>>;
using ZipFile = std::unique_ptr<zip_file_t, FnDeleter<zip_fclose>>;

bool ends_with_txt(std::string_view name)
{
    if (name.size() < 4)
        return false;
    auto ext = name.substr(name.size() - 4);
    return ext == ".txt" || ext == ".TXT";
}

std::string_view base_name(std::string_view name)
{
    const auto slash = name.find_last_of('/');
    return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

// Preference among text files: 0 = "_chat.txt" (iOS), 1 = named like an Android export
// ("WhatsApp Chat with X.txt" and its translations all contain "WhatsApp"), 2 = any other.
int text_rank(std::string_view name)
{
    const auto base = base_name(name);
    if (base == "_chat.txt")
        return 0;
    if (base.find("WhatsApp") != std::string_view::npos || base.find("Chat") != std::string_view::npos)
        return 1;
    return 2;
}

// An entry name that is absolute or climbs out of the archive ("../x", "a/../../x", "C:\\x").
bool is_unsafe_entry_name(std::string_view name)
{
    if (name.front() == '/' || name.front() == '\\' || (name.size() > 1 && name[1] == ':'))
        return true;
    std::size_t start = 0;
    while (start <= name.size()) {
        auto end = name.find_first_of("/\\", start);
        if (end == std::string_view::npos)
            end = name.size();
        if (name.substr(start, end - start) == "..")
            return true;
        start = end + 1;
    }
    return false;
}

void sort_candidates(std::vector<std::string>& names)
{
    std::stable_sort(names.begin(), names.end(),
                     [](const std::string& a, const std::string& b) { return text_rank(a) < text_rank(b); });
}

// ---- media in a folder ------------------------------------------------------------------

// The regular files of one folder, listed once on first use: a chat names thousands of media
// files, and one listing is far cheaper than a stat() per name (most of which are absent in an
// export "without media").
class FolderMedia {
public:
    explicit FolderMedia(fs::path dir) : dir_(std::move(dir)) {}

    std::optional<MediaLocation> find(std::string_view name) const
    {
        if (name.empty() || name.find('/') != std::string_view::npos)
            return std::nullopt;  // a marker naming a path is never followed
        if (!listed_) {
            listed_ = true;
            std::error_code ec;
            for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
                std::error_code fe;
                if (it->is_regular_file(fe))
                    files_.emplace(it->path().filename().string(), it->file_size(fe));
            }
        }
        const auto it = files_.find(std::string(name));
        if (it == files_.end())
            return std::nullopt;
        return MediaLocation{(dir_ / it->first).string(), it->second};
    }

private:
    fs::path dir_;
    mutable bool listed_ = false;
    mutable std::unordered_map<std::string, std::uint64_t> files_;
};

// ---- a lone text file (media beside it) or an unpacked folder ------------------------------

class FolderBackedContainer : public Container {
public:
    const std::vector<std::string>& chat_candidates() const override { return names_; }
    Result<std::unique_ptr<ByteSource>> open_text(const std::string& name) const override
    {
        return open_file_source(name);
    }
    std::optional<MediaLocation> find_media(std::string_view name) const override
    {
        return media_.find(name);
    }
    std::string describe(const std::string& text_name) const override { return text_name; }

protected:
    explicit FolderBackedContainer(const fs::path& media_dir) : media_(media_dir) {}
    std::vector<std::string> names_;  // candidate chat texts
    FolderMedia media_;
};

class TextFileContainer final : public FolderBackedContainer {
public:
    explicit TextFileContainer(const fs::path& path)
        : FolderBackedContainer(path.parent_path().empty() ? fs::path(".") : path.parent_path())
    {
        names_.push_back(path.string());
    }
};

class FolderContainer final : public FolderBackedContainer {
public:
    static Result<std::unique_ptr<Container>> open(const fs::path& dir)
    {
        auto c = std::unique_ptr<FolderContainer>(new FolderContainer(dir));
        std::error_code ec;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            const auto name = it->path().filename().string();
            if (it->is_regular_file(ec) && ends_with_txt(name) && !name.starts_with("._"))
                c->names_.push_back(it->path().string());
        }
        if (ec)
            return fail(ErrorCode::Io, fmt::format("cannot list {}: {}", dir.string(), ec.message()));
        if (c->names_.empty())
            return fail(ErrorCode::NotFound,
                        fmt::format("{} holds no .txt file: not an unpacked WhatsApp export", dir.string()));
        std::sort(c->names_.begin(), c->names_.end());
        sort_candidates(c->names_);
        return std::unique_ptr<Container>(std::move(c));
    }

private:
    explicit FolderContainer(const fs::path& dir) : FolderBackedContainer(dir) {}
};

// ---- a zip archive (libzip adapter) -----------------------------------------------------

std::string zip_error_text(int code)
{
    zip_error_t err;
    zip_error_init_with_code(&err, code);
    std::string text = zip_error_strerror(&err);
    zip_error_fini(&err);
    return text;
}

class ZipEntrySource final : public ByteSource {
public:
    ZipEntrySource(ZipFile file, std::string name, std::uint64_t declared)
        : file_(std::move(file)), name_(std::move(name)), declared_(declared)
    {
    }

    Result<std::size_t> read(std::span<char> buf) override
    {
        const zip_int64_t n = zip_fread(file_.get(), buf.data(), buf.size());
        if (n < 0) {
            return fail(ErrorCode::Parse, fmt::format("entry {} is damaged: {}", name_,
                                                      zip_error_strerror(zip_file_get_error(file_.get()))));
        }
        total_ += static_cast<std::uint64_t>(n);
        // libzip stops at the declared size for stored entries but a deflate stream could run
        // on; either way more bytes than the directory promised is a forged entry.
        if (total_ > declared_)
            return fail(
                ErrorCode::LimitExceeded,
                fmt::format("entry {} inflates past its declared size of {} bytes", name_, declared_));
        return static_cast<std::size_t>(n);
    }

private:
    ZipFile file_;
    std::string name_;
    std::uint64_t declared_;
    std::uint64_t total_ = 0;
};

struct ZipEntryInfo {
    zip_uint64_t index = 0;
    std::uint64_t size = 0;
    std::uint64_t comp_size = 0;
};

class ZipContainer final : public Container {
public:
    static Result<std::unique_ptr<Container>> open(const fs::path& path)
    {
        int code = 0;
        ZipArchive za(zip_open(path.c_str(), ZIP_RDONLY, &code));
        if (!za) {
            return fail(code == ZIP_ER_NOENT ? ErrorCode::NotFound : ErrorCode::Parse,
                        fmt::format("{} cannot be read as a zip ({}): is it truncated or damaged?",
                                    path.string(), zip_error_text(code)));
        }
        auto c = std::unique_ptr<ZipContainer>(new ZipContainer(path, std::move(za)));
        CV_TRY_VOID(c->index_entries());
        return std::unique_ptr<Container>(std::move(c));
    }

    const std::vector<std::string>& chat_candidates() const override { return texts_; }

    Result<std::unique_ptr<ByteSource>> open_text(const std::string& name) const override
    {
        const auto it = entries_.find(name);
        if (it == entries_.end())
            return fail(ErrorCode::NotFound, fmt::format("{} has no entry {}", path_.string(), name));
        const ZipEntryInfo& e = it->second;
        if (e.comp_size > 0 && e.size / e.comp_size > kMaxCompressionRatio)
            return fail(ErrorCode::LimitExceeded,
                        fmt::format("entry {} of {} claims {} bytes from {} compressed ({}:1): a zip bomb, "
                                    "not an export",
                                    name, path_.string(), e.size, e.comp_size, e.size / e.comp_size));
        ZipFile f(zip_fopen_index(za_.get(), e.index, 0));
        if (!f) {
            const int code = zip_error_code_zip(zip_get_error(za_.get()));
            if (code == ZIP_ER_NOPASSWD || code == ZIP_ER_WRONGPASSWD)
                return fail(ErrorCode::Unsupported,
                            fmt::format("entry {} of {} is encrypted: export it again without a password",
                                        name, path_.string()));
            return fail(ErrorCode::Parse, fmt::format("entry {} of {} cannot be read: {}", name,
                                                      path_.string(), zip_strerror(za_.get())));
        }
        return std::unique_ptr<ByteSource>(std::make_unique<ZipEntrySource>(std::move(f), name, e.size));
    }

    std::optional<MediaLocation> find_media(std::string_view name) const override
    {
        if (name.empty())
            return std::nullopt;
        auto it = entries_.find(std::string(name));
        if (it == entries_.end()) {
            // Media usually sits beside the chat text, at the top or in the same folder.
            const auto b = by_base_.find(std::string(name));
            if (b == by_base_.end())
                return std::nullopt;
            it = entries_.find(b->second);
        }
        return MediaLocation{it->first, it->second.size};
    }

    std::string describe(const std::string& text_name) const override
    {
        return fmt::format("{}:{}", path_.string(), text_name);
    }

private:
    ZipContainer(fs::path path, ZipArchive za) : path_(std::move(path)), za_(std::move(za)) {}

    Result<void> index_entries()
    {
        const zip_int64_t n = zip_get_num_entries(za_.get(), 0);
        std::uint64_t unsafe = 0;
        for (zip_int64_t i = 0; i < n; ++i) {
            zip_stat_t st;
            zip_stat_init(&st);
            if (zip_stat_index(za_.get(), static_cast<zip_uint64_t>(i), 0, &st) != 0 ||
                !(st.valid & ZIP_STAT_NAME))
                continue;
            const std::string name = st.name;
            if (name.empty() || name.back() == '/')
                continue;  // folder entry
            if (name.starts_with("__MACOSX/") || base_name(name).starts_with("._"))
                continue;  // macOS resource forks
            if (is_unsafe_entry_name(name)) {
                // Never used: a name that climbs out of the archive or is absolute is only ever
                // an attack on tools that extract; we extract nothing but still refuse it.
                if (unsafe++ < 10)
                    notes_.push_back(fmt::format("{}: entry '{}' has an unsafe path and is ignored",
                                                 path_.string(), name));
                continue;
            }
            ZipEntryInfo info{static_cast<zip_uint64_t>(i), (st.valid & ZIP_STAT_SIZE) ? st.size : 0,
                              (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0};
            if (ends_with_txt(name))
                texts_.push_back(name);
            by_base_.emplace(std::string(base_name(name)), name);
            entries_.emplace(name, info);
        }
        if (unsafe > 10)
            notes_.push_back(
                fmt::format("{}: {} more unsafe entry names ignored", path_.string(), unsafe - 10));
        if (texts_.empty())
            return fail(
                ErrorCode::NotFound,
                fmt::format("{} holds no chat text (.txt entry): not a WhatsApp export", path_.string()));
        sort_candidates(texts_);
        return {};
    }

    fs::path path_;
    ZipArchive za_;
    std::unordered_map<std::string, ZipEntryInfo> entries_;
    std::unordered_map<std::string, std::string> by_base_;  // file name → entry name
    std::vector<std::string> texts_;
};

bool looks_like_zip(const fs::path& path)
{
    auto src = open_file_source(path);
    if (!src)
        return false;
    char magic[4] = {};
    auto n = (*src)->read(std::span<char>(magic, 4));
    return n && *n == 4 && magic[0] == 'P' && magic[1] == 'K' &&
           (magic[2] == 3 || magic[2] == 5 || magic[2] == 7);
}

}  // namespace

Result<std::unique_ptr<Container>> Container::open(const fs::path& path)
{
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status))
        return fail(ErrorCode::NotFound, fmt::format("{}: no such file or folder", path.string()));
    if (fs::is_directory(status))
        return FolderContainer::open(path);
    if (!fs::is_regular_file(status))
        return fail(ErrorCode::InvalidArgument, fmt::format("{}: not a regular file", path.string()));
    if (looks_like_zip(path))
        return ZipContainer::open(path);
    return std::unique_ptr<Container>(std::make_unique<TextFileContainer>(path));
}

}  // namespace cv::chat_export::detail

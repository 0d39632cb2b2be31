#include "render/detail/content_type.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include <magic.h>

namespace cv::render::detail {

struct ContentSniffer::Impl {
    magic_t cookie = nullptr;
    ~Impl()
    {
        if (cookie)
            magic_close(cookie);
    }
};

ContentSniffer::ContentSniffer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ContentSniffer::ContentSniffer(ContentSniffer&&) noexcept = default;
ContentSniffer& ContentSniffer::operator=(ContentSniffer&&) noexcept = default;
ContentSniffer::~ContentSniffer() = default;

Result<ContentSniffer> ContentSniffer::open()
{
    auto impl = std::make_unique<Impl>();
    // Compressed files are labelled as such, not by what they hold: we attach bytes as they are.
    // The JSON, CSV and text-encoding checks scan the whole buffer of every file that matches
    // no magic (a third of the time spent on random media) and only refine text/plain.
    impl->cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_JSON |
                              MAGIC_NO_CHECK_CSV | MAGIC_NO_CHECK_ENCODING | MAGIC_ERROR);
    if (!impl->cookie)
        return fail(ErrorCode::Internal, "libmagic could not start");
    if (magic_load(impl->cookie, nullptr) != 0)
        return fail(ErrorCode::Internal, std::string("libmagic could not load its database: ") +
                                             (magic_error(impl->cookie) ? magic_error(impl->cookie) : "?"));
    return ContentSniffer(std::move(impl));
}

std::string ContentSniffer::sniff(std::string_view head, std::string_view file_name,
                                  std::string_view recorded) const
{
    std::string sniffed;
    if (!head.empty()) {
        const char* t = magic_buffer(impl_->cookie, head.data(), std::min(head.size(), kSniffBytes));
        if (t)
            sniffed = t;
    }
    // libmagic answers these when it recognises nothing in particular; the name or the
    // source's record then knows better (a .vcf is text, a .opus voice note "octet-stream").
    const bool generic = sniffed.empty() || sniffed == "application/octet-stream" ||
                         sniffed == "text/plain" || sniffed == "application/x-empty" ||
                         sniffed == "inode/x-empty";
    if (!generic)
        return sniffed;
    if (!recorded.empty())
        return std::string(recorded);
    if (const auto by_name = type_from_extension(file_name); !by_name.empty())
        return std::string(by_name);
    return sniffed == "text/plain" ? sniffed : "application/octet-stream";
}

std::string_view type_from_extension(std::string_view file_name)
{
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 26> kTypes{{
        {"3gp", "video/3gpp"},
        {"aac", "audio/aac"},
        {"amr", "audio/amr"},
        {"doc", "application/msword"},
        {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {"gif", "image/gif"},
        {"heic", "image/heic"},
        {"jpeg", "image/jpeg"},
        {"jpg", "image/jpeg"},
        {"m4a", "audio/mp4"},
        {"mov", "video/quicktime"},
        {"mp3", "audio/mpeg"},
        {"mp4", "video/mp4"},
        {"ogg", "audio/ogg"},
        {"opus", "audio/ogg"},
        {"pdf", "application/pdf"},
        {"png", "image/png"},
        {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
        {"txt", "text/plain"},
        {"vcf", "text/vcard"},
        {"wav", "audio/wav"},
        {"webm", "video/webm"},
        {"webp", "image/webp"},
        {"xls", "application/vnd.ms-excel"},
        {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {"zip", "application/zip"},
    }};
    const auto dot = file_name.rfind('.');
    if (dot == std::string_view::npos || file_name.size() - dot > 6)
        return {};
    std::string ext;
    for (const char c : file_name.substr(dot + 1))
        ext += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto it = std::lower_bound(kTypes.begin(), kTypes.end(), ext,
                                     [](const auto& entry, const std::string& e) { return entry.first < e; });
    return it != kTypes.end() && it->first == ext ? it->second : std::string_view{};
}

}  // namespace cv::render::detail

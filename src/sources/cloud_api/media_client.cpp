// MediaClient: the Graph API media download (§A.11) over libcurl. The bearer token goes only
// into the Authorization header of our two requests (curl does not resend it to another host
// on a redirect), never into a message.

#include "sources/cloud_api/cloud_api.hpp"

#include <mutex>

#include <curl/curl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/digest.hpp"
#include "sources/cloud_api/detail/codec.hpp"

namespace cv::cloud_api {

namespace {

constexpr std::size_t kMaxMetadata = 64 * 1024;  // the metadata is a few hundred bytes
constexpr std::size_t kMaxErrorBody = 4096;

void global_init()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
    long status = 0;
    CURL* curl = nullptr;
    // Metadata (step 1) or the first bytes of an error answer.
    std::string small;
    std::size_t small_limit = kMaxMetadata;
    // Step 2, status 200: the file, streamed.
    ByteSink* sink = nullptr;
    Sha256* hash = nullptr;
    std::uint64_t written = 0;
    std::optional<Error> sink_error;
    bool too_big = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user)
{
    auto& t = *static_cast<Transfer*>(user);
    const std::size_t n = size * count;
    if (t.status == 0)
        curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &t.status);
    const std::string_view bytes(data, n);
    if (t.sink && t.status == 200) {
        if (auto r = t.sink->write(bytes); !r) {
            t.sink_error = std::move(r).error();
            return 0;  // aborts the transfer
        }
        t.hash->update(bytes);
        t.written += n;
        return n;
    }
    const std::size_t limit = t.sink ? kMaxErrorBody : t.small_limit;
    if (t.small.size() + n > limit) {
        if (!t.sink) {
            t.too_big = true;
            return 0;
        }
        t.small.append(bytes.substr(0, limit - t.small.size()));
        return n;
    }
    t.small.append(bytes);
    return n;
}

std::string escape(CURL* curl, std::string_view s)
{
    char* e = curl_easy_escape(curl, s.data(), static_cast<int>(s.size()));
    std::string out = e ? e : "";
    curl_free(e);
    return out;
}

Error http_error(long status, std::string_view what, std::string_view body)
{
    // Graph errors are {"error":{"message":…}}: a person can act on that message.
    std::string detail;
    const auto j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_object() && j["error"].contains("message") &&
        j["error"]["message"].is_string())
        detail = ": " + j["error"]["message"].get<std::string>();
    const std::string message = fmt::format("{}: HTTP {}{}", what, status, detail);
    if (status == 401 || status == 403)
        return Error(ErrorCode::Refused, message + " (check the access token and its permissions)");
    if (status == 404)
        return Error(ErrorCode::NotFound, message + " (media ids from webhooks expire after 7 days)");
    if (status == 429 || status >= 500)
        return Error(ErrorCode::Unavailable, message);
    return Error(ErrorCode::Refused, message);
}

}  // namespace

struct MediaClient::Impl {
    MediaClientOptions options;
    CURL* curl = nullptr;
    curl_slist* headers = nullptr;

    ~Impl()
    {
        curl_slist_free_all(headers);
        if (curl)
            curl_easy_cleanup(curl);
    }

    // One GET with our Authorization header. Returns the curl failure, if any, as an Error.
    Result<void> get(const std::string& url, Transfer& t, bool whole_file)
    {
        curl_easy_reset(curl);
        char error_text[CURL_ERROR_SIZE] = {};
        t.curl = curl;
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);
        curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "chatvault");
        const long secs = static_cast<long>(options.timeout.count());
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, secs);
        if (whole_file) {
            // A file has no size limit: give up on a stalled transfer, not on a long one.
            curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
            curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, secs);
        } else {
            curl_easy_setopt(curl, CURLOPT_TIMEOUT, secs);
        }
        const CURLcode rc = curl_easy_perform(curl);
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &t.status);
        if (t.sink_error)
            return fail(Error(*t.sink_error));
        if (t.too_big)
            return fail(ErrorCode::Parse, "media metadata larger than 64 KiB");
        if (rc != CURLE_OK)
            return fail(ErrorCode::Unavailable,
                        error_text[0] ? std::string(error_text) : curl_easy_strerror(rc));
        return {};
    }

    Result<MediaFile> metadata(std::string_view media_id, std::string_view phone_number_id)
    {
        std::string base = options.graph_base_url;
        while (!base.empty() && base.back() == '/')
            base.pop_back();
        std::string url = fmt::format("{}/{}", base, escape(curl, media_id));
        if (!phone_number_id.empty())
            url += "?phone_number_id=" + escape(curl, phone_number_id);
        Transfer t;
        CV_TRY_VOID(get(url, t, false).or_else([&](Error e) -> Result<void> {
            return fail(std::move(e).with_context(fmt::format("media {}: metadata request", media_id)));
        }));
        if (t.status != 200)
            return fail(http_error(t.status, fmt::format("media {}: metadata request", media_id), t.small));
        const auto j = nlohmann::json::parse(t.small, nullptr, false);
        auto bad = [&](std::string_view what) {
            return fail(ErrorCode::Parse, fmt::format("media {}: metadata {}", media_id, what));
        };
        if (!j.is_object())
            return bad("is not a JSON object");
        if (!j.contains("url") || !j["url"].is_string() || j["url"].get<std::string>().empty())
            return bad("has no url");
        MediaFile f;
        f.id = j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>() : std::string(media_id);
        if (j.contains("mime_type") && j["mime_type"].is_string())
            f.mime_type = j["mime_type"].get<std::string>();
        if (j.contains("sha256") && j["sha256"].is_string())
            f.sha256 = j["sha256"].get<std::string>();
        if (j.contains("file_size")) {
            const auto& s = j["file_size"];
            if (s.is_number_unsigned())
                f.size = s.get<std::uint64_t>();
            else if (s.is_string() && !s.get<std::string>().empty() &&
                     s.get<std::string>().find_first_not_of("0123456789") == std::string::npos &&
                     s.get<std::string>().size() < 20)
                f.size = std::stoull(s.get<std::string>());
            else
                return bad("has a file_size that is not a number");
        } else {
            return bad("has no file_size");
        }
        url_ = j["url"].get<std::string>();
        return f;
    }

    std::string url_;  // the last metadata's download url (valid for 5 minutes)
};

MediaClient::MediaClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MediaClient::~MediaClient() = default;
MediaClient::MediaClient(MediaClient&&) noexcept = default;
MediaClient& MediaClient::operator=(MediaClient&&) noexcept = default;

Result<MediaClient> MediaClient::create(MediaClientOptions options)
{
    if (options.access_token.empty())
        return fail(ErrorCode::InvalidArgument, "Graph API media download: no access token");
    if (options.graph_base_url.empty())
        return fail(ErrorCode::InvalidArgument, "Graph API media download: no base URL");
    for (const char c : options.access_token)
        if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7E)
            return fail(ErrorCode::InvalidArgument, "Graph API media download: the access token has a "
                                                    "character that cannot go into an HTTP header");
    global_init();
    auto impl = std::make_unique<Impl>();
    impl->curl = curl_easy_init();
    if (!impl->curl)
        return fail(ErrorCode::Internal, "curl_easy_init failed");
    impl->headers = curl_slist_append(nullptr, ("Authorization: Bearer " + options.access_token).c_str());
    if (!impl->headers)
        return fail(ErrorCode::Internal, "curl_slist_append failed");
    impl->options = std::move(options);
    return MediaClient(std::move(impl));
}

Result<MediaFile> MediaClient::download(std::string_view media_id, std::string_view phone_number_id,
                                        ByteSink& out)
{
    if (media_id.empty())
        return fail(ErrorCode::InvalidArgument, "media download: empty media id");
    CV_TRY(MediaFile file, impl_->metadata(media_id, phone_number_id));
    for (int attempt = 0;; ++attempt) {
        Sha256 hash;
        Transfer t;
        t.sink = &out;
        t.hash = &hash;
        CV_TRY_VOID(impl_->get(impl_->url_, t, true).or_else([&](Error e) -> Result<void> {
            return fail(std::move(e).with_context(fmt::format("media {}: download", media_id)));
        }));
        if (t.status == 200) {
            if (t.written != file.size)
                return fail(ErrorCode::Parse, fmt::format("media {}: {} bytes received, the metadata says {}",
                                                          media_id, t.written, file.size));
            const Sha256Digest digest = hash.finish();
            if (!file.sha256.empty()) {
                const auto expected = detail::sha256_bytes(file.sha256);
                if (!expected)
                    return fail(ErrorCode::Parse,
                                fmt::format("media {}: metadata sha256 \"{}\" is neither hex "
                                            "nor base64 of 32 bytes",
                                            media_id, file.sha256));
                if (std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()) !=
                    *expected)
                    return fail(ErrorCode::Parse,
                                fmt::format("media {}: sha256 of the bytes ({}) differs from "
                                            "the metadata's ({})",
                                            media_id, to_hex(digest), detail::hex(*expected)));
            }
            file.size = t.written;
            return file;
        }
        // The url lives 5 minutes: an expired one answers 401/403/404; ask for a fresh one once.
        const bool expired = t.status == 401 || t.status == 403 || t.status == 404;
        if (!expired || attempt > 0)
            return fail(http_error(t.status, fmt::format("media {}: download", media_id), t.small));
        CV_TRY(MediaFile fresh, impl_->metadata(media_id, phone_number_id));
        file = std::move(fresh);
    }
}

}  // namespace cv::cloud_api

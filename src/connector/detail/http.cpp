// libcurl for http-pull. Only http and https are allowed (also after a redirect), credentials
// are never sent to another origin after a redirect (curl's default, kept on purpose), and a
// stalled server cannot hold a run for ever.

#include "connector/detail/http.hpp"

#include <cctype>
#include <cstdio>
#include <memory>
#include <mutex>

#include <curl/curl.h>
#include <fmt/format.h>

namespace cv::connector::detail {

namespace {

template <auto Fn> struct FnDeleter {
    template <class T> void operator()(T* p) const { Fn(p); }
};
using Easy = std::unique_ptr<CURL, FnDeleter<curl_easy_cleanup>>;
using Headers = std::unique_ptr<curl_slist, FnDeleter<curl_slist_free_all>>;
using File = std::unique_ptr<std::FILE, FnDeleter<std::fclose>>;

struct Sink {
    std::string* memory = nullptr;
    std::size_t limit = 0;
    std::FILE* file = nullptr;
    std::uint64_t written = 0;
    bool over_limit = false;
    bool write_failed = false;
};

extern "C" std::size_t on_data(char* data, std::size_t size, std::size_t n, void* user)
{
    auto* sink = static_cast<Sink*>(user);
    const std::size_t bytes = size * n;
    if (sink->memory) {
        if (sink->memory->size() + bytes > sink->limit) {
            sink->over_limit = true;
            return 0;
        }
        sink->memory->append(data, bytes);
    } else if (std::fwrite(data, 1, bytes, sink->file) != bytes) {
        sink->write_failed = true;
        return 0;
    }
    sink->written += bytes;
    return bytes;
}

Result<void> perform(const std::string& url, const HttpAuth& auth, Sink& sink)
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    Easy easy(curl_easy_init());
    if (!easy)
        return fail(ErrorCode::Internal, "curl_easy_init failed");
    CURL* c = easy.get();
    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "chatvault-connector/1");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    Headers headers;
    std::string bearer;
    if (auth.scheme == "basic") {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, auth.username.c_str());
        curl_easy_setopt(c, CURLOPT_PASSWORD, auth.secret.c_str());
    } else if (auth.scheme == "bearer") {
        bearer = "Authorization: Bearer " + auth.secret;
        headers.reset(curl_slist_append(nullptr, bearer.c_str()));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    }
    const CURLcode rc = curl_easy_perform(c);
    const std::string where = redact(url);
    if (sink.over_limit)
        return fail(ErrorCode::LimitExceeded, fmt::format("{}: larger than {} bytes", where, sink.limit));
    if (sink.write_failed)
        return fail(ErrorCode::Io, fmt::format("{}: writing the download failed", where));
    if (rc != CURLE_OK)
        return fail(ErrorCode::Unavailable,
                    fmt::format("{}: {}", where, error[0] ? error : curl_easy_strerror(rc)));
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status == 401 || status == 403)
        return fail(ErrorCode::Refused,
                    fmt::format("{}: HTTP {} (check the connector's credentials)", where, status));
    if (status == 404 || status == 410)
        return fail(ErrorCode::NotFound, fmt::format("{}: HTTP {}", where, status));
    if (status < 200 || status > 299)
        return fail(ErrorCode::Unavailable, fmt::format("{}: HTTP {}", where, status));
    return {};
}

}  // namespace

Result<std::string> http_get(const std::string& url, const HttpAuth& auth, std::size_t limit)
{
    std::string body;
    Sink sink;
    sink.memory = &body;
    sink.limit = limit;
    CV_TRY_VOID(perform(url, auth, sink));
    return body;
}

Result<std::uint64_t> http_download(const std::string& url, const HttpAuth& auth,
                                    const std::filesystem::path& to)
{
    File file(std::fopen(to.c_str(), "wb"));
    if (!file)
        return fail(ErrorCode::Io, fmt::format("cannot create {}", to.string()));
    Sink sink;
    sink.file = file.get();
    CV_TRY_VOID(perform(url, auth, sink));
    if (std::fclose(file.release()) != 0)
        return fail(ErrorCode::Io, fmt::format("writing {} failed", to.string()));
    return sink.written;
}

std::string origin(std::string_view url)
{
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos)
        return {};
    const auto host_end = url.find_first_of("/?#", scheme_end + 3);
    std::string out(url.substr(0, host_end));
    for (auto& ch : out)
        if (ch >= 'A' && ch <= 'Z')
            ch = static_cast<char>(ch - 'A' + 'a');
    return out;
}

std::string resolve_url(std::string_view base, std::string_view ref)
{
    const auto lower_starts = [&](std::string_view p) {
        if (ref.size() < p.size())
            return false;
        for (std::size_t i = 0; i < p.size(); ++i)
            if (static_cast<char>(std::tolower(static_cast<unsigned char>(ref[i]))) != p[i])
                return false;
        return true;
    };
    if (lower_starts("http://") || lower_starts("https://"))
        return std::string(ref);
    if (!ref.empty() && ref.front() == '/')
        return origin(base) + std::string(ref);
    std::string_view dir = base.substr(0, base.find_first_of("?#"));
    const std::size_t authority = dir.find("://") == std::string_view::npos ? 0 : dir.find("://") + 3;
    const auto slash = dir.rfind('/');
    if (slash == std::string_view::npos || slash < authority)
        return std::string(dir) + "/" + std::string(ref);
    return std::string(dir.substr(0, slash + 1)) + std::string(ref);
}

std::string redact(std::string_view url)
{
    return std::string(url.substr(0, url.find_first_of("?#")));
}

}  // namespace cv::connector::detail

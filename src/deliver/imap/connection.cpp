#include "deliver/imap/connection.hpp"

#include <poll.h>

#include <charconv>
#include <mutex>

#include <curl/curl.h>
#include <fmt/format.h>

namespace cv::deliver::imap {

namespace {

constexpr std::size_t kMaxUnit = 64u << 20;

void global_init()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

ErrorCode code_of(CURLcode rc)
{
    switch (rc) {
    case CURLE_LOGIN_DENIED:
    case CURLE_USE_SSL_FAILED:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_REMOTE_ACCESS_DENIED: return ErrorCode::Refused;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: return ErrorCode::InvalidArgument;
    default: return ErrorCode::Unavailable;
    }
}

}  // namespace

struct Connection::Impl {
    CURL* curl = nullptr;
    curl_socket_t socket = CURL_SOCKET_BAD;
    std::chrono::milliseconds timeout{};
    std::string buffer;  // bytes read and not yet consumed
    std::size_t consumed = 0;

    ~Impl()
    {
        if (curl)
            curl_easy_cleanup(curl);
    }

    Result<void> wait(short events)
    {
        pollfd p{socket, events, 0};
        const int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
        if (n == 0)
            return fail(ErrorCode::Unavailable,
                        fmt::format("the IMAP server did not answer within {} s", timeout.count() / 1000));
        if (n < 0 && errno != EINTR)
            return fail(ErrorCode::Unavailable, "waiting for the IMAP server failed");
        return {};
    }

    // More bytes into `buffer`. TLS may have bytes decrypted and pending, so curl_easy_recv
    // is asked first and poll() only waited on when it says EAGAIN.
    Result<void> fill()
    {
        buffer.erase(0, consumed);
        consumed = 0;
        char chunk[65536];
        for (;;) {
            std::size_t n = 0;
            const CURLcode rc = curl_easy_recv(curl, chunk, sizeof chunk, &n);
            if (rc == CURLE_AGAIN) {
                CV_TRY_VOID(wait(POLLIN));
                continue;
            }
            if (rc != CURLE_OK)
                return fail(ErrorCode::Unavailable,
                            fmt::format("reading from the IMAP server: {}", curl_easy_strerror(rc)));
            if (n == 0)
                return fail(ErrorCode::Unavailable, "the IMAP server closed the connection");
            buffer.append(chunk, n);
            return {};
        }
    }
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

Result<Connection> Connection::open(const ConnectSpec& spec)
{
    global_init();
    const bool implicit_tls = spec.url.starts_with("imaps://");
    if (!implicit_tls && !spec.url.starts_with("imap://"))
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("delivery URL {} is not imap:// or imaps://", spec.url));
    auto impl = std::make_unique<Impl>();
    impl->timeout = spec.timeout;
    impl->curl = curl_easy_init();
    if (!impl->curl)
        return fail(ErrorCode::Internal, "libcurl could not create a handle");
    CURL* c = impl->curl;
    char error_text[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_text);
    curl_easy_setopt(c, CURLOPT_URL, spec.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
    curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);  // greeting, STARTTLS and login; then ours
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(spec.timeout.count()));
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, spec.verify_peer ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, spec.verify_peer ? 2L : 0L);
    if (!spec.ca_file.empty())
        curl_easy_setopt(c, CURLOPT_CAINFO, spec.ca_file.c_str());
    if (!implicit_tls)
        curl_easy_setopt(c, CURLOPT_USE_SSL,
                         spec.require_tls ? static_cast<long>(CURLUSESSL_ALL)
                                          : static_cast<long>(CURLUSESSL_TRY));
    curl_easy_setopt(c, CURLOPT_USERNAME, spec.user.c_str());
    switch (spec.mechanism) {
    case Mechanism::Plain:
        curl_easy_setopt(c, CURLOPT_PASSWORD, spec.secret.c_str());
        curl_easy_setopt(c, CURLOPT_LOGIN_OPTIONS, "AUTH=PLAIN");
        break;
    case Mechanism::Login:
        curl_easy_setopt(c, CURLOPT_PASSWORD, spec.secret.c_str());
        curl_easy_setopt(c, CURLOPT_LOGIN_OPTIONS, "AUTH=LOGIN");
        break;
    case Mechanism::XOAuth2:
        curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, spec.secret.c_str());
        curl_easy_setopt(c, CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
        break;
    }
    const CURLcode rc = curl_easy_perform(c);
    // The secret is in curl's handle only until here: clear it from the options.
    curl_easy_setopt(c, CURLOPT_PASSWORD, "");
    curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, "");
    if (rc != CURLE_OK) {
        const std::string detail = error_text[0] ? error_text : curl_easy_strerror(rc);
        std::string what;
        switch (rc) {
        case CURLE_LOGIN_DENIED: what = fmt::format("the server refused the login of {}", spec.user); break;
        case CURLE_USE_SSL_FAILED:
            what = "the server does not offer STARTTLS, and cleartext is not allowed";
            break;
        case CURLE_PEER_FAILED_VERIFICATION: what = "the server's certificate was not accepted"; break;
        default: what = "cannot connect";
        }
        return fail(code_of(rc), fmt::format("{} ({}): {}", what, spec.url, detail));
    }
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
    if (curl_easy_getinfo(c, CURLINFO_ACTIVESOCKET, &impl->socket) != CURLE_OK ||
        impl->socket == CURL_SOCKET_BAD)
        return fail(ErrorCode::Internal, "libcurl gave no socket after connecting");
    return Connection(std::move(impl));
}

Result<void> Connection::write(std::string_view bytes)
{
    while (!bytes.empty()) {
        std::size_t sent = 0;
        const CURLcode rc = curl_easy_send(impl_->curl, bytes.data(), bytes.size(), &sent);
        if (rc == CURLE_AGAIN) {
            CV_TRY_VOID(impl_->wait(POLLOUT));
            continue;
        }
        if (rc != CURLE_OK)
            return fail(ErrorCode::Unavailable,
                        fmt::format("writing to the IMAP server: {}", curl_easy_strerror(rc)));
        bytes.remove_prefix(sent);
    }
    return {};
}

Result<std::string> Connection::read_unit()
{
    std::string unit;
    for (;;) {
        // One line.
        std::size_t eol;
        while ((eol = impl_->buffer.find("\r\n", impl_->consumed)) == std::string::npos) {
            if (unit.size() + impl_->buffer.size() - impl_->consumed > kMaxUnit)
                return fail(ErrorCode::LimitExceeded, "the IMAP server sent a response over 64 MiB");
            CV_TRY_VOID(impl_->fill());
        }
        const std::string_view line(impl_->buffer.data() + impl_->consumed, eol - impl_->consumed);
        unit += line;
        impl_->consumed = eol + 2;
        // A literal announced at the end of the line: its bytes follow, then the line goes on.
        std::size_t literal = 0;
        if (line.ends_with("}")) {
            const auto open = line.rfind('{');
            if (open == std::string_view::npos)
                return unit;
            std::string_view digits = line.substr(open + 1, line.size() - open - 2);
            if (!digits.empty() && digits.back() == '+')
                digits.remove_suffix(1);
            const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), literal);
            if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
                return unit;
        } else {
            return unit;
        }
        if (unit.size() + literal > kMaxUnit)
            return fail(ErrorCode::LimitExceeded, "the IMAP server sent a response over 64 MiB");
        unit += "\r\n";
        while (impl_->buffer.size() - impl_->consumed < literal)
            CV_TRY_VOID(impl_->fill());
        unit.append(impl_->buffer, impl_->consumed, literal);
        impl_->consumed += literal;
    }
}

}  // namespace cv::deliver::imap

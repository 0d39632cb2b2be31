#include "server/server.hpp"

#include <csignal>
#include <exception>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <fmt/format.h>
#include <httplib.h>
#include <openssl/ssl.h>

#include "core/digest.hpp"
#include "server/detail/api.hpp"

namespace cv::server {

namespace fs = std::filesystem;
using namespace detail;

namespace {

// An archive's plaintext must never reach a core file: no dumps, and no ptrace attach by
// other processes of the same user.
void forbid_core_dumps()
{
    const rlimit none{0, 0};
    ::setrlimit(RLIMIT_CORE, &none);
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

struct Endpoint {
    std::string host;
    int port = 0;
};

Result<Endpoint> parse_listen(std::string_view text)
{
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon + 1 == text.size())
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("--listen {}: expected HOST:PORT (127.0.0.1:8080, [::1]:8080)", text));
    Endpoint e;
    e.host = std::string(text.substr(0, colon));
    if (e.host.size() >= 2 && e.host.front() == '[' && e.host.back() == ']')
        e.host = e.host.substr(1, e.host.size() - 2);
    const auto port = text.substr(colon + 1);
    int value = 0;
    for (const char ch : port) {
        if (ch < '0' || ch > '9' || value > 65535)
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("--listen {}: the port is not a number", text));
        value = value * 10 + (ch - '0');
    }
    if (value > 65535 || e.host.empty())
        return fail(ErrorCode::InvalidArgument, fmt::format("--listen {}: expected HOST:PORT", text));
    e.port = value;
    return e;
}

// "/api/v1/connectors/{name}" → a regex with one group per parameter, and the names.
std::pair<std::string, std::vector<std::string>> route_pattern(std::string_view path)
{
    std::string re;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < path.size();) {
        if (path[i] == '{') {
            const auto close = path.find('}', i);
            names.emplace_back(path.substr(i + 1, close - i - 1));
            re += "([^/]+)";
            i = close + 1;
            continue;
        }
        if (std::string_view(".+*?()[]^$|\\").find(path[i]) != std::string_view::npos)
            re += '\\';
        re += path[i++];
    }
    return {re, names};
}

bool unsafe_method(std::string_view method)
{
    return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

std::string error_body(std::string_view code, std::string_view message)
{
    return nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump();
}

void send_error(httplib::Response& res, int status, std::string_view code, std::string_view message)
{
    res.status = status;
    res.set_content(error_body(code, message), "application/json");
}

void send(httplib::Response& res, const Reply& reply)
{
    res.status = reply.status;
    for (const auto& [k, v] : reply.headers)
        res.set_header(k, v);
    if (reply.file) {
        // Streamed in pieces: an export's zip can be gigabytes. The file is opened now, so a
        // removal while it is sent does not cut it short.
        auto in = std::make_shared<std::ifstream>(*reply.file, std::ios::binary);
        std::error_code ec;
        const auto size = fs::file_size(*reply.file, ec);
        if (!*in || ec) {
            send_error(res, 404, "not_found", "the file is gone");
            return;
        }
        res.set_content_provider(static_cast<std::size_t>(size), reply.content_type,
                                 [in](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                                     std::vector<char> buffer(std::min<std::size_t>(length, 1u << 16));
                                     in->seekg(static_cast<std::streamoff>(offset));
                                     in->read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
                                     const auto got = in->gcount();
                                     if (got <= 0)
                                         return false;
                                     return sink.write(buffer.data(), static_cast<std::size_t>(got));
                                 });
        return;
    }
    if (reply.status != 204)
        res.set_content(reply.body, reply.content_type.c_str());
}

// The principal a token stands for. The archive is asked whenever it is free, so a revoked token
// stops working at once; while an import holds it, an answer up to a minute old is used, so that
// a monitoring scrape of /metrics or a script polling a run does not wait for the import.
Result<std::optional<auth::Principal>> token_principal(Context& ctx, std::string_view token, std::int64_t now)
{
    constexpr std::int64_t kStaleSeconds = 60;
    const std::string key = to_hex(sha256(token));  // tokens are not kept in memory as such
    std::unique_lock lock(ctx.archive_mutex, std::try_to_lock);
    if (!lock.owns_lock()) {
        {
            std::lock_guard cache(ctx.token_cache_mutex);
            const auto it = ctx.token_cache.find(key);
            if (it != ctx.token_cache.end() && now - it->second.checked < kStaleSeconds)
                return it->second.principal;
        }
        lock.lock();
    }
    auth::Accounts accounts(ctx.archive);
    CV_TRY(auto principal, accounts.authenticate_token(token, now));
    std::lock_guard cache(ctx.token_cache_mutex);
    if (ctx.token_cache.size() > 10000)
        ctx.token_cache.clear();  // bounded: a flood of made-up tokens must not grow it
    ctx.token_cache[key] = {principal, now};
    return principal;
}

// Who is calling: an API token (Authorization: Bearer), else the session cookie. A request
// with a bad credential is refused even on a route that would not need one: a client with a
// stale token should learn so. Returns false when `res` holds the refusal.
bool authenticate(Context& ctx, const httplib::Request& req, httplib::Response& res, Call& call,
                  std::optional<auth::Principal>& principal)
{
    const std::int64_t now = now_utc();
    if (req.has_header("Authorization")) {
        // auth's parsers return views into the header: keep it alive.
        const std::string header = req.get_header_value("Authorization");
        const auto token = auth::bearer_token(header);
        std::optional<auth::Principal> found;
        if (token) {
            auto r = token_principal(ctx, *token, now);
            if (!r) {
                send_error(res, 500, "internal", "could not check the token");
                return false;
            }
            found = std::move(*r);
        }
        if (!found) {
            res.set_header("WWW-Authenticate", "Bearer realm=\"chatvault\"");
            send_error(res, 401, "unauthenticated",
                       "the API token is not valid (unknown, expired or revoked)");
            return false;
        }
        principal = std::move(found);
        return true;
    }
    if (req.has_header("Cookie")) {
        const std::string header = req.get_header_value("Cookie");
        const auto id = auth::cookie_value(header, "cv_session");
        if (!id)
            return true;
        auto session = ctx.sessions.find(*id, now);
        if (!session)
            return true;  // an expired cookie: as if there were none (the route decides)
        if (unsafe_method(req.method) &&
            !auth::Sessions::csrf_matches(*session, req.get_header_value("X-CSRF-Token"))) {
            send_error(res, 403, "csrf", "missing or wrong X-CSRF-Token header for this session");
            return false;
        }
        principal = session->principal;
        call.session = session->id;
    }
    return true;
}

void dispatch(Context& ctx, const Route& route, const std::vector<std::string>& names,
              const httplib::Request& req, httplib::Response& res)
{
    Call call;
    call.method = req.method;
    call.path = req.path;
    for (std::size_t i = 0; i < names.size() && i + 1 < req.matches.size(); ++i)
        call.params[names[i]] = req.matches[static_cast<int>(i + 1)].str();
    for (const auto& [k, v] : req.params)
        call.query.emplace(k, v);
    for (const auto& [k, v] : req.headers) {
        std::string lower = k;
        for (char& ch : lower)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        call.headers[lower] = v;
    }
    call.body = req.body;
    call.remote = req.remote_addr;

    std::optional<auth::Principal> principal;
    if (route.access != Access::Public) {
        if (!authenticate(ctx, req, res, call, principal))
            return;
        if (!principal) {
            res.set_header("WWW-Authenticate", "Bearer realm=\"chatvault\"");
            send_error(res, 401, "unauthenticated", "sign in (POST /api/v1/session) or send an API token");
            return;
        }
        if (route.access == Access::Permission && !principal->may(route.permission)) {
            send_error(res, 403, "forbidden",
                       fmt::format("{} needs the permission {}, which none of your roles grants", route.path,
                                   auth::to_string(route.permission)));
            return;
        }
        call.principal = &*principal;
    }
    Result<Reply> reply = [&]() -> Result<Reply> {
        try {
            return route.handler(ctx, call);
        } catch (const std::exception& e) {
            // A handler's bug must not take the service down; the message may hold data, so it
            // goes to the log, not to the caller.
            if (ctx.log)
                ctx.log(fmt::format("error: {} {}: {}", req.method, route.path, e.what()));
            return fail(ErrorCode::Internal, "internal error");
        }
    }();
    if (!reply) {
        const Error& e = reply.error();
        const int status = http_status(e.code());
        // Io and Internal failures can name files of the server: log them, tell less.
        if (status >= 500) {
            if (ctx.log)
                ctx.log(fmt::format("error: {} {}: {}", req.method, route.path, e.describe()));
            send_error(res, status, to_string(e.code()), "the server could not do that; its log says why");
        } else {
            send_error(res, status, to_string(e.code()), e.describe());
        }
        return;
    }
    send(res, *reply);
}

// Sent with every response, errors included. The API serves JSON only: no content may load
// anything, be framed or be sniffed into something else.
httplib::Headers security_headers(bool tls)
{
    httplib::Headers h{
        {"Content-Security-Policy",
         "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"},
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
        {"Cache-Control", "no-store"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
    };
    if (tls)
        h.emplace("Strict-Transport-Security", "max-age=31536000");
    return h;
}

// The console's pages may load their own scripts, styles and images and call the API of this
// origin, nothing else: no inline script, no framing, no other site.
constexpr const char* kConsolePolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

std::string_view content_type_for(std::string_view path)
{
    static const std::pair<std::string_view, std::string_view> types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
    };
    for (const auto& [ext, type] : types)
        if (path.ends_with(ext))
            return type;
    return "application/octet-stream";
}

// The request's path as a file under the console's folder, or nothing when it names none (or
// tries to leave the folder: "..", a backslash, a NUL).
std::optional<fs::path> console_file(const fs::path& root, std::string_view path)
{
    if (path.empty() || path.front() != '/' || path.find('\\') != std::string_view::npos ||
        path.find('\0') != std::string_view::npos)
        return std::nullopt;
    fs::path file = root;
    std::string_view rest = path.substr(1);
    while (!rest.empty()) {
        const auto slash = rest.find('/');
        const std::string_view part = rest.substr(0, slash);
        if (part == "..")
            return std::nullopt;
        if (!part.empty() && part != ".")
            file /= std::string(part);
        if (slash == std::string_view::npos)
            break;
        rest = rest.substr(slash + 1);
    }
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
        return std::nullopt;
    return file;
}

std::optional<std::string> read_file(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::ostringstream out;
    out << in.rdbuf();
    return std::move(out).str();
}

// GET of a path no API route took: the console's file, else index.html for a page of the
// console's own (client-side routing: /connectors/desk is the app's), else 404. The API's and
// the webhooks' paths are never the console's: a wrong one there is the API's JSON 404.
void serve_console(const fs::path& root, const httplib::Request& req, httplib::Response& res)
{
    const std::string& path = req.path;
    // A path that tries to climb out of the folder gets no page either.
    const bool api = path.starts_with("/api/") || path == "/api" || path.starts_with("/webhooks/") ||
                     path == "/healthz" || path == "/metrics" || path.find("/..") != std::string::npos;
    std::optional<fs::path> file =
        api ? std::nullopt : console_file(root, path == "/" ? "/index.html" : path);
    if (!file && !api) {
        // Only a browser asking for a page gets the app; a missing script or image is a 404.
        const auto last = path.substr(path.rfind('/') + 1);
        const bool wants_html = req.get_header_value("Accept").find("text/html") != std::string::npos;
        if (wants_html && last.find('.') == std::string::npos)
            file = console_file(root, "/index.html");
    }
    std::optional<std::string> body;
    if (file)
        body = read_file(*file);
    if (!body) {
        send_error(res, 404, "not_found", "no such route");
        return;
    }
    const std::string name = file->filename().string();
    res.status = 200;
    // The defaults are the API's: replace them, for a second policy would only add to the first.
    res.headers.erase("Content-Security-Policy");
    res.headers.erase("Cache-Control");
    res.set_header("Content-Security-Policy", kConsolePolicy);
    // Vite names what it builds under assets/ by its content's hash: those never change.
    res.set_header("Cache-Control",
                   path.starts_with("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
    res.set_content(std::move(*body), std::string(content_type_for(name)).c_str());
}

}  // namespace

std::vector<RouteInfo> routes()
{
    std::vector<RouteInfo> out;
    for (const Route& r : all_routes()) {
        std::string permission = r.access == Access::Public ? "public"
                                 : r.access == Access::Authenticated
                                     ? "authenticated"
                                     : std::string(auth::to_string(r.permission));
        out.push_back({r.method, r.path, std::move(permission)});
    }
    return out;
}

Result<void> serve(const ServeOptions& options)
{
    forbid_core_dumps();
    CV_TRY(const Endpoint endpoint, parse_listen(options.listen));
    if (options.tls_cert.has_value() != options.tls_key.has_value())
        return fail(ErrorCode::InvalidArgument, "--tls-cert and --tls-key go together");

    // SIGTERM and SIGINT are taken by one thread with sigwait(): blocked here, before any
    // thread starts, so every thread inherits the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    CV_TRY(auto archive, archive::Archive::open(options.archive));
    CV_TRY(auto spool, archive::Spool::open(options.archive));
    Context ctx(std::move(archive), std::move(spool));
    ctx.tls = options.tls_cert.has_value();
    ctx.log = options.log;
    CV_TRY_VOID(ctx.reload_webhook_secrets());
    clear_exports(ctx);

    std::unique_ptr<httplib::Server> http;
    if (ctx.tls) {
        auto tls = std::make_unique<httplib::SSLServer>(options.tls_cert->c_str(), options.tls_key->c_str());
        if (!tls->is_valid())
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("cannot use the certificate {} with the key {}",
                                    options.tls_cert->string(), options.tls_key->string()));
        SSL_CTX_set_min_proto_version(tls->ssl_context(), TLS1_2_VERSION);
        http = std::move(tls);
    } else {
        http = std::make_unique<httplib::Server>();
    }
    const unsigned threads = std::max(4u, options.threads);
    http->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http->set_default_headers(security_headers(ctx.tls));
    http->set_payload_max_length(
        16u << 20);  // Meta: up to ~3 MB; a history webhook can carry thousands of messages
    http->set_read_timeout(30, 0);
    http->set_write_timeout(30, 0);
    http->set_tcp_nodelay(true);
    // Meta and load balancers keep connections open; cpp-httplib's default closes one after 5
    // requests, and every reconnect costs a handshake (with TLS, a full one).
    http->set_keep_alive_max_count(1000);
    // Not longer: SIGTERM waits for every kept-alive connection (a browser's idle ones too).
    http->set_keep_alive_timeout(5);
    http->set_error_handler([](const httplib::Request&, httplib::Response& res) {
        if (res.body.empty())
            res.set_content(error_body(res.status == 404 ? "not_found" : "error",
                                       res.status == 404 ? "no such route" : "request refused"),
                            "application/json");
    });
    http->set_exception_handler(
        [&ctx](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
            if (ctx.log)
                ctx.log(fmt::format("error: {} {}: unexpected exception", req.method, req.path));
            send_error(res, 500, "internal", "internal error");
        });

    static const std::vector<Route> table = all_routes();
    for (const Route& route : table) {
        auto [pattern, names] = route_pattern(route.path);
        httplib::Server::Handler h = [&ctx, &route, names = names](const httplib::Request& req,
                                                                   httplib::Response& res) {
            dispatch(ctx, route, names, req, res);
        };
        if (route.method == "GET")
            http->Get(pattern, h);
        else if (route.method == "POST")
            http->Post(pattern, h);
        else if (route.method == "PUT")
            http->Put(pattern, h);
        else if (route.method == "PATCH")
            http->Patch(pattern, h);
        else if (route.method == "DELETE")
            http->Delete(pattern, h);
    }
    // After the API's routes, which cpp-httplib tries first, in the order they were added.
    if (options.console_dir) {
        const fs::path root = *options.console_dir;
        std::error_code ec;
        if (!fs::is_regular_file(root / "index.html", ec))
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("--console {}: no index.html there (build the console with make)",
                                    root.string()));
        http->Get(".*", [root](const httplib::Request& req, httplib::Response& res) {
            serve_console(root, req, res);
        });
    }

    int port = endpoint.port;
    if (port == 0)
        port = http->bind_to_any_port(endpoint.host);
    else if (!http->bind_to_port(endpoint.host, port))
        port = -1;
    if (port < 0)
        return fail(ErrorCode::Io, fmt::format("cannot listen on {}", options.listen));
    const std::string shown_host =
        endpoint.host.find(':') != std::string::npos ? "[" + endpoint.host + "]" : endpoint.host;
    if (ctx.log) {
        ctx.log(options.console_dir
                    ? fmt::format("web console from {}", options.console_dir->string())
                    : std::string("no web console (not built beside the binary; --console DIR names one)"));
        ctx.log(fmt::format("listening on {}://{}:{}", ctx.tls ? "https" : "http", shown_host, port));
    }

    std::thread scheduler([&ctx] { run_scheduler(ctx); });
    std::thread webhooks([&ctx] { run_webhook_processor(ctx); });
    std::thread signal_waiter([&] {
        int sig = 0;
        sigwait(&signals, &sig);
        if (ctx.log)
            ctx.log(fmt::format("{}: finishing the batch in hand, then stopping",
                                sig == SIGTERM ? "SIGTERM" : "SIGINT"));
        ctx.stopping = true;
        ctx.runs_changed.notify_all();
        ctx.webhook_arrived.notify_all();
        http->stop();
    });
    http->listen_after_bind();          // returns once stop() is called, or when accepting fails
    const bool failed = !ctx.stopping;  // the listener stopped by itself, not by a signal
    if (failed) {
        // Stop the rest, and wake the signal thread with the signal it waits for.
        ctx.stopping = true;
        ctx.runs_changed.notify_all();
        ctx.webhook_arrived.notify_all();
        ::kill(::getpid(), SIGTERM);
    }
    signal_waiter.join();
    scheduler.join();
    webhooks.join();
    join_exports(ctx);
    if (ctx.log)
        ctx.log("stopped");
    if (failed)
        return fail(ErrorCode::Io, fmt::format("the listener on {} stopped", options.listen));
    return {};
}

}  // namespace cv::server

#pragma once
/// `chatvault serve`: one process that runs the connectors on their schedules, takes WhatsApp
/// Cloud API webhooks, and answers the REST API under /api/v1 (src/server/openapi.json
/// describes it; a test checks the two agree). Every route denies unless a role of the caller
/// allows it; nothing but /healthz and the webhooks (which prove themselves by signature) is
/// reachable without credentials, and /healthz says nothing but "ok". The web console's files
/// (console/, built by `make`) are public too: they hold no data, the API behind them does.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace cv::server {

struct ServeOptions {
    std::filesystem::path archive;
    std::string listen = "127.0.0.1:8080";  ///< HOST:PORT; port 0 picks a free one
    std::optional<std::filesystem::path> tls_cert;
    std::optional<std::filesystem::path> tls_key;
    unsigned threads = 64;  ///< request threads: webhook senders wait for the spool's fsync
    /// The web console's built files (index.html and assets/), served at "/"; none: no console.
    std::optional<std::filesystem::path> console_dir;
    /// One line per event worth logging (startup, runs, refused logins); never a secret.
    std::function<void(std::string_view)> log;
};

/// One route of the API, as the route table has it (for `serve --routes` and the tests).
struct RouteInfo {
    std::string method;      ///< "GET", "POST", …
    std::string path;        ///< OpenAPI style: "/api/v1/connectors/{name}"
    std::string permission;  ///< what a caller needs: a permission's name, "authenticated" or "public"
};

std::vector<RouteInfo> routes();

/// Serves until SIGTERM or SIGINT, then finishes the batch in hand and returns. Logs
/// "listening on http(s)://HOST:PORT" once bound. Errors: the archive's, Io (cannot bind),
/// InvalidArgument (bad --listen, unreadable certificate).
Result<void> serve(const ServeOptions& options);

}  // namespace cv::server

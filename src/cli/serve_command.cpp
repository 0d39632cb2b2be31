#include "cli/serve_command.hpp"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "archive/archive.hpp"
#include "cli/cli_support.hpp"
#include "core/time.hpp"
#include "server/server.hpp"

namespace cv::cli {

namespace {

struct ServeArgs {
    std::string archive;
    std::string listen = "127.0.0.1:8080";
    std::string tls_cert;
    std::string tls_key;
    unsigned threads = 64;
    std::string console;
    bool routes = false;
};

// The console `make` builds lands beside the binary (build/console next to build/chatvault);
// an installed binary finds it in ../share/chatvault/console (/usr/local/bin/chatvault →
// /usr/local/share/chatvault/console). Served by default when there, so that the binary one
// runs serves the console built with it.
std::optional<std::filesystem::path> default_console()
{
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec)
        return std::nullopt;
    for (auto dir :
         {exe.parent_path() / "console", exe.parent_path().parent_path() / "share/chatvault/console"})
        if (std::filesystem::is_regular_file(dir / "index.html", ec))
            return dir;
    return std::nullopt;
}

}  // namespace

void add_serve_command(CLI::App& app, int& status)
{
    auto args = std::make_shared<ServeArgs>();
    auto* cmd = app.add_subcommand("serve", "Run the connector service and the REST API (until SIGTERM)");
    cmd->add_option("--archive", args->archive, "The archive (default $CHATVAULT_ARCHIVE, else ./archive)");
    cmd->add_option("--listen", args->listen,
                    "HOST:PORT to listen on (default 127.0.0.1:8080; port 0: any free)");
    cmd->add_option("--tls-cert", args->tls_cert, "PEM certificate chain: serve HTTPS (TLS 1.2 or later)");
    cmd->add_option("--tls-key", args->tls_key, "PEM private key of --tls-cert");
    cmd->add_option("--threads", args->threads, "Request threads (default 64)");
    cmd->add_option("--console", args->console,
                    "The web console's built files, served at / (default: console/ beside the binary, "
                    "else ../share/chatvault/console, when there)");
    cmd->add_flag("--routes", args->routes, "Print the API's routes and who may call them, and exit");
    cmd->callback([args, &status] {
        if (args->routes) {
            for (const auto& r : server::routes())
                fmt::print("{}\t{}\t{}\n", r.method, r.path, r.permission);
            status = 0;
            return;
        }
        server::ServeOptions options;
        options.archive = archive::default_location(args->archive);
        options.listen = args->listen;
        if (!args->tls_cert.empty())
            options.tls_cert = args->tls_cert;
        if (!args->tls_key.empty())
            options.tls_key = args->tls_key;
        options.threads = args->threads;
        options.console_dir =
            args->console.empty() ? default_console() : std::optional<std::filesystem::path>(args->console);
        options.log = [](std::string_view line) {
            fmt::print(stderr, "{} chatvault: {}\n",
                       format_utc(static_cast<std::int64_t>(std::time(nullptr))), line);
            std::fflush(stderr);
        };
        auto served = server::serve(options);
        status = served ? 0 : report_error(served.error());
    });
}

}  // namespace cv::cli

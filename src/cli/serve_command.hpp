#pragma once
/// `chatvault serve [--archive DIR] [--listen HOST:PORT] [--tls-cert F --tls-key F]
/// [--routes]`: the connector service and REST API (src/server). Logs to stderr, one line per
/// event, for journald.

namespace CLI {
class App;
}

namespace cv::cli {

/// Registers the subcommand; the callback stores its exit status in `status`.
void add_serve_command(CLI::App& app, int& status);

}  // namespace cv::cli

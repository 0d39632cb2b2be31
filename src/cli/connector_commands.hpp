#pragma once
/// `chatvault connector add|ls|show|run|pause|resume|rm`.

namespace CLI {
class App;
}

namespace cv::cli {

void add_connector_commands(CLI::App& app, int& status);

}  // namespace cv::cli

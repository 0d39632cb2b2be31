#pragma once
/// `chatvault user` (accounts and roles of the web console and API) and `chatvault token` (API
/// tokens).

namespace CLI {
class App;
}

namespace cv::cli {

void add_user_commands(CLI::App& app, int& status);

}  // namespace cv::cli

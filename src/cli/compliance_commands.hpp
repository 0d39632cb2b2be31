#pragma once
/// `chatvault hold`, `retention`, `case` and `audit`.

namespace CLI {
class App;
}

namespace cv::cli {

void add_compliance_commands(CLI::App& app, int& status);

}  // namespace cv::cli

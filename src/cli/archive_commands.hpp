#pragma once
/// The archive's commands: init, import, quarantine ls|retry, mailboxes, ls, show, export,
/// verify. Each registers itself on the app and stores its exit status in `status`.

namespace CLI {
class App;
}

namespace cv::cli {

void add_archive_commands(CLI::App& app, int& status);

}  // namespace cv::cli

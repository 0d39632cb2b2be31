#pragma once
/// `chatvault parse PATH... [--tz ZONE] [--date-order dmy|mdy|ymd] [--format jsonl|summary]
/// [--media DIR] [--contacts FILE] [--call-history FILE]`: the printable output of the
/// readers — exports and phone databases (the contract other stages and tests rely on).

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace cv::cli {

struct ParseArgs {
    std::vector<std::string> paths;
    std::string time_zone = "UTC";
    std::string date_order;  ///< empty: infer per file
    std::string format = "jsonl";
    // Phone databases only.
    std::string media_dir;
    std::string contacts;
    std::string call_history;
};

/// Registers the subcommand; the callback stores its exit status in `status`.
void add_parse_command(CLI::App& app, ParseArgs& args, int& status);

/// Runs it. Exit 0 when every path yielded items; non-zero (see core/error.hpp exit_code)
/// when a path could not be read at all.
int run_parse(const ParseArgs& args);

}  // namespace cv::cli

#include "cli/cli_support.hpp"

#include <fmt/format.h>

namespace cv::cli {

int report_error(const Error& e)
{
    fmt::print(stderr, "chatvault: error: {}\n", e.describe());
    return exit_code(e.code());
}

void print_json(const nlohmann::json& j)
{
    fmt::print("{}\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
}

Result<archive::Archive> open_archive(const std::string& flag)
{
    return archive::Archive::open(archive::default_location(flag));
}

}  // namespace cv::cli

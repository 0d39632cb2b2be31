#pragma once
/// `chatvault render PATH --out DIR [--tz ZONE] [--date-order …] [--transcript daily]`: one
/// `.eml` per item (or per conversation-day) from anything `parse` reads.

#include <string>

namespace CLI {
class App;
}

namespace cv::cli {

struct RenderArgs {
    std::string path;
    std::string out_dir;
    std::string time_zone = "UTC";
    std::string date_order;  ///< empty: infer
    std::string transcript;  ///< empty, or "daily"
    std::string domain = "whatsapp.invalid";
    // Phone databases only.
    std::string media_dir;
    std::string contacts;
    std::string call_history;
};

void add_render_command(CLI::App& app, RenderArgs& args, int& status);

/// Exit 0 when every item was rendered; non-zero (core/error.hpp exit_code) when the export
/// could not be read or an email could not be written.
int run_render(const RenderArgs& args);

}  // namespace cv::cli

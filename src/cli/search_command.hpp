#pragma once
/// `chatvault search QUERY [--mailbox M] [--limit N] [--offset N] [--tz ZONE] [--explain]
/// [--context N] [--json]`: content search over the archive (KQL, src/compliance/query), hits
/// newest first with their mailboxes, conversation and a snippet.

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace cv::cli {

struct SearchArgs {
    std::string archive;
    std::string query;
    std::string mailbox;
    std::uint64_t limit = 20;
    std::uint64_t offset = 0;
    std::string tz = "UTC";
    bool explain = false;
    std::size_t context = 0;
    bool json = false;
    std::string actor;
};

/// Registers the subcommand; the callback stores its exit status in `status`.
void add_search_command(CLI::App& app, SearchArgs& args, int& status);

int run_search(const SearchArgs& args);

}  // namespace cv::cli

#pragma once
/// What every archive command does the same way: print an error and give its exit code,
/// print JSON, open the archive the options name.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "archive/archive.hpp"
#include "core/error.hpp"
#include "core/result.hpp"

namespace CLI {
class App;
}

namespace cv::cli {

/// What every command over an archive takes: --archive, --actor, and --json where it lists.
struct Common {
    std::string archive;
    std::string actor;
    bool json = false;
};

/// Registers --archive and --actor (and --json) on `cmd`.
void add_common(CLI::App* cmd, Common& c, bool with_json = true);

/// The wall clock in UTC seconds: the `now` of every audited change.
std::int64_t now_utc();

/// "chatvault: error: …" on stderr; returns the exit code for the error's kind.
int report_error(const Error& e);

/// Indented JSON on stdout; text that is not UTF-8 is replaced, never refused.
void print_json(const nlohmann::json& j);

/// Who is acting, for the audit trail: --actor, else $CHATVAULT_ACTOR, else the login name of
/// the user running the command.
std::string actor_name(const std::string& flag);

/// An instant given on the command line, in UTC: "2026-11-24", "2026-11-24T09:30[:15][Z]", or
/// Unix seconds ("@1732440615"). Errors: InvalidArgument naming the option.
Result<std::int64_t> parse_instant(std::string_view text, std::string_view option);

/// "2026-11-24T09:30:15Z".
std::string utc_text(std::int64_t t);

/// The archive in --archive DIR, else $CHATVAULT_ARCHIVE, else ./archive.
Result<archive::Archive> open_archive(const std::string& flag);

}  // namespace cv::cli

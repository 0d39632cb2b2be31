#include "cli/cli_support.hpp"

#include <charconv>
#include <cstdlib>
#include <ctime>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include "core/time.hpp"

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

std::string actor_name(const std::string& flag)
{
    if (!flag.empty())
        return flag;
    if (const char* env = std::getenv("CHATVAULT_ACTOR"); env && *env)
        return env;
    if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name)
        return pw->pw_name;
    return fmt::format("uid {}", ::geteuid());
}

void add_common(CLI::App* cmd, Common& c, bool with_json)
{
    cmd->add_option("--archive", c.archive, "Archive folder (default $CHATVAULT_ARCHIVE, else ./archive)");
    cmd->add_option("--actor", c.actor,
                    "Who is acting, for the audit trail (default $CHATVAULT_ACTOR, else your login)");
    if (with_json)
        cmd->add_flag("--json", c.json, "JSON output");
}

std::int64_t now_utc()
{
    return static_cast<std::int64_t>(std::time(nullptr));
}

Result<std::int64_t> parse_instant(std::string_view text, std::string_view option)
{
    return cv::parse_instant(text, option);
}

std::string utc_text(std::int64_t t)
{
    return format_utc(t);
}

Result<archive::Archive> open_archive(const std::string& flag)
{
    const auto dir = archive::default_location(flag);
    return archive::Archive::open(dir, [&dir] {
        fmt::print(
            stderr,
            "chatvault: waiting for {}: another chatvault process has it open (`chatvault serve` holds it "
            "while it runs; stop it, or use its API)\n",
            dir.string());
    });
}

}  // namespace cv::cli

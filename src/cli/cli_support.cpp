#include "cli/cli_support.hpp"

#include <charconv>
#include <cstdlib>

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

Result<std::int64_t> parse_instant(std::string_view text, std::string_view option)
{
    auto bad = [&] {
        return fail(
            ErrorCode::InvalidArgument,
            fmt::format("{} '{}': expected a UTC date or time like 2026-11-24 or 2026-11-24T09:30:00Z, or "
                        "@<unix seconds>",
                        option, text));
    };
    auto number = [&](std::size_t pos, std::size_t len, std::int64_t& out) {
        if (pos + len > text.size())
            return false;
        const auto* b = text.data() + pos;
        const auto [end, ec] = std::from_chars(b, b + len, out);
        return ec == std::errc() && end == b + len;
    };
    if (text.starts_with('@')) {
        std::int64_t t = 0;
        if (!number(1, text.size() - 1, t))
            return bad();
        return t;
    }
    if (text.ends_with('Z') || text.ends_with('z'))
        text.remove_suffix(1);
    std::int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    if (text.size() < 10 || !number(0, 4, y) || text[4] != '-' || !number(5, 2, mo) || text[7] != '-' ||
        !number(8, 2, d))
        return bad();
    if (text.size() > 10) {
        if ((text[10] != 'T' && text[10] != ' ') || !number(11, 2, h) || text.size() < 16 ||
            text[13] != ':' || !number(14, 2, mi))
            return bad();
        if (text.size() > 16 && (text.size() != 19 || text[16] != ':' || !number(17, 2, sec)))
            return bad();
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
        return bad();
    const std::int64_t days = days_from_civil(y, static_cast<int>(mo), static_cast<int>(d));
    if (civil_from_days(days).month != mo)  // 2026-02-30
        return bad();
    return days * 86400 + h * 3600 + mi * 60 + sec;
}

std::string utc_text(std::int64_t t)
{
    const std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    const std::int64_t rest = t - days * 86400;
    const auto c = civil_from_days(days);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.year, c.month, c.day, rest / 3600,
                       rest / 60 % 60, rest % 60);
}

Result<archive::Archive> open_archive(const std::string& flag)
{
    return archive::Archive::open(archive::default_location(flag));
}

}  // namespace cv::cli

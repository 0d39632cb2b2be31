// Schedules: "every 24h", 5-field cron in the connector's zone, "manual"; when one is due next.

#include <algorithm>
#include <array>
#include <bitset>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "connector/connector.hpp"
#include "core/time.hpp"

namespace cv::connector {

namespace {

std::string lower_trimmed(std::string_view s)
{
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    std::string out(s);
    for (auto& ch : out)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return out;
}

std::optional<std::int64_t> number(std::string_view s)
{
    std::int64_t v = 0;
    if (s.empty() || s.size() > 12)
        return std::nullopt;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size())
        return std::nullopt;
    return v;
}

constexpr std::int64_t kMinInterval = 60;
constexpr std::int64_t kMaxInterval = 366 * 86400;

Result<Schedule> parse_every(std::string_view rest)
{
    std::size_t digits = 0;
    while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits])))
        ++digits;
    const auto n = number(rest.substr(0, digits));
    std::string_view unit = rest.substr(digits);
    while (!unit.empty() && unit.front() == ' ')
        unit.remove_prefix(1);
    std::int64_t scale = 0;
    if (unit == "s" || unit == "sec" || unit == "second" || unit == "seconds")
        scale = 1;
    else if (unit == "m" || unit == "min" || unit == "minute" || unit == "minutes")
        scale = 60;
    else if (unit == "h" || unit == "hour" || unit == "hours")
        scale = 3600;
    else if (unit == "d" || unit == "day" || unit == "days")
        scale = 86400;
    if (!n || scale == 0)
        return fail(
            ErrorCode::InvalidArgument,
            fmt::format("'every {}': expected a number and a unit (s, m, h, d), as in \"every 24h\"", rest));
    if (*n > kMaxInterval || *n * scale < kMinInterval || *n * scale > kMaxInterval)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("'every {}': the interval must be between 1 minute and 366 days", rest));
    Schedule s;
    s.type = Schedule::Type::Interval;
    s.interval_seconds = *n * scale;
    return s;
}

struct Field {
    const char* name;
    int min;
    int max;
};
constexpr std::array<Field, 5> kFields{
    {{"minute", 0, 59}, {"hour", 0, 23}, {"day of month", 1, 31}, {"month", 1, 12}, {"day of week", 0, 7}}};

std::vector<std::string_view> split(std::string_view s, char sep)
{
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i)
        if (i == s.size() || s[i] == sep) {
            out.push_back(s.substr(start, i - start));
            start = i + 1;
        }
    return out;
}

std::vector<std::string_view> words(std::string_view s)
{
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])))
            ++i;
        const std::size_t start = i;
        while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])))
            ++i;
        if (i > start)
            out.push_back(s.substr(start, i - start));
    }
    return out;
}

/// The values one cron field matches; `star` is set when it begins with '*' (Vixie cron's rule
/// for OR-ing day of month and day of week).
struct FieldSet {
    std::bitset<64> bits;
    bool star = false;
};

Result<FieldSet> parse_field(std::string_view text, std::size_t index)
{
    const Field& f = kFields[index];
    const auto bad = [&](std::string_view why) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("cron field {} ({}): '{}': {}", index + 1, f.name, text, why));
    };
    FieldSet out;
    out.star = !text.empty() && text.front() == '*';
    for (const auto part : split(text, ',')) {
        if (part.empty())
            return bad("empty list element");
        std::string_view range = part;
        std::int64_t step = 1;
        if (const auto slash = part.find('/'); slash != std::string_view::npos) {
            range = part.substr(0, slash);
            const auto s = number(part.substr(slash + 1));
            if (!s || *s < 1 || *s > f.max + 1)
                return bad(fmt::format("step must be a number from 1 to {}", f.max + 1));
            step = *s;
        }
        std::int64_t lo = f.min;
        std::int64_t hi = f.max;
        if (range != "*") {
            const auto dash = range.find('-');
            const auto a = number(range.substr(0, dash));
            const auto b = dash == std::string_view::npos ? a : number(range.substr(dash + 1));
            if (!a || !b)
                return bad("expected *, a number, a range a-b, a step */n or a list of those");
            for (const auto v : {*a, *b})
                if (v < f.min || v > f.max)
                    return bad(fmt::format("{} is out of range {}-{}", v, f.min, f.max));
            if (*a > *b)
                return bad(fmt::format("range {}-{} runs backwards", *a, *b));
            lo = *a;
            // "5/15" means from 5 to the end in steps of 15, as in most crons.
            hi = (dash == std::string_view::npos && step > 1) ? f.max : *b;
        }
        for (std::int64_t v = lo; v <= hi; v += step)
            out.bits.set(static_cast<std::size_t>(v));
    }
    if (index == 4 && out.bits.test(7))
        out.bits.set(0);  // 7 is Sunday too
    return out;
}

struct Cron {
    std::array<FieldSet, 5> fields;

    bool day_matches(const CivilDate& d) const
    {
        const std::int64_t days = days_from_civil(d.year, d.month, d.day);
        const auto dow = static_cast<std::size_t>(((days % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday
        const bool dom_ok = fields[2].bits.test(static_cast<std::size_t>(d.day));
        const bool dow_ok = fields[4].bits.test(dow);
        if (!fields[3].bits.test(static_cast<std::size_t>(d.month)))
            return false;
        if (fields[2].star || fields[4].star)
            return dom_ok && dow_ok;
        return dom_ok || dow_ok;
    }
};

Result<Cron> parse_cron(std::string_view text)
{
    const auto w = words(text);
    if (w.size() != 5)
        return fail(
            ErrorCode::InvalidArgument,
            fmt::format("cron '{}': expected 5 fields (minute hour day-of-month month day-of-week), got {}",
                        text, w.size()));
    Cron c;
    for (std::size_t i = 0; i < 5; ++i) {
        CV_TRY(c.fields[i], parse_field(w[i], i));
    }
    return c;
}

}  // namespace

Result<Schedule> parse_schedule(std::string_view text)
{
    const std::string t = lower_trimmed(text);
    if (t == "manual")
        return Schedule{Schedule::Type::Manual, 0, {}};
    if (t.rfind("every", 0) == 0) {
        std::string_view rest = std::string_view(t).substr(5);
        while (!rest.empty() && rest.front() == ' ')
            rest.remove_prefix(1);
        return parse_every(rest);
    }
    if (t.rfind("cron:", 0) == 0 || t.rfind("cron ", 0) == 0) {
        const std::string_view expr = std::string_view(t).substr(5);
        CV_TRY_VOID(parse_cron(expr));
        std::string normal;
        for (const auto w : words(expr))
            normal += (normal.empty() ? "" : " ") + std::string(w);
        Schedule s;
        s.type = Schedule::Type::Cron;
        s.interval_seconds = 0;
        s.cron = std::move(normal);
        return s;
    }
    return fail(ErrorCode::InvalidArgument,
                fmt::format("'{}': expected \"every 24h\", \"cron: M H DOM MON DOW\" or \"manual\"", text));
}

std::string to_string(const Schedule& s)
{
    switch (s.type) {
    case Schedule::Type::Manual: return "manual";
    case Schedule::Type::Cron: return "cron: " + s.cron;
    case Schedule::Type::Interval: break;
    }
    const std::int64_t n = s.interval_seconds;
    if (n % 3600 == 0)
        return fmt::format("every {}h", n / 3600);
    if (n % 60 == 0)
        return fmt::format("every {}m", n / 60);
    return fmt::format("every {}s", n);
}

std::optional<std::int64_t> next_run(const Schedule& schedule, std::optional<std::int64_t> last_start,
                                     std::int64_t now, std::string_view time_zone)
{
    switch (schedule.type) {
    case Schedule::Type::Manual: return std::nullopt;
    case Schedule::Type::Interval:
        return last_start ? *last_start + std::max<std::int64_t>(schedule.interval_seconds, kMinInterval)
                          : now;
    case Schedule::Type::Cron: break;
    }
    const auto cron = parse_cron(schedule.cron);
    if (!cron)
        return std::nullopt;
    auto zone = TimeZone::locate(time_zone);
    if (!zone)
        zone = TimeZone::locate("UTC");
    if (!zone)
        return std::nullopt;
    const std::int64_t after = last_start.value_or(now);
    const LocalDateTime from = zone->to_local(after).wall_clock;
    const std::int64_t first_day = days_from_civil(from.year, from.month, from.day);
    // Day by day on the zone's calendar, then the matching hours and minutes of a matching day:
    // at most 5 × 366 days are looked at, each in a few operations.
    for (std::int64_t day = first_day; day <= first_day + 5 * 366; ++day) {
        const CivilDate d = civil_from_days(day);
        if (!cron->day_matches(d))
            continue;
        for (int h = 0; h < 24; ++h) {
            if (!cron->fields[1].bits.test(static_cast<std::size_t>(h)))
                continue;
            for (int m = 0; m < 60; ++m) {
                if (!cron->fields[0].bits.test(static_cast<std::size_t>(m)))
                    continue;
                // Before the starting minute the instant cannot be later (except around a
                // backward DST change, which the `> after` check settles).
                if (day == first_day && (h < from.hour || (h == from.hour && m < from.minute)))
                    continue;
                const LocalDateTime wall{static_cast<int>(d.year), d.month, d.day, h, m, 0};
                const std::int64_t at = zone->to_utc(wall).unix_seconds;
                if (at > after)
                    return at;
            }
        }
    }
    return std::nullopt;
}

}  // namespace cv::connector

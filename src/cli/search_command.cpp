#include "cli/search_command.hpp"

#include <ctime>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/cli_support.hpp"
#include "compliance/query/query.hpp"
#include "compliance/search/search.hpp"

namespace cv::cli {

using nlohmann::json;
namespace query = compliance::query;
namespace search = compliance::search;

namespace {

std::string local_time(const TimeZone& zone, std::int64_t utc)
{
    std::string t = format_iso(zone.to_local(utc).wall_clock);
    t[10] = ' ';
    return t.substr(0, 16);
}

// One line of context: the item's author and the start of its text.
Result<std::string> context_line(archive::Archive& a, std::int64_t id)
{
    CV_TRY(const auto stored, a.item(id));
    std::string text = stored.item.text;
    for (char& c : text)
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
    if (text.size() > 100) {
        std::size_t cut = 100;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
            --cut;
        text = text.substr(0, cut) + "…";
    }
    return fmt::format("{}: {}", stored.item.author.value_or("(system)"), text);
}

}  // namespace

void add_search_command(CLI::App& app, SearchArgs& args, int& status)
{
    auto* cmd =
        app.add_subcommand("search", "Search the archive with a KQL query (words, \"phrases\", AND/OR/NOT, "
                                     "NEAR, from:, sent:, kind:, … — see README)");
    cmd->add_option("query", args.query, "The query, e.g. 'budget from:ana sent>=2024-05-01'")->required();
    cmd->add_option("--archive", args.archive, "Archive folder (default $CHATVAULT_ARCHIVE, else ./archive)");
    cmd->add_option("--mailbox", args.mailbox, "Only items filed in this mailbox (quarantine is left out)");
    cmd->add_option("--limit", args.limit, "At most this many hits")->capture_default_str();
    cmd->add_option("--offset", args.offset, "Skip this many hits")->capture_default_str();
    cmd->add_option("--tz", args.tz, "IANA time zone the query's dates are read in (and hits shown in)")
        ->capture_default_str();
    cmd->add_flag("--explain", args.explain,
                  "Print how the query was understood and the SQL it runs; search nothing");
    cmd->add_option("--context", args.context,
                    "Show this many items before and after each hit in its conversation");
    cmd->add_flag("--json", args.json, "JSON output");
    cmd->add_option("--actor", args.actor,
                    "Who is searching, for the audit trail (default $CHATVAULT_ACTOR, else your login)");
    cmd->callback([&args, &status] { status = run_search(args); });
}

int run_search(const SearchArgs& args)
{
    auto zone = TimeZone::locate(args.tz);
    if (!zone)
        return report_error(zone.error());
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    auto q = query::parse(args.query, *zone, now);
    if (!q) {
        // The query is a command-line argument: a malformed one is bad usage (64), like a bad option.
        fmt::print(stderr, "chatvault: error: bad query: {}\n", q.error().message());
        return exit_code(ErrorCode::InvalidArgument);
    }
    auto a = open_archive(args.archive);
    if (!a)
        return report_error(a.error());
    search::SearchOptions options;
    if (!args.mailbox.empty())
        options.mailbox = args.mailbox;
    options.limit = args.limit;
    options.offset = args.offset;

    if (args.explain) {
        auto p = search::plan(*q, options, &*a);
        if (!p)
            return report_error(p.error());
        const std::string sql = a->search_sql(p->where);
        if (args.json) {
            print_json(
                json{{"query", query::to_string(*q)}, {"zone", q->zone}, {"sql", sql}, {"notes", p->notes}});
        } else {
            fmt::print("query:  {}\ndates:  read in {}\nsql:    {}\n", query::to_string(*q), q->zone, sql);
            for (const auto& n : p->notes)
                fmt::print("note:   {}\n", n);
        }
        return 0;
    }

    auto result = search::search(*a, *q, options);
    if (!result)
        return report_error(result.error());
    // Audited before anything is shown: who looked for what, and how much it found.
    const json parameters{{"query", args.query},
                          {"zone", args.tz},
                          {"mailbox", args.mailbox},
                          {"limit", args.limit},
                          {"offset", args.offset}};
    if (auto logged = a->audit(
            archive::AuditEvent{actor_name(args.actor), now, "search", parameters.dump(), result->total});
        !logged)
        return report_error(logged.error());
    if (!args.json) {
        const std::uint64_t first = result->hits.empty() ? 0 : args.offset + 1;
        fmt::print("{} hit{} (showing {}–{}); dates read and shown in {}\n\n", result->total,
                   result->total == 1 ? "" : "s", first, args.offset + result->hits.size(), result->zone);
    }
    json hits = json::array();
    for (const auto& h : result->hits) {
        json j{{"item", h.item},
               {"message_id", h.message_id},
               {"mailboxes", h.mailboxes},
               {"quarantined", h.mailboxes.empty()},
               {"conversation", h.conversation},
               {"author", h.author},
               {"utc", format_utc(h.utc)},
               {"local", local_time(*zone, h.utc)},
               {"kind", to_string(h.kind)},
               {"deleted", h.deleted},
               {"size", h.size},
               {"snippet", h.snippet}};
        std::vector<std::string> before_lines, after_lines;
        if (args.context > 0) {
            auto around = a->around(h.item, args.context);
            if (!around)
                return report_error(around.error());
            json before = json::array(), after = json::array();
            for (auto* side : {&around->first, &around->second}) {
                for (const auto& s : *side) {
                    auto line = context_line(*a, s.id);
                    if (!line)
                        return report_error(line.error());
                    (side == &around->first ? before : after)
                        .push_back(json{{"item", s.id}, {"utc", format_utc(s.utc)}, {"text", *line}});
                    (side == &around->first ? before_lines : after_lines)
                        .push_back(fmt::format("       {:>8}  {}  {}", fmt::format("#{}", s.id),
                                               local_time(*zone, s.utc), *line));
                }
            }
            j["context"] = json{{"before", before}, {"after", after}};
        }
        if (!args.json) {
            for (const auto& l : before_lines)
                fmt::print("{}\n", l);
            fmt::print("{:>8}  {}  {:<7} {}  [{}]{}\n", fmt::format("#{}", h.item), local_time(*zone, h.utc),
                       to_string(h.kind), h.conversation,
                       h.mailboxes.empty() ? std::string("quarantine")
                                           : fmt::format("{}", fmt::join(h.mailboxes, ", ")),
                       h.deleted ? "  (deleted)" : "");
            fmt::print("          {}: {}\n", h.author.empty() ? "(system)" : h.author, h.snippet);
            for (const auto& l : after_lines)
                fmt::print("{}\n", l);
            if (args.context > 0)
                fmt::print("\n");
        }
        hits.push_back(std::move(j));
    }
    if (args.json)
        print_json(json{{"query", query::to_string(*q)},
                        {"zone", result->zone},
                        {"total", result->total},
                        {"offset", args.offset},
                        {"limit", args.limit},
                        {"hits", hits}});
    return 0;
}

}  // namespace cv::cli

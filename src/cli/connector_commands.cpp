// `chatvault connector add|ls|show|run|pause|resume|rm`. Secrets (password, token, app secret)
// are read from standard input, never from the command line, where `ps` would show them.

#include "cli/connector_commands.hpp"

#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/cli_support.hpp"
#include "connector/connector.hpp"

namespace cv::cli {

using nlohmann::json;
namespace con = connector;
namespace fs = std::filesystem;

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int)
{
    g_stop = true;
}

/// Opens the archive and runs `body` with the store over it; errors become exit codes.
template <class F> int with_store(const Common& c, F&& body)
{
    auto a = open_archive(c.archive);
    if (!a)
        return report_error(a.error());
    con::Connectors store(*a);
    Result<int> r = body(*a, store);
    if (!r)
        return report_error(r.error());
    return *r;
}

/// One line of standard input without its line end; input not echoed on a terminal.
std::string read_secret_line(std::string_view prompt)
{
    const bool tty = ::isatty(STDIN_FILENO) == 1;
    termios old{};
    if (tty) {
        fmt::print(stderr, "{}: ", prompt);
        std::fflush(stderr);
        ::tcgetattr(STDIN_FILENO, &old);
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    std::getline(std::cin, line);
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
        fmt::print(stderr, "\n");
    }
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    return line;
}

/// The secrets a connector needs, from standard input: a password or token alone on the first
/// line (http-pull), or `field=value` lines (cloud-api).
Result<std::map<std::string, std::string>> read_secrets(const con::Connector& c)
{
    std::map<std::string, std::string> out;
    if (c.kind == con::Kind::HttpPull && c.auth != "none") {
        const std::string field = c.auth == "basic" ? "password" : "token";
        out[field] = read_secret_line(field);
        if (out[field].empty())
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("--auth {}: give the {} on standard input", c.auth, field));
    } else if (c.kind == con::Kind::CloudApi) {
        if (::isatty(STDIN_FILENO) == 1)
            fmt::print(stderr,
                       "app_secret=…, verify_token=…, access_token=… lines, then end of input (^D):\n");
        std::string line;
        std::size_t n = 0;
        while (std::getline(std::cin, line)) {
            ++n;
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            if (line.empty() || line.front() == '#')
                continue;
            const auto eq = line.find('=');
            if (eq == std::string::npos)
                // The line may be a secret itself: it is not repeated.
                return fail(ErrorCode::InvalidArgument,
                            fmt::format("standard input line {}: expected field=value", n));
            out[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }
    return out;
}

json run_json(const con::RunRecord& run)
{
    json j = json::parse(con::to_json(run));
    j["started_at"] = utc_text(run.progress.started);
    j["ended_at"] = run.progress.ended ? json(utc_text(run.progress.ended)) : json(nullptr);
    return j;
}

json connector_json(const con::Connector& c, const std::optional<con::RunRecord>& last, std::int64_t t)
{
    json j = json::parse(con::to_json(c));
    j["status"] = c.paused ? "paused" : "active";
    j["last_run"] = last ? run_json(*last) : json(nullptr);
    const auto next = c.kind == con::Kind::CloudApi
                          ? std::nullopt
                          : con::next_run(c, last ? std::optional(last->progress.started) : std::nullopt, t);
    j["next_run"] = next ? json(utc_text(std::max(*next, t))) : json(nullptr);
    return j;
}

std::string run_line(const con::RunRecord& r)
{
    const auto& p = r.progress;
    return fmt::format(
        "#{:<4} {}  {:<9}  {:<8}  files {}/{}  new {}  duplicate {}  quarantined {}  failed {}", r.number,
        utc_text(p.started), con::to_string(p.state), r.trigger, p.files_done, p.files, p.imported,
        p.duplicates, p.quarantined, p.failed);
}

struct AddArgs {
    Common common;
    std::string name, kind, folder, url, auth = "none", username, phone_number_id, graph_base_url;
    std::string schedule = "every 24h", tz = "UTC", mapping, region;
    std::int64_t settle = con::kDefaultSettleSeconds;
    bool no_automatic = false;
    bool paused = false;
    std::vector<std::string> owners;
};

struct NameArgs {
    Common common;
    std::string name;
};

}  // namespace

void add_connector_commands(CLI::App& app, int& status)
{
    auto* top =
        app.add_subcommand("connector", "Connectors: drop folders, HTTP pulls and webhooks, on a schedule");
    top->require_subcommand(1);

    // ---- add
    auto add_args = std::make_shared<AddArgs>();
    auto* add = top->add_subcommand("add", "Add a connector (secrets are read from standard input)");
    add->add_option("name", add_args->name, "Its name: a-z, 0-9 and '-'")->required();
    add->add_option("--kind", add_args->kind, "drop-folder, http-pull or cloud-api")
        ->required()
        ->check(CLI::IsMember({"drop-folder", "http-pull", "cloud-api"}));
    add->add_option("--folder", add_args->folder, "drop-folder: the folder exports land in");
    add->add_option("--settle", add_args->settle,
                    "drop-folder: seconds a file must stay unchanged before it is imported")
        ->capture_default_str();
    add->add_option("--url", add_args->url, "http-pull: the JSON index URL");
    add->add_option("--auth", add_args->auth,
                    "http-pull: none, basic (password on stdin), bearer (token on stdin)")
        ->check(CLI::IsMember({"none", "basic", "bearer"}))
        ->capture_default_str();
    add->add_option("--username", add_args->username, "http-pull: the basic-auth user");
    add->add_option("--phone-number-id", add_args->phone_number_id, "cloud-api: the business number's id");
    add->add_option("--graph-base-url", add_args->graph_base_url, "cloud-api: Graph API base URL");
    add->add_option("--schedule", add_args->schedule, "\"every 24h\", \"cron: 0 2 * * *\" or manual")
        ->capture_default_str();
    add->add_option("--tz", add_args->tz, "IANA time zone of the exports' clock times and of cron")
        ->capture_default_str();
    add->add_option("--mapping", add_args->mapping, "CSV of phone number → email, stored with the connector");
    add->add_flag("--no-automatic-mapping", add_args->no_automatic,
                  "Do not use the address an item carries (the owner's); only the mapping CSV");
    add->add_option("--owner", add_args->owners,
                    "PHONE=EMAIL of a phone whose exports land here (repeatable)");
    add->add_option("--default-region", add_args->region, "ISO country code for numbers written without +CC");
    add->add_flag("--paused", add_args->paused, "Add it paused");
    add_common(add, add_args->common, true);
    add->callback([add_args, &status] {
        const auto& a = *add_args;
        con::Connector c;
        c.name = a.name;
        c.kind = *con::kind_from_string(a.kind);
        if (!a.folder.empty()) {
            std::error_code ec;
            c.folder = fs::absolute(a.folder, ec).lexically_normal().string();
            if (c.folder.size() > 1 && c.folder.back() == '/')
                c.folder.pop_back();
        }
        c.settle_seconds = a.settle;
        c.url = a.url;
        c.auth = a.auth;
        c.username = a.username;
        c.phone_number_id = a.phone_number_id;
        c.graph_base_url = a.graph_base_url;
        if (c.kind == con::Kind::CloudApi && c.graph_base_url.empty())
            c.graph_base_url = "https://graph.facebook.com";
        c.automatic_mapping = !a.no_automatic;
        c.default_region = a.region;
        c.owners = a.owners;
        c.time_zone = a.tz;
        c.paused = a.paused;
        auto schedule = con::parse_schedule(a.schedule);
        if (!schedule) {
            status = report_error(std::move(schedule).error().with_context("--schedule"));
            return;
        }
        c.schedule = *schedule;
        if (!a.mapping.empty()) {
            std::ifstream in(a.mapping, std::ios::binary);
            if (!in) {
                status = report_error(
                    Error(ErrorCode::NotFound, fmt::format("--mapping {}: cannot read it", a.mapping)));
                return;
            }
            std::ostringstream text;
            text << in.rdbuf();
            c.mapping_csv = text.str();
        }
        // Checked before any secret is asked for.
        if (auto valid = con::parse_connector(con::to_json(c)); !valid) {
            status = report_error(valid.error());
            return;
        }
        auto secrets = read_secrets(c);
        if (!secrets) {
            status = report_error(secrets.error());
            return;
        }
        status = with_store(a.common, [&](archive::Archive&, con::Connectors& store) -> Result<int> {
            const auto t = now_utc();
            CV_TRY_VOID(store.add(c, *secrets, actor_name(a.common.actor), t));
            CV_TRY(const auto added, store.get(c.name));
            if (a.common.json) {
                print_json(connector_json(*added, std::nullopt, t));
                return 0;
            }
            const auto next = con::next_run(*added, std::nullopt, t);
            fmt::print("connector {} added ({}, {}{})\n", c.name, con::to_string(c.kind),
                       con::to_string(c.schedule), c.paused ? ", paused" : "");
            if (next && c.kind != con::Kind::CloudApi)
                fmt::print(
                    "next run {} (`chatvault serve` runs it; `chatvault connector run {}` runs it now)\n",
                    utc_text(std::max(*next, t)), c.name);
            return 0;
        });
    });

    // ---- ls
    auto ls_args = std::make_shared<Common>();
    auto* ls = top->add_subcommand("ls", "List connectors: status, last run, next run");
    add_common(ls, *ls_args, true);
    ls->callback([ls_args, &status] {
        status = with_store(*ls_args, [&](archive::Archive&, con::Connectors& store) -> Result<int> {
            CV_TRY(const auto all, store.list());
            CV_TRY(const auto last, store.last_runs());
            const auto t = now_utc();
            json out = json::array();
            for (const auto& c : all) {
                const auto it = last.find(c.name);
                out.push_back(
                    connector_json(c, it == last.end() ? std::nullopt : std::optional(it->second), t));
            }
            if (ls_args->json) {
                print_json(out);
                return 0;
            }
            fmt::print("{:<24} {:<11} {:<7} {:<20} {:<32} {}\n", "NAME", "KIND", "STATUS", "SCHEDULE",
                       "LAST RUN", "NEXT RUN");
            for (const auto& j : out) {
                std::string last_text = "-";
                if (!j["last_run"].is_null())
                    last_text = fmt::format("{} {}", j["last_run"]["started_at"].get<std::string>(),
                                            j["last_run"]["state"].get<std::string>());
                fmt::print("{:<24} {:<11} {:<7} {:<20} {:<32} {}\n", j["name"].get<std::string>(),
                           j["kind"].get<std::string>(), j["status"].get<std::string>(),
                           j["schedule"].get<std::string>(), last_text,
                           j["next_run"].is_null() ? "-" : j["next_run"].get<std::string>());
            }
            return 0;
        });
    });

    // ---- show
    auto show_args = std::make_shared<NameArgs>();
    auto* show = top->add_subcommand("show", "A connector's settings (secrets as set/unset) and run history");
    show->add_option("name", show_args->name, "The connector")->required();
    add_common(show, show_args->common, true);
    show->callback([show_args, &status] {
        status = with_store(show_args->common, [&](archive::Archive&, con::Connectors& store) -> Result<int> {
            CV_TRY(const auto c, store.get(show_args->name));
            if (!c)
                return fail(ErrorCode::NotFound, fmt::format("no connector '{}'", show_args->name));
            CV_TRY(const auto runs, store.runs(c->name));
            json j = connector_json(*c, runs.empty() ? std::nullopt : std::optional(runs.front()), now_utc());
            j["runs"] = json::array();
            for (const auto& r : runs)
                j["runs"].push_back(run_json(r));
            if (show_args->common.json) {
                print_json(j);
                return 0;
            }
            for (const auto& item : j.items()) {
                if (item.key() == "runs" || item.key() == "last_run" || item.key() == "mapping_csv")
                    continue;
                const auto& v = item.value();
                fmt::print("{:<18} {}\n", item.key() + ":", v.is_string() ? v.get<std::string>() : v.dump());
            }
            if (!c->mapping_csv.empty())
                fmt::print("{:<18} {} bytes (stored with the connector)\n",
                           "mapping_csv:", c->mapping_csv.size());
            fmt::print("runs: {}\n", runs.size());
            for (const auto& r : runs) {
                fmt::print("  {}\n", run_line(r));
                for (const auto& e : r.progress.errors)
                    fmt::print("        {}\n", e);
            }
            return 0;
        });
    });

    // ---- run
    auto run_args = std::make_shared<NameArgs>();
    auto* run =
        top->add_subcommand("run", "Run a connector now (SIGINT/SIGTERM: finish the current file, stop)");
    run->add_option("name", run_args->name, "The connector")->required();
    add_common(run, run_args->common, true);
    run->callback([run_args, &status] {
        status =
            with_store(run_args->common, [&](archive::Archive& a, con::Connectors& store) -> Result<int> {
                CV_TRY(const auto c, store.get(run_args->name));
                if (!c)
                    return fail(ErrorCode::NotFound, fmt::format("no connector '{}'", run_args->name));
                std::signal(SIGINT, on_stop_signal);
                std::signal(SIGTERM, on_stop_signal);
                const bool tty = ::isatty(STDERR_FILENO) == 1;
                bool drawn = false;
                const auto show_progress = [&](const con::RunProgress& p) {
                    if (!tty)
                        return;
                    drawn = true;
                    fmt::print(stderr, "\r\033[K{}: files {}/{}  items {}  new {}  {}", c->name, p.files_done,
                               p.files, p.seen, p.imported, p.current);
                };
                CV_TRY(const auto record,
                       con::run_connector(a, store, *c, "manual", actor_name(run_args->common.actor),
                                          now_utc(), show_progress, g_stop));
                if (drawn)
                    fmt::print(stderr, "\n");
                const auto& p = record.progress;
                if (run_args->common.json) {
                    print_json(run_json(record));
                } else {
                    fmt::print(
                        "run #{} {}: files {}  seen {}  new {}  duplicate {}  quarantined {}  failed {}\n",
                        record.number, con::to_string(p.state), p.files_done, p.seen, p.imported,
                        p.duplicates, p.quarantined, p.failed);
                    if (p.waiting)
                        fmt::print("{} file(s) still changing: left for the next run\n", p.waiting);
                    for (const auto& w : p.warnings)
                        fmt::print(stderr, "chatvault: warning: {}: {}\n", c->name, w);
                    for (const auto& e : p.errors)
                        fmt::print(stderr, "chatvault: error: {}: {}\n", c->name, e);
                }
                switch (p.state) {
                case con::RunState::Succeeded: return 0;
                case con::RunState::Cancelled: return 75;  // EX_TEMPFAIL: run it again
                default: return 1;
                }
            });
    });

    // ---- pause | resume | rm
    const auto simple = [top, &status](const char* verb, const char* done, const char* help, auto action) {
        auto args = std::make_shared<NameArgs>();
        auto* cmd = top->add_subcommand(verb, help);
        cmd->add_option("name", args->name, "The connector")->required();
        add_common(cmd, args->common, false);
        cmd->callback([args, &status, action, done] {
            status = with_store(args->common, [&](archive::Archive&, con::Connectors& store) -> Result<int> {
                CV_TRY_VOID(action(store, args->name, actor_name(args->common.actor), now_utc()));
                fmt::print("connector {} {}\n", args->name, done);
                return 0;
            });
        });
    };
    simple("pause", "paused", "Pause a connector: its schedule stops until resumed",
           [](con::Connectors& s, const std::string& n, const std::string& actor, std::int64_t t) {
               return s.set_paused(n, true, actor, t);
           });
    simple("resume", "resumed", "Resume a paused connector",
           [](con::Connectors& s, const std::string& n, const std::string& actor, std::int64_t t) {
               return s.set_paused(n, false, actor, t);
           });
    simple("rm", "removed", "Remove a connector and its secrets (its run history stays)",
           [](con::Connectors& s, const std::string& n, const std::string& actor, std::int64_t t) {
               return s.remove(n, actor, t);
           });
}

}  // namespace cv::cli

#include "cli/delivery_commands.hpp"

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/cli_support.hpp"
#include "core/time.hpp"
#include "deliver/deliver.hpp"

namespace cv::cli {

using nlohmann::json;

namespace {

// A secret comes from a file or an environment variable, never from the command line (where
// every user of the machine can read it in the process list).
Result<std::optional<std::string>> read_secret(const std::string& file, const std::string& env)
{
    if (!file.empty() && !env.empty())
        return fail(ErrorCode::InvalidArgument, "give --secret-file or --secret-env, not both");
    if (!file.empty()) {
        std::ifstream in(file, std::ios::binary);
        if (!in)
            return fail(ErrorCode::NotFound, fmt::format("cannot read secret file {}", file));
        std::ostringstream s;
        s << in.rdbuf();
        std::string secret = s.str();
        while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
            secret.pop_back();
        if (secret.empty())
            return fail(ErrorCode::InvalidArgument, fmt::format("secret file {} is empty", file));
        return std::optional(std::move(secret));
    }
    if (!env.empty()) {
        const char* v = std::getenv(env.c_str());
        if (!v || !*v)
            return fail(ErrorCode::InvalidArgument, fmt::format("environment variable {} is not set", env));
        return std::optional<std::string>(v);
    }
    return std::optional<std::string>();
}

json report_json(const deliver::RunReport& r)
{
    json mailboxes = json::array();
    for (const auto& m : r.mailboxes) {
        json one = {{"mailbox", m.mailbox},
                    {"delivered", m.delivered},
                    {"already_there", m.found},
                    {"pending", m.pending},
                    {"failed", m.failed}};
        if (!m.reason.empty())
            one["reason"] = m.reason;
        mailboxes.push_back(std::move(one));
    }
    return json{{"delivered", r.delivered},
                {"already_there", r.found},
                {"pending", r.pending},
                {"failed", r.failed},
                {"mailboxes", mailboxes}};
}

struct DeliveryArgs {
    std::string archive_flag;
    deliver::Target target;
    std::string auth = "plain";
    std::int64_t timeout_seconds = 30;
    bool no_verify = false;
    std::string secret_file;
    std::string secret_env;
    std::string mailbox;
    std::string login;
    bool json = false;
    bool retry_failed = false;
    bool ignore_backoff = false;
    std::string state;
    std::uint64_t limit = 1000;
};

}  // namespace

Result<std::optional<json>> deliver_if_configured(archive::Archive& archive)
{
    CV_TRY(auto target, deliver::load_target(archive));
    if (!target)
        return std::optional<json>();
    deliver::RunOptions options;
    options.now = static_cast<std::int64_t>(std::time(nullptr));
    CV_TRY(auto report, deliver::run(archive, *target, options));
    return std::optional(report_json(report));
}

void print_delivery_summary(const json& s)
{
    fmt::print("delivered {}  already there {}  pending {}  failed {}\n", s["delivered"].get<std::uint64_t>(),
               s["already_there"].get<std::uint64_t>(), s["pending"].get<std::uint64_t>(),
               s["failed"].get<std::uint64_t>());
    for (const auto& m : s["mailboxes"])
        if (m.contains("reason"))
            fmt::print("  {}: {} pending: {}\n", m["mailbox"].get<std::string>(),
                       m["pending"].get<std::uint64_t>(), m["reason"].get<std::string>());
    if (s["pending"].get<std::uint64_t>() || s["failed"].get<std::uint64_t>())
        fmt::print("see `chatvault deliveries --state pending` (or failed) for each item and why\n");
}

void add_delivery_commands(CLI::App& app, int& status)
{
    auto args = std::make_shared<DeliveryArgs>();
    auto add_archive_option = [args](CLI::App* cmd) {
        cmd->add_option("--archive", args->archive_flag,
                        "Archive folder (default $CHATVAULT_ARCHIVE, else ./archive)");
    };
    auto add_secret_options = [args](CLI::App* cmd) {
        cmd->add_option("--secret-file", args->secret_file, "File holding the password or bearer token");
        cmd->add_option("--secret-env", args->secret_env, "Environment variable holding it");
    };

    auto* delivery = app.add_subcommand("delivery", "The IMAP server items are delivered to, and its logins");
    delivery->require_subcommand(1);

    // ---- delivery set
    auto* set = delivery->add_subcommand("set", "Set the archive's delivery target (IMAP)");
    set->add_option("--url", args->target.url, "imaps://host[:993], or imap://host[:143] (STARTTLS)")
        ->required();
    set->add_option("--auth", args->auth, "plain, login, or xoauth2 (the secret is a bearer token)")
        ->check(CLI::IsMember({"plain", "login", "xoauth2"}))
        ->capture_default_str();
    set->add_option(
           "--login", args->target.login,
           "IMAP login per mailbox; {mailbox} is its address (a Dovecot master user: \"{mailbox}*admin\")")
        ->capture_default_str();
    set->add_option("--folder", args->target.folder, "Folder to deliver into, '/' between levels")
        ->capture_default_str();
    set->add_option("--ca-file", args->target.ca_file,
                    "Trust these CA certificates (PEM) instead of the system's");
    set->add_flag("--no-verify", args->no_verify, "Do not check the server's certificate (testing only)");
    set->add_flag("--allow-cleartext", args->target.allow_cleartext,
                  "Allow imap:// without STARTTLS (a server on this host only)");
    set->add_option("--timeout", args->timeout_seconds, "Seconds to wait for the server")
        ->capture_default_str();
    add_secret_options(set);
    add_archive_option(set);
    set->callback([args, &status] {
        auto secret = read_secret(args->secret_file, args->secret_env);
        if (!secret) {
            status = report_error(secret.error());
            return;
        }
        args->target.mechanism = *deliver::mechanism_from_string(args->auth);
        args->target.verify_peer = !args->no_verify;
        args->target.timeout = std::chrono::seconds(args->timeout_seconds);
        if (auto v = deliver::validate(args->target); !v) {
            status = report_error(v.error());
            return;
        }
        auto a = open_archive(args->archive_flag);
        if (!a) {
            status = report_error(a.error());
            return;
        }
        if (auto saved = deliver::save_target(*a, args->target, *secret); !saved) {
            status = report_error(saved.error());
            return;
        }
        fmt::print("delivery target set: {} folder \"{}\", login {}{}\n", args->target.url,
                   args->target.folder, args->target.login, *secret ? " (secret stored, sealed)" : "");
        status = 0;
    });

    // ---- delivery login
    auto* login = delivery->add_subcommand("login", "Give one mailbox its own IMAP login and secret");
    login->add_option("--mailbox", args->mailbox, "The mailbox address")->required();
    login->add_option("--login", args->login, "Its IMAP login (default: the address)");
    add_secret_options(login);
    add_archive_option(login);
    login->callback([args, &status] {
        auto secret = read_secret(args->secret_file, args->secret_env);
        if (!secret) {
            status = report_error(secret.error());
            return;
        }
        if (!*secret) {
            status = report_error(Error(ErrorCode::InvalidArgument, "give --secret-file or --secret-env"));
            return;
        }
        auto a = open_archive(args->archive_flag);
        if (!a) {
            status = report_error(a.error());
            return;
        }
        const std::string user = args->login.empty() ? args->mailbox : args->login;
        if (auto saved = deliver::save_mailbox_login(*a, args->mailbox, user, **secret); !saved) {
            status = report_error(saved.error());
            return;
        }
        fmt::print("{} logs in as {} (secret stored, sealed)\n", args->mailbox, user);
        status = 0;
    });

    // ---- delivery show
    auto* show = delivery->add_subcommand("show", "Show the delivery target (never its secrets)");
    show->add_flag("--json", args->json, "JSON output");
    add_archive_option(show);
    show->callback([args, &status] {
        auto a = open_archive(args->archive_flag);
        if (!a) {
            status = report_error(a.error());
            return;
        }
        auto t = deliver::load_target(*a);
        if (!t) {
            status = report_error(t.error());
            return;
        }
        if (!*t) {
            fmt::print(stderr,
                       "chatvault: no delivery target: set one with `chatvault delivery set --url …`\n");
            status = exit_code(ErrorCode::NotFound);
            return;
        }
        const auto& x = **t;
        const json j = {{"url", x.url},
                        {"auth", deliver::to_string(x.mechanism)},
                        {"login", x.login},
                        {"folder", x.folder},
                        {"verify_peer", x.verify_peer},
                        {"allow_cleartext", x.allow_cleartext},
                        {"ca_file", x.ca_file},
                        {"timeout_seconds", x.timeout.count()}};
        if (args->json)
            print_json(j);
        else
            for (const auto& [k, v] : j.items())
                fmt::print("{:<16} {}\n", k, v.is_string() ? v.get<std::string>() : v.dump());
        status = 0;
    });

    // ---- deliver
    auto* run = app.add_subcommand("deliver", "Deliver what is due to the IMAP target");
    run->add_flag("--retry-failed", args->retry_failed, "Also items the server refused before");
    run->add_flag("--ignore-backoff", args->ignore_backoff,
                  "Also items whose next attempt is later (the cause has been fixed)");
    run->add_flag("--json", args->json, "Print the summary as JSON");
    add_archive_option(run);
    run->callback([args, &status] {
        auto a = open_archive(args->archive_flag);
        if (!a) {
            status = report_error(a.error());
            return;
        }
        auto t = deliver::load_target(*a);
        if (!t || !*t) {
            status =
                t ? report_error(Error(ErrorCode::NotFound, "no delivery target: set one with `chatvault "
                                                            "delivery set --url …`"))
                  : report_error(t.error());
            return;
        }
        deliver::RunOptions options;
        options.now = static_cast<std::int64_t>(std::time(nullptr));
        options.retry_failed = args->retry_failed;
        options.ignore_backoff = args->ignore_backoff;
        auto r = deliver::run(*a, **t, options);
        if (!r) {
            status = report_error(r.error());
            return;
        }
        const json j = report_json(*r);
        if (args->json)
            print_json(j);
        else
            print_delivery_summary(j);
        // Something left behind is worth a non-zero status for scripts and schedulers.
        status = r->pending || r->failed ? exit_code(ErrorCode::Unavailable) : 0;
    });

    // ---- deliveries
    auto* list = app.add_subcommand("deliveries", "List deliveries per item and mailbox, with reasons");
    list->add_option("--state", args->state, "pending, delivered or failed")
        ->check(CLI::IsMember({"pending", "delivered", "failed"}));
    list->add_option("--mailbox", args->mailbox, "Only this mailbox");
    list->add_option("--limit", args->limit, "At most this many rows")->capture_default_str();
    list->add_flag("--json", args->json, "JSON output");
    add_archive_option(list);
    list->callback([args, &status] {
        auto a = open_archive(args->archive_flag);
        if (!a) {
            status = report_error(a.error());
            return;
        }
        archive::DeliveryQuery q;
        if (!args->state.empty())
            q.state = archive::delivery_state_from_string(args->state);
        q.mailbox = args->mailbox;
        q.limit = args->limit;
        auto rows = a->deliveries(q);
        auto counts = a->delivery_counts();
        if (!rows || !counts) {
            status = report_error(!rows ? rows.error() : counts.error());
            return;
        }
        json totals = json::object();
        for (const auto& [m, c] : *counts)
            if (args->mailbox.empty() || m == args->mailbox)
                totals[m] = {{"delivered", c.delivered}, {"pending", c.pending}, {"failed", c.failed}};
        if (args->json) {
            json items = json::array();
            for (const auto& d : *rows) {
                json one = {
                    {"item", d.item},
                    {"mailbox", d.mailbox},
                    {"message_id", d.message_id},
                    {"state", d.state == archive::DeliveryState::Sending ? "pending" : to_string(d.state)},
                    {"attempts", d.attempts}};
                if (!d.reason.empty())
                    one["reason"] = d.reason;
                if (d.uid)
                    one["uid"] = *d.uid;
                if (d.next_attempt)
                    one["next_attempt"] = format_utc(d.next_attempt);
                if (d.updated)
                    one["updated"] = format_utc(d.updated);
                items.push_back(std::move(one));
            }
            print_json(json{{"mailboxes", totals}, {"deliveries", items}});
            status = 0;
            return;
        }
        for (const auto& [m, c] : totals.items())
            fmt::print("{:<40} delivered {}  pending {}  failed {}\n", m, c["delivered"].get<std::uint64_t>(),
                       c["pending"].get<std::uint64_t>(), c["failed"].get<std::uint64_t>());
        for (const auto& d : *rows)
            fmt::print("{:>8}  {:<9}  {:<32}  <{}>{}\n", d.item,
                       d.state == archive::DeliveryState::Sending ? "pending" : to_string(d.state), d.mailbox,
                       d.message_id, d.reason.empty() ? "" : "  " + d.reason);
        status = 0;
    });
}

}  // namespace cv::cli

// `chatvault user` and `chatvault token`: the accounts of the web console and API, kept in the
// archive. Whoever runs these has the archive folder and its key, so they act as the operator:
// there is no login here, and this is how the first administrator is made (there is no default
// account). Every change is attributed (--actor, $CHATVAULT_ACTOR, else the login name) and
// journaled. A password or token is printed once, when it is made, and never again.

#include "cli/user_commands.hpp"

#include <charconv>
#include <ctime>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/cli_support.hpp"
#include "server/auth/auth.hpp"

namespace cv::cli {

using nlohmann::json;

namespace {

/// Opens the archive and runs `body` with Accounts over it; errors become exit codes.
template <class F> int with_accounts(const Common& c, F&& body)
{
    auto a = open_archive(c.archive);
    if (!a)
        return report_error(a.error());
    auth::Accounts accounts(*a);
    Result<void> r = body(accounts);
    if (!r)
        return report_error(r.error());
    return 0;
}

Result<std::vector<auth::Role>> parse_roles(const std::vector<std::string>& names)
{
    std::vector<auth::Role> out;
    for (const auto& n : names) {
        const auto r = auth::parse_role(n);
        if (!r) {
            std::vector<std::string_view> known;
            for (const auth::Role k : auth::kRoles)
                known.push_back(auth::to_string(k));
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("--role '{}': expected one of {}", n, fmt::join(known, ", ")));
        }
        out.push_back(*r);
    }
    return out;
}

Result<std::vector<auth::Permission>> parse_scopes(const std::vector<std::string>& names)
{
    std::vector<auth::Permission> out;
    for (const auto& n : names) {
        const auto p = auth::parse_permission(n);
        if (!p) {
            std::vector<std::string_view> known;
            for (const auth::Permission k : auth::kPermissions)
                known.push_back(auth::to_string(k));
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("--scope '{}': expected one of {}", n, fmt::join(known, ", ")));
        }
        out.push_back(*p);
    }
    return out;
}

/// "90d" (days from now) or an instant parse_instant reads ("2027-01-01").
Result<std::int64_t> parse_expiry(std::string_view text, std::int64_t at)
{
    if (text.ends_with('d') || text.ends_with('D')) {
        std::int64_t days = 0;
        const auto digits = text.substr(0, text.size() - 1);
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), days);
        if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() || days <= 0 ||
            days > 100'000)
            return fail(
                ErrorCode::InvalidArgument,
                fmt::format("--expires '{}': expected a number of days (90d) or a date (2027-01-01)", text));
        return at + days * 86400;
    }
    return parse_instant(text, "--expires");
}

/// One line from stdin, without its line end. Errors: InvalidArgument when there is none.
Result<std::string> password_from_stdin()
{
    std::string line;
    if (!std::getline(std::cin, line))
        return fail(ErrorCode::InvalidArgument, "--password-stdin: no password on standard input");
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    return line;
}

std::string role_list(const std::vector<auth::Role>& roles)
{
    std::vector<std::string_view> names;
    for (const auth::Role r : roles)
        names.push_back(auth::to_string(r));
    return fmt::format("{}", fmt::join(names, ","));
}

std::string scope_list(const std::vector<auth::Permission>& scopes)
{
    std::vector<std::string_view> names;
    for (const auth::Permission p : scopes)
        names.push_back(auth::to_string(p));
    return fmt::format("{}", fmt::join(names, ","));
}

/// A user for listing: everything but the password hash.
json user_json(const auth::User& u, std::int64_t at)
{
    json roles = json::array();
    for (const auth::Role r : u.roles)
        roles.push_back(std::string(auth::to_string(r)));
    return json{{"name", u.name},
                {"roles", roles},
                {"created", utc_text(u.created)},
                {"created_by", u.created_by},
                {"password_changed", utc_text(u.password_changed)},
                {"disabled", u.disabled},
                {"failed_logins", u.failed_logins},
                {"locked_until", u.locked_until > at ? json(utc_text(u.locked_until)) : json(nullptr)}};
}

std::string_view token_state(const auth::TokenInfo& t, std::int64_t at)
{
    if (t.revoked)
        return "revoked";
    return at >= t.expires ? "expired" : "active";
}

json token_json(const auth::TokenInfo& t, std::int64_t at)
{
    json scopes = json::array();
    for (const auth::Permission p : t.scopes)
        scopes.push_back(std::string(auth::to_string(p)));
    return json{{"id", t.id},
                {"owner", t.owner},
                {"label", t.label},
                {"scopes", scopes},
                {"created", utc_text(t.created)},
                {"created_by", t.created_by},
                {"expires", utc_text(t.expires)},
                {"state", std::string(token_state(t, at))},
                {"revoked", t.revoked ? json(utc_text(*t.revoked)) : json(nullptr)},
                {"revoked_by", t.revoked ? json(t.revoked_by) : json(nullptr)}};
}

// ---- user --------------------------------------------------------------------------------------

struct UserArgs {
    Common common;
    std::string name;
    std::vector<std::string> roles;
    bool password_stdin = false;
};

void add_user_verbs(CLI::App& app, int& status)
{
    auto* user = app.add_subcommand("user", "Accounts of the web console and API, and their roles");
    user->require_subcommand(1);
    auto args = std::make_shared<UserArgs>();
    const std::string role_help =
        "A role: organization-management, mailbox-import-export, "
        "compliance-administrator, ediscovery-manager, reviewer, auditor (repeatable)";

    auto* add = user->add_subcommand("add", "Add a user (the first one with --role organization-management)");
    add->add_option("name", args->name, "User name: a-z 0-9 . _ @ - (e.g. ana.lopez@bank.example)")
        ->required();
    add->add_option("--role", args->roles, role_help)->required();
    add->add_flag("--password-stdin", args->password_stdin,
                  "Read the password from standard input (else one is generated and printed once)");
    add_common(add, args->common, false);
    add->callback([args, &status] {
        status = with_accounts(args->common, [&](auth::Accounts& accounts) -> Result<void> {
            CV_TRY(const auto roles, parse_roles(args->roles));
            std::string password;
            if (args->password_stdin) {
                CV_TRY(password, password_from_stdin());
            } else {
                password = auth::Accounts::generate_password();
            }
            CV_TRY_VOID(
                accounts.add_user(args->name, roles, password, actor_name(args->common.actor), now_utc()));
            CV_TRY(const auto u, accounts.user(args->name));
            fmt::print("user {} added with roles {}\n", args->name, u ? role_list(u->roles) : "");
            if (!args->password_stdin)
                fmt::print("password (shown once, keep it safe): {}\n", password);
            return {};
        });
    });

    auto* ls = user->add_subcommand("ls", "List the users (never their passwords or hashes)");
    add_common(ls, args->common, true);
    ls->callback([args, &status] {
        status = with_accounts(args->common, [&](auth::Accounts& accounts) -> Result<void> {
            CV_TRY(const auto all, accounts.users());
            const std::int64_t at = now_utc();
            json out = json::array();
            for (const auto& u : all) {
                if (args->common.json) {
                    out.push_back(user_json(u, at));
                    continue;
                }
                std::string state = u.disabled ? "disabled" : "enabled";
                if (u.locked_until > at)
                    state += fmt::format(", locked until {}", utc_text(u.locked_until));
                fmt::print("{}\t{}\t{}\tcreated {} by {}\n", u.name, role_list(u.roles), state,
                           utc_text(u.created), u.created_by);
            }
            if (args->common.json)
                print_json(out);
            return {};
        });
    });

    auto* passwd =
        user->add_subcommand("passwd", "Set a new password (clears a lockout; signs the user out)");
    passwd->add_option("name", args->name, "User name")->required();
    passwd->add_flag("--password-stdin", args->password_stdin,
                     "Read the password from standard input (else one is generated and printed once)");
    add_common(passwd, args->common, false);
    passwd->callback([args, &status] {
        status = with_accounts(args->common, [&](auth::Accounts& accounts) -> Result<void> {
            std::string password;
            if (args->password_stdin) {
                CV_TRY(password, password_from_stdin());
            } else {
                password = auth::Accounts::generate_password();
            }
            CV_TRY_VOID(
                accounts.set_password(args->name, password, actor_name(args->common.actor), now_utc()));
            fmt::print("password of {} changed\n", args->name);
            if (!args->password_stdin)
                fmt::print("password (shown once, keep it safe): {}\n", password);
            return {};
        });
    });

    auto* role = user->add_subcommand("role", "Replace a user's roles");
    role->add_option("name", args->name, "User name")->required();
    role->add_option("--role", args->roles, role_help)->required();
    add_common(role, args->common, false);
    role->callback([args, &status] {
        status = with_accounts(args->common, [&](auth::Accounts& accounts) -> Result<void> {
            CV_TRY(const auto roles, parse_roles(args->roles));
            CV_TRY_VOID(accounts.set_roles(args->name, roles, actor_name(args->common.actor), now_utc()));
            CV_TRY(const auto u, accounts.user(args->name));
            fmt::print("user {} now has roles {}\n", args->name, u ? role_list(u->roles) : "");
            return {};
        });
    });

    for (const bool disable : {true, false}) {
        auto* cmd = user->add_subcommand(disable ? "disable" : "enable",
                                         disable ? "Disable a user: no login, no API token works"
                                                 : "Enable a disabled user again");
        cmd->add_option("name", args->name, "User name")->required();
        add_common(cmd, args->common, false);
        cmd->callback([args, disable, &status] {
            status = with_accounts(args->common, [&](auth::Accounts& accounts) -> Result<void> {
                CV_TRY_VOID(
                    accounts.set_disabled(args->name, disable, actor_name(args->common.actor), now_utc()));
                fmt::print("user {} {}\n", args->name, disable ? "disabled" : "enabled");
                return {};
            });
        });
    }

    auto* rm = user->add_subcommand("rm", "Remove a user and revoke their API tokens");
    rm->add_option("name", args->name, "User name")->required();
    add_common(rm, args->common, false);
    rm->callback([args, &status] {
        status = with_accounts(args->common, [&](auth::Accounts& accounts) -> Result<void> {
            CV_TRY_VOID(accounts.remove_user(args->name, actor_name(args->common.actor), now_utc()));
            fmt::print("user {} removed\n", args->name);
            return {};
        });
    });
}

// ---- token -------------------------------------------------------------------------------------

struct TokenArgs {
    Common common;
    std::string user, expires, label, id;
    std::vector<std::string> scopes;
};

void add_token_verbs(CLI::App& app, int& status)
{
    auto* token = app.add_subcommand("token", "API tokens (scoped, expiring; shown once)");
    token->require_subcommand(1);
    auto args = std::make_shared<TokenArgs>();

    auto* add = token->add_subcommand("add", "Create an API token for a user (printed once)");
    add->add_option("--user", args->user, "Whose token it is")->required();
    add->add_option("--scope", args->scopes,
                    "A permission the token carries, within the user's roles: audit.read, search, "
                    "metrics.read, … (repeatable)")
        ->required();
    add->add_option("--expires", args->expires,
                    "90d (days from now) or a UTC date like 2027-01-01 (at most 366 days)")
        ->required();
    add->add_option("--label", args->label, "What it is for (\"SIEM feed\")");
    add_common(add, args->common, true);
    add->callback([args, &status] {
        status = with_accounts(args->common, [&](auth::Accounts& accounts) -> Result<void> {
            const std::int64_t at = now_utc();
            CV_TRY(const auto scopes, parse_scopes(args->scopes));
            CV_TRY(const auto expires, parse_expiry(args->expires, at));
            CV_TRY(const auto issued, accounts.create_token(args->user, args->label, scopes, expires,
                                                            actor_name(args->common.actor), at));
            if (args->common.json) {
                json j = token_json(issued.info, at);
                j["token"] = issued.token;
                print_json(j);
            } else {
                fmt::print("token {} for {} ({}), expires {}\n", issued.info.id, issued.info.owner,
                           scope_list(issued.info.scopes), utc_text(issued.info.expires));
                fmt::print("token (shown once, keep it safe): {}\n", issued.token);
            }
            return {};
        });
    });

    auto* ls = token->add_subcommand("ls", "List API tokens (never their secrets)");
    ls->add_option("--user", args->user, "Only this user's");
    add_common(ls, args->common, true);
    ls->callback([args, &status] {
        status = with_accounts(args->common, [&](auth::Accounts& accounts) -> Result<void> {
            const std::int64_t at = now_utc();
            CV_TRY(
                const auto all,
                accounts.tokens(args->user.empty() ? std::nullopt : std::optional<std::string>(args->user)));
            json out = json::array();
            for (const auto& t : all) {
                if (args->common.json) {
                    out.push_back(token_json(t, at));
                    continue;
                }
                fmt::print("{}\t{}\t{}\t{}\texpires {}\t{}\n", t.id, t.owner, token_state(t, at),
                           scope_list(t.scopes), utc_text(t.expires), t.label);
            }
            if (args->common.json)
                print_json(out);
            return {};
        });
    });

    auto* rm = token->add_subcommand("rm", "Revoke an API token (kept on record)");
    rm->add_option("id", args->id, "The token's id (16 hex digits, as `token ls` shows)")->required();
    add_common(rm, args->common, false);
    rm->callback([args, &status] {
        status = with_accounts(args->common, [&](auth::Accounts& accounts) -> Result<void> {
            CV_TRY_VOID(accounts.revoke_token(args->id, actor_name(args->common.actor), now_utc()));
            fmt::print("token {} revoked\n", args->id);
            return {};
        });
    });
}

}  // namespace

void add_user_commands(CLI::App& app, int& status)
{
    add_user_verbs(app, status);
    add_token_verbs(app, status);
}

}  // namespace cv::cli

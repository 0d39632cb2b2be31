// Users and their roles (Organization Management), and one's own API tokens.
#include <fmt/format.h>

#include "server/detail/api.hpp"

namespace cv::server::detail {

namespace {

nlohmann::json user_json(const auth::User& u)
{
    nlohmann::json roles = nlohmann::json::array();
    for (const auth::Role r : u.roles)
        roles.push_back(auth::to_string(r));
    // Never the hash, never the failure count (it would tell someone guessing how close to the
    // lock they are): whether it is locked is enough for an administrator.
    return {{"name", u.name},
            {"roles", roles},
            {"created", format_utc(u.created)},
            {"created_by", u.created_by},
            {"disabled", u.disabled},
            {"locked", u.locked_until > now_utc()}};
}

nlohmann::json token_json(const auth::TokenInfo& t)
{
    nlohmann::json scopes = nlohmann::json::array();
    for (const auth::Permission p : t.scopes)
        scopes.push_back(auth::to_string(p));
    nlohmann::json j = {{"id", t.id},
                        {"owner", t.owner},
                        {"label", t.label},
                        {"scopes", scopes},
                        {"created", format_utc(t.created)},
                        {"expires", format_utc(t.expires)},
                        {"revoked", t.revoked ? nlohmann::json(format_utc(*t.revoked)) : nlohmann::json()}};
    return j;
}

Result<std::vector<auth::Role>> roles_field(const nlohmann::json& body)
{
    if (!body.contains("roles") || !body["roles"].is_array() || body["roles"].empty())
        return fail(ErrorCode::InvalidArgument, "roles: expected a non-empty array of role names");
    std::vector<auth::Role> roles;
    for (std::size_t i = 0; i < body["roles"].size(); ++i) {
        const auto& r = body["roles"][i];
        const auto role = r.is_string() ? auth::parse_role(r.get<std::string>()) : std::nullopt;
        if (!role)
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("roles[{}]: not a role (organization-management, mailbox-import-export, "
                                    "compliance-administrator, ediscovery-manager, reviewer, auditor)",
                                    i));
        roles.push_back(*role);
    }
    return roles;
}

Result<std::string> string_field(const nlohmann::json& body, std::string_view name)
{
    const std::string key(name);
    if (!body.contains(key) || !body[key].is_string())
        return fail(ErrorCode::InvalidArgument, fmt::format("{}: expected a string", name));
    return body[key].get<std::string>();
}

Result<Reply> list_users(Context& ctx, Call&)
{
    std::lock_guard lock(ctx.archive_mutex);
    auth::Accounts accounts(ctx.archive);
    CV_TRY(const auto users, accounts.users());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& u : users)
        out.push_back(user_json(u));
    return Reply::json({{"users", out}});
}

Result<Reply> add_user(Context& ctx, Call& call)
{
    CV_TRY(const auto body, call.json_body());
    CV_TRY(const std::string name, string_field(body, "name"));
    CV_TRY(const std::string password, string_field(body, "password"));
    CV_TRY(const auto roles, roles_field(body));
    CV_TRY_VOID(auth::check_user_name(name));
    CV_TRY(const auto hash, auth::Accounts::prepare_password(name, password));  // slow: no lock
    std::lock_guard lock(ctx.archive_mutex);
    auth::Accounts accounts(ctx.archive);
    CV_TRY_VOID(accounts.add_user(name, roles, hash, call.actor(), now_utc()));
    CV_TRY(const auto user, accounts.user(name));
    return Reply::json(user_json(*user), 201);
}

Result<Reply> set_roles(Context& ctx, Call& call)
{
    CV_TRY(const auto body, call.json_body());
    CV_TRY(const auto roles, roles_field(body));
    const std::string& name = call.params["name"];
    {
        std::lock_guard lock(ctx.archive_mutex);
        auth::Accounts accounts(ctx.archive);
        CV_TRY_VOID(accounts.set_roles(name, roles, call.actor(), now_utc()));
    }
    ctx.sessions.remove_user(name);  // a session must not keep roles the user no longer has
    return Reply::no_content();
}

Result<Reply> set_password(Context& ctx, Call& call)
{
    CV_TRY(const auto body, call.json_body());
    CV_TRY(const std::string password, string_field(body, "password"));
    const std::string& name = call.params["name"];
    CV_TRY(const auto hash, auth::Accounts::prepare_password(name, password));
    {
        std::lock_guard lock(ctx.archive_mutex);
        auth::Accounts accounts(ctx.archive);
        CV_TRY_VOID(accounts.set_password(name, hash, call.actor(), now_utc()));
    }
    ctx.sessions.remove_user(name);
    return Reply::no_content();
}

Result<Reply> set_disabled(Context& ctx, Call& call, bool disabled)
{
    const std::string& name = call.params["name"];
    {
        std::lock_guard lock(ctx.archive_mutex);
        auth::Accounts accounts(ctx.archive);
        CV_TRY_VOID(accounts.set_disabled(name, disabled, call.actor(), now_utc()));
    }
    ctx.sessions.remove_user(name);
    return Reply::no_content();
}

Result<Reply> remove_user(Context& ctx, Call& call)
{
    const std::string& name = call.params["name"];
    {
        std::lock_guard lock(ctx.archive_mutex);
        auth::Accounts accounts(ctx.archive);
        CV_TRY_VOID(accounts.remove_user(name, call.actor(), now_utc()));
    }
    ctx.sessions.remove_user(name);
    return Reply::no_content();
}

// Tokens: everyone with tokens.own manages their own; users.manage sees and revokes all.
Result<Reply> list_tokens(Context& ctx, Call& call)
{
    std::optional<std::string> owner = call.principal->user;
    if (call.principal->may(auth::Permission::UsersManage))
        owner = call.query_value("owner");
    std::lock_guard lock(ctx.archive_mutex);
    auth::Accounts accounts(ctx.archive);
    CV_TRY(const auto tokens, accounts.tokens(owner));
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : tokens)
        out.push_back(token_json(t));
    return Reply::json({{"tokens", out}});
}

Result<Reply> create_token(Context& ctx, Call& call)
{
    CV_TRY(const auto body, call.json_body());
    if (!body.contains("scopes") || !body["scopes"].is_array())
        return fail(ErrorCode::InvalidArgument, "scopes: expected an array of permission names");
    std::vector<auth::Permission> scopes;
    for (std::size_t i = 0; i < body["scopes"].size(); ++i) {
        const auto& s = body["scopes"][i];
        const auto p = s.is_string() ? auth::parse_permission(s.get<std::string>()) : std::nullopt;
        if (!p)
            return fail(ErrorCode::InvalidArgument, fmt::format("scopes[{}]: not a permission", i));
        // A token never reaches further than the session that makes it.
        if (!call.principal->may(*p))
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("scopes[{}]: you do not have {} yourself", i, auth::to_string(*p)));
        scopes.push_back(*p);
    }
    if (!body.contains("expires_in_days") || !body["expires_in_days"].is_number_integer())
        return fail(ErrorCode::InvalidArgument, "expires_in_days: expected a whole number of days (1–366)");
    const std::int64_t days = body["expires_in_days"].get<std::int64_t>();
    if (days < 1 || days > 366)
        return fail(ErrorCode::InvalidArgument, "expires_in_days: expected 1–366");
    const std::string label =
        body.contains("label") && body["label"].is_string() ? body["label"].get<std::string>() : "";
    const std::int64_t now = now_utc();
    std::lock_guard lock(ctx.archive_mutex);
    auth::Accounts accounts(ctx.archive);
    CV_TRY(const auto issued,
           accounts.create_token(call.principal->user, label, scopes, now + days * 86400, call.actor(), now));
    nlohmann::json j = token_json(issued.info);
    j["token"] = issued.token;  // shown this once
    return Reply::json(j, 201);
}

Result<Reply> revoke_token(Context& ctx, Call& call)
{
    const std::string& id = call.params["id"];
    std::lock_guard lock(ctx.archive_mutex);
    auth::Accounts accounts(ctx.archive);
    CV_TRY(const auto token, accounts.token(id));
    // Someone else's token is "not found", not "forbidden": ids are not to be probed.
    if (!token ||
        (token->owner != call.principal->user && !call.principal->may(auth::Permission::UsersManage)))
        return fail(ErrorCode::NotFound, fmt::format("no token {}", id));
    CV_TRY_VOID(accounts.revoke_token(id, call.actor(), now_utc()));
    return Reply::no_content();
}

}  // namespace

void add_user_routes(std::vector<Route>& routes)
{
    using P = auth::Permission;
    routes.push_back({"GET", "/api/v1/users", Access::Permission, P::UsersRead, list_users});
    routes.push_back({"POST", "/api/v1/users", Access::Permission, P::UsersManage, add_user});
    routes.push_back({"DELETE", "/api/v1/users/{name}", Access::Permission, P::UsersManage, remove_user});
    routes.push_back({"PUT", "/api/v1/users/{name}/roles", Access::Permission, P::UsersManage, set_roles});
    routes.push_back(
        {"PUT", "/api/v1/users/{name}/password", Access::Permission, P::UsersManage, set_password});
    routes.push_back({"POST", "/api/v1/users/{name}/disable", Access::Permission, P::UsersManage,
                      [](Context& c, Call& call) { return set_disabled(c, call, true); }});
    routes.push_back({"POST", "/api/v1/users/{name}/enable", Access::Permission, P::UsersManage,
                      [](Context& c, Call& call) { return set_disabled(c, call, false); }});
    routes.push_back({"GET", "/api/v1/tokens", Access::Permission, P::TokensOwn, list_tokens});
    routes.push_back({"POST", "/api/v1/tokens", Access::Permission, P::TokensOwn, create_token});
    routes.push_back({"DELETE", "/api/v1/tokens/{id}", Access::Permission, P::TokensOwn, revoke_token});
}

}  // namespace cv::server::detail

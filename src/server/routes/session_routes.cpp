// Signing in and out of the console (a session cookie), and who the caller is.
#include <fmt/format.h>

#include "server/detail/api.hpp"

namespace cv::server::detail {

namespace {

nlohmann::json roles_json(const auth::Principal& p)
{
    nlohmann::json roles = nlohmann::json::array();
    for (const auth::Role r : p.roles)
        roles.push_back(auth::to_string(r));
    nlohmann::json permissions = nlohmann::json::array();
    for (const auth::Permission perm : auth::kPermissions)
        if (p.may(perm))
            permissions.push_back(auth::to_string(perm));
    return {{"user", p.user}, {"roles", roles}, {"permissions", permissions}};
}

std::string session_cookie(const Context& ctx, std::string_view value, std::int64_t max_age)
{
    // HttpOnly: no script reads it; SameSite=Strict: no other site's page sends it; Secure
    // under TLS. The CSRF token goes in a header besides, for the cookie alone proves nothing.
    return fmt::format("cv_session={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}", value, max_age,
                       ctx.tls ? "; Secure" : "");
}

Result<Reply> login(Context& ctx, Call& call)
{
    const std::int64_t now = now_utc();
    if (const auto wait = ctx.throttle.retry_after(call.remote, now)) {
        Reply r = Reply::json({{"error",
                                {{"code", "throttled"},
                                 {"message", "too many sign-in attempts from this "
                                             "address; try again later"}}}},
                              429);
        r.headers.emplace_back("Retry-After", std::to_string(*wait));
        return r;
    }
    ctx.throttle.note_attempt(call.remote, now);
    CV_TRY(const auto body, call.json_body());
    if (!body.contains("user") || !body["user"].is_string() || !body.contains("password") ||
        !body["password"].is_string())
        return fail(ErrorCode::InvalidArgument, "expected {\"user\": \"…\", \"password\": \"…\"}");
    const std::string name = body["user"].get<std::string>();
    const std::string password = body["password"].get<std::string>();
    std::optional<auth::User> user;
    {
        std::lock_guard lock(ctx.archive_mutex);
        auth::Accounts accounts(ctx.archive);
        if (auth::check_user_name(name)) {
            CV_TRY(user, accounts.user(name));
        }
    }
    // Argon2id takes ~0.1 s and 64 MiB: never while holding the archive.
    const bool ok = auth::Accounts::verify_login(user, password);
    auth::LoginOutcome outcome;
    {
        std::lock_guard lock(ctx.archive_mutex);
        auth::Accounts accounts(ctx.archive);
        CV_TRY(outcome, accounts.record_login(name, ok, call.remote, now));
    }
    if (outcome.status != auth::LoginOutcome::Status::Ok || !outcome.principal) {
        // Locked and wrong look alike: telling them apart would tell which names exist.
        if (ctx.log)
            ctx.log(fmt::format("sign-in refused from {}", call.remote));
        return Reply::json({{"error",
                             {{"code", "unauthenticated"},
                              {"message", "wrong user name or password, or "
                                          "the account is locked"}}}},
                           401);
    }
    auto session = ctx.sessions.create(*outcome.principal, now);
    nlohmann::json j = roles_json(session.principal);
    j["csrf_token"] = session.csrf;
    Reply r = Reply::json(j);
    r.headers.emplace_back("Set-Cookie", session_cookie(ctx, session.id, auth::Sessions::kAbsoluteSeconds));
    return r;
}

Result<Reply> whoami(Context&, Call& call)
{
    nlohmann::json j = roles_json(*call.principal);
    j["via"] = call.principal->token_scopes ? "token" : "session";
    return Reply::json(j);
}

Result<Reply> logout(Context& ctx, Call& call)
{
    if (call.session)
        ctx.sessions.remove(*call.session);
    Reply r = Reply::no_content();
    r.headers.emplace_back("Set-Cookie", session_cookie(ctx, "", 0));
    return r;
}

}  // namespace

void add_session_routes(std::vector<Route>& routes)
{
    routes.push_back({"POST", "/api/v1/session", Access::Public, {}, login});
    routes.push_back({"GET", "/api/v1/session", Access::Authenticated, {}, whoami});
    routes.push_back({"DELETE", "/api/v1/session", Access::Authenticated, {}, logout});
}

}  // namespace cv::server::detail

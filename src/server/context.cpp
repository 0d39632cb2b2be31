// The pieces every handler shares: the call's accessors, replies, the route table, and the
// Cloud API connectors' secrets the webhook routes check signatures with.
#include <ctime>

#include <fmt/format.h>

#include "server/detail/api.hpp"

namespace cv::server::detail {

std::int64_t now_utc()
{
    return static_cast<std::int64_t>(std::time(nullptr));
}

std::optional<std::string> Call::query_value(std::string_view name) const
{
    const auto it = query.find(std::string(name));
    if (it == query.end())
        return std::nullopt;
    return it->second;
}

std::string Call::header(std::string_view lower_case_name) const
{
    const auto it = headers.find(std::string(lower_case_name));
    return it == headers.end() ? std::string() : it->second;
}

Result<nlohmann::json> Call::json_body() const
{
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded())
        return fail(ErrorCode::InvalidArgument, "the request body is not JSON");
    if (!j.is_object())
        return fail(ErrorCode::InvalidArgument, "the request body must be a JSON object");
    return j;
}

Reply Reply::json(const nlohmann::json& j, int status)
{
    Reply r;
    r.status = status;
    // Text that is not UTF-8 (a damaged name in an old export) is replaced, never a 500.
    r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return r;
}

Reply Reply::text(std::string body, int status)
{
    Reply r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(body);
    return r;
}

Reply Reply::no_content()
{
    Reply r;
    r.status = 204;
    return r;
}

Result<void> Context::reload_webhook_secrets()
{
    std::map<std::string, WebhookSecrets> fresh;
    {
        std::lock_guard lock(archive_mutex);
        connector::Connectors store(archive);
        CV_TRY(const auto list, store.list());
        for (const auto& c : list) {
            if (c.kind != connector::Kind::CloudApi || c.paused)
                continue;
            CV_TRY(const auto app_secret, store.secret(c.name, "app_secret"));
            CV_TRY(const auto verify_token, store.secret(c.name, "verify_token"));
            fresh[c.name] = {app_secret.value_or(""), verify_token.value_or("")};
        }
    }
    std::unique_lock lock(webhook_secrets_mutex);
    webhook_secrets = std::move(fresh);
    return {};
}

namespace {

Result<Reply> healthz(Context&, Call&)
{
    // Says nothing about the archive, the version or the host: only that the process answers.
    return Reply::text("ok\n");
}

Result<Reply> metrics(Context& ctx, Call&)
{
    Reply r = Reply::text(ctx.metrics.exposition());
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return r;
}

}  // namespace

void add_metrics_routes(std::vector<Route>& routes)
{
    routes.push_back({"GET", "/healthz", Access::Public, {}, healthz});
    routes.push_back({"GET", "/metrics", Access::Permission, auth::Permission::MetricsRead, metrics});
}

std::vector<Route> all_routes()
{
    std::vector<Route> routes;
    add_metrics_routes(routes);
    add_session_routes(routes);
    add_user_routes(routes);
    add_connector_routes(routes);
    add_webhook_routes(routes);
    add_compliance_routes(routes);
    add_case_routes(routes);
    add_item_routes(routes);
    add_export_routes(routes);
    add_retention_routes(routes);
    return routes;
}

}  // namespace cv::server::detail

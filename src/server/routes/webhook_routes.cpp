// WhatsApp Cloud API webhooks (spec §A.1): the verification handshake, and notifications that
// prove themselves by their X-Hub-Signature-256. A notification is sealed and on disk before
// the 200 goes back; it is imported afterwards (scheduler.cpp), so Meta is never kept waiting
// on the archive.
#include <fmt/format.h>
#include <sodium.h>

#include "server/detail/api.hpp"
#include "sources/cloud_api/cloud_api.hpp"

namespace cv::server::detail {

namespace {

std::optional<Context::WebhookSecrets> secrets_of(Context& ctx, const std::string& connector)
{
    std::shared_lock lock(ctx.webhook_secrets_mutex);
    const auto it = ctx.webhook_secrets.find(connector);
    if (it == ctx.webhook_secrets.end())
        return std::nullopt;
    return it->second;
}

bool same_secret(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && !a.empty() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<Reply> verify(Context& ctx, Call& call)
{
    const std::string& name = call.params["connector"];
    const auto secrets = secrets_of(ctx, name);
    const auto mode = call.query_value("hub.mode");
    const auto token = call.query_value("hub.verify_token");
    const auto challenge = call.query_value("hub.challenge");
    if (!secrets || !mode || *mode != "subscribe" || !token || !challenge ||
        !same_secret(*token, secrets->verify_token)) {
        ctx.metrics.webhook_refused(secrets ? name : "-", "verify_token");
        return Reply::text("forbidden\n", 403);
    }
    // The challenge goes back as it came, as text/plain (and the CSP forbids running it).
    return Reply::text(*challenge);
}

Result<Reply> notify(Context& ctx, Call& call)
{
    const std::string& name = call.params["connector"];
    const auto secrets = secrets_of(ctx, name);
    if (!secrets) {
        ctx.metrics.webhook_refused("-", "unknown_connector");
        return Reply::json({{"error", {{"code", "not_found"}, {"message", "no such webhook"}}}}, 404);
    }
    // The signature covers the exact bytes received: checked before anything reads them.
    if (!cloud_api::verify_signature(secrets->app_secret, call.body, call.header("x-hub-signature-256"))) {
        ctx.metrics.webhook_refused(name, call.header("x-hub-signature-256").empty() ? "no_signature"
                                                                                     : "bad_signature");
        return Reply::json(
            {{"error", {{"code", "unauthenticated"}, {"message", "missing or wrong X-Hub-Signature-256"}}}},
            401);
    }
    // A redelivery (same body, same signature) is stored again and counted once at import:
    // deliveries are at least once, and a 200 must mean "kept".
    auto seq = ctx.spool.append(name, now_utc(), call.body);
    if (!seq) {
        if (ctx.log)
            ctx.log(fmt::format("error: webhook {}: {}", name, seq.error().describe()));
        // Not 200: Meta delivers it again later.
        return Reply::json({{"error", {{"code", "unavailable"}, {"message", "could not store the event"}}}},
                           503);
    }
    ctx.metrics.webhook_accepted(name);
    {
        std::lock_guard lock(ctx.webhook_mutex);
        ++ctx.webhook_events;
    }
    ctx.webhook_arrived.notify_one();
    return Reply::text("ok\n");
}

}  // namespace

void add_webhook_routes(std::vector<Route>& routes)
{
    routes.push_back({"GET", "/webhooks/cloud-api/{connector}", Access::Public, {}, verify});
    routes.push_back({"POST", "/webhooks/cloud-api/{connector}", Access::Public, {}, notify});
}

}  // namespace cv::server::detail

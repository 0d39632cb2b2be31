#pragma once
/// The service's inside: what every request handler is given (the call and the shared
/// context), and the route table the handlers are registered in. cpp-httplib stays in
/// server.cpp: handlers see only this.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "archive/archive.hpp"
#include "archive/spool.hpp"
#include "connector/connector.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "server/auth/auth.hpp"
#include "server/detail/metrics.hpp"

namespace cv::compliance::retention {
struct Hold;
}

namespace cv::server::detail {

/// A request as a handler sees it.
struct Call {
    std::string method;
    std::string path;
    std::map<std::string, std::string> params;  ///< path parameters by name ("{name}")
    std::multimap<std::string, std::string> query;
    std::map<std::string, std::string> headers;  ///< names lower-case
    std::string body;
    std::string remote;
    const auth::Principal* principal = nullptr;  ///< null on public routes
    std::optional<std::string> session;          ///< the session id, when authenticated by cookie

    std::string actor() const { return principal ? principal->user : std::string("anonymous"); }
    std::optional<std::string> query_value(std::string_view name) const;
    std::string header(std::string_view lower_case_name) const;
    /// The body as a JSON object. Errors: InvalidArgument naming what is wrong.
    Result<nlohmann::json> json_body() const;
};

/// What a handler answers.
struct Reply {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    /// When set, the body is this file's content, streamed (server.cpp; an export's zip).
    std::optional<std::filesystem::path> file;

    static Reply json(const nlohmann::json& j, int status = 200);
    static Reply text(std::string body, int status = 200);
    static Reply no_content();
};

/// Who may call a route.
enum class Access { Public, Authenticated, Permission };

/// Live state of a connector's run, for the API and the console (not stored: the finished
/// run's record is).
struct LiveRun {
    connector::RunProgress progress;
    std::string trigger;
    std::string actor;
};

/// Everything the handlers share. The archive is not thread-safe: take `archive_mutex` for
/// every use of `archive` (and of stores over it).
struct Context {
    std::mutex archive_mutex;
    archive::Archive archive;
    archive::Spool spool;
    auth::Sessions sessions;
    auth::LoginThrottle throttle;
    Metrics metrics;
    bool tls = false;
    std::atomic<bool> stopping{false};
    std::function<void(std::string_view)> log;

    // The scheduler: runs requested now, and what is running.
    std::mutex runs_mutex;
    std::condition_variable runs_changed;
    std::map<std::string, std::string> run_now;  ///< connectors asked to run ("run now"), by whom
    std::map<std::string, LiveRun> running;      ///< by connector
    /// Drop folders whose last run left files still changing: run again at this instant.
    std::map<std::string, std::int64_t> settle_retry;

    // What the connector routes show while a run holds the archive (a drop folder's import can
    // take minutes; its progress must stay visible): the connectors and runs last read.
    std::mutex connectors_cache_mutex;
    std::vector<connector::Connector> connectors_cache;
    std::map<std::string, connector::RunRecord> last_runs_cache;
    std::map<std::string, std::vector<connector::RunRecord>> runs_cache;

    // API tokens checked lately (by SHA-256 of the token), for while an import holds the archive.
    struct CheckedToken {
        std::optional<auth::Principal> principal;
        std::int64_t checked = 0;
    };
    std::mutex token_cache_mutex;
    std::map<std::string, CheckedToken> token_cache;

    // The webhook processor is woken when an event is spooled.
    std::mutex webhook_mutex;
    std::condition_variable webhook_arrived;
    std::uint64_t webhook_events = 0;

    // Cloud API connectors' secrets, read once from the archive (which a webhook never waits
    // for): connector name → app secret and verify token.
    struct WebhookSecrets {
        std::string app_secret;
        std::string verify_token;
    };
    std::shared_mutex webhook_secrets_mutex;
    std::map<std::string, WebhookSecrets> webhook_secrets;

    // eDiscovery exports of cases (export_routes.cpp): run on their own threads, kept in memory
    // (an export does not outlive the service: its files are removed at the next start).
    struct ExportJob {
        std::string id;
        std::string case_id;
        std::string search;
        std::string actor;
        std::string state = "running";  ///< running, done, failed
        std::string error;
        std::uint64_t items = 0;
        std::uint64_t failed = 0;  ///< items left out (listed in the zip's errors.csv)
        std::uint64_t bytes = 0;   ///< of the zip, once done
        std::int64_t started = 0;
        std::int64_t ended = 0;
        std::filesystem::path zip;
        bool downloaded = false;
        bool removed = false;  ///< the zip is gone (expired, or downloaded and the case closed)
    };
    std::mutex exports_mutex;
    std::map<std::string, ExportJob> exports;
    /// By export: joined when the next export starts after it ended, or when the service stops.
    std::map<std::string, std::thread> export_threads;
    std::uint64_t exports_started = 0;

    Context(archive::Archive a, archive::Spool s) : archive(std::move(a)), spool(std::move(s)) {}
    /// Reads the Cloud API connectors' secrets again (after a connector changed). Takes the
    /// archive lock.
    Result<void> reload_webhook_secrets();
};

using Handler = std::function<Result<Reply>(Context&, Call&)>;

struct Route {
    std::string method;
    std::string path;  ///< "/api/v1/connectors/{name}"
    Access access = Access::Permission;
    auth::Permission permission = auth::Permission::UsersManage;
    Handler handler;
};

/// The route table, grouped by area (routes_*.cpp).
void add_session_routes(std::vector<Route>& routes);
void add_user_routes(std::vector<Route>& routes);
void add_connector_routes(std::vector<Route>& routes);
void add_webhook_routes(std::vector<Route>& routes);
void add_compliance_routes(std::vector<Route>& routes);
void add_case_routes(std::vector<Route>& routes);
void add_item_routes(std::vector<Route>& routes);
void add_export_routes(std::vector<Route>& routes);
void add_retention_routes(std::vector<Route>& routes);
void add_metrics_routes(std::vector<Route>& routes);
std::vector<Route> all_routes();

/// A hold as the API shows it (GET /api/v1/holds, and wherever a hold is placed).
nlohmann::json hold_json(const compliance::retention::Hold& hold);
/// An item's attachments as every item route shows them: [{name, present, size}] (size null when
/// the bytes are not in the archive).
nlohmann::json attachments_json(const std::vector<Attachment>& attachments);

/// Background work of the service (scheduler.cpp): due connectors, and spooled webhook events
/// into the archive. Each returns when `context.stopping` is set, after the batch in hand.
void run_scheduler(Context& context);
void run_webhook_processor(Context& context);
/// Exports: removes what a previous run of the service left (at start); removes zips that expired
/// or were downloaded for a closed case (the scheduler, every few seconds); waits for the exports
/// running (at stop).
void clear_exports(Context& context);
void sweep_exports(Context& context);
void join_exports(Context& context);

/// The wall clock, in UTC seconds.
std::int64_t now_utc();

}  // namespace cv::server::detail

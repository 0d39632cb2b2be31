#include "server/detail/metrics.hpp"

#include <fmt/format.h>

namespace cv::server::detail {

void Metrics::record_run(std::string_view connector, const RunOutcome& run)
{
    std::lock_guard lock(mutex_);
    auto& c = connectors_[std::string(connector)];
    c.imported += run.imported;
    c.duplicates += run.duplicates;
    c.quarantined += run.quarantined;
    c.failed += run.failed;
    (run.succeeded ? c.runs_ok : c.runs_failed) += 1;
    c.last_seconds = run.seconds;
    if (run.succeeded)
        c.last_success = run.ended;
}

void Metrics::webhook_accepted(std::string_view connector)
{
    std::lock_guard lock(mutex_);
    ++connectors_[std::string(connector)].webhooks_accepted;
}

void Metrics::webhook_refused(std::string_view connector, std::string_view reason)
{
    std::lock_guard lock(mutex_);
    ++connectors_[std::string(connector)].webhooks_refused[std::string(reason)];
}

namespace {

// Label values are connector names ([a-z0-9-]) and fixed reasons; escape anyway, as the
// format asks (backslash, double quote, newline).
std::string label(std::string_view v)
{
    std::string out;
    for (const char ch : v) {
        if (ch == '\\' || ch == '"')
            out += '\\';
        if (ch == '\n') {
            out += "\\n";
            continue;
        }
        out += ch;
    }
    return out;
}

}  // namespace

std::string Metrics::exposition() const
{
    std::lock_guard lock(mutex_);
    std::string out;
    auto family = [&](std::string_view name, std::string_view type, std::string_view help, auto value) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
        for (const auto& [connector, c] : connectors_)
            value(connector, c);
    };
    auto sample = [&](std::string_view name, const std::string& connector, auto v) {
        out += fmt::format("{}{{connector=\"{}\"}} {}\n", name, label(connector), v);
    };
    family("chatvault_items_imported_total", "counter", "Items archived by a connector's runs.",
           [&](const std::string& n, const PerConnector& c) {
               sample("chatvault_items_imported_total", n, c.imported);
           });
    family("chatvault_items_duplicate_total", "counter", "Items a connector found archived already.",
           [&](const std::string& n, const PerConnector& c) {
               sample("chatvault_items_duplicate_total", n, c.duplicates);
           });
    family("chatvault_items_quarantined_total", "counter",
           "Items kept in quarantine (no mapped participant).",
           [&](const std::string& n, const PerConnector& c) {
               sample("chatvault_items_quarantined_total", n, c.quarantined);
           });
    family("chatvault_items_failed_total", "counter", "Items a connector could not archive.",
           [&](const std::string& n, const PerConnector& c) {
               sample("chatvault_items_failed_total", n, c.failed);
           });
    out += "# HELP chatvault_runs_total Connector runs by outcome.\n# TYPE chatvault_runs_total counter\n";
    for (const auto& [n, c] : connectors_) {
        out += fmt::format("chatvault_runs_total{{connector=\"{}\",outcome=\"succeeded\"}} {}\n", label(n),
                           c.runs_ok);
        out += fmt::format("chatvault_runs_total{{connector=\"{}\",outcome=\"failed\"}} {}\n", label(n),
                           c.runs_failed);
    }
    family("chatvault_run_duration_seconds", "gauge", "How long the connector's last run took.",
           [&](const std::string& n, const PerConnector& c) {
               sample("chatvault_run_duration_seconds", n, c.last_seconds);
           });
    family("chatvault_last_success_timestamp_seconds", "gauge",
           "When the connector's last successful run ended (Unix seconds; 0: never).",
           [&](const std::string& n, const PerConnector& c) {
               sample("chatvault_last_success_timestamp_seconds", n, c.last_success);
           });
    family("chatvault_webhook_events_total", "counter", "Webhook events stored durably and acknowledged.",
           [&](const std::string& n, const PerConnector& c) {
               sample("chatvault_webhook_events_total", n, c.webhooks_accepted);
           });
    out += "# HELP chatvault_webhook_refused_total Webhook deliveries refused, by reason.\n"
           "# TYPE chatvault_webhook_refused_total counter\n";
    for (const auto& [n, c] : connectors_)
        for (const auto& [reason, count] : c.webhooks_refused)
            out += fmt::format("chatvault_webhook_refused_total{{connector=\"{}\",reason=\"{}\"}} {}\n",
                               label(n), label(reason), count);
    return out;
}

}  // namespace cv::server::detail

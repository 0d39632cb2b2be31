#pragma once
/// The service's counters, as Prometheus' text exposition format
/// (https://prometheus.io/docs/instrumenting/exposition_formats/). Per connector: items
/// imported, duplicate, quarantined and failed, runs by outcome, the last run's duration and
/// the last success; per webhook channel: events accepted and refused.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace cv::server::detail {

class Metrics {
public:
    struct RunOutcome {
        bool succeeded = false;
        std::uint64_t imported = 0;
        std::uint64_t duplicates = 0;
        std::uint64_t quarantined = 0;
        std::uint64_t failed = 0;
        double seconds = 0;
        std::int64_t ended = 0;  ///< UTC seconds
    };
    void record_run(std::string_view connector, const RunOutcome& run);
    void webhook_accepted(std::string_view connector);
    void webhook_refused(std::string_view connector, std::string_view reason);

    /// Every counter, as text/plain; version=0.0.4.
    std::string exposition() const;

private:
    struct PerConnector {
        std::uint64_t imported = 0, duplicates = 0, quarantined = 0, failed = 0;
        std::uint64_t runs_ok = 0, runs_failed = 0;
        double last_seconds = 0;
        std::int64_t last_success = 0;
        std::uint64_t webhooks_accepted = 0;
        std::map<std::string, std::uint64_t> webhooks_refused;  // by reason
    };
    mutable std::mutex mutex_;
    std::map<std::string, PerConnector> connectors_;
};

}  // namespace cv::server::detail

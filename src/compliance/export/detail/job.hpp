#pragma once
/// The job file (.chatvault-export/job.json): what an export is, frozen when it starts, so
/// that a resumed run exports the same items the same way. Read back from disk, so parsed as
/// outside input (tests/fuzz/fuzz_export_state.cpp).

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace cv::compliance::exports::detail {

/// What decides the rows and files of every item.
struct Settings {
    std::vector<std::string> mailboxes;             ///< sorted; empty: every placement and quarantine
    std::map<std::string, std::string> custodians;  ///< mailbox -> custodian name
    bool dedupe = false;

    friend bool operator==(const Settings&, const Settings&) = default;
};

struct Job {
    std::string query;
    std::string zone;
    Settings settings;
    std::string title;
    std::string description;
    std::int64_t started = 0;
    std::vector<std::int64_t> ids;  ///< increasing

    friend bool operator==(const Job&, const Job&) = default;
};

/// The job as JSON (one line).
std::string job_text(const Job& job);

/// Reads job_text()'s output. Errors: Parse naming `path` (not JSON, a field missing or of the
/// wrong type, an item list that is not increasing positive numbers).
Result<Job> parse_job(std::string_view text, const std::filesystem::path& path);

}  // namespace cv::compliance::exports::detail

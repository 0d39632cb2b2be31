#pragma once
/// `chatvault export QUERY --to DIR [--dedupe] [--mailbox M] [--custodian MAILBOX=NAME]…
/// [--tz ZONE] [--zip FILE] [--title T] [--description D] [--threads N] [--json]`: the
/// eDiscovery export of a content search (src/compliance/export). The `export` subcommand
/// itself lives with the archive commands: without --to it is the mailbox export (Maildir,
/// mbox, .eml), with --to its positional argument is the query.

#include <string>
#include <vector>

namespace cv::cli {

struct DiscoveryExportArgs {
    std::string archive;
    std::string query;
    std::string to;
    std::string mailbox;
    std::vector<std::string> custodians;  ///< "MAILBOX=NAME"
    std::string tz = "UTC";
    std::string zip;
    std::string title;
    std::string description;
    bool dedupe = false;
    bool json = false;
    unsigned threads = 0;
    std::string actor;                 ///< for the audit trail (actor_name() decides when empty)
    std::vector<std::string> scope;    ///< `case export`: only the case's custodians' mailboxes
    std::string case_id, search_name;  ///< `case export`: audited as "case.export" with them
};

/// Runs the export; prints the summary (or JSON) and returns the exit status.
int run_discovery_export(const DiscoveryExportArgs& args);

}  // namespace cv::cli

#include "cli/export_command.hpp"

#include <unistd.h>

#include <ctime>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/cli_support.hpp"
#include "compliance/export/export.hpp"
#include "compliance/query/query.hpp"
#include "ingest/ingest.hpp"

namespace cv::cli {

using nlohmann::json;
namespace exports = compliance::exports;

int run_discovery_export(const DiscoveryExportArgs& args)
{
    auto zone = TimeZone::locate(args.tz);
    if (!zone)
        return report_error(zone.error());
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    auto q = compliance::query::parse(args.query, *zone, now);
    if (!q) {
        fmt::print(stderr, "chatvault: error: bad query: {}\n", q.error().message());
        return exit_code(ErrorCode::InvalidArgument);
    }
    exports::ExportRequest request;
    request.dir = args.to;
    request.query = args.query;
    request.zone = q->zone;
    if (!args.mailbox.empty())
        request.mailboxes.push_back(args.mailbox);
    request.mailboxes.insert(request.mailboxes.end(), args.scope.begin(), args.scope.end());
    std::map<std::string, exports::Custodian> by_name;
    for (const auto& c : args.custodians) {
        const auto eq = c.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == c.size()) {
            fmt::print(stderr, "chatvault: error: --custodian wants MAILBOX=NAME, not \"{}\"\n", c);
            return exit_code(ErrorCode::InvalidArgument);
        }
        auto& cust = by_name[c.substr(eq + 1)];
        cust.name = c.substr(eq + 1);
        cust.mailboxes.push_back(c.substr(0, eq));
    }
    for (auto& [name, c] : by_name)
        request.custodians.push_back(std::move(c));
    request.dedupe = args.dedupe;
    request.title = args.title;
    request.description = args.description;
    if (args.zip.starts_with('-')) {
        // `--zip --dedupe` would otherwise write a zip named "--dedupe" and export without dedupe.
        fmt::print(
            stderr,
            "chatvault: error: --zip wants the zip file's path, not \"{}\" (use ./{} for such a name)\n",
            args.zip, args.zip);
        return exit_code(ErrorCode::InvalidArgument);
    }
    if (!args.zip.empty())
        request.zip = args.zip;
    request.threads = args.threads;
    const bool tty = ::isatty(STDERR_FILENO) != 0;
    if (tty)
        request.progress = [](const exports::Progress& p) {
            fmt::print(stderr, "\rexporting: {}/{} items", p.done, p.total);
        };

    auto a = open_archive(args.archive);
    if (!a)
        return report_error(a.error());
    archive::Archive& ar = *a;
    // One StoredRenderer per worker thread: it keeps the last conversation's renderer.
    const exports::RenderFactory render = [&ar]() -> exports::RenderFn {
        auto r = std::make_shared<ingest::StoredRenderer>(ar);
        return [r](const archive::StoredItem& s, ByteSink& out) -> Result<void> {
            CV_TRY_VOID(r->render(s, out));
            return {};
        };
    };
    auto report = exports::export_query(ar, *q, request, render);
    if (tty)
        fmt::print(stderr, "\n");
    if (!report)
        return report_error(report.error());
    // Audited once the export is complete (each resumed run is recorded as well).
    json parameters{{"query", args.query},
                    {"zone", report->zone},
                    {"to", args.to},
                    {"zip", args.zip},
                    {"dedupe", args.dedupe},
                    {"mailboxes", request.mailboxes},
                    {"resumed_from", report->resumed_from},
                    {"files", report->files},
                    {"bytes", report->bytes},
                    {"failed", report->failed}};
    if (!args.case_id.empty()) {
        parameters["case"] = args.case_id;
        parameters["search"] = args.search_name;
    }
    if (auto logged = ar.audit(archive::AuditEvent{actor_name(args.actor), now,
                                                   args.case_id.empty() ? "export" : "case.export",
                                                   parameters.dump(), report->items});
        !logged)
        return report_error(logged.error());
    // Exported, but not everything: a code of its own, so that a script does not take a partial
    // export for a whole one.
    constexpr int kPartialExport = 3;
    const int rc = report->failed > 0 ? kPartialExport : 0;
    for (std::size_t i = 0; i < report->failures.size() && i < 20; ++i)
        fmt::print(stderr, "chatvault: item {} not exported: {}\n", report->failures[i].item,
                   report->failures[i].reason);
    if (report->failed > 0)
        fmt::print(stderr,
                   "chatvault: {} item(s) could not be exported (listed in {}/errors.csv); run the same "
                   "export again to retry them\n",
                   report->failed, report->dir.string());
    if (args.json) {
        json per = json::object();
        json failures = json::array();
        for (const auto& f : report->failures)
            failures.push_back(json{{"item", f.item},
                                    {"message_id", f.message_id},
                                    {"mailboxes", f.mailboxes},
                                    {"reason", f.reason}});
        for (const auto& [name, c] : report->per_custodian)
            per[name] = json{{"rows", c.rows}, {"files", c.files}, {"bytes", c.bytes}};
        print_json(json{{"dir", report->dir.string()},
                        {"zip", report->zip ? json(report->zip->string()) : json(nullptr)},
                        {"query", report->query},
                        {"zone", report->zone},
                        {"dedupe", report->dedupe},
                        {"items", report->items},
                        {"rows", report->rows},
                        {"files", report->files},
                        {"duplicates", report->duplicates},
                        {"quarantined", report->quarantined},
                        {"bytes", report->bytes},
                        {"resumed_from", report->resumed_from},
                        {"written_now", report->written_now},
                        {"started", format_utc(report->started)},
                        {"finished", format_utc(report->finished)},
                        {"failed", report->failed},
                        {"failures", failures},
                        {"per_custodian", per}});
        return rc;
    }
    fmt::print("exported {} item(s) as {} file(s), {} load-file row(s), {} bytes into {}{}\n", report->items,
               report->files, report->rows, report->bytes, report->dir.string(),
               report->resumed_from > 0 ? fmt::format(" (resumed after {} item(s))", report->resumed_from)
                                        : "");
    fmt::print("query: {}   dates read in {}\n", report->query, report->zone);
    if (report->zip)
        fmt::print("zip: {}\n", report->zip->string());
    if (report->zip)
        fmt::print("check with: unzip -d DIR {} && (cd DIR && sha256sum -c --quiet manifest.sha256)\n",
                   report->zip->string());
    else
        fmt::print("check with: (cd {} && sha256sum -c --quiet manifest.sha256)\n", report->dir.string());
    return rc;
}

}  // namespace cv::cli

#pragma once
/// eDiscovery export: the results of a content search written to a folder (and optionally a
/// zip) as one `.eml` per item per mailbox placement, a CSV load file, a `sha256sum -c`
/// manifest and a summary report. Resumable: an export killed at any moment and run again
/// with the same request continues where it stopped, with no duplicate and no gap. See
/// src/compliance/export/README.md for the layout and the resume rules.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "archive/archive.hpp"
#include "compliance/query/query.hpp"
#include "core/byte_sink.hpp"
#include "core/result.hpp"

namespace cv::compliance::exports {

/// A person whose mailboxes an eDiscovery case collects. A mailbox no custodian names is
/// exported under its own address as the custodian.
struct Custodian {
    std::string name;
    std::vector<std::string> mailboxes;
};

/// Renders an archived item to `out`, byte for byte as archived (the CLI passes
/// ingest::StoredRenderer, i.e. render_stored(); the archive cannot render by itself).
using RenderFn = std::function<Result<void>(const archive::StoredItem&, ByteSink&)>;

/// Makes one RenderFn per worker thread (so that each may keep state, e.g. its renderer, and
/// need not be thread-safe). Called once on each worker thread. Renders of items without stored
/// attachments run on several threads at once; a render of an item with stored attachments
/// (which reads the archive's blobs) never overlaps another such render.
using RenderFactory = std::function<RenderFn()>;

struct Progress {
    std::uint64_t done = 0;   ///< items written (including those found done when resuming)
    std::uint64_t total = 0;  ///< items to export
};

struct ExportRequest {
    std::filesystem::path dir;  ///< created when missing; must be empty or hold this same export
    std::string query;          ///< the query as given: part of the export's identity and report
    std::string zone = "UTC";   ///< the zone the query's dates were read in (reported)
    /// Only placements in these mailboxes (and no quarantined item); empty: every placement and
    /// quarantine.
    std::vector<std::string> mailboxes;
    std::vector<Custodian> custodians;
    bool dedupe = false;  ///< one file per item; the item's other rows carry duplicate-of
    std::string title;
    std::string description;
    /// Write the items' files into this zip instead of the folder (which then holds the load
    /// file, manifest, summaries and errors file, all of which the zip holds too). Resumable:
    /// written as `<zip>.part` with its central directory spooled to `<zip>.dir.part`.
    std::optional<std::filesystem::path> zip;
    unsigned threads = 0;  ///< rendering/writing threads; 0: one per core
    std::function<void(const Progress&)> progress;
};

struct CustodianCounts {
    std::uint64_t rows = 0;   ///< load-file rows (placements)
    std::uint64_t files = 0;  ///< files written for them (fewer with dedupe)
    std::uint64_t bytes = 0;  ///< bytes of those files
};

/// An item that could not be exported (its blob missing or failing authentication, its
/// rendering failing): the export goes on without it and lists it in errors.csv.
struct FailedItem {
    std::int64_t item = 0;
    std::string message_id;              ///< empty when the item could not be read at all
    std::vector<std::string> mailboxes;  ///< its placements in the export; empty: quarantine or unknown
    std::string reason;
};

struct ExportReport {
    std::filesystem::path dir;
    std::optional<std::filesystem::path> zip;
    std::string query;
    std::string zone;
    std::string title;
    std::string description;
    bool dedupe = false;
    std::uint64_t items = 0;           ///< distinct items
    std::uint64_t rows = 0;            ///< load-file rows: one per item per mailbox placement
    std::uint64_t files = 0;           ///< `.eml` files
    std::uint64_t duplicates = 0;      ///< rows with duplicate-of (dedupe)
    std::uint64_t quarantined = 0;     ///< items in quarantine (rows under quarantine/)
    std::uint64_t bytes = 0;           ///< bytes of the `.eml` files
    std::uint64_t failed = 0;          ///< items that could not be exported (in `failures`)
    std::vector<FailedItem> failures;  ///< by item number; also in DIR/errors.csv
    std::uint64_t resumed_from = 0;    ///< items found already written when this run started
    std::uint64_t written_now = 0;     ///< items written by this run
    std::int64_t started = 0;          ///< unix seconds: when the export was first started
    std::int64_t finished = 0;         ///< unix seconds: when this run finished it
    std::map<std::string, CustodianCounts> per_custodian;
};

/// Exports the items `find_ids` returns. An item that cannot be read or rendered does not stop
/// the export: it is left out, listed in the report's `failures` and in DIR/errors.csv (covered
/// by the manifest), and tried again by the next run of the same export. (called only for a new export: a
/// resumed one exports the list it froze when it started, so items archived since do not join it midway).
/// Errors: InvalidArgument (DIR is not empty and holds no export, or holds one made with
/// another query, zone, mailboxes, custodians or dedupe setting — the message says which),
/// Parse (the export's state or load file is damaged: file and line named), Io (file and
/// operation named; writing the folder, not reading an item), the archive's (the search).
/// Thread safety: reads items from `archive` on the calling thread only; the RenderFns (on
/// worker threads) may read its blobs, one at a time. Nothing else may use `archive` meanwhile.
Result<ExportReport> export_items(archive::Archive& archive,
                                  const std::function<Result<std::vector<std::int64_t>>()>& find_ids,
                                  const ExportRequest& request, const RenderFactory& render);

/// export_items() over every item matching `q` (compliance/search's plan; within
/// `request.mailboxes` when it names exactly one mailbox).
Result<ExportReport> export_query(archive::Archive& archive, const query::Query& q,
                                  const ExportRequest& request, const RenderFactory& render);

// ---- The load file, manifest and names: exposed for the unit tests and the fuzz target.

/// One load-file row: one item in one mailbox (or in quarantine).
struct LoadRow {
    std::string doc_id;  ///< "CV0000000042-01": item number and placement, stable for the archive
    std::int64_t item = 0;
    std::string message_id;
    std::string custodian;  ///< "(quarantine)" for a quarantined item
    std::string mailbox;    ///< empty for a quarantined item
    std::string folder;     ///< "WhatsApp Archiver", or "Quarantine"
    std::string sent_utc;   ///< ISO 8601, "2026-11-24T10:05:00Z"
    std::string from;
    std::string to;
    std::string subject;
    std::string attachments;   ///< the names of the attachments in the email, "; "-separated
    std::string sha256;        ///< of the file at `path`, lower-case hex
    std::uint64_t size = 0;    ///< of the file at `path`
    std::string duplicate_of;  ///< with dedupe: the doc id whose file this row's item is in
    std::string path;          ///< relative to the export folder, '/'-separated

    friend bool operator==(const LoadRow&, const LoadRow&) = default;
};

/// What one item becomes: its load-file rows (all but From, To, Subject, SHA256 and Size, which
/// come from its rendering) and the distinct files to write. One row per placement in the
/// requested mailboxes (sorted by address; doc ids -01, -02, …), or one quarantine row; with
/// dedupe every row after the first names the first as duplicate-of and shares its file.
/// Errors: InvalidArgument (the item is in none of the requested mailboxes).
struct ItemPlan {
    std::vector<LoadRow> rows;
    std::vector<std::string> files;
};
Result<ItemPlan> plan_item(const archive::StoredItem& item, const ExportRequest& request);

/// The header line (CRLF-terminated) every load file starts with.
std::string_view load_file_header();
/// One field as RFC 4180 writes it: quoted (quotes doubled) when it holds a comma, a quote,
/// CR or LF, or starts or ends with a space; as is otherwise.
std::string csv_field(std::string_view value);
/// One row, CRLF-terminated.
std::string format_row(const LoadRow& row);

/// What parse_load_file() read: the complete rows and how many bytes they span. Bytes after
/// `complete_bytes` are an unfinished last row (a write cut short), which a resume truncates.
struct ParsedLoadFile {
    std::vector<LoadRow> rows;
    std::vector<std::uint64_t> row_ends;  ///< byte offset just past each row
    std::uint64_t complete_bytes = 0;
};

/// Parses load-file text read from disk (outside input: it may be damaged or not ours). With
/// `with_header` the text must start with load_file_header(); without, it continues a file at
/// `base` bytes. Errors: Parse ("loadfile.csv line N: …") for a wrong header, a wrong number
/// of fields, a field that is not what its column holds.
Result<ParsedLoadFile> parse_load_file(std::string_view text, bool with_header, std::uint64_t first_line = 1);

/// One manifest line as `sha256sum` writes it: "<hex>  <path>\n". Paths hold no backslash,
/// CR or LF (safe_component() removes them), so no escaping is needed.
std::string manifest_line(std::string_view sha256_hex, std::string_view path);

/// A custodian or mailbox name as one path component: '/', '\\', control characters and a
/// leading '.' replaced by '_', at most 120 bytes (cut on a UTF-8 boundary); never empty.
std::string safe_component(std::string_view name);

/// The unfolded, decoded (RFC 2047 Q and B words in UTF-8) value of header `name` in an
/// email's header section; empty when absent.
std::string header_value(std::string_view headers, std::string_view name);

}  // namespace cv::compliance::exports

#pragma once
/// Connectors: where WhatsApp data is picked up from on a schedule, like Microsoft 365's
/// "WhatsApp Archiver" data connector, without its gaps. A connector is a named, stored
/// configuration (a drop folder, an HTTP index to pull from, or the Cloud API's webhooks), its
/// user mapping and time zone, a schedule, and a checkpoint; a run imports what is new through
/// src/ingest and is kept as a run record.
///
/// Connectors and their runs are documents of the archive (sealed with its key, every change
/// journaled as an audit event); their secrets (passwords, tokens) are the archive's sealed
/// secrets and never appear in a document, an audit event, an error or a listing.
///
/// Stages: text → Schedule (parse_schedule) → next run (next_run, pure, `now` passed in);
/// JSON → Connector (parse_connector) → JSON (to_json); Connectors (the store); run_connector
/// (the one place that reads folders, the network and the clock). libcurl stays in detail/.
///
/// Thread safety: an Archive is not thread-safe, so neither is anything that takes one here;
/// the caller serialises (the service holds its archive mutex). The pure functions are
/// thread-safe.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "archive/archive.hpp"
#include "core/result.hpp"

namespace cv::connector {

// ---- schedules ------------------------------------------------------------------------------

/// When a connector runs by itself.
struct Schedule {
    enum class Type {
        Interval,  ///< every `interval_seconds` after the last run's start (the first at once)
        Cron,      ///< at the instants a 5-field cron expression names, in the connector's zone
        Manual,    ///< only when asked ("run now")
    };
    Type type = Type::Interval;
    std::int64_t interval_seconds = 86400;
    std::string cron;  ///< "0 2 * * *" (Type::Cron), normalised to single spaces
    friend bool operator==(const Schedule&, const Schedule&) = default;
};

/// Reads a schedule as people write it:
///  * `every N(s|m|h|d)` ("every 24h", "every 30m", also "every 2 hours"); at least 1 minute,
///    at most 366 days;
///  * `cron: M H DOM MON DOW`: minute 0-59, hour 0-23, day of month 1-31, month 1-12, day of
///    week 0-7 (0 and 7 are Sunday); each field `*`, a number, a range `a-b`, a step `*/n` or
///    `a-b/n`, or a comma-separated list of those. Day of month and day of week are OR-ed when
///    both are restricted (as Vixie cron does). Evaluated in the connector's time zone;
///  * `manual`.
/// Errors: InvalidArgument naming the field ("cron field 2 (hour): 24 is out of range 0-23").
Result<Schedule> parse_schedule(std::string_view text);

/// The text parse_schedule reads back as the same schedule ("every 24h", "cron: 0 2 * * *",
/// "manual").
std::string to_string(const Schedule& schedule);

/// The next instant (UTC Unix seconds) the schedule is due at: a connector is due when this is
/// at or before `now`, so a missed run happens once, late, rather than never.
///  * Interval: `last_start + interval`, or `now` when it never ran.
///  * Cron: the first instant the expression matches strictly after `last_start` (after `now`
///    when `last_start` is empty), minute by minute on the wall clock of `time_zone`. A wall-clock
///    minute skipped by a DST change runs at the instant it would have had (02:30 in a
///    02:00→03:00 gap runs at 03:30); a repeated one runs once, at its first occurrence.
///    nullopt when the expression matches nothing within 5 years (31 February).
///  * Manual: nullopt.
/// An unknown `time_zone` is read as UTC (parse_connector refuses one). Pure.
std::optional<std::int64_t> next_run(const Schedule& schedule, std::optional<std::int64_t> last_start,
                                     std::int64_t now, std::string_view time_zone);

// ---- connectors -----------------------------------------------------------------------------

enum class Kind {
    DropFolder,  ///< a directory (local or mounted) where exports and phone databases land
    HttpPull,    ///< an HTTP(S) JSON index of export files (see README.md for the protocol)
    CloudApi,    ///< WhatsApp Business Cloud API webhooks (run by the service, not here)
};
std::string_view to_string(Kind kind);  ///< "drop-folder", "http-pull", "cloud-api"
std::optional<Kind> kind_from_string(std::string_view text);

/// Default seconds a dropped file's size and mtime must stay unchanged before it is imported.
inline constexpr std::int64_t kDefaultSettleSeconds = 10;

struct Connector {
    std::string name;  ///< [a-z0-9-], 1–64 characters
    Kind kind = Kind::DropFolder;
    // drop-folder
    std::string folder;                                   ///< absolute path
    std::int64_t settle_seconds = kDefaultSettleSeconds;  ///< 0–86400
    // http-pull
    std::string url;            ///< the JSON index, http:// or https://
    std::string auth = "none";  ///< none | basic (secret "password") | bearer (secret "token")
    std::string username;       ///< basic auth
    // cloud-api (secrets "app_secret", "verify_token", "access_token")
    std::string phone_number_id;
    std::string graph_base_url;
    // mapping
    bool automatic_mapping = true;  ///< use the address an item carries (the owner's, for exports)
    std::string mapping_csv;        ///< the mapping CSV's text, or empty (src/mapping's format)
    std::string default_region;     ///< ISO 3166 code for national numbers, or empty
    /// PHONE=EMAIL of the phones whose exports land here. A chat export names no numbers, so
    /// its owner is the one whose E.164 digits appear in the file's name, else the first.
    std::vector<std::string> owners;
    std::string time_zone = "UTC";  ///< IANA: export clock times, cron
    Schedule schedule;
    bool paused = false;
    std::int64_t created = 0;  ///< UTC Unix seconds
    std::optional<std::int64_t>
        checkpoint;  ///< http-pull: newest `modified` imported; else last successful run's start
    /// Which secrets are set (filled by the store; to_json shows "set"/"unset", never a value).
    std::map<std::string, bool> secrets_set;
    friend bool operator==(const Connector&, const Connector&) = default;
};

/// The secret fields a connector of this kind and auth uses ("password", "token", "app_secret",
/// …), the required ones first.
std::vector<std::string> secret_fields(const Connector& c);

/// Reads and validates a connector (the REST API's body, a stored document). Unknown fields
/// are refused (a typo must not pass silently). `name` and `kind` are required; the rest have
/// the defaults above. `secrets`, when present, maps field names to "set"/"unset" (what
/// to_json writes): secret values never travel in a connector. Errors: InvalidArgument or
/// Parse, naming the field: "schedule: …", "mapping_csv line 4: Mobile: …", "owners[1]: …".
Result<Connector> parse_connector(std::string_view json);

/// A REST API's create/update body: the connector's fields, and `secrets` as an object of
/// field → value (an empty value removes an optional secret on update).
struct ConnectorRequest {
    Connector connector;
    std::map<std::string, std::string> secrets;
};
/// Reads a ConnectorRequest: `secrets` is taken out and checked against secret_fields() (a
/// message names the field, never the value), the rest read as parse_connector reads it.
Result<ConnectorRequest> parse_connector_request(std::string_view json);

/// The connector as JSON (every field, secrets only as "set"/"unset"). parse_connector reads it
/// back as the same value.
std::string to_json(const Connector& c);

/// The next time `c` is due (next_run with its schedule and zone); nullopt when paused or
/// manual. A cron connector that never ran counts from its creation, so a scheduler that
/// polls still catches its first instant.
std::optional<std::int64_t> next_run(const Connector& c, std::optional<std::int64_t> last_start,
                                     std::int64_t now);

// ---- runs -------------------------------------------------------------------------------------

enum class RunState { Queued, Running, Succeeded, Failed, Cancelled };
std::string_view to_string(RunState state);  ///< "queued", "running", "succeeded", "failed", "cancelled"

struct RunProgress {
    RunState state = RunState::Queued;
    std::uint64_t files = 0;              ///< files found to import (settled, new)
    std::uint64_t files_done = 0;         ///< of which finished (imported or failed)
    std::uint64_t waiting = 0;            ///< drop-folder: files still changing, left for a later run
    std::uint64_t seen = 0;               ///< items read
    std::uint64_t imported = 0;           ///< new items archived
    std::uint64_t duplicates = 0;         ///< already archived
    std::uint64_t quarantined = 0;        ///< kept for lack of a mapping
    std::uint64_t failed = 0;             ///< files that failed (moved to failed/, or not downloaded)
    std::uint64_t bytes = 0;              ///< bytes of the files imported
    std::int64_t started = 0, ended = 0;  ///< UTC Unix seconds (ended 0 while running)
    std::vector<std::string> errors;      ///< one line per problem, at most 100
    std::vector<std::string> warnings;    ///< the imports' warnings ("file: …"), at most 100
    std::string current;                  ///< the file being imported or waited for
    friend bool operator==(const RunProgress&, const RunProgress&) = default;
};

struct RunRecord {
    std::string connector;
    std::uint64_t number = 0;  ///< 1, 2, … per connector name
    std::string trigger;       ///< "schedule", "manual", "webhook"
    std::string actor;
    RunProgress progress;
    std::optional<std::int64_t> checkpoint;  ///< the connector's checkpoint once this run ended
    friend bool operator==(const RunRecord&, const RunRecord&) = default;
};

std::string to_json(const RunRecord& run);
/// Errors: Parse, naming the field.
Result<RunRecord> parse_run(std::string_view json);

/// The connectors and their run history kept in an archive. Actions are audited as
/// "connector.add", "connector.update", "connector.pause", "connector.resume",
/// "connector.remove", "connector.run" with the connector's name (never a secret).
class Connectors {
public:
    explicit Connectors(archive::Archive& archive) : archive_(archive) {}

    /// Stores a new connector (validated again; `created` is set to `now`, `checkpoint`
    /// cleared) with its secrets; every required secret must be given. Errors: InvalidArgument
    /// (exists, invalid, missing or unknown secret), the archive's.
    Result<void> add(Connector c, const std::map<std::string, std::string>& secrets, std::string_view actor,
                     std::int64_t now);
    /// Replaces a connector's settings, keeping its kind, `created` and `checkpoint`. `secrets`
    /// holds the ones that change (an empty value removes an optional one). Errors: NotFound,
    /// InvalidArgument (as add, or a different kind).
    Result<void> update(Connector c, const std::map<std::string, std::string>& secrets,
                        std::string_view actor, std::int64_t now);
    /// Removes a connector and its secrets; its run history stays. Errors: NotFound.
    Result<void> remove(std::string_view name, std::string_view actor, std::int64_t now);
    /// Errors: NotFound.
    Result<void> set_paused(std::string_view name, bool paused, std::string_view actor, std::int64_t now);

    /// Every connector, by name, with `secrets_set` filled.
    Result<std::vector<Connector>> list();
    Result<std::optional<Connector>> get(std::string_view name);
    /// A secret's value, for the code that uses it (never for display).
    Result<std::optional<std::string>> secret(std::string_view connector, std::string_view field);

    /// The connector's runs, newest first (kept for ever, even after the connector is removed).
    Result<std::vector<RunRecord>> runs(std::string_view connector);
    /// The newest run of a connector: one record read (its number is kept beside the history),
    /// so a scheduler may ask on every poll.
    Result<std::optional<RunRecord>> last_run(std::string_view connector);
    /// last_run() of every connector there is, by name.
    Result<std::map<std::string, RunRecord>> last_runs();
    /// Stores a run record (new or an update of the same number). A finished run that carries a
    /// checkpoint newer than the connector's advances it (journaled as "connector.checkpoint",
    /// right after the record). Audited as "connector.run.start" (running) or "connector.run".
    Result<void> record_run(const RunRecord& run, std::string_view actor);
    /// The number the connector's next run gets.
    Result<std::uint64_t> next_run_number(std::string_view connector);

private:
    archive::Archive& archive_;
};

/// Runs one connector now (drop-folder or http-pull; cloud-api is the service's) and returns
/// its record, also stored: a "running" record at the start, the final one at the end. A run
/// of this connector left "running" by a process that died is marked failed first (so never
/// call this twice at once for one connector).
///
/// drop-folder: every regular file directly in the folder — not hidden, not partial (.part,
/// .tmp, .crdownload), `done/` and `failed/` being folders are never looked at — is imported
/// once its size and mtime stayed unchanged for `settle_seconds` — watched by the run, or by
/// an mtime that old and a moment's watch (one second at most) — (the run waits for files
/// still changing, up to `options.max_settle_wait_seconds`, checking `stop`; what still
/// changes then is counted in `waiting` and left for a later run), then moved to `done/`, or to `failed/`
/// with `<file>.reason.txt` beside it. Phone databases go through import_database, the rest
/// through import_export (a .zip export carries its media).
///
/// http-pull: see README.md. The checkpoint only moves past files that were all imported.
///
/// `on_progress` is called at each file's start and end and at most every 250 ms in between,
/// on this thread. `stop` is read between files (and while waiting for a file to settle): the
/// current file finishes, the run ends "cancelled". Items of a half-imported file are safe:
/// import is idempotent. Returns an error only when the archive could not record the run;
/// a failed import is a run that ended "failed", with its errors.
struct RunOptions {
    /// drop-folder: how long a run waits for files still changing. The CLI waits; a service
    /// that holds a lock around the run may pass 0 and run the connector again `settle_seconds`
    /// later when the record's `waiting` is not 0.
    std::int64_t max_settle_wait_seconds = 3600;
};

Result<RunRecord> run_connector(archive::Archive& archive, Connectors& store, const Connector& c,
                                std::string_view trigger, std::string_view actor, std::int64_t now,
                                const std::function<void(const RunProgress&)>& on_progress,
                                const std::atomic<bool>& stop, const RunOptions& options = {});

}  // namespace cv::connector

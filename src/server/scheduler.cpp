// The service's two workers: the scheduler runs due drop-folder and HTTP-pull connectors (and
// those asked to "run now"), one at a time; the webhook processor imports spooled Cloud API
// events, downloading their media first (Meta's media ids expire).
#include <chrono>

#include <fmt/format.h>

#include "core/byte_sink.hpp"
#include "ingest/ingest.hpp"
#include "mapping/mapping.hpp"
#include "server/detail/api.hpp"
#include "sources/cloud_api/cloud_api.hpp"

namespace cv::server::detail {

namespace {

// A run's outcome for /metrics.
Metrics::RunOutcome outcome_of(const connector::RunProgress& p)
{
    Metrics::RunOutcome o;
    o.succeeded = p.state == connector::RunState::Succeeded;
    o.imported = p.imported;
    o.duplicates = p.duplicates;
    o.quarantined = p.quarantined;
    o.failed = p.failed;
    o.ended = p.ended;
    o.seconds = p.ended >= p.started ? static_cast<double>(p.ended - p.started) : 0;
    return o;
}

struct Due {
    connector::Connector connector;
    std::string trigger;
    std::string actor;
};

// What is due now: asked-for runs first, then scheduled ones.
Result<std::vector<Due>> due_connectors(Context& ctx)
{
    std::vector<connector::Connector> list;
    std::map<std::string, connector::RunRecord> last;
    {
        std::lock_guard lock(ctx.archive_mutex);
        connector::Connectors store(ctx.archive);
        CV_TRY(list, store.list());
        CV_TRY(last, store.last_runs());
    }
    {
        std::lock_guard cache(ctx.connectors_cache_mutex);
        ctx.connectors_cache = list;
        ctx.last_runs_cache = last;
    }
    const std::int64_t now = now_utc();
    std::vector<Due> due;
    std::lock_guard lock(ctx.runs_mutex);
    for (const auto& c : list) {
        if (c.kind == connector::Kind::CloudApi)
            continue;
        if (const auto asked = ctx.run_now.find(c.name); asked != ctx.run_now.end()) {
            due.push_back({c, "manual", asked->second});
            continue;
        }
        std::optional<std::int64_t> last_start;
        if (const auto it = last.find(c.name); it != last.end())
            last_start = it->second.progress.started;
        const auto next = connector::next_run(c, last_start, now);
        const auto retry = ctx.settle_retry.find(c.name);
        if ((next && *next <= now) || (retry != ctx.settle_retry.end() && retry->second <= now && !c.paused))
            due.push_back({c, "schedule", "scheduler"});
    }
    // Requests for connectors that are gone are dropped.
    for (auto it = ctx.run_now.begin(); it != ctx.run_now.end();)
        it = std::any_of(list.begin(), list.end(), [&](const auto& c) { return c.name == it->first; })
                 ? std::next(it)
                 : ctx.run_now.erase(it);
    return due;
}

void run_one(Context& ctx, const Due& due)
{
    const std::string& name = due.connector.name;
    {
        std::lock_guard lock(ctx.runs_mutex);
        ctx.run_now.erase(name);
        ctx.running[name] = LiveRun{{}, due.trigger, due.actor};
    }
    if (ctx.log)
        ctx.log(fmt::format("connector {}: run ({}) started", name, due.trigger));
    auto on_progress = [&](const connector::RunProgress& p) {
        std::lock_guard lock(ctx.runs_mutex);
        ctx.running[name].progress = p;
    };
    Result<connector::RunRecord> record = [&] {
        // The import holds the archive: API calls that need it wait for the run (a drop
        // folder's files, one at a time), webhooks do not (they only touch the spool).
        std::lock_guard lock(ctx.archive_mutex);
        connector::Connectors store(ctx.archive);
        // Files still being written are not waited for under the lock: the run counts them
        // as waiting, and the connector runs again once they can have settled.
        connector::RunOptions options;
        options.max_settle_wait_seconds = 0;
        return connector::run_connector(ctx.archive, store, due.connector, due.trigger, due.actor, now_utc(),
                                        on_progress, ctx.stopping, options);
    }();
    {
        std::lock_guard lock(ctx.runs_mutex);
        ctx.running.erase(name);
        ctx.settle_retry.erase(name);
        if (record && record->progress.waiting > 0)
            ctx.settle_retry[name] = now_utc() + std::max<std::int64_t>(1, due.connector.settle_seconds);
    }
    if (!record) {
        if (ctx.log)
            ctx.log(
                fmt::format("connector {}: run could not be recorded: {}", name, record.error().describe()));
        ctx.metrics.record_run(name, Metrics::RunOutcome{});
        return;
    }
    ctx.metrics.record_run(name, outcome_of(record->progress));
    if (ctx.log)
        ctx.log(fmt::format("connector {}: run {} {}: {} new, {} duplicate, {} quarantined, {} failed", name,
                            record->number, connector::to_string(record->progress.state),
                            record->progress.imported, record->progress.duplicates,
                            record->progress.quarantined, record->progress.failed));
}

}  // namespace

void run_scheduler(Context& ctx)
{
    while (!ctx.stopping) {
        auto due = due_connectors(ctx);
        if (!due) {
            if (ctx.log)
                ctx.log(fmt::format("scheduler: {}", due.error().describe()));
        } else {
            for (const auto& d : *due) {
                if (ctx.stopping)
                    break;
                run_one(ctx, d);
            }
        }
        sweep_exports(ctx);
        std::unique_lock lock(ctx.runs_mutex);
        // Woken by "run now", a changed connector or SIGTERM; else a look every few seconds
        // (schedules have minute precision).
        ctx.runs_changed.wait_for(lock, std::chrono::seconds(ctx.settle_retry.empty() ? 5 : 1),
                                  [&] { return ctx.stopping.load() || !ctx.run_now.empty(); });
    }
}

namespace {

// The connector's user mapping as one UserMapping: its CSV, and its owners (the business
// number's mailbox, PHONE=EMAIL) — the Cloud API carries no e-mail addresses.
struct WebhookMapping {
    mapping::PhoneNormalizer normalizer;
    mapping::UserMapping csv;
};

Result<WebhookMapping> webhook_mapping(const connector::Connector& c)
{
    CV_TRY(auto normalizer, mapping::PhoneNormalizer::create(c.default_region));
    std::string csv = "phone,email\n";
    if (!c.mapping_csv.empty()) {
        const auto load = mapping::parse_mapping_csv(c.mapping_csv, "mapping_csv", normalizer);
        for (const auto& [phone, email] : load.mapping.entries())
            csv += fmt::format("{},{}\n", phone, email);
    }
    for (const auto& spec : c.owners) {
        CV_TRY(const Person owner, mapping::parse_owner(spec, normalizer));
        if (owner.phone && owner.email)
            csv += fmt::format("{},{}\n", *owner.phone, *owner.email);
    }
    auto load = mapping::parse_mapping_csv(csv, "mapping", normalizer);
    return WebhookMapping{normalizer, std::move(load.mapping)};
}

// Downloads the media the events refer to that the spool does not hold yet. A failure leaves
// the attachment "not retrieved" in the item; the item itself is archived regardless.
void fetch_media(Context& ctx, const connector::Connector& c,
                 const std::vector<archive::SpooledEvent>& events, const std::string& access_token)
{
    if (access_token.empty())
        return;
    cloud_api::MediaClientOptions options;
    options.access_token = access_token;
    if (!c.graph_base_url.empty())
        options.graph_base_url = c.graph_base_url;
    auto client = cloud_api::MediaClient::create(options);
    if (!client)
        return;
    for (const auto& e : events) {
        auto n = cloud_api::parse_notification(e.body);
        if (!n)
            continue;
        for (const auto& id : n->media_ids()) {
            auto have = ctx.spool.media(c.name, id);
            if (!have || *have)
                continue;
            StringSink sink;
            auto got = client->download(id, c.phone_number_id, sink);
            if (!got) {
                if (ctx.log)
                    ctx.log(fmt::format("connector {}: media {}: {}", c.name, id, got.error().describe()));
                continue;
            }
            if (auto kept = ctx.spool.put_media(c.name, id, e.seq, sink.data()); !kept && ctx.log)
                ctx.log(fmt::format("connector {}: media {}: {}", c.name, id, kept.error().describe()));
        }
    }
}

// What one batch of webhook events did.
struct Batch {
    std::uint64_t events = 0;
    std::uint64_t bytes = 0;
    ingest::ImportReport report;
};

// One batch of one connector's spooled events into the archive.
Result<Batch> import_batch(Context& ctx, const std::string& name)
{
    CV_TRY(const auto events, ctx.spool.pending(name, 5000));
    if (events.empty())
        return Batch{};
    std::optional<connector::Connector> c;
    std::optional<std::string> access_token;
    {
        std::lock_guard lock(ctx.archive_mutex);
        connector::Connectors store(ctx.archive);
        CV_TRY(c, store.get(name));
        if (!c)
            return Batch{};  // removed: its events wait in the spool
        CV_TRY(access_token, store.secret(name, "access_token"));
    }
    fetch_media(ctx, *c, events, access_token.value_or(""));
    CV_TRY(auto map, webhook_mapping(*c));
    std::vector<cloud_api::Received> received;
    received.reserve(events.size());
    for (const auto& e : events)
        received.push_back({e.body, e.received});
    auto opener = [&ctx, name](std::string_view id) -> Result<std::unique_ptr<ByteSource>> {
        CV_TRY(auto bytes, ctx.spool.media(name, id));
        if (!bytes)
            return fail(ErrorCode::NotFound, fmt::format("media {} was not retrieved", id));
        return std::unique_ptr<ByteSource>(std::make_unique<StringSource>(std::move(*bytes)));
    };
    auto source = cloud_api::WebhookSource::create(received, opener);
    ingest::ImportOptions options;
    options.time_zone = c->time_zone;
    ingest::MappingContext mapping;
    mapping.normalizer = &map.normalizer;
    mapping.csv = &map.csv;
    const auto started = now_utc();
    Result<ingest::ImportReport> report = [&] {
        std::lock_guard lock(ctx.archive_mutex);
        return ingest::import_database(ctx.archive, "cloud-api:" + name, *source, options, mapping);
    }();
    if (!report)
        return fail(
            std::move(report).error().with_context(fmt::format("importing {}'s webhook events", name)));
    // Only now are the events done: a crash before this imports them again, which adds nothing.
    CV_TRY_VOID(ctx.spool.done(name, events.back().seq));
    Metrics::RunOutcome o;
    o.succeeded = true;
    o.imported = report->added;
    o.duplicates = report->duplicates;
    o.quarantined = report->quarantined;
    o.failed = report->failed;
    o.ended = now_utc();
    o.seconds = static_cast<double>(o.ended - started);
    ctx.metrics.record_run(name, o);
    Batch batch{events.size(), 0, std::move(*report)};
    for (const auto& e : events)
        batch.bytes += e.body.size();
    return batch;
}

// A Cloud API connector's events are a run of their own per UTC day (trigger "webhook"), so the
// connector has a history like the others: its record is written when the day's first batch is
// imported, then at most every five minutes, and when the day ends or the service stops.
class WebhookDays {
public:
    void add(Context& ctx, const std::string& name, const Batch& batch, std::int64_t now)
    {
        auto& d = days_[name];
        if (d.day != now / 86400) {
            if (d.day >= 0)
                finish(ctx, name, d, d.day * 86400 + 86399);
            d = Day{};
            d.day = now / 86400;
        }
        auto& p = d.record.progress;
        p.files += batch.events;  // the run's "files" are the notifications received
        p.files_done += batch.events;
        p.seen += batch.report.seen;
        p.imported += batch.report.added;
        p.duplicates += batch.report.duplicates;
        p.quarantined += batch.report.quarantined;
        p.failed += batch.report.failed;
        p.bytes += batch.bytes;
        if (d.written == 0 || now - d.written >= 300)
            write(ctx, name, d, now);
        else
            d.dirty = true;
    }

    /// Writes what changed more than five minutes ago and was not written since.
    void tick(Context& ctx, std::int64_t now)
    {
        for (auto& [name, d] : days_)
            if (d.dirty && now - d.written >= 300)
                write(ctx, name, d, now);
    }

    void finish_all(Context& ctx, std::int64_t now)
    {
        for (auto& [name, d] : days_)
            if (d.day >= 0)
                finish(ctx, name, d, now);
        days_.clear();
    }

private:
    struct Day {
        std::int64_t day = -1;
        std::int64_t written = 0;
        bool dirty = false;
        connector::RunRecord record;
    };

    void write(Context& ctx, const std::string& name, Day& d, std::int64_t now)
    {
        std::lock_guard lock(ctx.archive_mutex);
        connector::Connectors store(ctx.archive);
        if (d.record.number == 0) {
            auto number = store.next_run_number(name);
            if (!number)
                return;
            d.record.connector = name;
            d.record.number = *number;
            d.record.trigger = "webhook";
            d.record.actor = "cloud-api";
            d.record.progress.state = connector::RunState::Running;
            d.record.progress.started = now;
        }
        if (auto r = store.record_run(d.record, "cloud-api"); !r && ctx.log)
            ctx.log(fmt::format("connector {}: run record: {}", name, r.error().describe()));
        d.written = now;
        d.dirty = false;
    }

    void finish(Context& ctx, const std::string& name, Day& d, std::int64_t ended)
    {
        d.record.progress.state = connector::RunState::Succeeded;
        d.record.progress.ended = ended;
        write(ctx, name, d, ended);
    }

    std::map<std::string, Day> days_;
};

}  // namespace

void run_webhook_processor(Context& ctx)
{
    WebhookDays days;
    std::uint64_t seen = 0;
    for (;;) {
        {
            std::unique_lock lock(ctx.webhook_mutex);
            // A short wait gathers a burst into one import (one commit for many events).
            ctx.webhook_arrived.wait_for(lock, std::chrono::seconds(1),
                                         [&] { return ctx.stopping.load() || ctx.webhook_events != seen; });
            seen = ctx.webhook_events;
        }
        std::vector<std::string> names;
        {
            std::shared_lock lock(ctx.webhook_secrets_mutex);
            for (const auto& [name, secrets] : ctx.webhook_secrets)
                names.push_back(name);
        }
        for (const auto& name : names) {
            auto batch = import_batch(ctx, name);
            if (!batch) {
                if (ctx.log)
                    ctx.log(fmt::format("connector {}: {}", name, batch.error().describe()));
            } else if (batch->events > 0) {
                days.add(ctx, name, *batch, now_utc());
            }
        }
        days.tick(ctx, now_utc());
        // Stopping: what was spooled and not imported is imported at the next start.
        if (ctx.stopping) {
            days.finish_all(ctx, now_utc());
            return;
        }
    }
}

}  // namespace cv::server::detail

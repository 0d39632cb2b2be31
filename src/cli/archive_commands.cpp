#include "cli/archive_commands.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "archive/archive.hpp"
#include "cli/cli_support.hpp"
#include "cli/delivery_commands.hpp"
#include "cli/export_command.hpp"
#include "ingest/ingest.hpp"
#include "mapping/mapping.hpp"
#include "sources/phone_db/phone_db.hpp"

namespace cv::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string iso_utc(std::int64_t t)
{
    return format_utc(t);
}

// What --mapping, --default-region, --owner and --owner-name resolve to; owns the objects
// the MappingContext points at.
struct MappingArgs {
    std::string csv;
    std::string region;
    std::string owner;
    std::string owner_name;

    std::optional<mapping::PhoneNormalizer> normalizer;
    std::optional<mapping::UserMapping> mapping;

    void add_options(CLI::App* cmd)
    {
        cmd->add_option("--mapping", csv, "CSV of phone number → email (header row), looked at first");
        cmd->add_option("--default-region", region,
                        "ISO country code for numbers written without +CC (e.g. DE)");
        cmd->add_option("--owner", owner,
                        "PHONE=EMAIL of the phone's owner (a chat export names no numbers)");
        cmd->add_option("--owner-name", owner_name, "the name the owner's messages carry, in a group export");
    }

    // Loads and checks everything before the archive is touched. Returns 0 or an exit code.
    int load(ingest::MappingContext& context)
    {
        auto n = mapping::PhoneNormalizer::create(region);
        if (!n)
            return report_error(n.error());
        normalizer = std::move(*n);
        context.normalizer = &*normalizer;
        if (!csv.empty()) {
            auto loaded = mapping::load_mapping_csv(csv, *normalizer);
            if (!loaded)
                return report_error(loaded.error());
            bool refuse = loaded->rejected;
            for (const auto& p : loaded->problems) {
                const bool harmless = p.kind == mapping::ProblemKind::Duplicate;
                refuse = refuse || !harmless;
                fmt::print(stderr, "chatvault: {}: {}:{}: {}{}\n", harmless ? "warning" : "error", csv,
                           p.line, p.column.empty() ? "" : p.column + ": ", p.message);
            }
            if (loaded->problems_not_listed)
                fmt::print(stderr, "chatvault: … and {} more problems\n", loaded->problems_not_listed);
            if (refuse) {
                fmt::print(stderr, "chatvault: error: {}: fix the rows above; nothing was imported\n", csv);
                return exit_code(ErrorCode::Parse);
            }
            mapping = std::move(loaded->mapping);
            context.csv = &*mapping;
        }
        if (!owner.empty()) {
            auto o = mapping::parse_owner(owner, *normalizer);
            if (!o)
                return report_error(o.error());
            context.owner = std::move(*o);
        }
        if (!owner_name.empty())
            context.owner_name = owner_name;
        return 0;
    }
};

// A one-line progress bar on a terminal: items, MB, rate, ETA.
class ProgressBar {
public:
    explicit ProgressBar(std::string label) : label_(std::move(label)), tty_(::isatty(STDERR_FILENO) == 1) {}
    ~ProgressBar()
    {
        if (tty_ && drawn_)
            fmt::print(stderr, "\n");
    }
    void update(const ingest::Progress& p)
    {
        if (!tty_)
            return;
        const auto now = std::chrono::steady_clock::now();
        if (drawn_ && now - last_ < std::chrono::milliseconds(100) && p.bytes != p.total_bytes)
            return;
        last_ = now;
        drawn_ = true;
        const double seconds = std::chrono::duration<double>(now - start_).count();
        const double rate = seconds > 0 ? static_cast<double>(p.items) / seconds : 0;
        std::string bar;
        std::string eta = "--:--";
        if (p.total_bytes > 0) {
            const double done =
                std::min(1.0, static_cast<double>(p.bytes) / static_cast<double>(p.total_bytes));
            const int filled = static_cast<int>(done * 24);
            bar = fmt::format("[{}{}] {:3.0f}% ", std::string(static_cast<std::size_t>(filled), '#'),
                              std::string(static_cast<std::size_t>(24 - filled), '.'), done * 100);
            if (done > 0.01) {
                const auto left = static_cast<long>(seconds / done - seconds);
                eta = fmt::format("{}:{:02}", left / 60, left % 60);
            }
        }
        fmt::print(stderr, "\r{} {}{} items  {:.1f} MB  {:.0f} items/s  ETA {}   ", label_, bar, p.items,
                   static_cast<double>(p.bytes) / 1e6, rate, eta);
        std::fflush(stderr);
    }

private:
    std::string label_;
    bool tty_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_;
};

Result<std::int64_t> resolve_item(archive::Archive& a, const std::string& ref)
{
    std::int64_t number = 0;
    if (const auto [end, ec] = std::from_chars(ref.data(), ref.data() + ref.size(), number);
        ec == std::errc() && end == ref.data() + ref.size())
        return number;
    std::string id = ref;
    if (id.starts_with('<') && id.ends_with('>'))
        id = id.substr(1, id.size() - 2);
    CV_TRY(const auto found, a.find(id));
    if (!found)
        return fail(ErrorCode::NotFound, fmt::format("no item with Message-ID <{}>", id));
    return *found;
}

// mboxrd: LF line ends, "From " lines (and their already-quoted forms) get one more ">".
class MboxSink final : public ByteSink {
public:
    explicit MboxSink(ByteSink& out) : out_(out) {}
    Result<void> write(std::string_view bytes) override
    {
        std::string converted;
        converted.reserve(bytes.size() + 16);
        for (const char c : bytes) {
            if (c == '\r')
                continue;
            if (at_line_start_) {
                line_head_ += c;
                if (c == '>')
                    continue;
                if (std::string_view("From ").starts_with(
                        std::string_view(line_head_).substr(line_head_.find_first_not_of('>')))) {
                    if (line_head_.size() - line_head_.find_first_not_of('>') < 5)
                        continue;  // still could be "From "
                    converted += '>';
                }
                converted += line_head_;
                line_head_.clear();
                at_line_start_ = c == '\n';
                continue;
            }
            converted += c;
            at_line_start_ = c == '\n';
        }
        return out_.write(converted);
    }
    Result<void> finish()
    {
        std::string rest = std::move(line_head_);
        line_head_.clear();
        if (!rest.empty() && !rest.ends_with('\n'))
            rest += '\n';
        rest += '\n';  // a blank line separates messages
        return out_.write(rest);
    }

private:
    ByteSink& out_;
    bool at_line_start_ = true;
    std::string line_head_;
};

// The option values of every archive command: owned by the callbacks that read them, so
// they live as long as the app.
struct ArchiveArgs {
    std::string archive_flag;
    std::vector<std::string> import_paths;
    std::string import_tz = "UTC";
    std::string import_date_order;
    bool import_json = false;
    std::size_t import_batch = 16384;
    MappingArgs import_mapping;
    std::string import_media;
    std::string import_contacts;
    std::string import_call_history;
    bool import_no_deliver = false;
    bool quarantine_json = false;
    MappingArgs retry_mapping;
    bool mailboxes_json = false;
    std::string ls_mailbox;
    std::string ls_folder{archive::kFolder};
    std::uint64_t ls_limit = 1000;
    std::uint64_t ls_offset = 0;
    bool ls_json = false;
    std::string show_ref;
    bool show_eml = false;
    bool show_json = false;
    std::string export_mailbox;
    std::string export_format = "maildir";
    std::string export_dir;
    DiscoveryExportArgs discovery;
    bool verify_json = false;
};

}  // namespace

void add_archive_commands(CLI::App& app, int& status)
{
    auto args = std::make_shared<ArchiveArgs>();
    auto add_archive_option = [args](CLI::App* cmd) {
        cmd->add_option("--archive", args->archive_flag,
                        "Archive folder (default $CHATVAULT_ARCHIVE, else ./archive)");
    };

    // ---- init
    auto* init = app.add_subcommand("init", "Create an archive (database, blob packs, journal, key file)");
    add_archive_option(init);
    init->callback([args, &status] {
        const fs::path dir = archive::default_location(args->archive_flag);
        auto created = archive::Archive::create(dir);
        if (!created) {
            status = report_error(created.error());
            return;
        }
        fmt::print("created archive {}\n", dir.string());
        fmt::print("key file {} (mode 0600): back it up separately; without it the archive cannot be read\n",
                   std::getenv("CHATVAULT_KEY_FILE") ? std::getenv("CHATVAULT_KEY_FILE")
                                                     : (dir / "key").string());
        status = 0;
    });

    // ---- import
    auto* imp = app.add_subcommand("import", "Import exports into the archive (idempotent)");
    imp->add_option("path", args->import_paths, "Export: .txt file, .zip, or unpacked folder")->required();
    imp->add_option("--tz", args->import_tz, "IANA time zone the export's clock times were written in")
        ->capture_default_str();
    imp->add_option("--date-order", args->import_date_order, "Force the numeric date order")
        ->check(CLI::IsMember({"dmy", "mdy", "ymd"}));
    imp->add_option("--batch", args->import_batch, "Items per transaction")->capture_default_str();
    imp->add_flag("--json", args->import_json, "Print the summary as JSON");
    args->import_mapping.add_options(imp);
    imp->add_option("--media", args->import_media, "Phone databases: the media folder copied off the phone");
    imp->add_option("--contacts", args->import_contacts,
                    "Phone databases: wa.db (Android) or ContactsV2.sqlite (iOS)");
    imp->add_option("--call-history", args->import_call_history, "iOS: CallHistory.sqlite, for calls");
    imp->add_flag("--no-deliver", args->import_no_deliver,
                  "Do not deliver to the IMAP target afterwards (`chatvault deliver` does it later)");
    add_archive_option(imp);
    imp->callback([args, &status] {
        ingest::MappingContext context;
        if (const int rc = args->import_mapping.load(context)) {
            status = rc;
            return;
        }
        ingest::ImportOptions options;
        options.time_zone = args->import_tz;
        options.batch_items = std::max<std::size_t>(1, args->import_batch);
        if (!args->import_date_order.empty())
            options.date_order = *chat_export::parse_date_order(args->import_date_order);
        auto a = open_archive(args->archive_flag);
        if (!a) {
            status = report_error(a.error());
            return;
        }
        status = 0;
        json out = json::array();
        ingest::ImportReport total;
        for (const auto& path : args->import_paths) {
            ProgressBar bar(fs::path(path).filename().string());
            const auto show = [&](const ingest::Progress& p) { bar.update(p); };
            Result<ingest::ImportReport> r = fail(ErrorCode::Internal, "not imported");
            if (phone_db::is_database(path)) {
                phone_db::Options db_options;
                db_options.time_zone = args->import_tz;
                if (!args->import_media.empty())
                    db_options.media_dir = args->import_media;
                if (!args->import_contacts.empty())
                    db_options.contacts = args->import_contacts;
                if (!args->import_call_history.empty())
                    db_options.call_history = args->import_call_history;
                auto db = phone_db::open(path, db_options);
                r = db ? ingest::import_database(*a, path, **db, options, context, show)
                       : Result<ingest::ImportReport>(fail(db.error()));
            } else {
                r = ingest::import_export(*a, path, options, context, show);
            }
            if (!r) {
                status = report_error(r.error());
                continue;
            }
            for (const auto& w : r->warnings)
                fmt::print(stderr, "chatvault: warning: {}\n", w);
            total.seen += r->seen;
            total.added += r->added;
            total.duplicates += r->duplicates;
            total.quarantined += r->quarantined;
            total.disposed += r->disposed;
            total.failed += r->failed;
            for (const auto& [m, n] : r->new_per_mailbox)
                total.new_per_mailbox[m] += n;
            if (r->failed)
                status = exit_code(ErrorCode::Parse);
            out.push_back(json{{"source", r->source},
                               {"seen", r->seen},
                               {"new", r->added},
                               {"duplicate", r->duplicates},
                               {"quarantined", r->quarantined},
                               {"disposed_before", r->disposed},
                               {"failed", r->failed},
                               {"new_per_mailbox", r->new_per_mailbox}});
        }
        // Stored first, delivered second: a server that refuses loses nothing (items stay pending).
        std::optional<json> delivery;
        if (!args->import_no_deliver) {
            auto d = deliver_if_configured(*a);
            if (!d)
                status = report_error(d.error());
            else
                delivery = std::move(*d);
            if (delivery && status == 0 &&
                ((*delivery)["pending"].get<std::uint64_t>() || (*delivery)["failed"].get<std::uint64_t>()))
                status = exit_code(ErrorCode::Unavailable);
        }
        if (args->import_json) {
            json summary{{"sources", out},
                         {"total",
                          {{"seen", total.seen},
                           {"new", total.added},
                           {"duplicate", total.duplicates},
                           {"quarantined", total.quarantined},
                           {"disposed_before", total.disposed},
                           {"failed", total.failed},
                           {"new_per_mailbox", total.new_per_mailbox}}}};
            if (delivery)
                summary["delivery"] = *delivery;
            print_json(summary);
            return;
        }
        fmt::print("seen {}  new {}  duplicate {}  quarantined {}  failed {}\n", total.seen, total.added,
                   total.duplicates, total.quarantined, total.failed);
        if (total.disposed)
            fmt::print("  {} items were disposed of by a retention run before: not archived again\n",
                       total.disposed);
        for (const auto& [m, n] : total.new_per_mailbox)
            fmt::print("  {:<40} {} new\n", m, n);
        if (total.quarantined)
            fmt::print(
                "{} item(s) wait in quarantine: `chatvault quarantine ls`, then `chatvault quarantine retry "
                "--mapping CSV`\n",
                total.quarantined);
        if (delivery)
            print_delivery_summary(*delivery);
    });

    // ---- quarantine ls | retry
    auto* q = app.add_subcommand("quarantine", "Items no participant of which is mapped to a mailbox");
    q->require_subcommand(1);
    auto* qls = q->add_subcommand("ls", "List quarantined items and why they wait");
    qls->add_flag("--json", args->quarantine_json, "JSON output");
    add_archive_option(qls);
    qls->callback([args, &status] {
        auto a = open_archive(args->archive_flag);
        if (!a) {
            status = report_error(a.error());
            return;
        }
        auto held = a->quarantine();
        if (!held) {
            status = report_error(held.error());
            return;
        }
        status = 0;
        if (args->quarantine_json) {
            json out = json::array();
            for (const auto& e : *held)
                out.push_back(json{{"item", e.id},
                                   {"message_id", e.message_id},
                                   {"reason", e.reason},
                                   {"since", iso_utc(e.since)}});
            print_json(out);
            return;
        }
        for (const auto& e : *held)
            fmt::print("{:>8}  {}  <{}>  {}\n", e.id, iso_utc(e.since), e.message_id, e.reason);
        fmt::print("{} item(s) in quarantine\n", held->size());
    });
    auto* qretry = q->add_subcommand("retry", "File quarantined items the mapping now knows");
    args->retry_mapping.add_options(qretry);
    add_archive_option(qretry);
    qretry->callback([args, &status] {
        ingest::MappingContext context;
        if (const int rc = args->retry_mapping.load(context)) {
            status = rc;
            return;
        }
        auto a = open_archive(args->archive_flag);
        if (!a) {
            status = report_error(a.error());
            return;
        }
        auto r = ingest::retry_quarantine(*a, context);
        if (!r) {
            status = report_error(r.error());
            return;
        }
        fmt::print("filed {}  still quarantined {}\n", r->filed, r->still_quarantined);
        for (const auto& [m, n] : r->filed_per_mailbox)
            fmt::print("  {:<40} {} filed\n", m, n);
        status = 0;
    });

    // ---- mailboxes
    auto* mbs = app.add_subcommand("mailboxes", "List mailboxes and how many items each holds");
    mbs->add_flag("--json", args->mailboxes_json, "JSON output");
    add_archive_option(mbs);
    mbs->callback([args, &status] {
        auto a = open_archive(args->archive_flag);
        if (!a) {
            status = report_error(a.error());
            return;
        }
        auto list = a->mailboxes();
        if (!list) {
            status = report_error(list.error());
            return;
        }
        status = 0;
        if (args->mailboxes_json) {
            json out = json::array();
            for (const auto& m : *list)
                out.push_back(json{{"mailbox", m.address}, {"items", m.items}});
            print_json(out);
            return;
        }
        for (const auto& m : *list)
            fmt::print("{:<48} {:>8} items\n", m.address, m.items);
    });

    // ---- ls
    auto* ls = app.add_subcommand("ls", "List the items of a mailbox's folder, oldest first");
    ls->add_option("mailbox", args->ls_mailbox, "Mailbox address")->required();
    ls->add_option("--folder", args->ls_folder, "Folder")->capture_default_str();
    ls->add_option("--limit", args->ls_limit, "At most this many")->capture_default_str();
    ls->add_option("--offset", args->ls_offset, "Skip this many")->capture_default_str();
    ls->add_flag("--json", args->ls_json, "JSON output");
    add_archive_option(ls);
    ls->callback([args, &status] {
        auto a = open_archive(args->archive_flag);
        if (!a) {
            status = report_error(a.error());
            return;
        }
        auto items = a->list(args->ls_mailbox, args->ls_folder, args->ls_limit, args->ls_offset);
        if (!items) {
            status = report_error(items.error());
            return;
        }
        status = 0;
        json out = json::array();
        for (const auto& s : *items) {
            auto stored = a->item(s.id);
            std::string sender, text;
            if (stored) {
                sender = stored->item.author.value_or(stored->conversation.title);
                text = stored->item.text.substr(0, 60);
                std::replace(text.begin(), text.end(), '\n', ' ');
            }
            if (args->ls_json) {
                out.push_back(json{{"item", s.id},
                                   {"message_id", s.message_id},
                                   {"kind", to_string(s.kind)},
                                   {"utc", iso_utc(s.utc)},
                                   {"deleted", s.deleted},
                                   {"size", s.size},
                                   {"conversation", stored ? stored->conversation.title : ""},
                                   {"sender", sender},
                                   {"text", text}});
            } else {
                fmt::print("{:>8}  {}  {:<7} {:<20.20}  {}\n", s.id, iso_utc(s.utc), to_string(s.kind),
                           sender, text);
            }
        }
        if (args->ls_json)
            print_json(out);
    });

    // ---- show
    auto* show =
        app.add_subcommand("show", "Show one item (by number or Message-ID), or its email with --eml");
    show->add_option("item", args->show_ref, "Item number or Message-ID")->required();
    show->add_flag("--eml", args->show_eml, "Print the email exactly as archived (its SHA-256 is checked)");
    show->add_flag("--json", args->show_json, "JSON output");
    add_archive_option(show);
    show->callback([args, &status] {
        auto a = open_archive(args->archive_flag);
        if (!a) {
            status = report_error(a.error());
            return;
        }
        auto id = resolve_item(*a, args->show_ref);
        auto stored = id ? a->item(*id) : Result<archive::StoredItem>(fail(id.error()));
        if (!stored) {
            status = report_error(stored.error());
            return;
        }
        if (args->show_eml) {
            StringSink sink;
            auto rendered = ingest::render_stored(*a, *stored, sink);
            if (!rendered) {
                status = report_error(rendered.error());
                return;
            }
            if (sha256(sink.data()) != stored->render_sha256) {
                status = report_error(
                    Error(ErrorCode::Parse,
                          fmt::format("item {} renders to different bytes than were archived: run "
                                      "`chatvault verify`",
                                      stored->id)));
                return;
            }
            std::fwrite(sink.data().data(), 1, sink.data().size(), stdout);
            status = 0;
            return;
        }
        const Item& item = stored->item;
        json j{{"item", stored->id},
               {"message_id", stored->message_id},
               {"kind", to_string(item.kind)},
               {"conversation", stored->conversation.title},
               {"author", item.author ? json(*item.author) : json(nullptr)},
               {"wall_clock", item.wall_clock_text},
               {"utc", iso_utc(item.utc)},
               {"text", item.text},
               {"deleted", item.deleted},
               {"edited", item.edited},
               {"mailboxes", stored->mailboxes},
               {"sources", stored->sources},
               {"sha256", to_hex(stored->render_sha256)},
               {"size", stored->render_size}};
        json atts = json::array();
        for (const auto& att : item.attachments)
            atts.push_back(json{
                {"name", att.name}, {"present", att.present}, {"stored", att.locator.starts_with("blob:")}});
        j["attachments"] = atts;
        if (stored->quarantine_reason)
            j["quarantined"] = *stored->quarantine_reason;
        status = 0;
        if (args->show_json) {
            print_json(j);
            return;
        }
        for (const auto& [k, v] : j.items())
            fmt::print("{:<13} {}\n", k + ":", v.is_string() ? v.get<std::string>() : v.dump());
    });

    // ---- export
    auto* exp = app.add_subcommand(
        "export",
        "eDiscovery export of a search (QUERY --to DIR: .eml files, CSV load file, manifest, "
        "summary; resumable), or a mailbox's items as Maildir, mbox or .eml files (--mailbox M DIR)");
    exp->add_option("--mailbox", args->export_mailbox,
                    "Mailbox address (with --to: only this mailbox's placements)");
    exp->add_option("--format", args->export_format, "maildir, mbox or eml (mailbox export)")
        ->check(CLI::IsMember({"maildir", "mbox", "eml"}))
        ->capture_default_str();
    exp->add_option("dir", args->export_dir,
                    "Output folder (mailbox export), or with --to the search query (KQL, as `search`)")
        ->required();
    exp->add_option("--to", args->discovery.to,
                    "eDiscovery export of the query's results into this folder (empty or new; the same "
                    "command again resumes an interrupted export)");
    exp->add_flag("--dedupe", args->discovery.dedupe,
                  "One file per item: its rows in other mailboxes carry duplicate-of");
    exp->add_option(
        "--custodian", args->discovery.custodians,
        "MAILBOX=NAME: file that mailbox under this custodian (repeatable; default: the address)");
    exp->add_option("--tz", args->discovery.tz, "IANA time zone the query's dates are read in")
        ->capture_default_str();
    exp->add_option("--zip", args->discovery.zip,
                    "Write the emails into this zip file instead of the folder (which keeps the load file, "
                    "manifest and summary)");
    exp->add_option("--title", args->discovery.title, "Title for the summary report");
    exp->add_option("--description", args->discovery.description, "Description for the summary report");
    exp->add_option("--threads", args->discovery.threads, "Rendering threads (default: one per core)");
    exp->add_flag("--json", args->discovery.json, "JSON summary (eDiscovery export)");
    exp->add_option("--actor", args->discovery.actor,
                    "Who is exporting, for the audit trail (default $CHATVAULT_ACTOR, else your login)");
    add_archive_option(exp);
    exp->callback([args, &status] {
        if (!args->discovery.to.empty()) {
            DiscoveryExportArgs d = args->discovery;
            d.archive = args->archive_flag;
            d.query = args->export_dir;
            d.mailbox = args->export_mailbox;
            status = run_discovery_export(d);
            return;
        }
        if (args->export_mailbox.empty()) {
            status = report_error(Error(ErrorCode::InvalidArgument,
                                        "export needs --mailbox M DIR (mailbox export) or QUERY --to DIR "
                                        "(eDiscovery export)"));
            return;
        }
        auto a = open_archive(args->archive_flag);
        if (!a) {
            status = report_error(a.error());
            return;
        }
        const fs::path out(args->export_dir);
        std::error_code ec;
        for (const char* sub : {"cur", "new", "tmp"})
            if (args->export_format == "maildir")
                fs::create_directories(out / sub, ec);
        fs::create_directories(out, ec);
        std::unique_ptr<FileSink> mbox;
        if (args->export_format == "mbox") {
            auto sink = FileSink::create(out / (args->export_mailbox + ".mbox"));
            if (!sink) {
                status = report_error(sink.error());
                return;
            }
            mbox = std::move(*sink);
        }
        std::uint64_t written = 0;
        status = 0;
        for (std::uint64_t offset = 0;; offset += 1000) {
            auto page = a->list(args->export_mailbox, archive::kFolder, 1000, offset);
            if (!page) {
                status = report_error(page.error());
                return;
            }
            if (page->empty())
                break;
            for (const auto& s : *page) {
                auto stored = a->item(s.id);
                if (!stored) {
                    status = report_error(stored.error());
                    continue;
                }
                ingest::HashingSink check;
                Result<void> done;
                if (mbox) {
                    std::time_t t = static_cast<std::time_t>(s.utc);
                    std::tm tm{};
                    gmtime_r(&t, &tm);
                    char date[32];
                    std::strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", &tm);
                    (void)mbox->write(fmt::format("From chatvault@localhost {}\n", date));
                    MboxSink m(*mbox);
                    auto r = ingest::render_stored(*a, *stored, m);
                    done = r ? m.finish() : Result<void>(fail(r.error()));
                } else {
                    const fs::path file = args->export_format == "eml"
                                              ? out / fmt::format("{:07}.eml", s.id)
                                              : out / "cur" / fmt::format("{}.{}.chatvault:2,S", s.utc, s.id);
                    auto sink = FileSink::create(file);
                    if (!sink) {
                        status = report_error(sink.error());
                        return;
                    }
                    auto r = ingest::render_stored(*a, *stored, **sink);
                    done = r ? (*sink)->commit() : Result<void>(fail(r.error()));
                }
                if (!done) {
                    status = report_error(done.error());
                    continue;
                }
                ++written;
            }
        }
        if (mbox) {
            if (auto c = mbox->commit(); !c)
                status = report_error(c.error());
        }
        const json parameters{
            {"mailbox", args->export_mailbox}, {"format", args->export_format}, {"to", args->export_dir}};
        if (auto logged = a->audit(archive::AuditEvent{actor_name(args->discovery.actor),
                                                       static_cast<std::int64_t>(std::time(nullptr)),
                                                       "export.mailbox", parameters.dump(), written});
            !logged)
            status = report_error(logged.error());
        fmt::print("exported {} item(s) of {} as {} into {}\n", written, args->export_mailbox,
                   args->export_format, args->export_dir);
    });

    // ---- verify
    auto* verify = app.add_subcommand("verify", "Check every row, record and blob against the journal");
    verify->add_flag("--json", args->verify_json, "JSON output");
    add_archive_option(verify);
    verify->callback([args, &status] {
        auto a = open_archive(args->archive_flag);
        if (!a) {
            status = report_error(a.error());
            return;
        }
        archive::Archive& ar = *a;
        auto report = ar.verify([&ar](const archive::StoredItem& s) { return ingest::rerender_hash(ar, s); });
        if (!report) {
            status = report_error(report.error());
            return;
        }
        status = report->findings.empty() ? 0 : 1;
        if (args->verify_json) {
            json findings = json::array();
            for (const auto& f : report->findings)
                findings.push_back(json{{"item", f.item ? json(*f.item) : json(nullptr)},
                                        {"message_id", f.message_id},
                                        {"problem", f.problem}});
            print_json(json{{"items", report->items},
                            {"blobs", report->blobs},
                            {"journal_entries", report->journal_entries},
                            {"journal_head", report->journal_head},
                            {"ok", report->findings.empty()},
                            {"findings", findings}});
            return;
        }
        for (const auto& f : report->findings) {
            if (f.item)
                fmt::print("item {} <{}>: {}\n", *f.item, f.message_id, f.problem);
            else
                fmt::print("archive: {}\n", f.problem);
        }
        fmt::print("{} items, {} attachment blobs, {} journal entries (head {}): {}\n", report->items,
                   report->blobs, report->journal_entries, report->journal_head.substr(0, 16),
                   report->findings.empty() ? "all verified"
                                            : fmt::format("{} problem(s)", report->findings.size()));
    });
}

}  // namespace cv::cli

#include "cli/parse_command.hpp"

#include <cstdio>
#include <map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/item_json.hpp"
#include "cli/json_writer.hpp"
#include "sources/chat_export/chat_export.hpp"
#include "sources/phone_db/phone_db.hpp"

namespace cv::cli {

namespace {

struct Tally {
    std::uint64_t by_kind[3] = {0, 0, 0};
    std::uint64_t attachments = 0, attachments_missing = 0, omitted = 0, deleted = 0, edited = 0;
    std::map<std::string, std::uint64_t> authors;  // bounded: see kMaxAuthors
    std::uint64_t authors_dropped = 0;
    std::map<std::string, std::uint64_t>::iterator last_author = authors.end();
    std::optional<LocalDateTime> first, last;
    static constexpr std::size_t kMaxAuthors = 10000;

    void add(const Item& item)
    {
        ++by_kind[static_cast<int>(item.kind)];
        for (const auto& a : item.attachments) {
            if (a.omitted)
                ++omitted;
            else if (a.present)
                ++attachments;
            else
                ++attachments_missing;
        }
        deleted += item.deleted;
        edited += item.edited;
        if (item.author && item.kind != ItemKind::System) {
            // Consecutive messages are mostly from the same person: try the last one first.
            if (last_author != authors.end() && last_author->first == *item.author) {
                ++last_author->second;
            } else if (auto it = authors.find(*item.author); it != authors.end()) {
                ++it->second;
                last_author = it;
            } else if (authors.size() < kMaxAuthors) {
                last_author = authors.emplace(*item.author, 1).first;
            } else {
                ++authors_dropped;
            }
        }
        if (!first)
            first = item.wall_clock;
        last = item.wall_clock;
    }
};

void print_summary(std::FILE* out, const chat_export::Report& r, const Tally& t)
{
    fmt::print(out, "source:      {}\n", r.source);
    if (r.chat_file != r.source)
        fmt::print(out, "chat text:   {}\n", r.chat_file);
    if (r.chat_name)
        fmt::print(out, "chat name:   {}\n", *r.chat_name);
    fmt::print(out, "platform:    {}\n", to_string(r.platform));
    fmt::print(out, "date order:  {} ({})\n", to_string(r.date_order), r.date_order_evidence);
    fmt::print(out, "time zone:   {}\n", r.time_zone);
    if (t.first)
        fmt::print(out, "first/last:  {} / {} (file order)\n", format_iso(*t.first), format_iso(*t.last));
    fmt::print(out, "lines:       {} ({} bytes)\n", r.lines, r.bytes);
    fmt::print(out, "items:       {} message, {} system, {} call\n", t.by_kind[0], t.by_kind[1],
               t.by_kind[2]);
    fmt::print(out, "attachments: {} present, {} missing, {} omitted by the exporter\n", t.attachments,
               t.attachments_missing, t.omitted);
    fmt::print(out, "deleted:     {}   edited: {}\n", t.deleted, t.edited);
    fmt::print(out, "participants ({}{}):\n", t.authors.size(), t.authors_dropped ? "+" : "");
    for (const auto& [name, count] : t.authors)
        fmt::print(out, "  {} ({})\n", name, count);
    fmt::print(out, "warnings:    {}\n", r.warnings.size() + r.warnings_dropped);
    for (const auto& w : r.warnings)
        fmt::print(out, "  {}{}: {}\n", w.file, w.line ? fmt::format(":{}", w.line) : "", w.message);
    if (r.warnings_dropped)
        fmt::print(out, "  … and {} more\n", r.warnings_dropped);
}

// A phone database: items of all its chats, each naming its chat. Exit status as for exports.
int parse_database(const std::string& path, const ParseArgs& args, ItemWriter& items, JsonWriter& json)
{
    phone_db::Options options;
    options.time_zone = args.time_zone;
    if (!args.media_dir.empty())
        options.media_dir = args.media_dir;
    if (!args.contacts.empty())
        options.contacts = args.contacts;
    if (!args.call_history.empty())
        options.call_history = args.call_history;
    auto db = phone_db::open(path, options);
    if (!db) {
        fmt::print(stderr, "chatvault: error: {}\n", db.error().describe());
        return exit_code(db.error().code());
    }
    const bool jsonl = args.format == "jsonl";
    const auto& conversations = (*db)->conversations();
    Tally tally;
    std::map<std::size_t, std::uint64_t> per_chat;
    Item item;
    std::size_t which = 0;
    std::uint64_t count = 0;
    int status = 0;
    for (;;) {
        auto more = (*db)->next(item, which);
        if (!more) {
            fmt::print(stderr, "chatvault: error: {}: reading stopped: {}\n", path, more.error().describe());
            status = exit_code(more.error().code());
            break;
        }
        if (!*more)
            break;
        ++count;
        const Conversation& c = conversations.at(which);
        if (jsonl) {
            items.write(item, c.jid ? std::string_view(*c.jid) : std::string_view(c.title), c.title);
        } else {
            tally.add(item);
            ++per_chat[which];
        }
    }
    json.flush();
    for (const auto& w : (*db)->warnings())
        fmt::print(stderr, "chatvault: warning: {}: {}\n", path, w);
    if (!jsonl) {
        fmt::print("source:      {}\n", path);
        fmt::print("platform:    {}\n", to_string((*db)->kind()));
        fmt::print("time zone:   {}\n", args.time_zone);
        fmt::print("chats:       {}\n", conversations.size());
        for (const auto& [index, n] : per_chat) {
            const Conversation& c = conversations[index];
            fmt::print("  {:<40} {:>7} item(s){}\n", c.title, n, c.group ? "  (group)" : "");
        }
        fmt::print("items:       {} message, {} system, {} call\n", tally.by_kind[0], tally.by_kind[1],
                   tally.by_kind[2]);
        fmt::print("attachments: {} present, {} missing\n", tally.attachments, tally.attachments_missing);
        fmt::print("deleted:     {}   edited: {}\n", tally.deleted, tally.edited);
        fmt::print("warnings:    {}\n", (*db)->warnings().size());
    }
    if (count == 0 && status == 0) {
        fmt::print(stderr, "chatvault: error: {}: no items could be read\n", path);
        status = exit_code(ErrorCode::Parse);
    }
    return status;
}

}  // namespace

void add_parse_command(CLI::App& app, ParseArgs& args, int& status)
{
    auto* cmd =
        app.add_subcommand("parse", "Read exports and print their items (the reader's printable stage)");
    cmd->add_option("path", args.paths, "Export: .txt file, .zip, or unpacked folder")->required();
    cmd->add_option("--tz", args.time_zone, "IANA time zone the export's clock times were written in")
        ->capture_default_str();
    cmd->add_option("--date-order", args.date_order, "Force the numeric date order instead of inferring it")
        ->check(CLI::IsMember({"dmy", "mdy", "ymd"}));
    cmd->add_option("--format", args.format, "jsonl: one JSON object per item; summary: what was found")
        ->check(CLI::IsMember({"jsonl", "summary"}))
        ->capture_default_str();
    cmd->add_option("--media", args.media_dir, "Phone databases: the media folder copied off the phone");
    cmd->add_option("--contacts", args.contacts,
                    "Phone databases: wa.db (Android) or ContactsV2.sqlite (iOS)");
    cmd->add_option("--call-history", args.call_history, "iOS: CallHistory.sqlite, for calls");
    cmd->callback([&args, &status] { status = run_parse(args); });
}

int run_parse(const ParseArgs& args)
{
    chat_export::Options options;
    options.time_zone = args.time_zone;
    if (!args.date_order.empty()) {
        auto order = chat_export::parse_date_order(args.date_order);
        if (!order) {
            fmt::print(stderr, "chatvault: {}\n", order.error().describe());
            return exit_code(order.error().code());
        }
        options.date_order = *order;
    }
    const bool jsonl = args.format == "jsonl";
    int status = 0;
    JsonWriter json(stdout);
    ItemWriter items(json);
    for (const auto& path : args.paths) {
        if (phone_db::is_database(path)) {
            if (const int rc = parse_database(path, args, items, json))
                status = rc;
            continue;
        }
        auto reader = chat_export::Reader::open(path, options);
        if (!reader) {
            fmt::print(stderr, "chatvault: error: {}\n", reader.error().describe());
            status = exit_code(reader.error().code());
            continue;
        }
        Tally tally;
        std::uint64_t count = 0;
        while (const Item* item = reader->next()) {
            ++count;
            if (jsonl)
                items.write(*item);
            else
                tally.add(*item);
        }
        json.flush();
        const auto& report = reader->report();
        if (jsonl) {
            for (const auto& w : report.warnings)
                fmt::print(stderr, "chatvault: warning: {}{}: {}\n", w.file,
                           w.line ? fmt::format(":{}", w.line) : "", w.message);
            if (report.warnings_dropped)
                fmt::print(stderr, "chatvault: warning: {} more warnings not shown\n",
                           report.warnings_dropped);
        } else {
            print_summary(stdout, report, tally);
        }
        if (count == 0) {
            fmt::print(stderr, "chatvault: error: {}: no items could be read\n", path);
            status = exit_code(ErrorCode::Parse);
        }
    }
    return status;
}

}  // namespace cv::cli

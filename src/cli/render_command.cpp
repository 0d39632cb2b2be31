#include "cli/render_command.hpp"

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "core/byte_sink.hpp"
#include "render/render.hpp"
#include "sources/chat_export/chat_export.hpp"
#include "sources/phone_db/phone_db.hpp"

namespace cv::cli {

namespace fs = std::filesystem;

namespace {

class ReaderMedia final : public render::MediaOpener {
public:
    explicit ReaderMedia(const chat_export::Reader& reader) : reader_(reader) {}
    Result<std::unique_ptr<ByteSource>> open(const Attachment& attachment) const override
    {
        return reader_.open_attachment(attachment);
    }

private:
    const chat_export::Reader& reader_;
};

int report_error(const Error& e)
{
    fmt::print(stderr, "chatvault: error: {}\n", e.describe());
    return exit_code(e.code());
}

struct Totals {
    std::uint64_t emails = 0;
    std::uint64_t bytes = 0;
    std::uint64_t attached = 0;
    std::uint64_t not_attached = 0;
    std::uint64_t failed = 0;

    /// Counts one email written, or reports (naming `what`) one that could not be.
    void add(const Result<render::Rendered>& r, std::string_view what)
    {
        if (!r) {
            ++failed;
            fmt::print(stderr, "chatvault: error: {}: {}\n", what, r.error().describe());
            return;
        }
        ++emails;
        bytes += r->bytes;
        attached += r->attached;
        not_attached += r->not_attached;
    }
};

// Renders one email into `path`; an attachment whose bytes fail midway is declared
// unreadable and the email rendered again without it, so a damaged zip entry costs that
// attachment, never the message.
template <class RenderFn, class FailedFn>
Result<render::Rendered> render_to_file(const fs::path& path, RenderFn&& render_once, FailedFn&& failed)
{
    std::vector<render::AttachmentProblem> unreadable;
    for (;;) {
        CV_TRY(auto sink, FileSink::create(path));
        auto rendered = render_once(*sink, unreadable);
        if (rendered) {
            CV_TRY_VOID(sink->commit());
            return rendered;
        }
        const auto& problem = failed();
        if (!problem)
            return rendered;
        unreadable.push_back(*problem);
    }
}

class DatabaseMedia final : public render::MediaOpener {
public:
    explicit DatabaseMedia(const ChatSource& db) : db_(db) {}
    Result<std::unique_ptr<ByteSource>> open(const Attachment& attachment) const override
    {
        return db_.open_attachment(attachment);
    }

private:
    const ChatSource& db_;
};

void print_totals(const Totals& totals, std::string_view what, const std::string& out_dir)
{
    fmt::print("rendered {} email{} ({:.1f} MB) of {} into {}\n", totals.emails,
               totals.emails == 1 ? "" : "s", static_cast<double>(totals.bytes) / 1e6, what, out_dir);
    fmt::print("attachments: {} attached, {} named but not attached (stated in the email)\n", totals.attached,
               totals.not_attached);
}

// A phone database: every chat's items, one renderer (and Message-ID sequence) per chat. Daily
// transcripts are per chat and day, named "<chat number>-<day>.eml".
int render_database(const RenderArgs& args)
{
    phone_db::Options options;
    options.time_zone = args.time_zone;
    if (!args.media_dir.empty())
        options.media_dir = args.media_dir;
    if (!args.contacts.empty())
        options.contacts = args.contacts;
    if (!args.call_history.empty())
        options.call_history = args.call_history;
    auto db = phone_db::open(args.path, options);
    if (!db)
        return report_error(db.error());
    std::error_code ec;
    fs::create_directories(args.out_dir, ec);
    if (ec)
        return report_error(
            Error(ErrorCode::Io, fmt::format("cannot create {}: {}", args.out_dir, ec.message())));
    DatabaseMedia media(**db);
    const render::Options render_options{(*db)->kind(), args.time_zone, args.domain};
    const auto& conversations = (*db)->conversations();
    std::map<std::size_t, render::Renderer> renderers;
    std::map<std::size_t, render::DailyTranscript> transcripts;
    std::set<std::string> written;
    const fs::path out_dir(args.out_dir);
    Totals totals;
    auto flush = [&](std::size_t which, render::DailyTranscript& t) {
        std::string name = fmt::format("{:04}-{}", which, t.day());
        for (unsigned n = 2; written.contains(name); ++n)
            name = fmt::format("{:04}-{}-{}", which, t.day(), n);
        written.insert(name);
        totals.add(render_to_file(
                       out_dir / (name + ".eml"),
                       [&](ByteSink& sink, const auto& unreadable) { return t.render_day(sink, unreadable); },
                       [&]() -> const auto& { return t.failed_attachment(); }),
                   fmt::format("{}: chat {} day {}", args.path, which, t.day()));
    };
    Item item;
    std::size_t which = 0;
    std::uint64_t n = 0;
    for (;;) {
        auto more = (*db)->next(item, which);
        if (!more) {
            fmt::print(stderr, "chatvault: error: {}: reading stopped: {}\n", args.path,
                       more.error().describe());
            ++totals.failed;
            break;
        }
        if (!*more)
            break;
        if (args.transcript == "daily") {
            auto it = transcripts.find(which);
            if (it == transcripts.end()) {
                auto t = render::DailyTranscript::create(conversations.at(which), render_options, &media);
                if (!t)
                    return report_error(t.error());
                it = transcripts.emplace(which, std::move(*t)).first;
            }
            if (it->second.starts_new_day(item))
                flush(which, it->second);
            it->second.add(item);
            continue;
        }
        auto it = renderers.find(which);
        if (it == renderers.end()) {
            auto r = render::Renderer::create(conversations.at(which), render_options, &media);
            if (!r)
                return report_error(r.error());
            it = renderers.emplace(which, std::move(*r)).first;
        }
        render::Renderer& renderer = it->second;
        totals.add(render_to_file(
                       out_dir / fmt::format("{:07}.eml", n++),
                       [&](ByteSink& sink, const auto& unreadable) {
                           return renderer.render(item, sink, unreadable);
                       },
                       [&]() -> const auto& { return renderer.failed_attachment(); }),
                   fmt::format("{}: item {}", args.path, item.index));
    }
    for (auto& [w, t] : transcripts)
        if (!t.empty())
            flush(w, t);
    for (const auto& w : (*db)->warnings())
        fmt::print(stderr, "chatvault: warning: {}: {}\n", args.path, w);
    print_totals(totals, fmt::format("{} chats", conversations.size()), args.out_dir);
    if (totals.failed)
        return exit_code(ErrorCode::Io);
    return totals.emails == 0 ? exit_code(ErrorCode::Parse) : 0;
}

}  // namespace

void add_render_command(CLI::App& app, RenderArgs& args, int& status)
{
    auto* cmd = app.add_subcommand("render", "Render every item of an export as an RFC 5322 email (.eml)");
    cmd->add_option("path", args.path, "Export: .txt file, .zip, or unpacked folder")->required();
    cmd->add_option("--out", args.out_dir, "Folder for the .eml files (created when missing)")->required();
    cmd->add_option("--tz", args.time_zone, "IANA time zone the export's clock times were written in")
        ->capture_default_str();
    cmd->add_option("--date-order", args.date_order, "Force the numeric date order instead of inferring it")
        ->check(CLI::IsMember({"dmy", "mdy", "ymd"}));
    cmd->add_option("--transcript", args.transcript, "daily: one email per conversation and day")
        ->check(CLI::IsMember({"daily"}));
    cmd->add_option("--domain", args.domain, "Domain (ending in .invalid) for made-up addresses and ids")
        ->capture_default_str();
    cmd->add_option("--media", args.media_dir, "Phone databases: the media folder copied off the phone");
    cmd->add_option("--contacts", args.contacts,
                    "Phone databases: wa.db (Android) or ContactsV2.sqlite (iOS)");
    cmd->add_option("--call-history", args.call_history, "iOS: CallHistory.sqlite, for calls");
    cmd->callback([&args, &status] { status = run_render(args); });
}

int run_render(const RenderArgs& args)
{
    if (phone_db::is_database(args.path))
        return render_database(args);
    chat_export::Options options;
    options.time_zone = args.time_zone;
    if (!args.date_order.empty()) {
        auto order = chat_export::parse_date_order(args.date_order);
        if (!order)
            return report_error(order.error());
        options.date_order = *order;
    }
    auto conversation = chat_export::read_conversation(args.path, options);
    if (!conversation)
        return report_error(conversation.error());
    auto reader = chat_export::Reader::open(args.path, options);
    if (!reader)
        return report_error(reader.error());
    std::error_code ec;
    fs::create_directories(args.out_dir, ec);
    if (ec)
        return report_error(
            Error(ErrorCode::Io, fmt::format("cannot create {}: {}", args.out_dir, ec.message())));

    ReaderMedia media(*reader);
    render::Options render_options;
    render_options.source = SourceKind::ChatExport;
    render_options.time_zone = args.time_zone;
    render_options.domain = args.domain;
    const std::string title = conversation->title;
    const fs::path out_dir(args.out_dir);
    Totals totals;

    if (args.transcript == "daily") {
        auto transcript = render::DailyTranscript::create(std::move(*conversation), render_options, &media);
        if (!transcript)
            return report_error(transcript.error());
        std::set<std::string> written;
        auto flush = [&] {
            std::string name = transcript->day();
            for (unsigned n = 2; written.contains(name); ++n)
                name = fmt::format("{}-{}", transcript->day(), n);
            written.insert(name);
            const std::string day = transcript->day();
            totals.add(render_to_file(
                           out_dir / (name + ".eml"),
                           [&](ByteSink& sink, const auto& unreadable) {
                               return transcript->render_day(sink, unreadable);
                           },
                           [&]() -> const auto& { return transcript->failed_attachment(); }),
                       fmt::format("{}: transcript of {}", args.path, day));
        };
        while (const Item* item = reader->next()) {
            if (transcript->starts_new_day(*item))
                flush();
            transcript->add(*item);
        }
        if (!transcript->empty())
            flush();
    } else {
        auto renderer = render::Renderer::create(std::move(*conversation), render_options, &media);
        if (!renderer)
            return report_error(renderer.error());
        while (const Item* item = reader->next()) {
            totals.add(render_to_file(
                           out_dir / fmt::format("{:07}.eml", item->index),
                           [&](ByteSink& sink, const auto& unreadable) {
                               return renderer->render(*item, sink, unreadable);
                           },
                           [&]() -> const auto& { return renderer->failed_attachment(); }),
                       fmt::format("{}:{}", reader->report().chat_file, item->line));
        }
    }

    const auto& report = reader->report();
    for (const auto& w : report.warnings)
        fmt::print(stderr, "chatvault: warning: {}{}: {}\n", w.file, w.line ? fmt::format(":{}", w.line) : "",
                   w.message);
    print_totals(totals, fmt::format("\"{}\"", title), args.out_dir);
    if (totals.failed) {
        fmt::print(stderr, "chatvault: error: {} email{} could not be written\n", totals.failed,
                   totals.failed == 1 ? "" : "s");
        return exit_code(ErrorCode::Io);
    }
    if (totals.emails == 0) {
        fmt::print(stderr, "chatvault: error: {}: no items could be read\n", args.path);
        return exit_code(ErrorCode::Parse);
    }
    return 0;
}

}  // namespace cv::cli

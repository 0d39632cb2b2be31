#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "ingest/ingest.hpp"

namespace cv::ingest {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kBlobPrefix = "blob:";
constexpr std::string_view kUnreadablePrefix = "unreadable:";
constexpr std::size_t kMaxBatchTextBytes = 32u << 20;

// Attachment bytes for rendering an archived item again come from the archive: the email's
// hash must be reproducible from what is stored. An attachment that could not be read at
// import carries the reason in its locator, so that it renders the same way every time.
class ArchiveMedia final : public render::MediaOpener {
public:
    explicit ArchiveMedia(const archive::Archive& archive) : archive_(archive) {}
    Result<std::unique_ptr<ByteSource>> open(const Attachment& a) const override
    {
        if (a.locator.starts_with(kUnreadablePrefix))
            return fail(ErrorCode::Io, a.locator.substr(kUnreadablePrefix.size()));
        if (!a.locator.starts_with(kBlobPrefix))
            return fail(ErrorCode::NotFound, "not stored in the archive");
        const auto sha = sha256_from_hex(std::string_view(a.locator).substr(kBlobPrefix.size()));
        if (!sha)
            return fail(ErrorCode::Parse, "damaged attachment reference");
        return archive_.open_blob(*sha);
    }

private:
    const archive::Archive& archive_;
};

// Records the first read error of a stream, so that the reason an attachment could not be
// read at import is the reason stored with it (and shown again when it is rendered later).
class RecordingSource final : public ByteSource {
public:
    RecordingSource(std::unique_ptr<ByteSource> inner, std::string& failure)
        : inner_(std::move(inner)), failure_(failure)
    {
    }
    Result<std::size_t> read(std::span<char> buf) override
    {
        auto n = inner_->read(buf);
        if (!n && failure_.empty())
            failure_ = n.error().message();
        return n;
    }

private:
    std::unique_ptr<ByteSource> inner_;
    std::string& failure_;
};

// At import an attachment's bytes are still in the source: rendering reads them from there
// and yields the same bytes as rendering from the archive later (the blob is named by the
// content's SHA-256, and verify compares). What cannot be read is remembered by locator.
class ImportMedia final : public render::MediaOpener {
public:
    using Open = std::function<Result<std::unique_ptr<ByteSource>>(const Attachment&)>;
    explicit ImportMedia(Open open) : open_(std::move(open)) {}
    mutable std::unordered_map<std::string, std::string> failures;  // source locator → reason

    Result<std::unique_ptr<ByteSource>> open(const Attachment& a) const override
    {
        auto stream = open_(a);
        if (!stream) {
            failures[a.locator] = stream.error().message();
            return stream;
        }
        return std::unique_ptr<ByteSource>(
            std::make_unique<RecordingSource>(std::move(*stream), failures[a.locator]));
    }

private:
    Open open_;
};

// Which member is the phone's owner: named by --owner-name, or the member whose number is the
// owner's, or in a 1:1 chat the party who is not the chat's name.
Person* find_owner(Conversation& c, const MappingContext& mapping, std::vector<std::string>& warnings)
{
    if (!mapping.owner)
        return nullptr;
    for (auto& m : c.members)
        if (m.owner)
            return &m;  // a phone database knows which member is the owner
    if (mapping.owner_name) {
        for (auto& m : c.members)
            if (m.name == *mapping.owner_name)
                return &m;
        warnings.push_back(
            fmt::format("--owner-name \"{}\" is not a participant of this chat", *mapping.owner_name));
        return nullptr;
    }
    for (auto& m : c.members)
        if (m.phone && m.phone == mapping.owner->phone)
            return &m;
    if (!c.group && c.members.size() == 2) {
        for (auto& m : c.members)
            if (m.name != c.title)
                return &m;
    }
    if (!c.group && c.members.size() <= 1) {
        // A 1:1 chat in which the owner never wrote: they are still its other party (the
        // recipient of every message). WhatsApp shows a number without a name as the number.
        if (c.members.size() == 1 && c.members.front().name != c.title)
            return &c.members.front();
        c.members.push_back(Person{mapping.owner->phone.value_or("Owner"), mapping.owner->phone, {}, {}});
        return &c.members.back();
    }
    warnings.push_back("cannot tell which participant is the phone's owner (a group chat): pass --owner-name "
                       "with the name the "
                       "owner's messages carry, or their items can only be filed by the mapping");
    return nullptr;
}

std::string quarantine_reason(const Conversation& c)
{
    std::size_t with_number = 0;
    for (const auto& m : c.members)
        with_number += m.phone ? 1 : 0;
    // No names here: the reason is stored in the clear.
    return fmt::format(
        "no participant is mapped to a mailbox ({} participant{}: {} with a number the mapping "
        "does not list, {} known by name only)",
        c.members.size(), c.members.size() == 1 ? "" : "s", with_number, c.members.size() - with_number);
}

// Commits batches on a second thread while the first reads and renders the next batch: the
// two halves of an import cost about the same, and the machine has two cores. One batch
// waits at most, so memory stays at two batches.
class Committer {
public:
    /// `prepare` runs on the commit thread for each new item before it is committed (stores
    /// its attachments); an item it fails is left out and reported.
    using Prepare = std::function<Result<void>(archive::NewItem&)>;
    Committer(archive::Archive& archive, std::int64_t source, Prepare prepare)
        : archive_(archive), source_(source), prepare_(std::move(prepare))
    {
        thread_ = std::thread([this] { run(); });
    }
    ~Committer()
    {
        if (thread_.joinable())
            (void)finish();
    }

    /// Hands a batch over; waits while the previous one is still committing. Errors: the
    /// first failed commit's (nothing is committed after it).
    Result<void> submit(std::vector<archive::NewItem> items)
    {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return !job_ || error_; });
        if (error_)
            return fail(*error_);
        job_ = Job{std::move(items)};
        changed_.notify_all();
        return {};
    }

    /// Waits for the last batch and stops the thread.
    Result<archive::CommitReport> finish()
    {
        {
            std::lock_guard lock(mutex_);
            closing_ = true;
            changed_.notify_all();
        }
        thread_.join();
        if (error_)
            return fail(*error_);
        return total_;
    }

private:
    struct Job {
        std::vector<archive::NewItem> items;
    };

    void run()
    {
        for (;;) {
            Job job;
            {
                std::unique_lock lock(mutex_);
                changed_.wait(lock, [&] { return job_ || closing_; });
                if (!job_)
                    return;
                job = std::move(*job_);
            }
            std::vector<archive::NewItem> ready;
            ready.reserve(job.items.size());
            std::vector<std::string> dropped;
            for (auto& item : job.items) {
                if (item.render_size > 0) {  // new: store its attachments first
                    if (auto prepared = prepare_(item); !prepared) {
                        dropped.push_back(fmt::format("line {}: not archived: {}", item.item.line,
                                                      prepared.error().describe()));
                        continue;
                    }
                }
                ready.push_back(std::move(item));
            }
            auto done = archive_.commit(source_, ready, archive_.take_blobs());
            std::lock_guard lock(mutex_);
            failed_ += dropped.size();
            warnings_.insert(warnings_.end(), dropped.begin(), dropped.end());
            job_.reset();
            if (!done) {
                error_ = std::move(done).error();
            } else {
                total_.added += done->added;
                total_.duplicates += done->duplicates;
                total_.quarantined += done->quarantined;
                for (const auto& [mailbox, n] : done->new_per_mailbox)
                    total_.new_per_mailbox[mailbox] += n;
            }
            changed_.notify_all();
            if (error_)
                return;
        }
    }

public:
    /// Items left out by `prepare`, and why (read after finish()).
    std::uint64_t failed() const { return failed_; }
    const std::vector<std::string>& warnings() const { return warnings_; }

private:
    archive::Archive& archive_;
    std::int64_t source_;
    Prepare prepare_;
    std::uint64_t failed_ = 0;
    std::vector<std::string> warnings_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::optional<Job> job_;
    bool closing_ = false;
    std::optional<Error> error_;
    archive::CommitReport total_;
};

// What the import pipeline needs from a source, whatever it is.
struct SourceAdapter {
    std::string kind;      // "export", "android", "ios": recorded with the source
    std::string location;  // for warnings: the chat text or database
    SourceKind source_kind = SourceKind::ChatExport;
    std::vector<Conversation> conversations;
    std::function<Result<bool>(Item&, std::size_t&)> next;
    ImportMedia::Open open_for_render;  // on the reading thread
    ImportMedia::Open open_for_store;   // on the commit thread: must not share state with the above
    std::function<Progress()> progress;
    std::function<std::vector<std::string>()> warnings;  // once the source is read
};

// One conversation's part of an import: who it is filed to, and its renderer.
struct ConversationState {
    std::int64_t id = 0;
    std::vector<std::string> mailboxes;
    std::string held_because;
    std::unique_ptr<ImportMedia> media;
    std::optional<render::Renderer> renderer;
};

Result<ImportReport> run_import(archive::Archive& archive, const fs::path& path, SourceAdapter& source,
                                const ImportOptions& options, const MappingContext& mapping,
                                const std::function<void(const Progress&)>& progress)
{
    ImportReport report;
    report.source = path.string();
    const archive::RenderSettings settings{source.source_kind, options.time_zone, options.domain};
    std::vector<ConversationState> states(source.conversations.size());
    for (std::size_t i = 0; i < source.conversations.size(); ++i) {
        Conversation& conversation = source.conversations[i];
        if (Person* owner = find_owner(conversation, mapping, report.warnings)) {
            if (!owner->phone)
                owner->phone = mapping.owner->phone;
            owner->email = mapping.owner->email;
        }
        for (auto& m : conversation.members) {
            if (const auto mapped = mapping::map_person(m, mapping.csv, *mapping.normalizer))
                m.email = mapped->email;
        }
        ConversationState& state = states[i];
        for (const auto& m : conversation.members)
            if (m.email &&
                std::find(state.mailboxes.begin(), state.mailboxes.end(), *m.email) == state.mailboxes.end())
                state.mailboxes.push_back(*m.email);
        std::sort(state.mailboxes.begin(), state.mailboxes.end());
        if (state.mailboxes.empty())
            state.held_because = quarantine_reason(conversation);
        CV_TRY(state.id, archive.put_conversation(conversation));
        state.media = std::make_unique<ImportMedia>(source.open_for_render);
        CV_TRY(auto renderer,
               render::Renderer::create(conversation,
                                        render::Options{settings.source, settings.time_zone, settings.domain},
                                        state.media.get()));
        state.renderer.emplace(std::move(renderer));
    }
    CV_TRY(const std::int64_t source_id, archive.add_source(source.kind, fs::absolute(path).string()));

    std::vector<archive::NewItem> batch;
    batch.reserve(options.batch_items);
    // On the commit thread: attachment bytes into the archive, through a handle of its own.
    Committer committer(archive, source_id, [&](archive::NewItem& n) -> Result<void> {
        for (auto& a : n.item.attachments) {
            if (!a.present || a.locator.starts_with(kUnreadablePrefix))
                continue;
            CV_TRY(auto stream, source.open_for_store(a));
            auto stored = archive.put_blob({}, *stream);
            if (!stored)
                return fail(std::move(stored).error().with_context(fmt::format("attachment {}", a.name)));
            a.locator = std::string(kBlobPrefix) + to_hex(stored->sha256);
            a.size = stored->size;
        }
        return {};
    });
    auto hand_over = [&]() -> Result<void> {
        if (batch.empty())
            return {};
        CV_TRY_VOID(committer.submit(std::move(batch)));
        batch = {};
        batch.reserve(options.batch_items);
        return {};
    };

    std::size_t batch_bytes = 0;
    // Ids of this batch and the one committing now: the archive cannot see those yet.
    std::unordered_set<std::string> batch_ids, previous_ids;
    Item read;
    std::size_t which = 0;
    for (;;) {
        CV_TRY(const bool more, source.next(read, which));
        if (!more)
            break;
        ++report.seen;
        ConversationState& state = states.at(which);
        render::Renderer& renderer = *state.renderer;
        archive::NewItem n;
        n.message_id = renderer.message_id(read);
        n.mailboxes = state.mailboxes;
        n.conversation = state.id;
        n.render = settings;
        CV_TRY(const bool known, archive.contains(n.message_id));
        if (known || batch_ids.contains(n.message_id) || previous_ids.contains(n.message_id)) {
            n.item.line = read.line;  // the commit links the source and places it; nothing else needed
            batch.push_back(std::move(n));
        } else {
            n.item = read;
            // Render (from the source) to learn the email's hash; an attachment that fails
            // midway is declared unreadable and the email rendered again without it.
            state.media->failures.clear();
            std::vector<render::AttachmentProblem> unreadable;
            std::optional<HashingSink> sink;
            Result<render::Rendered> rendered = fail(ErrorCode::Internal, "not rendered");
            for (;;) {
                sink.emplace();
                rendered = renderer.render_as(n.item, n.message_id, *sink, unreadable);
                if (rendered || !renderer.failed_attachment())
                    break;
                unreadable.push_back(*renderer.failed_attachment());
            }
            if (!rendered) {
                ++report.failed;
                report.warnings.push_back(fmt::format("{}:{}: not archived: {}", source.location, read.line,
                                                      rendered.error().describe()));
                continue;
            }
            // What could not be read keeps its reason, so that it renders the same way later.
            for (std::size_t i = 0; i < n.item.attachments.size(); ++i) {
                Attachment& a = n.item.attachments[i];
                std::string reason;
                if (const auto u = std::find_if(unreadable.begin(), unreadable.end(),
                                                [&](const auto& problem) { return problem.index == i; });
                    u != unreadable.end())
                    reason = u->reason;
                else if (const auto f = state.media->failures.find(a.locator);
                         f != state.media->failures.end() && a.present)
                    reason = f->second;
                if (reason.empty())
                    continue;
                report.warnings.push_back(fmt::format("{}:{}: attachment {} could not be read: {}",
                                                      source.location, read.line, a.name, reason));
                a.locator = std::string(kUnreadablePrefix) + reason;
            }
            n.render_sha256 = sink->finish();
            n.render_size = sink->size();
            n.index_subject = rendered->subject;
            n.index_sender = n.item.author.value_or("");
            if (n.mailboxes.empty())
                n.quarantine_reason = state.held_because;
            batch_ids.insert(n.message_id);
            batch_bytes += n.item.text.size();
            batch.push_back(std::move(n));
        }
        // Long messages make a batch heavy: bound it by bytes as well, so that memory stays
        // bounded whatever the messages' size (two batches are alive at a time).
        if (batch.size() >= options.batch_items || batch_bytes >= kMaxBatchTextBytes) {
            CV_TRY_VOID(hand_over());
            previous_ids = std::move(batch_ids);
            batch_ids.clear();
            batch_bytes = 0;
        }
        if (progress && (report.seen & 1023) == 0)
            progress(source.progress());
    }
    CV_TRY_VOID(hand_over());
    CV_TRY(const auto done, committer.finish());
    report.failed += committer.failed();
    for (const auto& w : committer.warnings())
        report.warnings.push_back(fmt::format("{}: {}", source.location, w));
    report.added = done.added;
    report.duplicates = done.duplicates;
    report.quarantined = done.quarantined;
    report.new_per_mailbox = done.new_per_mailbox;
    for (auto& w : source.warnings())
        report.warnings.push_back(std::move(w));
    if (progress) {
        Progress last = source.progress();
        last.bytes = last.total_bytes;
        progress(last);
    }
    return report;
}

}  // namespace

Result<ImportReport> import_export(archive::Archive& archive, const fs::path& path,
                                   const ImportOptions& options, const MappingContext& mapping,
                                   const std::function<void(const Progress&)>& progress)
{
    chat_export::Options read_options;
    read_options.time_zone = options.time_zone;
    read_options.date_order = options.date_order;
    CV_TRY(auto conversation, chat_export::read_conversation(path, read_options));
    CV_TRY(auto reader, chat_export::Reader::open(path, read_options));
    CV_TRY(auto attachments, reader.attachment_reader());
    SourceAdapter source;
    source.kind = "export";
    source.location = reader.report().chat_file;
    source.source_kind = SourceKind::ChatExport;
    source.conversations.push_back(std::move(conversation));
    source.next = [&](Item& item, std::size_t& which) -> Result<bool> {
        which = 0;
        return reader.next(item);
    };
    source.open_for_render = [&](const Attachment& a) { return reader.open_attachment(a); };
    source.open_for_store = [&](const Attachment& a) { return attachments.open(a); };
    source.progress = [&] {
        Progress p;
        p.bytes = reader.bytes_read();
        p.total_bytes = reader.text_bytes();
        return p;
    };
    source.warnings = [&] {
        std::vector<std::string> out;
        for (const auto& w : reader.report().warnings)
            out.push_back(
                fmt::format("{}{}: {}", w.file, w.line ? fmt::format(":{}", w.line) : "", w.message));
        return out;
    };
    CV_TRY(auto report, run_import(archive, path, source, options, mapping, progress));
    return report;
}

Result<ImportReport> import_database(archive::Archive& archive, const fs::path& path, ChatSource& database,
                                     const ImportOptions& options, const MappingContext& mapping,
                                     const std::function<void(const Progress&)>& progress)
{
    SourceAdapter source;
    source.kind = std::string(to_string(database.kind()));
    source.location = path.string();
    source.source_kind = database.kind();
    source.conversations = database.conversations();
    source.next = [&](Item& item, std::size_t& which) { return database.next(item, which); };
    source.open_for_render = [&](const Attachment& a) { return database.open_attachment(a); };
    source.open_for_store = [&](const Attachment& a) { return database.open_attachment(a); };
    std::uint64_t items = 0;
    source.progress = [&] { return Progress{++items, 0, 0}; };
    source.warnings = [&] { return database.warnings(); };
    return run_import(archive, path, source, options, mapping, progress);
}

Result<render::Rendered> render_stored(archive::Archive& archive, const archive::StoredItem& stored,
                                       ByteSink& out)
{
    ArchiveMedia media(archive);
    CV_TRY(auto renderer,
           render::Renderer::create(
               stored.conversation,
               render::Options{stored.render.source, stored.render.time_zone, stored.render.domain}, &media));
    return renderer.render_as(stored.item, stored.message_id, out);
}

Result<Sha256Digest> rerender_hash(archive::Archive& archive, const archive::StoredItem& stored)
{
    HashingSink sink;
    CV_TRY_VOID(render_stored(archive, stored, sink));
    return sink.finish();
}

Result<RetryReport> retry_quarantine(archive::Archive& archive, const MappingContext& mapping)
{
    RetryReport report;
    CV_TRY(const auto held, archive.quarantine());
    for (const auto& entry : held) {
        CV_TRY(auto stored, archive.item(entry.id));
        Conversation conversation = stored.conversation;
        std::vector<std::string> ignored;
        if (Person* owner = find_owner(conversation, mapping, ignored)) {
            if (!owner->phone)
                owner->phone = mapping.owner->phone;
            owner->email = mapping.owner->email;
        }
        std::vector<std::string> mailboxes;
        for (auto& m : conversation.members) {
            if (const auto mapped = mapping::map_person(m, mapping.csv, *mapping.normalizer)) {
                m.email = mapped->email;
                if (std::find(mailboxes.begin(), mailboxes.end(), mapped->email) == mailboxes.end())
                    mailboxes.push_back(mapped->email);
            }
        }
        if (mailboxes.empty()) {
            ++report.still_quarantined;
            continue;
        }
        std::sort(mailboxes.begin(), mailboxes.end());
        CV_TRY(const std::int64_t conversation_id, archive.put_conversation(conversation));
        stored.conversation = conversation;
        HashingSink sink;
        CV_TRY_VOID(render_stored(archive, stored, sink));
        const std::uint64_t size = sink.size();
        CV_TRY_VOID(archive.refile(entry.id, conversation_id, sink.finish(), size, mailboxes));
        ++report.filed;
        for (const auto& m : mailboxes)
            ++report.filed_per_mailbox[m];
    }
    return report;
}

}  // namespace cv::ingest

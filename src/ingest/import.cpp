#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include <fmt/format.h>

#include "ingest/ingest.hpp"
#include "ingest/key_set.hpp"

namespace cv::ingest {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kBlobPrefix = "blob:";
constexpr std::string_view kUnreadablePrefix = "unreadable:";
constexpr std::size_t kMaxBatchTextBytes = 16u << 20;  // three batches are alive at a time

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

// An attachment's bytes on their way into the archive while the renderer reads them.
struct Tee {
    std::unique_ptr<archive::BlobWriter> writer;
    std::optional<archive::BlobRef> stored;  // once the renderer has read it to the end
    std::optional<Error> error;              // the archive failed (the source's errors are the renderer's)
};

// Hands every byte the renderer reads on to the archive: the attachment is stored from the
// reads that render it (one pass), and what is stored is exactly what was rendered.
class TeeSource final : public ByteSource {
public:
    TeeSource(std::unique_ptr<ByteSource> inner, Tee& tee) : inner_(std::move(inner)), tee_(tee) {}
    Result<std::size_t> read(std::span<char> buf) override
    {
        auto n = inner_->read(buf);
        if (!n || !tee_.writer)
            return n;
        Result<void> ok;
        if (*n > 0) {
            ok = tee_.writer->write(std::span<const char>(buf.data(), *n));
        } else if (auto ref = tee_.writer->finish()) {
            tee_.stored = *ref;
        } else {
            ok = fail(std::move(ref).error());
        }
        if (!ok) {
            // Unavailable: another attachment is being stored meanwhile; this one is then
            // stored after the render, from a read of its own. Anything else fails the item.
            if (ok.error().code() != ErrorCode::Unavailable)
                tee_.error = ok.error();
            tee_.writer.reset();
        } else if (*n == 0) {
            tee_.writer.reset();
        }
        return n;
    }

private:
    std::unique_ptr<ByteSource> inner_;
    Tee& tee_;
};

// The media thread's opener: as ImportMedia, and every stream it opens is teed into the
// archive (see TeeSource).
class TeeMedia final : public render::MediaOpener {
public:
    TeeMedia(archive::Archive& archive, ImportMedia::Open open) : archive_(archive), open_(std::move(open)) {}
    mutable std::unordered_map<std::string, std::string> failures;  // source locator → reason
    mutable std::unordered_map<const Attachment*, Tee> tees;        // of the render under way

    Result<std::unique_ptr<ByteSource>> open(const Attachment& a) const override
    {
        auto stream = open_(a);
        if (!stream) {
            failures[a.locator] = stream.error().message();
            return stream;
        }
        Tee& tee = tees[&a];
        tee = Tee{archive_.begin_blob(), std::nullopt, std::nullopt};
        return std::unique_ptr<ByteSource>(std::make_unique<TeeSource>(
            std::make_unique<RecordingSource>(std::move(*stream), failures[a.locator]), tee));
    }

private:
    archive::Archive& archive_;
    ImportMedia::Open open_;
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

// An item whose attachments are read to render it: rendered, and its attachments stored from
// the same reads, on the media thread (render_media), while the reading thread goes on.
struct MediaJob {
    archive::NewItem n;  // the item; rendered in place (hash, size, subject, blob locators)
    std::size_t conversation = 0;
    std::size_t slot = 0;  // its place in the batch
    bool done = false;
    std::optional<Error> error;  // set when it could not be archived
    std::vector<std::string> warnings;
};
using MediaJobs = std::vector<std::shared_ptr<MediaJob>>;

// Runs `work` on every job handed to it, in order, on a thread of its own (until all are done,
// even when stopped).
class MediaWorker {
public:
    explicit MediaWorker(std::function<void(MediaJob&)> work) : work_(std::move(work))
    {
        thread_ = std::thread([this] { run(); });
    }
    ~MediaWorker() { stop(); }
    MediaWorker(const MediaWorker&) = delete;
    MediaWorker& operator=(const MediaWorker&) = delete;

    void submit(std::shared_ptr<MediaJob> job)
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(job));
        changed_.notify_all();
    }
    void wait(const MediaJob& job)
    {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return job.done; });
    }
    void stop()
    {
        {
            std::lock_guard lock(mutex_);
            closing_ = true;
            changed_.notify_all();
        }
        if (thread_.joinable())
            thread_.join();
    }

private:
    void run()
    {
        for (;;) {
            std::shared_ptr<MediaJob> job;
            {
                std::unique_lock lock(mutex_);
                changed_.wait(lock, [&] { return !queue_.empty() || closing_; });
                if (queue_.empty()) {
                    return;
                }
                job = queue_.front();
                queue_.pop_front();
            }
            work_(*job);
            std::lock_guard lock(mutex_);
            job->done = true;
            changed_.notify_all();
        }
    }

    std::function<void(MediaJob&)> work_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::shared_ptr<MediaJob>> queue_;
    bool closing_ = false;
};

// Commits batches on a thread of its own while the first reads and renders the next batches
// and the media thread renders and stores the items with attachments: the three cost about
// the same, and the machine has two cores. One batch waits at most besides the one committing,
// so memory stays at three batches.
class Committer {
public:
    /// Batches handed over and not committed yet, at most: the reader can be this many ahead
    /// of the committer (so that neither waits for the other, nor for the media thread).
    static constexpr std::size_t kDepth = 2;

    Committer(archive::Archive& archive, std::int64_t source, std::string location, MediaWorker& media)
        : archive_(archive), source_(source), location_(std::move(location)), media_(media)
    {
        thread_ = std::thread([this] { run(); });
    }
    ~Committer()
    {
        if (thread_.joinable())
            (void)finish();
    }

    /// Hands a batch over with the media jobs that fill some of its places; waits while
    /// kDepth handed over earlier are not committed yet (when it returns, every batch but the
    /// last kDepth - 1 handed over before this one is committed). Errors: the first failed
    /// commit's (nothing is committed after it).
    Result<void> submit(std::vector<archive::NewItem> items, MediaJobs jobs)
    {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return queue_.size() + committing_ < kDepth || error_; });
        if (error_)
            return fail(*error_);
        queue_.push_back(Job{std::move(items), std::move(jobs)});
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
        MediaJobs media;
    };

    void run()
    {
        for (;;) {
            Job job;
            {
                std::unique_lock lock(mutex_);
                changed_.wait(lock, [&] { return !queue_.empty() || closing_; });
                if (queue_.empty()) {
                    return;
                }
                job = std::move(queue_.front());
                queue_.pop_front();
                committing_ = 1;
            }
            // The media thread's items take their places (it works in order: wait for each).
            std::vector<bool> left_out(job.items.size(), false);
            std::vector<std::string> dropped;
            std::vector<std::string> notes;
            for (auto& m : job.media) {
                media_.wait(*m);
                notes.insert(notes.end(), m->warnings.begin(), m->warnings.end());
                if (m->error) {
                    dropped.push_back(fmt::format("{}:{}: not archived: {}", location_, m->n.item.line,
                                                  m->error->describe()));
                    left_out[m->slot] = true;
                    if (m->n.key)
                        dropped_keys_.insert(*m->n.key);
                } else {
                    job.items[m->slot] = std::move(m->n);
                }
            }
            std::vector<archive::NewItem> ready;
            ready.reserve(job.items.size());
            for (std::size_t i = 0; i < job.items.size(); ++i) {
                auto& item = job.items[i];
                if (left_out[i])
                    continue;
                // A repeat of an item that could not be archived carries nothing to archive.
                if (item.render_size == 0 && item.key && !dropped_keys_.empty() &&
                    dropped_keys_.contains(*item.key)) {
                    dropped.push_back(fmt::format("{}:{}: not archived: an earlier copy of it could not be",
                                                  location_, item.item.line));
                    continue;
                }
                ready.push_back(std::move(item));
            }
            auto done = archive_.commit(source_, ready, archive_.take_blobs());
            std::lock_guard lock(mutex_);
            failed_ += dropped.size();
            warnings_.insert(warnings_.end(), notes.begin(), notes.end());
            warnings_.insert(warnings_.end(), dropped.begin(), dropped.end());
            committing_ = 0;
            if (!done) {
                error_ = std::move(done).error();
            } else {
                total_.added += done->added;
                total_.duplicates += done->duplicates;
                total_.quarantined += done->quarantined;
                total_.disposed += done->disposed;
                for (const auto& [mailbox, n] : done->new_per_mailbox)
                    total_.new_per_mailbox[mailbox] += n;
            }
            changed_.notify_all();
            if (error_)
                return;
        }
    }

public:
    /// Items left out (not rendered or stored), and the warnings of the media thread and why
    /// items were left out (read after finish()).
    std::uint64_t failed() const { return failed_; }
    const std::vector<std::string>& warnings() const { return warnings_; }

private:
    archive::Archive& archive_;
    std::int64_t source_;
    std::string location_;  // for warnings: the chat text or database
    MediaWorker& media_;
    std::uint64_t failed_ = 0;
    std::vector<std::string> warnings_;
    KeySet dropped_keys_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Job> queue_;
    std::size_t committing_ = 0;
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

// An item read ahead of rendering, with the Message-ID its position in the source gives it.
struct Ahead {
    Item item;
    std::size_t which = 0;  // conversation
    std::string message_id;
    archive::ItemKey key{};
};
constexpr std::size_t kLookahead = 256;

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

    // Render an item from its source and learn its email's hash; an attachment that fails
    // midway is declared unreadable and the email rendered again without it. What could not
    // be read keeps its reason in its locator, so that it renders the same way later.
    auto render_item = [&](render::Renderer& renderer, archive::NewItem& n, auto& media,
                           std::vector<std::string>& warnings) -> Result<void> {
        media.failures.clear();
        std::vector<render::AttachmentProblem> unreadable;
        std::optional<HashingSink> sink;
        Result<render::Rendered> rendered = fail(ErrorCode::Internal, "not rendered");
        for (;;) {
            if constexpr (std::is_same_v<std::decay_t<decltype(media)>, TeeMedia>)
                media.tees.clear();
            sink.emplace();
            rendered = renderer.render_as(n.item, n.message_id, *sink, unreadable);
            if (rendered || !renderer.failed_attachment())
                break;
            unreadable.push_back(*renderer.failed_attachment());
        }
        if (!rendered)
            return fail(std::move(rendered).error());
        for (std::size_t k = 0; k < n.item.attachments.size(); ++k) {
            Attachment& a = n.item.attachments[k];
            std::string reason;
            if (const auto u = std::find_if(unreadable.begin(), unreadable.end(),
                                            [&](const auto& problem) { return problem.index == k; });
                u != unreadable.end())
                reason = u->reason;
            else if (const auto f = media.failures.find(a.locator); f != media.failures.end() && a.present)
                reason = f->second;
            if (reason.empty())
                continue;
            warnings.push_back(fmt::format("{}:{}: attachment {} could not be read: {}", source.location,
                                           n.item.line, a.name, reason));
            a.locator = std::string(kUnreadablePrefix) + reason;
        }
        n.render_sha256 = sink->finish();
        n.render_size = sink->size();
        n.index_subject = rendered->subject;
        n.index_sender = n.item.author.value_or("");
        return {};
    };

    // The media thread: items whose attachments are read, rendered with a renderer of its own
    // per conversation; each attachment is stored from the reads that render it (or, when that
    // could not be, from a read of its own afterwards).
    struct MediaState {
        std::unique_ptr<TeeMedia> media;
        std::optional<render::Renderer> renderer;
    };
    std::vector<MediaState> media_states(source.conversations.size());
    auto render_media = [&](MediaJob& job) {
        archive::NewItem& n = job.n;
        MediaState& m = media_states.at(job.conversation);
        if (!m.renderer) {
            m.media = std::make_unique<TeeMedia>(archive, source.open_for_store);
            auto renderer = render::Renderer::create(
                source.conversations[job.conversation],
                render::Options{settings.source, settings.time_zone, settings.domain}, m.media.get());
            if (!renderer) {
                job.error = std::move(renderer).error();
                return;
            }
            m.renderer.emplace(std::move(*renderer));
        }
        if (auto rendered = render_item(*m.renderer, n, *m.media, job.warnings); !rendered) {
            job.error = std::move(rendered).error();
            return;
        }
        for (auto& a : n.item.attachments) {
            if (!a.present || a.locator.starts_with(kUnreadablePrefix))
                continue;
            std::optional<archive::BlobRef> ref;
            if (const auto t = m.media->tees.find(&a); t != m.media->tees.end()) {
                if (t->second.error) {
                    job.error = Error(*t->second.error).with_context(fmt::format("attachment {}", a.name));
                    return;
                }
                ref = t->second.stored;
            }
            if (!ref) {
                auto stream = source.open_for_store(a);
                auto stored =
                    stream ? archive.put_blob({}, **stream) : Result<archive::BlobRef>(fail(stream.error()));
                if (!stored) {
                    job.error = std::move(stored).error().with_context(fmt::format("attachment {}", a.name));
                    return;
                }
                ref = *stored;
            }
            a.locator = std::string(kBlobPrefix) + to_hex(ref->sha256);
            a.size = ref->size;
        }
        m.media->tees.clear();
        archive::prepare_record(n);
    };

    std::vector<archive::NewItem> batch;
    batch.reserve(options.batch_items);
    MediaJobs jobs;
    MediaWorker media(render_media);
    Committer committer(archive, source_id, source.location, media);
    auto hand_over = [&]() -> Result<void> {
        if (batch.empty())
            return {};
        CV_TRY_VOID(committer.submit(std::move(batch), std::move(jobs)));
        batch = {};
        batch.reserve(options.batch_items);
        jobs = {};
        return {};
    };

    std::size_t batch_bytes = 0;
    // Keys of this batch and of the ones handed over and perhaps not committed yet: the
    // archive cannot see those.
    static_assert(Committer::kDepth == 2, "one key set per batch that may be uncommitted");

    KeySet batch_ids, previous_ids, earlier_ids;
    // Keys the archive may hold (KeyFilter): each key this import hands over goes in from the
    // start; the archive's own keys once the import has seen a thirty-second of their number
    // (reading them all costs about as much as asking about that many), and from then on the
    // archive is asked only about keys the filter may hold.
    KeyFilter filter;
    bool filtering = false;
    CV_TRY(const std::uint64_t archived_keys, archive.key_count());
    auto ask = [&](std::span<const archive::ItemKey> asked) -> Result<std::vector<bool>> {
        if (!filtering)
            return archive.contains(asked);
        std::vector<bool> found(asked.size(), false);
        std::vector<archive::ItemKey> maybe;
        std::vector<std::size_t> where;
        for (std::size_t i = 0; i < asked.size(); ++i) {
            if (filter.may_contain(asked[i])) {
                maybe.push_back(asked[i]);
                where.push_back(i);
            }
        }
        if (maybe.empty())
            return found;
        CV_TRY(const auto answers, archive.contains(maybe));
        for (std::size_t k = 0; k < where.size(); ++k)
            found[where[k]] = answers[k];
        return found;
    };
    // Items are read a window ahead, so that the archive is asked about all of them in one
    // read transaction rather than one each.
    std::vector<Ahead> window(kLookahead);
    std::vector<archive::ItemKey> keys;
    bool source_done = false;
    std::uint64_t processed = 0;
    while (!source_done) {
        std::size_t count = 0;
        while (count < window.size()) {
            Ahead& ahead = window[count];
            CV_TRY(const bool more, source.next(ahead.item, ahead.which));
            if (!more) {
                source_done = true;
                break;
            }
            ++report.seen;
            ahead.message_id = states.at(ahead.which).renderer->message_id(ahead.item);
            ahead.key = archive::item_key(ahead.message_id);
            ++count;
        }
        keys.clear();
        for (std::size_t i = 0; i < count; ++i)
            keys.push_back(window[i].key);
        if (!filtering && count > 0 && archived_keys <= 32 * report.seen) {
            filter.reserve(archived_keys);
            CV_TRY_VOID(archive.for_each_key([&](const archive::ItemKey& k) { filter.insert(k); }));
            filtering = true;
        }
        CV_TRY(auto known, ask(keys));
        for (std::size_t i = 0; i < count; ++i) {
            Ahead& ahead = window[i];
            ConversationState& state = states.at(ahead.which);
            archive::NewItem n;
            n.message_id = std::move(ahead.message_id);
            n.key = ahead.key;
            n.mailboxes = state.mailboxes;
            n.conversation = state.id;
            n.render = settings;
            if (known[i] || batch_ids.contains(ahead.key) || previous_ids.contains(ahead.key) ||
                earlier_ids.contains(ahead.key)) {
                n.item.line =
                    ahead.item.line;  // the commit links the source and places it; nothing else needed
                batch.push_back(std::move(n));
            } else {
                n.item = std::move(ahead.item);
                if (n.mailboxes.empty())
                    n.quarantine_reason = state.held_because;
                batch_bytes += n.item.text.size();
                const bool reads_media =
                    std::any_of(n.item.attachments.begin(), n.item.attachments.end(),
                                [](const Attachment& a) { return a.present || a.inline_data; });
                if (reads_media) {
                    // Rendered and stored on the media thread; its place in the batch is kept.
                    auto job = std::make_shared<MediaJob>();
                    job->n = std::move(n);
                    job->conversation = ahead.which;
                    job->slot = batch.size();
                    batch.emplace_back();
                    media.submit(job);
                    jobs.push_back(std::move(job));
                } else {
                    if (auto rendered = render_item(*state.renderer, n, *state.media, report.warnings);
                        !rendered) {
                        ++report.failed;
                        report.warnings.push_back(fmt::format("{}:{}: not archived: {}", source.location,
                                                              n.item.line, rendered.error().describe()));
                        continue;
                    }
                    archive::prepare_record(n);
                    batch.push_back(std::move(n));
                }
                batch_ids.insert(ahead.key);
                filter.insert(ahead.key);
            }
            // Long messages make a batch heavy: bound it by bytes as well, so that memory stays
            // bounded whatever the messages' size (three batches are alive at a time).
            if (batch.size() >= options.batch_items || batch_bytes >= kMaxBatchTextBytes) {
                CV_TRY_VOID(hand_over());
                // The batch handed over before the previous one is committed now.
                std::swap(earlier_ids, previous_ids);
                std::swap(previous_ids, batch_ids);
                batch_ids.clear();
                batch_bytes = 0;
                // A batch committed since the window was asked about is forgotten now: ask
                // again about the rest of the window.
                if (i + 1 < count) {
                    CV_TRY(const auto again, ask(std::span<const archive::ItemKey>(keys).subspan(i + 1)));
                    for (std::size_t k = 0; k < again.size(); ++k)
                        known[i + 1 + k] = again[k];
                }
            }
            if (progress && (++processed & 1023) == 0)
                progress(source.progress());
        }
    }
    CV_TRY_VOID(hand_over());
    CV_TRY(const auto done, committer.finish());
    report.failed += committer.failed();
    for (const auto& w : committer.warnings())
        report.warnings.push_back(w);
    report.added = done.added;
    report.duplicates = done.duplicates;
    report.quarantined = done.quarantined;
    report.disposed = done.disposed;
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

struct StoredRenderer::State {
    explicit State(const archive::Archive& a) : media(a) {}
    ArchiveMedia media;
    std::optional<render::Renderer> renderer;
    std::int64_t conversation = 0;
    archive::RenderSettings settings;
};

StoredRenderer::StoredRenderer(const archive::Archive& archive) : s_(std::make_unique<State>(archive)) {}
StoredRenderer::~StoredRenderer() = default;

Result<render::Rendered> StoredRenderer::render(const archive::StoredItem& stored, ByteSink& out)
{
    State& s = *s_;
    const auto& r = stored.render;
    if (!s.renderer || s.conversation != stored.conversation_id || stored.conversation_id == 0 ||
        s.settings.source != r.source || s.settings.time_zone != r.time_zone ||
        s.settings.domain != r.domain) {
        s.renderer.reset();
        CV_TRY(auto renderer,
               render::Renderer::create(stored.conversation, render::Options{r.source, r.time_zone, r.domain},
                                        &s.media));
        s.renderer.emplace(std::move(renderer));
        s.conversation = stored.conversation_id;
        s.settings = r;
    }
    return s.renderer->render_as(stored.item, stored.message_id, out);
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

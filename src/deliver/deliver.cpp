#include "deliver/deliver.hpp"

#include <algorithm>
#include <limits>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/time.hpp"
#include "deliver/imap/mutf7.hpp"
#include "deliver/imap/session.hpp"
#include "ingest/ingest.hpp"

namespace cv::deliver {

namespace {

using archive::Delivery;
using archive::DeliveryState;
using archive::DeliveryUpdate;
using nlohmann::json;

constexpr std::string_view kTargetSetting = "delivery.target";
constexpr std::string_view kSharedSecret = "delivery.shared";
constexpr std::int64_t kMaxBackoff = 6 * 3600;

std::string mailbox_login_setting(std::string_view mailbox)
{
    return fmt::format("delivery.login.{}", mailbox);
}

std::string mailbox_secret(std::string_view mailbox)
{
    return fmt::format("delivery.secret.{}", mailbox);
}

// Next attempt after `attempts` failed ones: one minute, doubling, at most six hours.
std::int64_t backoff(std::int64_t now, std::uint32_t attempts)
{
    const std::int64_t wait = 60ll << std::min<std::uint32_t>(attempts, 10);
    return now + std::min(wait, kMaxBackoff);
}

std::string login_for(const Target& t, std::string_view mailbox)
{
    std::string login = t.login;
    for (std::size_t at; (at = login.find("{mailbox}")) != std::string::npos;)
        login.replace(at, 9, mailbox);
    return login;
}

// One mailbox's run: a session opened (and reopened after a drop), the due items in batches.
class MailboxRun {
public:
    MailboxRun(archive::Archive& archive, const Target& target, const RunOptions& options,
               std::string mailbox)
        : archive_(archive), target_(target), options_(options)
    {
        report_.mailbox = std::move(mailbox);
    }

    Result<MailboxReport> run()
    {
        CV_TRY(auto spec, connect_spec());
        if (!spec)
            return defer_all("no login is known for this mailbox (set a shared secret or the mailbox's own)");
        spec_ = std::move(*spec);
        for (;;) {
            if (!session_) {
                auto opened = open_session();
                if (!opened)
                    return defer_all(opened.error().describe());
            }
            CV_TRY(auto batch, archive_.due_deliveries(report_.mailbox, due_time(), options_.retry_failed,
                                                       cursor_, options_.batch));
            if (batch.empty())
                break;
            auto more = deliver_batch(batch);
            if (!more)
                return fail(std::move(more).error());
            if (!*more)
                return defer_all(stop_reason_);
        }
        if (session_)
            session_->logout();
        return report_;
    }

private:
    std::int64_t due_time() const
    {
        return options_.ignore_backoff ? std::numeric_limits<std::int64_t>::max() : options_.now;
    }

    Result<std::optional<imap::ConnectSpec>> connect_spec()
    {
        imap::ConnectSpec spec;
        spec.url = target_.url;
        spec.require_tls = !target_.allow_cleartext;
        spec.verify_peer = target_.verify_peer;
        spec.ca_file = target_.ca_file;
        spec.mechanism = target_.mechanism;
        spec.timeout = target_.timeout;
        CV_TRY(auto own_login, archive_.setting(mailbox_login_setting(report_.mailbox)));
        CV_TRY(auto own_secret, archive_.secret(mailbox_secret(report_.mailbox)));
        if (own_login && own_secret) {
            spec.user = *own_login;
            spec.secret = std::move(*own_secret);
            return std::optional(std::move(spec));
        }
        CV_TRY(auto shared, archive_.secret(kSharedSecret));
        if (!shared)
            return std::optional<imap::ConnectSpec>();
        spec.user = login_for(target_, report_.mailbox);
        spec.secret = std::move(*shared);
        return std::optional(std::move(spec));
    }

    // Connects (again), retrying a server that cannot be reached; finds or creates the folder.
    Result<void> open_session()
    {
        std::chrono::milliseconds pause = options_.first_pause;
        for (int attempt = 0;; ++attempt) {
            auto s = imap::Session::open(spec_);
            if (s) {
                session_.emplace(std::move(*s));
                auto folder = session_->ensure_folder(target_.folder);
                if (folder) {
                    folder_ = std::move(*folder);
                    // Selected, the folder stays open on the server between APPENDs: Dovecot's
                    // Maildir re-read the whole UID list of a folder not selected for every
                    // APPEND, so a run grew quadratic in the folder's size (20,000 messages:
                    // 129 s, 70 s selected). A refusal to select (false) only costs that speed.
                    auto selected = session_->select(folder_);
                    if (selected)
                        return {};
                    folder = fail(std::move(selected).error());
                }
                session_.reset();
                if (folder.error().code() != ErrorCode::Unavailable || attempt >= options_.reconnects)
                    return fail(std::move(folder).error());
            } else if (s.error().code() != ErrorCode::Unavailable || attempt >= options_.reconnects) {
                return fail(std::move(s).error());
            }
            std::this_thread::sleep_for(pause);
            pause *= 2;
        }
    }

    // Everything still due for the mailbox waits, with the reason, for a later run.
    Result<MailboxReport> defer_all(const std::string& reason)
    {
        report_.reason = reason;
        // The wait grows with the attempts already made (the oldest due item's).
        CV_TRY(const auto first,
               archive_.due_deliveries(report_.mailbox, due_time(), options_.retry_failed, 0, 1));
        if (!first.empty())
            attempts_hint_ = std::max(attempts_hint_, first.front().attempts);
        CV_TRY(const auto n, archive_.defer_deliveries(report_.mailbox, due_time(), options_.retry_failed,
                                                       backoff(options_.now, attempts_hint_), reason));
        report_.pending += n;
        if (session_)
            session_->logout();
        return report_;
    }

    // Delivers one batch. Returns false when the mailbox must stop (stop_reason_ says why).
    Result<bool> deliver_batch(std::vector<Delivery>& batch)
    {
        // Those an interrupted run left "sending" may be on the server: look before sending.
        std::vector<DeliveryUpdate> updates;
        std::vector<Delivery*> to_send;
        for (auto& d : batch) {
            if (d.state == DeliveryState::Sending) {
                auto found = session_->find_message_id(folder_, d.message_id);
                if (!found) {
                    cursor_ = d.item - 1;  // this one again, after reconnecting
                    return connection_lost(std::move(found).error(), updates);
                }
                if (*found) {
                    updates.push_back(delivered(d, **found));
                    ++report_.found;
                    continue;
                }
            }
            to_send.push_back(&d);
        }
        // Marked "sending" before the first byte goes out: a crash from here on leaves a mark
        // that makes the next run look first.
        std::vector<DeliveryUpdate> sending;
        for (const Delivery* d : to_send)
            sending.push_back(
                DeliveryUpdate{d->item, report_.mailbox, DeliveryState::Sending, false, 0, {}, {}});
        CV_TRY_VOID(archive_.record_deliveries(sending));

        for (std::size_t i = 0; i < to_send.size(); ++i) {
            Delivery& d = *to_send[i];
            auto stored = archive_.item(d.item);
            if (!stored) {
                updates.push_back(failed(d, stored.error().describe()));
                continue;
            }
            auto appended =
                session_->append(folder_, d.utc, stored->render_size, [&](ByteSink& sink) -> Result<void> {
                    CV_TRY_VOID(ingest::render_stored(archive_, *stored, sink));
                    return {};
                });
            if (!appended) {
                const Error& e = appended.error();
                if (e.code() == ErrorCode::Unavailable || e.code() == ErrorCode::Parse) {
                    // The item in flight stays "sending" (its fate is unknown); the rest go back.
                    // After reconnecting, the walk resumes at it and looks for it first.
                    for (std::size_t k = i + 1; k < to_send.size(); ++k)
                        updates.push_back(back_to_pending(*to_send[k]));
                    cursor_ = d.item - 1;
                    return connection_lost(appended.error(), updates);
                }
                // The item itself could not be rendered: the connection is mid-literal, so it
                // is dropped, and the item is failed with the reason.
                updates.push_back(failed(d, e.describe()));
                for (std::size_t k = i + 1; k < to_send.size(); ++k)
                    updates.push_back(back_to_pending(*to_send[k]));
                cursor_ = d.item;
                session_.reset();
                CV_TRY_VOID(archive_.record_deliveries(updates));
                return true;
            }
            if (appended->accepted) {
                updates.push_back(delivered(d, appended->uid));
                ++report_.delivered;
                continue;
            }
            if (appended->mailbox_wide) {
                // Quota, permission: this and every later item of the mailbox wait.
                stop_reason_ = appended->refusal;
                attempts_hint_ = d.attempts;
                for (std::size_t k = i; k < to_send.size(); ++k)
                    updates.push_back(back_to_pending(*to_send[k]));
                CV_TRY_VOID(archive_.record_deliveries(updates));
                return false;
            }
            updates.push_back(failed(d, appended->refusal));
        }
        CV_TRY_VOID(archive_.record_deliveries(updates));
        cursor_ = batch.back().item;
        if (options_.progress)
            options_.progress(report_.mailbox, report_.delivered);
        return true;
    }

    // Records what is known and reconnects; the next batch starts with what was in flight.
    Result<bool> connection_lost(const Error& e, std::vector<DeliveryUpdate>& updates)
    {
        CV_TRY_VOID(archive_.record_deliveries(updates));
        session_.reset();
        if (++drops_ > options_.reconnects) {
            stop_reason_ = e.describe();
            return false;
        }
        std::this_thread::sleep_for(options_.first_pause * (1 << std::min(drops_, 6)));
        return true;
    }

    DeliveryUpdate delivered(const Delivery& d, std::optional<std::uint32_t> uid)
    {
        return DeliveryUpdate{d.item, report_.mailbox, DeliveryState::Delivered, true, 0, {}, uid};
    }
    DeliveryUpdate failed(const Delivery& d, std::string reason)
    {
        ++report_.failed;
        return DeliveryUpdate{d.item, report_.mailbox, DeliveryState::Failed, true, 0, std::move(reason), {}};
    }
    DeliveryUpdate back_to_pending(const Delivery& d)
    {
        return DeliveryUpdate{d.item, report_.mailbox, DeliveryState::Pending, false, 0, {}, {}};
    }

    archive::Archive& archive_;
    const Target& target_;
    const RunOptions& options_;
    MailboxReport report_;
    imap::ConnectSpec spec_;
    std::optional<imap::Session> session_;
    std::string folder_;
    std::string stop_reason_;
    std::uint32_t attempts_hint_ = 0;
    int drops_ = 0;
    std::int64_t cursor_ = 0;  // the walk through the mailbox's items: those up to it are done
};

// A run's report counts what it leaves undelivered, not only what it tried: items still
// waiting out the backoff of an earlier refusal (not due now, so not tried) are pending, and
// items the server refused before (not retried without retry_failed) are failed. Without
// this, `deliver` right after a refused run printed "pending 0" and exited 0 while every item
// still waited (exit 69 means "stored, but deliveries wait").
Result<void> report_what_is_left(archive::Archive& archive, RunReport& report)
{
    CV_TRY(const auto counts, archive.delivery_counts());
    for (const auto& entry : counts) {
        // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
        const std::string& mailbox = entry.first;
        const archive::DeliveryCounts& left = entry.second;
        auto it = std::find_if(report.mailboxes.begin(), report.mailboxes.end(),
                               [&](const MailboxReport& m) { return m.mailbox == mailbox; });
        const std::uint64_t pending = it == report.mailboxes.end() ? 0 : it->pending;
        const std::uint64_t failed = it == report.mailboxes.end() ? 0 : it->failed;
        if (left.pending <= pending && left.failed <= failed)
            continue;
        if (it == report.mailboxes.end()) {
            report.mailboxes.emplace_back().mailbox = mailbox;
            it = std::prev(report.mailboxes.end());
        }
        if (left.pending > pending) {
            it->pending += left.pending - pending;
            report.pending += left.pending - pending;
            if (it->reason.empty()) {  // the recorded reason of the first one that waits
                archive::DeliveryQuery q;
                q.state = DeliveryState::Pending;
                q.mailbox = mailbox;
                q.limit = 1;
                CV_TRY(const auto first, archive.deliveries(q));
                if (!first.empty() && first.front().next_attempt > 0)
                    it->reason = fmt::format(
                        "not due before {} (`deliver --ignore-backoff` tries now){}{}",
                        format_utc(first.front().next_attempt),
                        first.front().reason.empty() ? "" : "; last attempt: ", first.front().reason);
            }
        }
        if (left.failed > failed) {
            it->failed += left.failed - failed;
            report.failed += left.failed - failed;
        }
    }
    std::sort(report.mailboxes.begin(), report.mailboxes.end(),
              [](const MailboxReport& a, const MailboxReport& b) { return a.mailbox < b.mailbox; });
    return {};
}

}  // namespace

std::string_view to_string(Mechanism m)
{
    switch (m) {
    case Mechanism::Plain: return "plain";
    case Mechanism::Login: return "login";
    case Mechanism::XOAuth2: return "xoauth2";
    }
    return "plain";
}

std::optional<Mechanism> mechanism_from_string(std::string_view name)
{
    for (const auto m : {Mechanism::Plain, Mechanism::Login, Mechanism::XOAuth2})
        if (to_string(m) == name)
            return m;
    return std::nullopt;
}

Result<void> validate(const Target& t)
{
    if (!t.url.starts_with("imaps://") && !t.url.starts_with("imap://"))
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("delivery URL \"{}\" must start with imaps:// or imap://", t.url));
    if (t.url.find_first_of(" \r\n") != std::string::npos)
        return fail(ErrorCode::InvalidArgument, "delivery URL contains a space or line break");
    if (t.folder.empty())
        return fail(ErrorCode::InvalidArgument, "the delivery folder name is empty");
    std::string_view rest = t.folder;
    while (!rest.empty()) {
        const auto slash = rest.find('/');
        const auto level = rest.substr(0, slash);
        if (level.empty())
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("delivery folder \"{}\" has an empty level", t.folder));
        auto encoded = imap::encode_mailbox_name(level);
        if (!encoded)
            return fail(
                std::move(encoded).error().with_context(fmt::format("delivery folder \"{}\"", t.folder)));
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    }
    if (t.timeout.count() <= 0)
        return fail(ErrorCode::InvalidArgument, "the delivery timeout must be positive");
    return {};
}

Result<std::optional<Target>> load_target(archive::Archive& archive)
{
    CV_TRY(auto text, archive.setting(kTargetSetting));
    if (!text)
        return std::optional<Target>();
    try {
        const json j = json::parse(*text);
        Target t;
        t.url = j.at("url").get<std::string>();
        const auto mech = mechanism_from_string(j.at("mechanism").get<std::string>());
        if (!mech)
            return fail(ErrorCode::Parse, "the stored delivery target names an unknown mechanism");
        t.mechanism = *mech;
        t.login = j.at("login").get<std::string>();
        t.folder = j.at("folder").get<std::string>();
        t.verify_peer = j.at("verify_peer").get<bool>();
        t.allow_cleartext = j.at("allow_cleartext").get<bool>();
        t.ca_file = j.at("ca_file").get<std::string>();
        t.timeout = std::chrono::seconds(j.at("timeout_seconds").get<std::int64_t>());
        return std::optional(std::move(t));
    } catch (const json::exception& e) {
        return fail(ErrorCode::Parse, fmt::format("the stored delivery target is damaged: {}", e.what()));
    }
}

Result<void> save_target(archive::Archive& archive, const Target& t, const std::optional<std::string>& secret)
{
    CV_TRY_VOID(validate(t));
    const json j = {
        {"url", t.url},         {"mechanism", to_string(t.mechanism)}, {"login", t.login},
        {"folder", t.folder},   {"verify_peer", t.verify_peer},        {"allow_cleartext", t.allow_cleartext},
        {"ca_file", t.ca_file}, {"timeout_seconds", t.timeout.count()}};
    CV_TRY_VOID(archive.put_setting(kTargetSetting, j.dump()));
    if (secret)
        CV_TRY_VOID(archive.put_secret(kSharedSecret, *secret));
    return {};
}

Result<void> save_mailbox_login(archive::Archive& archive, std::string_view mailbox, std::string_view login,
                                std::string_view secret)
{
    if (mailbox.find('@') == std::string_view::npos)
        return fail(ErrorCode::InvalidArgument, fmt::format("\"{}\" is not a mailbox address", mailbox));
    CV_TRY_VOID(archive.put_setting(mailbox_login_setting(mailbox), login));
    return archive.put_secret(mailbox_secret(mailbox), secret);
}

Result<RunReport> run(archive::Archive& archive, const Target& target, const RunOptions& options)
{
    CV_TRY_VOID(validate(target));
    RunReport report;
    const std::int64_t due = options.ignore_backoff ? std::numeric_limits<std::int64_t>::max() : options.now;
    CV_TRY(const auto mailboxes, archive.delivery_mailboxes(due, options.retry_failed));
    for (const auto& mailbox : mailboxes) {
        MailboxRun one(archive, target, options, mailbox);
        CV_TRY(auto r, one.run());
        report.delivered += r.delivered;
        report.found += r.found;
        report.pending += r.pending;
        report.failed += r.failed;
        report.mailboxes.push_back(std::move(r));
    }
    CV_TRY_VOID(report_what_is_left(archive, report));
    return report;
}

}  // namespace cv::deliver

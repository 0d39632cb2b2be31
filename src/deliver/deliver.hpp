#pragma once
/// Delivering archived items into real mailboxes over IMAP: each item is appended to the
/// target folder ("WhatsApp Archiver") of every mailbox it is placed in, byte for byte as the
/// archive renders it, dated with the item's time. Every item × mailbox has a state in the
/// archive (archive/deliveries.hpp); a run delivers what is due and records why the rest is
/// not, so an interrupted or refused run loses nothing and duplicates nothing.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "archive/archive.hpp"
#include "core/result.hpp"
#include "deliver/imap/connection.hpp"

namespace cv::deliver {

using Mechanism = imap::Mechanism;  ///< SASL PLAIN, LOGIN, or XOAUTH2 with a bearer token

/// Where and how to deliver: one per archive, kept in it (secrets sealed apart).
struct Target {
    std::string url;  ///< imaps://host[:993], or imap://host[:143] with STARTTLS
    Mechanism mechanism = Mechanism::Plain;
    /// The IMAP login for a mailbox: "{mailbox}" is replaced by its address. One
    /// administrative login acting for every user, e.g. a Dovecot master user:
    /// "{mailbox}*admin". A mailbox with its own login (set_mailbox_login) overrides it.
    std::string login = "{mailbox}";
    std::string folder = "WhatsApp Archiver";  ///< '/' between levels
    bool verify_peer = true;
    bool allow_cleartext = false;  ///< imap:// without STARTTLS: only for a server on this host
    std::string ca_file;           ///< trust these CAs (a private CA) instead of the system's
    std::chrono::seconds timeout{30};
};

std::string_view to_string(Mechanism m);
std::optional<Mechanism> mechanism_from_string(std::string_view name);

/// Errors: InvalidArgument (no URL, a URL that is not imap:// or imaps://, a login template
/// without {mailbox} unless per-mailbox logins are meant, a bad folder name).
Result<void> validate(const Target& target);

/// The target kept in the archive, if one was set. Errors: Parse (damaged setting).
Result<std::optional<Target>> load_target(archive::Archive& archive);
/// Keeps the target and, when given, the secret (password or bearer token) of its shared
/// login, sealed. Errors: as validate(), the archive's.
Result<void> save_target(archive::Archive& archive, const Target& target,
                         const std::optional<std::string>& secret);
/// A mailbox's own login and secret (a user's password, or a per-user OAuth token).
Result<void> save_mailbox_login(archive::Archive& archive, std::string_view mailbox, std::string_view login,
                                std::string_view secret);

struct RunOptions {
    std::int64_t now = 0;         ///< Unix seconds: what is due
    bool retry_failed = false;    ///< also items the server refused before
    bool ignore_backoff = false;  ///< also items whose next attempt is later (the cause was fixed)
    std::size_t batch = 256;      ///< items marked "sending" per transaction
    int reconnects = 3;           ///< after a dropped connection, within one run
    std::chrono::milliseconds first_pause{250};  ///< doubles per reconnect
    std::function<void(std::string_view mailbox, std::uint64_t delivered)> progress;
};

struct MailboxReport {
    std::string mailbox;
    std::uint64_t delivered = 0;  ///< appended in this run
    std::uint64_t found = 0;      ///< already on the server (an interrupted run's): not sent again
    std::uint64_t pending = 0;    ///< left for a later run, with `reason` (also those still
                                  ///< waiting out an earlier run's backoff, not tried now)
    std::uint64_t failed = 0;     ///< refused by the server, item by item (now, or before and
                                  ///< not retried without retry_failed)
    std::string reason;           ///< why something was left pending (login, quota, folder, network)
};

struct RunReport {
    std::vector<MailboxReport> mailboxes;
    std::uint64_t delivered = 0, found = 0, pending = 0, failed = 0;
};

/// Delivers what is due. A mailbox the server refuses (login, folder, quota) keeps its items
/// pending with the reason and a later next attempt (doubling, at most 6 hours); a dropped
/// connection is retried `reconnects` times; an item the server refuses by itself is failed
/// with the reason. The report also counts what is left undelivered without being tried (not
/// due yet, failed before), so "nothing pending or failed" means every placement is delivered.
/// Errors: only the archive's (a server's answers are outcomes, not errors).
Result<RunReport> run(archive::Archive& archive, const Target& target, const RunOptions& options);

}  // namespace cv::deliver

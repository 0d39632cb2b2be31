#pragma once
/// The IMAP commands a delivery needs, on a logged-in Connection: capabilities, the target
/// folder (found or created, in the server's hierarchy and modified UTF-7), a search by
/// Message-ID, and APPEND with the item's date as INTERNALDATE, streamed (LITERAL+ when the
/// server offers it, else after its continuation) and answered with the UID (UIDPLUS).

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/byte_sink.hpp"
#include "core/result.hpp"
#include "deliver/imap/connection.hpp"

namespace cv::deliver::imap {

/// What the server answered to an APPEND. A refusal is an answer, not an Error: the caller
/// decides whether it concerns the message (`mailbox_wide` false) or everything for the mailbox.
struct AppendResult {
    bool accepted = false;
    std::optional<std::uint32_t> uid;  ///< APPENDUID, when the server has UIDPLUS
    std::string refusal;               ///< "mailbox is over quota: Quota exceeded (mailbox for user is full)"
    bool mailbox_wide = false;  ///< quota, permission, a missing folder: no later message will fare better
};

class Session {
public:
    /// Connects, logs in and asks for the capabilities. Errors: as Connection::open, Parse.
    static Result<Session> open(const ConnectSpec& spec);

    bool has(std::string_view capability) const { return capabilities_.contains(std::string(capability)); }

    /// The folder's name on the wire: `utf8_name` with '/' between levels, each level in
    /// modified UTF-7, joined by the server's separator. Created (and subscribed) when missing.
    /// Errors: Refused (the server would not create it, with its reason), InvalidArgument (not a
    /// name), Unavailable, Parse.
    Result<std::string> ensure_folder(std::string_view utf8_name);

    /// Selects `wire_folder` (read-write) for the APPENDs that follow: a server then appends
    /// into the open folder instead of opening it anew for each message (Dovecot's Maildir
    /// re-reads the folder's whole UID list for every APPEND to a folder not selected: a run
    /// grew quadratic in the folder's size). False when the server refuses to select it (it
    /// may still take APPENDs). Errors: Unavailable, Parse.
    Result<bool> select(std::string_view wire_folder);

    /// The UID of a message in `wire_folder` whose Message-ID header is <message_id>, if any.
    Result<std::optional<std::uint32_t>> find_message_id(std::string_view wire_folder,
                                                         std::string_view message_id);

    /// Appends a message of exactly `size` bytes written by `write` (which must write that
    /// many: the connection is unusable otherwise, and Internal is returned), seen, dated
    /// `internal_date` (Unix seconds, UTC). Errors: Unavailable, Parse, Internal, and
    /// whatever `write` returns.
    Result<AppendResult> append(std::string_view wire_folder, std::int64_t internal_date, std::uint64_t size,
                                const std::function<Result<void>(ByteSink&)>& write);

    /// Says goodbye; errors are ignored (the work is done).
    void logout();

private:
    explicit Session(Connection connection) : connection_(std::move(connection)) {}

    struct Answer;
    /// Sends "TAG command" and reads up to the tagged answer.
    Result<Answer> run(std::string_view command);
    Result<Answer> finish(const std::string& tag);
    std::string next_tag();

    Connection connection_;
    std::set<std::string> capabilities_;
    std::optional<char> separator_;
    std::string selected_;
    std::uint64_t tag_counter_ = 0;
};

/// "24-Nov-2026 15:54:00 +0000": an IMAP date-time (RFC 3501 §9) of a Unix time, in UTC.
std::string imap_date_time(std::int64_t unix_seconds);

}  // namespace cv::deliver::imap

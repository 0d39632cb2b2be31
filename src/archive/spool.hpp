#pragma once
/// The webhook spool: events a service received (Cloud API webhook bodies), written durably
/// and sealed with the archive key before the sender is told "200 OK", and kept until they
/// have been imported. It is its own SQLite file beside the archive (`spool.db`) with its own
/// connection, so taking an event never waits for an import that holds the archive.
///
/// Appends from many threads share one commit (group commit): each caller waits until the
/// transaction holding its event is on disk (synchronous=FULL), so one fsync answers every
/// request that arrived while the previous one ran.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace cv::archive {

/// One spooled event, opened.
struct SpooledEvent {
    std::uint64_t seq = 0;      ///< increasing, never reused
    std::string channel;        ///< which connector it arrived for
    std::int64_t received = 0;  ///< UTC seconds
    std::string body;           ///< the exact bytes received
};

class Spool {
public:
    /// Opens (creating if missing) the spool of the archive in `archive_dir`, with the archive's
    /// key file. Open the archive first: that checks the key belongs to it. Errors: NotFound
    /// (no key), Io.
    static Result<Spool> open(const std::filesystem::path& archive_dir);
    Spool(Spool&&) noexcept;
    Spool& operator=(Spool&&) noexcept;
    ~Spool();

    /// Seals and stores `body`; returns once it is on disk. Thread-safe. Errors: Io (then the
    /// event is not stored and the sender must be told so).
    Result<std::uint64_t> append(std::string_view channel, std::int64_t received, std::string_view body);

    /// Up to `limit` events of `channel` not yet marked done, oldest first. Errors: Io, Parse
    /// (an event was altered: it names its sequence number).
    Result<std::vector<SpooledEvent>> pending(std::string_view channel, std::size_t limit);
    /// Marks every event of `channel` up to and including `seq` as imported: their bodies are
    /// deleted (what remains is the number, so that `seq` is never given twice).
    Result<void> done(std::string_view channel, std::uint64_t seq);
    /// Events waiting, per channel.
    Result<std::uint64_t> waiting(std::string_view channel);

    /// Keeps the bytes of a media file an event of `channel` refers to (downloaded at receipt:
    /// Meta's media ids expire), sealed, until done() passes `seq`. Media are at most 100 MB on
    /// the Cloud API, so they are handled whole. Errors: Io.
    Result<void> put_media(std::string_view channel, std::string_view media_id, std::uint64_t seq,
                           std::string_view bytes);
    /// The bytes put_media() kept, or nullopt. Errors: Io, Parse (altered).
    Result<std::optional<std::string>> media(std::string_view channel, std::string_view media_id);

private:
    struct Impl;
    explicit Spool(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace cv::archive

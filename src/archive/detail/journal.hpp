#pragma once
/// The append-only, hash-chained journal: one JSON line per change,
///   {"seq":N,"prev":"<hash of entry N-1>","body":{…},"hash":"<SHA-256 of prev, seq, body>"}
/// Any edit, removal or reordering of an entry breaks the chain from there on. The database
/// records the head (seq, hash, byte length) in the same transaction as the change, so a
/// journal longer than the head is an uncommitted tail (cut at open) and a shorter one has
/// been cut.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace cv::archive::detail {

struct JournalHead {
    std::uint64_t seq = 0;
    std::string hash = std::string(64, '0');
    std::uint64_t length = 0;  ///< bytes of the file up to and including this entry
};

struct JournalEntry {
    std::uint64_t seq = 0;
    std::string body;  ///< the JSON object as written
    std::string hash;
};

class Journal {
public:
    /// Opens the journal at `path` positioned after `head`; a longer file is cut back to it.
    /// Errors: Io; Parse when the file is shorter than the head (someone cut it).
    static Result<Journal> open(const std::filesystem::path& path, const JournalHead& head);
    Journal(Journal&&) noexcept;
    Journal& operator=(Journal&&) noexcept;
    ~Journal();

    /// Appends an entry (body: a JSON object) and flushes it to disk; returns the new head.
    Result<JournalHead> append(std::string_view body);
    const JournalHead& head() const { return head_; }

private:
    Journal(int fd, JournalHead head) : fd_(fd), head_(std::move(head)) {}
    int fd_ = -1;
    JournalHead head_;
};

/// Reads and checks a whole journal: entries in order, and what is wrong with the chain
/// ("entry 12: hash does not match its content"), in words.
struct JournalScan {
    std::vector<JournalEntry> entries;
    std::vector<std::string> problems;
    std::uint64_t length = 0;
};
Result<JournalScan> scan_journal(const std::filesystem::path& path);

}  // namespace cv::archive::detail

#include "archive/detail/journal.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/digest.hpp"

namespace cv::archive::detail {

namespace {

std::string entry_hash(std::string_view prev, std::uint64_t seq, std::string_view body)
{
    return to_hex(
        Sha256().update(prev).update("\n").update(std::to_string(seq)).update("\n").update(body).finish());
}

}  // namespace

Journal::Journal(Journal&& o) noexcept : fd_(o.fd_), head_(std::move(o.head_))
{
    o.fd_ = -1;
}

Journal& Journal::operator=(Journal&& o) noexcept
{
    std::swap(fd_, o.fd_);
    std::swap(head_, o.head_);
    return *this;
}

Journal::~Journal()
{
    if (fd_ >= 0)
        ::close(fd_);
}

Result<Journal> Journal::open(const std::filesystem::path& path, const JournalHead& head)
{
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(ErrorCode::Io,
                    fmt::format("cannot open journal {}: {}", path.string(), std::strerror(errno)));
    const off_t size = ::lseek(fd, 0, SEEK_END);
    if (size < 0 || static_cast<std::uint64_t>(size) < head.length) {
        ::close(fd);
        return fail(ErrorCode::Parse,
                    fmt::format("journal {} is {} bytes but the archive committed {}: it was cut",
                                path.string(), size, head.length));
    }
    if (static_cast<std::uint64_t>(size) > head.length) {
        // An entry written before a crash whose transaction never committed.
        if (::ftruncate(fd, static_cast<off_t>(head.length)) != 0 || ::fsync(fd) != 0) {
            ::close(fd);
            return fail(ErrorCode::Io, fmt::format("cannot cut the uncommitted tail of {}", path.string()));
        }
    }
    ::lseek(fd, static_cast<off_t>(head.length), SEEK_SET);
    return Journal(fd, head);
}

Result<JournalHead> Journal::append(std::string_view body)
{
    JournalHead next;
    next.seq = head_.seq + 1;
    next.hash = entry_hash(head_.hash, next.seq, body);
    std::string line = fmt::format("{{\"seq\":{},\"prev\":\"{}\",\"body\":{},\"hash\":\"{}\"}}\n", next.seq,
                                   head_.hash, body, next.hash);
    std::string_view rest = line;
    while (!rest.empty()) {
        const ssize_t n = ::write(fd_, rest.data(), rest.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fail(ErrorCode::Io, fmt::format("cannot write the journal: {}", std::strerror(errno)));
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    if (::fdatasync(fd_) != 0)
        return fail(ErrorCode::Io, fmt::format("cannot flush the journal: {}", std::strerror(errno)));
    next.length = head_.length + line.size();
    head_ = next;
    return next;
}

Result<JournalScan> scan_journal(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return fail(ErrorCode::NotFound, fmt::format("journal {} is missing", path.string()));
    JournalScan scan;
    std::string prev(64, '0');
    std::string line;
    std::uint64_t expected = 1;
    while (std::getline(in, line)) {
        scan.length += line.size() + 1;
        try {
            const auto j = nlohmann::json::parse(line);
            JournalEntry e;
            e.seq = j.at("seq").get<std::uint64_t>();
            e.body = j.at("body").dump();
            e.hash = j.at("hash").get<std::string>();
            // The body is hashed as written: take it from the line, not from a re-dump.
            const auto start = line.find("\"body\":") + 7;
            const auto end = line.rfind(",\"hash\":");
            const std::string_view written = std::string_view(line).substr(start, end - start);
            if (e.seq != expected)
                scan.problems.push_back(
                    fmt::format("journal entry {} found where entry {} belongs", e.seq, expected));
            if (j.at("prev").get<std::string>() != prev)
                scan.problems.push_back(
                    fmt::format("journal entry {} does not follow entry {}", e.seq, e.seq - 1));
            if (entry_hash(j.at("prev").get<std::string>(), e.seq, written) != e.hash)
                scan.problems.push_back(
                    fmt::format("journal entry {} was altered (its hash does not match)", e.seq));
            e.body = std::string(written);
            prev = e.hash;
            expected = e.seq + 1;
            scan.entries.push_back(std::move(e));
        } catch (const nlohmann::json::exception&) {
            scan.problems.push_back(fmt::format("journal line {} is damaged", expected));
            ++expected;
        }
    }
    return scan;
}

}  // namespace cv::archive::detail

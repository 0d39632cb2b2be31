// Fuzz target for the iOS reader. Every input goes through the pieces that take bytes from
// the database apart by hand: the ZMETADATA protobuf walker (each field must lie inside the
// input and the walk must end), the reply extraction, JIDs and Core Data times. An input that
// starts with the SQLite header is also opened as a ChatStorage.sqlite and read to the end
// (through a memfd, which the reader snapshots like any file).

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/utf8.hpp"
#include "sources/ios_db/detail/clock.hpp"
#include "sources/ios_db/detail/jid.hpp"
#include "sources/ios_db/detail/protobuf.hpp"
#include "sources/ios_db/ios_db.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool inside(std::string_view part, std::string_view whole)
{
    return part.empty() ||
           (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void walk(std::string_view in, int depth)
{
    using namespace cv::ios_db::detail;
    FieldReader reader(in);
    Field f;
    std::size_t last = 0;
    while (reader.next(f)) {
        if (!inside(f.bytes, in) || reader.offset() <= last || reader.offset() > in.size() || f.number == 0)
            __builtin_trap();
        last = reader.offset();
        if (f.type == WireType::Len && depth < 4)
            walk(f.bytes, depth + 1);
    }
    if (reader.offset() > in.size())
        __builtin_trap();
}

void read_database(const std::uint8_t* data, std::size_t size)
{
    const int fd = memfd_create("fuzz-ios-db", MFD_CLOEXEC);
    if (fd < 0)
        return;
    std::size_t off = 0;
    while (off < size) {
        const ssize_t n = write(fd, data + off, size - off);
        if (n <= 0)
            break;
        off += static_cast<std::size_t>(n);
    }
    cv::ios_db::Options options;
    options.time_zone = "Europe/Madrid";
    auto source = cv::ios_db::open_ios_db("/proc/self/fd/" + std::to_string(fd), options);
    if (source) {
        cv::Item item;
        std::size_t conversation = 0;
        for (std::uint64_t i = 0; i < 100000; ++i) {
            auto more = (*source)->next(item, conversation);
            if (!more || !*more)
                break;
            if (conversation >= (*source)->conversations().size() || item.index != i ||
                !cv::is_valid(item.wall_clock) ||
                cv::utf8::first_invalid(item.text) != std::string_view::npos)
                __builtin_trap();
        }
    }
    close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace cv::ios_db::detail;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    walk(in, 0);
    const QuotedRef q = parse_quoted_ref(in);
    if (q.text && cv::utf8::first_invalid(*q.text) != std::string_view::npos)
        __builtin_trap();
    if (q.stanza_id && (q.stanza_id->size() < 16 || q.stanza_id->size() > 40))
        __builtin_trap();
    if (q.sender_jid && q.sender_jid->find('@') == std::string::npos)
        __builtin_trap();
    if (const auto jid = parse_jid(in)) {
        if (jid->user.empty() || jid->server.empty())
            __builtin_trap();
        (void)person_key(*jid);
    }
    if (const auto t = unix_from_core_data(in); t && !cv::is_valid(civil_utc(*t)))
        __builtin_trap();
    constexpr std::string_view kSqlite("SQLite format 3\0", 16);
    if (in.starts_with(kSqlite))
        read_database(data, size);
    return 0;
}

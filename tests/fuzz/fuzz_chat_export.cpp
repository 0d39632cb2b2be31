// Fuzz target for the chat-export reader: the whole path from bytes to Items — container
// sniffing (text or zip), line splitting, header recognition, date-order inference and body
// classification. Input goes through a memfd so the reader opens it like any file.

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "sources/chat_export/chat_export.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const int fd = memfd_create("fuzz-export", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    std::size_t off = 0;
    while (off < size) {
        const ssize_t n = write(fd, data + off, size - off);
        if (n <= 0)
            break;
        off += static_cast<std::size_t>(n);
    }
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    for (const char* zone : {"UTC", "Europe/Madrid"}) {
        cv::chat_export::Options options;
        options.time_zone = zone;
        auto reader = cv::chat_export::Reader::open(path, options);
        if (!reader)
            continue;
        cv::Item item;
        std::uint64_t expected_index = 0;
        while (reader->next(item)) {
            // Invariants every item must satisfy, whatever the input.
            if (item.index != expected_index++ || !cv::is_valid(item.wall_clock))
                __builtin_trap();
        }
    }
    close(fd);
    return 0;
}

// Fuzz target for rendering: any export the reader accepts must render, item by item, into
// email that is 7-bit ASCII with CRLF line ends and no line over RFC 5322's 998 octets, and
// rendering the same item twice must give the same bytes. The input goes through a memfd so
// the reader opens it like any file.

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "core/byte_sink.hpp"
#include "render/render.hpp"
#include "sources/chat_export/chat_export.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void check_wire_format(const std::string& email)
{
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < email.size(); ++i) {
        const auto c = static_cast<unsigned char>(email[i]);
        if (c >= 0x80 || c == 0)
            __builtin_trap();  // 8-bit or NUL byte in the wire form
        if (c == '\r' && (i + 1 >= email.size() || email[i + 1] != '\n'))
            __builtin_trap();  // bare CR
        if (c == '\n') {
            if (i == 0 || email[i - 1] != '\r')
                __builtin_trap();  // bare LF
            if (i - 1 - line_start > 998)
                __builtin_trap();  // line too long
            line_start = i + 1;
        }
    }
    if (!email.ends_with("\r\n"))
        __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const int fd = memfd_create("fuzz-render", MFD_CLOEXEC);
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
    cv::chat_export::Options options;
    options.time_zone = "Europe/Berlin";
    auto conversation = cv::chat_export::read_conversation(path, options);
    auto reader = cv::chat_export::Reader::open(path, options);
    if (conversation && reader) {
        auto renderer = cv::render::Renderer::create(*conversation, cv::render::Options{}, nullptr);
        if (!renderer)
            __builtin_trap();
        int budget = 200;  // keep each run short; the reader's own target covers long files
        while (const cv::Item* item = reader->next()) {
            if (budget-- == 0)
                break;
            cv::StringSink first, again;
            if (!renderer->render(*item, first) || !renderer->render(*item, again))
                __builtin_trap();  // no attachment is present, so nothing can fail
            if (first.data() != again.data())
                __builtin_trap();  // rendering must be deterministic
            check_wire_format(first.data());
        }
    }
    close(fd);
    return 0;
}

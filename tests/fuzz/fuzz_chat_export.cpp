// Fuzz target for the chat-export reader: the whole path from bytes to Items — container
// sniffing (text or zip), line splitting, header recognition, date-order inference and body
// classification. Input goes through a memfd so the reader opens it like any file. It also
// checks each shortcut against its reference: the header fast path against the general parser,
// the marker gate against the marker functions, SIMD UTF-8 validation against the portable loop,
// and the JSON item writer's fast path against the field-by-field writer.

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/item_json.hpp"
#include "core/utf8.hpp"
#include "sources/chat_export/chat_export.hpp"
#include "sources/chat_export/detail/header.hpp"
#include "sources/chat_export/detail/markers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool marker_accepts(std::string_view body)
{
    using namespace cv::chat_export::detail;
    return is_deleted_tombstone(body) || edited_marker_length(body) > 0 || media_omitted(body) ||
           attachment_marker(body) || missed_call(body) || location(body) ||
           is_system_notice(body, NoticeScope::NameFirstOnlyAfterMark) || is_marked_generated_text(body) ||
           mentions_attachment_label(body.substr(0, body.find('\n')));
}

// The JSON Lines text of `items` from the fast writer (fast = true) or the reference.
class JsonCapture {
public:
    JsonCapture() : file_(open_memstream(&data_, &size_)) {}
    ~JsonCapture()
    {
        if (file_ != nullptr)
            std::fclose(file_);
        std::free(data_);
    }
    JsonCapture(const JsonCapture&) = delete;
    JsonCapture& operator=(const JsonCapture&) = delete;
    std::FILE* file() const { return file_; }
    std::string text()
    {
        std::fflush(file_);
        return std::string(data_, size_);
    }

private:
    char* data_ = nullptr;
    std::size_t size_ = 0;
    std::FILE* file_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    // Differential: the header fast path must agree with the general parser on every line.
    {
        const std::string_view all(reinterpret_cast<const char*>(data), size);
        // Whole input too: bodies span lines, and the gate treats the first line apart.
        if (cv::chat_export::detail::may_be_marker(all) !=
            cv::chat_export::detail::may_be_marker_reference(all))
            __builtin_trap();
        cv::chat_export::detail::HeaderParser in_order;  // reuses dates between lines
        std::size_t start = 0;
        while (start <= all.size()) {
            auto nl = all.find('\n', start);
            if (nl == std::string_view::npos)
                nl = all.size();
            const auto line = all.substr(start, nl - start);
            if (cv::utf8::first_invalid(line) != cv::utf8::first_invalid_portable(line))
                __builtin_trap();  // the SIMD validator disagrees with the reference
            if (!cv::chat_export::detail::may_be_marker(line) && marker_accepts(line))
                __builtin_trap();  // the gate turned away a body some marker function accepts
            if (cv::chat_export::detail::may_be_marker(line) !=
                cv::chat_export::detail::may_be_marker_reference(line))
                __builtin_trap();  // the one-pass gate disagrees with its reference
            const auto stateless = cv::chat_export::detail::parse_header(line);
            const auto remembered = in_order.parse(line);
            if (stateless.has_value() != remembered.has_value() ||
                (stateless && !(*stateless == *remembered)))
                __builtin_trap();  // the date cache changed an answer
            if (const auto fast = cv::chat_export::detail::parse_header_fast_path(line)) {
                const auto general = cv::chat_export::detail::parse_header_general(line);
                if (!general || !(*fast == *general))
                    __builtin_trap();
            }
            start = nl + 1;
        }
    }
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
        JsonCapture fast_out, reference_out;
        if (fast_out.file() == nullptr || reference_out.file() == nullptr)
            continue;
        {
            cv::cli::JsonWriter fast_json(fast_out.file()), reference_json(reference_out.file());
            cv::cli::ItemWriter fast(fast_json);
            while (reader->next(item)) {
                // Invariants every item must satisfy, whatever the input.
                if (item.index != expected_index++ || !cv::is_valid(item.wall_clock))
                    __builtin_trap();
                fast.write(item);
                cv::cli::write_item_reference(reference_json, item);
            }
        }  // the writers flush here
        if (fast_out.text() != reference_out.text())
            __builtin_trap();  // the item writer's fast path disagrees with the reference
    }
    close(fd);
    return 0;
}

// Fuzz target for what an IMAP server sends the delivery client: arbitrary bytes as one
// response unit through parse_response, then whichever data parser the response's name
// selects (LIST, SEARCH, CAPABILITY, APPENDUID). Invariants: no crash; a parsed LIST name is
// never longer than the input; a tagged response is always OK, NO or BAD; the modified UTF-7
// encoder, given the same bytes as a folder name, emits printable ASCII only.

#include <cstdint>
#include <string_view>

#include "deliver/imap/mutf7.hpp"
#include "deliver/imap/response.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace cv::deliver::imap;
    const std::string_view unit(reinterpret_cast<const char*>(data), size);
    if (auto r = parse_response(unit)) {
        if (r->kind == Response::Kind::Tagged && r->name != "OK" && r->name != "NO" && r->name != "BAD")
            __builtin_trap();
        if (r->name == "LIST" || r->name == "LSUB") {
            if (auto e = parse_list(r->rest); e && e->name.size() > size)
                __builtin_trap();
        } else if (r->name == "SEARCH") {
            (void)parse_search(r->rest);
        } else if (r->name == "CAPABILITY") {
            (void)parse_capabilities(r->rest);
        }
        (void)appended_uid(r->code_args);
    }
    if (auto name = encode_mailbox_name(unit))
        for (const char c : *name)
            if (c < 0x20 || c > 0x7e)
                __builtin_trap();
    return 0;
}

// Fuzz target for connector documents (the REST API's body, stored connectors and run
// records) and schedule texts. The first byte picks the reader, the rest is its input.
// Invariants: no crash; every error has a message; whatever reads writes back to JSON (or
// text) that reads as the same value; next_run of a schedule that parsed is after its start.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "connector/connector.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

template <class T, class Read> void round_trip(const cv::Result<T>& first, Read read)
{
    if (!first) {
        if (first.error().message().empty())
            std::abort();
        return;
    }
    const auto again = read(cv::connector::to_json(*first));
    if (!again || !(*again == *first))
        std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace con = cv::connector;
    if (size == 0)
        return 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 3) {
    case 0: round_trip(con::parse_connector(text), con::parse_connector); break;
    case 1: round_trip(con::parse_run(text), con::parse_run); break;
    default: {
        const auto s = con::parse_schedule(text);
        if (!s) {
            if (s.error().message().empty())
                std::abort();
            break;
        }
        const auto again = con::parse_schedule(con::to_string(*s));
        if (!again || !(*again == *s))
            std::abort();
        constexpr std::int64_t kStart = 1795000000;
        for (const char* zone : {"UTC", "Europe/Berlin"}) {
            const auto next = con::next_run(*s, kStart, kStart, zone);
            if (next && *next <= kStart)
                std::abort();
        }
        break;
    }
    }
    return 0;
}

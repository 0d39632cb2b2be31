// Fuzz target for the compliance documents (holds, policies, cases read back from the archive)
// and the period and action words of the `retention policy` options. The first byte picks the
// reader, the rest is its input. Invariants: no crash; every error has a message; whatever
// reads writes back to JSON that reads as the same value.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "compliance/governance/governance.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

template <class T, class Read> void round_trip(const cv::Result<T>& first, Read read)
{
    namespace gov = cv::compliance::governance;
    if (!first) {
        if (first.error().message().empty())
            std::abort();
        return;
    }
    const auto again = read(gov::to_json(*first));
    if (!again || !(*again == *first))
        std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace gov = cv::compliance::governance;
    if (size == 0)
        return 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 5) {
    case 0: round_trip(gov::hold_from_json(text), gov::hold_from_json); break;
    case 1: round_trip(gov::policy_from_json(text), gov::policy_from_json); break;
    case 2: round_trip(gov::case_from_json(text), gov::case_from_json); break;
    case 3:
        if (const auto p = gov::parse_period(text); !p && p.error().message().empty())
            std::abort();
        break;
    default:
        if (const auto a = gov::parse_action(text); !a && a.error().message().empty())
            std::abort();
        break;
    }
    return 0;
}

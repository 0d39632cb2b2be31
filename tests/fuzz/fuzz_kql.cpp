// Fuzz target for the content-search query language: arbitrary bytes as a query, parsed in a
// zone with DST (Europe/Madrid) at a fixed `now`. Invariants: no crash; whatever parses reads
// back from its explanation as the same query (parse(to_string(parse(q))) == parse(q)) and
// explains identically the second time; every error message starts "column N: " with N
// within the query (1 .. characters + 1, the last for something missing at the end).

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "compliance/query/query.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

const cv::TimeZone& madrid()
{
    static const cv::TimeZone zone = *cv::TimeZone::locate("Europe/Madrid");
    return zone;
}

std::size_t characters(std::string_view s)
{
    std::size_t n = 0;
    for (const char c : s)
        n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace q = cv::compliance::query;
    constexpr std::int64_t kNow = 1711886400;  // 2024-03-31T12:00:00Z, a DST change in Madrid
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto parsed = q::parse(text, madrid(), kNow);
    if (!parsed) {
        const std::string& m = parsed.error().message();
        if (m.rfind("column ", 0) != 0)
            __builtin_trap();
        char* end = nullptr;
        const unsigned long column = std::strtoul(m.c_str() + 7, &end, 10);
        if (end == nullptr || *end != ':' || column < 1 || column > characters(text) + 1)
            __builtin_trap();
        return 0;
    }
    const std::string explained = q::to_string(*parsed);
    const auto again = q::parse(explained, madrid(), kNow);
    if (!again || !(*again == *parsed) || q::to_string(*again) != explained)
        __builtin_trap();
    return 0;
}

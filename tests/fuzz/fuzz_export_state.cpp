// Fuzz target for what a resumed eDiscovery export reads back from its folder: the load file
// (RFC 4180 CSV, possibly cut short by a kill) and the job file (JSON). Invariants: no crash;
// the complete rows end within the input, in order; every row parsed formats back to text that
// parses to the same row; a job that parses writes back to text that parses to the same job.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "compliance/export/detail/job.hpp"
#include "compliance/export/export.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace ex = cv::compliance::exports;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (const bool header : {true, false}) {
        auto parsed = ex::parse_load_file(text, header);
        if (!parsed)
            continue;
        if (parsed->complete_bytes > size || parsed->row_ends.size() != parsed->rows.size())
            std::abort();
        std::uint64_t last = 0;
        for (std::size_t i = 0; i < parsed->rows.size(); ++i) {
            if (parsed->row_ends[i] <= last || parsed->row_ends[i] > parsed->complete_bytes)
                std::abort();
            last = parsed->row_ends[i];
            const std::string again = ex::format_row(parsed->rows[i]);
            auto back = ex::parse_load_file(again, false);
            if (!back || back->rows.size() != 1 || !(back->rows[0] == parsed->rows[i]) ||
                back->complete_bytes != again.size())
                std::abort();
        }
    }
    auto job = ex::detail::parse_job(text, "job.json");
    if (job) {
        auto back = ex::detail::parse_job(ex::detail::job_text(*job), "job.json");
        if (!back || !(*back == *job))
            std::abort();
    }
    return 0;
}

// Google Benchmark for the reader's per-line functions: header recognition (fast path and
// general parser), UTF-8 validation and the marker gate. Run: build/bench/reader_functions_bench

#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/utf8.hpp"
#include "sources/chat_export/detail/header.hpp"
#include "sources/chat_export/detail/markers.hpp"

namespace {

using namespace cv::chat_export::detail;

const std::vector<std::string>& header_lines()
{
    static const std::vector<std::string> lines = {
        "23/03/2022, 13:31 - Anna Schmidt: Morning, numbers are in",
        "[3/27/22, 21:41:35] Dmitry S: Hello World",
        "3/6/18, 1:55\xE2\x80\xAFPM - Ben: late again",
        "\xE2\x80\x8E[13/11/2025, 12:25:55\xE2\x80\xAFPM] Shop: \xE2\x80\x8Eimage omitted",
        "13.6.2018 klo 21.25.15 - Mika: terve",
        "This line is a continuation and not a header at all",
    };
    return lines;
}

void BM_ParseHeader(benchmark::State& state)
{
    const auto& line = header_lines()[static_cast<std::size_t>(state.range(0))];
    for (auto _ : state)
        benchmark::DoNotOptimize(parse_header(line));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * line.size()));
}
BENCHMARK(BM_ParseHeader)->DenseRange(0, 5);

void BM_ParseHeaderGeneral(benchmark::State& state)
{
    const auto& line = header_lines()[static_cast<std::size_t>(state.range(0))];
    for (auto _ : state)
        benchmark::DoNotOptimize(parse_header_general(line));
}
BENCHMARK(BM_ParseHeaderGeneral)->DenseRange(0, 1);

void BM_Utf8Validate(benchmark::State& state)
{
    std::string text;
    while (text.size() < 1 << 20)
        text += state.range(0) ? "Caf\xC3\xA9 \xF0\x9F\x98\x82 na\xC3\xAFve \xE4\xBD\xA0\xE5\xA5\xBD text "
                               : "plain ascii chat text ";
    for (auto _ : state)
        benchmark::DoNotOptimize(cv::utf8::first_invalid(text));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_Utf8Validate)->Arg(0)->Arg(1);

void BM_MarkerGate(benchmark::State& state)
{
    const std::string body =
        state.range(0) ? "\xE2\x80\x8Eimage omitted" : "Sounds good, see you at the lobby at ten";
    for (auto _ : state)
        benchmark::DoNotOptimize(may_be_marker(body));
}
BENCHMARK(BM_MarkerGate)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();

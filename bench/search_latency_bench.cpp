// Google Benchmark for content search in process: `cv::compliance::search::search` (plan, SQL,
// 20 hits with snippets) on an archive opened once. Each query is one benchmark; every
// iteration is timed on its own, and the counters p50_ms / p95_ms / hits are computed from those
// times. The archive is the one bench/search_latency.py builds (the queries are its list):
//
//   CV_SEARCH_ARCHIVE=/work/search-data/search-1000000-100/archive CV_SEARCH_RUNS=90
//       build/bench/search_latency_bench
//
// Without CV_SEARCH_ARCHIVE every benchmark is skipped (it is never part of ctest).

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "archive/archive.hpp"
#include "compliance/query/query.hpp"
#include "compliance/search/search.hpp"

namespace {

struct Named {
    const char* name;
    const char* query;
};

// The same rows as bench/search_latency.py's QUERIES (names with `_` for what is not a letter).
constexpr Named kQueries[] = {
    {"word", "Zurich"},
    {"phrase", "\"quarterly forecast\""},
    {"from", "from:\"Lena Fischer\""},
    {"date_range", "sent:2021-03-01..2021-03-02"},
    {"near", "merger NEAR(3) confidential"},
    {"near_common_words", "booked NEAR(5) hotel"},
    {"combined", "weekend from:\"Lena Fischer\" sent:2020-01-01..2022-12-31"},
    {"common_word", "the"},
    {"from_the_owner", "from:\"Anna Schmidt\""},
};

std::optional<cv::archive::Archive>& archive()
{
    static std::optional<cv::archive::Archive> a = []() -> std::optional<cv::archive::Archive> {
        const char* dir = std::getenv("CV_SEARCH_ARCHIVE");
        if (!dir)
            return std::nullopt;
        auto opened = cv::archive::Archive::open(dir);
        if (!opened)
            return std::nullopt;
        return std::move(*opened);
    }();
    return a;
}

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size()) + 0.5);
    return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

void run_query(benchmark::State& state, const char* text)
{
    auto& a = archive();
    if (!a) {
        state.SkipWithError("set CV_SEARCH_ARCHIVE to an archive built by bench/search_latency.py");
        return;
    }
    const auto zone = cv::TimeZone::locate("UTC");
    const auto q = cv::compliance::query::parse(text, *zone, static_cast<std::int64_t>(std::time(nullptr)));
    if (!q) {
        state.SkipWithError("bad query");
        return;
    }
    cv::compliance::search::SearchOptions options;
    options.limit = 20;
    std::vector<double> ms;
    std::uint64_t hits = 0;
    for (auto _ : state) {
        const auto start = std::chrono::steady_clock::now();
        auto r = cv::compliance::search::search(*a, *q, options);
        const auto end = std::chrono::steady_clock::now();
        if (!r) {
            state.SkipWithError(r.error().message().c_str());
            return;
        }
        hits = r->total;
        benchmark::DoNotOptimize(r);
        ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
    state.counters["hits"] = static_cast<double>(hits);
    state.counters["p50_ms"] = percentile(ms, 50);
    state.counters["p95_ms"] = percentile(ms, 95);
}

const bool registered = [] {
    const char* runs = std::getenv("CV_SEARCH_RUNS");
    const long n = runs ? std::strtol(runs, nullptr, 10) : 0;
    for (const auto& q : kQueries) {
        auto* b = benchmark::RegisterBenchmark((std::string("search/") + q.name).c_str(), run_query, q.query);
        b->Unit(benchmark::kMillisecond)->UseRealTime();
        if (n > 0)
            b->Iterations(n);
    }
    return true;
}();

}  // namespace

BENCHMARK_MAIN();

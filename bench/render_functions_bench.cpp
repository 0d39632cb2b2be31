// Google Benchmark for the renderer's functions: one item to an in-memory sink (no files),
// and the transfer encodings on their own. Run by hand: build/bench/render_functions_bench.

#include <benchmark/benchmark.h>

#include "render/detail/mime.hpp"
#include "render/render.hpp"

namespace {

cv::Conversation group()
{
    cv::Conversation c;
    c.title = "Treasury ✦ Ops";
    c.group = true;
    for (const char* name : {"Sofia Marquez", "+44 7700 900461", "مريم حداد", "Kenji Sato", "Jörg Müller"})
        c.members.push_back(cv::Person{name, cv::phone_from_display_name(name), {}, {}});
    return c;
}

cv::Item message(std::uint64_t index)
{
    cv::Item item;
    item.index = index;
    item.line = index + 1;
    item.author = "Kenji Sato";
    item.wall_clock = {2026, 11, 24, 10, 5, 0};
    item.wall_clock_text = "24/11/2026, 10:05";
    item.utc = 1795597500 + static_cast<std::int64_t>(index) * 60;
    item.text = "Settlement window moves to 16:00 today, please confirm 👍 — Überweisung folgt";
    return item;
}

void BM_RenderItem(benchmark::State& state)
{
    auto renderer = cv::render::Renderer::create(group(), cv::render::Options{}, nullptr);
    if (!renderer) {
        state.SkipWithError("renderer");
        return;
    }
    std::uint64_t i = 0;
    std::uint64_t bytes = 0;
    for (auto _ : state) {
        cv::CountingSink sink;
        auto r = renderer->render(message(i++), sink);
        benchmark::DoNotOptimize(r);
        bytes += sink.bytes();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_RenderItem);

void BM_QuotedPrintable(benchmark::State& state)
{
    std::string text;
    while (text.size() < 64 * 1024)
        text += "Settlement window moves to 16:00 today = fine, Überweisung folgt 👍\n";
    std::string out;
    for (auto _ : state) {
        out.clear();
        cv::render::detail::append_quoted_printable(out, text);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_QuotedPrintable);

void BM_Base64(benchmark::State& state)
{
    const std::string bytes(57 * 1024, '\x5a');
    std::string out;
    for (auto _ : state) {
        out.clear();
        cv::render::detail::append_base64(out, bytes);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_Base64);

}  // namespace

BENCHMARK_MAIN();

// A load generator for `chatvault serve`'s Cloud API webhook: N signed notifications (one text
// message each, distinct wamids) POSTed from T threads over keep-alive connections, as Meta's
// delivery would. Prints one JSON line: events, seconds, events/s, latency percentiles (ms),
// and how many were not answered 200. Driven by bench/webhook_throughput.py.
//
//   webhook_load --port P --connector NAME --secret S [--events N] [--threads T]
//
// The HMAC is computed before the clock starts: the figure is the service's, not the signer's.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace {

std::string signature(std::string_view secret, std::string_view body)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
    std::string out = "sha256=";
    for (unsigned i = 0; i < len; ++i)
        out += fmt::format("{:02x}", mac[i]);
    return out;
}

// A notification shaped as spec §A.2/§A.3; the wamid is not the decodable layout (the
// archive falls back to a hash of it), which is fine for load.
std::string notification(std::size_t n, std::int64_t ts)
{
    return fmt::format(
        R"({{"object":"whatsapp_business_account","entry":[{{"id":"102938475610293","changes":[{{"field":"messages",)"
        R"("value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"4930123456",)"
        R"("phone_number_id":"111222333444555"}},"contacts":[{{"profile":{{"name":"Load Tester {}"}},)"
        R"("wa_id":"49151{:08}"}}],"messages":[{{"from":"49151{:08}","id":"wamid.load-{:012}","timestamp":"{}",)"
        R"("type":"text","text":{{"body":"load test message {} about the quarterly hedge ratio"}}}}]}}}}]}}]}})",
        n % 100, n % 100, n % 100, n, ts + static_cast<std::int64_t>(n), n);
}

}  // namespace

int main(int argc, char** argv)
{
    int port = 0;
    std::string connector = "waba", secret;
    std::size_t events = 20000, threads = 32;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view a = argv[i];
        if (a == "--port")
            port = std::atoi(argv[i + 1]);
        else if (a == "--connector")
            connector = argv[i + 1];
        else if (a == "--secret")
            secret = argv[i + 1];
        else if (a == "--events")
            events = std::strtoull(argv[i + 1], nullptr, 10);
        else if (a == "--threads")
            threads = std::strtoull(argv[i + 1], nullptr, 10);
    }
    if (port <= 0 || secret.empty() || threads == 0) {
        std::fprintf(
            stderr,
            "usage: webhook_load --port P --secret S [--connector NAME] [--events N] [--threads T]\n");
        return 64;
    }
    const auto ts = static_cast<std::int64_t>(std::time(nullptr)) - 86400;
    std::vector<std::pair<std::string, std::string>> bodies(events);
    for (std::size_t n = 0; n < events; ++n) {
        bodies[n].first = notification(n, ts);
        bodies[n].second = signature(secret, bodies[n].first);
    }
    const std::string path = "/webhooks/cloud-api/" + connector;
    std::vector<std::vector<double>> latencies(threads);
    std::atomic<std::size_t> next{0}, failed{0}, resent{0};
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            httplib::Client client("127.0.0.1", port);
            client.set_keep_alive(true);
            client.set_tcp_nodelay(true);
            client.set_read_timeout(60, 0);
            for (;;) {
                const std::size_t n = next++;
                if (n >= events)
                    return;
                const httplib::Headers headers{{"X-Hub-Signature-256", bodies[n].second}};
                const auto t0 = std::chrono::steady_clock::now();
                auto res = client.Post(path, headers, bodies[n].first, "application/json");
                if (!res) {
                    // The server closed a kept-alive connection as this request went out (it
                    // does after keep_alive_max_count requests): a sender sends again.
                    ++resent;
                    res = client.Post(path, headers, bodies[n].first, "application/json");
                }
                const auto t1 = std::chrono::steady_clock::now();
                latencies[t].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
                if (!res || res->status != 200)
                    ++failed;
            }
        });
    for (auto& th : pool)
        th.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<double> all;
    for (const auto& l : latencies)
        all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) {
        return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<std::size_t>(p * all.size()))];
    };
    fmt::print(R"({{"events":{},"threads":{},"seconds":{:.3f},"events_per_second":{:.0f},"p50_ms":{:.2f},)"
               R"("p95_ms":{:.2f},"p99_ms":{:.2f},"max_ms":{:.2f},"resent":{},"failed":{}}})"
               "\n",
               events, threads, seconds, static_cast<double>(events) / seconds, pct(0.50), pct(0.95),
               pct(0.99), all.empty() ? 0.0 : all.back(), resent.load(), failed.load());
    return failed ? 1 : 0;
}

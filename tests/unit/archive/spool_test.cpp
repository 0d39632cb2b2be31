// The webhook spool: many threads appending at once (group commit) each get their own number
// and their exact bytes back, in order; done() forgets what was imported; a reopened spool has
// what was acknowledged; nothing is stored in the clear; an altered event is named, not
// returned; media wait with their event.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "archive/archive.hpp"
#include "archive/spool.hpp"
#include "sqlite/sqlite.hpp"

namespace cv::archive {
namespace {

namespace fs = std::filesystem;

class SpoolTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        dir_ = fs::temp_directory_path() / ("cv-spool-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        ASSERT_TRUE(Archive::create(dir_));
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string file_bytes(const fs::path& p)
    {
        std::ifstream in(p, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

    fs::path dir_;
};

TEST_F(SpoolTest, ConcurrentAppendsGetDistinctNumbersAndTheirBytes)
{
    auto spool = Spool::open(dir_);
    ASSERT_TRUE(spool) << spool.error().describe();
    constexpr int kThreads = 16, kEach = 40;
    std::vector<std::vector<std::uint64_t>> seqs(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                auto seq = spool->append("waba", 1000 + t,
                                         "{\"t\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + "}");
                ASSERT_TRUE(seq) << seq.error().describe();
                seqs[t].push_back(*seq);
            }
        });
    for (auto& th : threads)
        th.join();
    std::set<std::uint64_t> all;
    for (const auto& s : seqs) {
        EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));  // one thread's appends keep their order
        all.insert(s.begin(), s.end());
    }
    EXPECT_EQ(all.size(), std::size_t{kThreads * kEach});

    auto pending = spool->pending("waba", 100000);
    ASSERT_TRUE(pending) << pending.error().describe();
    ASSERT_EQ(pending->size(), std::size_t{kThreads * kEach});
    for (std::size_t i = 1; i < pending->size(); ++i)
        EXPECT_LT((*pending)[i - 1].seq, (*pending)[i].seq);
    for (const auto& e : *pending) {
        // The body is the one its thread sent with its receive time.
        const int t = static_cast<int>(e.received - 1000);
        EXPECT_EQ(e.body.rfind("{\"t\":" + std::to_string(t) + ",", 0), 0u) << e.body;
    }
    auto other = spool->pending("other", 10);
    ASSERT_TRUE(other);
    EXPECT_TRUE(other->empty());
}

TEST_F(SpoolTest, DoneForgetsImportedEventsAndNumbersAreNeverReused)
{
    std::uint64_t last = 0;
    {
        auto spool = Spool::open(dir_);
        ASSERT_TRUE(spool);
        for (int i = 0; i < 5; ++i)
            last = spool->append("waba", 1, "event " + std::to_string(i)).value();
        ASSERT_TRUE(spool->done("waba", last - 2));
        auto waiting = spool->waiting("waba");
        ASSERT_TRUE(waiting);
        EXPECT_EQ(*waiting, 2u);
    }
    auto spool = Spool::open(dir_);  // reopened: what was acknowledged is there
    ASSERT_TRUE(spool);
    auto pending = spool->pending("waba", 10);
    ASSERT_TRUE(pending);
    ASSERT_EQ(pending->size(), 2u);
    EXPECT_EQ((*pending)[0].body, "event 3");
    EXPECT_EQ((*pending)[1].body, "event 4");
    ASSERT_TRUE(spool->done("waba", last));
    auto next = spool->append("waba", 2, "after");
    ASSERT_TRUE(next);
    EXPECT_GT(*next, last);
}

TEST_F(SpoolTest, NothingIsStoredInTheClearAndAlterationsAreNamed)
{
    const std::string canary = "canary-7d1e2f-webhook-body";
    {
        auto spool = Spool::open(dir_);
        ASSERT_TRUE(spool);
        ASSERT_TRUE(spool->append("waba", 5, "{\"text\":\"" + canary + "\"}"));
        ASSERT_TRUE(spool->put_media("waba", "media-1", 1, canary + "-media"));
    }
    for (const auto& e : fs::directory_iterator(dir_)) {
        if (e.path().filename().string().starts_with("spool")) {
            EXPECT_EQ(file_bytes(e.path()).find(canary), std::string::npos) << e.path();
        }
    }
    {
        auto db = sqlite::Database::open((dir_ / "spool.db").string(), false);
        ASSERT_TRUE(db);
        ASSERT_TRUE(db->exec("UPDATE events SET channel = 'other'"));  // moved to another connector
    }
    auto spool = Spool::open(dir_);
    ASSERT_TRUE(spool);
    auto pending = spool->pending("other", 10);
    ASSERT_FALSE(pending);
    EXPECT_NE(pending.error().describe().find("event 1 of other"), std::string::npos)
        << pending.error().describe();
}

TEST_F(SpoolTest, MediaWaitForTheirEvent)
{
    auto spool = Spool::open(dir_);
    ASSERT_TRUE(spool);
    const auto seq = spool->append("waba", 1, "{}").value();
    const std::string bytes(300000, '\x7f');
    ASSERT_TRUE(spool->put_media("waba", "m1", seq, bytes));
    auto got = spool->media("waba", "m1");
    ASSERT_TRUE(got && *got);
    EXPECT_EQ(**got, bytes);
    auto absent = spool->media("waba", "m2");
    ASSERT_TRUE(absent);
    EXPECT_FALSE(*absent);
    ASSERT_TRUE(spool->done("waba", seq));
    got = spool->media("waba", "m1");
    ASSERT_TRUE(got);
    EXPECT_FALSE(*got);
}

}  // namespace
}  // namespace cv::archive

#include "archive/detail/journal.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace cv::archive::detail {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        path_ = fs::temp_directory_path() / ("cv-journal-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove(path_);
    }
    void TearDown() override { fs::remove(path_); }

    JournalHead write_three()
    {
        auto j = Journal::open(path_, JournalHead{});
        EXPECT_TRUE(j);
        JournalHead head;
        for (int i = 1; i <= 3; ++i) {
            auto h = j->append("{\"type\":\"test\",\"n\":" + std::to_string(i) + "}");
            EXPECT_TRUE(h);
            head = *h;
        }
        return head;
    }

    std::string read() const
    {
        std::ifstream in(path_, std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    void write(const std::string& text) const { std::ofstream(path_, std::ios::binary) << text; }

    fs::path path_;
};

TEST_F(JournalTest, AnUnbrokenChainScansClean)
{
    const auto head = write_three();
    EXPECT_EQ(head.seq, 3u);
    EXPECT_EQ(head.length, fs::file_size(path_));
    auto scan = scan_journal(path_);
    ASSERT_TRUE(scan);
    EXPECT_TRUE(scan->problems.empty());
    ASSERT_EQ(scan->entries.size(), 3u);
    EXPECT_EQ(scan->entries.back().hash, head.hash);
}

TEST_F(JournalTest, AnAlteredEntryIsFound)
{
    write_three();
    std::string text = read();
    text.replace(text.find("\"n\":2"), 5, "\"n\":9");
    write(text);
    auto scan = scan_journal(path_);
    ASSERT_TRUE(scan);
    ASSERT_FALSE(scan->problems.empty());
    EXPECT_NE(scan->problems.front().find("entry 2 was altered"), std::string::npos)
        << scan->problems.front();
}

TEST_F(JournalTest, ARemovedEntryBreaksTheChain)
{
    write_three();
    std::string text = read();
    const auto second = text.find('\n') + 1;
    text.erase(second, text.find('\n', second) + 1 - second);
    write(text);
    auto scan = scan_journal(path_);
    ASSERT_TRUE(scan);
    EXPECT_FALSE(scan->problems.empty());
}

TEST_F(JournalTest, OpenCutsAnUncommittedTailAndRefusesACutJournal)
{
    const auto head = write_three();
    JournalHead committed = head;
    // The archive committed only two entries: the third is a tail from a crash.
    {
        auto scan = scan_journal(path_);
        committed.seq = 2;
        committed.hash = scan->entries[1].hash;
        committed.length = head.length - (read().size() - read().rfind('\n', read().size() - 2) - 1);
    }
    auto j = Journal::open(path_, committed);
    ASSERT_TRUE(j);
    EXPECT_EQ(fs::file_size(path_), committed.length);
    auto next = j->append("{\"type\":\"test\",\"n\":3}");
    ASSERT_TRUE(next);
    EXPECT_EQ(next->seq, 3u);
    EXPECT_TRUE(scan_journal(path_)->problems.empty());

    JournalHead longer = *next;
    longer.length += 100;
    auto cut = Journal::open(path_, longer);
    ASSERT_FALSE(cut);
    EXPECT_EQ(cut.error().code(), ErrorCode::Parse);
}

}  // namespace
}  // namespace cv::archive::detail

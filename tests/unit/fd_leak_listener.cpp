// Fails any test that leaves a file descriptor open (STYLE.md §12): the reader juggles files,
// zip handles and memfds, and a leak there would only show after thousands of imports.

#include <filesystem>

#include <gtest/gtest.h>

namespace {

std::size_t open_fds()
{
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
        ++n;
    return n;
}

class FdLeakListener : public testing::EmptyTestEventListener {
    void OnTestStart(const testing::TestInfo&) override { before_ = open_fds(); }
    void OnTestEnd(const testing::TestInfo& info) override
    {
        const auto after = open_fds();
        if (after > before_)
            ADD_FAILURE() << info.name() << " leaked " << (after - before_) << " file descriptor(s)";
    }
    std::size_t before_ = 0;
};

}  // namespace

int main(int argc, char** argv)
{
    testing::InitGoogleTest(&argc, argv);
    testing::UnitTest::GetInstance()->listeners().Append(new FdLeakListener);  // gtest owns it
    return RUN_ALL_TESTS();
}

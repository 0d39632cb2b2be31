#include "core/result.hpp"

#include <gtest/gtest.h>

namespace cv {
namespace {

Result<int> parse_positive(int v)
{
    if (v <= 0)
        return fail(ErrorCode::InvalidArgument, "not positive");
    return v;
}

Result<int> doubled(int v)
{
    CV_TRY(const int x, parse_positive(v));
    return x * 2;
}

TEST(Result, TryPropagatesValueAndError)
{
    EXPECT_EQ(doubled(4).value(), 8);
    const auto r = doubled(-1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::InvalidArgument);
}

TEST(Error, ContextReadsOutermostFirst)
{
    Error e = Error(ErrorCode::Parse, "bad header").with_context("line 3").with_context("reading x.txt");
    EXPECT_EQ(e.describe(), "reading x.txt: line 3: bad header");
}

TEST(Error, ExitCodesFollowSysexits)
{
    EXPECT_EQ(exit_code(ErrorCode::InvalidArgument), 64);
    EXPECT_EQ(exit_code(ErrorCode::Parse), 65);
    EXPECT_EQ(exit_code(ErrorCode::NotFound), 66);
    EXPECT_EQ(exit_code(ErrorCode::Io), 74);
}

}  // namespace
}  // namespace cv

// Sessions (idle and absolute expiry, removal, CSRF), the login throttle, and the Cookie and
// Authorization header parsers.

#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "server/auth/auth.hpp"

namespace cv::auth {
namespace {

constexpr std::int64_t kT0 = 1'790'000'000;

Principal ana()
{
    return Principal{"ana", {Role::Auditor}, std::nullopt};
}

TEST(AuthSessions, CreateAndFind)
{
    Sessions s;
    const auto a = s.create(ana(), kT0);
    EXPECT_EQ(a.id.size(), 43u) << "256 bits in base64url without padding";
    EXPECT_EQ(a.csrf.size(), 43u);
    EXPECT_NE(a.id, a.csrf);
    for (const char c : a.id + a.csrf)
        EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << c;
    const auto b = s.create(ana(), kT0);
    EXPECT_NE(a.id, b.id);
    const auto found = s.find(a.id, kT0 + 5);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, a.id);
    EXPECT_EQ(found->csrf, a.csrf);
    EXPECT_EQ(found->principal, ana());
    EXPECT_EQ(found->created, kT0);
    EXPECT_EQ(found->last_seen, kT0 + 5);
    EXPECT_FALSE(s.find("", kT0));
    EXPECT_FALSE(s.find(a.id.substr(1), kT0));
    EXPECT_FALSE(s.find(a.csrf, kT0)) << "the CSRF token is not a session id";
}

TEST(AuthSessions, IdleTimeout)
{
    Sessions s;
    const auto a = s.create(ana(), kT0);
    // Used every 29 minutes: stays alive well past 30 minutes.
    std::int64_t t = kT0;
    for (int i = 0; i < 10; ++i) {
        t += Sessions::kIdleSeconds - 60;
        ASSERT_TRUE(s.find(a.id, t)) << i;
    }
    EXPECT_TRUE(s.find(a.id, t + Sessions::kIdleSeconds - 1));
    const std::int64_t last = t + Sessions::kIdleSeconds - 1;
    EXPECT_FALSE(s.find(a.id, last + Sessions::kIdleSeconds)) << "30 minutes idle";
    EXPECT_FALSE(s.find(a.id, last + 1)) << "and gone for good";
}

TEST(AuthSessions, AbsoluteExpiry)
{
    Sessions s;
    const auto a = s.create(ana(), kT0);
    std::int64_t t = kT0;
    while (t + 600 < kT0 + Sessions::kAbsoluteSeconds) {
        t += 600;
        ASSERT_TRUE(s.find(a.id, t));
    }
    EXPECT_FALSE(s.find(a.id, kT0 + Sessions::kAbsoluteSeconds)) << "12 hours, however busy";
}

TEST(AuthSessions, RemoveAndRemoveUser)
{
    Sessions s;
    const auto a1 = s.create(ana(), kT0);
    const auto a2 = s.create(ana(), kT0);
    const auto b = s.create(Principal{"bo", {Role::Reviewer}, std::nullopt}, kT0);
    EXPECT_EQ(s.size(), 3u);
    s.remove(a1.id);
    EXPECT_FALSE(s.find(a1.id, kT0));
    EXPECT_TRUE(s.find(a2.id, kT0));
    s.remove_user("ana");
    EXPECT_FALSE(s.find(a2.id, kT0));
    EXPECT_TRUE(s.find(b.id, kT0));
    // Expired sessions are dropped when new ones are made.
    s.create(ana(), kT0 + Sessions::kAbsoluteSeconds);
    EXPECT_EQ(s.size(), 1u);
}

TEST(AuthSessions, CsrfCompare)
{
    Sessions s;
    const auto a = s.create(ana(), kT0);
    EXPECT_TRUE(Sessions::csrf_matches(a, a.csrf));
    EXPECT_FALSE(Sessions::csrf_matches(a, ""));
    EXPECT_FALSE(Sessions::csrf_matches(a, a.csrf.substr(0, 42)));
    EXPECT_FALSE(Sessions::csrf_matches(a, a.csrf + "x"));
    std::string flipped = a.csrf;
    flipped[20] = flipped[20] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(Sessions::csrf_matches(a, flipped));
    EXPECT_FALSE(Sessions::csrf_matches(a, a.id));
    Sessions::Session empty;
    EXPECT_FALSE(Sessions::csrf_matches(empty, "")) << "no token set: nothing matches";
}

TEST(AuthSessions, ThreadSafe)
{
    Sessions s;
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&s, i] {
            for (int j = 0; j < 200; ++j) {
                const auto x =
                    s.create(Principal{"u" + std::to_string(i), {Role::Auditor}, std::nullopt}, kT0 + j);
                EXPECT_TRUE(s.find(x.id, kT0 + j));
                if (j % 2 == 0)
                    s.remove(x.id);
            }
        });
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(s.size(), 400u);
}

TEST(AuthThrottle, TenAttemptsAMinutePerAddress)
{
    LoginThrottle t;
    for (std::size_t i = 0; i < LoginThrottle::kAttempts; ++i) {
        EXPECT_FALSE(t.retry_after("10.0.0.1", kT0 + static_cast<std::int64_t>(i)));
        t.note_attempt("10.0.0.1", kT0 + static_cast<std::int64_t>(i));
    }
    const auto wait = t.retry_after("10.0.0.1", kT0 + 10);
    ASSERT_TRUE(wait);
    EXPECT_EQ(*wait, 50) << "the first attempt leaves the window at T0+60";
    EXPECT_FALSE(t.retry_after("10.0.0.2", kT0 + 10)) << "other addresses are not affected";
    EXPECT_EQ(t.retry_after("10.0.0.1", kT0 + 59), 1);
    EXPECT_FALSE(t.retry_after("10.0.0.1", kT0 + 60));
    t.note_attempt("10.0.0.1", kT0 + 60);
    EXPECT_TRUE(t.retry_after("10.0.0.1", kT0 + 60)) << "nine left in the window plus this one";
    EXPECT_FALSE(t.retry_after("10.0.0.1", kT0 + 200));
}

TEST(AuthThrottle, ManyAddressesDoNotGrowWithoutBound)
{
    LoginThrottle t;
    for (int i = 0; i < 50'000; ++i)
        t.note_attempt("addr" + std::to_string(i), kT0 + i / 100);
    // Old addresses are forgotten; the newest still count.
    t.note_attempt("x", kT0 + 1000);
    for (int i = 0; i < 9; ++i)
        t.note_attempt("x", kT0 + 1000);
    EXPECT_TRUE(t.retry_after("x", kT0 + 1000));
}

TEST(AuthHeaders, Cookies)
{
    EXPECT_EQ(cookie_value("cv_session=abc", "cv_session"), "abc");
    EXPECT_EQ(cookie_value("a=1; cv_session=abc; b=2", "cv_session"), "abc");
    EXPECT_EQ(cookie_value("a=1;cv_session=abc", "cv_session"), "abc");
    EXPECT_EQ(cookie_value("  cv_session = abc  ;", "cv_session"), "abc");
    EXPECT_EQ(cookie_value("cv_session=\"abc\"", "cv_session"), "abc");
    EXPECT_EQ(cookie_value("cv_session=", "cv_session"), "");
    EXPECT_EQ(cookie_value("cv_session=a=b", "cv_session"), "a=b");
    EXPECT_EQ(cookie_value("cv_session=first; cv_session=second", "cv_session"), "first");
    EXPECT_EQ(cookie_value("xcv_session=abc; cv_sessionx=def", "cv_session"), std::nullopt);
    EXPECT_EQ(cookie_value("CV_SESSION=abc", "cv_session"), std::nullopt) << "names compare exactly";
    EXPECT_EQ(cookie_value("cv_session", "cv_session"), std::nullopt);
    EXPECT_EQ(cookie_value("", "cv_session"), std::nullopt);
    EXPECT_EQ(cookie_value(";;;", "cv_session"), std::nullopt);
    EXPECT_EQ(cookie_value("a=1", ""), std::nullopt);
    EXPECT_EQ(cookie_value("cv_session=\"", "cv_session"), "\"");
}

TEST(AuthHeaders, Bearer)
{
    const std::string token = "cvt_0123456789abcdef_" + std::string(64, 'f');
    EXPECT_EQ(bearer_token("Bearer " + token), token);
    EXPECT_EQ(bearer_token("bearer " + token), token);
    EXPECT_EQ(bearer_token("BEARER   " + token + "  "), token);
    EXPECT_EQ(bearer_token("Bearer abc/+.~-_=="), "abc/+.~-_==");
    EXPECT_EQ(bearer_token("Bearer"), std::nullopt);
    EXPECT_EQ(bearer_token("Bearer "), std::nullopt);
    EXPECT_EQ(bearer_token("Bearer=abc"), std::nullopt);
    EXPECT_EQ(bearer_token("Bearerabc"), std::nullopt);
    EXPECT_EQ(bearer_token("Basic YWxhZGRpbjpvcGVuc2VzYW1l"), std::nullopt);
    EXPECT_EQ(bearer_token("Bearer a b"), std::nullopt);
    EXPECT_EQ(bearer_token("Bearer =abc"), std::nullopt);
    EXPECT_EQ(bearer_token("Bearer ab=c"), std::nullopt);
    EXPECT_EQ(bearer_token("Bearer a\"b"), std::nullopt);
    EXPECT_EQ(bearer_token(""), std::nullopt);
}

}  // namespace
}  // namespace cv::auth

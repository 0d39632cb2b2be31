// MediaClient against tests/connector/graph_standin.py on 127.0.0.1: a real HTTP exchange in
// the §A.11 wire format — the two steps, the bearer token, a url that expired (step 1 again),
// hex and base64 hashes, a size or hash that does not match, unknown ids, a wrong token that
// never shows up in the error.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "sources/cloud_api/cloud_api.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace cv::cloud_api {
namespace {

constexpr std::string_view kToken = "EAAGtest-token-123";

// The stand-in as a child process; stopped when this goes away (it also stops by itself).
class Standin {
public:
    explicit Standin(std::vector<std::string> extra)
    {
        std::vector<std::string> args = {"python3",           CV_GRAPH_STANDIN, "--token",
                                         std::string(kToken), "--timeout",      "60"};
        args.insert(args.end(), extra.begin(), extra.end());
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        int fds[2];
        if (::pipe(fds) != 0)
            return;
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
        posix_spawn_file_actions_addclose(&actions, fds[0]);
        posix_spawn_file_actions_addclose(&actions, fds[1]);
        const int rc = posix_spawnp(&pid_, "python3", &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        if (rc != 0) {
            pid_ = -1;
            ::close(fds[0]);
            return;
        }
        std::string line;
        char c = 0;
        while (::read(fds[0], &c, 1) == 1 && c != '\n')
            line += c;
        ::close(fds[0]);
        if (line.starts_with("port="))
            port_ = std::stoi(line.substr(5));
    }
    ~Standin()
    {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
    }
    Standin(const Standin&) = delete;
    Standin& operator=(const Standin&) = delete;

    int port() const { return port_; }
    std::string base() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v21.0"; }

private:
    pid_t pid_ = -1;
    int port_ = 0;
};

std::string write_file(const std::filesystem::path& p, std::size_t size)
{
    std::string bytes(size, '\0');
    std::mt19937 rng(42);
    for (auto& b : bytes)
        b = static_cast<char>(rng());
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return bytes;
}

MediaClient client_for(const Standin& s, std::string token = std::string(kToken))
{
    auto c = MediaClient::create({s.base(), std::move(token), std::chrono::seconds(10)});
    EXPECT_TRUE(c) << c.error().describe();
    return std::move(*c);
}

class CloudApiMedia : public ::testing::Test {
protected:
    void SetUp() override
    {
        file_ = dir_.path() / "photo.jpg";
        bytes_ = write_file(file_, 300'000);  // several reads and writes
    }
    std::string media_arg() const { return "M-1=" + file_.string() + ":image/jpeg"; }

    cv::test::TempDir dir_;
    std::filesystem::path file_;
    std::string bytes_;
};

TEST_F(CloudApiMedia, DownloadsAndChecksHexHash)
{
    Standin s({"--media", media_arg()});
    ASSERT_GT(s.port(), 0);
    MediaClient c = client_for(s);
    StringSink out;
    auto got = c.download("M-1", "111222333444555", out);
    ASSERT_TRUE(got) << got.error().describe();
    EXPECT_EQ(out.data(), bytes_);
    EXPECT_EQ(got->size, bytes_.size());
    EXPECT_EQ(got->mime_type, "image/jpeg");
    EXPECT_EQ(got->id, "M-1");
}

TEST_F(CloudApiMedia, Base64HashAndExpiredFirstUrl)
{
    Standin s({"--media", media_arg(), "--sha256", "base64", "--expire-first-url"});
    ASSERT_GT(s.port(), 0);
    MediaClient c = client_for(s);
    StringSink out;
    auto got = c.download("M-1", "", out);
    ASSERT_TRUE(got) << got.error().describe();
    EXPECT_EQ(out.data(), bytes_) << "the expired url's answer is not in the output";
}

TEST_F(CloudApiMedia, HashOrSizeMismatchIsAnError)
{
    {
        Standin s({"--media", media_arg(), "--bad-hash"});
        MediaClient c = client_for(s);
        StringSink out;
        auto got = c.download("M-1", "", out);
        ASSERT_FALSE(got);
        EXPECT_EQ(got.error().code(), ErrorCode::Parse);
        EXPECT_NE(got.error().message().find("sha256"), std::string::npos) << got.error().describe();
    }
    {
        Standin s({"--media", media_arg(), "--bad-size"});
        MediaClient c = client_for(s);
        StringSink out;
        auto got = c.download("M-1", "", out);
        ASSERT_FALSE(got);
        EXPECT_EQ(got.error().code(), ErrorCode::Parse);
        EXPECT_NE(got.error().message().find("bytes received"), std::string::npos) << got.error().describe();
    }
}

TEST_F(CloudApiMedia, WrongTokenAndUnknownIds)
{
    Standin s({"--media", media_arg()});
    ASSERT_GT(s.port(), 0);
    MediaClient wrong = client_for(s, "EAAGwrong-secret-token");
    StringSink out;
    auto refused = wrong.download("M-1", "", out);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), ErrorCode::Refused);
    EXPECT_EQ(refused.error().describe().find("wrong-secret"), std::string::npos) << "no token in messages";
    EXPECT_NE(refused.error().describe().find("Invalid OAuth access token"), std::string::npos)
        << refused.error().describe();
    EXPECT_TRUE(out.data().empty());

    MediaClient c = client_for(s);
    auto missing = c.download("M-404", "", out);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
    EXPECT_TRUE(out.data().empty());
}

TEST(CloudApiMediaClient, RefusesBadOptionsAndUnreachableServers)
{
    EXPECT_FALSE(MediaClient::create({"http://127.0.0.1:1", "", std::chrono::seconds(1)}));
    EXPECT_FALSE(MediaClient::create({"http://127.0.0.1:1", "tok\r\nX-Evil: 1", std::chrono::seconds(1)}));
    auto c = MediaClient::create({"http://127.0.0.1:1/v21.0", "tok", std::chrono::seconds(2)});
    ASSERT_TRUE(c);
    StringSink out;
    auto got = c->download("M-1", "", out);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code(), ErrorCode::Unavailable) << got.error().describe();
}

}  // namespace
}  // namespace cv::cloud_api

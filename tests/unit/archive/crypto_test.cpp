#include "archive/detail/crypto.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <cstring>

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

namespace cv::archive::detail {
namespace {

namespace fs = std::filesystem;

class KeyTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        dir_ = fs::temp_directory_path() / ("cv-key-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

TEST_F(KeyTest, CreatedWithMode0600AndLoadsBackToTheSameKey)
{
    auto key = Key::create(dir_ / "key");
    ASSERT_TRUE(key) << key.error().describe();
    struct stat st {};
    ASSERT_EQ(::stat((dir_ / "key").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto again = Key::load(dir_ / "key");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->check_value(), key->check_value());
    EXPECT_FALSE(Key::create(dir_ / "key")) << "never overwrites a key";
}

TEST_F(KeyTest, RefusesAKeyOthersCanReadOrOfTheWrongSize)
{
    ASSERT_TRUE(Key::create(dir_ / "key"));
    fs::permissions(dir_ / "key", fs::perms::group_read, fs::perm_options::add);
    auto loose = Key::load(dir_ / "key");
    ASSERT_FALSE(loose);
    EXPECT_EQ(loose.error().code(), ErrorCode::InvalidArgument);
    std::ofstream(dir_ / "short") << "too short";
    fs::permissions(dir_ / "short", fs::perms::owner_read | fs::perms::owner_write,
                    fs::perm_options::replace);
    EXPECT_FALSE(Key::load(dir_ / "short"));
}

TEST_F(KeyTest, SealedDataOpensOnlyWithItsContextUnalteredAndUnderItsKey)
{
    auto key = Key::create(dir_ / "key");
    auto other = Key::create(dir_ / "other");
    ASSERT_TRUE(key && other);
    const std::string text = "canary-7f3a: the quarterly numbers";
    const Bytes plain(text.begin(), text.end());
    const Bytes sealed = key->seal(plain, "chunk:7");
    EXPECT_EQ(std::search(sealed.begin(), sealed.end(), plain.begin(), plain.end()), sealed.end())
        << "no plaintext in the sealed bytes";
    auto opened = key->open(sealed, "chunk:7");
    ASSERT_TRUE(opened);
    EXPECT_EQ(*opened, plain);
    EXPECT_FALSE(key->open(sealed, "chunk:8")) << "moved to another place";
    EXPECT_FALSE(other->open(sealed, "chunk:7")) << "another archive's key";
    for (std::size_t i = 0; i < sealed.size(); i += 7) {
        Bytes flipped = sealed;
        flipped[i] ^= 0x01;
        EXPECT_FALSE(key->open(flipped, "chunk:7")) << "byte " << i;
    }
}

TEST_F(KeyTest, StreamsRoundTripAndDetectTruncationAndTampering)
{
    auto key = Key::create(dir_ / "key");
    ASSERT_TRUE(key);
    std::mt19937 rng(3);
    std::vector<Bytes> messages;
    StreamSealer sealer(*key);
    const Bytes header = sealer.header();
    std::vector<Bytes> plains;
    for (int i = 0; i < 4; ++i) {
        Bytes p(i == 3 ? 100 : StreamSealer::kMessageBytes);
        for (auto& b : p)
            b = static_cast<std::uint8_t>(i == 0 ? 'a' : rng());  // message 0 compresses
        plains.push_back(p);
        messages.push_back(sealer.push(p, i == 3));
    }
    EXPECT_LT(messages[0].size(), plains[0].size() / 10) << "compressible data is compressed";
    EXPECT_GT(messages[1].size(), plains[1].size()) << "random data is stored as it is";
    {
        StreamOpener opener(*key, header);
        for (int i = 0; i < 4; ++i) {
            bool last = false;
            auto plain = opener.pull(messages[static_cast<std::size_t>(i)], last);
            ASSERT_TRUE(plain) << i;
            EXPECT_EQ(**plain, plains[static_cast<std::size_t>(i)]);
            EXPECT_EQ(last, i == 3);
        }
    }
    {
        StreamOpener opener(*key, header);
        bool last = false;
        ASSERT_TRUE(opener.pull(messages[0], last));
        EXPECT_FALSE(opener.pull(messages[2], last)) << "a message skipped";
    }
    {
        StreamOpener opener(*key, header);
        Bytes flipped = messages[0];
        flipped[flipped.size() / 2] ^= 0x80;
        bool last = false;
        EXPECT_FALSE(opener.pull(flipped, last));
    }
}

TEST(SecretStream, TheOpenSslPushIsLibsodiumsByteForByte)
{
    ASSERT_GE(sodium_init(), 0);
    std::mt19937 rng(9);
    std::uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
    randombytes_buf(key, sizeof key);
    crypto_secretstream_xchacha20poly1305_state ours{};
    crypto_secretstream_xchacha20poly1305_state theirs{};
    std::uint8_t header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    crypto_secretstream_xchacha20poly1305_init_push(&theirs, header, key);
    ours = theirs;
    std::vector<std::size_t> sizes = {0, 1, 15, 16, 17, 47, 48, 49, 63, 64, 65, 1000, 65536, 65537, 200000};
    for (int i = 0; i < 40; ++i)
        sizes.push_back(rng() % 70000);
    const std::uint8_t tags[] = {0, crypto_secretstream_xchacha20poly1305_TAG_PUSH,
                                 crypto_secretstream_xchacha20poly1305_TAG_REKEY,
                                 crypto_secretstream_xchacha20poly1305_TAG_FINAL};
    for (std::size_t round = 0; round < 2; ++round) {
        if (round == 1) {
            // The message counter about to wrap: both must rekey the same way.
            ours.nonce[0] = theirs.nonce[0] = 0xFE;
            ours.nonce[1] = theirs.nonce[1] = ours.nonce[2] = theirs.nonce[2] = 0xFF;
            ours.nonce[3] = theirs.nonce[3] = 0xFF;
        }
        for (std::size_t k = 0; k < sizes.size(); ++k) {
            Bytes m(sizes[k]);
            for (auto& b : m)
                b = static_cast<std::uint8_t>(rng());
            const std::uint8_t tag = tags[k % 4];
            Bytes a(m.size() + crypto_secretstream_xchacha20poly1305_ABYTES);
            Bytes b(a.size());
            unsigned long long len = 0;
            crypto_secretstream_xchacha20poly1305_push(&theirs, a.data(), &len, m.data(), m.size(), nullptr,
                                                       0, tag);
            ASSERT_EQ(len, a.size());
            secretstream_push(&ours, b.data(), m.data(), m.size(), tag);
            ASSERT_EQ(a, b) << "message " << k << ", " << m.size() << " bytes, tag " << int(tag);
            ASSERT_EQ(std::memcmp(&ours, &theirs, sizeof ours), 0) << "state after message " << k;
        }
    }
    // And libsodium opens what it wrote.
    crypto_secretstream_xchacha20poly1305_state pull{};
    ASSERT_EQ(crypto_secretstream_xchacha20poly1305_init_pull(&pull, header, key), 0);
    crypto_secretstream_xchacha20poly1305_state push{};
    crypto_secretstream_xchacha20poly1305_state reference{};
    std::uint8_t h2[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    crypto_secretstream_xchacha20poly1305_init_push(&reference, h2, key);
    push = reference;
    ASSERT_EQ(crypto_secretstream_xchacha20poly1305_init_pull(&pull, h2, key), 0);
    const std::string text = "the quick brown fox";
    Bytes sealed(text.size() + crypto_secretstream_xchacha20poly1305_ABYTES);
    secretstream_push(&push, sealed.data(), reinterpret_cast<const std::uint8_t*>(text.data()), text.size(),
                      crypto_secretstream_xchacha20poly1305_TAG_FINAL);
    Bytes opened(text.size());
    unsigned long long n = 0;
    unsigned char tag = 0;
    ASSERT_EQ(crypto_secretstream_xchacha20poly1305_pull(&pull, opened.data(), &n, &tag, sealed.data(),
                                                         sealed.size(), nullptr, 0),
              0);
    EXPECT_EQ(std::string(opened.begin(), opened.end()), text);
    EXPECT_EQ(tag, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
}

TEST(Compression, RoundTripAndRefusesWhatIsNotZstdOrTooLarge)
{
    const std::string text(100000, 'x');
    auto packed = compress(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    ASSERT_TRUE(packed);
    EXPECT_LT(packed->size(), 1000u);
    auto back = decompress(*packed, 1 << 20);
    ASSERT_TRUE(back);
    EXPECT_EQ(std::string(back->begin(), back->end()), text);
    EXPECT_FALSE(decompress(*packed, 1000)) << "larger than allowed";
    const Bytes junk = {1, 2, 3, 4, 5, 6, 7, 8};
    EXPECT_FALSE(decompress(junk, 1 << 20));
}

}  // namespace
}  // namespace cv::archive::detail

// The archive's blob store: attachments stored piece by piece (BlobWriter, the importer's one
// pass) against put_blob() from a stream (the reference), the compression decision, and the
// batched membership lookup against the single one.

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "archive/archive.hpp"
#include "archive/detail/crypto.hpp"
#include "core/byte_source.hpp"

namespace cv::archive {
namespace {

namespace fs = std::filesystem;

class BlobTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        dir_ = fs::temp_directory_path() / ("cv-blob-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        ASSERT_TRUE(Archive::create(dir_));
        auto opened = Archive::open(dir_);
        ASSERT_TRUE(opened) << opened.error().describe();
        archive_.emplace(std::move(*opened));
    }
    void TearDown() override
    {
        archive_.reset();
        fs::remove_all(dir_);
    }

    std::uint64_t pack_bytes() const
    {
        std::uint64_t total = 0;
        for (const auto& e : fs::directory_iterator(dir_ / "packs"))
            total += fs::file_size(e.path());
        return total;
    }

    std::string read_back(const BlobRef& ref)
    {
        auto stream = archive_->open_blob(ref.sha256);
        EXPECT_TRUE(stream) << stream.error().describe();
        if (!stream)
            return {};
        std::string out;
        std::vector<char> buf(7000);
        for (;;) {
            auto n = (*stream)->read(buf);
            EXPECT_TRUE(n);
            if (!n || *n == 0)
                break;
            out.append(buf.data(), *n);
        }
        return out;
    }

    fs::path dir_;
    std::optional<Archive> archive_;
};

std::string random_bytes(std::size_t n, std::uint32_t seed, bool compressible)
{
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s)
        c = compressible ? static_cast<char>('a' + rng() % 3) : static_cast<char>(rng());
    return s;
}

// Hands `data` to a writer in pieces of random sizes (some empty, some past a whole message).
Result<BlobRef> store_in_pieces(Archive& archive, std::string_view data, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    auto writer = archive.begin_blob();
    while (!data.empty()) {
        const std::size_t n = std::min<std::size_t>(data.size(), rng() % 3 == 0 ? 0 : rng() % 150000);
        CV_TRY_VOID(writer->write(std::span<const char>(data.data(), n)));
        data.remove_prefix(n);
    }
    return writer->finish();
}

TEST_F(BlobTest, PiecewiseWriterStoresWhatPutBlobStores)
{
    constexpr std::size_t kMessage = detail::StreamSealer::kMessageBytes;
    const std::size_t sizes[] = {0, 1, kMessage - 1, kMessage, kMessage + 1, 2 * kMessage, 300001};
    std::uint32_t seed = 1;
    for (const std::size_t size : sizes) {
        for (const bool compressible : {false, true}) {
            SCOPED_TRACE(testing::Message() << size << " bytes, compressible " << compressible);
            // The reference: put_blob() from a stream, after a head of a few bytes.
            const std::string data = random_bytes(size, ++seed, compressible);
            const std::size_t head = std::min<std::size_t>(size, 5);
            StringSource rest(data.substr(head));
            auto reference = archive_->put_blob(std::string_view(data).substr(0, head), rest);
            ASSERT_TRUE(reference) << reference.error().describe();
            EXPECT_EQ(reference->size, size);
            EXPECT_EQ(read_back(*reference), data);

            // The same content piecewise: the same blob, stored once.
            const std::uint64_t before = pack_bytes();
            auto piecewise = store_in_pieces(*archive_, data, seed);
            ASSERT_TRUE(piecewise) << piecewise.error().describe();
            EXPECT_EQ(piecewise->sha256, reference->sha256);
            EXPECT_EQ(piecewise->size, reference->size);
            EXPECT_EQ(pack_bytes(), before) << "identical content is stored once";

            // New content piecewise reads back as it was written, before and after commit.
            const std::string other = random_bytes(size + 3, ++seed, compressible);
            auto fresh = store_in_pieces(*archive_, other, seed);
            ASSERT_TRUE(fresh) << fresh.error().describe();
            EXPECT_EQ(read_back(*fresh), other);
            std::vector<NewItem> none;
            ASSERT_TRUE(archive_->commit(1, none));
            EXPECT_EQ(read_back(*fresh), other);
            EXPECT_EQ(read_back(*reference), data);
        }
    }
}

TEST_F(BlobTest, OneWriterAppendsAtATimeAndAnUnfinishedOneStoresNothing)
{
    constexpr std::size_t kMessage = detail::StreamSealer::kMessageBytes;
    const std::string a = random_bytes(3 * kMessage, 11, false);
    const std::string b = random_bytes(3 * kMessage, 12, false);
    auto first = archive_->begin_blob();
    auto second = archive_->begin_blob();
    // Up to a whole message is held back: both may take that much.
    ASSERT_TRUE(first->write(std::span<const char>(a.data(), kMessage)));
    ASSERT_TRUE(second->write(std::span<const char>(b.data(), kMessage)));
    // The first to go past it appends; the other is refused and of no further use.
    ASSERT_TRUE(first->write(std::span<const char>(a.data() + kMessage, kMessage)));
    auto refused = second->write(std::span<const char>(b.data() + kMessage, kMessage));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), ErrorCode::Unavailable);
    EXPECT_FALSE(second->finish());
    ASSERT_TRUE(first->write(std::span<const char>(a.data() + 2 * kMessage, kMessage)));
    auto stored = first->finish();
    ASSERT_TRUE(stored) << stored.error().describe();
    EXPECT_EQ(read_back(*stored), a);

    // A writer dropped while appending stores nothing and lets the next one append.
    const std::uint64_t before = pack_bytes();
    {
        auto dropped = archive_->begin_blob();
        ASSERT_TRUE(dropped->write(std::span<const char>(b.data(), 2 * kMessage + 5)));
    }
    auto after = store_in_pieces(*archive_, b, 13);
    ASSERT_TRUE(after) << after.error().describe();
    EXPECT_EQ(read_back(*after), b);
    std::vector<NewItem> none;
    ASSERT_TRUE(archive_->commit(1, none));
    EXPECT_EQ(read_back(*after), b);
    EXPECT_GE(pack_bytes(), before);
}

TEST(WorthCompressing, CompressedFormatsAreNotTried)
{
    auto bytes = [](std::string_view s) {
        return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    };
    using namespace std::string_view_literals;
    for (const auto head : {"\xFF\xD8\xFF\xE0\x00\x10JFIF"sv, "\x89PNG\r\n\x1A\n\x00\x00"sv,
                            "GIF89a\x01\x00"sv, "RIFF\x10\x00\x00\x00WEBPVP8 "sv, "OggS\x00\x02\x00\x00"sv,
                            "\x00\x00\x00\x20"
                            "ftypisom"sv,
                            "\x1A\x45\xDF\xA3\x01"sv, "ID3\x04\x00"sv, "#!AMR\n"sv, "fLaC\x00"sv,
                            "PK\x03\x04\x14\x00"sv, "\x1F\x8B\x08\x00"sv, "\x28\xB5\x2F\xFD\x00"sv,
                            "\xFD"
                            "7zXZ\x00\x00"sv,
                            "BZh91AY&SY"sv, "7z\xBC\xAF\x27\x1C\x00"sv, "Rar!\x1A\x07\x00"sv})
        EXPECT_FALSE(detail::worth_compressing(bytes(head))) << testing::PrintToString(std::string(head));
    for (const auto head : {"%PDF-1.4\n"sv, "BEGIN:VCARD\r\n"sv, "hello"sv, ""sv,
                            "\xFF\xFE"
                            "h\x00i\x00"sv,
                            "ID3 is a tag format"sv, "BZh is not bzip2"sv, "RIFF\x10\x00\x00\x00WAVEfmt "sv})
        EXPECT_TRUE(detail::worth_compressing(bytes(head))) << testing::PrintToString(std::string(head));
}

TEST_F(BlobTest, AStoredJpegIsNotCompressedAndReadsBack)
{
    // Compressible bytes behind a JPEG header: stored as they are (not tried), still intact.
    std::string jpeg = "\xFF\xD8\xFF\xE0" + std::string(100000, 'z');
    const std::uint64_t before = pack_bytes();
    auto stored = store_in_pieces(*archive_, jpeg, 5);
    ASSERT_TRUE(stored);
    EXPECT_GT(pack_bytes() - before, jpeg.size());
    EXPECT_EQ(read_back(*stored), jpeg);
    // The same bytes behind a PDF header are compressed.
    std::string pdf = "%PDF-1.4\n" + std::string(100000, 'z');
    const std::uint64_t mid = pack_bytes();
    auto packed = store_in_pieces(*archive_, pdf, 6);
    ASSERT_TRUE(packed);
    EXPECT_LT(pack_bytes() - mid, pdf.size() / 10);
    EXPECT_EQ(read_back(*packed), pdf);
}

TEST_F(BlobTest, BatchedContainsAgreesWithTheSingleLookup)
{
    Conversation c;
    c.title = "chat";
    auto conversation = archive_->put_conversation(c);
    ASSERT_TRUE(conversation) << conversation.error().describe();
    auto source = archive_->add_source("export", "/tmp/chat.txt");
    ASSERT_TRUE(source);
    std::vector<NewItem> items;
    for (int i = 0; i < 5; ++i) {
        NewItem n;
        n.message_id = "m" + std::to_string(i) + "@x.invalid";
        if (i % 2 == 0)
            n.key = item_key(n.message_id);  // given or computed: the same key
        n.conversation = *conversation;
        n.item.text = "hello";
        n.item.line = static_cast<std::size_t>(i + 1);
        n.render_size = 10;
        n.mailboxes = {"a@example.com"};
        items.push_back(std::move(n));
    }
    auto done = archive_->commit(*source, items);
    ASSERT_TRUE(done) << done.error().describe();
    EXPECT_EQ(done->added, 5u);
    std::vector<ItemKey> keys;
    std::vector<std::string> ids;
    for (int i = 0; i < 10; ++i) {
        ids.push_back("m" + std::to_string(i) + "@x.invalid");
        keys.push_back(item_key(ids.back()));
    }
    auto found = archive_->contains(keys);
    ASSERT_TRUE(found) << found.error().describe();
    ASSERT_EQ(found->size(), keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
        auto single = archive_->contains(ids[i]);
        ASSERT_TRUE(single);
        EXPECT_EQ((*found)[i], *single) << ids[i];
        EXPECT_EQ((*found)[i], i < 5) << ids[i];
    }
    // An item committed again (rendered, so inserted first) is a duplicate, not a second row.
    std::vector<NewItem> again;
    again.push_back(NewItem{});
    again.back().message_id = ids[1];
    again.back().conversation = *conversation;
    again.back().render_size = 10;
    again.back().mailboxes = {"b@example.com"};
    auto second = archive_->commit(*source, again);
    ASSERT_TRUE(second) << second.error().describe();
    EXPECT_EQ(second->added, 0u);
    EXPECT_EQ(second->duplicates, 1u);
    EXPECT_EQ(second->new_per_mailbox["b@example.com"], 1u);
}

}  // namespace
}  // namespace cv::archive

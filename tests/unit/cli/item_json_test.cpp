#include "cli/item_json.hpp"

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace cv::cli {
namespace {

// Everything written through a JsonWriter into a string.
template <class Fn> std::string capture(Fn&& fn)
{
    char* data = nullptr;
    std::size_t size = 0;
    std::FILE* f = open_memstream(&data, &size);
    {
        JsonWriter w(f);
        fn(w);
    }
    std::fclose(f);
    std::string out(data, size);
    std::free(data);
    return out;
}

std::string fast(const std::vector<Item>& items)
{
    return capture([&](JsonWriter& w) {
        ItemWriter writer(w);
        for (const auto& item : items)
            writer.write(item);
    });
}

std::string reference(const std::vector<Item>& items)
{
    return capture([&](JsonWriter& w) {
        for (const auto& item : items)
            write_item_reference(w, item);
    });
}

Item message(std::string author, std::string text)
{
    Item item;
    item.index = 7;
    item.line = 42;
    item.author = std::move(author);
    item.text = std::move(text);
    item.wall_clock = {2022, 3, 27, 21, 41, 35};
    item.utc = 1648417295;
    return item;
}

TEST(ItemJson, WritesTheContract)
{
    EXPECT_EQ(
        fast({message("Ana", "hola \"tú\"\n\\ok")}),
        "{\"index\":7,\"line\":42,\"kind\":\"message\",\"author\":\"Ana\","
        "\"wall_clock\":\"2022-03-27T21:41:35\",\"utc\":\"2022-03-27T21:41:35Z\","
        "\"text\":\"hola \\\"tú\\\"\\n\\\\ok\",\"attachments\":[],\"deleted\":false,\"edited\":false}\n");
}

// Every escape at every position of a 16-byte block and of the padded tail, every length.
TEST(ItemJson, FastPathMatchesReferenceOnEscapes)
{
    std::vector<Item> items;
    const std::string specials[] = {
        "\"", "\\", "\n", "\r", "\t", std::string(1, '\0'), "\x01", "\x1f", "\x7f", "é", "\xF0\x9F\x98\x80",
        " "};
    for (std::size_t len = 0; len < 70; ++len)
        for (std::size_t at = 0; at <= len; ++at)
            for (const auto& sp : specials) {
                std::string text(len, 'x');
                text.insert(at, sp);
                items.push_back(message(sp + "A", text));
            }
    EXPECT_EQ(fast(items), reference(items));
}

// Random strings dense in escapes: several per block, in the overlap of the last block.
TEST(ItemJson, FastPathMatchesReferenceOnRandomText)
{
    std::vector<Item> items;
    const char alphabet[] = "ab\"\\\n\x01\xC3\xA9 ";
    std::uint64_t rng = 1;
    for (int i = 0; i < 5000; ++i) {
        std::string text;
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        const auto len = static_cast<std::size_t>(rng >> 58);  // 0..63
        for (std::size_t k = 0; k < len; ++k) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            const auto r = rng >> 33;
            text += r % 4 == 0 ? alphabet[r / 4 % (sizeof alphabet - 1)] : 'x';
        }
        items.push_back(message(text.substr(0, len / 3), text));
    }
    EXPECT_EQ(fast(items), reference(items));
}

TEST(ItemJson, FastPathMatchesReferenceOnRareParts)
{
    std::vector<Item> items;
    auto system = message("", "Messages are end-to-end encrypted");
    system.author.reset();
    system.kind = ItemKind::System;
    items.push_back(system);
    auto dst = message("Bo", "x");
    dst.dst = DstResolution::Gap;
    items.push_back(dst);
    auto media = message("Bo", "IMG-1.jpg (file attached)");
    media.attachments.push_back({"IMG-1.jpg", MediaType::Image, true, false, "IMG-1.jpg", 1234, {}, {}});
    media.attachments.push_back({"", MediaType::Unknown, false, true, "", std::nullopt, {}, {}});
    media.deleted = true;
    media.edited = true;
    items.push_back(media);
    auto empty = message("Bo", "");
    empty.placeholder = Placeholder::Empty;
    items.push_back(empty);
    auto where = message("Bo", "location: https://maps.google.com/?q=1,2");
    where.location = Location{"https://maps.google.com/?q=1,2", "1", "2", "Café \"X\"", false};
    items.push_back(where);
    auto call = message("Bo", "Missed voice call");
    call.kind = ItemKind::Call;
    call.call = CallInfo{CallMedia::Video, CallResult::Missed, std::nullopt, std::nullopt};
    items.push_back(call);
    auto far = message("Bo", "far");
    far.wall_clock = {12000, 1, 1, 0, 0, 0};
    far.utc = -62167219200 - 86400;
    far.index = std::uint64_t{1} << 63;  // prints negative, as the generic writer does
    items.push_back(far);
    // Every digit count, at both ends.
    for (std::uint64_t v = 1; v <= 1'000'000'000'000'000'000ULL; v *= 10)
        for (const std::uint64_t n : {v - 1, v, v + 1, 2 * v - 1}) {
            auto m = message("Bo", "n");
            m.index = n;
            m.line = n * 9 % 0x7fffffffffffffffULL;
            items.push_back(m);
        }
    auto top = message("Bo", "top");
    top.index = top.line = 0x7fffffffffffffffULL;
    items.push_back(top);
    // Larger than the buffer at its worst escape: the fallback.
    items.push_back(message("Bo", std::string(JsonWriter::kCapacity / 4, '"')));
    items.push_back(message("Bo", std::string(JsonWriter::kCapacity * 2, 'z')));
    // Many consecutive items: stamps reused within a day, buffer flushes in the middle of a run.
    for (int i = 0; i < 20000; ++i) {
        auto m = message("Ana", std::string(static_cast<std::size_t>(i % 97), 'q'));
        m.index = static_cast<std::uint64_t>(i);
        m.wall_clock = {2022, 3, 27 + i / 5000, i / 1000 % 24, i % 60, i / 60 % 60};
        m.utc = 1648417295 + i * 37;
        items.push_back(m);
    }
    EXPECT_EQ(fast(items), reference(items));
}

}  // namespace
}  // namespace cv::cli

// The hand-written protobuf walker for ZMETADATA, the JID rules and the clock conversions.

#include "sources/ios_db/detail/protobuf.hpp"

#include <gtest/gtest.h>

#include "sources/ios_db/detail/clock.hpp"
#include "sources/ios_db/detail/jid.hpp"

namespace cv::ios_db::detail {
namespace {

using namespace std::string_literals;

std::string len_field(unsigned number, std::string_view payload)
{
    std::string out;
    std::uint64_t tag = (static_cast<std::uint64_t>(number) << 3) | 2;
    while (tag >= 0x80) {
        out += static_cast<char>((tag & 0x7F) | 0x80);
        tag >>= 7;
    }
    out += static_cast<char>(tag);
    out += static_cast<char>(payload.size());  // < 128 in these tests
    out += payload;
    return out;
}

TEST(IosDbProtobuf, VarintsAndBounds)
{
    std::size_t pos = 0;
    std::uint64_t v = 0;
    EXPECT_TRUE(read_varint("\x96\x01"s, pos, v));
    EXPECT_EQ(v, 150u);
    EXPECT_EQ(pos, 2u);
    pos = 0;
    EXPECT_FALSE(read_varint("\x96"s, pos, v));  // truncated
    EXPECT_EQ(pos, 0u);
    pos = 0;
    EXPECT_FALSE(read_varint(std::string(11, '\xFF'), pos, v));  // longer than 10 bytes
    pos = 0;
    EXPECT_TRUE(read_varint("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01"s, pos, v));
    EXPECT_EQ(v, ~std::uint64_t{0});
    pos = 1;
    EXPECT_FALSE(read_varint("\x01"s, pos, v));  // at the end
}

TEST(IosDbProtobuf, MalformedInputsEndTheWalkInsideTheInput)
{
    const std::string cases[] = {
        "\x2A\x14"s + "short",                // length past the end
        "\x2A\xFF\xFF\xFF\xFF\x0F"s,          // huge length
        "\x2A"s,                              // length missing
        "\x08"s,                              // varint value missing
        "\x08\x80"s,                          // truncated varint value
        "\x00\x01"s,                          // field number 0
        "\x0B\x01"s,                          // group start (wire type 3)
        "\x0E"s,                              // wire type 6
        "\x0D\x01\x02"s,                      // fixed32 with 2 of 4 bytes
        "\x09\x01\x02\x03\x04\x05\x06\x07"s,  // fixed64 with 7 of 8 bytes
        "\x80"s,                              // truncated tag
    };
    for (const auto& in : cases) {
        FieldReader r(in);
        Field f;
        while (r.next(f)) {
            // Any field read must lie inside the input.
            if (!f.bytes.empty()) {
                EXPECT_GE(f.bytes.data(), in.data());
                EXPECT_LE(f.bytes.data() + f.bytes.size(), in.data() + in.size());
            }
        }
        EXPECT_TRUE(r.failed()) << testing::PrintToString(in);
        EXPECT_LE(r.offset(), in.size());
        const QuotedRef q = parse_quoted_ref(in);
        EXPECT_FALSE(q.stanza_id);
    }
    FieldReader empty("");
    Field f;
    EXPECT_FALSE(empty.next(f));
    EXPECT_FALSE(empty.failed());
}

TEST(IosDbProtobuf, FieldsOfEveryWireType)
{
    const std::string in =
        "\x08\x96\x01"s + "\x11"s + std::string(8, 'a') + "\x1D"s + std::string(4, 'b') + len_field(4, "xyz");
    FieldReader r(in);
    Field f;
    ASSERT_TRUE(r.next(f));
    EXPECT_EQ(f.number, 1u);
    EXPECT_EQ(f.type, WireType::Varint);
    EXPECT_EQ(f.varint, 150u);
    ASSERT_TRUE(r.next(f));
    EXPECT_EQ(f.type, WireType::Fixed64);
    EXPECT_EQ(f.bytes, std::string(8, 'a'));
    ASSERT_TRUE(r.next(f));
    EXPECT_EQ(f.type, WireType::Fixed32);
    ASSERT_TRUE(r.next(f));
    EXPECT_EQ(f.number, 4u);
    EXPECT_EQ(f.bytes, "xyz");
    EXPECT_FALSE(r.next(f));
    EXPECT_FALSE(r.failed());
}

TEST(IosDbProtobuf, QuotedReferenceFromTheSpecExample)
{
    // §C.6: 2A 14 "3A0F1E2D3C4B5A697887" 32 1C "4915112345678@s.whatsapp.net" 9A 01 0C 0A 0A "See you at"
    const std::string in = "\x2A\x14"s + "3A0F1E2D3C4B5A697887" + "\x32\x1C"s +
                           "4915112345678@s.whatsapp.net" + "\x9A\x01\x0C\x0A\x0A"s + "See you at" +
                           "\x68\x00"s;
    const QuotedRef q = parse_quoted_ref(in);
    EXPECT_EQ(q.stanza_id, "3A0F1E2D3C4B5A697887");
    EXPECT_EQ(q.sender_jid, "4915112345678@s.whatsapp.net");
    EXPECT_EQ(q.text, "See you at");
}

TEST(IosDbProtobuf, FieldsOfTheWrongShapeAreIgnored)
{
    // Field 5 too short and with punctuation, field 6 without '@', field 4 (a CDN path) alone.
    EXPECT_FALSE(parse_quoted_ref(len_field(5, "3A0F")).stanza_id);
    EXPECT_FALSE(parse_quoted_ref(len_field(5, "3A0F1E2D3C4B5A69/887")).stanza_id);
    EXPECT_FALSE(parse_quoted_ref(len_field(6, "4915112345678")).sender_jid);
    const QuotedRef media = parse_quoted_ref(len_field(4, "/o1/v/t62.7118-24/f1/m230"));
    EXPECT_FALSE(media.stanza_id || media.sender_jid || media.text);
    // Invalid UTF-8 in the quoted text is replaced, not passed on.
    const QuotedRef bad = parse_quoted_ref(len_field(19, len_field(1, "ok\xFF")));
    EXPECT_EQ(bad.text, "ok\xEF\xBF\xBD");
    // A truncated tail after good fields keeps the good fields.
    const QuotedRef cut = parse_quoted_ref(len_field(5, "3A0F1E2D3C4B5A697887") + "\x32\x40"s + "49151");
    EXPECT_EQ(cut.stanza_id, "3A0F1E2D3C4B5A697887");
    EXPECT_FALSE(cut.sender_jid);
}

TEST(IosDbJid, PeopleGroupsAndDevices)
{
    const auto phone = parse_jid("4915112345678:12@s.whatsapp.net");
    ASSERT_TRUE(phone);
    EXPECT_EQ(phone->kind, JidKind::Phone);
    EXPECT_EQ(phone->text(), "4915112345678@s.whatsapp.net");
    EXPECT_EQ(phone_of(*phone), "+4915112345678");
    EXPECT_EQ(person_key(*phone), "4915112345678");
    EXPECT_EQ(parse_jid("4915112345678.0:1@s.whatsapp.net")->user, "4915112345678");
    const auto lid = parse_jid("187654321098765@lid");
    ASSERT_TRUE(lid);
    EXPECT_EQ(person_key(*lid), "lid-187654321098765");
    EXPECT_FALSE(phone_of(*lid));
    EXPECT_EQ(parse_jid("120363041234567890@g.us")->kind, JidKind::Group);
    EXPECT_TRUE(is_pseudo_chat(*parse_jid("status@broadcast")));
    EXPECT_TRUE(is_pseudo_chat(*parse_jid("4915112345678@status")));
    EXPECT_FALSE(is_pseudo_chat(*parse_jid("1612345678@broadcast")));
    EXPECT_EQ(parse_jid("19198887386")->kind, JidKind::Phone);  // ContactsV2 digits
    EXPECT_FALSE(parse_jid(""));
    EXPECT_FALSE(parse_jid("@s.whatsapp.net"));
    EXPECT_FALSE(parse_jid("abc"));
}

TEST(IosDbClock, CoreDataSecondsToUnix)
{
    EXPECT_EQ(unix_from_core_data("788954400.0"), 1767261600);  // §0.2's example
    EXPECT_EQ(unix_from_core_data("704735807.221498"), 1683043007);
    EXPECT_EQ(unix_from_core_data("-0.5"), 978307199);  // floored, not truncated
    EXPECT_FALSE(unix_from_core_data("0"));             // not recorded
    EXPECT_FALSE(unix_from_core_data(""));
    EXPECT_FALSE(unix_from_core_data("abc"));
    EXPECT_FALSE(unix_from_core_data("1e300"));
    EXPECT_FALSE(unix_from_core_data("nan"));
    const auto t = civil_utc(1767261600);
    EXPECT_EQ(format_iso(t), "2026-01-01T10:00:00");
    EXPECT_EQ(format_iso(civil_utc(-1)), "1969-12-31T23:59:59");
}

}  // namespace
}  // namespace cv::ios_db::detail

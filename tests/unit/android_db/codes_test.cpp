// The pure pieces of the Android reader: JIDs, codes, system texts, call results, wall clock.

#include "sources/android_db/android_db.hpp"
#include "sources/android_db/detail/codes.hpp"
#include "sources/android_db/detail/jid.hpp"

#include <gtest/gtest.h>

namespace cv::android_db::detail {
namespace {

TEST(AndroidDbJid, PhoneJidsGiveE164AndStripTheDevice)
{
    const Jid j = parse_jid("4915112345678:12@s.whatsapp.net");
    EXPECT_EQ(j.kind, JidKind::Phone);
    EXPECT_EQ(j.user, "4915112345678");
    EXPECT_EQ(phone_of(j), "+4915112345678");
    EXPECT_EQ(phone_of(parse_jid("4915112345678.0:1@s.whatsapp.net")), "+4915112345678");
    // Memacs' hand-made legacy row: a bare number.
    EXPECT_EQ(phone_of(parse_jid("436604444333")), "+436604444333");
}

TEST(AndroidDbJid, LidGroupsAndOthers)
{
    EXPECT_EQ(lid_alias_of(parse_jid("187654321098765@lid")), "lid-187654321098765");
    EXPECT_EQ(phone_of(parse_jid("187654321098765@lid")), std::nullopt);
    EXPECT_EQ(parse_jid("120363041234567890@g.us").kind, JidKind::Group);
    EXPECT_EQ(parse_jid("4915112345678-1612345678@g.us").kind, JidKind::Group);
    EXPECT_EQ(parse_jid("status@broadcast").kind, JidKind::Broadcast);
    EXPECT_EQ(parse_jid("status_me").kind, JidKind::Owner);
    EXPECT_EQ(parse_jid("").kind, JidKind::Owner);
    EXPECT_EQ(phone_of(parse_jid("0-Text@s.whatsapp.net")), std::nullopt);  // not a number
}

TEST(AndroidDbCodes, MediaTypes)
{
    EXPECT_EQ(media_type_of(kImage, 0), MediaType::Image);
    EXPECT_EQ(media_type_of(kAudio, 0), MediaType::Audio);
    EXPECT_EQ(media_type_of(kAudio, 1), MediaType::VoiceNote);
    EXPECT_EQ(media_type_of(kGif, 0), MediaType::Gif);
    EXPECT_EQ(media_type_of(kSticker, 0), MediaType::Sticker);
    EXPECT_EQ(media_type_of(kDocument, 0), MediaType::Document);
    EXPECT_EQ(media_type_of(kText, 0), MediaType::Unknown);
    EXPECT_FALSE(is_known_type(999));
    EXPECT_TRUE(is_known_type(kPoll));
}

TEST(AndroidDbCodes, SystemTexts)
{
    EXPECT_EQ(system_text(12, "Anna", {"Ben", "Cleo"}, "", false), "Anna added Ben and Cleo");
    EXPECT_EQ(system_text(1, "Anna", {}, "Trip", false), "Anna changed the subject to \"Trip\"");
    EXPECT_EQ(system_text(11, "+556185747642", {}, "Lar", true), "+556185747642 created group \"Lar\"");
    EXPECT_EQ(system_text(4, "+556186143035", {}, "", true), "+556186143035 was added");
    EXPECT_EQ(system_text(19, "", {}, "", true), "Messages and calls are end-to-end encrypted");
    EXPECT_EQ(system_text(4242, "Anna", {"Ben"}, "", false), "system event (type 4242) by Anna: Ben");
    EXPECT_EQ(system_text(4242, "", {}, "", false), "system event (type 4242)");
}

TEST(AndroidDbCodes, CallResultsTrustTheDurationFirst)
{
    EXPECT_EQ(call_result_of(2, 95), CallResult::Answered);
    EXPECT_EQ(call_result_of(5, 0), CallResult::Answered);
    EXPECT_EQ(call_result_of(2, 0), CallResult::Missed);
    EXPECT_EQ(call_result_of(4, 0), CallResult::Missed);
    EXPECT_EQ(call_result_of(0, 0), CallResult::Unknown);
    EXPECT_EQ(normalize_call_id("call:ab12"), "AB12");
    EXPECT_EQ(normalize_call_id("AB12"), "AB12");
}

TEST(AndroidDbSchema, ClassifiesByTables)
{
    EXPECT_EQ(classify_tables({"chat", "jid", "message"}), Schema::Modern);
    EXPECT_EQ(classify_tables({"chat_list", "messages"}), Schema::Legacy);
    EXPECT_EQ(classify_tables({"moz_places", "moz_bookmarks"}), std::nullopt);
}

}  // namespace
}  // namespace cv::android_db::detail

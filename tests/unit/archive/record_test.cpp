#include "archive/detail/record.hpp"

#include <gtest/gtest.h>

namespace cv::archive::detail {
namespace {

Item full_item()
{
    Item item;
    item.index = 41;
    item.line = 1234;
    item.kind = ItemKind::Call;
    item.author = "Jörg \"JM\" Müller\\";
    item.wall_clock = {2026, 3, 29, 2, 30, 0};
    item.wall_clock_text = "29/03/2026, 02:30\u202f";
    item.utc = 1774747800;
    item.dst = DstResolution::Gap;
    item.text = "line one\nline two\t\u0001 ✅ مرحبا";
    Attachment a;
    a.name = "IMG-1.jpg";
    a.type = MediaType::Image;
    a.present = true;
    a.locator = "blob:00ff";
    a.size = 12345;
    a.mime_type = "image/jpeg";
    item.attachments.push_back(a);
    Attachment card;
    card.type = MediaType::Contact;
    card.inline_data = "BEGIN:VCARD\r\nEND:VCARD\r\n";
    card.omitted = true;
    item.attachments.push_back(card);
    item.deleted = true;
    item.edited = true;
    item.placeholder = Placeholder::Unrenderable;
    item.location = Location{"https://maps.google.com/?q=1,2", "1", "2", "Café (Rue 1)", true};
    item.call = CallInfo{CallMedia::Video, CallResult::Answered, true, 95};
    item.key_id = "3EB0C767D26B4E1A9F5C";
    item.sender_id = "4915112345678";
    item.quoted = Quote{"AC12", "4915100000002", "Bob", "quoted\ntext"};
    item.forwarded = true;
    item.from_me = true;
    return item;
}

std::string describe_all(const Item& i)
{
    // Every field, so that a field the record forgets shows up as a difference.
    std::string s = describe(i) + "|" + i.wall_clock_text + "|" + i.text + "|" + i.author.value_or("-");
    for (const auto& a : i.attachments)
        s += "|" + a.name + "," + std::to_string(static_cast<int>(a.type)) + "," + std::to_string(a.present) +
             "," + std::to_string(a.omitted) + "," + a.locator + "," + std::to_string(a.size.value_or(0)) +
             "," + a.mime_type + "," + a.inline_data.value_or("-");
    if (i.location)
        s += "|" + i.location->url + i.location->latitude.value_or("") + i.location->longitude.value_or("") +
             i.location->venue.value_or("") + std::to_string(i.location->live);
    if (i.call)
        s += "|" + std::to_string(static_cast<int>(i.call->media)) +
             std::to_string(static_cast<int>(i.call->result)) +
             std::to_string(i.call->outgoing.value_or(false)) +
             std::to_string(i.call->duration_seconds.value_or(0));
    s += "|" + i.key_id.value_or("-") + "|" + i.sender_id.value_or("-") + "|" + std::to_string(i.forwarded) +
         "|" + (i.from_me ? std::to_string(*i.from_me) : "-");
    if (i.quoted)
        s += "|" + i.quoted->key_id.value_or("-") + i.quoted->sender_id.value_or("-") +
             i.quoted->author.value_or("-") + i.quoted->text;
    s += "|" + std::to_string(static_cast<int>(i.dst)) + std::to_string(i.utc) + std::to_string(i.line);
    return s;
}

TEST(ItemRecord, EveryFieldSurvivesTheRoundTrip)
{
    const Item item = full_item();
    const RenderContext context{SourceKind::AndroidDatabase, "Europe/Berlin", "archive.invalid",
                                "wa.X@archive.invalid"};
    Item back;
    RenderContext back_context;
    ASSERT_TRUE(parse_item_record(item_record(item, context), back, back_context));
    EXPECT_EQ(describe_all(back), describe_all(item));
    EXPECT_EQ(back.wall_clock, item.wall_clock);
    EXPECT_EQ(back_context.source, context.source);
    EXPECT_EQ(back_context.time_zone, context.time_zone);
    EXPECT_EQ(back_context.domain, context.domain);
    EXPECT_EQ(back_context.message_id, context.message_id);
}

TEST(ItemRecord, InvalidUtf8IsRepairedSoTheRecordStillParses)
{
    Item item;
    item.text = std::string("ok \xC3\x28 bad");
    Item back;
    RenderContext context;
    ASSERT_TRUE(parse_item_record(item_record(item, RenderContext{}), back, context));
    EXPECT_EQ(back.text, "ok \uFFFD( bad");
}

TEST(ItemRecord, DamagedRecordsAreParseErrors)
{
    Item back;
    RenderContext context;
    auto r = parse_item_record("{\"v\":1,\"message_id\":", back, context);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::Parse);
    EXPECT_FALSE(parse_item_record("{\"v\":1}", back, context));
}

TEST(ConversationRecord, RoundTrip)
{
    Conversation c{"Desk ✦",
                   true,
                   "120363041234567890@g.us",
                   {{"Alice", "+4915100000001", {}, "alice@bank.example", true}, {"Bob", {}, "lid-1", {}}}};
    auto back = parse_conversation_record(conversation_record(c));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->title, c.title);
    EXPECT_EQ(back->group, c.group);
    EXPECT_EQ(back->jid, c.jid);
    ASSERT_EQ(back->members.size(), 2u);
    EXPECT_EQ(back->members[0].email, "alice@bank.example");
    EXPECT_EQ(back->members[1].alias, "lid-1");
    EXPECT_TRUE(back->members[0].owner);
    EXPECT_FALSE(back->members[1].owner);
    EXPECT_EQ(back->key(), c.key());
}

}  // namespace
}  // namespace cv::archive::detail

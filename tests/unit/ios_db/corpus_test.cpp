// The iOS reader against iLEAPP's ChatStorage/CallHistory/ContactsV2 from Josh Hickman's
// public iOS 15 test image, read in place (never copied into the tree). The facts asserted
// come from ../shared/corpus/expected.json (ileapp-001 … ileapp-046) and MANIFEST.md.

#include "sources/ios_db/ios_db.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include <gtest/gtest.h>

#include "core/digest.hpp"

namespace cv::ios_db {
namespace {

namespace fs = std::filesystem;

#ifndef CV_CORPUS_DIR
#define CV_CORPUS_DIR "../shared/corpus"
#endif

const fs::path kDir = fs::path(CV_CORPUS_DIR) / "iLEAPP/josh_ios15_ffs/AppGroup";

std::string file_sha256(const fs::path& p)
{
    std::ifstream in(p, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto d = sha256(bytes);
    return to_hex(d);
}

struct Read {
    std::vector<Conversation> conversations;
    std::vector<std::pair<Item, std::size_t>> items;
    std::vector<std::string> warnings;
};

Read read_all(const Options& options)
{
    Read r;
    auto source = open_ios_db(kDir / "ChatStorage.sqlite", options);
    EXPECT_TRUE(source) << (source ? "" : source.error().describe());
    if (!source)
        return r;
    EXPECT_EQ((*source)->kind(), SourceKind::IosDatabase);
    r.conversations = (*source)->conversations();
    Item item;
    std::size_t conv = 0;
    for (;;) {
        auto more = (*source)->next(item, conv);
        EXPECT_TRUE(more) << (more ? "" : more.error().describe());
        if (!more || !*more)
            break;
        EXPECT_LT(conv, r.conversations.size());
        r.items.emplace_back(item, conv);
    }
    r.warnings = (*source)->warnings();
    return r;
}

Options full_options()
{
    Options o;
    o.call_history = kDir / "CallHistory.sqlite";
    o.contacts = kDir / "ContactsV2.sqlite";
    return o;
}

const Item* by_key(const Read& r, std::string_view key)
{
    for (const auto& [item, conv] : r.items)
        if (item.key_id == key)
            return &item;
    return nullptr;
}

class IosDbCorpus : public testing::Test {
protected:
    void SetUp() override
    {
        if (!fs::exists(kDir / "ChatStorage.sqlite"))
            GTEST_SKIP() << "corpus not found at " << kDir;
    }
};

TEST_F(IosDbCorpus, OriginalsAreNeverModified)
{
    std::map<std::string, std::string> before;
    for (const char* f : {"ChatStorage.sqlite", "CallHistory.sqlite", "ContactsV2.sqlite"})
        before[f] = file_sha256(kDir / f);
    EXPECT_EQ(before["ChatStorage.sqlite"],
              "72509784f953d7396313962784d097e22b64b2ad32d70290a501fb87708a3b38");
    const Read r = read_all(full_options());
    EXPECT_FALSE(r.items.empty());
    for (const auto& [f, hash] : before)
        EXPECT_EQ(file_sha256(kDir / f), hash) << f;
    for (const char* side : {"ChatStorage.sqlite-wal", "ChatStorage.sqlite-shm", "CallHistory.sqlite-wal"})
        EXPECT_FALSE(fs::exists(kDir / side)) << side;
}

// ileapp-001: 32 ZWAMESSAGE rows; Z_PK 28 is missing (MANIFEST).
TEST_F(IosDbCorpus, EveryMessageRowIsAnItemAndTheGapIsReported)
{
    const Read r = read_all(Options{});
    ASSERT_EQ(r.items.size(), 32u);
    for (std::size_t i = 0; i < r.items.size(); ++i)
        EXPECT_EQ(r.items[i].first.index, i);
    EXPECT_TRUE(std::any_of(r.warnings.begin(), r.warnings.end(), [](const std::string& w) {
        return w.find("1 row number(s) between 1 and 33 missing") != std::string::npos;
    })) << testing::PrintToString(r.warnings);
    // Items of one chat come in time order.
    for (std::size_t i = 1; i < r.items.size(); ++i) {
        if (r.items[i].second == r.items[i - 1].second) {
            EXPECT_LE(r.items[i - 1].first.utc, r.items[i].first.utc) << describe(r.items[i].first);
        }
    }
}

TEST_F(IosDbCorpus, ConversationsOwnerAndMembers)
{
    const Read r = read_all(Options{});
    ASSERT_EQ(r.conversations.size(), 5u);
    const Conversation& group = r.conversations[0];
    EXPECT_EQ(group.title, "Our Test Group");
    EXPECT_TRUE(group.group);
    EXPECT_EQ(group.jid, "120363023356659014@g.us");
    // The owner (ileapp-002: "Local User" = 19195794674@s.whatsapp.net) once, plus one LID member.
    ASSERT_EQ(group.members.size(), 2u);
    EXPECT_TRUE(group.members[0].owner);
    EXPECT_EQ(group.members[0].phone, "+19195794674");
    EXPECT_EQ(group.members[0].name, "Me");
    EXPECT_EQ(group.members[1].alias, "lid-205690463334636");
    EXPECT_FALSE(group.members[1].owner);

    const Conversation& chat = r.conversations[4];
    EXPECT_FALSE(chat.group);
    EXPECT_EQ(chat.title, "This Is DFIR Two");
    EXPECT_EQ(chat.jid, "19198887386@s.whatsapp.net");
    ASSERT_EQ(chat.members.size(), 2u);
    EXPECT_EQ(chat.members[1].phone, "+19198887386");
    EXPECT_EQ(
        std::count_if(chat.members.begin(), chat.members.end(), [](const Person& p) { return p.owner; }), 1);
}

// ileapp-013 … ileapp-029: texts, times, directions and senders of the 1:1 chat.
TEST_F(IosDbCorpus, TextMessagesMatchTheExpectedFacts)
{
    const Read r = read_all(Options{});
    struct Fact {
        std::int64_t utc;
        bool from_me;
        const char* text;
    };
    const Fact facts[] = {
        {1683043007, true, "I’m here!"},
        {1683043050, false, "Awesome. You had some chat history, eh?"},
        {1683043104, true, "Yep. I don’t recall setting it to back up, but who knows."},
        {1683043181, false, "Makes sense with all the test data you generate."},
        {1683043276, true, "I do generate quite a bit. I need to up my storage. A lot."},
        {1683043325, false, "QNAP is the way, my friend."},
        {1683043383, true, "That’s what I keep hearing."},
        {1683043450, false, "You listen to good people then. Lol."},
        {1683043508, true, "I do. Lol. I’ll send a picture. Just a moment."},
        {1683043667, false, "Accurate.  Alright, I’ll send you one now."},
        {1683043861, true, "Nice. I’ll audio call you."},
        {1683044069, false, "Now it’s my turn to audio call you."},
        {1683044347, true, "Here comes a video call."},
        {1683044586, false, "My turn. Here comes a video call."},
        {1683045066, true, "Done. It’s gone. 😀"},
    };
    for (const Fact& f : facts) {
        const auto it = std::find_if(r.items.begin(), r.items.end(),
                                     [&](const auto& p) { return p.first.text == f.text; });
        ASSERT_NE(it, r.items.end()) << f.text;
        const Item& item = it->first;
        EXPECT_EQ(item.kind, ItemKind::Message);
        EXPECT_EQ(item.utc, f.utc) << f.text;
        EXPECT_EQ(item.from_me, f.from_me) << f.text;
        EXPECT_EQ(item.sender_id, f.from_me ? "19195794674" : "19198887386") << f.text;
        EXPECT_EQ(item.author, f.from_me ? "Me" : "This Is DFIR Two") << f.text;
        EXPECT_EQ(it->second, 4u);
    }
    const Item* first = by_key(r, "3AD2D4F6C4FC636222C7");
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first->wall_clock_text, "2023-05-02T15:56:47");
    EXPECT_EQ(first->text, "I’m here!");
}

// ileapp-002 … ileapp-012: system rows (types 6 and 10) in the groups and the 1:1 chat.
TEST_F(IosDbCorpus, SystemRowsHaveReadableText)
{
    const Read r = read_all(Options{});
    const Item* e2e = by_key(r, "3ABE792113D3AAC700CB");  // ileapp-002: type 10 in "Med Report Review"
    ASSERT_NE(e2e, nullptr);
    EXPECT_EQ(e2e->kind, ItemKind::System);
    EXPECT_EQ(e2e->utc, 1654390010);
    EXPECT_EQ(e2e->text, "Messages and calls are end-to-end encrypted");
    EXPECT_FALSE(e2e->author);
    const Item* created = by_key(r, "3AAC3C01DD7D96E9D45E");  // ileapp-003: type 6/12 in "Our Test Group"
    ASSERT_NE(created, nullptr);
    EXPECT_EQ(created->kind, ItemKind::System);
    EXPECT_EQ(created->utc, 1648316646);
    EXPECT_EQ(created->text, "Group created");
    const Item* dm = by_key(r, "3AC44D3477F10FE290BC");  // ileapp-012
    ASSERT_NE(dm, nullptr);
    EXPECT_EQ(dm->utc, 1683043007);
    EXPECT_EQ(dm->kind, ItemKind::System);
    std::size_t system = 0;
    for (const auto& [item, conv] : r.items)
        system += item.kind == ItemKind::System;
    EXPECT_EQ(system, 11u);
}

// ileapp-022/024 (images), ileapp-030…033 (locations), and the reply of row 16.
TEST_F(IosDbCorpus, MediaLocationsAndReply)
{
    const Read r = read_all(Options{});
    const Item* sent = by_key(r, "3A122E2C181DAD156707");
    ASSERT_NE(sent, nullptr);
    EXPECT_EQ(sent->utc, 1683043582);
    ASSERT_EQ(sent->attachments.size(), 1u);
    const Attachment& a = sent->attachments[0];
    EXPECT_EQ(a.name, "d041d159-fd7d-4abb-9192-0e97c10ddb00.jpg");
    EXPECT_EQ(a.type, MediaType::Image);
    EXPECT_EQ(a.mime_type, "image/jpeg");
    EXPECT_EQ(a.size, 42073u);
    EXPECT_FALSE(a.present);  // no media folder given
    const Item* received = by_key(r, "3AC10519F2AFF5B61D26");
    ASSERT_NE(received, nullptr);
    EXPECT_EQ(received->utc, 1683043754);
    ASSERT_EQ(received->attachments.size(), 1u);
    EXPECT_EQ(received->attachments[0].name, "074dc9c5-d1e2-418b-8bcc-8c4ed1f67f7e.jpg");

    const Item* loc = by_key(r, "3A5363E4978EDE4D8DDA");
    ASSERT_NE(loc, nullptr);
    EXPECT_EQ(loc->utc, 1684333336);
    ASSERT_TRUE(loc->location);
    ASSERT_TRUE(loc->location->latitude && loc->location->longitude);
    EXPECT_NEAR(std::stod(*loc->location->latitude), 35.63850402832031, 1e-9);
    EXPECT_NEAR(std::stod(*loc->location->longitude), -78.87605285644531, 1e-9);
    EXPECT_EQ(loc->location->url.rfind("https://maps.google.com/?q=35.63850402832", 0), 0u)
        << loc->location->url;
    std::size_t locations = 0;
    for (const auto& [item, conv] : r.items)
        locations += item.location.has_value();
    EXPECT_EQ(locations, 4u);

    // Row 16 quotes row 15 (ZMETADATA field 5 = its stanza id, 6 = its sender, 19.1 = text).
    const Item* reply = by_key(r, "3A05BCEAE15CB80C6E30");
    ASSERT_NE(reply, nullptr);
    EXPECT_TRUE(reply->attachments.empty());  // a text row whose media item only holds metadata
    ASSERT_TRUE(reply->quoted);
    EXPECT_EQ(reply->quoted->key_id, "3A26649A0A496377CB01");
    EXPECT_EQ(reply->quoted->sender_id, "19198887386");
    EXPECT_EQ(reply->quoted->author, "This Is DFIR Two");
    EXPECT_EQ(reply->quoted->text, "Makes sense with all the test data you generate.");
    ASSERT_NE(by_key(r, "3A26649A0A496377CB01"), nullptr);
}

// CallHistory: 2 audio + 2 video calls (MANIFEST), times, directions and durations as
// iLEAPP's expected output lists them; all with the one 1:1 peer.
TEST_F(IosDbCorpus, CallsFromCallHistoryAndNamesFromContacts)
{
    const Read r = read_all(full_options());
    std::vector<const Item*> calls;
    for (const auto& [item, conv] : r.items)
        if (item.kind == ItemKind::Call) {
            calls.push_back(&item);
            EXPECT_EQ(conv, 4u);
        }
    ASSERT_EQ(calls.size(), 4u);
    struct Fact {
        std::int64_t utc;
        bool outgoing;
        CallMedia media;
        std::uint32_t duration;
    };
    const Fact facts[] = {{1683043930, true, CallMedia::Voice, 95},
                          {1683044106, false, CallMedia::Voice, 101},
                          {1683044445, true, CallMedia::Video, 105},
                          {1683044661, false, CallMedia::Video, 104}};
    for (std::size_t i = 0; i < 4; ++i) {
        const Item& c = *calls[i];
        EXPECT_EQ(c.utc, facts[i].utc);
        ASSERT_TRUE(c.call);
        EXPECT_EQ(c.call->outgoing, facts[i].outgoing);
        EXPECT_EQ(c.from_me, facts[i].outgoing);
        EXPECT_EQ(c.call->media, facts[i].media);
        EXPECT_EQ(c.call->result, CallResult::Answered);
        EXPECT_EQ(c.call->duration_seconds, facts[i].duration);
        EXPECT_EQ(c.sender_id, facts[i].outgoing ? "19195794674" : "19198887386");
        EXPECT_TRUE(c.key_id && !c.key_id->empty());
    }
    EXPECT_EQ(r.items.size(), 36u);
    // Calls sit between the messages that announce them (time order within the chat).
    const auto pos = [&](std::string_view key) {
        return std::find_if(r.items.begin(), r.items.end(),
                            [&](const auto& p) { return p.first.key_id == key; }) -
               r.items.begin();
    };
    const auto first_call = std::find_if(r.items.begin(), r.items.end(),
                                         [](const auto& p) { return p.first.kind == ItemKind::Call; }) -
                            r.items.begin();
    EXPECT_GT(first_call, pos("3AE313C0235FD02BFEAD"));  // "Nice. I'll audio call you."
    EXPECT_LT(first_call, pos("3A269C6C224D668B8ACE"));  // "Now it's my turn to audio call you."
    // ContactsV2 (ileapp-042) names the peer.
    EXPECT_EQ(r.conversations[4].members[1].name, "This Is DFIR Two");
}

TEST_F(IosDbCorpus, WallClockFollowsTheZone)
{
    Options o;
    o.time_zone = "America/New_York";
    const Read r = read_all(o);
    const Item* first = by_key(r, "3AD2D4F6C4FC636222C7");
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first->utc, 1683043007);
    EXPECT_EQ(first->wall_clock_text, "2023-05-02T11:56:47");  // EDT, UTC-4
    EXPECT_EQ(first->dst, DstResolution::Unique);
}

}  // namespace
}  // namespace cv::ios_db

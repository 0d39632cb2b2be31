// The iOS reader on small ChatStorage/CallHistory databases built here from the spec (§C):
// replies, deletions, contact cards, media present and missing, groups, calls, odd data and
// the errors for files that are not a ChatStorage.

#include "sources/ios_db/ios_db.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "sqlite/sqlite.hpp"
#include "support/temp_dir.hpp"

namespace cv::ios_db {
namespace {

namespace fs = std::filesystem;

using test::TempDir;

void write_file(const fs::path& p, std::string_view data)
{
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
}

void exec(const fs::path& db, const std::string& sql)
{
    auto d = sqlite::Database::open(db.string(), true);
    ASSERT_TRUE(d) << d.error().describe();
    auto r = d->exec(sql);
    ASSERT_TRUE(r) << r.error().describe();
}

// The iOS 15 columns the reader uses (a subset of the real schema, §C.3–C.7).
const char* const kSchema = R"(
CREATE TABLE ZWACHATSESSION (Z_PK INTEGER PRIMARY KEY, ZCONTACTJID VARCHAR, ZPARTNERNAME VARCHAR);
CREATE TABLE ZWAMESSAGE (Z_PK INTEGER PRIMARY KEY, ZCHATSESSION INTEGER, ZISFROMME INTEGER,
  ZMESSAGEDATE TIMESTAMP, ZSENTDATE TIMESTAMP, ZFROMJID VARCHAR, ZTOJID VARCHAR, ZSTANZAID VARCHAR,
  ZTEXT VARCHAR, ZMESSAGETYPE INTEGER, ZGROUPEVENTTYPE INTEGER, ZGROUPMEMBER INTEGER, ZMEDIAITEM INTEGER,
  ZSORT INTEGER, ZFLAGS INTEGER);
CREATE TABLE ZWAMEDIAITEM (Z_PK INTEGER PRIMARY KEY, ZMESSAGE INTEGER, ZFILESIZE INTEGER,
  ZLATITUDE FLOAT, ZLONGITUDE FLOAT, ZMEDIALOCALPATH VARCHAR, ZTITLE VARCHAR, ZVCARDNAME VARCHAR,
  ZVCARDSTRING VARCHAR, ZMETADATA BLOB);
CREATE TABLE ZWAGROUPMEMBER (Z_PK INTEGER PRIMARY KEY, ZCHATSESSION INTEGER, ZMEMBERJID VARCHAR,
  ZCONTACTNAME VARCHAR, ZFIRSTNAME VARCHAR);
CREATE TABLE ZWAPROFILEPUSHNAME (Z_PK INTEGER PRIMARY KEY, ZJID VARCHAR, ZPUSHNAME VARCHAR);
)";

// Chat 1: 1:1 with Erika (+4915112345678); chat 2: a group with Erika and a LID member;
// chat 3: a status feed (skipped). 788954400 = 2026-01-01T10:00:00Z.
const char* const kRows = R"(
INSERT INTO ZWACHATSESSION VALUES (1, '4915112345678@s.whatsapp.net', 'Erika Muster');
INSERT INTO ZWACHATSESSION VALUES (2, '120363041234567890@g.us', 'Project X');
INSERT INTO ZWACHATSESSION VALUES (3, 'status@broadcast', NULL);
INSERT INTO ZWAGROUPMEMBER VALUES (1, 2, '4915112345678@s.whatsapp.net', 'Erika M.', 'Erika');
INSERT INTO ZWAGROUPMEMBER VALUES (2, 2, '187654321098765@lid', NULL, NULL);
INSERT INTO ZWAGROUPMEMBER VALUES (3, 2, '4930111111111@s.whatsapp.net', NULL, NULL);
INSERT INTO ZWAPROFILEPUSHNAME VALUES (1, '187654321098765@lid', 'Lido');
INSERT INTO ZWAPROFILEPUSHNAME VALUES (2, '4930111111111@s.whatsapp.net', 'Owner Push');
-- 1:1 chat
INSERT INTO ZWAMESSAGE VALUES (1, 1, 0, 788954400, NULL, '4915112345678@s.whatsapp.net', '4930111111111@s.whatsapp.net',
  '3A00000000000000E2E0', NULL, 10, 2, NULL, NULL, 1, 0);
INSERT INTO ZWAMESSAGE VALUES (2, 1, 0, 788954460, NULL, '4915112345678@s.whatsapp.net', NULL,
  '3a0f1e2d3c4b5a697887', 'See you at ten', 0, 2, NULL, NULL, 2, 0);
INSERT INTO ZWAMESSAGE VALUES (3, 1, 1, 788954520.75, NULL, NULL, '4915112345678@s.whatsapp.net',
  '3A11111111111111AAAA', 'Fine', 0, 0, NULL, 1, 3, 0);
INSERT INTO ZWAMEDIAITEM VALUES (1, 3, 0, 0, 0, NULL, NULL, NULL, NULL, ?1);
INSERT INTO ZWAMESSAGE VALUES (4, 1, 0, 788954580, NULL, '4915112345678@s.whatsapp.net', NULL,
  '3A22222222222222BBBB', NULL, 14, 2, NULL, 2, 4, 0);
INSERT INTO ZWAMEDIAITEM VALUES (2, 4, 0, 0, 0, NULL, NULL, NULL, '4915112345678@s.whatsapp.net', NULL);
INSERT INTO ZWAMESSAGE VALUES (5, 1, 1, 788954640, NULL, NULL, '4915112345678@s.whatsapp.net',
  '3A33333333333333CCCC', NULL, 4, 0, NULL, 3, 5, 0);
INSERT INTO ZWAMEDIAITEM VALUES (3, 5, 0, 0, 0, NULL, NULL,
  'Two people_$!<Name-Separator>!$_Anna/B_$!<Name-Separator>!$_Ben',
  'BEGIN:VCARD' || char(10) || 'FN:Anna' || char(10) || 'END:VCARD_$!<VCard-Separator>!$_BEGIN:VCARD' || char(10) || 'FN:Ben' || char(10) || 'END:VCARD', NULL);
INSERT INTO ZWAMESSAGE VALUES (6, 1, 1, 788954700, NULL, NULL, '4915112345678@s.whatsapp.net',
  '3A44444444444444DDDD', NULL, 1, 0, NULL, 4, 6, 0);
INSERT INTO ZWAMEDIAITEM VALUES (4, 6, 999, 0, 0, 'Media/4915112345678@s.whatsapp.net/a/3/photo.jpg', 'Look',
  'hash=', 'image/jpeg', NULL);
INSERT INTO ZWAMESSAGE VALUES (7, 1, 0, 788954760, NULL, '4915112345678@s.whatsapp.net', NULL,
  '3A55555555555555EEEE', NULL, 8, 2, NULL, 5, 7, 0);
INSERT INTO ZWAMEDIAITEM VALUES (5, 7, 12345, 0, 0, 'Media/4915112345678@s.whatsapp.net/b/1/gone.pdf', 'Report Q4.pdf',
  'hash=', 'application/pdf', NULL);
INSERT INTO ZWAMESSAGE VALUES (8, 1, 0, 788954820, NULL, '4915112345678@s.whatsapp.net', NULL,
  '3A66666666666666FFFF', NULL, 3, 2, NULL, 6, 8, 0);
INSERT INTO ZWAMEDIAITEM VALUES (6, 8, 10, 0, 0, '../../etc/passwd', NULL, NULL, 'audio/ogg; codecs=opus', NULL);
INSERT INTO ZWAMESSAGE VALUES (9, 1, 0, 0, NULL, '4915112345678@s.whatsapp.net', NULL,
  '3A77777777777777AAAA', CAST(X'6E6F2064617465FF' AS TEXT), 0, 2, NULL, NULL, 9, 0);
INSERT INTO ZWAMESSAGE VALUES (10, 1, 1, 788954900, NULL, NULL, '4915112345678@s.whatsapp.net',
  '3A88888888888888BBBB', NULL, 59, 0, NULL, NULL, 10, 0);
INSERT INTO ZWAMESSAGE VALUES (11, 1, 0, 788955000, NULL, '4915112345678@s.whatsapp.net', NULL,
  '3A99999999999999CCCC', NULL, 99, 2, NULL, NULL, 11, 0);
INSERT INTO ZWAMESSAGE VALUES (12, 1, 1, 788955100, NULL, NULL, '4915112345678@s.whatsapp.net',
  '3AAAAAAAAAAAAAAADDDD', NULL, 5, 0, NULL, 7, 12, 0);
INSERT INTO ZWAMEDIAITEM VALUES (7, 12, 0, 52.52, 13.405, NULL, 'Brandenburger Tor', NULL, NULL, NULL);
-- group
INSERT INTO ZWAMESSAGE VALUES (20, 2, 0, 788950000, NULL, '120363041234567890@g.us', '4930111111111@s.whatsapp.net',
  '3AB0000000000000AAAA', NULL, 6, 12, NULL, NULL, 1, 0);
INSERT INTO ZWAMESSAGE VALUES (21, 2, 0, 788950100, NULL, '120363041234567890@g.us', NULL,
  '3AB1111111111111AAAA', 'Hello group', 0, 2, 2, NULL, 2, 0);
INSERT INTO ZWAMESSAGE VALUES (22, 2, 0, 788950200, NULL, '120363041234567890@g.us', NULL,
  '3AB2222222222222AAAA', 'From Erika', 0, 2, 1, NULL, 3, 0);
INSERT INTO ZWAMESSAGE VALUES (23, 2, 0, 788950300, NULL, '120363041234567890@g.us', '4930111111111@s.whatsapp.net',
  '3AB3333333333333AAAA', NULL, 6, 3, 2, NULL, 4, 0);
-- status feed
INSERT INTO ZWAMESSAGE VALUES (30, 3, 0, 788950000, NULL, '4915112345678@s.whatsapp.net', NULL,
  '3AC0000000000000AAAA', 'status text', 0, 2, NULL, NULL, 1, 0);
)";

// ZMETADATA of message 3: quotes message 2 (§C.6's example).
std::string reply_metadata()
{
    using namespace std::string_literals;
    return "\x2A\x14"s + "3a0f1e2d3c4b5a697887" + "\x32\x1C"s + "4915112345678@s.whatsapp.net" +
           "\x9A\x01\x10\x0A\x0E"s + "See you at ten";
}

fs::path build_chat_storage(const TempDir& dir)
{
    const fs::path db = dir.path() / "ChatStorage.sqlite";
    exec(db, kSchema);
    auto d = sqlite::Database::open(db.string(), false);
    EXPECT_TRUE(d);
    // Statements one by one: the reply's blob is bound as a parameter.
    std::string rows = kRows;
    std::size_t start = 0;
    const std::string meta = reply_metadata();
    while (start < rows.size()) {
        std::size_t end = rows.find(";\n", start);
        if (end == std::string::npos)
            end = rows.size();
        std::string sql = rows.substr(start, end - start);
        start = end + 2;
        std::string body;
        for (std::size_t p = 0; p < sql.size();) {  // drop "--" comment lines
            const std::size_t nl = sql.find('\n', p);
            const std::string line = sql.substr(p, nl == std::string::npos ? std::string::npos : nl - p);
            if (line.rfind("--", 0) != 0)
                body += line + "\n";
            p = nl == std::string::npos ? sql.size() : nl + 1;
        }
        if (body.find_first_not_of(" \n") == std::string::npos)
            continue;
        auto st = d->prepare(body);
        EXPECT_TRUE(st) << (st ? "" : st.error().describe());
        if (!st)
            continue;
        if (body.find("?1") != std::string::npos)
            st->bind_blob(1, {reinterpret_cast<const std::uint8_t*>(meta.data()), meta.size()});
        EXPECT_TRUE(st->run());
    }
    return db;
}

struct Read {
    std::vector<Conversation> conversations;
    std::vector<std::pair<Item, std::size_t>> items;
    std::vector<std::string> warnings;
    const Item* key(std::string_view k) const
    {
        for (const auto& [item, conv] : items)
            if (item.key_id == k)
                return &item;
        return nullptr;
    }
    bool warned(std::string_view part) const
    {
        return std::any_of(warnings.begin(), warnings.end(),
                           [&](const std::string& w) { return w.find(part) != std::string::npos; });
    }
};

Read read_all(const fs::path& db, const Options& options, std::unique_ptr<ChatSource>* keep = nullptr)
{
    Read r;
    auto source = open_ios_db(db, options);
    EXPECT_TRUE(source) << (source ? "" : source.error().describe());
    if (!source)
        return r;
    r.conversations = (*source)->conversations();
    Item item;
    std::size_t conv = 0;
    for (;;) {
        auto more = (*source)->next(item, conv);
        EXPECT_TRUE(more) << (more ? "" : more.error().describe());
        if (!more || !*more)
            break;
        r.items.emplace_back(item, conv);
    }
    r.warnings = (*source)->warnings();
    if (keep)
        *keep = std::move(*source);
    return r;
}

TEST(IosDbBuilt, ConversationsMembersAndOwner)
{
    TempDir dir;
    const Read r = read_all(build_chat_storage(dir), Options{});
    ASSERT_EQ(r.conversations.size(), 2u);  // the status feed is not a conversation
    const Conversation& dm = r.conversations[0];
    EXPECT_EQ(dm.title, "Erika Muster");
    EXPECT_FALSE(dm.group);
    ASSERT_EQ(dm.members.size(), 2u);
    EXPECT_TRUE(dm.members[0].owner);
    EXPECT_EQ(dm.members[0].phone, "+4930111111111");  // ZTOJID of the system rows
    EXPECT_EQ(dm.members[0].name, "Owner Push");       // ZWAPROFILEPUSHNAME
    EXPECT_EQ(dm.members[1].phone, "+4915112345678");
    const Conversation& group = r.conversations[1];
    EXPECT_TRUE(group.group);
    EXPECT_EQ(group.title, "Project X");
    EXPECT_EQ(group.jid, "120363041234567890@g.us");
    ASSERT_EQ(group.members.size(), 3u);  // owner, Erika, the LID member; the owner's row not twice
    EXPECT_TRUE(group.members[0].owner);
    EXPECT_EQ(group.members[1].name, "Erika M.");
    EXPECT_EQ(group.members[2].alias, "lid-187654321098765");
    EXPECT_EQ(group.members[2].name, "Lido");
    EXPECT_TRUE(r.warned("1 status update(s) skipped"));
}

TEST(IosDbBuilt, ReplyFromHandMadeMetadata)
{
    TempDir dir;
    const Read r = read_all(build_chat_storage(dir), Options{});
    const Item* reply = r.key("3A11111111111111AAAA");
    ASSERT_NE(reply, nullptr);
    EXPECT_EQ(reply->text, "Fine");
    EXPECT_EQ(reply->from_me, true);
    EXPECT_EQ(reply->sender_id, "4930111111111");
    EXPECT_TRUE(reply->attachments.empty());
    ASSERT_TRUE(reply->quoted);
    EXPECT_EQ(reply->quoted->key_id, "3A0F1E2D3C4B5A697887");  // upper-cased like every key_id
    EXPECT_EQ(reply->quoted->sender_id, "4915112345678");
    EXPECT_EQ(reply->quoted->author, "Erika Muster");
    EXPECT_EQ(reply->quoted->text, "See you at ten");
    EXPECT_EQ(reply->utc, 788954520 + 978307200);
    // The quoted message carries the same id, upper-cased.
    EXPECT_NE(r.key("3A0F1E2D3C4B5A697887"), nullptr);
}

TEST(IosDbBuilt, DeletedContactCardsAndLocation)
{
    TempDir dir;
    const Read r = read_all(build_chat_storage(dir), Options{});
    const Item* deleted = r.key("3A22222222222222BBBB");
    ASSERT_NE(deleted, nullptr);
    EXPECT_TRUE(deleted->deleted);
    EXPECT_TRUE(deleted->attachments.empty());  // ZVCARDSTRING holds the deleter, not a mime type
    EXPECT_EQ(deleted->sender_id, "4915112345678");

    const Item* cards = r.key("3A33333333333333CCCC");
    ASSERT_NE(cards, nullptr);
    ASSERT_EQ(cards->attachments.size(), 2u);  // the list title "Two people" is dropped
    EXPECT_EQ(cards->attachments[0].name, "Anna_B.vcf");
    EXPECT_EQ(cards->attachments[0].type, MediaType::Contact);
    EXPECT_EQ(cards->attachments[0].inline_data, "BEGIN:VCARD\nFN:Anna\nEND:VCARD");
    EXPECT_TRUE(cards->attachments[0].present);
    EXPECT_EQ(cards->attachments[1].name, "Ben.vcf");
    EXPECT_EQ(cards->attachments[1].inline_data, "BEGIN:VCARD\nFN:Ben\nEND:VCARD");

    const Item* loc = r.key("3AAAAAAAAAAAAAAADDDD");
    ASSERT_NE(loc, nullptr);
    ASSERT_TRUE(loc->location);
    EXPECT_EQ(loc->location->latitude, "52.52");
    EXPECT_EQ(loc->location->longitude, "13.405");
    EXPECT_EQ(loc->location->url, "https://maps.google.com/?q=52.52,13.405");
    EXPECT_EQ(loc->location->venue, "Brandenburger Tor");
}

TEST(IosDbBuilt, MediaPresentMissingAndOutsideTheFolder)
{
    TempDir dir;
    const fs::path db = build_chat_storage(dir);
    const fs::path media = dir.path() / "AppGroup";
    write_file(media / "Message/Media/4915112345678@s.whatsapp.net/a/3/photo.jpg", "JPEGDATA");
    write_file(dir.path() / "etc/passwd", "secret");
    Options o;
    o.media_dir = media;  // the container: its Message/ folder is tried too
    std::unique_ptr<ChatSource> source;
    const Read r = read_all(db, o, &source);
    ASSERT_TRUE(source);

    const Item* photo = r.key("3A44444444444444DDDD");
    ASSERT_NE(photo, nullptr);
    ASSERT_EQ(photo->attachments.size(), 1u);
    const Attachment& a = photo->attachments[0];
    EXPECT_TRUE(a.present);
    EXPECT_EQ(a.name, "photo.jpg");
    EXPECT_EQ(a.type, MediaType::Image);
    EXPECT_EQ(a.mime_type, "image/jpeg");
    EXPECT_EQ(a.size, 8u);           // the file's size, not ZFILESIZE
    EXPECT_EQ(photo->text, "Look");  // ZTITLE as the caption
    auto bytes = source->open_attachment(a);
    ASSERT_TRUE(bytes);
    char buf[32];
    auto n = (*bytes)->read(buf);
    ASSERT_TRUE(n);
    EXPECT_EQ(std::string(buf, *n), "JPEGDATA");

    const Item* doc = r.key("3A55555555555555EEEE");
    ASSERT_NE(doc, nullptr);
    ASSERT_EQ(doc->attachments.size(), 1u);
    EXPECT_FALSE(doc->attachments[0].present);
    EXPECT_EQ(doc->attachments[0].name, "Report Q4.pdf");  // a document's ZTITLE is its name
    EXPECT_EQ(doc->attachments[0].type, MediaType::Document);
    EXPECT_EQ(doc->attachments[0].size, 12345u);
    EXPECT_EQ(source->open_attachment(doc->attachments[0]).error().code(), ErrorCode::NotFound);

    const Item* voice = r.key("3A66666666666666FFFF");
    ASSERT_NE(voice, nullptr);
    ASSERT_EQ(voice->attachments.size(), 1u);
    EXPECT_FALSE(voice->attachments[0].present);  // "../../etc/passwd" must not leave the folder
    EXPECT_EQ(voice->attachments[0].type, MediaType::VoiceNote);

    const Item* cards = r.key("3A33333333333333CCCC");
    ASSERT_NE(cards, nullptr);
    auto card = source->open_attachment(cards->attachments[1]);
    ASSERT_TRUE(card);
    n = (*card)->read(buf);
    ASSERT_TRUE(n);
    EXPECT_EQ(std::string(buf, *n), "BEGIN:VCARD\nFN:Ben\nEND:VCARD");
}

TEST(IosDbBuilt, GroupSendersSystemEventsAndOddRows)
{
    TempDir dir;
    const Read r = read_all(build_chat_storage(dir), Options{});
    const Item* lid = r.key("3AB1111111111111AAAA");
    ASSERT_NE(lid, nullptr);
    EXPECT_EQ(lid->sender_id, "lid-187654321098765");
    EXPECT_EQ(lid->author, "Lido");
    const Item* erika = r.key("3AB2222222222222AAAA");
    ASSERT_NE(erika, nullptr);
    EXPECT_EQ(erika->sender_id, "4915112345678");
    EXPECT_EQ(erika->author, "Erika M.");
    const Item* created = r.key("3AB0000000000000AAAA");
    ASSERT_NE(created, nullptr);
    EXPECT_EQ(created->kind, ItemKind::System);
    EXPECT_EQ(created->text, "Group created");
    EXPECT_FALSE(created->author);
    const Item* left = r.key("3AB3333333333333AAAA");
    ASSERT_NE(left, nullptr);
    EXPECT_EQ(left->text, "Lido left");

    // ZMESSAGEDATE 0 = not recorded: the time of the row before it, ill-formed UTF-8 replaced.
    const Item* undated = r.key("3A77777777777777AAAA");
    ASSERT_NE(undated, nullptr);
    EXPECT_EQ(undated->utc, 788954820 + 978307200);
    EXPECT_EQ(undated->text, "no date\xEF\xBF\xBD");
    EXPECT_TRUE(r.warned("1 row(s) without ZMESSAGEDATE"));
    const Item* unknown = r.key("3A99999999999999CCCC");
    ASSERT_NE(unknown, nullptr);
    EXPECT_EQ(unknown->text, "unsupported message (type 99)");
    EXPECT_EQ(unknown->placeholder, Placeholder::Unrenderable);
    // A type-59 row with no CallHistory is a call item of its own.
    const Item* call = r.key("3A88888888888888BBBB");
    ASSERT_NE(call, nullptr);
    EXPECT_EQ(call->kind, ItemKind::Call);
    EXPECT_EQ(call->call->outgoing, true);
    // Each chat in time order; the group's items all name the group.
    for (std::size_t i = 1; i < r.items.size(); ++i) {
        if (r.items[i].second == r.items[i - 1].second) {
            EXPECT_LE(r.items[i - 1].first.utc, r.items[i].first.utc) << describe(r.items[i].first);
        }
    }
    EXPECT_EQ(r.items.size(), 16u);
}

TEST(IosDbBuilt, CallHistoryFoldsTheChatRowOfTheSameCall)
{
    TempDir dir;
    const fs::path db = build_chat_storage(dir);
    const fs::path calls = dir.path() / "CallHistory.sqlite";
    exec(calls, R"(
CREATE TABLE ZWAAGGREGATECALLEVENT (Z_PK INTEGER PRIMARY KEY, ZINCOMING INTEGER, ZMISSED INTEGER, ZVIDEO INTEGER,
  ZFIRSTDATE TIMESTAMP);
CREATE TABLE ZWACDCALLEVENT (Z_PK INTEGER PRIMARY KEY, Z1CALLEVENTS INTEGER, ZDATE TIMESTAMP, ZDURATION FLOAT,
  ZOUTCOME INTEGER, ZGROUPCALLCREATORUSERJIDSTRING VARCHAR, ZGROUPJIDSTRING VARCHAR);
CREATE TABLE ZWACDCALLEVENTPARTICIPANT (Z_PK INTEGER PRIMARY KEY, Z1PARTICIPANTS INTEGER, ZJIDSTRING VARCHAR);
INSERT INTO ZWAAGGREGATECALLEVENT VALUES (1, 0, 0, 0, 788954930.5);
INSERT INTO ZWACDCALLEVENT VALUES (1, 1, 788954930.5, 95.4, 0, '4930111111111@s.whatsapp.net', NULL);
INSERT INTO ZWACDCALLEVENTPARTICIPANT VALUES (1, 1, '4915112345678@s.whatsapp.net');
INSERT INTO ZWAAGGREGATECALLEVENT VALUES (2, 1, 1, 1, 788960000);
INSERT INTO ZWACDCALLEVENT VALUES (2, 2, 788960000, 0, 1, '4917000000000@s.whatsapp.net', NULL);
INSERT INTO ZWACDCALLEVENTPARTICIPANT VALUES (2, 2, '4930111111111@s.whatsapp.net');
)");
    Options o;
    o.call_history = calls;
    const Read r = read_all(db, o);
    std::vector<std::pair<const Item*, std::size_t>> found;
    for (const auto& [item, conv] : r.items)
        if (item.kind == ItemKind::Call)
            found.emplace_back(&item, conv);
    ASSERT_EQ(found.size(), 2u);  // the type-59 row and CallHistory call 1 are one call
    const Item& voice = *found[0].first;
    EXPECT_EQ(found[0].second, 0u);
    EXPECT_EQ(voice.key_id, "3A88888888888888BBBB");  // the chat row's id (the call id)
    EXPECT_EQ(voice.utc, 788954930 + 978307200);
    EXPECT_EQ(voice.call->outgoing, true);
    EXPECT_EQ(voice.call->result, CallResult::Answered);
    EXPECT_EQ(voice.call->duration_seconds, 95u);
    EXPECT_EQ(voice.sender_id, "4930111111111");
    const Item& missed = *found[1].first;
    EXPECT_EQ(missed.call->media, CallMedia::Video);
    EXPECT_EQ(missed.call->result, CallResult::Missed);
    EXPECT_EQ(missed.call->outgoing, false);
    EXPECT_EQ(missed.sender_id, "4917000000000");
    // A caller the owner never wrote to gets a conversation of their own.
    ASSERT_EQ(r.conversations.size(), 3u);
    EXPECT_EQ(found[1].second, 2u);
    EXPECT_EQ(r.conversations[2].members[1].phone, "+4917000000000");
    EXPECT_EQ(r.items.size(), 17u);  // 15 message rows (row 10 folded into call 1) + 2 calls
}

TEST(IosDbBuilt, MissingColumnsAreWarnedOncePerTable)
{
    TempDir dir;
    const fs::path db = dir.path() / "old.sqlite";
    exec(db, R"(
CREATE TABLE ZWACHATSESSION (Z_PK INTEGER PRIMARY KEY, ZCONTACTJID VARCHAR);
CREATE TABLE ZWAMESSAGE (Z_PK INTEGER PRIMARY KEY, ZCHATSESSION INTEGER, ZMESSAGEDATE TIMESTAMP, ZTEXT VARCHAR);
INSERT INTO ZWACHATSESSION VALUES (1, '4915112345678@s.whatsapp.net');
INSERT INTO ZWAMESSAGE VALUES (1, 1, 788954400, 'old schema');
INSERT INTO ZWAMESSAGE VALUES (2, 7, 788954400, 'no such chat');
)");
    const Read r = read_all(db, Options{});
    ASSERT_EQ(r.items.size(), 1u);
    EXPECT_EQ(r.items[0].first.text, "old schema");
    EXPECT_EQ(r.conversations[0].title, "+4915112345678");
    EXPECT_TRUE(r.warned("table ZWAMESSAGE: columns ZFROMJID, ZGROUPEVENTTYPE, ZGROUPMEMBER, ZISFROMME, "
                         "ZMESSAGETYPE, ZSENTDATE, ZSTANZAID missing"))
        << testing::PrintToString(r.warnings);
    EXPECT_TRUE(r.warned("table ZWACHATSESSION: column ZPARTNERNAME missing"));
    EXPECT_TRUE(r.warned("ZWAMEDIAITEM missing"));
    EXPECT_TRUE(r.warned("1 row(s) of no known chat"));
    EXPECT_EQ(std::count_if(r.warnings.begin(), r.warnings.end(),
                            [](const std::string& w) { return w.starts_with("table ZWAMESSAGE: column"); }),
              1);
}

TEST(IosDbBuilt, FilesThatAreNotAChatStorage)
{
    TempDir dir;
    const fs::path enc = dir.path() / "ChatStorage.sqlite";
    write_file(enc, std::string(4096, '\x5A'));  // what an encrypted backup's file looks like
    auto e = open_ios_db(enc, Options{});
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().code(), ErrorCode::Parse);
    EXPECT_NE(e.error().message().find("must be decrypted"), std::string::npos) << e.error().message();

    const fs::path android = dir.path() / "msgstore.db";
    exec(android, "CREATE TABLE message (_id INTEGER); CREATE TABLE jid (_id INTEGER); CREATE TABLE chat "
                  "(_id INTEGER);");
    auto a = open_ios_db(android, Options{});
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().code(), ErrorCode::InvalidArgument);
    EXPECT_NE(a.error().message().find("tables chat, jid, message"), std::string::npos)
        << a.error().message();
    EXPECT_NE(a.error().message().find("Android msgstore.db"), std::string::npos);

    auto missing = open_ios_db(dir.path() / "nope.sqlite", Options{});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);

    Options bad_zone;
    bad_zone.time_zone = "Mars/Olympus";
    EXPECT_EQ(open_ios_db(android, bad_zone).error().code(), ErrorCode::InvalidArgument);

    // A CallHistory that is not one is an error naming the file, not a silent drop.
    TempDir dir2;
    Options o;
    o.call_history = android;
    auto c = open_ios_db(build_chat_storage(dir2), o);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code(), ErrorCode::InvalidArgument);
    EXPECT_NE(c.error().describe().find("msgstore.db"), std::string::npos);
}

}  // namespace
}  // namespace cv::ios_db

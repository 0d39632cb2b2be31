// The Android msgstore.db reader against the public corpus (read in place, never copied) and
// against a modern-schema database built by support/modern_db (whatsapp-viewer's DDL plus our
// own rows).

#include "sources/android_db/android_db.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/digest.hpp"
#include "sqlite/sqlite.hpp"
#include "support/modern_db.hpp"

#ifndef CV_CORPUS_DIR
#define CV_CORPUS_DIR "../shared/corpus"
#endif

namespace cv::android_db {
namespace {

namespace fs = std::filesystem;

// The modern-schema database and the helpers to build it are shared with render_import_test.
using test_db::build_viewer_db;
using test_db::kT0;
using test_db::kViewerRows;
using test_db::kViewerSchema;
using test_db::ModernFixture;
using test_db::slurp;
using test_db::TempDir;

const fs::path kCorpus = CV_CORPUS_DIR;
const fs::path kIped = kCorpus / "IPED/test-files/test_whatsAppMsgStore.db";
const fs::path kIpedWa = kCorpus / "IPED/test-files/test_whatsApp.db";
const fs::path kMemacs = kCorpus / "Memacs/memacs/tests/data/msgstore.db";

std::string file_hash(const fs::path& p)
{
    const std::string bytes = slurp(p);
    const auto d = sha256(bytes);
    return to_hex(d);
}

struct Read {
    std::unique_ptr<ChatSource> source;
    std::vector<Item> items;
    std::vector<std::size_t> convs;

    // Items of one conversation, in the order read.
    std::vector<const Item*> in(std::size_t conv) const
    {
        std::vector<const Item*> out;
        for (std::size_t i = 0; i < items.size(); ++i)
            if (convs[i] == conv)
                out.push_back(&items[i]);
        return out;
    }
    std::size_t conv_of_jid(std::string_view jid) const
    {
        const auto& cs = source->conversations();
        for (std::size_t i = 0; i < cs.size(); ++i)
            if (cs[i].jid == jid)
                return i;
        return SIZE_MAX;
    }
    const Item* by_key(std::string_view key) const
    {
        for (const auto& i : items)
            if (i.key_id == key)
                return &i;
        return nullptr;
    }
    std::string all_warnings() const
    {
        std::string out;
        for (const auto& w : source->warnings())
            out += w + "\n";
        return out;
    }
};

Read read_all(const fs::path& db, const Options& options = {})
{
    Read r;
    auto opened = open_android_db(db, options);
    EXPECT_TRUE(opened) << (opened ? std::string() : opened.error().describe());
    if (!opened)
        return r;
    r.source = std::move(*opened);
    Item item;
    std::size_t conv = 0;
    for (;;) {
        auto more = r.source->next(item, conv);
        EXPECT_TRUE(more) << (more ? std::string() : more.error().describe());
        if (!more || !*more)
            break;
        EXPECT_LT(conv, r.source->conversations().size());
        r.items.push_back(item);
        r.convs.push_back(conv);
    }
    return r;
}

bool corpus_present()
{
    return fs::exists(kIped) && fs::exists(kMemacs) && fs::exists(kViewerSchema) && fs::exists(kViewerRows);
}

#define CV_NEED_CORPUS()                                                                                     \
    if (!corpus_present()) {                                                                                 \
        GTEST_SKIP() << "corpus not found at " << kCorpus;                                                   \
    }

// ---------------------------------------------------------------------------------------------
// IPED: the 2021 transition database (rows in legacy `messages`, the new tables beside them).

TEST(AndroidDbIped, TransitionDatabaseIsReadFromTheLegacyTable)
{
    CV_NEED_CORPUS();
    auto schema = detect_schema(kIped);
    ASSERT_TRUE(schema) << schema.error().describe();
    EXPECT_EQ(*schema, Schema::Legacy);
}

TEST(AndroidDbIped, CountsMatchExpectedJson)  // iped-001
{
    CV_NEED_CORPUS();
    const Read r = read_all(kIped, {.time_zone = "UTC", .media_dir = {}, .contacts = kIpedWa});
    ASSERT_TRUE(r.source);
    EXPECT_EQ(r.items.size(), 74u);  // 75 rows minus the _id 1 placeholder
    const auto& convs = r.source->conversations();
    EXPECT_EQ(convs.size(), 29u);
    std::size_t groups = 0, privates = 0;
    for (const auto& c : convs) {
        (c.group ? groups : privates)++;
        ASSERT_TRUE(c.jid);
        std::size_t owners = 0;
        for (const auto& m : c.members)
            owners += m.owner ? 1 : 0;
        EXPECT_EQ(owners, 1u) << *c.jid;
    }
    EXPECT_EQ(groups, 18u);
    EXPECT_EQ(privates, 11u);
    for (const auto& i : r.items)
        EXPECT_EQ(i.key_id->size(), 32u) << describe(i);  // Android ids: 32 upper-case hex
}

TEST(AndroidDbIped, FirstChatInTimeOrder)  // iped-002..006, iped-009
{
    CV_NEED_CORPUS();
    const Read r = read_all(kIped, {.time_zone = "UTC", .media_dir = {}, .contacts = kIpedWa});
    ASSERT_TRUE(r.source);
    const auto conv = r.conv_of_jid("556183125151@s.whatsapp.net");
    ASSERT_NE(conv, SIZE_MAX);
    const auto& c = r.source->conversations()[conv];
    EXPECT_FALSE(c.group);
    EXPECT_EQ(c.title, "Nickerida");  // wa.db display_name
    ASSERT_EQ(c.members.size(), 2u);
    const Person* nick = c.find("556183125151");
    ASSERT_NE(nick, nullptr);
    EXPECT_EQ(nick->phone, "+556183125151");
    EXPECT_EQ(nick->name, "Nickerida");
    const Person* owner = c.find("owner");
    ASSERT_NE(owner, nullptr);
    EXPECT_TRUE(owner->owner);

    const auto items = r.in(conv);
    ASSERT_EQ(items.size(), 5u);
    // Ordered by timestamp, not _id: row 72 (…096) before the E2E notice row 71 (…110).
    EXPECT_EQ(items[0]->text, "This is a test for the IPED Whatsapp Parser.");
    EXPECT_EQ(format_utc(items[0]->utc), "2021-06-14T18:55:54Z");
    EXPECT_EQ(items[0]->from_me, true);
    EXPECT_EQ(items[0]->sender_id, "owner");
    EXPECT_EQ(items[0]->key_id, "451AE3EF16CDCB6D612E68E98700EF50");
    EXPECT_EQ(items[1]->kind, ItemKind::System);
    EXPECT_EQ(items[1]->text, "Messages and calls are end-to-end encrypted");
    EXPECT_EQ(format_utc(items[1]->utc), "2021-06-14T18:55:54Z");
    EXPECT_EQ(items[2]->text, "Would you still say you love me");
    EXPECT_EQ(format_utc(items[2]->utc), "2021-06-14T19:02:25Z");
    EXPECT_EQ(items[3]->text, "The game is over");
    EXPECT_EQ(format_utc(items[3]->utc), "2021-06-14T19:02:33Z");
    EXPECT_EQ(items[4]->text, "Teste");
    EXPECT_EQ(format_utc(items[4]->utc), "2021-06-16T17:01:34Z");
    EXPECT_EQ(items[4]->from_me, false);
    EXPECT_EQ(items[4]->author, "Nickerida");
    EXPECT_EQ(items[4]->sender_id, "556183125151");
    EXPECT_EQ(items[4]->wall_clock_text, "2021-06-16T17:01:34");
}

TEST(AndroidDbIped, GroupSystemRows)  // iped-007, iped-008
{
    CV_NEED_CORPUS();
    const Read r = read_all(kIped, {.time_zone = "America/Sao_Paulo", .media_dir = {}, .contacts = {}});
    ASSERT_TRUE(r.source);
    const auto conv = r.conv_of_jid("556185747642-1461964508@g.us");
    ASSERT_NE(conv, SIZE_MAX);
    const auto& c = r.source->conversations()[conv];
    EXPECT_TRUE(c.group);
    EXPECT_EQ(c.title, "Lar");
    EXPECT_GE(c.members.size(), 3u);  // participants from group_participant_user, plus the owner
    const auto items = r.in(conv);
    ASSERT_EQ(items.size(), 3u);
    EXPECT_EQ(items[0]->kind, ItemKind::System);
    EXPECT_EQ(items[0]->text, "+556185747642 created group \"Lar\"");
    EXPECT_EQ(items[1]->kind, ItemKind::System);
    EXPECT_EQ(items[1]->text, "+556186143035 was added");  // row 15, action code 4
    EXPECT_EQ(format_utc(items[1]->utc), "2016-04-29T21:15:08Z");
    EXPECT_EQ(items[1]->wall_clock_text, "2016-04-29T18:15:08");  // São Paulo, UTC-3
    EXPECT_FALSE(items[1]->author);
    EXPECT_EQ(items[2]->text, "Messages and calls are end-to-end encrypted");  // row 13, code 19
    EXPECT_EQ(format_utc(items[2]->utc), "2021-06-14T18:52:46Z");
}

TEST(AndroidDbIped, WithoutContactsNamesAreNumbers)
{
    CV_NEED_CORPUS();
    const Read r = read_all(kIped);
    ASSERT_TRUE(r.source);
    const auto conv = r.conv_of_jid("556183125151@s.whatsapp.net");
    ASSERT_NE(conv, SIZE_MAX);
    EXPECT_EQ(r.source->conversations()[conv].title, "+556183125151");
}

TEST(AndroidDbIped, OriginalFilesAreNeverModified)
{
    CV_NEED_CORPUS();
    const std::string before = file_hash(kIped);
    const std::string before_wa = file_hash(kIpedWa);
    {
        const Read r = read_all(kIped, {.time_zone = "UTC", .media_dir = {}, .contacts = kIpedWa});
        EXPECT_EQ(r.items.size(), 74u);
    }
    EXPECT_EQ(file_hash(kIped), before);
    EXPECT_EQ(file_hash(kIpedWa), before_wa);
    for (const char* side : {"-wal", "-shm", "-journal"})
        EXPECT_FALSE(fs::exists(kIped.string() + side)) << side;
}

// ---------------------------------------------------------------------------------------------
// Memacs: a hand-made legacy table of 8 columns and one row.

TEST(AndroidDbMemacs, OneRowLegacyTable)  // memacs-001
{
    CV_NEED_CORPUS();
    const Read r = read_all(kMemacs);
    ASSERT_TRUE(r.source);
    ASSERT_EQ(r.items.size(), 1u);
    const Item& i = r.items[0];
    EXPECT_EQ(i.text, "Hello World!");
    EXPECT_EQ(i.utc, 1476555535);  // 1476555535242 ms
    EXPECT_EQ(format_utc(i.utc), "2016-10-15T18:18:55Z");
    EXPECT_EQ(i.from_me, false);
    EXPECT_EQ(i.sender_id, "436604444333");
    EXPECT_FALSE(i.key_id);  // NULL in the fixture
    ASSERT_EQ(r.source->conversations().size(), 1u);
    const auto& c = r.source->conversations()[0];
    EXPECT_EQ(c.jid, "436604444333");
    ASSERT_NE(c.find("436604444333"), nullptr);
    EXPECT_EQ(c.find("436604444333")->phone, "+436604444333");
    // The missing columns are reported once, for the one table.
    std::size_t about_messages = 0;
    for (const auto& w : r.source->warnings())
        about_messages += w.starts_with("table messages: columns") ? 1 : 0;
    EXPECT_EQ(about_messages, 1u) << r.all_warnings();
}

// ---------------------------------------------------------------------------------------------
// whatsapp-viewer: the 2021 DDL, its rows (legacy table), and a modern database of our own.

TEST(AndroidDbViewer, LegacyRowsOfEveryMediaType)
{
    CV_NEED_CORPUS();
    TempDir dir;
    const fs::path db = build_viewer_db(dir, "msgstore.db", true);
    const Read r = read_all(db);
    ASSERT_TRUE(r.source);
    EXPECT_EQ(r.items.size(), 42u);  // 43 rows minus the sentinel
    const auto* quoted = r.by_key("KEYID-0006-002");
    ASSERT_NE(quoted, nullptr);
    ASSERT_TRUE(quoted->quoted);
    EXPECT_EQ(quoted->quoted->key_id, "KEYID-0006-001");
    EXPECT_EQ(quoted->quoted->text, "Text of first user");
    const auto* invalid = r.by_key("KEYID-0005-001");
    ASSERT_NE(invalid, nullptr);
    EXPECT_EQ(invalid->text.find('\xFF'), std::string::npos);  // sanitized to U+FFFD
    const auto* image = r.by_key("KEYID-0100-001");
    ASSERT_NE(image, nullptr);
    ASSERT_EQ(image->attachments.size(), 1u);
    EXPECT_EQ(image->attachments[0].type, MediaType::Image);
    EXPECT_EQ(image->attachments[0].name, "IMG-20140305-WA0003.jpg");
    EXPECT_FALSE(image->attachments[0].present);
    EXPECT_EQ(image->attachments[0].size, 45359u);
    const auto* contact = r.by_key("KEYID-0400-001");
    ASSERT_NE(contact, nullptr);
    ASSERT_EQ(contact->attachments.size(), 1u);
    EXPECT_EQ(contact->attachments[0].type, MediaType::Contact);
    EXPECT_EQ(contact->attachments[0].name, "John Doe.vcf");
    ASSERT_TRUE(contact->attachments[0].inline_data);
    EXPECT_TRUE(contact->attachments[0].inline_data->starts_with("BEGIN:VCARD"));
    const auto* loc = r.by_key("KEYID-0500-001");
    ASSERT_NE(loc, nullptr);
    ASSERT_TRUE(loc->location);
    EXPECT_EQ(loc->location->latitude, "53.5704");
    EXPECT_EQ(loc->location->longitude, "9.95674");
    const auto* live = r.by_key("KEYID-1600-001");
    ASSERT_NE(live, nullptr);
    ASSERT_TRUE(live->location);
    EXPECT_TRUE(live->location->live);
    std::size_t calls = 0;
    for (const auto& i : r.items)
        if (i.kind == ItemKind::Call) {
            ++calls;
            ASSERT_TRUE(i.call);
            EXPECT_EQ(i.call->outgoing, i.from_me);
            EXPECT_EQ(i.author, *i.from_me ? "Me" : "8-Call@s.whatsapp.net") << describe(i);
            EXPECT_TRUE(i.key_id && i.key_id->starts_with("KEYID-0800-")) << describe(i);  // "call:" dropped
        }
    EXPECT_EQ(calls, 4u);
    // One conversation per chat JID with rows; the fixture's group has none, so it is not listed.
    EXPECT_EQ(r.source->conversations().size(), 18u);
    EXPECT_EQ(r.conv_of_jid("4917612345000-1234567890@g.us"), SIZE_MAX);
    const auto amp = r.conv_of_jid("&Ampersand@s.whatsapp.net");
    ASSERT_NE(amp, SIZE_MAX);
    EXPECT_EQ(r.source->conversations()[amp].members.at(0).key(), "&Ampersand@s.whatsapp.net");
}

TEST(AndroidDbModern, SchemaAndConversations)
{
    CV_NEED_CORPUS();
    ModernFixture f;
    auto schema = detect_schema(f.db);
    ASSERT_TRUE(schema) << schema.error().describe();
    EXPECT_EQ(*schema, Schema::Modern);
    const Read r = read_all(f.db, {.time_zone = "UTC", .media_dir = f.media, .contacts = {}});
    ASSERT_TRUE(r.source);
    EXPECT_EQ(r.source->kind(), SourceKind::AndroidDatabase);
    const auto& convs = r.source->conversations();
    ASSERT_EQ(convs.size(), 3u);  // the two chats with rows, and the peer of call 4
    EXPECT_EQ(convs[0].jid, "4915112345678@s.whatsapp.net");
    EXPECT_EQ(convs[0].title, "+4915112345678");
    EXPECT_FALSE(convs[0].group);
    ASSERT_EQ(convs[0].members.size(), 2u);
    EXPECT_EQ(convs[0].members[0].phone, "+4915112345678");
    EXPECT_TRUE(convs[0].members[1].owner);
    EXPECT_EQ(convs[0].members[1].name, "Olga Owner");  // props user_push_name
    EXPECT_EQ(convs[1].title, "Project Team");
    EXPECT_TRUE(convs[1].group);
    EXPECT_EQ(convs[1].key(), "120363041234567890@g.us");
    ASSERT_NE(convs[1].find("4915199999999"), nullptr);
    // The LID member resolves to the phone number through jid_map and keeps the LID as alias.
    const Person* lid = convs[1].find("4917600000001");
    ASSERT_NE(lid, nullptr);
    EXPECT_EQ(lid->alias, "lid-187654321098765");
    const Person* unmapped = convs[1].find("lid-187650000000001");
    ASSERT_NE(unmapped, nullptr);
    EXPECT_EQ(unmapped->name, "Lido");
    EXPECT_EQ(convs[2].jid, "4917600000001@s.whatsapp.net");
    // The legacy rows of the DDL's test data are not read twice; the skip is reported.
    EXPECT_NE(r.all_warnings().find("legacy row(s) not read"), std::string::npos) << r.all_warnings();
    EXPECT_NE(r.all_warnings().find("message type 999 unrecognised"), std::string::npos) << r.all_warnings();
    EXPECT_NE(r.all_warnings().find("no recorded time"), std::string::npos) << r.all_warnings();
}

TEST(AndroidDbModern, EveryMessageType)
{
    CV_NEED_CORPUS();
    ModernFixture f;
    const Read r = read_all(f.db, {.time_zone = "Europe/Berlin", .media_dir = f.media, .contacts = {}});
    ASSERT_TRUE(r.source);
    for (std::size_t i = 0; i < r.items.size(); ++i)
        EXPECT_EQ(r.items[i].index, i);

    const Item* text = r.by_key("AC0101");  // stored lower-case
    ASSERT_NE(text, nullptr);
    EXPECT_EQ(text->text, "Hallo");
    EXPECT_TRUE(text->forwarded);
    EXPECT_EQ(text->sender_id, "4915112345678");
    EXPECT_EQ(text->author, "+4915112345678");
    EXPECT_EQ(text->utc, kT0 / 1000 + 60);
    EXPECT_EQ(text->wall_clock_text, "2026-01-01T11:01:00");  // Berlin, UTC+1

    const Item* reply = r.by_key("AC0102");
    ASSERT_NE(reply, nullptr);
    EXPECT_EQ(reply->from_me, true);
    EXPECT_EQ(reply->sender_id, "owner");
    EXPECT_EQ(reply->author, "Olga Owner");
    ASSERT_TRUE(reply->quoted);
    EXPECT_EQ(reply->quoted->key_id, "AC0101");
    EXPECT_EQ(reply->quoted->sender_id, "4915112345678");
    EXPECT_EQ(reply->quoted->text, "Hallo");

    const Item* image = r.by_key("AC0103");
    ASSERT_NE(image, nullptr);
    EXPECT_EQ(image->text, "caption here");
    ASSERT_EQ(image->attachments.size(), 1u);
    const Attachment& img = image->attachments[0];
    EXPECT_EQ(img.type, MediaType::Image);
    EXPECT_EQ(img.name, "IMG-20260101-WA0001.jpg");
    EXPECT_TRUE(img.present);
    EXPECT_EQ(img.size, 5u);
    EXPECT_EQ(img.mime_type, "image/jpeg");
    EXPECT_EQ(fs::path(img.locator), f.media / "Media/WhatsApp Images/Sent/IMG-20260101-WA0001.jpg");
    auto bytes = r.source->open_attachment(img);
    ASSERT_TRUE(bytes) << bytes.error().describe();
    char buf[16];
    auto n = (*bytes)->read(buf);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 5u);

    const Item* video = r.by_key("AC0104");
    ASSERT_NE(video, nullptr);
    ASSERT_EQ(video->attachments.size(), 1u);
    EXPECT_EQ(video->attachments[0].type, MediaType::Video);
    EXPECT_EQ(video->attachments[0].name, "VID-20260101-WA0002.mp4");
    EXPECT_FALSE(video->attachments[0].present);
    EXPECT_EQ(video->attachments[0].size, 12345u);
    EXPECT_FALSE(r.source->open_attachment(video->attachments[0]));

    const Item* voice = r.by_key("AC0105");
    ASSERT_NE(voice, nullptr);
    EXPECT_EQ(voice->attachments.at(0).type, MediaType::VoiceNote);
    const Item* doc = r.by_key("AC0106");
    ASSERT_NE(doc, nullptr);
    EXPECT_EQ(doc->attachments.at(0).type, MediaType::Document);
    EXPECT_EQ(doc->attachments.at(0).name, "report.pdf");

    const Item* loc = r.by_key("AC0107");
    ASSERT_NE(loc, nullptr);
    ASSERT_TRUE(loc->location);
    EXPECT_EQ(loc->location->latitude, "52.5163");
    EXPECT_EQ(loc->location->longitude, "13.3777");
    EXPECT_EQ(loc->location->venue, "Brandenburger Tor (Pariser Platz, Berlin)");
    EXPECT_EQ(loc->location->url, "https://maps.example/x");
    EXPECT_FALSE(loc->location->live);

    const Item* card = r.by_key("AC0108");
    ASSERT_NE(card, nullptr);
    ASSERT_EQ(card->attachments.size(), 1u);
    EXPECT_EQ(card->attachments[0].type, MediaType::Contact);
    EXPECT_EQ(card->attachments[0].name, "John Doe.vcf");
    ASSERT_TRUE(card->attachments[0].inline_data);
    EXPECT_NE(card->attachments[0].inline_data->find("TEL:+4915100000000"), std::string::npos);
    auto vcf = r.source->open_attachment(card->attachments[0]);
    ASSERT_TRUE(vcf);

    const Item* revoked = r.by_key("AC0109");
    ASSERT_NE(revoked, nullptr);
    EXPECT_TRUE(revoked->deleted);
    EXPECT_EQ(revoked->text, "This message was deleted");

    const Item* edited = r.by_key("AC0110");
    ASSERT_NE(edited, nullptr);
    EXPECT_TRUE(edited->edited);
    EXPECT_EQ(edited->text, "fixed text");

    const Item* missed = r.by_key("AC0112");
    ASSERT_NE(missed, nullptr);
    EXPECT_EQ(missed->kind, ItemKind::Call);
    ASSERT_TRUE(missed->call);
    EXPECT_EQ(missed->call->result, CallResult::Missed);
    EXPECT_EQ(missed->call->media, CallMedia::Video);
    EXPECT_EQ(missed->call->outgoing, false);

    const Item* waiting = r.by_key("AC0113");
    ASSERT_NE(waiting, nullptr);
    EXPECT_EQ(waiting->placeholder, Placeholder::Unrenderable);

    const Item* unknown = r.by_key("AC0114");
    ASSERT_NE(unknown, nullptr);
    EXPECT_EQ(unknown->text, "mystery");

    const Item* traversal = r.by_key("AC0115");
    ASSERT_NE(traversal, nullptr);
    ASSERT_EQ(traversal->attachments.size(), 1u);
    EXPECT_FALSE(traversal->attachments[0].present);  // "../" never leaves the media folder
    EXPECT_TRUE(traversal->attachments[0].locator.empty());

    const Item* no_time = r.by_key("AC0116");
    ASSERT_NE(no_time, nullptr);
    EXPECT_EQ(no_time->utc, 0);
    EXPECT_TRUE(no_time->wall_clock_text.empty());
    EXPECT_EQ(no_time->text, "no time");

    const Item* bad_utf8 = r.by_key("AC0117");
    ASSERT_NE(bad_utf8, nullptr);
    EXPECT_EQ(bad_utf8->text, "Ha\xEF\xBF\xBD!");
}

TEST(AndroidDbModern, GroupItems)
{
    CV_NEED_CORPUS();
    ModernFixture f;
    const Read r = read_all(f.db, {.time_zone = "UTC", .media_dir = f.media, .contacts = {}});
    ASSERT_TRUE(r.source);
    const Item* created = r.by_key("AC0201");
    ASSERT_NE(created, nullptr);
    EXPECT_EQ(created->kind, ItemKind::System);
    EXPECT_EQ(created->text, "Olga Owner created group \"Project Team\"");
    const Item* added = r.by_key("AC0202");
    ASSERT_NE(added, nullptr);
    EXPECT_EQ(added->kind, ItemKind::System);
    EXPECT_EQ(added->text, "Olga Owner added +4915199999999 and +4917600000001");
    const Item* moin = r.by_key("AC0203");
    ASSERT_NE(moin, nullptr);
    EXPECT_EQ(moin->sender_id, "4915199999999");
    const Item* lid = r.by_key("AC0204");
    ASSERT_NE(lid, nullptr);
    EXPECT_EQ(lid->sender_id, "4917600000001");  // the LID sender, resolved to the phone key
    const Item* poll = r.by_key("AC0205");
    ASSERT_NE(poll, nullptr);
    EXPECT_EQ(poll->text, "POLL: Lunch?\nOPTION: Pizza (2 votes)\nOPTION: Sushi (1 votes)");
    const Item* admin = r.by_key("AC0206");
    ASSERT_NE(admin, nullptr);
    EXPECT_TRUE(admin->deleted);
    // What the database still holds is kept, and who deleted it is said after it.
    EXPECT_EQ(admin->text, "kept text\n\nThis message was deleted by admin +4915199999999");
    EXPECT_EQ(admin->sender_id, "lid-187650000000001");
    EXPECT_EQ(admin->author, "Lido");
    const Item* cards = r.by_key("AC0207");
    ASSERT_NE(cards, nullptr);
    ASSERT_EQ(cards->attachments.size(), 2u);
    EXPECT_EQ(cards->attachments[0].name, "Anna A.vcf");
    EXPECT_EQ(cards->attachments[1].name, "Ben_B.vcf");  // no path separator in a file name
    const Item* live = r.by_key("AC0208");
    ASSERT_NE(live, nullptr);
    ASSERT_TRUE(live->location);
    EXPECT_TRUE(live->location->live);
}

TEST(AndroidDbModern, CallsFromCallLogWithoutDuplicates)
{
    CV_NEED_CORPUS();
    ModernFixture f;
    const Read r = read_all(f.db);
    ASSERT_TRUE(r.source);
    std::map<std::string, const Item*> calls;
    std::size_t call_items = 0;
    for (const auto& i : r.items)
        if (i.kind == ItemKind::Call) {
            ++call_items;
            if (i.key_id)
                calls[*i.key_id] = &i;
        }
    EXPECT_EQ(call_items, 7u);  // six call_log rows + the missed-call message; not the type-90 row
    ASSERT_TRUE(calls.contains("CA11"));
    const Item& out = *calls["CA11"];
    EXPECT_EQ(out.call->outgoing, true);
    EXPECT_EQ(out.call->duration_seconds, 95u);
    EXPECT_EQ(out.call->result, CallResult::Answered);
    EXPECT_EQ(out.call->media, CallMedia::Voice);
    EXPECT_EQ(out.sender_id, "owner");
    ASSERT_TRUE(calls.contains("CA12"));
    EXPECT_EQ(calls["CA12"]->call->result, CallResult::Missed);
    EXPECT_EQ(calls["CA12"]->call->media, CallMedia::Video);
    EXPECT_EQ(calls["CA12"]->call->outgoing, false);
    ASSERT_TRUE(calls.contains("CA13"));
    EXPECT_NE(calls["CA13"]->text.find("participants: +4915199999999, +4917600000001"), std::string::npos)
        << calls["CA13"]->text;
    // Items of one chat come in time order, calls merged between the messages.
    for (std::size_t conv = 0; conv < r.source->conversations().size(); ++conv) {
        std::int64_t last = 0;
        for (const Item* i : r.in(conv)) {
            EXPECT_GE(i->utc, last) << describe(*i);
            last = i->utc;
        }
    }
    const auto group = r.conv_of_jid("120363041234567890@g.us");
    ASSERT_NE(group, SIZE_MAX);
    bool group_call = false;
    for (const Item* i : r.in(group))
        group_call |= i->key_id == "CA13";
    EXPECT_TRUE(group_call);
}

TEST(AndroidDbModern, WalIsHonouredAndSideFilesAreUntouched)
{
    CV_NEED_CORPUS();
    TempDir dir;
    const fs::path db = build_viewer_db(dir, "msgstore.db", false);
    auto writer = sqlite::Database::open(db.string(), false);
    ASSERT_TRUE(writer);
    ASSERT_TRUE(writer->exec("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"));
    ASSERT_TRUE(writer->exec(
        "INSERT INTO jid (_id, user, server, raw_string) VALUES (1, '4915112345678', 's.whatsapp.net', "
        "'4915112345678@s.whatsapp.net'); INSERT INTO chat (_id, jid_row_id) VALUES (1, 1);"
        "INSERT INTO message (_id, chat_row_id, from_me, key_id, timestamp, message_type, text_data) "
        "VALUES (2, 1, 0, 'AC02', 1767261600000, 0, 'only in the wal');"));
    // The writer stays open, so the rows live only in msgstore.db-wal.
    ASSERT_TRUE(fs::exists(db.string() + "-wal"));
    const std::string h_db = file_hash(db), h_wal = file_hash(db.string() + "-wal"),
                      h_shm = file_hash(db.string() + "-shm");
    {
        const Read r = read_all(db);
        ASSERT_EQ(r.items.size(), 1u);
        EXPECT_EQ(r.items[0].text, "only in the wal");
    }
    EXPECT_EQ(file_hash(db), h_db);
    EXPECT_EQ(file_hash(db.string() + "-wal"), h_wal);
    EXPECT_EQ(file_hash(db.string() + "-shm"), h_shm);
}

// ---------------------------------------------------------------------------------------------
// Bad input.

TEST(AndroidDbErrors, AnotherAppsDatabase)
{
    TempDir dir;
    const fs::path path = dir.path() / "places.sqlite";
    {
        auto db = sqlite::Database::open(path.string(), true);
        ASSERT_TRUE(db);
        ASSERT_TRUE(
            db->exec("CREATE TABLE moz_places (id INTEGER); CREATE TABLE moz_bookmarks (id INTEGER);"));
    }
    auto r = open_android_db(path, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::InvalidArgument);
    EXPECT_NE(r.error().describe().find("not a WhatsApp msgstore.db (tables: moz_bookmarks, moz_places)"),
              std::string::npos)
        << r.error().describe();
}

TEST(AndroidDbErrors, EncryptedBackupMustBeDecryptedFirst)
{
    TempDir dir;
    const fs::path path = dir.path() / "msgstore.db.crypt15";
    std::ofstream(path, std::ios::binary) << std::string(4096, '\x5a');
    auto r = open_android_db(path, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::Unsupported);
    EXPECT_NE(r.error().describe().find("must be decrypted first"), std::string::npos)
        << r.error().describe();
}

TEST(AndroidDbErrors, MissingFileAndBadZone)
{
    auto missing = open_android_db("/nonexistent/msgstore.db", {});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
    CV_NEED_CORPUS();
    auto zone = open_android_db(kMemacs, {.time_zone = "Mars/Olympus", .media_dir = {}, .contacts = {}});
    ASSERT_FALSE(zone);
    EXPECT_EQ(zone.error().code(), ErrorCode::InvalidArgument);
}

TEST(AndroidDbErrors, ContactsFileThatIsNotWaDb)
{
    CV_NEED_CORPUS();
    auto r = open_android_db(kMemacs, {.time_zone = "UTC", .media_dir = {}, .contacts = kMemacs});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::InvalidArgument);
}

TEST(AndroidDbErrors, OddRowsDoNotStopTheRead)
{
    TempDir dir;
    const fs::path path = dir.path() / "msgstore.db";
    {
        auto db = sqlite::Database::open(path.string(), true);
        ASSERT_TRUE(db);
        // Columns of the wrong type, NULLs everywhere, a 5 MB text, negative and giant times.
        ASSERT_TRUE(
            db->exec("CREATE TABLE messages (_id INTEGER PRIMARY KEY, key_remote_jid TEXT, key_from_me TEXT, "
                     "key_id BLOB, "
                     "status TEXT, data BLOB, timestamp TEXT, media_wa_type TEXT, media_size TEXT, "
                     "remote_resource INTEGER);"
                     "INSERT INTO messages VALUES (1, '-1', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);"
                     "INSERT INTO messages VALUES (2, 'x@g.us', 'yes', X'00FF', 'six', X'C3', 'soon', "
                     "'image', 'big', 7);"
                     "INSERT INTO messages VALUES (3, 'x@g.us', NULL, NULL, 6, NULL, -5, NULL, NULL, NULL);"
                     "INSERT INTO messages VALUES (4, '', 1, 'K', NULL, zeroblob(5000000), "
                     "99999999999999999, '999', NULL, '');"
                     "INSERT INTO messages VALUES (5, 'y@s.whatsapp.net', 0, 'K5', 0, 'hi', 1767261600000, "
                     "NULL, NULL, NULL);"));
    }
    const Read r = read_all(path);
    ASSERT_TRUE(r.source);
    EXPECT_EQ(r.items.size(), 4u);
    for (const auto& i : r.items)
        EXPECT_TRUE(is_valid(i.wall_clock)) << describe(i);
}

}  // namespace
}  // namespace cv::android_db

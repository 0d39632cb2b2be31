// WebhookSource: a payload of every message type (spec §A.4) and every other event (§A.6–§A.10)
// through to the Items it yields — kind, text, attachments, quote, key_id, sender_id, utc,
// from_me — plus conversation grouping, duplicate deliveries, media that was never retrieved,
// and an import through ingest::import_database into a real archive.

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "archive/archive.hpp"
#include "cloud_api/payloads.hpp"
#include "ingest/ingest.hpp"
#include "mapping/mapping.hpp"
#include "sources/cloud_api/cloud_api.hpp"
#include "support/temp_dir.hpp"

namespace cv::cloud_api {
namespace {

using namespace test;

struct Yielded {
    Item item;
    std::size_t conversation = 0;
};

struct Drained {
    std::unique_ptr<WebhookSource> source;
    std::vector<Yielded> items;
};

// Media the "service" stored: ids in `stored` open as their bytes, others are NotFound.
MediaOpener store_of(std::map<std::string, std::string> stored)
{
    return [stored = std::move(stored)](std::string_view id) -> Result<std::unique_ptr<ByteSource>> {
        auto it = stored.find(std::string(id));
        if (it == stored.end())
            return fail(ErrorCode::NotFound, "media " + std::string(id) + " not stored");
        return std::unique_ptr<ByteSource>(std::make_unique<StringSource>(it->second));
    };
}

Drained run(const std::vector<std::string>& bodies, MediaOpener opener = {})
{
    std::vector<Received> received;
    for (std::size_t i = 0; i < bodies.size(); ++i)
        received.push_back({bodies[i], 1767300000 + static_cast<std::int64_t>(i)});
    Drained r;
    r.source = WebhookSource::create(received, std::move(opener));
    Item item;
    std::size_t conv = 0;
    for (;;) {
        auto more = r.source->next(item, conv);
        EXPECT_TRUE(more) << more.error().describe();
        if (!more || !*more)
            break;
        r.items.push_back({item, conv});
    }
    return r;
}

// The one item a single inbound message becomes.
Item one(const json& msg, MediaOpener opener = {})
{
    Drained r = run({inbound(json::array({msg}))}, std::move(opener));
    EXPECT_EQ(r.items.size(), 1u);
    return r.items.empty() ? Item{} : r.items[0].item;
}

std::string id_of(std::string_view key)
{
    return wamid(kErika, key);
}

TEST(CloudApiSource, TextFromACustomer)
{
    Drained r = run(
        {inbound(json::array({message("text", {{"body", "Guten Tag"}}, id_of("3A0000000000000000T1"))}))});
    ASSERT_EQ(r.items.size(), 1u);
    const Item& i = r.items[0].item;
    EXPECT_EQ(i.kind, ItemKind::Message);
    EXPECT_EQ(i.text, "Guten Tag");
    EXPECT_EQ(i.key_id, std::string("3A0000000000000000T1"));
    EXPECT_EQ(i.sender_id, std::string(kErika));
    EXPECT_EQ(i.author, std::string("Erika Muster"));
    EXPECT_EQ(i.from_me, false);
    EXPECT_EQ(i.utc, 1767261600);
    EXPECT_EQ(i.wall_clock_text, "2026-01-01T10:00:00");
    EXPECT_EQ(r.source->kind(), SourceKind::CloudApi);

    ASSERT_EQ(r.source->conversations().size(), 1u);
    const Conversation& c = r.source->conversations()[0];
    EXPECT_FALSE(c.group);
    EXPECT_EQ(c.title, "Erika Muster");
    EXPECT_EQ(c.jid, std::string("4915112345678@s.whatsapp.net"));
    ASSERT_EQ(c.members.size(), 2u);
    const Person* owner = nullptr;
    for (const auto& m : c.members)
        if (m.owner)
            owner = &m;
    ASSERT_NE(owner, nullptr);
    EXPECT_EQ(owner->phone, std::string("+4930123456"));
    const Person* erika = c.find(kErika);
    ASSERT_NE(erika, nullptr);
    EXPECT_EQ(erika->phone, std::string("+4915112345678"));
    EXPECT_EQ(c.key(), "pair:4915112345678|4930123456");
}

TEST(CloudApiSource, MediaOfEveryKind)
{
    MediaOpener opener = store_of({{"M-IMG", "jpeg bytes"}, {"M-VOICE", "opus"}, {"M-DOC", "%PDF"}});
    const Item image = one(
        message("image",
                {{"id", "M-IMG"}, {"mime_type", "image/jpeg"}, {"sha256", "aGFzaA=="}, {"caption", "Look"}},
                id_of("3A00000000000000IMG1")),
        opener);
    EXPECT_EQ(image.text, "Look");
    ASSERT_EQ(image.attachments.size(), 1u);
    EXPECT_EQ(image.attachments[0].type, MediaType::Image);
    EXPECT_EQ(image.attachments[0].locator, "media:M-IMG");
    EXPECT_EQ(image.attachments[0].mime_type, "image/jpeg");
    EXPECT_EQ(image.attachments[0].name, "image-3A00000000000000IMG1.jpg");
    EXPECT_TRUE(image.attachments[0].present);

    const Item video =
        one(message("video", {{"id", "M-VID"}, {"mime_type", "video/mp4"}}, id_of("3A00000000000000VID1")),
            opener);
    ASSERT_EQ(video.attachments.size(), 1u);
    EXPECT_EQ(video.attachments[0].type, MediaType::Video);
    EXPECT_FALSE(video.attachments[0].present) << "never stored: not present, item still there";
    EXPECT_EQ(video.attachments[0].name, "video-3A00000000000000VID1.mp4");

    const Item voice =
        one(message("audio", {{"id", "M-VOICE"}, {"mime_type", "audio/ogg; codecs=opus"}, {"voice", true}},
                    id_of("3A0000000000000VOICE")),
            opener);
    EXPECT_EQ(voice.attachments.at(0).type, MediaType::VoiceNote);
    EXPECT_EQ(voice.attachments.at(0).name, "voice-3A0000000000000VOICE.ogg");
    const Item audio =
        one(message("audio", {{"id", "M-AUD"}, {"mime_type", "audio/mpeg"}}, id_of("3A0000000000000AUDIO")));
    EXPECT_EQ(audio.attachments.at(0).type, MediaType::Audio);

    const Item doc = one(message("document",
                                 {{"id", "M-DOC"},
                                  {"mime_type", "application/pdf"},
                                  {"filename", "../../etc/Rech\nnung:2026.pdf"},
                                  {"caption", "Invoice"}},
                                 id_of("3A00000000000000DOC1")),
                         opener);
    EXPECT_EQ(doc.text, "Invoice");
    EXPECT_EQ(doc.attachments.at(0).type, MediaType::Document);
    EXPECT_EQ(doc.attachments.at(0).name, "Rech_nung_2026.pdf")
        << "sanitized: no path, no control characters";
    EXPECT_TRUE(doc.attachments.at(0).present);

    const Item sticker =
        one(message("sticker", {{"id", "M-STK"}, {"animated", false}}, id_of("3A00000000000000STK1")));
    EXPECT_EQ(sticker.attachments.at(0).type, MediaType::Sticker);
    EXPECT_EQ(sticker.attachments.at(0).mime_type, "image/webp");

    // What the opener gives is what open_attachment gives.
    Drained r = run(
        {inbound(json::array({message("image", {{"id", "M-IMG"}, {"mime_type", "image/jpeg"}}, "wamid.x")}))},
        opener);
    auto bytes = r.source->open_attachment(r.items.at(0).item.attachments.at(0));
    ASSERT_TRUE(bytes) << bytes.error().describe();
    char buf[64];
    auto n = (*bytes)->read(buf);
    ASSERT_TRUE(n);
    EXPECT_EQ(std::string(buf, *n), "jpeg bytes");
}

TEST(CloudApiSource, LocationAndContacts)
{
    const Item loc = one(message("location",
                                 {{"latitude", 52.520008},
                                  {"longitude", "13.404954"},
                                  {"name", "Rotes Rathaus"},
                                  {"address", "Rathausstr. 15, Berlin"},
                                  {"url", "https://example.invalid/p"}},
                                 id_of("3A00000000000000LOC1")));
    ASSERT_TRUE(loc.location);
    EXPECT_EQ(loc.location->latitude, std::string("52.520008"));
    EXPECT_EQ(loc.location->longitude, std::string("13.404954"));
    EXPECT_EQ(loc.location->venue, std::string("Rotes Rathaus (Rathausstr. 15, Berlin)"));
    EXPECT_EQ(loc.location->url, "https://example.invalid/p");

    json card = {
        {"name", {{"formatted_name", "Max Mustermann"}, {"first_name", "Max"}, {"last_name", "Mustermann"}}},
        {"phones",
         json::array({{{"phone", "+49 170 1234567"}, {"wa_id", "491701234567"}, {"type", "CELL"}}})},
        {"emails", json::array({{{"email", "max@example.invalid"}, {"type", "WORK"}}})},
        {"org", {{"company", "Muster; GmbH"}, {"title", "CEO"}}},
        {"addresses", json::array({{{"street", "Hauptstr. 1"}, {"city", "Berlin"}, {"type", "HOME"}}})},
        {"urls", json::array({{{"url", "https://example.invalid"}, {"type", "WORK"}}})},
        {"birthday", "1980-01-31"}};
    const Item contacts =
        one(message("contacts", json::array({card, {{"name", {{"formatted_name", "Eva"}}}}}),
                    id_of("3A00000000000000VCF1")));
    ASSERT_EQ(contacts.attachments.size(), 2u);
    const Attachment& a = contacts.attachments[0];
    EXPECT_EQ(a.type, MediaType::Contact);
    EXPECT_EQ(a.name, "Max Mustermann.vcf");
    EXPECT_EQ(a.mime_type, "text/vcard");
    EXPECT_TRUE(a.present);
    ASSERT_TRUE(a.inline_data);
    const std::string& v = *a.inline_data;
    EXPECT_TRUE(v.starts_with("BEGIN:VCARD\r\nVERSION:3.0\r\n")) << v;
    EXPECT_NE(v.find("FN:Max Mustermann\r\n"), std::string::npos) << v;
    EXPECT_NE(v.find("N:Mustermann;Max;;;\r\n"), std::string::npos) << v;
    EXPECT_NE(v.find("TEL;TYPE=CELL;waid=491701234567:+49 170 1234567\r\n"), std::string::npos) << v;
    EXPECT_NE(v.find("EMAIL;TYPE=WORK:max@example.invalid\r\n"), std::string::npos) << v;
    EXPECT_NE(v.find("ORG:Muster\\; GmbH;\r\n"), std::string::npos) << v;
    EXPECT_NE(v.find("BDAY:1980-01-31\r\n"), std::string::npos) << v;
    EXPECT_TRUE(v.ends_with("END:VCARD\r\n"));
    EXPECT_EQ(contacts.attachments[1].name, "Eva.vcf");
}

TEST(CloudApiSource, InteractiveButtonAndOrder)
{
    json ctx = {{"from", std::string(kBusiness)}, {"id", wamid(kErika, "3EB0OURQUESTION00001", true)}};
    json button_reply =
        message("interactive", {{"type", "button_reply"}, {"button_reply", {{"id", "yes"}, {"title", "Ja"}}}},
                id_of("3A000000000000000IB1"));
    button_reply["context"] = ctx;
    const Item b = one(button_reply);
    EXPECT_EQ(b.text, "Ja");
    ASSERT_TRUE(b.quoted);
    EXPECT_EQ(b.quoted->key_id, std::string("3EB0OURQUESTION00001"));
    EXPECT_EQ(b.quoted->sender_id, std::string(kBusiness));

    EXPECT_EQ(
        one(message("interactive",
                    {{"type", "list_reply"},
                     {"list_reply", {{"id", "r1"}, {"title", "Termin A"}, {"description", "Montag 9 Uhr"}}}},
                    id_of("3A000000000000000IL1")))
            .text,
        "Termin A\nMontag 9 Uhr");
    const Item flow =
        one(message("interactive",
                    {{"type", "nfm_reply"},
                     {"nfm_reply", {{"name", "flow"}, {"body", "Sent"}, {"response_json", R"({"a":1})"}}}},
                    id_of("3A000000000000000IN1")));
    EXPECT_EQ(flow.text, "Sent\n{\"a\":1}");
    const Item perm = one(
        message("interactive",
                {{"type", "call_permission_reply"},
                 {"call_permission_reply", {{"response", "accept"}, {"expiration_timestamp", "1767348000"}}}},
                id_of("3A000000000000000IC1")));
    EXPECT_EQ(perm.text, "Call permission: accept (until 2026-01-02T10:00:00Z)");

    EXPECT_EQ(one(message("button", {{"text", "Stop promotions"}, {"payload", "STOP"}},
                          id_of("3A0000000000000BTN01")))
                  .text,
              "Stop promotions");

    const Item order = one(message("order",
                                   {{"catalog_id", "CAT1"},
                                    {"text", "bitte schnell"},
                                    {"product_items", json::array({{{"product_retailer_id", "SKU-1"},
                                                                    {"quantity", 2},
                                                                    {"item_price", 9.5},
                                                                    {"currency", "EUR"}}})}},
                                   id_of("3A0000000000000ORD01")));
    EXPECT_EQ(order.text, "Order (catalog CAT1)\n2 x SKU-1 at 9.5 EUR\nbitte schnell");
}

TEST(CloudApiSource, SystemWelcomeUnsupportedUnknownAndErrors)
{
    // System messages carry no contacts[] (§A.2).
    Drained sys =
        run({inbound(json::array({message("system",
                                          {{"body", "User A changed from 4915112345678 to 4915199999999"},
                                           {"type", "user_changed_number"},
                                           {"wa_id", "4915199999999"}},
                                          id_of("3A0000000000000SYS01"))}),
                     json::array())});
    ASSERT_EQ(sys.items.size(), 1u);
    EXPECT_EQ(sys.items[0].item.kind, ItemKind::System);
    EXPECT_FALSE(sys.items[0].item.author);
    EXPECT_EQ(sys.items[0].item.sender_id, std::string(kErika));
    EXPECT_NE(sys.items[0].item.text.find("new number: +4915199999999"), std::string::npos);

    const Item welcome = one(message("request_welcome", nullptr, id_of("3A0000000000000WEL01")));
    EXPECT_EQ(welcome.kind, ItemKind::System);
    EXPECT_FALSE(welcome.text.empty());

    json unsupported = message("unsupported", {{"type", "poll_creation"}}, id_of("3A0000000000000UNS01"));
    unsupported["errors"] =
        json::array({{{"code", 131051},
                      {"title", "Message type unknown"},
                      {"error_data", {{"details", "Message type is currently not supported."}}}}});
    const Item u = one(unsupported);
    EXPECT_EQ(u.kind, ItemKind::Message);
    EXPECT_EQ(u.placeholder, Placeholder::Unrenderable);
    EXPECT_NE(u.text.find("poll_creation"), std::string::npos) << u.text;
    EXPECT_NE(u.text.find("131051"), std::string::npos) << u.text;
    EXPECT_EQ(u.key_id, std::string("3A0000000000000UNS01")) << "the wamid, sender and time are kept";
    EXPECT_EQ(u.sender_id, std::string(kErika));
    EXPECT_EQ(u.utc, 1767261600);

    json unknown = message("unknown", nullptr, id_of("3A0000000000000UNK01"));
    unknown["errors"] = json::array({{{"code", 131060}, {"title", "Message currently unavailable"}}});
    const Item k = one(unknown);
    EXPECT_EQ(k.placeholder, Placeholder::Unrenderable);
    EXPECT_NE(k.text.find("131060"), std::string::npos) << k.text;

    // A type this archiver has never heard of: kept as a placeholder with a warning.
    Drained future =
        run({inbound(json::array({message("hologram", {{"x", 1}}, id_of("3A0000000000000HOL01"))}))});
    ASSERT_EQ(future.items.size(), 1u);
    EXPECT_EQ(future.items[0].item.placeholder, Placeholder::Unrenderable);
    EXPECT_FALSE(future.source->warnings().empty());

    // Whole-change errors have no message to hang on: warnings.
    Drained change_error =
        run({envelope({{"errors", json::array({{{"code", 131000},
                                                {"title", "Something went wrong"},
                                                {"message", "Something went wrong"}}})}})});
    EXPECT_TRUE(change_error.items.empty());
    ASSERT_FALSE(change_error.source->warnings().empty());
    EXPECT_NE(change_error.source->warnings()[0].find("131000"), std::string::npos);
}

TEST(CloudApiSource, ContextForwardedAndReferral)
{
    json fwd = message("text", {{"body", "Weitergeleitet"}}, id_of("3A0000000000000FWD01"));
    fwd["context"] = {{"forwarded", true}};
    const Item f = one(fwd);
    EXPECT_TRUE(f.forwarded);
    EXPECT_EQ(f.text, "Weitergeleitet");
    EXPECT_FALSE(f.quoted);

    json many = message("text", {{"body", "Kette"}}, id_of("3A0000000000000FWD02"));
    many["context"] = {{"frequently_forwarded", true}};
    const Item m = one(many);
    EXPECT_TRUE(m.forwarded);
    EXPECT_EQ(m.text, "Kette\n\n[WhatsApp Cloud API]\nforwarded many times");

    json reply = message("text", {{"body", "Antwort"}}, id_of("3A0000000000000REP01"));
    reply["context"] = {{"from", std::string(kErika)}, {"id", id_of("3A0000000000000ORIG1")}};
    const Item r = one(reply);
    ASSERT_TRUE(r.quoted);
    EXPECT_EQ(r.quoted->key_id, std::string("3A0000000000000ORIG1"));
    EXPECT_EQ(r.quoted->sender_id, std::string(kErika));
    EXPECT_EQ(r.quoted->author, std::string("Erika Muster"));

    json ad = message("text", {{"body", "Info bitte"}}, id_of("3A0000000000000REF01"));
    ad["referral"] = {{"source_url", "https://example.invalid/ad"},
                      {"source_type", "ad"},
                      {"headline", "Sale"},
                      {"welcome_message", {{"text", "Hi!"}}}};
    const Item a = one(ad);
    EXPECT_TRUE(a.text.starts_with("Info bitte\n\n[WhatsApp Cloud API]\n")) << a.text;
    EXPECT_NE(a.text.find("referral.headline: Sale"), std::string::npos) << a.text;
    EXPECT_NE(a.text.find("referral.welcome_message.text: Hi!"), std::string::npos) << a.text;
}

TEST(CloudApiSource, ReactionsEditsAndRevokesAreFollowUps)
{
    const std::string original = id_of("3A0000000000000ORIG1");
    json text = message("text", {{"body", "Original"}}, original, "1767261600");
    json react = message("reaction", {{"message_id", original}, {"emoji", "\xF0\x9F\x91\x8D"}},
                         id_of("3A0000000000000REA01"), "1767261610");
    json unreact =
        message("reaction", {{"message_id", original}}, id_of("3A0000000000000REA02"), "1767261620");
    json edit = message("edit",
                        {{"original_message_id", original},
                         {"message", {{"type", "text"}, {"text", {{"body", "Korrigiert"}}}}}},
                        id_of("3A0000000000000EDT01"), "1767261630");
    json revoke =
        message("revoke", {{"original_message_id", original}}, id_of("3A0000000000000REV01"), "1767261640");
    Drained r = run({inbound(json::array({revoke, edit, unreact, react, text}))});  // any order
    ASSERT_EQ(r.items.size(), 5u);
    EXPECT_EQ(r.items[0].item.text, "Original") << "time order within the chat";
    const Item& ra = r.items[1].item;
    EXPECT_EQ(ra.text, "Reaction: \xF0\x9F\x91\x8D");
    ASSERT_TRUE(ra.quoted);
    EXPECT_EQ(ra.quoted->key_id, std::string("3A0000000000000ORIG1"));
    EXPECT_EQ(ra.key_id, std::string("3A0000000000000REA01"));
    EXPECT_EQ(ra.quoted->text, "Original") << "the original is among the deliveries";
    EXPECT_EQ(ra.quoted->sender_id, std::string(kErika)) << "from the wamid";
    EXPECT_EQ(ra.quoted->author, std::string("Erika Muster"));
    EXPECT_EQ(r.items[2].item.text, "Reaction removed");
    const Item& e = r.items[3].item;
    EXPECT_EQ(e.text, "Korrigiert");
    EXPECT_TRUE(e.edited);
    EXPECT_EQ(e.quoted->key_id, std::string("3A0000000000000ORIG1"));
    const Item& d = r.items[4].item;
    EXPECT_EQ(d.text, "Deleted for everyone");
    EXPECT_EQ(d.quoted->key_id, std::string("3A0000000000000ORIG1"));
    EXPECT_FALSE(d.deleted) << "the follow-up is not itself a tombstone of lost content";

    // A reaction to one of our messages that is not among the deliveries: the wamid says it
    // was ours.
    const Item ours =
        one(message("reaction", {{"message_id", wamid(kErika, "3EB0OURS000000000001", true)}, {"emoji", "!"}},
                    id_of("3A0000000000000REA03")));
    ASSERT_TRUE(ours.quoted);
    EXPECT_EQ(ours.quoted->sender_id, std::string(kBusiness));
    EXPECT_TRUE(ours.quoted->text.empty());
}

TEST(CloudApiSource, EchoesHistoryAreOutboundFromTheOwner)
{
    json echo = message("text", {{"body", "Vom Handy gesendet"}}, wamid(kErika, "3EB0ECHO000000000001", true),
                        "1767261700", kBusiness);
    echo["to"] = std::string(kErika);
    json inbound_msg = message("text", {{"body", "Frage"}}, id_of("3A0000000000000QST01"), "1767261600");
    json hist_theirs = message("text", {{"body", "Alt"}}, id_of("3A0000000000000HIS01"), "1760000000");
    json hist_ours = message("image", {{"mime_type", "image/jpeg"}, {"caption", "Altes Bild"}},
                             wamid(kErika, "3EB0HIST000000000002", true), "1760000100", kBusiness);
    json history =
        json::array({{{"metadata", {{"phase", 1}, {"chunk_order", 1}, {"progress", 100}}},
                      {"threads", json::array({{{"id", std::string(kErika)},
                                                {"messages", json::array({hist_theirs, hist_ours})}}})}}});
    Drained r = run({envelope({{"message_echoes", json::array({echo})}}, "smb_message_echoes"),
                     inbound(json::array({inbound_msg})), envelope({{"history", history}}, "history")});
    ASSERT_EQ(r.items.size(), 4u);
    ASSERT_EQ(r.source->conversations().size(), 1u) << "echoes, inbound and history: one chat";
    EXPECT_EQ(r.items[0].item.text, "Alt");
    EXPECT_EQ(r.items[0].item.from_me, false);
    const Item& old_image = r.items[1].item;
    EXPECT_EQ(old_image.from_me, true);
    EXPECT_EQ(old_image.sender_id, std::string(kBusiness));
    EXPECT_EQ(old_image.author, std::string("+4930123456"));
    ASSERT_EQ(old_image.attachments.size(), 1u);
    EXPECT_TRUE(old_image.attachments[0].locator.empty()) << "history media older than 14 days has no id";
    EXPECT_FALSE(old_image.attachments[0].present);
    EXPECT_EQ(r.items[2].item.text, "Frage");
    const Item& e = r.items[3].item;
    EXPECT_EQ(e.text, "Vom Handy gesendet");
    EXPECT_EQ(e.from_me, true);
    EXPECT_EQ(e.sender_id, std::string(kBusiness));
    EXPECT_EQ(e.key_id, std::string("3EB0ECHO000000000001"));
}

TEST(CloudApiSource, ALaterCopyWithAMediaIdFillsItIn)
{
    auto history_with = [](json image) {
        json m = message("image", std::move(image), id_of("3A0000000000000HIM01"), "1760000000");
        json history = json::array(
            {{{"metadata", {{"phase", 0}, {"chunk_order", 1}}},
              {"threads", json::array({{{"id", std::string(kErika)}, {"messages", json::array({m})}}})}}});
        return envelope({{"history", history}}, "history");
    };
    Drained r = run({history_with({{"mime_type", "image/jpeg"}}),
                     history_with({{"id", "M-LATE"}, {"mime_type", "image/jpeg"}})},
                    store_of({{"M-LATE", "bytes"}}));
    ASSERT_EQ(r.items.size(), 1u);
    ASSERT_EQ(r.items[0].item.attachments.size(), 1u);
    EXPECT_EQ(r.items[0].item.attachments[0].locator, "media:M-LATE");
    EXPECT_TRUE(r.items[0].item.attachments[0].present);
}

TEST(CloudApiSource, CallsOneItemPerWacidAtTerminate)
{
    auto call = [](std::string_view event, std::string_view direction, std::string_view status, json extra) {
        json c = {{"id", "wacid.HBgLMTIzNDU2Nzg5MDEV"},  {"from", std::string(kErika)},
                  {"to", std::string(kBusiness)},        {"event", std::string(event)},
                  {"direction", std::string(direction)}, {"timestamp", "1767261700"}};
        if (!status.empty())
            c["status"] = std::string(status);
        c.update(extra);
        return c;
    };
    json calls =
        json::array({call("connect", "USER_INITIATED", "", json::object()),
                     call("terminate", "USER_INITIATED", "COMPLETED",
                          {{"start_time", "1767261605"}, {"end_time", "1767261700"}, {"duration", 95}})});
    json missed = call("terminate", "BUSINESS_INITIATED", "FAILED", json::object());
    missed["id"] = "wacid.OTHER";
    missed["from"] = std::string(kBusiness);
    missed["to"] = std::string(kErika);
    Drained r =
        run({envelope({{"calls", calls}}, "calls"), envelope({{"calls", json::array({missed})}}, "calls")});
    ASSERT_EQ(r.items.size(), 2u);
    const Item& answered = r.items[0].item;
    EXPECT_EQ(answered.kind, ItemKind::Call);
    ASSERT_TRUE(answered.call);
    EXPECT_EQ(answered.call->result, CallResult::Answered);
    EXPECT_EQ(answered.call->duration_seconds, 95u);
    EXPECT_EQ(answered.call->outgoing, false);
    EXPECT_EQ(answered.utc, 1767261605) << "the call's start";
    EXPECT_EQ(answered.sender_id, std::string(kErika));
    ASSERT_TRUE(answered.key_id);
    EXPECT_EQ(answered.key_id->size(), 33u);
    const Item& out = r.items[1].item;
    EXPECT_EQ(out.call->result, CallResult::Missed);
    EXPECT_EQ(out.call->outgoing, true);
    EXPECT_EQ(out.from_me, true);
    EXPECT_EQ(out.sender_id, std::string(kBusiness));
    EXPECT_NE(out.key_id, answered.key_id);
    EXPECT_EQ(r.source->conversations().size(), 1u);
}

TEST(CloudApiSource, StatusesAreCountedNotArchived)
{
    const std::string ours = wamid(kErika, "3EB0AAAAAAAAAAAAAAAA", true);
    json statuses = json::array({{{"id", ours},
                                  {"status", "sent"},
                                  {"timestamp", "1767261700"},
                                  {"recipient_id", std::string(kErika)}},
                                 {{"id", ours},
                                  {"status", "read"},
                                  {"timestamp", "1767261800"},
                                  {"recipient_id", std::string(kErika)}}});
    const std::string body = envelope({{"statuses", statuses}});
    Drained r = run({body, body});  // delivered twice
    EXPECT_TRUE(r.items.empty());
    EXPECT_EQ(r.source->statuses(), 2u);
    EXPECT_EQ(r.source->duplicates(), 2u);
    bool said = false;
    for (const auto& w : r.source->warnings())
        said = said || w.find("2 status notifications (1 read, 1 sent)") != std::string::npos;
    EXPECT_TRUE(said);
}

TEST(CloudApiSource, DuplicateDeliveriesYieldOneItem)
{
    const std::string a = inbound(
        json::array({message("text", {{"body", "eins"}}, id_of("3A00000000000000DUP1"), "1767261600"),
                     message("text", {{"body", "zwei"}}, id_of("3A00000000000000DUP2"), "1767261660")}));
    const std::string b = inbound(
        json::array({message("text", {{"body", "zwei"}}, id_of("3A00000000000000DUP2"), "1767261660")}));
    Drained r = run({b, a, a, b});
    ASSERT_EQ(r.items.size(), 2u);
    EXPECT_EQ(r.items[0].item.text, "eins");
    EXPECT_EQ(r.items[1].item.text, "zwei");
    EXPECT_EQ(r.source->duplicates(), 4u);  // the second a (2) and b (1), and DUP2 in the first a
    EXPECT_EQ(r.items[0].item.index, 0u);
    EXPECT_EQ(r.items[1].item.index, 1u);
}

TEST(CloudApiSource, ConversationsAreStableWhateverTheOrder)
{
    const std::string erika =
        inbound(json::array({message("text", {{"body", "E"}}, id_of("3A0000000000000CNV01"))}));
    const std::string hans =
        inbound(json::array({message("text", {{"body", "H"}}, wamid("4917000000001", "3A0000000000000CNV02"),
                                     "1767261600", "4917000000001")}),
                json::array({contact("4917000000001", "Hans")}));
    json group_msg = message("text", {{"body", "G"}}, id_of("3A0000000000000CNV03"));
    group_msg["group_id"] = "120363041234567890";
    const std::string group = inbound(json::array({group_msg}));
    Drained one_way = run({erika, hans, group});
    Drained other_way = run({group, hans, erika});
    ASSERT_EQ(one_way.source->conversations().size(), 3u);
    std::vector<std::string> keys_a, keys_b;
    for (const auto& c : one_way.source->conversations())
        keys_a.push_back(c.key());
    for (const auto& c : other_way.source->conversations())
        keys_b.push_back(c.key());
    EXPECT_EQ(keys_a, keys_b);
    EXPECT_NE(std::find(keys_a.begin(), keys_a.end(), "120363041234567890@g.us"), keys_a.end());
    for (const auto& y : one_way.items) {
        const Conversation& c = one_way.source->conversations()[y.conversation];
        if (y.item.text == "G") {
            EXPECT_TRUE(c.group);
            EXPECT_NE(c.find(kErika), nullptr) << "the sender is a known member";
        } else {
            EXPECT_FALSE(c.group);
            EXPECT_NE(c.find(*y.item.sender_id), nullptr);
        }
    }
}

TEST(CloudApiSource, BsuidOnlySendersJoinTheirPhoneWhenKnown)
{
    // First a username user with no number; later a delivery names both ids.
    json hidden = message("text", {{"body", "ohne Nummer"}}, "wamid.NOTDECODABLE1", "1767261600", "");
    hidden["from_user_id"] = std::string(kErikaBsuid);
    const std::string first =
        inbound(json::array({hidden}), json::array({contact("", "Erika", kErikaBsuid)}));
    const std::string later = inbound(json::array(
        {message("text", {{"body", "mit Nummer"}}, id_of("3A0000000000000BSU02"), "1767261700")}));
    Drained r = run({first, later});
    ASSERT_EQ(r.items.size(), 2u);
    EXPECT_EQ(r.source->conversations().size(), 1u);
    EXPECT_EQ(r.items[0].item.sender_id, std::string(kErika));
    EXPECT_EQ(r.items[0].item.key_id->front(), 'W') << "undecodable wamid: hashed key";

    // Never seen with a number: the BSUID alias is the person key (§E.1).
    json stranger = message("text", {{"body", "anonym"}}, "wamid.NOTDECODABLE2", "1767261600", "");
    stranger["from_user_id"] = "US.9988776655";
    Drained s = run({inbound(json::array({stranger}), json::array({contact("", "Anon", "US.9988776655")}))});
    ASSERT_EQ(s.items.size(), 1u);
    EXPECT_EQ(s.items[0].item.sender_id, std::string("bsuid-us.9988776655"));
    const Person* p = s.source->conversations()[0].find("bsuid-us.9988776655");
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->alias, std::string("bsuid-us.9988776655"));
    EXPECT_FALSE(p->phone);
    EXPECT_EQ(p->name, "Anon");
}

TEST(CloudApiSource, BadBodiesAreWarningsNotFailures)
{
    Drained r =
        run({"not json",
             inbound(json::array({message("text", {{"body", "ok"}}, id_of("3A00000000000000OK01"))}))});
    ASSERT_EQ(r.items.size(), 1u);
    ASSERT_FALSE(r.source->warnings().empty());
    EXPECT_NE(r.source->warnings()[0].find("notification 0"), std::string::npos) << r.source->warnings()[0];
}

TEST(CloudApiSource, ImportsThroughImportDatabase)
{
    ::unsetenv("CHATVAULT_KEY_FILE");
    cv::test::TempDir dir;
    const auto where = dir.path() / "archive";
    ASSERT_TRUE(archive::Archive::create(where));
    auto opened = archive::Archive::open(where);
    ASSERT_TRUE(opened) << opened.error().describe();
    auto normalizer = mapping::PhoneNormalizer::create("DE");
    ASSERT_TRUE(normalizer);
    const auto csv = mapping::parse_mapping_csv("phone,email\n+49 30 123456,service@bank.example\n",
                                                "users.csv", *normalizer);
    ASSERT_TRUE(csv.problems.empty());
    ingest::MappingContext context;
    context.normalizer = &*normalizer;
    context.csv = &csv.mapping;

    const std::vector<std::string> bodies = {
        inbound(
            json::array({message("text", {{"body", "Hallo"}}, id_of("3A00000000000000IMP1"), "1767261600"),
                         message("image", {{"id", "M-OK"}, {"mime_type", "image/png"}},
                                 id_of("3A00000000000000IMP2"), "1767261610"),
                         message("video", {{"id", "M-GONE"}, {"mime_type", "video/mp4"}},
                                 id_of("3A00000000000000IMP3"), "1767261620")})),
        inbound(
            json::array({message("text", {{"body", "Hallo"}}, id_of("3A00000000000000IMP1"), "1767261600")})),
    };
    auto import_once = [&]() {
        std::vector<Received> received;
        for (const auto& b : bodies)
            received.push_back({b, 1767300000});
        auto source =
            WebhookSource::create(received, store_of({{"M-OK", std::string("\x89PNG\r\n\x1a\n", 8)}}));
        return ingest::import_database(*opened, "webhooks", *source, ingest::ImportOptions{}, context);
    };
    auto first = import_once();
    ASSERT_TRUE(first) << first.error().describe();
    EXPECT_EQ(first->seen, 3u);
    EXPECT_EQ(first->added, 3u);
    EXPECT_EQ(first->quarantined, 0u);
    EXPECT_EQ(first->failed, 0u);
    auto listed = opened->list("service@bank.example", archive::kFolder, 100, 0);
    ASSERT_TRUE(listed) << listed.error().describe();
    ASSERT_EQ(listed->size(), 3u);
    std::set<std::string> ids;
    for (const auto& s : *listed)
        ids.insert(s.message_id);
    EXPECT_TRUE(ids.contains("wa.3A00000000000000IMP1@whatsapp.invalid")) << *ids.begin();

    auto again = import_once();
    ASSERT_TRUE(again) << again.error().describe();
    EXPECT_EQ(again->added, 0u);
    EXPECT_EQ(again->duplicates, 3u);
}

}  // namespace
}  // namespace cv::cloud_api

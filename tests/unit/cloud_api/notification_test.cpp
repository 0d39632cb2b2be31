// parse_notification (spec §A.2–§A.10) on payloads built here: the typed events, their
// idempotency keys (§E.3), wamid decoding (§A.12), skipped fields, and errors that name the
// JSON path of the bad value.

#include <gtest/gtest.h>

#include "cloud_api/payloads.hpp"
#include "sources/cloud_api/cloud_api.hpp"

namespace cv::cloud_api {
namespace {

using namespace test;

TEST(CloudApiWamid, DecodesTheSpecExample)
{
    const auto key = decode_wamid("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFDNBMUYwMEMwRkZFRTEyMzQ1Njc4AA==");
    ASSERT_TRUE(key);
    EXPECT_EQ(key->remote, "4915112345678");
    EXPECT_FALSE(key->from_me);
    EXPECT_EQ(key->message_id, "3A1F00C0FFEE12345678");
    EXPECT_EQ(key_id_for_wamid("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFDNBMUYwMEMwRkZFRTEyMzQ1Njc4AA=="),
              "3A1F00C0FFEE12345678");
}

TEST(CloudApiWamid, FromMeAndLowerCaseIds)
{
    const auto key = decode_wamid(wamid(kErika, "ac0ffee0123456789abcdef012345678", true));
    ASSERT_TRUE(key);
    EXPECT_TRUE(key->from_me);
    EXPECT_EQ(key_id_for_wamid(wamid(kErika, "ac0ffee0123456789abcdef012345678")),
              "AC0FFEE0123456789ABCDEF012345678");
}

TEST(CloudApiWamid, UndecodableFallsBackToAHash)
{
    for (std::string_view bad :
         {"wamid.", "wamid.!!!!", "wamid.AAAA", "HBgNNDkx", "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIY"}) {
        EXPECT_FALSE(decode_wamid(bad)) << bad;
        const std::string k = key_id_for_wamid(bad);
        EXPECT_EQ(k.size(), 33u) << bad;
        EXPECT_EQ(k[0], 'W');
        EXPECT_EQ(k, key_id_for_wamid(bad)) << "stable";
    }
    EXPECT_NE(key_id_for_wamid("wamid.AAAA"), key_id_for_wamid("wamid.AAAB"));
}

TEST(CloudApiNotification, EnvelopeMetadataContactsAndKeys)
{
    const std::string id = wamid(kErika, "3A0000000000000000A1");
    auto n = parse_notification(inbound(json::array({message("text", {{"body", "Hallo"}}, id)})));
    ASSERT_TRUE(n) << n.error().describe();
    ASSERT_EQ(n->changes.size(), 1u);
    const Change& c = n->changes[0];
    EXPECT_EQ(c.field, "messages");
    EXPECT_EQ(c.waba_id, "102938475610293");
    EXPECT_EQ(c.phone_number_id, kPhoneNumberId);
    EXPECT_EQ(c.display_phone_number, kBusiness);
    ASSERT_EQ(c.messages.size(), 1u);
    const MessageEvent& m = c.messages[0];
    EXPECT_EQ(m.wamid, id);
    EXPECT_EQ(m.type, "text");
    EXPECT_EQ(m.text, "Hallo");
    EXPECT_EQ(m.timestamp, 1767261600);
    EXPECT_EQ(m.direction, Direction::Inbound);
    EXPECT_EQ(m.from.phone, std::string(kErika));
    EXPECT_EQ(m.from.bsuid, std::string(kErikaBsuid));  // from contacts[]
    EXPECT_EQ(m.from.name, "Erika Muster");
    EXPECT_EQ(m.idempotency_key, id + "|text");
    EXPECT_TRUE(n->warnings.empty());
}

TEST(CloudApiNotification, MediaIdsForDownloadAtReceipt)
{
    auto n = parse_notification(inbound(json::array({
        message("image", {{"id", "M-IMG"}, {"mime_type", "image/jpeg"}, {"sha256", "abc"}}, "wamid.a"),
        message("document", {{"id", "M-DOC"}, {"mime_type", "application/pdf"}, {"filename", "x.pdf"}},
                "wamid.b"),
        message("text", {{"body", "no media"}}, "wamid.c"),
    })));
    ASSERT_TRUE(n) << n.error().describe();
    EXPECT_EQ(n->media_ids(), (std::vector<std::string>{"M-IMG", "M-DOC"}));
}

TEST(CloudApiNotification, UnknownFieldsAreSkippedWithAWarning)
{
    auto n = parse_notification(envelope({{"event", "FLAGGED"}}, "account_update"));
    ASSERT_TRUE(n) << n.error().describe();
    EXPECT_TRUE(n->changes.empty());
    ASSERT_EQ(n->warnings.size(), 1u);
    EXPECT_NE(n->warnings[0].find("entry[0].changes[0]: field account_update"), std::string::npos)
        << n->warnings[0];
}

TEST(CloudApiNotification, StatusesAndTheirKeys)
{
    const std::string ours = wamid(kErika, "3EB0AAAAAAAAAAAAAAAA", true);
    json statuses = json::array({
        {{"id", ours},
         {"status", "delivered"},
         {"timestamp", "1767261700"},
         {"recipient_id", std::string(kErika)},
         {"pricing", {{"pricing_model", "PMP"}, {"category", "service"}}}},
        {{"id", ours},
         {"status", "failed"},
         {"timestamp", "1767261800"},
         {"recipient_id", std::string(kErika)},
         {"errors", json::array({{{"code", 131047},
                                  {"title", "Re-engagement message"},
                                  {"error_data", {{"details", "more than 24 hours"}}}}})}},
        {{"id", "wacid.X"},
         {"type", "call"},
         {"status", "RINGING"},
         {"timestamp", "1767261900"},
         {"recipient_id", std::string(kErika)}},
        {{"id", ours},
         {"status", "read"},
         {"timestamp", 1767261750},
         {"recipient_type", "group"},
         {"recipient_id", "120363041234567890"}},
    });
    auto n = parse_notification(envelope({{"statuses", statuses}}));
    ASSERT_TRUE(n) << n.error().describe();
    const auto& s = n->changes.at(0).statuses;
    ASSERT_EQ(s.size(), 4u);
    EXPECT_EQ(s[0].idempotency_key, ours + "|delivered");
    EXPECT_EQ(s[0].recipient.phone, std::string(kErika));
    ASSERT_EQ(s[1].errors.size(), 1u);
    EXPECT_EQ(s[1].errors[0].code, 131047);
    EXPECT_EQ(s[1].errors[0].details, "more than 24 hours");
    EXPECT_EQ(s[2].type, "call");
    EXPECT_EQ(s[2].idempotency_key, "wacid.X|RINGING");
    EXPECT_EQ(s[3].timestamp, 1767261750);  // a number is accepted too
    EXPECT_EQ(s[3].group_id, std::string("120363041234567890"));
    EXPECT_FALSE(s[3].recipient.phone);
}

TEST(CloudApiNotification, CallsAndTheirKeys)
{
    json calls = json::array({
        {{"id", "wacid.HBgLMTIzNDU2Nzg5MDEV"},
         {"from", std::string(kErika)},
         {"to", std::string(kBusiness)},
         {"event", "connect"},
         {"direction", "USER_INITIATED"},
         {"timestamp", "1767261600"}},
        {{"id", "wacid.HBgLMTIzNDU2Nzg5MDEV"},
         {"from", std::string(kErika)},
         {"to", std::string(kBusiness)},
         {"event", "terminate"},
         {"direction", "USER_INITIATED"},
         {"timestamp", "1767261700"},
         {"status", "COMPLETED"},
         {"start_time", "1767261605"},
         {"end_time", "1767261700"},
         {"duration", 95}},
    });
    auto n = parse_notification(envelope({{"calls", calls}}, "calls"));
    ASSERT_TRUE(n) << n.error().describe();
    const auto& c = n->changes.at(0).calls;
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c[0].idempotency_key, "wacid.HBgLMTIzNDU2Nzg5MDEV|connect");
    EXPECT_EQ(c[1].idempotency_key, "wacid.HBgLMTIzNDU2Nzg5MDEV|terminate");
    EXPECT_EQ(c[1].duration, 95);
    EXPECT_EQ(c[1].start_time, 1767261605);
}

TEST(CloudApiNotification, EchoesAreOutboundAndHistoryKeysCarryPhaseAndChunk)
{
    json echo = message("text", {{"body", "Sent from the app"}}, "wamid.E1", "1767261600", kBusiness);
    echo["to"] = std::string(kErika);
    auto n = parse_notification(envelope({{"message_echoes", json::array({echo})}}, "smb_message_echoes"));
    ASSERT_TRUE(n) << n.error().describe();
    const MessageEvent& e = n->changes.at(0).messages.at(0);
    EXPECT_EQ(e.direction, Direction::Outbound);
    EXPECT_EQ(e.to.phone, std::string(kErika));

    json theirs = message("text", {{"body", "old question"}}, "wamid.H1", "1760000000");
    theirs["history_context"] = {{"status", "READ"}};
    json mine = message("text", {{"body", "old answer"}}, "wamid.H2", "1760000100", kBusiness);
    json history = json::array({{{"metadata", {{"phase", 1}, {"chunk_order", 3}, {"progress", 40}}},
                                 {"threads", json::array({{{"id", std::string(kErika)},
                                                           {"messages", json::array({theirs, mine})}}})}}});
    auto h = parse_notification(envelope({{"history", history}}, "history"));
    ASSERT_TRUE(h) << h.error().describe();
    const auto& hm = h->changes.at(0).messages;
    ASSERT_EQ(hm.size(), 2u);
    EXPECT_EQ(hm[0].direction, Direction::Inbound);
    EXPECT_EQ(hm[0].history_status, "READ");
    EXPECT_EQ(hm[0].idempotency_key, "1|3|wamid.H1|text");
    EXPECT_EQ(hm[1].direction, Direction::Outbound);
    EXPECT_EQ(hm[1].to.phone, std::string(kErika));  // the thread names the customer
}

struct BadPayload {
    std::string body;
    std::string path;  // expected at the start of the error message
};

TEST(CloudApiNotification, ErrorsNameTheJsonPath)
{
    json text_ok = message("text", {{"body", "ok"}}, "wamid.1");
    json no_type = text_ok;
    no_type.erase("type");
    json number_type = text_ok;
    number_type["type"] = json::array();
    json bad_body = message("text", {{"body", json::object()}}, "wamid.2");
    json bad_loc = message("location", {{"latitude", "52.5"}, {"longitude", json::array()}}, "wamid.3");
    json bad_interactive = message("interactive", {{"type", "button_reply"}}, "wamid.4");
    json edit_without_message = message("edit", {{"original_message_id", "wamid.1"}}, "wamid.5");
    const BadPayload cases[] = {
        {inbound(json::array({text_ok, text_ok, text_ok, no_type})),
         "entry[0].changes[0].value.messages[3].type: missing"},
        {inbound(json::array({number_type})),
         "entry[0].changes[0].value.messages[0].type: expected a string"},
        {inbound(json::array({bad_body})),
         "entry[0].changes[0].value.messages[0].text.body: expected a string"},
        {inbound(json::array({bad_loc})),
         "entry[0].changes[0].value.messages[0].location.longitude: expected a number"},
        {inbound(json::array({bad_interactive})),
         "entry[0].changes[0].value.messages[0].interactive.button_reply: missing"},
        {inbound(json::array({edit_without_message})),
         "entry[0].changes[0].value.messages[0].edit.message: missing"},
        {R"({"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{}},{"value":{}}]}]})",
         "entry[0].changes[1].field: missing"},
        {R"({"object":"whatsapp_business_account","entry":{}})", "entry: expected an array"},
        {R"({"object":"page","entry":[]})", "object: \"page\" is not"},
        {R"([1,2])", "(root): expected an object"},
        {R"({"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"statuses":[{"id":"x"}]}}]}]})",
         "entry[0].changes[0].value.statuses[0].status: missing"},
        {R"({"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"id":"x","type":"text","text":{"body":"a"},"timestamp":"soon"}]}}]}]})",
         "entry[0].changes[0].value.messages[0].timestamp: expected Unix seconds"},
        {"{\"object\":", "webhook body is not JSON"},
    };
    for (const auto& c : cases) {
        auto n = parse_notification(c.body);
        ASSERT_FALSE(n) << c.body;
        EXPECT_EQ(n.error().code(), ErrorCode::Parse);
        EXPECT_TRUE(n.error().message().starts_with(c.path))
            << n.error().message() << "\n  wanted: " << c.path;
    }
}

}  // namespace
}  // namespace cv::cloud_api

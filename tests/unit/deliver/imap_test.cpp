// The hand-written parts of the IMAP client: modified UTF-7 names, response parsing, the
// date-time of APPEND, and the target's validation. The wire itself is tested against a real
// Dovecot in tests/imap/.

#include <gtest/gtest.h>

#include "deliver/deliver.hpp"
#include "deliver/imap/mutf7.hpp"
#include "deliver/imap/response.hpp"
#include "deliver/imap/session.hpp"

namespace cv::deliver::imap {
namespace {

std::string encoded(std::string_view s)
{
    auto r = encode_mailbox_name(s);
    EXPECT_TRUE(r) << r.error().describe();
    return r ? *r : std::string();
}

TEST(ModifiedUtf7, Rfc3501Examples)
{
    EXPECT_EQ(encoded("WhatsApp Archiver"), "WhatsApp Archiver");
    EXPECT_EQ(encoded("Café"), "Caf&AOk-");
    EXPECT_EQ(encoded("台北"), "&U,BTFw-");  // RFC 3501 §5.1.3
    EXPECT_EQ(encoded("日本語"), "&ZeVnLIqe-");
    EXPECT_EQ(encoded("A & B"), "A &- B");
    EXPECT_EQ(encoded("Hi 😀"), "Hi &2D3eAA-");  // a surrogate pair
    EXPECT_EQ(encoded("Ärger & Ökonomie"), "&AMQ-rger &- &ANY-konomie");
}

TEST(ModifiedUtf7, RefusesWhatIsNotAName)
{
    EXPECT_FALSE(encode_mailbox_name("a\nb"));
    EXPECT_FALSE(encode_mailbox_name("tab\there"));
    EXPECT_FALSE(encode_mailbox_name("\xff"));
    EXPECT_FALSE(encode_mailbox_name("\xc3"));          // cut short
    EXPECT_FALSE(encode_mailbox_name("\xe0\x80\x80"));  // overlong
    EXPECT_FALSE(encode_mailbox_name("\xed\xa0\x80"));  // a surrogate
    EXPECT_FALSE(encode_mailbox_name("\xc2\x85"));      // C1 control (NEL)
}

TEST(ImapResponse, TaggedStatusWithCode)
{
    auto r = parse_response("cv7 OK [APPENDUID 1732460000 42] Append completed.");
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->kind, Response::Kind::Tagged);
    EXPECT_EQ(r->tag, "cv7");
    EXPECT_EQ(r->name, "OK");
    EXPECT_EQ(r->code, "APPENDUID");
    EXPECT_EQ(appended_uid(r->code_args), 42u);
    EXPECT_EQ(r->text, "Append completed.");

    r = parse_response("cv8 no [overquota] Quota exceeded (mailbox for user is full)");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->name, "NO");
    EXPECT_EQ(r->code, "OVERQUOTA");
    EXPECT_EQ(r->text, "Quota exceeded (mailbox for user is full)");
}

TEST(ImapResponse, UntaggedDataAndContinuations)
{
    auto r = parse_response("* 23 EXISTS");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->number, 23u);
    EXPECT_EQ(r->name, "EXISTS");

    r = parse_response("* SEARCH 4 17 99");
    ASSERT_TRUE(r);
    auto uids = parse_search(r->rest);
    ASSERT_TRUE(uids);
    EXPECT_EQ(*uids, (std::vector<std::uint32_t>{4, 17, 99}));
    EXPECT_TRUE(parse_search("")->empty());
    EXPECT_EQ(*parse_search("5 (MODSEQ 917162500)"), (std::vector<std::uint32_t>{5}));
    EXPECT_FALSE(parse_search("4 x"));

    r = parse_response("+ Ready for literal data");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, Response::Kind::Continuation);

    r = parse_response("* CAPABILITY IMAP4rev1 LITERAL+ UIDPLUS auth=PLAIN");
    ASSERT_TRUE(r);
    const auto caps = parse_capabilities(r->rest);
    EXPECT_TRUE(caps.contains("LITERAL+"));
    EXPECT_TRUE(caps.contains("AUTH=PLAIN"));

    r = parse_response("* BYE Server shutting down");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->name, "BYE");
    EXPECT_EQ(r->text, "Server shutting down");
}

TEST(ImapResponse, ListWithQuotedLiteralAndNilSeparators)
{
    auto e = parse_list(R"((\HasNoChildren) "/" "WhatsApp Archiver")");
    ASSERT_TRUE(e) << e.error().describe();
    EXPECT_EQ(e->separator, '/');
    EXPECT_EQ(e->name, "WhatsApp Archiver");
    EXPECT_EQ(e->flags, (std::vector<std::string>{"\\HasNoChildren"}));

    e = parse_list("(\\Noselect) \".\" {11}\r\nCaf&AOk- \"x\"");
    ASSERT_TRUE(e) << e.error().describe();
    EXPECT_EQ(e->separator, '.');
    EXPECT_EQ(e->name, "Caf&AOk- \"x");

    e = parse_list(R"(() NIL INBOX)");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->separator, std::nullopt);
    EXPECT_EQ(e->name, "INBOX");

    e = parse_list(R"((\HasChildren) "\\" "a\\b\"c")");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->separator, '\\');
    EXPECT_EQ(e->name, "a\\b\"c");
}

TEST(ImapResponse, WhatIsNotAResponseIsAParseError)
{
    EXPECT_EQ(parse_response("").error().code(), ErrorCode::Parse);
    EXPECT_FALSE(parse_response("cv1"));
    EXPECT_FALSE(parse_response("cv1 FETCH 1"));  // tagged responses are OK, NO or BAD
    EXPECT_FALSE(parse_list("\\Noselect \"/\" x"));
    EXPECT_FALSE(parse_list("() \"/\" {99}\r\nshort"));
    EXPECT_FALSE(parse_list("() \"//\" x"));
    EXPECT_FALSE(parse_list("() \"/\" \"unterminated"));
    auto bad = parse_response("cv1 FETCH \x01 secret-free");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().describe().find("cannot read"), std::string::npos);
}

TEST(ImapResponse, QuotingForCommands)
{
    EXPECT_EQ(*quote_string("WhatsApp Archiver"), "\"WhatsApp Archiver\"");
    EXPECT_EQ(*quote_string(R"(a"b\c)"), R"("a\"b\\c")");
    EXPECT_FALSE(quote_string("a\r\nLOGOUT"));  // no command injection through a name
}

TEST(ImapDateTime, AppendDates)
{
    EXPECT_EQ(imap_date_time(0), "01-Jan-1970 00:00:00 +0000");
    EXPECT_EQ(imap_date_time(1732463640), "24-Nov-2024 15:54:00 +0000");
    EXPECT_EQ(imap_date_time(1709210096), "29-Feb-2024 12:34:56 +0000");
}

TEST(DeliveryTarget, Validation)
{
    Target t;
    t.url = "imaps://mail.example.com";
    EXPECT_TRUE(validate(t));
    t.url = "https://mail.example.com";
    EXPECT_EQ(validate(t).error().code(), ErrorCode::InvalidArgument);
    t.url = "imap://mail.example.com/ x";
    EXPECT_FALSE(validate(t));
    t.url = "imap://127.0.0.1:1143";
    t.folder = "Compliance//WhatsApp";
    EXPECT_FALSE(validate(t));
    t.folder = "Compliance/WhatsApp Archiver";
    EXPECT_TRUE(validate(t));
    t.folder = "bad\nname";
    EXPECT_FALSE(validate(t));
    EXPECT_EQ(mechanism_from_string("xoauth2"), Mechanism::XOAuth2);
    EXPECT_EQ(mechanism_from_string("cram-md5"), std::nullopt);
}

}  // namespace
}  // namespace cv::deliver::imap

// The query → index condition translation (compliance/search), without an archive: which FTS5
// expressions and SQL predicates each construct becomes.

#include <gtest/gtest.h>

#include "archive/detail/record.hpp"
#include "compliance/search/search.hpp"

namespace cv::compliance::search {
namespace {

using archive::IndexCondition;
using Op = IndexCondition::Op;

constexpr std::int64_t kNow = 1'779'000'000;  // 2026-05-17

IndexCondition where(std::string_view text, SearchOptions options = {})
{
    const auto zone = TimeZone::locate("UTC");
    auto q = query::parse(text, *zone, kNow);
    EXPECT_TRUE(q) << (q ? "" : q.error().describe());
    auto p = plan(*q, options, nullptr);
    EXPECT_TRUE(p) << (p ? "" : p.error().describe());
    return p->where;
}

TEST(SearchTranslate, FtsStringsQuoteEveryText)
{
    EXPECT_EQ(fts_text({query::Text::Form::Word, "budget"}), "\"budget\"");
    EXPECT_EQ(fts_text({query::Text::Form::Phrase, "say \"hi\" now"}), "\"say \"\"hi\"\" now\"");
    EXPECT_EQ(fts_text({query::Text::Form::Prefix, "budg"}), "\"budg\" *");
    EXPECT_EQ(fts_text({query::Text::Form::Word, "NEAR"}), "\"NEAR\"");  // a word, never an FTS operator
    EXPECT_EQ(fts_text({query::Text::Form::Word, "!!!"}), std::nullopt);
}

TEST(SearchTranslate, WordsAndOperatorsBecomeOneMatch)
{
    auto w = where("budget");
    EXPECT_EQ(w.op, Op::Text);
    EXPECT_EQ(w.fts, "\"budget\"");
    w = where("budget forecast -draft");
    EXPECT_EQ(w.op, Op::Text);
    EXPECT_EQ(w.fts, "((\"budget\") AND (\"forecast\")) NOT (\"draft\")");
    w = where("budget OR forecast");
    EXPECT_EQ(w.fts, "((\"budget\") OR (\"forecast\"))");
    w = where("budg* NEAR(3) \"the review\"");
    EXPECT_EQ(w.fts, "NEAR(\"budg\" * \"the review\", 3)");
    // NOT alone has no positive side for FTS5: it stays a SQL NOT.
    w = where("NOT budget");
    ASSERT_EQ(w.op, Op::Not);
    EXPECT_EQ(w.children.front().op, Op::Text);
}

TEST(SearchTranslate, OrderedNearIsNearPlusACheck)
{
    const auto zone = TimeZone::locate("UTC");
    auto q = query::parse("budget ONEAR(2) review", *zone, kNow);
    ASSERT_TRUE(q);
    auto p = plan(*q, {}, nullptr);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->where.fts, "NEAR(\"budget\" \"review\", 2)");
    ASSERT_EQ(p->notes.size(), 1u);
    EXPECT_NE(p->notes[0].find("ONEAR(2)"), std::string::npos);
}

TEST(SearchTranslate, ColumnsAndPeople)
{
    EXPECT_EQ(where("subject:falcon").fts, "{subject} : (\"falcon\")");
    EXPECT_EQ(where("body:\"budget review\"").fts, "{body} : (\"budget review\")");
    EXPECT_EQ(where("attachmentnames:report.pdf").fts, "{attachments} : (\"report.pdf\")");
    auto from = where("from:carol");
    ASSERT_EQ(from.op, Op::Or);
    EXPECT_EQ(from.children[0].op, Op::Person);
    EXPECT_EQ(from.children[0].role, IndexCondition::Role::Sender);
    EXPECT_EQ(from.children[0].fts, "{name address} : (\"carol\")");
    EXPECT_EQ(from.children[1].fts, "{sender} : (\"carol\")");
    auto phone = where("to:\"+44 (0) 7700-900461\"");
    // Any spelling: its digits, leading zeros dropped, matched whole or as a suffix (a "(0)" stays a digit).
    EXPECT_EQ(phone.op, Op::Person);
    EXPECT_EQ(phone.role, IndexCondition::Role::Recipient);
    EXPECT_EQ(phone.fts, "{phone phone_tail} : \"4407700900461\"");
    EXPECT_EQ(where("participants:ana@bank.example").children[0].fts, "{address} : (\"ana@bank.example\")");
    EXPECT_EQ(where("cc:carol").op, Op::None);
    EXPECT_EQ(where("conversation:falcon").fts, "{title} : (\"falcon\")");
}

TEST(SearchTranslate, PropertiesBecomePredicates)
{
    auto sent = where("sent:2026-05-01..2026-05-31");
    EXPECT_EQ(sent.op, Op::Utc);
    EXPECT_EQ(sent.from, 1'777'593'600);
    EXPECT_EQ(sent.to, 1'780'272'000);
    EXPECT_EQ(where("received>=2026-05-01").op, Op::ImportedAt);
    auto size = where("size>1KB");
    EXPECT_EQ(size.op, Op::Size);
    EXPECT_EQ(size.from, 1025);
    EXPECT_EQ(where("kind:whatsapp").op, Op::All);
    auto call = where("kind:call");
    EXPECT_EQ(call.op, Op::Kind);
    EXPECT_EQ(call.kind, ItemKind::Call);
    auto flag = where("hasattachment:false");
    ASSERT_EQ(flag.op, Op::Not);
    EXPECT_EQ(flag.children[0].op, Op::HasAttachment);
    EXPECT_EQ(where("edited:true").op, Op::Edited);
    EXPECT_EQ(where("deleted=true").op, Op::Deleted);
    auto domain = where("mailbox:bank.example");
    EXPECT_TRUE(domain.domain);
    EXPECT_EQ(domain.text, "bank.example");
    auto exact = where("mailbox:ana@bank.example");
    EXPECT_FALSE(exact.domain);
    EXPECT_TRUE(where("mailbox:ana*").prefix);
}

TEST(SearchTranslate, MailboxOptionNarrowsEverything)
{
    SearchOptions o;
    o.mailbox = "ana@bank.example";
    auto w = where("budget OR kind:call", o);
    ASSERT_EQ(w.op, Op::And);
    EXPECT_EQ(w.children.back().op, Op::Mailbox);
    EXPECT_EQ(where("kind:whatsapp", o).op, Op::Mailbox);
}

TEST(SearchTranslate, PhoneDigits)
{
    EXPECT_EQ(phone_digits("+49 151 12345678"), "4915112345678");
    EXPECT_EQ(phone_digits("0049-151-12345678"), "4915112345678");
    EXPECT_EQ(phone_digits("(0151) 1234 5678"), "15112345678");
    EXPECT_EQ(phone_digits("12345"), std::nullopt);
    EXPECT_EQ(phone_digits("ana"), std::nullopt);
    EXPECT_EQ(phone_digits("2026-05-01x"), std::nullopt);
}

TEST(SearchTranslate, OrderedNearCheck)
{
    const auto t = words("The Budget, then the quarterly REVIEW.");
    EXPECT_EQ(t, (std::vector<std::string>{"the", "budget", "then", "the", "quarterly", "review"}));
    using query::Text;
    EXPECT_TRUE(ordered_near(t, {Text::Form::Word, "budget"}, {Text::Form::Word, "review"}, 3));
    EXPECT_FALSE(ordered_near(t, {Text::Form::Word, "budget"}, {Text::Form::Word, "review"}, 2));
    EXPECT_FALSE(ordered_near(t, {Text::Form::Word, "review"}, {Text::Form::Word, "budget"}, 8));
    EXPECT_TRUE(ordered_near(t, {Text::Form::Prefix, "budg"}, {Text::Form::Phrase, "quarterly review"}, 2));
}

// What a page of hits shows comes from preview records (archive/search.cpp): they keep what a
// snippet needs, and say when a long text was cut, so that the search reads that item whole.
TEST(SearchPreview, RecordKeepsWhatASnippetNeeds)
{
    Item item;
    item.author = "Zoë \"Z\" Ng";
    item.text = "line one\nline two ✓";
    item.attachments.push_back(Attachment{});
    item.attachments.back().name = "IMG-1.jpg";
    item.call = CallInfo{CallMedia::Video, CallResult::Missed, std::nullopt, std::nullopt};
    Item back;
    bool complete = false;
    ASSERT_TRUE(archive::detail::parse_preview_record(archive::detail::preview_record(item), back, complete));
    EXPECT_TRUE(complete);
    EXPECT_EQ(back.author, item.author);
    EXPECT_EQ(back.text, item.text);
    ASSERT_EQ(back.attachments.size(), 1u);
    EXPECT_EQ(back.attachments[0].name, "IMG-1.jpg");
    ASSERT_TRUE(back.call);
    EXPECT_EQ(back.call->media, CallMedia::Video);
    EXPECT_EQ(back.call->result, CallResult::Missed);

    Item system;  // no author, no text
    ASSERT_TRUE(
        archive::detail::parse_preview_record(archive::detail::preview_record(system), back, complete));
    EXPECT_FALSE(back.author);
    EXPECT_TRUE(back.text.empty());
    EXPECT_FALSE(back.call);
}

TEST(SearchPreview, LongTextIsCutAtACharacterAndMarked)
{
    Item item;
    item.text =
        std::string(archive::detail::kPreviewTextBytes - 1, 'a') + "é and more";  // é straddles the cut
    Item back;
    bool complete = true;
    ASSERT_TRUE(archive::detail::parse_preview_record(archive::detail::preview_record(item), back, complete));
    EXPECT_FALSE(complete);
    EXPECT_EQ(back.text, std::string(archive::detail::kPreviewTextBytes - 1, 'a'));
}

}  // namespace
}  // namespace cv::compliance::search

#include "compliance/query/query.hpp"

#include <gtest/gtest.h>

namespace cv::compliance::query {
namespace {

// 2024-05-08T08:00:00Z, a Wednesday.
constexpr std::int64_t kNow = 1715155200;

TimeZone zone(std::string_view name)
{
    auto z = TimeZone::locate(name);
    EXPECT_TRUE(z) << name;
    return *z;
}

// How `q` was understood (the --explain text), or "error: <first line of the message>".
std::string explain(std::string_view q, std::string_view tz = "UTC", std::int64_t now = kNow)
{
    const auto r = parse(q, zone(tz), now);
    if (!r)
        return "error: " + r.error().message().substr(0, r.error().message().find('\n'));
    // Whatever parses must read back identically from its explanation.
    const auto again = parse(to_string(*r), zone(tz), now);
    EXPECT_TRUE(again) << q << " -> " << to_string(*r) << ": " << again.error().message();
    if (again) {
        EXPECT_EQ(*again, *r) << q << " -> " << to_string(*r) << " -> " << to_string(*again);
    }
    return to_string(*r);
}

Node root(std::string_view q, std::string_view tz = "UTC", std::int64_t now = kNow)
{
    auto r = parse(q, zone(tz), now);
    EXPECT_TRUE(r) << q << ": " << r.error().message();
    return r ? r->root : Node{};
}

// ---- free text ----------------------------------------------------------------------------

TEST(KqlParse, WordsPhrasesAndWildcards)
{
    EXPECT_EQ(explain("budget"), "budget");
    EXPECT_EQ(explain("\"budget review\""), "\"budget review\"");
    EXPECT_EQ(explain("budg*"), "budg*");
    EXPECT_EQ(explain("e-mail a+b ana@example.com 10.5"), "(e-mail AND a+b AND ana@example.com AND 10.5)");
    EXPECT_EQ(explain("  budget\t"), "budget");

    const Node n = root("budg*");
    const auto& t = std::get<Term>(n.value);
    EXPECT_EQ(t.text.form, Text::Form::Prefix);
    EXPECT_EQ(t.text.text, "budg");
    EXPECT_EQ(std::get<Term>(root("\"a  b\"").value).text, (Text{Text::Form::Phrase, "a  b"}));
}

TEST(KqlParse, PrefixWildcardNeedsThreeCharactersBeforeTheStar)
{
    EXPECT_EQ(explain("bud*"), "bud*");
    EXPECT_EQ(explain("bu*"),
              "error: column 1: a prefix wildcard needs at least 3 characters before the '*' (got 2)");
    EXPECT_EQ(explain("x *"),
              "error: column 3: a prefix wildcard needs at least 3 characters before the '*' (got 0)");
    // Characters, not bytes: two Cyrillic letters are four bytes.
    EXPECT_EQ(explain("бю*"),
              "error: column 1: a prefix wildcard needs at least 3 characters before the '*' (got 2)");
    EXPECT_EQ(explain("бюд*"), "бюд*");
    EXPECT_EQ(explain("bu*dget"),
              "error: column 3: a wildcard '*' may only end a word (prefix search, as in budg*)");
    EXPECT_EQ(explain("budg**"),
              "error: column 5: a wildcard '*' may only end a word (prefix search, as in budg*)");
    EXPECT_EQ(explain("subject:bu*"),
              "error: column 9: a prefix wildcard needs at least 3 characters before the '*' (got 2)");
    // Inside quotes a star is text.
    EXPECT_EQ(explain("\"a*\""), "\"a*\"");
}

// ---- boolean operators and precedence ---------------------------------------------------------

TEST(KqlParse, PrecedenceNotOverAndOverOr)
{
    EXPECT_EQ(explain("a OR b AND c"), "(a OR (b AND c))");
    EXPECT_EQ(explain("a AND b OR c AND d"), "((a AND b) OR (c AND d))");
    EXPECT_EQ(explain("NOT a AND b"), "((NOT a) AND b)");
    EXPECT_EQ(explain("NOT a OR b"), "((NOT a) OR b)");
    EXPECT_EQ(explain("a AND NOT b OR c"), "((a AND (NOT b)) OR c)");
    EXPECT_EQ(explain("NOT NOT a"), "(NOT (NOT a))");
    EXPECT_EQ(explain("a AND b AND c"), "(a AND b AND c)");
    EXPECT_EQ(explain("a OR b OR c"), "(a OR b OR c)");
}

// MS-KQL's expression-list: juxtaposition binds loosest, below OR.
TEST(KqlParse, ImplicitAndBindsLooserThanOr)
{
    EXPECT_EQ(explain("a b"), "(a AND b)");
    EXPECT_EQ(explain("a b OR c"), "(a AND (b OR c))");
    EXPECT_EQ(explain("a OR b c"), "((a OR b) AND c)");
    EXPECT_EQ(explain("a NOT b"), "(a AND (NOT b))");
    EXPECT_EQ(explain("a AND b c"), "((a AND b) AND c)");
}

TEST(KqlParse, ParenthesesGroupAndAreKept)
{
    EXPECT_EQ(explain("(a OR b) AND (c OR d)"), "((a OR b) AND (c OR d))");
    EXPECT_EQ(explain("(a AND b) AND c"), "((a AND b) AND c)");
    EXPECT_EQ(explain("a AND (b AND c)"), "(a AND (b AND c))");
    EXPECT_EQ(explain("((a))"), "a");
    EXPECT_EQ(explain("(a b)c"), "((a AND b) AND c)");
    EXPECT_EQ(explain("NOT(a OR b)"), "(NOT (a OR b))");
}

TEST(KqlParse, LowerCaseOperatorsAreWords)
{
    EXPECT_EQ(explain("a and b"), "(a AND and AND b)");
    EXPECT_EQ(explain("a or b"), "(a AND or AND b)");
    EXPECT_EQ(explain("not a"), "(not AND a)");
    EXPECT_EQ(explain("a near b"), "(a AND near AND b)");
    EXPECT_EQ(explain("a Or b"), "(a AND Or AND b)");
    EXPECT_EQ(explain("ANDROID ORACLE NOTES NEARBY ONEARTH"),
              "(ANDROID AND ORACLE AND NOTES AND NEARBY AND ONEARTH)");
    // Quoted, upper-case operators are text too.
    EXPECT_EQ(explain("\"AND\" \"NOT\""), "(\"AND\" AND \"NOT\")");
}

TEST(KqlParse, PlusAndMinusPrefixes)
{
    EXPECT_EQ(explain("+a"), "a");
    EXPECT_EQ(explain("-a"), "(NOT a)");
    EXPECT_EQ(explain("budget -forecast"), "(budget AND (NOT forecast))");
    EXPECT_EQ(explain("a -b +c"), "(a AND (NOT b) AND c)");
    EXPECT_EQ(explain("-\"a b\""), "(NOT \"a b\")");
    EXPECT_EQ(explain("-from:ana"), "(NOT from:ana)");
    EXPECT_EQ(explain("-(a OR b)"), "(NOT (a OR b))");
    EXPECT_EQ(explain("a OR -b"), "(a OR (NOT b))");
    EXPECT_EQ(explain("-budg*"), "(NOT budg*)");

    EXPECT_EQ(explain("a - b"), "error: column 4: expected a term after '-'");
    EXPECT_EQ(explain("a -"), "error: column 4: expected a term after '-'");
    EXPECT_EQ(explain("--a"), "error: column 2: expected a term after '-'");
    EXPECT_EQ(explain("+-a"), "error: column 2: expected a term after '+'");
    EXPECT_EQ(explain("-AND a"), "error: column 2: expected a term after '-'");
    EXPECT_EQ(explain("(a -)"), "error: column 5: expected a term after '-'");
}

// ---- NEAR / ONEAR -----------------------------------------------------------------------------

TEST(KqlParse, NearAndOnearWithDefaults)
{
    EXPECT_EQ(explain("budget NEAR forecast"), "(budget NEAR(8) forecast)");
    EXPECT_EQ(explain("budget ONEAR forecast"), "(budget ONEAR(8) forecast)");
    EXPECT_EQ(explain("budget NEAR(5) forecast"), "(budget NEAR(5) forecast)");
    EXPECT_EQ(explain("budget NEAR(n=5) forecast"), "(budget NEAR(5) forecast)");
    EXPECT_EQ(explain("budget ONEAR(0) forecast"), "(budget ONEAR(0) forecast)");
    EXPECT_EQ(explain("\"sky blue\" NEAR(2) constr*"), "(\"sky blue\" NEAR(2) constr*)");
    EXPECT_EQ(explain("a NEAR b OR c"), "((a NEAR(8) b) OR c)");
    EXPECT_EQ(explain("NOT a NEAR b"), "(NOT (a NEAR(8) b))");
    EXPECT_EQ(explain("-a NEAR b"), "(NOT (a NEAR(8) b))");

    const Node n = root("budget ONEAR(3) \"fore cast\"");
    const auto& near = std::get<Near>(n.value);
    EXPECT_TRUE(near.ordered);
    EXPECT_EQ(near.distance, 3);
    EXPECT_EQ(near.left, (Text{Text::Form::Word, "budget"}));
    EXPECT_EQ(near.right, (Text{Text::Form::Phrase, "fore cast"}));
    EXPECT_FALSE(std::get<Near>(root("a NEAR b").value).ordered);
    EXPECT_EQ(std::get<Near>(root("a NEAR b").value).distance, 8);
}

TEST(KqlParse, NearTakesOneTermOnEachSide)
{
    EXPECT_EQ(explain("NEAR b"), "error: column 1: NEAR needs a term or phrase on each side");
    EXPECT_EQ(explain("a NEAR"), "error: column 7: NEAR needs a term or phrase on each side");
    EXPECT_EQ(explain("a NEAR(5)"), "error: column 10: NEAR needs a term or phrase on each side");
    EXPECT_EQ(explain("a NEAR from:b"), "error: column 8: NEAR needs a term or phrase on each side");
    EXPECT_EQ(explain("a NEAR (b)"), "error: column 8: NEAR needs a term or phrase on each side");
    EXPECT_EQ(explain("a NEAR -b"), "error: column 8: NEAR needs a term or phrase on each side");
    EXPECT_EQ(explain("(a) NEAR b"), "error: column 5: NEAR needs a term or phrase on each side");
    EXPECT_EQ(explain("from:a ONEAR b"), "error: column 8: ONEAR needs a term or phrase on each side");
    EXPECT_EQ(
        explain("a NEAR b NEAR c"),
        "error: column 10: NEAR joins exactly two terms (the NEAR at column 3 already has its two); combine "
        "more with AND");
    EXPECT_EQ(explain("a NEAR(x) b"),
              "error: column 7: expected NEAR(n) with n a number of words, as in NEAR(5)");
    EXPECT_EQ(explain("a NEAR() b"),
              "error: column 7: expected NEAR(n) with n a number of words, as in NEAR(5)");
    EXPECT_EQ(explain("a ONEAR(1001) b"),
              "error: column 9: ONEAR distance 1001 is over the limit of 1000 words");
}

// ---- properties -------------------------------------------------------------------------------

TEST(KqlParse, TextPropertiesWithColonAndEquals)
{
    for (const char* name : {"from", "to", "cc", "participants", "recipients", "subject", "body",
                             "attachmentnames", "conversation", "mailbox"}) {
        const std::string n(name);
        EXPECT_EQ(explain(n + ":ana"), n + ":ana");
        EXPECT_EQ(explain(n + "=ana"), n + "=ana");
        EXPECT_EQ(explain(n + ":\"Ana Lopez\""), n + ":\"Ana Lopez\"");
        EXPECT_EQ(explain(n + ":ana*"), n + ":ana*");
    }
    const Node n = root("subject=\"Q3 budget\"");
    const auto& f = std::get<TextFilter>(n.value);
    EXPECT_EQ(f.property, Property::Subject);
    EXPECT_EQ(f.match, TextFilter::Match::Equals);
    EXPECT_EQ(f.value, (Text{Text::Form::Phrase, "Q3 budget"}));
    EXPECT_EQ(std::get<TextFilter>(root("from:ana").value).match, TextFilter::Match::Contains);
}

TEST(KqlParse, PropertyNamesAreCaseInsensitiveAndPrintedCanonically)
{
    EXPECT_EQ(explain("From:ana SUBJECT:x HasAttachment:TRUE Kind:Call"),
              "(from:ana AND subject:x AND hasattachment:true AND kind:call)");
}

TEST(KqlParse, PropertyValuesKeepTheirPunctuation)
{
    EXPECT_EQ(explain("subject:re:budget"), "subject:re:budget");
    EXPECT_EQ(explain("from:+49-151-1234567"), "from:+49-151-1234567");
    EXPECT_EQ(explain("from:@example.com"), "from:@example.com");
    EXPECT_EQ(explain("subject:AND"), "subject:AND");
    EXPECT_EQ(explain("(from:ana)"), "from:ana");
    EXPECT_EQ(explain("attachmentnames:report.pdf"), "attachmentnames:report.pdf");
}

TEST(KqlParse, KindAndFlags)
{
    EXPECT_EQ(explain("kind:whatsapp"), "kind:whatsapp");
    EXPECT_EQ(explain("kind:message"), "kind:message");
    EXPECT_EQ(explain("kind=call"), "kind:call");
    EXPECT_EQ(explain("kind:\"SYSTEM\""), "kind:system");
    EXPECT_EQ(explain("kind:email"),
              "error: column 6: unknown kind 'email': use whatsapp, message, call or system");
    EXPECT_EQ(std::get<KindFilter>(root("kind:call").value).kind, KindFilter::Kind::Call);

    for (const char* name : {"hasattachment", "deleted", "edited"}) {
        const std::string n(name);
        EXPECT_EQ(explain(n + ":true"), n + ":true");
        EXPECT_EQ(explain(n + "=False"), n + ":false");
        EXPECT_EQ(explain(n + ":yes"), "error: column " + std::to_string(n.size() + 2) + ": " + n +
                                           " takes true or false, not 'yes'");
    }
    const Node f = root("deleted:false");
    EXPECT_EQ(std::get<FlagFilter>(f.value), (FlagFilter{Property::Deleted, false}));
}

TEST(KqlParse, UnknownPropertiesNameTheKnownOnes)
{
    EXPECT_EQ(
        explain("budget foo:bar"),
        "error: column 8: unknown property 'foo' (known: from, to, cc, participants, recipients, subject, "
        "body, sent, received, kind, hasattachment, attachmentnames, size, conversation, deleted, edited, "
        "mailbox); put text in quotes to search for it");
    EXPECT_EQ(explain("10:30").substr(0, 40), "error: column 1: unknown property '10' (");
    EXPECT_EQ(explain("\"10:30\""), "\"10:30\"");
    EXPECT_EQ(explain(":x"), "error: column 1: expected a property name before ':'");
    EXPECT_EQ(explain("a =x"), "error: column 3: expected a property name before '='");
}

TEST(KqlParse, ComparisonsOnlyOnOrderedProperties)
{
    EXPECT_EQ(explain("from>ana"),
              "error: column 5: '>' applies only to sent, received and size; use from: or from=");
    EXPECT_EQ(explain("kind<=call"),
              "error: column 5: '<=' applies only to sent, received and size; use kind: or kind=");
    EXPECT_EQ(explain("size<>1"), "error: column 5: '<>' is not supported: write NOT size:value");
    EXPECT_EQ(explain("from:"), "error: column 6: expected a value after 'from:'");
    EXPECT_EQ(explain("from: ana"), "error: column 6: expected a value after 'from:'");
    EXPECT_EQ(explain("(sent>=)"), "error: column 8: expected a value after 'sent>='");
}

// MS-KQL 2.2.4: in a sequence without operators, restrictions on the same property are ORed.
TEST(KqlParse, SamePropertyRestrictionsInASequenceAreOred)
{
    EXPECT_EQ(explain("from:ana from:bob"), "(from:ana OR from:bob)");
    EXPECT_EQ(explain("from:ana budget from:bob to:carl"), "((from:ana OR from:bob) AND budget AND to:carl)");
    EXPECT_EQ(explain("kind:call kind:message kind:system"), "(kind:call OR kind:message OR kind:system)");
    EXPECT_EQ(explain("sent:2024-05-01 sent:2024-05-03"),
              "(sent:2024-05-01T00:00:00Z..2024-05-01T23:59:59Z[UTC] OR "
              "sent:2024-05-03T00:00:00Z..2024-05-03T23:59:59Z[UTC])");
    // Comparisons, explicit operators, prefixes and groups are not merged.
    EXPECT_EQ(explain("sent>=2024-05-01 sent<2024-06-01"),
              "(sent>=2024-05-01T00:00:00Z[UTC] AND sent<2024-06-01T00:00:00Z[UTC])");
    EXPECT_EQ(explain("from:ana AND from:bob"), "(from:ana AND from:bob)");
    EXPECT_EQ(explain("+from:ana +from:bob"), "(from:ana AND from:bob)");
    EXPECT_EQ(explain("-from:ana -from:bob"), "((NOT from:ana) AND (NOT from:bob))");
    EXPECT_EQ(explain("(from:ana) (from:bob)"), "(from:ana AND from:bob)");
    EXPECT_EQ(explain("from:ana to:ana"), "(from:ana AND to:ana)");
}

// ---- sizes ------------------------------------------------------------------------------------

TEST(KqlParse, Sizes)
{
    EXPECT_EQ(explain("size>1MB"), "size>=1048577");
    EXPECT_EQ(explain("size>=1MB"), "size>=1048576");
    EXPECT_EQ(explain("size<1KB"), "size<1024");
    EXPECT_EQ(explain("size<=1KB"), "size<1025");
    EXPECT_EQ(explain("size:10KB..2MB"), "size:10240..2097152");
    EXPECT_EQ(explain("size=512"), "size:512");
    EXPECT_EQ(explain("size:512b"), "size:512");
    EXPECT_EQ(explain("size:1gb"), "size:1073741824");
    EXPECT_EQ(explain("size>=2TB"), "size>=2199023255552");
    EXPECT_EQ(explain("size:\"1MB\""), "size:1048576");

    const Node n = root("size:10KB..2MB");
    EXPECT_EQ(std::get<SizeFilter>(n.value), (SizeFilter{10240, 2097153}));
    EXPECT_EQ(std::get<SizeFilter>(root("size<1KB").value), (SizeFilter{std::nullopt, 1024}));

    EXPECT_EQ(
        explain("size:1.5MB"),
        "error: column 6: malformed size '1.5MB': use bytes or a number with KB, MB, GB or TB (KB = 1024 "
        "bytes), as in size>1MB");
    EXPECT_EQ(explain("size>MB").substr(0, 40), "error: column 6: malformed size 'MB': us");
    EXPECT_EQ(explain("size:5000000TB"), "error: column 6: size '5000000TB' is too large");
    EXPECT_EQ(explain("size:99999999999999999999"),
              "error: column 6: size '99999999999999999999' is too large");
    EXPECT_EQ(explain("size:2MB..1MB"), "error: column 11: this range ends before it starts");
    EXPECT_EQ(explain("size>1KB..2KB"),
              "error: column 9: a range a..b takes ':' or '=', as in size:10KB..2MB");
    EXPECT_EQ(explain("size:1KB)"), "error: column 9: ')' without a '(' before it");
}

// ---- absolute dates ---------------------------------------------------------------------------

TEST(KqlParse, ADateAloneIsTheWholeLocalDay)
{
    EXPECT_EQ(explain("sent:2024-05-01", "Europe/Madrid"),
              "sent:2024-04-30T22:00:00Z..2024-05-01T21:59:59Z[Europe/Madrid]");
    EXPECT_EQ(explain("received=2024-05-01", "America/New_York"),
              "received:2024-05-01T04:00:00Z..2024-05-02T03:59:59Z[America/New_York]");
    const Node n = root("sent:2024-05-01", "Europe/Madrid");
    const auto& d = std::get<DateFilter>(n.value);
    EXPECT_EQ(d.property, Property::Sent);
    EXPECT_EQ(d.from, 1714514400);  // 2024-04-30T22:00:00Z
    EXPECT_EQ(d.to, 1714600800);    // 2024-05-01T22:00:00Z, exclusive
    EXPECT_EQ(d.zone, "Europe/Madrid");
}

TEST(KqlParse, DateComparisonsAndRanges)
{
    const char* tz = "Europe/Madrid";
    EXPECT_EQ(explain("sent>=2024-05-01T09:00", tz), "sent>=2024-05-01T07:00:00Z[Europe/Madrid]");
    EXPECT_EQ(explain("sent>2024-05-01T09:00", tz), "sent>=2024-05-01T07:01:00Z[Europe/Madrid]");
    EXPECT_EQ(explain("sent>2024-05-01T09:00:30", tz), "sent>=2024-05-01T07:00:31Z[Europe/Madrid]");
    EXPECT_EQ(explain("sent<2024-05-01", tz), "sent<2024-04-30T22:00:00Z[Europe/Madrid]");
    EXPECT_EQ(explain("sent<=2024-05-01", tz), "sent<2024-05-01T22:00:00Z[Europe/Madrid]");
    EXPECT_EQ(explain("sent>2024-05-01", tz), "sent>=2024-05-01T22:00:00Z[Europe/Madrid]");
    EXPECT_EQ(explain("sent:2024-05-01..2024-05-31", tz),
              "sent:2024-04-30T22:00:00Z..2024-05-31T21:59:59Z[Europe/Madrid]");
    EXPECT_EQ(explain("sent:2024-05-01T09:00", tz),
              "sent:2024-05-01T07:00:00Z..2024-05-01T07:00:59Z[Europe/Madrid]");
    EXPECT_EQ(explain("sent=2024-05-01T09:00:00", tz), "sent:2024-05-01T07:00:00Z[Europe/Madrid]");
    EXPECT_EQ(explain("sent:\"2024-05-01 09:00\"", tz),
              "sent:2024-05-01T07:00:00Z..2024-05-01T07:00:59Z[Europe/Madrid]");
    EXPECT_EQ(explain("sent:2024-05-01T09:00..2024-05-01T17:30", tz),
              "sent:2024-05-01T07:00:00Z..2024-05-01T15:30:59Z[Europe/Madrid]");
    // A trailing Z is a UTC instant whatever the zone; [zone] reads that value in another zone.
    EXPECT_EQ(explain("sent>=2024-05-01T09:00Z", tz), "sent>=2024-05-01T09:00:00Z[Europe/Madrid]");
    EXPECT_EQ(explain("sent:2024-05-01[America/New_York]", tz),
              "sent:2024-05-01T04:00:00Z..2024-05-02T03:59:59Z[America/New_York]");
    EXPECT_EQ(explain("(sent:2024-05-01)", tz),
              "sent:2024-04-30T22:00:00Z..2024-05-01T21:59:59Z[Europe/Madrid]");
}

TEST(KqlParse, DatesInDstChangesFollowCoreTime)
{
    const char* tz = "Europe/Madrid";
    // 2024-03-31 02:00 -> 03:00: the day has 23 hours; 02:30 does not exist and is read with
    // the offset before the change.
    EXPECT_EQ(explain("sent:2024-03-31", tz),
              "sent:2024-03-30T23:00:00Z..2024-03-31T21:59:59Z[Europe/Madrid]");
    EXPECT_EQ(explain("sent>=2024-03-31T02:30", tz), "sent>=2024-03-31T01:30:00Z[Europe/Madrid]");
    // 2024-10-27 03:00 -> 02:00: 25 hours; 02:30 happens twice and means the earlier one.
    EXPECT_EQ(explain("sent:2024-10-27", tz),
              "sent:2024-10-26T22:00:00Z..2024-10-27T22:59:59Z[Europe/Madrid]");
    EXPECT_EQ(explain("sent:2024-10-27T02:30", tz),
              "sent:2024-10-27T00:30:00Z..2024-10-27T00:30:59Z[Europe/Madrid]");
}

TEST(KqlParse, MalformedDates)
{
    const std::string forms =
        "use YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS], or today, yesterday, this week, last week, "
        "this month, last month, this year, last year";
    EXPECT_EQ(explain("sent:2024-02-30"), "error: column 6: malformed date '2024-02-30': " + forms);
    EXPECT_EQ(explain("sent:2023-02-29"), "error: column 6: malformed date '2023-02-29': " + forms);
    EXPECT_EQ(explain("sent:01/05/2024"), "error: column 6: malformed date '01/05/2024': " + forms);
    EXPECT_EQ(explain("sent:2024-5-1"), "error: column 6: malformed date '2024-5-1': " + forms);
    EXPECT_EQ(explain("sent:2024-05-01T25:00"),
              "error: column 6: malformed date '2024-05-01T25:00': " + forms);
    EXPECT_EQ(explain("sent:2024-05-01T09"), "error: column 6: malformed date '2024-05-01T09': " + forms);
    EXPECT_EQ(explain("sent:2024-05-01Z"), "error: column 6: malformed date '2024-05-01Z': " + forms);
    EXPECT_EQ(explain("sent:tomorrow"), "error: column 6: malformed date 'tomorrow': " + forms);
    EXPECT_EQ(explain("sent:this weekend"), "error: column 6: malformed date 'this': " + forms);
    EXPECT_EQ(explain("received>\"next week\""), "error: column 11: malformed date 'next week': " + forms);
    EXPECT_EQ(explain("sent:0999-12-31"),
              "error: column 6: date '0999-12-31' is out of range (years 1000 to 9998)");
    EXPECT_EQ(explain("sent:2024-05-31..2024-05-01"), "error: column 18: this range ends before it starts");
    EXPECT_EQ(explain("sent>=2024-05-01..2024-05-31"),
              "error: column 17: a range a..b takes ':' or '=', as in sent:2024-05-01..2024-05-31");
    EXPECT_EQ(explain("sent:2024-05-01.."), "error: column 18: expected a date after '..'");
    EXPECT_EQ(explain("sent:2024-05-01[Mars/Olympus]"), "error: column 17: unknown time zone 'Mars/Olympus'");
    EXPECT_EQ(explain("sent:2024-05-01[UTC"),
              "error: column 16: this '[' is never closed (a time zone, as in [Europe/Madrid])");
    EXPECT_EQ(explain("sent:\"today\"x"), "error: column 13: unexpected 'x' after the date");
}

// ---- relative dates ---------------------------------------------------------------------------

struct Relative {
    const char* zone;
    std::int64_t now;
    const char* name;
    const char* expected;  // the explain text of sent:"<name>"
};

class KqlRelativeDates : public ::testing::TestWithParam<Relative> {};

TEST_P(KqlRelativeDates, ResolveToHalfOpenLocalIntervals)
{
    const Relative& r = GetParam();
    EXPECT_EQ(explain(std::string("sent:\"") + r.name + "\"", r.zone, r.now), r.expected)
        << r.name << " " << r.now;
}

// Expected instants are worked out by hand from the zones' offsets (CET +1 / CEST +2,
// EST -5 / EDT -4, Chile -4 / -3 with its change at midnight), not by the code under test.
INSTANTIATE_TEST_SUITE_P(
    KqlParse, KqlRelativeDates,
    ::testing::Values(
        // Madrid, Sunday 2024-03-31 14:00 CEST: the spring-forward day has 23 hours.
        Relative{"Europe/Madrid", 1711886400, "today",
                 "sent:2024-03-30T23:00:00Z..2024-03-31T21:59:59Z[Europe/Madrid]"},
        Relative{"Europe/Madrid", 1711886400, "yesterday",
                 "sent:2024-03-29T23:00:00Z..2024-03-30T22:59:59Z[Europe/Madrid]"},
        Relative{"Europe/Madrid", 1711886400, "this week",  // Monday 25 March .. Monday 1 April
                 "sent:2024-03-24T23:00:00Z..2024-03-31T21:59:59Z[Europe/Madrid]"},
        Relative{"Europe/Madrid", 1711886400, "last week",
                 "sent:2024-03-17T23:00:00Z..2024-03-24T22:59:59Z[Europe/Madrid]"},
        Relative{"Europe/Madrid", 1711886400, "this month",
                 "sent:2024-02-29T23:00:00Z..2024-03-31T21:59:59Z[Europe/Madrid]"},
        Relative{"Europe/Madrid", 1711886400, "last month",  // February of a leap year
                 "sent:2024-01-31T23:00:00Z..2024-02-29T22:59:59Z[Europe/Madrid]"},
        // Madrid, 2024-10-27T01:30Z = 02:30 CET just after the fall-back: a 25-hour day.
        Relative{"Europe/Madrid", 1729992600, "today",
                 "sent:2024-10-26T22:00:00Z..2024-10-27T22:59:59Z[Europe/Madrid]"},
        // Madrid, 2024-12-31T23:30Z is already 2025-01-01 00:30 local: new day, month and year.
        Relative{"Europe/Madrid", 1735687800, "today",
                 "sent:2024-12-31T23:00:00Z..2025-01-01T22:59:59Z[Europe/Madrid]"},
        Relative{"Europe/Madrid", 1735687800, "yesterday",
                 "sent:2024-12-30T23:00:00Z..2024-12-31T22:59:59Z[Europe/Madrid]"},
        Relative{"Europe/Madrid", 1735687800, "this week",  // Wednesday: Monday is 30 December
                 "sent:2024-12-29T23:00:00Z..2025-01-05T22:59:59Z[Europe/Madrid]"},
        Relative{"Europe/Madrid", 1735687800, "this month",
                 "sent:2024-12-31T23:00:00Z..2025-01-31T22:59:59Z[Europe/Madrid]"},
        Relative{"Europe/Madrid", 1735687800, "last month",
                 "sent:2024-11-30T23:00:00Z..2024-12-31T22:59:59Z[Europe/Madrid]"},
        Relative{"Europe/Madrid", 1735687800, "this year",
                 "sent:2024-12-31T23:00:00Z..2025-12-31T22:59:59Z[Europe/Madrid]"},
        Relative{"Europe/Madrid", 1735687800, "last year",
                 "sent:2023-12-31T23:00:00Z..2024-12-31T22:59:59Z[Europe/Madrid]"},
        // Madrid, Feb 1 00:30 local (2024-01-31T23:30Z): month end.
        Relative{"Europe/Madrid", 1706743800, "this month",
                 "sent:2024-01-31T23:00:00Z..2024-02-29T22:59:59Z[Europe/Madrid]"},
        Relative{"Europe/Madrid", 1706743800, "last month",
                 "sent:2023-12-31T23:00:00Z..2024-01-31T22:59:59Z[Europe/Madrid]"},
        // Weeks start on Monday: Sunday 23:30 and Monday 00:30 local fall in different weeks.
        Relative{"Europe/Madrid", 1714944600, "this week",  // Sunday 2024-05-05 23:30 CEST
                 "sent:2024-04-28T22:00:00Z..2024-05-05T21:59:59Z[Europe/Madrid]"},
        Relative{"Europe/Madrid", 1714948200, "this week",  // Monday 2024-05-06 00:30 CEST
                 "sent:2024-05-05T22:00:00Z..2024-05-12T21:59:59Z[Europe/Madrid]"},
        Relative{"Europe/Madrid", 1714948200, "last week",
                 "sent:2024-04-28T22:00:00Z..2024-05-05T21:59:59Z[Europe/Madrid]"},
        // New York, the same instant 2024-12-31T23:30Z is still 18:30 on 31 December.
        Relative{"America/New_York", 1735687800, "today",
                 "sent:2024-12-31T05:00:00Z..2025-01-01T04:59:59Z[America/New_York]"},
        Relative{"America/New_York", 1735687800, "this month",
                 "sent:2024-12-01T05:00:00Z..2025-01-01T04:59:59Z[America/New_York]"},
        Relative{"America/New_York", 1735687800, "last month",  // November starts in EDT
                 "sent:2024-11-01T04:00:00Z..2024-12-01T04:59:59Z[America/New_York]"},
        Relative{"America/New_York", 1735687800, "this year",
                 "sent:2024-01-01T05:00:00Z..2025-01-01T04:59:59Z[America/New_York]"},
        Relative{"America/New_York", 1735687800, "last year",
                 "sent:2023-01-01T05:00:00Z..2024-01-01T04:59:59Z[America/New_York]"},
        // New York, Sunday 2024-03-10 08:00 EDT: spring forward, 23 hours.
        Relative{"America/New_York", 1710072000, "today",
                 "sent:2024-03-10T05:00:00Z..2024-03-11T03:59:59Z[America/New_York]"},
        Relative{"America/New_York", 1710072000, "this week",
                 "sent:2024-03-04T05:00:00Z..2024-03-11T03:59:59Z[America/New_York]"},
        // New York, 2024-11-03T05:30Z = 01:30 EDT, the first of the two 01:30s: 25 hours.
        Relative{"America/New_York", 1730611800, "today",
                 "sent:2024-11-03T04:00:00Z..2024-11-04T04:59:59Z[America/New_York]"},
        Relative{"America/New_York", 1730611800, "yesterday",
                 "sent:2024-11-02T04:00:00Z..2024-11-03T03:59:59Z[America/New_York]"},
        // Santiago skips midnight on 2024-09-08 (00:00 -04 -> 01:00 -03): the day starts at 01:00.
        Relative{"America/Santiago", 1725807600, "today",
                 "sent:2024-09-08T04:00:00Z..2024-09-09T02:59:59Z[America/Santiago]"},
        Relative{"America/Santiago", 1725807600, "yesterday",
                 "sent:2024-09-07T04:00:00Z..2024-09-08T03:59:59Z[America/Santiago]"},
        // UTC itself.
        Relative{"UTC", kNow, "today", "sent:2024-05-08T00:00:00Z..2024-05-08T23:59:59Z[UTC]"}));

TEST(KqlParse, RelativeDatesQuotedOrNotAndInComparisons)
{
    const char* tz = "Europe/Madrid";
    const std::string week = "sent:2024-05-05T22:00:00Z..2024-05-12T21:59:59Z[Europe/Madrid]";
    EXPECT_EQ(explain("sent:\"this week\"", tz), week);
    EXPECT_EQ(explain("sent:this week", tz), week);
    EXPECT_EQ(explain("sent:This  Week", tz), week);
    EXPECT_EQ(explain("sent:\"THIS WEEK\"", tz), week);
    EXPECT_EQ(explain("sent:this week budget", tz), "(" + week + " AND budget)");
    EXPECT_EQ(explain("sent:today", tz), "sent:2024-05-07T22:00:00Z..2024-05-08T21:59:59Z[Europe/Madrid]");
    EXPECT_EQ(explain("sent>=last month", tz), "sent>=2024-03-31T22:00:00Z[Europe/Madrid]");
    EXPECT_EQ(explain("sent<this month", tz), "sent<2024-04-30T22:00:00Z[Europe/Madrid]");
    EXPECT_EQ(explain("sent>yesterday", tz), "sent>=2024-05-07T22:00:00Z[Europe/Madrid]");
    EXPECT_EQ(explain("sent:yesterday..today", tz),
              "sent:2024-05-06T22:00:00Z..2024-05-08T21:59:59Z[Europe/Madrid]");
    EXPECT_EQ(explain("sent:last month..\"this month\"", tz),
              "sent:2024-03-31T22:00:00Z..2024-05-31T21:59:59Z[Europe/Madrid]");
}

// ---- errors -----------------------------------------------------------------------------------

TEST(KqlParse, ErrorsPointAtTheColumnWithACaret)
{
    const auto r = parse("budget AND (forecast OR", zone("UTC"), kNow);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::Parse);
    EXPECT_EQ(r.error().message(), "column 24: expected a term after OR\n"
                                   "  budget AND (forecast OR\n"
                                   "                         ^");
    const auto tab = parse("a\tAND", zone("UTC"), kNow);
    ASSERT_FALSE(tab);
    EXPECT_EQ(tab.error().message(), "column 6: expected a term after AND\n  a AND\n       ^");
}

TEST(KqlParse, ErrorColumns)
{
    EXPECT_EQ(explain(""), "error: column 1: the query is empty");
    EXPECT_EQ(explain("   "), "error: column 4: the query is empty");
    EXPECT_EQ(explain("budget AND AND"), "error: column 12: expected a term after AND");
    EXPECT_EQ(explain("budget AND"), "error: column 11: expected a term after AND");
    EXPECT_EQ(explain("budget OR )"), "error: column 11: expected a term after OR");
    EXPECT_EQ(explain("NOT"), "error: column 4: expected a term after NOT");
    EXPECT_EQ(explain("AND budget"), "error: column 1: expected a term before AND");
    EXPECT_EQ(explain("a (OR b)"), "error: column 4: expected a term before OR");
    EXPECT_EQ(explain("()"), "error: column 2: expected a term inside ( )");
    EXPECT_EQ(explain("a )"), "error: column 3: ')' without a '(' before it");
    EXPECT_EQ(explain("a (b (c)"), "error: column 9: missing ')' for the '(' at column 3");
    EXPECT_EQ(explain("a \"b c"), "error: column 3: this '\"' is never closed");
    EXPECT_EQ(explain("\"  \""), "error: column 1: empty phrase");
    EXPECT_EQ(explain("from:\"ana"), "error: column 6: this '\"' is never closed");
    // Columns count characters, not bytes.
    EXPECT_EQ(explain("café über AND"), "error: column 14: expected a term after AND");
    EXPECT_EQ(explain("ü \xff"), "error: column 3: not valid UTF-8");
}

TEST(KqlParse, Limits)
{
    std::string deep(kMaxDepth, '(');
    deep += "a";
    deep += std::string(kMaxDepth, ')');
    EXPECT_EQ(explain(deep), "a");
    const auto too_deep = parse("(" + deep + ")", zone("UTC"), kNow);
    ASSERT_FALSE(too_deep);
    EXPECT_EQ(too_deep.error().code(), ErrorCode::LimitExceeded);
    EXPECT_EQ(too_deep.error().message().substr(0, 51),
              "column 101: the query nests deeper than 100 levels\n");

    std::string nots;
    for (int i = 0; i < kMaxDepth + 1; ++i)
        nots += "NOT ";
    EXPECT_EQ(parse(nots + "a", zone("UTC"), kNow).error().code(), ErrorCode::LimitExceeded);

    std::string longest(kMaxQueryBytes, 'a');
    EXPECT_TRUE(parse(longest, zone("UTC"), kNow));
    const auto too_long = parse(longest + "a", zone("UTC"), kNow);
    ASSERT_FALSE(too_long);
    EXPECT_EQ(too_long.error().code(), ErrorCode::LimitExceeded);
    EXPECT_EQ(too_long.error().message().substr(0, 50), "column 20481: the query is longer than 20480 bytes");
}

// ---- the AST as a value -----------------------------------------------------------------------

TEST(KqlParse, NodesAreValuesThatCompareByStructure)
{
    const Node a = root("a AND NOT (b OR from:c)");
    Node copy = a;
    EXPECT_EQ(copy, a);
    const auto& top = std::get<And>(copy.value);
    ASSERT_EQ(top.children.size(), 2u);
    const auto& negated = std::get<Not>(top.children[1].value);
    const auto& inner = std::get<Or>(negated.operand().value);
    EXPECT_EQ(inner.children[1],
              (Node{TextFilter{Property::From, TextFilter::Match::Contains, {Text::Form::Word, "c"}}}));
    EXPECT_NE(root("a AND NOT (b OR from:d)"), a);
    Node assigned = root("x");
    assigned = a;
    EXPECT_EQ(assigned, a);
    EXPECT_EQ(to_string(Property::AttachmentNames), "attachmentnames");
}

TEST(KqlParse, ExplainReadsBackAsTheSameQuery)
{
    // explain() checks the round trip for every query in this file; these add mixtures.
    for (const char* q : {
             "budget NEAR(5) forecast OR -from:ana (kind:call AND sent:\"this month\") size>1MB",
             "participants:\"Ana Lopez\" recipients:ana* cc:bob mailbox=legal@example.com -deleted:true "
             "edited:false",
             "(a OR b) (c OR d) NOT (e f) +g \"h i\" ONEAR(2) j",
             "sent:2024-05-01T09:00..today received<=2024-01-01T00:00:00Z hasattachment:true "
             "attachmentnames:rep*",
             "conversation:\"FX Desk\" body:settlement subject=\"Q3\" to:+4915112345678",
         }) {
        const auto r = parse(q, zone("Europe/Madrid"), kNow);
        ASSERT_TRUE(r) << q << ": " << r.error().message();
        EXPECT_NE(explain(q, "Europe/Madrid").substr(0, 6), "error:") << q;
    }
}

}  // namespace
}  // namespace cv::compliance::query

#pragma once
/// The content-search query language: the subset of Microsoft Purview's Keyword Query Language
/// (KQL) that matters for WhatsApp items, parsed into a value-type AST that later stages turn
/// into an FTS5 MATCH expression and SQL filters. Pure: no clock, no database, no I/O (the
/// system tz database is read through cv::TimeZone). The grammar and the choices made where
/// Purview is vague are in src/compliance/query/README.md.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace cv::compliance::query {

/// Searchable properties, by their canonical (lower-case) KQL names.
enum class Property {
    From,
    To,
    Cc,
    Participants,
    Recipients,
    Subject,
    Body,
    Sent,
    Received,
    Kind,
    HasAttachment,
    AttachmentNames,
    Size,
    Conversation,
    Deleted,
    Edited,
    Mailbox,
};

/// "from", "hasattachment", … as written in canonical queries.
std::string_view to_string(Property p);

/// A piece of text to find, as the user wrote it (no case folding or tokenising: that is the
/// full-text stage's business, so that it and the index tokenise alike).
struct Text {
    enum class Form {
        Word,    ///< one bare word: `budget`
        Phrase,  ///< a quoted phrase, quotes removed: `"budget review"` -> budget review
        Prefix,  ///< a prefix wildcard, star removed: `budg*` -> budg (at least 3 characters)
    };
    Form form = Form::Word;
    std::string text;

    friend bool operator==(const Text&, const Text&) = default;
};

/// Free text: matches anywhere the full-text index covers (subject, body, attachment names,
/// people).
struct Term {
    Text text;
    friend bool operator==(const Term&, const Term&) = default;
};

/// `left NEAR(n) right`: both within `distance` words of each other, in either order;
/// ONEAR (ordered) also requires `left` before `right`.
struct Near {
    Text left;
    Text right;
    int distance = 8;  ///< Purview's default for both NEAR and ONEAR
    bool ordered = false;
    friend bool operator==(const Near&, const Near&) = default;
};

/// A text property: from, to, cc, participants, recipients, subject, body, attachmentnames,
/// conversation, mailbox.
struct TextFilter {
    enum class Match {
        Contains,  ///< `prop:value`: the words or phrase occur in the property
        Equals,    ///< `prop=value`: the whole property value equals it (case-insensitively)
    };
    Property property = Property::Subject;
    Match match = Match::Contains;
    Text value;
    friend bool operator==(const TextFilter&, const TextFilter&) = default;
};

/// sent / received within the half-open UTC interval [from, to) (unix seconds); a missing end
/// is unbounded (never both). `zone` is the IANA zone the written dates were read in.
struct DateFilter {
    Property property = Property::Sent;
    std::optional<std::int64_t> from;
    std::optional<std::int64_t> to;
    std::string zone;
    friend bool operator==(const DateFilter&, const DateFilter&) = default;
};

/// size (bytes, of the item with its attachments) within [from, to); a missing end is
/// unbounded (never both).
struct SizeFilter {
    std::optional<std::uint64_t> from;
    std::optional<std::uint64_t> to;
    friend bool operator==(const SizeFilter&, const SizeFilter&) = default;
};

/// kind:whatsapp (every item this archive holds), kind:message, kind:call, kind:system.
struct KindFilter {
    enum class Kind { WhatsApp, Message, Call, System };
    Kind kind = Kind::WhatsApp;
    friend bool operator==(const KindFilter&, const KindFilter&) = default;
};

/// hasattachment, deleted, edited: true or false.
struct FlagFilter {
    Property property = Property::HasAttachment;
    bool value = true;
    friend bool operator==(const FlagFilter&, const FlagFilter&) = default;
};

struct Node;

/// Every child must match. Always at least two children.
struct And {
    std::vector<Node> children;
    friend bool operator==(const And&, const And&) = default;
};

/// At least one child must match. Always at least two children.
struct Or {
    std::vector<Node> children;
    friend bool operator==(const Or&, const Or&) = default;
};

/// The operand must not match (`NOT x` and `-x`).
struct Not {
    explicit Not(Node operand);
    Not(const Not& other);
    Not(Not&&) noexcept = default;
    Not& operator=(const Not& other);
    Not& operator=(Not&&) noexcept = default;
    ~Not();

    const Node& operand() const { return *operand_; }
    friend bool operator==(const Not& a, const Not& b);

private:
    std::unique_ptr<Node> operand_;  // never null except in a moved-from Not
};

/// One node of a parsed query. A plain value: copies are deep, == compares structure.
struct Node {
    std::variant<Term, Near, TextFilter, DateFilter, SizeFilter, KindFilter, FlagFilter, And, Or, Not> value;
    friend bool operator==(const Node&, const Node&) = default;
};

/// A parsed query: the tree, and the zone its dates were resolved in.
struct Query {
    Node root;
    std::string zone;
    friend bool operator==(const Query&, const Query&) = default;
};

/// Parses `text` as a query. Dates are read as wall-clock times in `zone` (a date alone is that
/// whole local day); relative dates (today, this week, …) are resolved against `now` (unix
/// seconds). Deterministic: the same arguments always give the same Query.
/// Errors: Parse for a malformed query, LimitExceeded for one longer than kMaxQueryBytes or
/// nested deeper than kMaxDepth. The message starts "column N: " (1-based, in characters;
/// N is one past the end when something is missing at the end) and is followed by the query
/// and a caret line under that column.
Result<Query> parse(std::string_view text, const TimeZone& zone, std::int64_t now);

/// Limits on what parse accepts. 20,480 is the longest keyword query Purview eDiscovery takes.
inline constexpr std::size_t kMaxQueryBytes = 20480;
inline constexpr int kMaxDepth = 100;

/// How the query was understood, itself a query (parse(to_string(q)) == q for the same zone):
/// every operator explicit and parenthesised, properties by canonical name, dates as UTC
/// instants `2024-04-30T22:00:00Z` with the zone they were read in as `[Europe/Madrid]`,
/// inclusive ranges `a..b` at one-second (one-byte) precision. This is `--explain`.
std::string to_string(const Query& q);
std::string to_string(const Node& n);

}  // namespace cv::compliance::query

#pragma once
/// Content search: a parsed query (compliance/query) run against an archive. The query becomes
/// one tree of index conditions — FTS5 MATCH expressions for text, SQL predicates for
/// properties — that the archive runs as one SQL statement; no item is decrypted to decide
/// whether it matches, except the few candidates of the constructs the index cannot decide by
/// itself (ONEAR's order, `body=`/`attachmentnames=`/`conversation=`/people `=` whole-value
/// comparisons). What is searchable: src/compliance/search/README.md.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "archive/archive.hpp"
#include "compliance/query/query.hpp"
#include "core/result.hpp"

namespace cv::compliance::search {

struct SearchOptions {
    std::optional<std::string> mailbox;  ///< only items placed in this mailbox (quarantine excluded)
    std::uint64_t limit = 50;
    std::uint64_t offset = 0;
    bool snippets = true;  ///< read each hit's preview (or, for a long text, the item) for its snippet,
                           ///< author and conversation title
};

struct Hit {
    std::int64_t item = 0;
    std::string message_id;
    std::vector<std::string> mailboxes;  ///< empty: the item waits in quarantine
    std::int64_t conversation_id = 0;
    std::string conversation;  ///< the chat's title (with snippets)
    std::string author;        ///< the sender as written (with snippets)
    std::int64_t utc = 0;
    std::int64_t imported_at = 0;
    ItemKind kind = ItemKind::Message;
    bool deleted = false;
    std::uint64_t size = 0;
    std::string snippet;  ///< about 100 characters around the first matching word (with snippets)
};

struct SearchResult {
    std::uint64_t total = 0;  ///< every match, not only the page in `hits`
    std::vector<Hit> hits;
    std::string zone;           ///< the time zone the query's dates were read in
    std::uint64_t checked = 0;  ///< candidates decrypted for checks the index cannot make
};

/// How a query is run: the index condition tree, and what the search adds to it.
struct Plan {
    archive::IndexCondition where;
    std::vector<std::string> notes;  ///< "ONEAR(3): 12 candidates from the index, 4 kept …", …
    std::uint64_t checked = 0;       ///< candidates decrypted while planning
};

/// Resolves what the index cannot decide alone (exact comparisons, ONEAR's order) into id lists,
/// by reading candidates from the archive. Without an archive (unit tests, explaining before
/// opening one) these stay their index superset and a note says so.
Result<Plan> plan(const query::Query& q, const SearchOptions& options, archive::Archive* archive);

/// Runs the query. Errors: InvalidArgument (a property this archive cannot search), the
/// archive's.
Result<SearchResult> search(archive::Archive& archive, const query::Query& q, const SearchOptions& options);

// The translation's building blocks, exposed for the unit tests.

/// An FTS5 string for one piece of text: `"budget"`, `"budget review"`, `"budg" *`; nullopt when
/// the text holds no word characters at all (it can match nothing).
std::optional<std::string> fts_text(const query::Text& t);

/// The value as a phone number's digits when it is written like one ("+44 7700 900461",
/// "0049-151-1234", "(0151) 1234567"): at least six digits and nothing but digits, spaces,
/// + - ( ) . / — leading zeros (trunk and international prefixes) removed.
std::optional<std::string> phone_digits(std::string_view value);

/// The words of a text as the order check of ONEAR sees them: runs of letters and digits (any
/// non-ASCII character counts as a letter), ASCII case folded.
std::vector<std::string> words(std::string_view text);

/// True when `left` occurs before `right` in `tokens` with at most `distance` words between.
bool ordered_near(const std::vector<std::string>& tokens, const query::Text& left, const query::Text& right,
                  int distance);

}  // namespace cv::compliance::search

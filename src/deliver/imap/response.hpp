#pragma once
/// Reading what an IMAP server says (RFC 3501 §7, RFC 4315 UIDPLUS, RFC 5530 response codes).
/// A "unit" is one response as read off the wire: its line, with any literal it announces
/// ("{12}" CRLF and 12 bytes) kept inline, without the final CRLF. Everything here is outside
/// input: it is fuzzed (tests/fuzz/fuzz_imap_response.cpp).

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace cv::deliver::imap {

struct Response {
    enum class Kind { Untagged, Tagged, Continuation };
    Kind kind = Kind::Untagged;
    std::string tag;   ///< tagged responses
    std::string name;  ///< upper-case: OK NO BAD BYE PREAUTH, LIST, SEARCH, CAPABILITY, EXISTS…
    std::optional<std::uint32_t> number;  ///< "* 23 EXISTS": 23
    std::string code;       ///< status responses: the response code's name, upper-case ("OVERQUOTA")
    std::string code_args;  ///< and its arguments ("38505 3955" for APPENDUID)
    std::string text;       ///< status responses: the human-readable text; continuations: all
    std::string rest;       ///< data responses: everything after the name
};

/// Errors: Parse (not an IMAP response), naming what was wrong.
Result<Response> parse_response(std::string_view unit);

struct ListEntry {
    std::vector<std::string> flags;  ///< "\\Noselect", "\\HasChildren", … as sent
    std::optional<char> separator;   ///< NIL: a flat namespace
    std::string name;                ///< as sent (modified UTF-7), quotes and literal framing removed
};

/// The `rest` of a LIST response. Errors: Parse.
Result<ListEntry> parse_list(std::string_view rest);

/// The `rest` of a SEARCH response: the message numbers or UIDs. Errors: Parse.
Result<std::vector<std::uint32_t>> parse_search(std::string_view rest);

/// The capability names of a CAPABILITY response's `rest` (or an OK's [CAPABILITY …] args),
/// upper-case.
std::set<std::string> parse_capabilities(std::string_view rest);

/// "38505 3955" (APPENDUID's args): the UID, when the arguments are two numbers.
std::optional<std::uint32_t> appended_uid(std::string_view code_args);

/// An IMAP quoted string for a command: "a \"b\"". Errors: InvalidArgument for CR, LF or NUL
/// (they cannot be quoted; such values must go as literals).
Result<std::string> quote_string(std::string_view s);

}  // namespace cv::deliver::imap

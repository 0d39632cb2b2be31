#include "deliver/imap/response.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "core/utf8.hpp"

namespace cv::deliver::imap {

namespace {

Error bad(std::string_view what, std::string_view unit)
{
    constexpr std::size_t kShown = 120;
    std::string shown(unit.substr(0, kShown));
    for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20)
            c = ' ';
    return Error(ErrorCode::Parse,
                 fmt::format("server sent an IMAP response this client cannot read ({}): \"{}{}\"", what,
                             shown, unit.size() > kShown ? "…" : ""));
}

std::optional<std::uint32_t> number_of(std::string_view s)
{
    std::uint32_t v = 0;
    if (s.empty() || s.size() > 10)
        return std::nullopt;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size())
        return std::nullopt;
    return v;
}

// Splits off the next space-separated word.
std::string_view next_word(std::string_view& s)
{
    const auto sp = s.find(' ');
    const std::string_view w = s.substr(0, sp);
    s = sp == std::string_view::npos ? std::string_view() : s.substr(sp + 1);
    return w;
}

// "[CODE args] text" → code, args, text.
void status_text(std::string_view s, Response& r)
{
    if (!s.empty() && s.front() == '[') {
        const auto close = s.find(']');
        if (close != std::string_view::npos) {
            std::string_view inside = s.substr(1, close - 1);
            r.code = utf8::ascii_upper(next_word(inside));
            r.code_args = inside;
            s = s.substr(close + 1);
            if (!s.empty() && s.front() == ' ')
                s.remove_prefix(1);
        }
    }
    r.text = s;
}

bool is_status(std::string_view name)
{
    return name == "OK" || name == "NO" || name == "BAD" || name == "BYE" || name == "PREAUTH";
}

// One astring / nstring at the front of `s`: atom, "quoted", {n}CRLF literal or NIL.
Result<std::optional<std::string>> take_string(std::string_view& s, std::string_view unit)
{
    if (s.empty())
        return fail(bad("a string is missing", unit));
    if (s.front() == '"') {
        std::string out;
        std::size_t i = 1;
        for (; i < s.size() && s[i] != '"'; ++i) {
            if (s[i] == '\\') {
                if (++i == s.size())
                    break;
            }
            out += s[i];
        }
        if (i >= s.size())
            return fail(bad("an unterminated quoted string", unit));
        s.remove_prefix(i + 1);
        return std::optional<std::string>(std::move(out));
    }
    if (s.front() == '{') {
        const auto close = s.find('}');
        if (close == std::string_view::npos)
            return fail(bad("a literal without '}'", unit));
        std::string_view digits = s.substr(1, close - 1);
        if (!digits.empty() && digits.back() == '+')
            digits.remove_suffix(1);
        const auto n = number_of(digits);
        if (!n || s.substr(close + 1, 2) != "\r\n" || s.size() - close - 3 < *n)
            return fail(bad("a literal whose length does not match", unit));
        std::string out(s.substr(close + 3, *n));
        s.remove_prefix(close + 3 + *n);
        return std::optional<std::string>(std::move(out));
    }
    const auto end = std::min(s.find(' '), s.size());
    const std::string_view atom = s.substr(0, end);
    s.remove_prefix(end);
    if (utf8::ascii_upper(atom) == "NIL")
        return std::optional<std::string>();
    return std::optional<std::string>(std::string(atom));
}

}  // namespace

Result<Response> parse_response(std::string_view unit)
{
    Response r;
    if (unit.starts_with("+")) {
        r.kind = Response::Kind::Continuation;
        unit.remove_prefix(1);
        if (!unit.empty() && unit.front() == ' ')
            unit.remove_prefix(1);
        r.text = unit;
        return r;
    }
    std::string_view s = unit;
    const std::string_view tag = next_word(s);
    if (tag.empty())
        return fail(bad("no tag", unit));
    if (tag == "*") {
        r.kind = Response::Kind::Untagged;
    } else {
        r.kind = Response::Kind::Tagged;
        r.tag = tag;
    }
    std::string_view word = next_word(s);
    if (r.kind == Response::Kind::Untagged) {
        if (const auto n = number_of(word)) {  // "* 23 EXISTS"
            r.number = n;
            word = next_word(s);
        }
    }
    if (word.empty())
        return fail(bad("no response name", unit));
    r.name = utf8::ascii_upper(word);
    if (r.kind == Response::Kind::Tagged && r.name != "OK" && r.name != "NO" && r.name != "BAD")
        return fail(bad("a tagged response that is not OK, NO or BAD", unit));
    if (is_status(r.name))
        status_text(s, r);
    else
        r.rest = s;
    return r;
}

Result<ListEntry> parse_list(std::string_view rest)
{
    const std::string_view unit = rest;
    ListEntry e;
    if (rest.empty() || rest.front() != '(')
        return fail(bad("LIST without flags", unit));
    const auto close = rest.find(')');
    if (close == std::string_view::npos)
        return fail(bad("LIST flags not closed", unit));
    std::string_view flags = rest.substr(1, close - 1);
    while (!flags.empty()) {
        const auto f = next_word(flags);
        if (!f.empty())
            e.flags.emplace_back(f);
    }
    rest.remove_prefix(close + 1);
    if (rest.empty() || rest.front() != ' ')
        return fail(bad("LIST without a separator", unit));
    rest.remove_prefix(1);
    CV_TRY(auto sep, take_string(rest, unit));
    if (sep) {
        if (sep->size() != 1)
            return fail(bad("a hierarchy separator that is not one character", unit));
        e.separator = (*sep)[0];
    }
    if (rest.empty() || rest.front() != ' ')
        return fail(bad("LIST without a name", unit));
    rest.remove_prefix(1);
    CV_TRY(auto name, take_string(rest, unit));
    if (!name)
        return fail(bad("LIST with a NIL name", unit));
    e.name = std::move(*name);
    return e;  // anything after the name (LIST-EXTENDED data) is not needed here
}

Result<std::vector<std::uint32_t>> parse_search(std::string_view rest)
{
    const std::string_view unit = rest;
    std::vector<std::uint32_t> out;
    while (!rest.empty()) {
        const auto w = next_word(rest);
        if (w.empty())
            continue;
        if (w.front() == '(')  // "(MODSEQ 917162500)" (CONDSTORE): not a number list
            break;
        const auto n = number_of(w);
        if (!n)
            return fail(bad("a SEARCH result that is not a number", unit));
        out.push_back(*n);
    }
    return out;
}

std::set<std::string> parse_capabilities(std::string_view rest)
{
    std::set<std::string> out;
    while (!rest.empty()) {
        const auto w = next_word(rest);
        if (!w.empty())
            out.insert(utf8::ascii_upper(w));
    }
    return out;
}

std::optional<std::uint32_t> appended_uid(std::string_view code_args)
{
    const auto validity = next_word(code_args);
    if (!number_of(validity))
        return std::nullopt;
    return number_of(code_args);
}

Result<std::string> quote_string(std::string_view s)
{
    std::string out = "\"";
    for (const char c : s) {
        if (c == '\r' || c == '\n' || c == '\0')
            return fail(ErrorCode::InvalidArgument,
                        "a value with a line break cannot be sent as an IMAP string");
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

}  // namespace cv::deliver::imap

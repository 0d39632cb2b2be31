// A hand-written recursive-descent parser: no Debian package parses KQL, and the language is
// small enough that one function per grammar rule (README.md) is the clearest form. Lexing is
// done on demand because a property value's syntax depends on the property (sent:2024-05-01T09:00
// holds ':' and '..', subject:re:x holds ':').

#include "compliance/query/query.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>

#include <fmt/format.h>

#include "compliance/query/detail/dates.hpp"
#include "core/utf8.hpp"

namespace cv::compliance::query {

namespace {

struct PropertyInfo {
    std::string_view name;
    Property property;
};

constexpr std::array<PropertyInfo, 17> kProperties{{
    {"from", Property::From},
    {"to", Property::To},
    {"cc", Property::Cc},
    {"participants", Property::Participants},
    {"recipients", Property::Recipients},
    {"subject", Property::Subject},
    {"body", Property::Body},
    {"sent", Property::Sent},
    {"received", Property::Received},
    {"kind", Property::Kind},
    {"hasattachment", Property::HasAttachment},
    {"attachmentnames", Property::AttachmentNames},
    {"size", Property::Size},
    {"conversation", Property::Conversation},
    {"deleted", Property::Deleted},
    {"edited", Property::Edited},
    {"mailbox", Property::Mailbox},
}};

constexpr std::string_view kKnownProperties =
    "from, to, cc, participants, recipients, subject, body, sent, received, kind, hasattachment, "
    "attachmentnames, size, conversation, deleted, edited, mailbox";

constexpr std::string_view kDateForms =
    "use YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS], or today, yesterday, this week, last week, this month, "
    "last month, this year, last year";

enum class Op { Colon, Equals, Less, LessEqual, Greater, GreaterEqual };

bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Characters that end a free word: they start another token.
bool ends_word(char c)
{
    return is_space(c) || c == '(' || c == ')' || c == '"' || c == ':' || c == '=' || c == '<' || c == '>';
}

// Characters that end a property value that is not quoted.
bool ends_value(char c)
{
    return is_space(c) || c == '(' || c == ')' || c == '"';
}

bool iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::size_t code_points(std::string_view s)
{
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// One operand of an implicit sequence, with what the same-property OR rule needs to know.
struct Item {
    Node node;
    std::optional<Property> groupable;  // set for a bare `prop:value` / `prop=value`
};

class Parser {
public:
    Parser(std::string_view src, const TimeZone& zone, std::int64_t now) : src_(src), zone_(zone), now_(now)
    {
    }

    Result<Node> run()
    {
        skip_space();
        if (at_end())
            return fail(error(pos_, "the query is empty"));
        CV_TRY(Node root, sequence(std::string::npos));
        return root;
    }

    // "column N: message", the query, and a caret under column N.
    Error error(std::size_t at, std::string_view message, ErrorCode code = ErrorCode::Parse) const
    {
        const std::size_t column = code_points(src_.substr(0, std::min(at, src_.size()))) + 1;
        std::string shown = utf8::sanitize(src_);
        std::replace_if(
            shown.begin(), shown.end(),
            [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }, ' ');
        return Error(code, fmt::format("column {}: {}\n  {}\n  {}^", column, message, shown,
                                       std::string(column - 1, ' ')));
    }

private:
    bool at_end() const { return pos_ >= src_.size(); }
    char peek(std::size_t ahead = 0) const { return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0'; }

    void skip_space()
    {
        while (!at_end() && is_space(src_[pos_]))
            ++pos_;
    }

    // The free word starting at pos_ (possibly empty), without consuming it.
    std::string_view word_at(std::size_t at) const
    {
        std::size_t end = at;
        while (end < src_.size() && !ends_word(src_[end]))
            ++end;
        return src_.substr(at, end - at);
    }

    // AND, OR, NOT, NEAR or ONEAR at pos_ (upper-case only), or empty.
    std::string_view keyword() const
    {
        const std::string_view w = word_at(pos_);
        const std::size_t end = pos_ + w.size();
        if (end < src_.size() &&
            (src_[end] == ':' || src_[end] == '=' || src_[end] == '<' || src_[end] == '>'))
            return {};  // AND:x is a (bad) property name, not an operator
        if (w == "AND" || w == "OR" || w == "NOT" || w == "NEAR" || w == "ONEAR")
            return w;
        return {};
    }

    // Fails unless an operand can start at pos_ (after `what`).
    Result<void> expect_operand(std::string_view what)
    {
        skip_space();
        const std::string_view k = keyword();
        if (at_end() || peek() == ')' || k == "AND" || k == "OR" || k == "NEAR" || k == "ONEAR")
            return tl::unexpected<Error>(error(pos_, fmt::format("expected a term after {}", what)));
        return {};
    }

    Result<void> enter(std::size_t at)
    {
        if (++depth_ > kMaxDepth)
            return tl::unexpected<Error>(
                error(at, fmt::format("the query nests deeper than {} levels", kMaxDepth),
                      ErrorCode::LimitExceeded));
        return {};
    }

    // sequence = or-expr { or-expr }   (ends at the end or at `)`)
    // Adjacent operands are ANDed: MS-KQL 2.1.11 leaves the implicit operator to the caller but
    // requires AND as soon as any operator is used, and Purview reads adjacent terms as AND;
    // one rule is easier to explain than a mode switch. It binds looser than OR, as in MS-KQL's
    // expression-list (a b OR c = a AND (b OR c)). Within one sequence, bare restrictions of the
    // same property are ORed instead (MS-KQL 2.2.4: from:ana from:bob).
    Result<Node> sequence(std::size_t open_paren)
    {
        std::vector<Item> items;
        for (;;) {
            skip_space();
            if (at_end() || peek() == ')')
                break;
            const std::string_view k = keyword();
            if (k == "AND" || k == "OR")
                return fail(error(pos_, fmt::format("expected a term before {}", k)));
            if (k == "NEAR" || k == "ONEAR")
                return fail(error(pos_, fmt::format("{} needs a term or phrase on each side", k)));
            CV_TRY(Item item, or_expr());
            items.push_back(std::move(item));
        }
        if (open_paren == std::string::npos && !at_end())
            return fail(error(pos_, "')' without a '(' before it"));
        if (items.empty())
            return fail(error(pos_, "expected a term inside ( )"));

        std::vector<Node> children;
        std::vector<std::optional<Property>> child_property;  // the property a child groups, if any
        for (auto& item : items) {
            if (item.groupable) {
                const auto same = std::find(child_property.begin(), child_property.end(), item.groupable);
                if (same != child_property.end()) {
                    Node& group = children[static_cast<std::size_t>(same - child_property.begin())];
                    if (auto* o = std::get_if<Or>(&group.value))
                        o->children.push_back(std::move(item.node));
                    else
                        group = Node{Or{{std::move(group), std::move(item.node)}}};
                    continue;
                }
            }
            child_property.push_back(item.groupable);
            children.push_back(std::move(item.node));
        }
        // Groupable items are leaves, so the get_if<Or> above only ever finds a group made here.
        if (children.size() == 1)
            return std::move(children.front());
        return Node{And{std::move(children)}};
    }

    // or-expr = and-expr { "OR" and-expr }
    Result<Item> or_expr()
    {
        CV_TRY(Item first, and_expr());
        std::vector<Node> children;
        for (;;) {
            skip_space();
            if (keyword() != "OR")
                break;
            pos_ += 2;
            CV_TRY_VOID(expect_operand("OR"));
            CV_TRY(Item next, and_expr());
            if (children.empty())
                children.push_back(std::move(first.node));
            children.push_back(std::move(next.node));
        }
        if (children.empty())
            return first;
        return Item{Node{Or{std::move(children)}}, std::nullopt};
    }

    // and-expr = unary { "AND" unary }
    Result<Item> and_expr()
    {
        CV_TRY(Item first, unary());
        std::vector<Node> children;
        for (;;) {
            skip_space();
            if (keyword() != "AND")
                break;
            pos_ += 3;
            CV_TRY_VOID(expect_operand("AND"));
            CV_TRY(Item next, unary());
            if (children.empty())
                children.push_back(std::move(first.node));
            children.push_back(std::move(next.node));
        }
        if (children.empty())
            return first;
        return Item{Node{And{std::move(children)}}, std::nullopt};
    }

    // unary = "NOT" unary | ("+" | "-") primary | primary
    Result<Item> unary()
    {
        skip_space();
        const std::size_t start = pos_;
        if (keyword() == "NOT") {
            CV_TRY_VOID(enter(start));
            pos_ += 3;
            CV_TRY_VOID(expect_operand("NOT"));
            CV_TRY(Item operand, unary());
            --depth_;
            return Item{Node{Not(std::move(operand.node))}, std::nullopt};
        }
        const char c = peek();
        if ((c == '+' || c == '-') && pos_ + 1 < src_.size() && !is_space(src_[pos_ + 1])) {
            ++pos_;
            const std::string_view k = keyword();
            if (peek() == '+' || peek() == '-' || peek() == ')' || !k.empty())
                return fail(error(pos_, fmt::format("expected a term after '{}'", c)));
            CV_TRY(Item operand, primary());
            if (c == '+')
                return Item{std::move(operand.node), std::nullopt};
            return Item{Node{Not(std::move(operand.node))}, std::nullopt};
        }
        if (c == '+' || c == '-')
            return fail(error(pos_ + 1, fmt::format("expected a term after '{}'", c)));
        return primary();
    }

    // primary = "(" sequence ")" | property | text [ ("NEAR" | "ONEAR") [ "(" ["n="] int ")" ] text ]
    Result<Item> primary()
    {
        skip_space();
        const std::size_t start = pos_;
        if (peek() == '(') {
            CV_TRY_VOID(enter(start));
            ++pos_;
            CV_TRY(Node inner, sequence(start));
            if (peek() != ')')
                return fail(error(pos_, fmt::format("missing ')' for the '(' at column {}",
                                                    code_points(src_.substr(0, start)) + 1)));
            ++pos_;
            --depth_;
            return Item{std::move(inner), std::nullopt};
        }
        if (peek() == ')')
            return fail(error(pos_, "expected a term before ')'"));
        if (!keyword().empty())
            return fail(error(pos_, fmt::format("expected a term, not the operator {}", keyword())));
        if (peek() != '"') {
            const std::string_view w = word_at(pos_);
            const std::size_t after = pos_ + w.size();
            if (after < src_.size() && src_[after] != '(' && src_[after] != ')' && src_[after] != '"' &&
                !is_space(src_[after]))
                return property(w);
        }
        CV_TRY(Text left, free_text());
        skip_space();
        const std::string_view k = keyword();
        if (k != "NEAR" && k != "ONEAR")
            return Item{Node{Term{std::move(left)}}, std::nullopt};
        const std::size_t op_at = pos_;
        pos_ += k.size();
        Near near{std::move(left), {}, 8, k == "ONEAR"};
        if (peek() == '(') {
            CV_TRY(int n, near_distance(k));
            near.distance = n;
        }
        skip_space();
        if (at_end() || peek() == '(' || peek() == ')' || peek() == '+' || peek() == '-' ||
            !keyword().empty() ||
            (peek() != '"' && pos_ + word_at(pos_).size() < src_.size() &&
             !ends_value(src_[pos_ + word_at(pos_).size()])))
            return fail(error(pos_, fmt::format("{} needs a term or phrase on each side", k)));
        CV_TRY(Text right, free_text());
        near.right = std::move(right);
        skip_space();
        const std::string_view again = keyword();
        if (again == "NEAR" || again == "ONEAR")
            return fail(
                error(pos_, fmt::format("{} joins exactly two terms (the {} at column {} already has its "
                                        "two); combine more with AND",
                                        again, k, code_points(src_.substr(0, op_at)) + 1)));
        return Item{Node{std::move(near)}, std::nullopt};
    }

    // "(" ["n="] digits ")" right after NEAR / ONEAR.
    Result<int> near_distance(std::string_view op)
    {
        const std::size_t open = pos_;
        ++pos_;
        if (peek() == 'n' && peek(1) == '=')
            pos_ += 2;
        int n = 0;
        std::size_t count = 0;
        while (peek() >= '0' && peek() <= '9' && count < 5) {
            n = n * 10 + (peek() - '0');
            ++pos_;
            ++count;
        }
        if (count == 0 || peek() != ')')
            return fail(
                error(open, fmt::format("expected {}(n) with n a number of words, as in {}(5)", op, op)));
        if (n > 1000)
            return fail(
                error(open + 1, fmt::format("{} distance {} is over the limit of 1000 words", op, n)));
        ++pos_;
        return n;
    }

    // A free word, "phrase" or prefix wildcard.
    Result<Text> free_text()
    {
        if (peek() == '"')
            return phrase();
        const std::size_t start = pos_;
        const std::string_view w = word_at(pos_);
        pos_ += w.size();
        return word_text(w, start);
    }

    Result<Text> phrase()
    {
        const std::size_t open = pos_;
        const std::size_t close = src_.find('"', open + 1);
        if (close == std::string_view::npos)
            return fail(error(open, "this '\"' is never closed"));
        pos_ = close + 1;
        const std::string_view inside = src_.substr(open + 1, close - open - 1);
        if (std::all_of(inside.begin(), inside.end(), is_space))
            return fail(error(open, "empty phrase"));
        return Text{Text::Form::Phrase, std::string(inside)};
    }

    // A word, or a prefix wildcard when it ends in '*' (the only place a '*' may be).
    Result<Text> word_text(std::string_view w, std::size_t start)
    {
        const std::size_t star = w.find('*');
        if (star == std::string_view::npos)
            return Text{Text::Form::Word, std::string(w)};
        if (star != w.size() - 1)
            return fail(
                error(start + star, "a wildcard '*' may only end a word (prefix search, as in budg*)"));
        const std::string_view stem = w.substr(0, star);
        if (code_points(stem) < 3)
            return fail(
                error(start, fmt::format("a prefix wildcard needs at least 3 characters before the '*' "
                                         "(got {})",
                                         code_points(stem))));
        return Text{Text::Form::Prefix, std::string(stem)};
    }

    // name op value, with pos_ at the name.
    Result<Item> property(std::string_view name)
    {
        const std::size_t name_at = pos_;
        if (name.empty())
            return fail(error(pos_, fmt::format("expected a property name before '{}'", peek())));
        const auto info = std::find_if(kProperties.begin(), kProperties.end(),
                                       [name](const PropertyInfo& p) { return iequals(p.name, name); });
        if (info == kProperties.end())
            return fail(error(name_at, fmt::format("unknown property '{}' (known: {}); put text in quotes to "
                                                   "search for it",
                                                   name, kKnownProperties)));
        pos_ += name.size();
        const std::size_t op_at = pos_;
        Op op = Op::Colon;
        std::string_view op_text;
        switch (peek()) {
        case ':': op = Op::Colon; break;
        case '=': op = Op::Equals; break;
        case '<': op = peek(1) == '=' ? Op::LessEqual : Op::Less; break;
        case '>': op = peek(1) == '=' ? Op::GreaterEqual : Op::Greater; break;
        default: break;
        }
        if (peek() == '<' && peek(1) == '>')
            return fail(error(op_at, fmt::format("'<>' is not supported: write NOT {}:value", info->name)));
        op_text = src_.substr(op_at, (op == Op::LessEqual || op == Op::GreaterEqual) ? 2 : 1);
        pos_ += op_text.size();
        const Property p = info->property;
        const bool ordered = p == Property::Sent || p == Property::Received || p == Property::Size;
        const bool comparison = op != Op::Colon && op != Op::Equals;
        if (comparison && !ordered)
            return fail(error(
                op_at, fmt::format("'{}' applies only to sent, received and size; use {}: or {}=", op_text,
                                   info->name, info->name)));
        if (at_end() || is_space(peek()) || peek() == ')' || peek() == '(')
            return fail(error(pos_, fmt::format("expected a value after '{}{}'", info->name, op_text)));
        const std::optional<Property> groupable = comparison ? std::nullopt : std::optional<Property>(p);

        switch (p) {
        case Property::Sent:
        case Property::Received: {
            CV_TRY(DateFilter f, date_value(p, op));
            return Item{Node{std::move(f)}, groupable};
        }
        case Property::Size: {
            CV_TRY(SizeFilter f, size_value(op));
            return Item{Node{f}, groupable};
        }
        case Property::Kind: {
            const std::size_t at = pos_;
            CV_TRY(std::string v, plain_value());
            static constexpr std::array<std::pair<std::string_view, KindFilter::Kind>, 4> kKinds{{
                {"whatsapp", KindFilter::Kind::WhatsApp},
                {"message", KindFilter::Kind::Message},
                {"call", KindFilter::Kind::Call},
                {"system", KindFilter::Kind::System},
            }};
            for (const auto& [text, kind] : kKinds)
                if (iequals(v, text))
                    return Item{Node{KindFilter{kind}}, groupable};
            return fail(
                error(at, fmt::format("unknown kind '{}': use whatsapp, message, call or system", v)));
        }
        case Property::HasAttachment:
        case Property::Deleted:
        case Property::Edited: {
            const std::size_t at = pos_;
            CV_TRY(std::string v, plain_value());
            if (iequals(v, "true") || iequals(v, "false"))
                return Item{Node{FlagFilter{p, iequals(v, "true")}}, groupable};
            return fail(error(at, fmt::format("{} takes true or false, not '{}'", info->name, v)));
        }
        default: break;
        }
        TextFilter f{p, op == Op::Equals ? TextFilter::Match::Equals : TextFilter::Match::Contains, {}};
        if (peek() == '"') {
            CV_TRY(Text t, phrase());
            f.value = std::move(t);
        } else {
            const std::size_t start = pos_;
            while (!at_end() && !ends_value(peek()))
                ++pos_;
            CV_TRY(Text t, word_text(src_.substr(start, pos_ - start), start));
            f.value = std::move(t);
        }
        return Item{Node{std::move(f)}, groupable};
    }

    // A value that is one word or a quoted phrase, as text (kind, true/false).
    Result<std::string> plain_value()
    {
        if (peek() == '"') {
            CV_TRY(Text t, phrase());
            return std::move(t.text);
        }
        const std::size_t start = pos_;
        while (!at_end() && !ends_value(peek()))
            ++pos_;
        return std::string(src_.substr(start, pos_ - start));
    }

    // One bound of a date or size value: quoted, or up to white space, a bracket, a paren or "..".
    struct Bound {
        std::string text;
        std::size_t at;
    };

    Result<Bound> bound(bool dates)
    {
        const std::size_t at = pos_;
        if (peek() == '"') {
            const std::size_t close = src_.find('"', pos_ + 1);
            if (close == std::string_view::npos)
                return fail(error(at, "this '\"' is never closed"));
            pos_ = close + 1;
            return Bound{std::string(src_.substr(at + 1, close - at - 1)), at + 1};
        }
        const auto scan = [this] {
            while (!at_end() && !ends_value(peek()) && peek() != '[' && !(peek() == '.' && peek(1) == '.'))
                ++pos_;
        };
        scan();
        std::string text(src_.substr(at, pos_ - at));
        // sent:this week — the unquoted two-word relative dates.
        if (dates && (iequals(text, "this") || iequals(text, "last")) && is_space(peek())) {
            const std::size_t save = pos_;
            skip_space();
            const std::size_t next = pos_;
            scan();
            const std::string_view unit = src_.substr(next, pos_ - next);
            if (iequals(unit, "week") || iequals(unit, "month") || iequals(unit, "year"))
                return Bound{std::string(src_.substr(at, pos_ - at)), at};
            pos_ = save;
        }
        return Bound{std::move(text), at};
    }

    Result<DateFilter> date_value(Property p, Op op)
    {
        CV_TRY(Bound first, bound(true));
        std::optional<Bound> last;
        if (peek() == '.' && peek(1) == '.') {
            const std::size_t dots = pos_;
            pos_ += 2;
            if (op != Op::Colon && op != Op::Equals)
                return fail(error(dots, "a range a..b takes ':' or '=', as in sent:2024-05-01..2024-05-31"));
            if (at_end() || (ends_value(peek()) && peek() != '"'))
                return fail(error(pos_, "expected a date after '..'"));
            CV_TRY(Bound b, bound(true));
            last = std::move(b);
        }
        const TimeZone* zone = &zone_;
        std::optional<TimeZone> annotated;
        if (peek() == '[') {
            const std::size_t open = pos_;
            const std::size_t close = src_.find(']', open);
            if (close == std::string_view::npos)
                return fail(error(open, "this '[' is never closed (a time zone, as in [Europe/Madrid])"));
            auto z = TimeZone::locate(src_.substr(open + 1, close - open - 1));
            if (!z)
                return fail(error(open + 1, fmt::format("unknown time zone '{}'",
                                                        src_.substr(open + 1, close - open - 1))));
            annotated = std::move(*z);
            zone = &*annotated;
            pos_ = close + 1;
        }
        if (!at_end() && !ends_value(peek()))
            return fail(error(pos_, fmt::format("unexpected '{}' after the date", peek())));
        CV_TRY(detail::Interval a, resolve(first, *zone));
        DateFilter f{p, std::nullopt, std::nullopt, zone->name()};
        switch (op) {
        case Op::Colon:
        case Op::Equals:
            f.from = a.from;
            f.to = a.to;
            if (last) {
                CV_TRY(detail::Interval b, resolve(*last, *zone));
                if (b.to <= a.from)
                    return fail(error(last->at, "this range ends before it starts"));
                f.to = b.to;
            }
            break;
        case Op::Less: f.to = a.from; break;
        case Op::LessEqual: f.to = a.to; break;
        case Op::Greater: f.from = a.to; break;
        case Op::GreaterEqual: f.from = a.from; break;
        }
        return f;
    }

    Result<detail::Interval> resolve(const Bound& b, const TimeZone& zone)
    {
        const auto r = detail::resolve_date(b.text, zone, now_);
        if (!r)
            return fail(error(b.at, fmt::format("malformed date '{}': {}", b.text, kDateForms)));
        if (r->from < detail::kMinInstant || r->to > detail::kMaxInstant || r->to <= r->from)
            return fail(error(b.at, fmt::format("date '{}' is out of range (years 1000 to 9998)", b.text)));
        return *r;
    }

    Result<SizeFilter> size_value(Op op)
    {
        CV_TRY(Bound first, bound(false));
        CV_TRY(std::uint64_t a, size_bytes(first));
        std::optional<std::uint64_t> b;
        if (peek() == '.' && peek(1) == '.') {
            const std::size_t dots = pos_;
            pos_ += 2;
            if (op != Op::Colon && op != Op::Equals)
                return fail(error(dots, "a range a..b takes ':' or '=', as in size:10KB..2MB"));
            CV_TRY(Bound last, bound(false));
            CV_TRY(std::uint64_t v, size_bytes(last));
            if (v < a)
                return fail(error(last.at, "this range ends before it starts"));
            b = v;
        }
        if (!at_end() && !ends_value(peek()))
            return fail(error(pos_, fmt::format("unexpected '{}' after the size", peek())));
        switch (op) {
        case Op::Colon:
        case Op::Equals: return SizeFilter{a, (b ? *b : a) + 1};
        case Op::Less: return SizeFilter{std::nullopt, a};
        case Op::LessEqual: return SizeFilter{std::nullopt, a + 1};
        case Op::Greater: return SizeFilter{a + 1, std::nullopt};
        case Op::GreaterEqual: return SizeFilter{a, std::nullopt};
        }
        return SizeFilter{};
    }

    // digits [B | KB | MB | GB | TB], binary multiples (KB = 1024), at most kMaxSize.
    Result<std::uint64_t> size_bytes(const Bound& b)
    {
        static constexpr std::uint64_t kMaxSize = std::uint64_t{1} << 60;
        const std::string_view s = b.text;
        std::size_t i = 0;
        std::uint64_t n = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            n = n * 10 + static_cast<std::uint64_t>(s[i] - '0');
            if (n > kMaxSize)
                return fail(error(b.at, fmt::format("size '{}' is too large", s)));
            ++i;
        }
        const std::string_view unit = s.substr(i);
        int shift = -1;
        if (unit.empty() || iequals(unit, "b"))
            shift = 0;
        else if (iequals(unit, "kb"))
            shift = 10;
        else if (iequals(unit, "mb"))
            shift = 20;
        else if (iequals(unit, "gb"))
            shift = 30;
        else if (iequals(unit, "tb"))
            shift = 40;
        if (i == 0 || shift < 0)
            return fail(
                error(b.at, fmt::format("malformed size '{}': use bytes or a number with KB, MB, GB or TB "
                                        "(KB = 1024 bytes), as in size>1MB",
                                        s)));
        if (n > (kMaxSize >> shift))
            return fail(error(b.at, fmt::format("size '{}' is too large", s)));
        return n << shift;
    }

    std::string_view src_;
    const TimeZone& zone_;
    std::int64_t now_;
    std::size_t pos_ = 0;
    int depth_ = 0;
};

}  // namespace

Result<Query> parse(std::string_view text, const TimeZone& zone, std::int64_t now)
{
    if (text.size() > kMaxQueryBytes) {
        std::size_t cut = kMaxQueryBytes;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
            --cut;
        return fail(Parser(text, zone, now)
                        .error(cut, fmt::format("the query is longer than {} bytes", kMaxQueryBytes),
                               ErrorCode::LimitExceeded));
    }
    if (const std::size_t bad = utf8::first_invalid(text); bad != std::string_view::npos)
        return fail(Parser(text, zone, now).error(bad, "not valid UTF-8"));
    Parser parser(text, zone, now);
    CV_TRY(Node root, parser.run());
    return Query{std::move(root), zone.name()};
}

}  // namespace cv::compliance::query

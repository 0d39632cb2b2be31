#include "compliance/query/query.hpp"

#include <fmt/format.h>

namespace cv::compliance::query {

std::string_view to_string(Property p)
{
    switch (p) {
    case Property::From: return "from";
    case Property::To: return "to";
    case Property::Cc: return "cc";
    case Property::Participants: return "participants";
    case Property::Recipients: return "recipients";
    case Property::Subject: return "subject";
    case Property::Body: return "body";
    case Property::Sent: return "sent";
    case Property::Received: return "received";
    case Property::Kind: return "kind";
    case Property::HasAttachment: return "hasattachment";
    case Property::AttachmentNames: return "attachmentnames";
    case Property::Size: return "size";
    case Property::Conversation: return "conversation";
    case Property::Deleted: return "deleted";
    case Property::Edited: return "edited";
    case Property::Mailbox: return "mailbox";
    }
    return "?";
}

Not::Not(Node operand) : operand_(std::make_unique<Node>(std::move(operand))) {}
Not::Not(const Not& other) : operand_(std::make_unique<Node>(*other.operand_)) {}
Not::~Not() = default;

Not& Not::operator=(const Not& other)
{
    if (this != &other)
        operand_ = std::make_unique<Node>(*other.operand_);
    return *this;
}

bool operator==(const Not& a, const Not& b)
{
    return *a.operand_ == *b.operand_;
}

namespace {

void append_text(std::string& out, const Text& t)
{
    switch (t.form) {
    case Text::Form::Word: out += t.text; break;
    case Text::Form::Phrase: fmt::format_to(std::back_inserter(out), "\"{}\"", t.text); break;
    case Text::Form::Prefix: fmt::format_to(std::back_inserter(out), "{}*", t.text); break;
    }
}

std::string_view kind_name(KindFilter::Kind k)
{
    switch (k) {
    case KindFilter::Kind::WhatsApp: return "whatsapp";
    case KindFilter::Kind::Message: return "message";
    case KindFilter::Kind::Call: return "call";
    case KindFilter::Kind::System: return "system";
    }
    return "?";
}

// Half-open [from, to) written back as the query syntax that reads as exactly that interval:
// a:b..c is inclusive at one-unit precision, so the upper end is to - 1.
template <class T, class Format>
void append_range(std::string& out, std::string_view name, const std::optional<T>& from,
                  const std::optional<T>& to, Format format)
{
    if (from && to) {
        if (*to - *from == 1)
            fmt::format_to(std::back_inserter(out), "{}:{}", name, format(*from));
        else
            fmt::format_to(std::back_inserter(out), "{}:{}..{}", name, format(*from), format(*to - 1));
    } else if (from) {
        fmt::format_to(std::back_inserter(out), "{}>={}", name, format(*from));
    } else if (to) {
        fmt::format_to(std::back_inserter(out), "{}<{}", name, format(*to));
    }
}

void append(std::string& out, const Node& n);

void append_list(std::string& out, const std::vector<Node>& children, std::string_view op)
{
    out += '(';
    for (std::size_t i = 0; i < children.size(); ++i) {
        if (i > 0)
            fmt::format_to(std::back_inserter(out), " {} ", op);
        append(out, children[i]);
    }
    out += ')';
}

struct Printer {
    std::string& out;

    void operator()(const Term& t) const { append_text(out, t.text); }
    void operator()(const Near& n) const
    {
        out += '(';
        append_text(out, n.left);
        fmt::format_to(std::back_inserter(out), " {}({}) ", n.ordered ? "ONEAR" : "NEAR", n.distance);
        append_text(out, n.right);
        out += ')';
    }
    void operator()(const TextFilter& f) const
    {
        out += to_string(f.property);
        out += f.match == TextFilter::Match::Equals ? '=' : ':';
        append_text(out, f.value);
    }
    void operator()(const DateFilter& f) const
    {
        append_range(out, to_string(f.property), f.from, f.to, [](std::int64_t s) { return format_utc(s); });
        fmt::format_to(std::back_inserter(out), "[{}]", f.zone);
    }
    void operator()(const SizeFilter& f) const
    {
        append_range(out, "size", f.from, f.to, [](std::uint64_t b) { return b; });
    }
    void operator()(const KindFilter& f) const
    {
        fmt::format_to(std::back_inserter(out), "kind:{}", kind_name(f.kind));
    }
    void operator()(const FlagFilter& f) const
    {
        fmt::format_to(std::back_inserter(out), "{}:{}", to_string(f.property), f.value ? "true" : "false");
    }
    void operator()(const And& a) const { append_list(out, a.children, "AND"); }
    void operator()(const Or& o) const { append_list(out, o.children, "OR"); }
    void operator()(const Not& n) const
    {
        out += "(NOT ";
        append(out, n.operand());
        out += ')';
    }
};

void append(std::string& out, const Node& n)
{
    std::visit(Printer{out}, n.value);
}

}  // namespace

std::string to_string(const Node& n)
{
    std::string out;
    append(out, n);
    return out;
}

std::string to_string(const Query& q)
{
    return to_string(q.root);
}

}  // namespace cv::compliance::query

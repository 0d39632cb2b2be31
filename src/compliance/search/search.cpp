#include "compliance/search/search.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

namespace cv::compliance::search {

using archive::IndexCondition;
using Op = IndexCondition::Op;
using namespace query;

namespace {

IndexCondition make(Op op)
{
    IndexCondition c;
    c.op = op;
    return c;
}

IndexCondition text_condition(std::string fts)
{
    IndexCondition c = make(Op::Text);
    c.fts = std::move(fts);
    return c;
}

IndexCondition not_of(IndexCondition c)
{
    if (c.op == Op::All)
        return make(Op::None);
    if (c.op == Op::None)
        return make(Op::All);
    if (c.op == Op::Not)
        return std::move(c.children.front());
    IndexCondition n = make(Op::Not);
    n.children.push_back(std::move(c));
    return n;
}

char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Case-insensitive (ASCII) whole-value comparison, surrounding white space ignored.
std::string folded(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
        s.remove_suffix(1);
    std::string out(s);
    for (char& c : out)
        c = lower(c);
    return out;
}

bool word_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

struct Translator {
    archive::Archive* archive = nullptr;
    std::vector<std::string> notes;
    std::uint64_t checked = 0;
    std::map<std::int64_t, Conversation> conversations;

    Result<const Conversation*> conversation(std::int64_t id)
    {
        auto it = conversations.find(id);
        if (it == conversations.end()) {
            CV_TRY(auto c, archive->conversation(id));
            it = conversations.emplace(id, std::move(c)).first;
        }
        return &it->second;
    }

    // Candidates from the index, kept when `keep` says so, as an id list.
    template <class Keep>
    Result<IndexCondition> check_items(IndexCondition candidates, std::string what, Keep&& keep)
    {
        if (!archive) {
            notes.push_back(what + ": the index's candidates, then a check on each decrypted candidate");
            return candidates;
        }
        CV_TRY(const auto ids, archive->search_ids(candidates));
        IndexCondition out = make(Op::Items);
        for (const std::int64_t id : ids) {
            CV_TRY(const auto stored, archive->item(id));
            ++checked;
            if (keep(stored))
                out.ids.push_back(id);
        }
        notes.push_back(fmt::format("{}: {} candidates from the index, {} kept after checking each", what,
                                    ids.size(), out.ids.size()));
        return out;
    }

    // The member index expression for a people value (from, to, participants, recipients).
    static std::optional<std::string> member_fts(const Text& value)
    {
        if (value.form != Text::Form::Prefix)
            if (const auto digits = phone_digits(value.text))
                return fmt::format("{{phone phone_tail}} : \"{}\"", *digits);
        const auto f = fts_text(value);
        if (!f)
            return std::nullopt;
        if (value.text.find('@') != std::string::npos)
            return "{address} : (" + *f + ")";
        return "{name address} : (" + *f + ")";
    }

    Result<IndexCondition> people(const TextFilter& f)
    {
        using Role = IndexCondition::Role;
        if (f.property == Property::Cc) {
            notes.push_back("cc: WhatsApp items are rendered with no Cc recipients, so cc: matches nothing");
            return make(Op::None);
        }
        const auto fts = member_fts(f.value);
        if (!fts)
            return make(Op::None);
        IndexCondition person = make(Op::Person);
        person.role = f.property == Property::From                                       ? Role::Sender
                      : f.property == Property::To || f.property == Property::Recipients ? Role::Recipient
                                                                                         : Role::Participant;
        if (f.match == TextFilter::Match::Equals) {
            const std::string what = fmt::format("{}={}", to_string(f.property), f.value.text);
            if (!archive) {
                notes.push_back(what + ": members matching in the index, then an exact comparison of each "
                                       "member's name, address or number");
                person.fts = *fts;
                return person;
            }
            CV_TRY(const auto members, archive->search_members(*fts));
            const std::string want = folded(f.value.text);
            const auto want_digits = phone_digits(f.value.text);
            for (const std::int64_t m : members) {
                CV_TRY(const Conversation* c, conversation(m / archive::kMemberStride));
                const auto pos = static_cast<std::size_t>(m % archive::kMemberStride);
                if (pos >= c->members.size())
                    continue;
                const Person& p = c->members[pos];
                bool same = folded(p.name) == want || (p.email && folded(*p.email) == want);
                if (!same && want_digits) {
                    const auto have = phone_digits(p.phone.value_or(p.name));
                    same = have && have->ends_with(*want_digits);
                }
                if (same)
                    person.ids.push_back(m);
            }
            notes.push_back(fmt::format("{}: {} members matching in the index, {} equal", what,
                                        members.size(), person.ids.size()));
            return person;
        }
        person.fts = *fts;
        if (f.property == Property::To || f.property == Property::Recipients)
            return person;
        // The sender as the item names them too (a sender who is not a known member).
        const auto f_text = fts_text(f.value);
        IndexCondition either = make(Op::Or);
        either.children.push_back(std::move(person));
        if (f_text && !phone_digits(f.value.text))
            either.children.push_back(text_condition("{sender} : (" + *f_text + ")"));
        return either;
    }

    Result<IndexCondition> text_filter(const TextFilter& f)
    {
        switch (f.property) {
        case Property::From:
        case Property::To:
        case Property::Cc:
        case Property::Participants:
        case Property::Recipients: return people(f);
        case Property::Mailbox: {
            IndexCondition c = make(Op::Mailbox);
            c.text = f.value.text;
            if (f.value.form == Text::Form::Prefix) {
                c.prefix = true;
            } else if (c.text.starts_with('@')) {
                c.text.erase(0, 1);
                c.domain = true;
            } else if (c.text.find('@') == std::string::npos) {
                c.domain = true;
            }
            return c;
        }
        default: break;
        }
        const auto value = fts_text(f.value);
        if (!value)
            return make(Op::None);
        const bool equals = f.match == TextFilter::Match::Equals;
        const std::string what = fmt::format("{}={}", to_string(f.property), f.value.text);
        if (f.property == Property::Conversation) {
            IndexCondition c = make(Op::Conversation);
            c.fts = "{title} : (" + *value + ")";
            if (!equals)
                return c;
            if (!archive) {
                notes.push_back(what + ": titles matching in the index, then an exact comparison of each");
                return c;
            }
            CV_TRY(const auto ids, archive->search_conversations(c.fts));
            IndexCondition exact = make(Op::Conversation);
            for (const std::int64_t id : ids) {
                CV_TRY(const Conversation* conv, conversation(id));
                if (folded(conv->title) == folded(f.value.text))
                    exact.ids.push_back(id);
            }
            notes.push_back(fmt::format("{}: {} titles matching in the index, {} equal", what, ids.size(),
                                        exact.ids.size()));
            return exact;
        }
        const std::string column = f.property == Property::Subject ? "subject"
                                   : f.property == Property::Body  ? "body"
                                                                   : "attachments";
        IndexCondition candidates = text_condition("{" + column + "} : (" + *value + ")");
        if (!equals)
            return candidates;
        if (f.property == Property::Subject) {
            notes.push_back(what +
                            ": read as subject: (the subject is only in the sealed email, so a whole-value "
                            "comparison would mean rendering every candidate)");
            return candidates;
        }
        const std::string want = folded(f.value.text);
        if (f.property == Property::Body)
            return check_items(std::move(candidates), what,
                               [&](const archive::StoredItem& s) { return folded(s.item.text) == want; });
        return check_items(std::move(candidates), what, [&](const archive::StoredItem& s) {
            return std::any_of(s.item.attachments.begin(), s.item.attachments.end(),
                               [&](const Attachment& a) { return folded(a.name) == want; });
        });
    }

    Result<IndexCondition> near(const Near& n)
    {
        const auto l = fts_text(n.left);
        const auto r = fts_text(n.right);
        if (!l || !r)
            return make(Op::None);
        IndexCondition candidates = text_condition(fmt::format("NEAR({} {}, {})", *l, *r, n.distance));
        if (!n.ordered)
            return candidates;
        const std::string what = fmt::format("ONEAR({})", n.distance);
        return check_items(std::move(candidates), what, [&](const archive::StoredItem& s) {
            std::vector<std::string_view> fields{s.item.text};
            if (s.item.author)
                fields.push_back(*s.item.author);
            for (const auto& a : s.item.attachments)
                fields.push_back(a.name);
            return std::any_of(fields.begin(), fields.end(), [&](std::string_view field) {
                return ordered_near(words(field), n.left, n.right, n.distance);
            });
        });
    }

    Result<IndexCondition> combine(Op op, const std::vector<Node>& children)
    {
        std::vector<IndexCondition> parts;
        std::vector<std::string> positive, negative;
        for (const auto& child : children) {
            CV_TRY(auto c, translate(child));
            if (op == Op::And && c.op == Op::All)
                continue;
            if (op == Op::Or && c.op == Op::None)
                continue;
            if ((op == Op::And && c.op == Op::None) || (op == Op::Or && c.op == Op::All))
                return c;
            if (c.op == Op::Text)
                positive.push_back(c.fts);
            else if (op == Op::And && c.op == Op::Not && c.children.front().op == Op::Text)
                negative.push_back(c.children.front().fts);
            else
                parts.push_back(std::move(c));
        }
        // Text children become one MATCH: FTS5 evaluates them together from its own index.
        auto join = [](const std::vector<std::string>& v, std::string_view sep) {
            std::string out;
            for (std::size_t i = 0; i < v.size(); ++i)
                out += (i ? std::string(sep) : "") + "(" + v[i] + ")";
            return v.size() > 1 ? "(" + out + ")" : out;
        };
        if (!positive.empty()) {
            std::string fts = join(positive, op == Op::And ? " AND " : " OR ");
            if (!negative.empty())
                fts += " NOT " + join(negative, " OR ");
            parts.push_back(text_condition(std::move(fts)));
        } else {
            for (auto& n : negative)
                parts.push_back(not_of(text_condition(std::move(n))));
        }
        if (parts.empty())
            return make(op == Op::And ? Op::All : Op::None);
        if (parts.size() == 1)
            return std::move(parts.front());
        IndexCondition c = make(op);
        c.children = std::move(parts);
        return c;
    }

    Result<IndexCondition> translate(const Node& node)
    {
        return std::visit(
            [&](const auto& n) -> Result<IndexCondition> {
                using T = std::decay_t<decltype(n)>;
                if constexpr (std::is_same_v<T, Term>) {
                    const auto f = fts_text(n.text);
                    return f ? text_condition(*f) : make(Op::None);
                } else if constexpr (std::is_same_v<T, Near>) {
                    return near(n);
                } else if constexpr (std::is_same_v<T, TextFilter>) {
                    return text_filter(n);
                } else if constexpr (std::is_same_v<T, DateFilter>) {
                    IndexCondition c = make(n.property == Property::Received ? Op::ImportedAt : Op::Utc);
                    c.from = n.from;
                    c.to = n.to;
                    return c;
                } else if constexpr (std::is_same_v<T, SizeFilter>) {
                    IndexCondition c = make(Op::Size);
                    constexpr std::uint64_t kMax = INT64_MAX;
                    if (n.from)
                        c.from = static_cast<std::int64_t>(std::min(*n.from, kMax));
                    if (n.to)
                        c.to = static_cast<std::int64_t>(std::min(*n.to, kMax));
                    return c;
                } else if constexpr (std::is_same_v<T, KindFilter>) {
                    if (n.kind == KindFilter::Kind::WhatsApp)
                        return make(Op::All);
                    IndexCondition c = make(Op::Kind);
                    c.kind = n.kind == KindFilter::Kind::Call     ? ItemKind::Call
                             : n.kind == KindFilter::Kind::System ? ItemKind::System
                                                                  : ItemKind::Message;
                    return c;
                } else if constexpr (std::is_same_v<T, FlagFilter>) {
                    IndexCondition c = make(n.property == Property::Deleted  ? Op::Deleted
                                            : n.property == Property::Edited ? Op::Edited
                                                                             : Op::HasAttachment);
                    return n.value ? c : not_of(std::move(c));
                } else if constexpr (std::is_same_v<T, And>) {
                    return combine(Op::And, n.children);
                } else if constexpr (std::is_same_v<T, Or>) {
                    return combine(Op::Or, n.children);
                } else {
                    CV_TRY(auto c, translate(n.operand()));
                    return not_of(std::move(c));
                }
            },
            node.value);
    }
};

// The words a snippet is centred on: the query's positive free text and text filters.
void positive_words(const Node& node, bool negated, std::vector<std::string>& out)
{
    std::visit(
        [&](const auto& n) {
            using T = std::decay_t<decltype(n)>;
            if constexpr (std::is_same_v<T, Term>) {
                if (!negated)
                    out.push_back(n.text.text);
            } else if constexpr (std::is_same_v<T, Near>) {
                if (!negated) {
                    out.push_back(n.left.text);
                    out.push_back(n.right.text);
                }
            } else if constexpr (std::is_same_v<T, TextFilter>) {
                if (!negated && (n.property == Property::Body || n.property == Property::Subject))
                    out.push_back(n.value.text);
            } else if constexpr (std::is_same_v<T, And> || std::is_same_v<T, Or>) {
                for (const auto& c : n.children)
                    positive_words(c, negated, out);
            } else if constexpr (std::is_same_v<T, Not>) {
                positive_words(n.operand(), !negated, out);
            }
        },
        node.value);
}

std::size_t utf8_start(std::string_view s, std::size_t i)
{
    while (i > 0 && i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80)
        --i;
    return std::min(i, s.size());
}

std::string snippet(const Item& item, const std::vector<std::string>& terms)
{
    std::string text = item.text;
    if (text.empty()) {
        if (item.call)
            text = fmt::format("[{} call, {}]", to_string(item.call->media), to_string(item.call->result));
        for (const auto& a : item.attachments)
            text += (text.empty() ? "[" : " [") + (a.name.empty() ? std::string("media") : a.name) + "]";
    }
    for (char& c : text)
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
    std::string lowered = text;
    for (char& c : lowered)
        c = lower(c);
    std::size_t at = std::string::npos;
    for (const auto& t : terms) {
        std::string lt = t;
        for (char& c : lt)
            c = lower(c);
        if (lt.empty())
            continue;
        const std::size_t p = lowered.find(lt);
        if (p != std::string::npos && p < at)
            at = p;
    }
    constexpr std::size_t kBefore = 40, kLength = 120;
    if (text.size() <= kLength)
        return text;
    const std::size_t start = at == std::string::npos || at < kBefore ? 0 : utf8_start(text, at - kBefore);
    const std::size_t end = utf8_start(text, std::min(text.size(), start + kLength));
    return (start > 0 ? "…" : "") + text.substr(start, end - start) + (end < text.size() ? "…" : "");
}

}  // namespace

std::optional<std::string> fts_text(const Text& t)
{
    if (std::none_of(t.text.begin(), t.text.end(),
                     [](char c) { return word_char(static_cast<unsigned char>(c)); }))
        return std::nullopt;
    std::string out = "\"";
    for (const char c : t.text) {
        if (c == '"')
            out += '"';
        out += c;
    }
    out += '"';
    if (t.form == Text::Form::Prefix)
        out += " *";
    return out;
}

std::optional<std::string> phone_digits(std::string_view value)
{
    std::string digits;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const char c = value[i];
        if (c >= '0' && c <= '9')
            digits += c;
        else if (c == '+' && digits.empty())
            continue;
        else if (c != ' ' && c != '-' && c != '(' && c != ')' && c != '.' && c != '/')
            return std::nullopt;
    }
    const std::size_t first = digits.find_first_not_of('0');
    if (first == std::string::npos)
        return std::nullopt;
    digits.erase(0, first);
    if (digits.size() < 6)
        return std::nullopt;
    return digits;
}

std::vector<std::string> words(std::string_view text)
{
    std::vector<std::string> out;
    std::string cur;
    for (const char c : text) {
        if (word_char(static_cast<unsigned char>(c))) {
            cur += lower(c);
        } else if (!cur.empty()) {
            out.push_back(std::move(cur));
            cur.clear();
        }
    }
    if (!cur.empty())
        out.push_back(std::move(cur));
    return out;
}

bool ordered_near(const std::vector<std::string>& tokens, const Text& left, const Text& right, int distance)
{
    // Where each phrase occurs: start and one past its end.
    auto occurrences = [&](const Text& t) {
        const auto want = words(t.text);
        std::vector<std::pair<std::size_t, std::size_t>> at;
        if (want.empty() || want.size() > tokens.size())
            return at;
        for (std::size_t i = 0; i + want.size() <= tokens.size(); ++i) {
            bool ok = true;
            for (std::size_t k = 0; k < want.size() && ok; ++k) {
                const bool last = k + 1 == want.size();
                ok = (last && t.form == Text::Form::Prefix) ? tokens[i + k].starts_with(want[k])
                                                            : tokens[i + k] == want[k];
            }
            if (ok)
                at.emplace_back(i, i + want.size());
        }
        return at;
    };
    const auto l = occurrences(left);
    const auto r = occurrences(right);
    for (const auto& [ls, le] : l)
        for (const auto& [rs, re] : r)
            if (rs >= le && rs - le <= static_cast<std::size_t>(distance))
                return true;
    return false;
}

Result<Plan> plan(const Query& q, const SearchOptions& options, archive::Archive* archive)
{
    Translator t;
    t.archive = archive;
    CV_TRY(auto where, t.translate(q.root));
    if (options.mailbox) {
        IndexCondition scope = make(Op::Mailbox);
        scope.text = *options.mailbox;
        IndexCondition both = make(Op::And);
        if (where.op != Op::All)
            both.children.push_back(std::move(where));
        both.children.push_back(std::move(scope));
        where = both.children.size() == 1 ? std::move(both.children.front()) : std::move(both);
    }
    Plan p{std::move(where), std::move(t.notes), t.checked};
    if (archive)
        p.notes.push_back(fmt::format("{} candidates decrypted for checks", t.checked));
    return p;
}

Result<SearchResult> search(archive::Archive& archive, const Query& q, const SearchOptions& options)
{
    CV_TRY(const auto p, plan(q, options, &archive));
    CV_TRY(const auto page, archive.search(p.where, options.limit, options.offset));
    SearchResult out;
    out.total = page.total;
    out.zone = q.zone;
    out.checked = p.checked;
    std::vector<std::string> terms;
    positive_words(q.root, false, terms);
    // A page's previews come from small sealed records beside the index (one read and one
    // decryption per hit), not from the items' record chunks: a page of 20 newest hits easily
    // spans 20 chunks of thousands of items each. An item with no preview (written by an older
    // binary) or a cut one (a long text) is read whole, as before.
    std::map<std::int64_t, archive::ItemPreview> previews;
    std::map<std::int64_t, std::string> titles;
    if (options.snippets) {
        std::vector<std::int64_t> ids;
        for (const auto& h : page.hits)
            ids.push_back(h.id);
        CV_TRY(auto found, archive.search_previews(ids));
        for (auto& preview : found)
            if (preview.complete)
                previews.emplace(preview.id, std::move(preview));
    }
    for (const auto& h : page.hits) {
        Hit hit;
        hit.item = h.id;
        hit.message_id = h.message_id;
        hit.mailboxes = h.mailboxes;
        hit.conversation_id = h.conversation;
        hit.utc = h.utc;
        hit.imported_at = h.imported_at;
        hit.kind = h.kind;
        hit.deleted = h.deleted;
        hit.size = h.size;
        if (options.snippets) {
            if (const auto pv = previews.find(h.id); pv != previews.end()) {
                auto title = titles.find(h.conversation);
                if (title == titles.end()) {
                    CV_TRY(const auto c, archive.conversation(h.conversation));
                    title = titles.emplace(h.conversation, c.title).first;
                }
                hit.conversation = title->second;
                hit.author = pv->second.item.author.value_or("");
                hit.snippet = snippet(pv->second.item, terms);
            } else {
                CV_TRY(const auto stored, archive.item(h.id));
                hit.conversation = stored.conversation.title;
                hit.author = stored.item.author.value_or("");
                hit.snippet = snippet(stored.item, terms);
            }
        }
        out.hits.push_back(std::move(hit));
    }
    return out;
}

}  // namespace cv::compliance::search

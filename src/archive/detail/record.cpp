#include "archive/detail/record.hpp"

#include <iterator>
#include <type_traits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/utf8.hpp"

namespace cv::archive::detail {

using nlohmann::json;

namespace {

template <class T> void put_optional(json& j, const char* key, const std::optional<T>& v)
{
    if (v)
        j[key] = *v;
}

template <class T> void get_optional(const json& j, const char* key, std::optional<T>& v)
{
    const auto it = j.find(key);
    if (it != j.end() && !it->is_null())
        v = it->get<T>();
    else
        v.reset();
}

SourceKind source_from(std::string_view s)
{
    for (const auto k :
         {SourceKind::ChatExport, SourceKind::AndroidDatabase, SourceKind::IosDatabase, SourceKind::CloudApi})
        if (to_string(k) == s)
            return k;
    return SourceKind::ChatExport;
}

}  // namespace

// Written directly rather than through nlohmann::json objects: every imported item passes
// here, and building a DOM first costs more than the rest of the record path. Read back with
// nlohmann (parse_item_record), which checks the shape.
class RecordWriter {
public:
    explicit RecordWriter(std::string& out) : out_(out) {}
    void open()
    {
        out_ += '{';
        first_ = true;
    }
    void close()
    {
        out_ += '}';
        first_ = false;
    }
    void key(std::string_view k)
    {
        if (!first_)
            out_ += ',';
        first_ = false;
        string(k);
        out_ += ':';
    }
    void string(std::string_view v)
    {
        // Readers hand over valid UTF-8, but a record must parse back whatever happens.
        std::string repaired;
        if (utf8::first_invalid(v) != std::string_view::npos) {
            repaired = utf8::sanitize(v);
            v = repaired;
        }
        out_ += '"';
        // Runs of characters that stand for themselves are appended whole.
        std::size_t run = 0;
        for (std::size_t i = 0; i < v.size(); ++i) {
            const auto c = static_cast<unsigned char>(v[i]);
            if (c >= 0x20 && c != '"' && c != '\\')
                continue;
            out_.append(v.data() + run, i - run);
            run = i + 1;
            switch (c) {
            case '"': out_ += "\\\""; break;
            case '\\': out_ += "\\\\"; break;
            case '\n': out_ += "\\n"; break;
            case '\r': out_ += "\\r"; break;
            case '\t': out_ += "\\t"; break;
            default: out_ += fmt::format("\\u{:04x}", c);
            }
        }
        out_.append(v.data() + run, v.size() - run);
        out_ += '"';
    }
    template <class T> void number(T v) { fmt::format_to(std::back_inserter(out_), "{}", v); }
    void boolean(bool v) { out_ += v ? "true" : "false"; }

    void field(std::string_view k, std::string_view v)
    {
        key(k);
        string(v);
    }
    void field(std::string_view k, const char* v) { field(k, std::string_view(v)); }
    void field(std::string_view k, const std::string& v) { field(k, std::string_view(v)); }
    void field(std::string_view k, bool v)
    {
        key(k);
        boolean(v);
    }
    template <class T> void field(std::string_view k, T v) requires std::is_arithmetic_v<T>
    {
        key(k);
        number(v);
    }
    template <class T> void field(std::string_view k, const std::optional<T>& v)
    {
        if (v)
            field(k, *v);
    }

private:
    std::string& out_;
    bool first_ = true;
};

std::string item_record(const Item& item, const RenderContext& context)
{
    std::string out;
    out.reserve(256 + item.text.size());
    RecordWriter w(out);
    w.open();
    w.field("v", 1);
    w.field("message_id", context.message_id);
    w.field("source", to_string(context.source));
    w.field("tz", context.time_zone);
    w.field("domain", context.domain);
    w.field("index", item.index);
    w.field("line", item.line);
    w.field("kind", static_cast<int>(item.kind));
    w.field("author", item.author);
    const auto& t = item.wall_clock;
    w.key("wall");
    out += fmt::format("[{},{},{},{},{},{}]", t.year, t.month, t.day, t.hour, t.minute, t.second);
    w.field("wall_text", item.wall_clock_text);
    w.field("utc", item.utc);
    w.field("dst", static_cast<int>(item.dst));
    w.field("text", item.text);
    w.key("attachments");
    out += '[';
    for (std::size_t i = 0; i < item.attachments.size(); ++i) {
        const auto& a = item.attachments[i];
        if (i)
            out += ',';
        RecordWriter aw(out);
        aw.open();
        aw.field("name", a.name);
        aw.field("type", static_cast<int>(a.type));
        aw.field("present", a.present);
        aw.field("omitted", a.omitted);
        if (!a.locator.empty())
            aw.field("locator", a.locator);
        aw.field("size", a.size);
        if (!a.mime_type.empty())
            aw.field("mime", a.mime_type);
        aw.field("inline", a.inline_data);
        aw.close();
    }
    out += ']';
    w.field("deleted", item.deleted);
    w.field("edited", item.edited);
    w.field("placeholder", static_cast<int>(item.placeholder));
    if (item.location) {
        const auto& l = *item.location;
        w.key("location");
        RecordWriter lw(out);
        lw.open();
        lw.field("url", l.url);
        lw.field("live", l.live);
        lw.field("lat", l.latitude);
        lw.field("lon", l.longitude);
        lw.field("venue", l.venue);
        lw.close();
    }
    if (item.call) {
        w.key("call");
        RecordWriter cw(out);
        cw.open();
        cw.field("media", static_cast<int>(item.call->media));
        cw.field("result", static_cast<int>(item.call->result));
        cw.field("outgoing", item.call->outgoing);
        cw.field("duration", item.call->duration_seconds);
        cw.close();
    }
    w.field("key_id", item.key_id);
    w.field("sender_id", item.sender_id);
    if (item.quoted) {
        w.key("quoted");
        RecordWriter qw(out);
        qw.open();
        qw.field("text", item.quoted->text);
        qw.field("key_id", item.quoted->key_id);
        qw.field("sender_id", item.quoted->sender_id);
        qw.field("author", item.quoted->author);
        qw.close();
    }
    if (item.forwarded)
        w.field("forwarded", true);
    w.field("from_me", item.from_me);
    w.field("row", item.row);
    w.close();
    return out;
}

Result<void> parse_item_record(std::string_view text, Item& item, RenderContext& context)
{
    try {
        const json j = json::parse(text);
        if (j.at("v").get<int>() != 1)
            return fail(ErrorCode::Unsupported, "item record of a newer format");
        item.clear();
        context.message_id = j.at("message_id").get<std::string>();
        context.source = source_from(j.at("source").get<std::string>());
        context.time_zone = j.at("tz").get<std::string>();
        context.domain = j.at("domain").get<std::string>();
        item.index = j.at("index").get<std::uint64_t>();
        item.line = j.at("line").get<std::uint64_t>();
        item.kind = static_cast<ItemKind>(j.at("kind").get<int>());
        get_optional(j, "author", item.author);
        const auto& w = j.at("wall");
        item.wall_clock = {w.at(0).get<int>(), w.at(1).get<int>(), w.at(2).get<int>(),
                           w.at(3).get<int>(), w.at(4).get<int>(), w.at(5).get<int>()};
        item.wall_clock_text = j.at("wall_text").get<std::string>();
        item.utc = j.at("utc").get<std::int64_t>();
        item.dst = static_cast<DstResolution>(j.at("dst").get<int>());
        item.text = j.at("text").get<std::string>();
        for (const auto& ja : j.at("attachments")) {
            Attachment a;
            a.name = ja.at("name").get<std::string>();
            a.type = static_cast<MediaType>(ja.at("type").get<int>());
            a.present = ja.at("present").get<bool>();
            a.omitted = ja.at("omitted").get<bool>();
            a.locator = ja.value("locator", std::string());
            get_optional(ja, "size", a.size);
            a.mime_type = ja.value("mime", std::string());
            get_optional(ja, "inline", a.inline_data);
            item.attachments.push_back(std::move(a));
        }
        item.deleted = j.at("deleted").get<bool>();
        item.edited = j.at("edited").get<bool>();
        item.placeholder = static_cast<Placeholder>(j.at("placeholder").get<int>());
        if (const auto it = j.find("location"); it != j.end()) {
            Location l;
            l.url = it->at("url").get<std::string>();
            l.live = it->at("live").get<bool>();
            get_optional(*it, "lat", l.latitude);
            get_optional(*it, "lon", l.longitude);
            get_optional(*it, "venue", l.venue);
            item.location = std::move(l);
        }
        if (const auto it = j.find("call"); it != j.end()) {
            CallInfo c;
            c.media = static_cast<CallMedia>(it->at("media").get<int>());
            c.result = static_cast<CallResult>(it->at("result").get<int>());
            get_optional(*it, "outgoing", c.outgoing);
            get_optional(*it, "duration", c.duration_seconds);
            item.call = c;
        }
        get_optional(j, "key_id", item.key_id);
        get_optional(j, "sender_id", item.sender_id);
        if (const auto it = j.find("quoted"); it != j.end()) {
            Quote q;
            q.text = it->at("text").get<std::string>();
            get_optional(*it, "key_id", q.key_id);
            get_optional(*it, "sender_id", q.sender_id);
            get_optional(*it, "author", q.author);
            item.quoted = std::move(q);
        }
        item.forwarded = j.value("forwarded", false);
        get_optional(j, "from_me", item.from_me);
        get_optional(j, "row", item.row);
        return {};
    } catch (const json::exception& e) {
        return fail(ErrorCode::Parse, fmt::format("item record is damaged: {}", e.what()));
    }
}

std::string conversation_record(const Conversation& c)
{
    json j;
    j["v"] = 1;
    j["title"] = c.title;
    j["group"] = c.group;
    put_optional(j, "jid", c.jid);
    json members = json::array();
    for (const auto& m : c.members) {
        json jm{{"name", m.name}};
        put_optional(jm, "phone", m.phone);
        put_optional(jm, "alias", m.alias);
        put_optional(jm, "email", m.email);
        if (m.owner)
            jm["owner"] = true;
        members.push_back(std::move(jm));
    }
    j["members"] = std::move(members);
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Conversation> parse_conversation_record(std::string_view text)
{
    try {
        const json j = json::parse(text);
        Conversation c;
        c.title = j.at("title").get<std::string>();
        c.group = j.at("group").get<bool>();
        get_optional(j, "jid", c.jid);
        for (const auto& jm : j.at("members")) {
            Person p;
            p.name = jm.at("name").get<std::string>();
            get_optional(jm, "phone", p.phone);
            get_optional(jm, "alias", p.alias);
            get_optional(jm, "email", p.email);
            p.owner = jm.value("owner", false);
            c.members.push_back(std::move(p));
        }
        return c;
    } catch (const json::exception& e) {
        return fail(ErrorCode::Parse, fmt::format("conversation record is damaged: {}", e.what()));
    }
}

std::string preview_record(const Item& item)
{
    std::string out;
    std::string_view text = item.text;
    const bool cut = text.size() > kPreviewTextBytes;
    if (cut) {
        std::size_t end = kPreviewTextBytes;
        while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
            --end;
        text = text.substr(0, end);
    }
    out.reserve(64 + text.size());
    RecordWriter w(out);
    w.open();
    w.field("a", item.author);
    w.field("t", text);
    if (cut)
        w.field("x", true);
    if (!item.attachments.empty()) {
        w.key("n");
        out += '[';
        for (std::size_t i = 0; i < item.attachments.size(); ++i) {
            if (i)
                out += ',';
            w.string(item.attachments[i].name);
        }
        out += ']';
    }
    if (item.call) {
        w.key("c");
        out +=
            fmt::format("[{},{}]", static_cast<int>(item.call->media), static_cast<int>(item.call->result));
    }
    w.close();
    return out;
}

Result<void> parse_preview_record(std::string_view text, Item& item, bool& complete)
{
    try {
        const json j = json::parse(text);
        item.clear();
        get_optional(j, "a", item.author);
        item.text = j.at("t").get<std::string>();
        complete = !j.value("x", false);
        if (const auto names = j.find("n"); names != j.end())
            for (const auto& n : *names) {
                Attachment a;
                a.name = n.get<std::string>();
                item.attachments.push_back(std::move(a));
            }
        if (const auto call = j.find("c"); call != j.end()) {
            CallInfo c;
            c.media = static_cast<CallMedia>(call->at(0).get<int>());
            c.result = static_cast<CallResult>(call->at(1).get<int>());
            item.call = c;
        }
        return {};
    } catch (const json::exception& e) {
        return fail(ErrorCode::Parse, fmt::format("damaged preview record: {}", e.what()));
    }
}

std::optional<std::vector<std::string_view>> split_records(std::span<const std::uint8_t> plain)
{
    std::vector<std::string_view> records;
    for (std::size_t pos = 0; pos + 4 <= plain.size();) {
        const std::uint32_t n = plain[pos] | plain[pos + 1] << 8 | plain[pos + 2] << 16 |
                                static_cast<std::uint32_t>(plain[pos + 3]) << 24;
        pos += 4;
        if (n > plain.size() - pos)
            return std::nullopt;
        records.emplace_back(reinterpret_cast<const char*>(plain.data() + pos), n);
        pos += n;
    }
    return records;
}

}  // namespace cv::archive::detail

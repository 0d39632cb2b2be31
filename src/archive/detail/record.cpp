#include "archive/detail/record.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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
    for (const auto k : {SourceKind::ChatExport, SourceKind::AndroidDatabase, SourceKind::IosDatabase,
                         SourceKind::CloudApi})
        if (to_string(k) == s)
            return k;
    return SourceKind::ChatExport;
}

}  // namespace

std::string item_record(const Item& item, const RenderContext& context)
{
    json j;
    j["v"] = 1;
    j["message_id"] = context.message_id;
    j["source"] = to_string(context.source);
    j["tz"] = context.time_zone;
    j["domain"] = context.domain;
    j["index"] = item.index;
    j["line"] = item.line;
    j["kind"] = static_cast<int>(item.kind);
    put_optional(j, "author", item.author);
    const auto& w = item.wall_clock;
    j["wall"] = {w.year, w.month, w.day, w.hour, w.minute, w.second};
    j["wall_text"] = item.wall_clock_text;
    j["utc"] = item.utc;
    j["dst"] = static_cast<int>(item.dst);
    j["text"] = item.text;
    json atts = json::array();
    for (const auto& a : item.attachments) {
        json ja{{"name", a.name}, {"type", static_cast<int>(a.type)}, {"present", a.present}, {"omitted", a.omitted}};
        if (!a.locator.empty())
            ja["locator"] = a.locator;
        put_optional(ja, "size", a.size);
        if (!a.mime_type.empty())
            ja["mime"] = a.mime_type;
        put_optional(ja, "inline", a.inline_data);
        atts.push_back(std::move(ja));
    }
    j["attachments"] = std::move(atts);
    j["deleted"] = item.deleted;
    j["edited"] = item.edited;
    j["placeholder"] = static_cast<int>(item.placeholder);
    if (item.location) {
        const auto& l = *item.location;
        json jl{{"url", l.url}, {"live", l.live}};
        put_optional(jl, "lat", l.latitude);
        put_optional(jl, "lon", l.longitude);
        put_optional(jl, "venue", l.venue);
        j["location"] = std::move(jl);
    }
    if (item.call) {
        json jc{{"media", static_cast<int>(item.call->media)}, {"result", static_cast<int>(item.call->result)}};
        put_optional(jc, "outgoing", item.call->outgoing);
        put_optional(jc, "duration", item.call->duration_seconds);
        j["call"] = std::move(jc);
    }
    put_optional(j, "key_id", item.key_id);
    put_optional(j, "sender_id", item.sender_id);
    if (item.quoted) {
        json jq{{"text", item.quoted->text}};
        put_optional(jq, "key_id", item.quoted->key_id);
        put_optional(jq, "sender_id", item.quoted->sender_id);
        put_optional(jq, "author", item.quoted->author);
        j["quoted"] = std::move(jq);
    }
    if (item.forwarded)
        j["forwarded"] = true;
    // Item text is UTF-8 from the reader; replace rather than throw on anything else.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
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
            c.members.push_back(std::move(p));
        }
        return c;
    } catch (const json::exception& e) {
        return fail(ErrorCode::Parse, fmt::format("conversation record is damaged: {}", e.what()));
    }
}

}  // namespace cv::archive::detail

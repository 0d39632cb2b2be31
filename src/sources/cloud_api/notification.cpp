// parse_notification: the webhook JSON (spec §A.2–§A.10) into typed events. nlohmann::json
// throws on a value of the wrong type; every access goes through the helpers below, which throw
// a ShapeError naming the JSON path instead, caught once in parse_notification.

#include "sources/cloud_api/cloud_api.hpp"

#include <charconv>
#include <map>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace cv::cloud_api {

namespace {

using json = nlohmann::json;

struct ShapeError {
    std::string path;
    std::string what;
};

[[noreturn]] void shape(const std::string& path, std::string what)
{
    throw ShapeError{path, std::move(what)};
}

std::string at(const std::string& path, std::string_view key)
{
    return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

std::string at(const std::string& path, std::size_t i)
{
    return fmt::format("{}[{}]", path, i);
}

// The member, or null when absent or JSON null (Meta omits optional fields, some tools send null).
const json* member(const json& obj, std::string_view key)
{
    if (!obj.is_object())
        return nullptr;
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null())
        return nullptr;
    return &*it;
}

const json& object(const json& obj, std::string_view key, const std::string& path)
{
    const json* v = member(obj, key);
    if (!v)
        shape(at(path, key), "missing");
    if (!v->is_object())
        shape(at(path, key), fmt::format("expected an object, found {}", v->type_name()));
    return *v;
}

const json* opt_object(const json& obj, std::string_view key, const std::string& path)
{
    const json* v = member(obj, key);
    if (v && !v->is_object())
        shape(at(path, key), fmt::format("expected an object, found {}", v->type_name()));
    return v;
}

// An array member: absent is empty.
const json* array(const json& obj, std::string_view key, const std::string& path)
{
    const json* v = member(obj, key);
    if (v && !v->is_array())
        shape(at(path, key), fmt::format("expected an array, found {}", v->type_name()));
    return v;
}

// Strings, and numbers written where a string is documented (ids, phones, prices) as their text.
std::optional<std::string> opt_str(const json& obj, std::string_view key, const std::string& path)
{
    const json* v = member(obj, key);
    if (!v)
        return std::nullopt;
    if (v->is_string())
        return v->get<std::string>();
    if (v->is_number())
        return v->dump();
    if (v->is_boolean())
        return v->get<bool>() ? "true" : "false";
    shape(at(path, key), fmt::format("expected a string, found {}", v->type_name()));
}

std::string str(const json& obj, std::string_view key, const std::string& path)
{
    return opt_str(obj, key, path).value_or(std::string());
}

std::string required_str(const json& obj, std::string_view key, const std::string& path)
{
    auto s = opt_str(obj, key, path);
    if (!s)
        shape(at(path, key), "missing");
    return std::move(*s);
}

bool flag(const json& obj, std::string_view key, const std::string& path)
{
    const json* v = member(obj, key);
    if (!v)
        return false;
    if (v->is_boolean())
        return v->get<bool>();
    if (v->is_string())
        return v->get<std::string>() == "true";
    shape(at(path, key), fmt::format("expected a boolean, found {}", v->type_name()));
}

// Unix seconds written as a string (documented) or a number.
std::optional<std::int64_t> opt_time(const json& obj, std::string_view key, const std::string& path)
{
    const json* v = member(obj, key);
    if (!v)
        return std::nullopt;
    if (v->is_number_integer())
        return v->get<std::int64_t>();
    if (v->is_string()) {
        const std::string s = v->get<std::string>();
        std::int64_t out = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (ec == std::errc() && end == s.data() + s.size() && !s.empty())
            return out;
    }
    shape(at(path, key), "expected Unix seconds");
}

std::int64_t time_or_zero(const json& obj, std::string_view key, const std::string& path)
{
    return opt_time(obj, key, path).value_or(0);
}

std::vector<ErrorInfo> errors_of(const json& obj, const std::string& path)
{
    std::vector<ErrorInfo> out;
    const json* list = array(obj, "errors", path);
    if (!list)
        return out;
    const std::string base = at(path, "errors");
    for (std::size_t i = 0; i < list->size(); ++i) {
        const json& e = (*list)[i];
        const std::string p = at(base, i);
        if (!e.is_object())
            shape(p, "expected an object");
        ErrorInfo info;
        if (const json* c = member(e, "code"); c && c->is_number_integer())
            info.code = c->get<std::int64_t>();
        else if (c)
            info.code = std::atoll(str(e, "code", p).c_str());
        info.title = str(e, "title", p);
        info.message = str(e, "message", p);
        if (const json* d = opt_object(e, "error_data", p))
            info.details = str(*d, "details", at(p, "error_data"));
        out.push_back(std::move(info));
    }
    return out;
}

std::string describe(const std::vector<ErrorInfo>& errors)
{
    std::string out;
    for (const auto& e : errors) {
        if (!out.empty())
            out += "; ";
        out += fmt::format("error {}", e.code);
        const std::string& words = !e.details.empty() ? e.details : !e.message.empty() ? e.message : e.title;
        if (!words.empty())
            out += ": " + words;
    }
    return out;
}

// vCard 3.0 escaping of a property value.
std::string vescape(std::string_view s)
{
    std::string out;
    for (const char c : s) {
        if (c == '\\' || c == ',' || c == ';')
            out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        if (c == '\r')
            continue;
        out += c;
    }
    return out;
}

std::string vtype(const json& obj, const std::string& path)
{
    const std::string t = str(obj, "type", path);
    std::string clean;
    for (const char c : t)
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
            clean += c;
    return clean.empty() ? std::string() : ";TYPE=" + clean;
}

std::string vcard(const json& c, const std::string& path)
{
    std::string v = "BEGIN:VCARD\r\nVERSION:3.0\r\n";
    std::string formatted;
    if (const json* n = opt_object(c, "name", path)) {
        const std::string p = at(path, "name");
        formatted = str(*n, "formatted_name", p);
        v += fmt::format("N:{};{};{};{};{}\r\n", vescape(str(*n, "last_name", p)),
                         vescape(str(*n, "first_name", p)), vescape(str(*n, "middle_name", p)),
                         vescape(str(*n, "prefix", p)), vescape(str(*n, "suffix", p)));
        if (formatted.empty())
            formatted =
                str(*n, "first_name", p) + (member(*n, "last_name") ? " " + str(*n, "last_name", p) : "");
    }
    v += "FN:" + vescape(formatted) + "\r\n";
    if (const json* org = opt_object(c, "org", path)) {
        const std::string p = at(path, "org");
        const std::string company = str(*org, "company", p);
        const std::string dept = str(*org, "department", p);
        if (!company.empty() || !dept.empty())
            v += fmt::format("ORG:{};{}\r\n", vescape(company), vescape(dept));
        if (const std::string title = str(*org, "title", p); !title.empty())
            v += "TITLE:" + vescape(title) + "\r\n";
    }
    auto each = [&](std::string_view key, auto&& emit) {
        if (const json* list = array(c, key, path))
            for (std::size_t i = 0; i < list->size(); ++i) {
                const std::string p = at(at(path, key), i);
                if (!(*list)[i].is_object())
                    shape(p, "expected an object");
                emit((*list)[i], p);
            }
    };
    each("phones", [&](const json& ph, const std::string& p) {
        const std::string waid = str(ph, "wa_id", p);
        v += fmt::format("TEL{}{}:{}\r\n", vtype(ph, p), waid.empty() ? "" : ";waid=" + vescape(waid),
                         vescape(str(ph, "phone", p)));
    });
    each("emails", [&](const json& e, const std::string& p) {
        v += fmt::format("EMAIL{}:{}\r\n", vtype(e, p), vescape(str(e, "email", p)));
    });
    each("addresses", [&](const json& a, const std::string& p) {
        v += fmt::format("ADR{}:;;{};{};{};{};{}\r\n", vtype(a, p), vescape(str(a, "street", p)),
                         vescape(str(a, "city", p)), vescape(str(a, "state", p)), vescape(str(a, "zip", p)),
                         vescape(str(a, "country", p)));
    });
    each("urls", [&](const json& u, const std::string& p) {
        v += fmt::format("URL{}:{}\r\n", vtype(u, p), vescape(str(u, "url", p)));
    });
    if (const std::string bday = str(c, "birthday", path); !bday.empty())
        v += "BDAY:" + vescape(bday) + "\r\n";
    v += "END:VCARD\r\n";
    return v;
}

MediaType media_type_of(std::string_view type, const json& obj, const std::string& path)
{
    if (type == "image")
        return MediaType::Image;
    if (type == "video")
        return MediaType::Video;
    if (type == "audio")
        return flag(obj, "voice", path) ? MediaType::VoiceNote : MediaType::Audio;
    if (type == "document")
        return MediaType::Document;
    return MediaType::Sticker;
}

std::string coordinate(const json& obj, std::string_view key, const std::string& path)
{
    const json* v = member(obj, key);
    if (!v)
        shape(at(path, key), "missing");
    if (v->is_number())
        return v->dump();
    if (v->is_string())
        return v->get<std::string>();
    shape(at(path, key), fmt::format("expected a number, found {}", v->type_name()));
}

// "key: value" lines for every string-like member of a referral-like object, nested ones
// prefixed with their parent's name.
void flatten(const json& obj, const std::string& prefix, std::string& out, int depth = 0)
{
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        const std::string name = prefix.empty() ? it.key() : prefix + "." + it.key();
        if (it->is_object() && depth < 4)  // referrals nest one level; a bound keeps the stack small
            flatten(*it, name, out, depth + 1);
        else if (it->is_string() || it->is_number() || it->is_boolean())
            out += fmt::format("{}: {}\n", name, it->is_string() ? it->get<std::string>() : it->dump());
    }
}

// The payload of one message (also the new content inside an edit): fills text, media,
// location, vCards, target. Unknown types become unreadable placeholders.
void parse_content(const json& m, const std::string& path, MessageEvent& ev,
                   std::vector<std::string>& warnings, std::string_view type)
{
    const std::string tp = at(path, type);
    if (type == "text") {
        ev.text = required_str(object(m, "text", path), "body", tp);
    } else if (type == "image" || type == "video" || type == "audio" || type == "document" ||
               type == "sticker") {
        const json& o = object(m, type, path);
        Media media;
        media.type = media_type_of(type, o, tp);
        media.id = str(o, "id", tp);
        media.mime_type = str(o, "mime_type", tp);
        media.sha256 = str(o, "sha256", tp);
        media.filename = str(o, "filename", tp);
        media.url = str(o, "url", tp);
        media.voice = type == "audio" && flag(o, "voice", tp);
        media.animated = type == "sticker" && flag(o, "animated", tp);
        if (type == "sticker" && media.mime_type.empty())
            media.mime_type = "image/webp";
        ev.text = str(o, "caption", tp);
        ev.media = std::move(media);
    } else if (type == "location") {
        const json& o = object(m, "location", path);
        Location loc;
        loc.latitude = coordinate(o, "latitude", tp);
        loc.longitude = coordinate(o, "longitude", tp);
        loc.url = str(o, "url", tp);
        const std::string name = str(o, "name", tp);
        const std::string address = str(o, "address", tp);
        if (!name.empty() || !address.empty())
            loc.venue = address.empty() ? name
                        : name.empty()  ? address
                                        : fmt::format("{} ({})", name, address);
        ev.location = std::move(loc);
    } else if (type == "contacts") {
        const json* list = array(m, "contacts", path);
        if (!list)
            shape(tp, "missing");
        for (std::size_t i = 0; i < list->size(); ++i) {
            if (!(*list)[i].is_object())
                shape(at(tp, i), "expected an object");
            ev.vcards.push_back(vcard((*list)[i], at(tp, i)));
        }
    } else if (type == "interactive") {
        const json& o = object(m, "interactive", path);
        const std::string sub = required_str(o, "type", tp);
        const std::string sp = at(tp, sub);
        if (sub == "button_reply") {
            const json& b = object(o, sub, tp);
            ev.text = required_str(b, "title", sp);
        } else if (sub == "list_reply") {
            const json& l = object(o, sub, tp);
            ev.text = required_str(l, "title", sp);
            if (const std::string d = str(l, "description", sp); !d.empty())
                ev.text += "\n" + d;
        } else if (sub == "nfm_reply") {
            const json& f = object(o, sub, tp);
            const std::string body = str(f, "body", sp);
            const std::string name = str(f, "name", sp);
            ev.text =
                body.empty() ? fmt::format("Form reply{}", name.empty() ? "" : " (" + name + ")") : body;
            if (const std::string response = str(f, "response_json", sp); !response.empty())
                ev.text += "\n" + response;
        } else if (sub == "call_permission_reply") {
            const json& c = object(o, sub, tp);
            ev.text = fmt::format("Call permission: {}", str(c, "response", sp));
            if (const auto until = opt_time(c, "expiration_timestamp", sp))
                ev.text += fmt::format(" (until {})", format_utc(*until));
        } else {
            ev.text = fmt::format("Interactive reply ({})", sub);
            warnings.push_back(
                fmt::format("{}: interactive type {} unknown: kept as a placeholder", tp, sub));
        }
    } else if (type == "button") {
        const json& b = object(m, "button", path);
        ev.text = str(b, "text", tp);
        if (ev.text.empty())
            ev.text = str(b, "payload", tp);
    } else if (type == "reaction") {
        const json& r = object(m, "reaction", path);
        ev.target = required_str(r, "message_id", tp);
        ev.emoji = str(r, "emoji", tp);
        ev.text = ev.emoji->empty() ? "Reaction removed" : "Reaction: " + *ev.emoji;
    } else if (type == "order") {
        const json& o = object(m, "order", path);
        std::string text = fmt::format("Order (catalog {})", str(o, "catalog_id", tp));
        if (const json* items = array(o, "product_items", tp))
            for (std::size_t i = 0; i < items->size(); ++i) {
                const std::string ip = at(at(tp, "product_items"), i);
                if (!(*items)[i].is_object())
                    shape(ip, "expected an object");
                const json& it = (*items)[i];
                text += fmt::format("\n{} x {} at {} {}", str(it, "quantity", ip),
                                    str(it, "product_retailer_id", ip), str(it, "item_price", ip),
                                    str(it, "currency", ip));
            }
        if (const std::string note = str(o, "text", tp); !note.empty())
            text += "\n" + note;
        ev.text = std::move(text);
    } else if (type == "system") {
        const json& s = object(m, "system", path);
        ev.system = true;
        ev.text = str(s, "body", tp);
        if (ev.text.empty())
            ev.text = fmt::format("System event: {}", str(s, "type", tp));
        // A changed number or BSUID names the new identity (§A.9): keep it readable.
        if (const std::string wa = str(s, "wa_id", tp); !wa.empty())
            ev.text += fmt::format("\nnew number: +{}", wa);
        if (const std::string uid = str(s, "user_id", tp); !uid.empty())
            ev.text += fmt::format("\nnew user id: {}", uid);
    } else if (type == "request_welcome") {
        ev.system = true;
        ev.text = "The customer opened the chat for the first time";
    } else if (type == "unsupported" || type == "unknown") {
        ev.unreadable = true;
        std::string what;
        if (const json* u = opt_object(m, "unsupported", path))
            what = str(*u, "type", at(path, "unsupported"));
        ev.text =
            what.empty()
                ? "Unsupported message: its content was not delivered by WhatsApp"
                : fmt::format("Unsupported message ({}): its content was not delivered by WhatsApp", what);
    } else if (type == "edit" || type == "revoke") {
        const json& o = object(m, type, path);
        ev.target = required_str(o, "original_message_id", tp);
        if (type == "revoke") {
            ev.text = "Deleted for everyone";
            return;
        }
        const json& inner = object(o, "message", tp);
        const std::string ip = at(tp, "message");
        ev.edit_type = required_str(inner, "type", ip);
        if (ev.edit_type == "edit" || ev.edit_type == "revoke")
            shape(at(ip, "type"), "an edit cannot hold another edit or revoke");
        const std::optional<std::string> saved_target = ev.target;
        parse_content(inner, ip, ev, warnings, ev.edit_type);
        ev.target = saved_target;
    } else {
        ev.unreadable = true;
        ev.text = fmt::format("Message of type {}: not understood by this archiver", type);
        warnings.push_back(fmt::format("{}: message type {} unknown: kept as a placeholder", path, type));
    }
}

struct Contacts {
    std::map<std::string, Party> by_phone;
    std::map<std::string, Party> by_bsuid;

    // Fills what the value's contacts[] know about this party (name, the other identity).
    void complete(Party& p) const
    {
        const Party* c = nullptr;
        if (p.phone)
            if (auto it = by_phone.find(*p.phone); it != by_phone.end())
                c = &it->second;
        if (!c && p.bsuid)
            if (auto it = by_bsuid.find(*p.bsuid); it != by_bsuid.end())
                c = &it->second;
        if (!c)
            return;
        if (!p.phone)
            p.phone = c->phone;
        if (!p.bsuid)
            p.bsuid = c->bsuid;
        if (!p.parent_bsuid)
            p.parent_bsuid = c->parent_bsuid;
        if (p.name.empty())
            p.name = c->name;
        if (p.username.empty())
            p.username = c->username;
    }
};

Contacts contacts_of(const json& value, const std::string& path)
{
    Contacts out;
    const json* list = array(value, "contacts", path);
    if (!list)
        return out;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string p = at(at(path, "contacts"), i);
        const json& c = (*list)[i];
        if (!c.is_object())
            shape(p, "expected an object");
        Party party;
        party.phone = opt_str(c, "wa_id", p);
        party.bsuid = opt_str(c, "user_id", p);
        party.parent_bsuid = opt_str(c, "parent_user_id", p);
        if (const json* profile = opt_object(c, "profile", p)) {
            party.name = str(*profile, "name", at(p, "profile"));
            party.username = str(*profile, "username", at(p, "profile"));
        }
        if (party.phone)
            out.by_phone[*party.phone] = party;
        if (party.bsuid)
            out.by_bsuid[*party.bsuid] = party;
    }
    return out;
}

MessageEvent parse_message(const json& m, const std::string& path, Direction direction,
                           const Contacts& contacts, std::vector<std::string>& warnings)
{
    if (!m.is_object())
        shape(path, "expected an object");
    MessageEvent ev;
    ev.direction = direction;
    ev.wamid = required_str(m, "id", path);
    if (ev.wamid.empty())
        shape(at(path, "id"), "empty");
    ev.type = required_str(m, "type", path);
    ev.timestamp = time_or_zero(m, "timestamp", path);
    ev.from.phone = opt_str(m, "from", path);
    ev.from.bsuid = opt_str(m, "from_user_id", path);
    ev.from.parent_bsuid = opt_str(m, "from_parent_user_id", path);
    ev.to.phone = opt_str(m, "to", path);
    ev.to.bsuid = opt_str(m, "to_user_id", path);
    ev.group_id = opt_str(m, "group_id", path);
    if (direction == Direction::Inbound)
        contacts.complete(ev.from);
    else
        contacts.complete(ev.to);
    if (const json* ctx = opt_object(m, "context", path)) {
        const std::string cp = at(path, "context");
        ev.reply_to = opt_str(*ctx, "id", cp);
        ev.reply_to_from = opt_str(*ctx, "from", cp);
        ev.forwarded = flag(*ctx, "forwarded", cp);
        ev.frequently_forwarded = flag(*ctx, "frequently_forwarded", cp);
        if (const json* product = opt_object(*ctx, "referred_product", cp))
            flatten(*product, "referred_product", ev.referral);
    }
    if (const json* referral = opt_object(m, "referral", path))
        flatten(*referral, "referral", ev.referral);
    ev.errors = errors_of(m, path);
    parse_content(m, path, ev, warnings, ev.type);
    if (!ev.errors.empty()) {
        const std::string what = describe(ev.errors);
        if (ev.text.empty()) {
            ev.unreadable = true;
            ev.text = "Unreadable message: " + what;
        } else {
            ev.text += fmt::format("\n[{}]", what);
        }
    }
    ev.idempotency_key = fmt::format("{}|{}", ev.wamid, ev.type);
    return ev;
}

StatusEvent parse_status(const json& s, const std::string& path)
{
    if (!s.is_object())
        shape(path, "expected an object");
    StatusEvent ev;
    ev.id = required_str(s, "id", path);
    ev.status = required_str(s, "status", path);
    ev.type = str(s, "type", path);
    ev.timestamp = time_or_zero(s, "timestamp", path);
    const std::string recipient = str(s, "recipient_id", path);
    if (str(s, "recipient_type", path) == "group")
        ev.group_id = recipient;
    else if (!recipient.empty())
        ev.recipient.phone = recipient;
    ev.recipient.bsuid = opt_str(s, "recipient_user_id", path);
    ev.recipient.parent_bsuid = opt_str(s, "parent_recipient_user_id", path);
    ev.errors = errors_of(s, path);
    ev.idempotency_key = fmt::format("{}|{}", ev.id, ev.status);
    return ev;
}

CallEvent parse_call(const json& c, const std::string& path)
{
    if (!c.is_object())
        shape(path, "expected an object");
    CallEvent ev;
    ev.wacid = required_str(c, "id", path);
    ev.event = required_str(c, "event", path);
    ev.direction = str(c, "direction", path);
    ev.status = str(c, "status", path);
    ev.from.phone = opt_str(c, "from", path);
    ev.from.bsuid = opt_str(c, "from_user_id", path);
    ev.to.phone = opt_str(c, "to", path);
    ev.to.bsuid = opt_str(c, "to_user_id", path);
    ev.timestamp = time_or_zero(c, "timestamp", path);
    ev.start_time = opt_time(c, "start_time", path);
    ev.end_time = opt_time(c, "end_time", path);
    ev.duration = opt_time(c, "duration", path);
    ev.idempotency_key = fmt::format("{}|{}", ev.wacid, ev.event);
    return ev;
}

template <class Fn> void each(const json& obj, std::string_view key, const std::string& path, Fn&& fn)
{
    const json* list = array(obj, key, path);
    if (!list)
        return;
    const std::string base = at(path, key);
    for (std::size_t i = 0; i < list->size(); ++i)
        fn((*list)[i], at(base, i));
}

void parse_history(const json& value, const std::string& path, const Contacts& contacts, Change& change,
                   std::vector<std::string>& warnings)
{
    each(value, "history", path, [&](const json& h, const std::string& hp) {
        if (!h.is_object())
            shape(hp, "expected an object");
        std::optional<std::int64_t> phase, chunk;
        if (const json* meta = opt_object(h, "metadata", hp)) {
            phase = opt_time(*meta, "phase", at(hp, "metadata"));
            chunk = opt_time(*meta, "chunk_order", at(hp, "metadata"));
        }
        for (auto& e : errors_of(h, hp))
            change.errors.push_back(std::move(e));
        each(h, "threads", hp, [&](const json& t, const std::string& tp) {
            if (!t.is_object())
                shape(tp, "expected an object");
            const std::string thread = str(t, "id", tp);
            each(t, "messages", tp, [&](const json& m, const std::string& mp) {
                // Messages the business sent come from our own number; the thread names the customer.
                const bool ours = m.is_object() && !change.display_phone_number.empty() &&
                                  str(m, "from", mp) == change.display_phone_number;
                MessageEvent ev =
                    parse_message(m, mp, ours ? Direction::Outbound : Direction::Inbound, contacts, warnings);
                if (ours && !ev.to.phone && !ev.to.bsuid && !thread.empty())
                    ev.to.phone = thread;
                if (!ours && !ev.from.phone && !ev.from.bsuid && !thread.empty())
                    ev.from.phone = thread;
                if (const json* hc = opt_object(m, "history_context", mp))
                    ev.history_status = str(*hc, "status", at(mp, "history_context"));
                ev.history_phase = phase;
                ev.history_chunk = chunk;
                ev.idempotency_key =
                    fmt::format("{}|{}|{}|{}", phase.value_or(-1), chunk.value_or(-1), ev.wamid, ev.type);
                change.messages.push_back(std::move(ev));
            });
        });
    });
}

const std::unordered_set<std::string_view> kArchived = {"messages", "calls", "smb_message_echoes", "history"};

Notification parse(const json& root)
{
    Notification n;
    if (!root.is_object())
        shape("(root)", fmt::format("expected an object, found {}", root.type_name()));
    const std::string object_kind = required_str(root, "object", "");
    if (object_kind != "whatsapp_business_account")
        shape("object", fmt::format("\"{}\" is not a WhatsApp Business Account notification", object_kind));
    each(root, "entry", "", [&](const json& entry, const std::string& ep) {
        if (!entry.is_object())
            shape(ep, "expected an object");
        const std::string waba = str(entry, "id", ep);
        each(entry, "changes", ep, [&](const json& ch, const std::string& cp) {
            if (!ch.is_object())
                shape(cp, "expected an object");
            Change change;
            change.field = required_str(ch, "field", cp);
            if (!kArchived.contains(change.field)) {
                n.warnings.push_back(fmt::format("{}: field {} is not content: skipped", cp, change.field));
                return;
            }
            change.waba_id = waba;
            const std::string vp = at(cp, "value");
            const json& value = object(ch, "value", cp);
            if (const json* meta = opt_object(value, "metadata", vp)) {
                change.phone_number_id = str(*meta, "phone_number_id", at(vp, "metadata"));
                change.display_phone_number = str(*meta, "display_phone_number", at(vp, "metadata"));
                // "+1 555-0100" in some examples: digits only, like every other number here.
                std::string digits;
                for (const char c : change.display_phone_number)
                    if (c >= '0' && c <= '9')
                        digits += c;
                change.display_phone_number = std::move(digits);
            }
            const Contacts contacts = contacts_of(value, vp);
            each(value, "messages", vp, [&](const json& m, const std::string& mp) {
                change.messages.push_back(parse_message(m, mp, Direction::Inbound, contacts, n.warnings));
            });
            each(value, "message_echoes", vp, [&](const json& m, const std::string& mp) {
                MessageEvent ev = parse_message(m, mp, Direction::Outbound, contacts, n.warnings);
                ev.idempotency_key = "echo|" + ev.idempotency_key;
                change.messages.push_back(std::move(ev));
            });
            if (change.field == "history")
                parse_history(value, vp, contacts, change, n.warnings);
            each(value, "statuses", vp, [&](const json& s, const std::string& sp) {
                change.statuses.push_back(parse_status(s, sp));
            });
            each(value, "calls", vp, [&](const json& c, const std::string& callp) {
                change.calls.push_back(parse_call(c, callp));
            });
            change.errors = errors_of(value, vp);
            for (const auto& e : change.errors)
                n.warnings.push_back(fmt::format("{}: error {} reported for the whole change: {}", vp, e.code,
                                                 !e.details.empty() ? e.details : e.message));
            n.changes.push_back(std::move(change));
        });
    });
    return n;
}

}  // namespace

std::vector<std::string> Notification::media_ids() const
{
    std::vector<std::string> out;
    for (const auto& c : changes)
        for (const auto& m : c.messages)
            if (m.media && !m.media->id.empty())
                out.push_back(m.media->id);
    return out;
}

Result<Notification> parse_notification(std::string_view raw_body)
{
    json root = json::parse(raw_body.begin(), raw_body.end(), nullptr, /*allow_exceptions=*/false);
    if (root.is_discarded())
        return fail(ErrorCode::Parse, "webhook body is not JSON");
    try {
        return parse(root);
    } catch (const ShapeError& e) {
        return fail(ErrorCode::Parse, fmt::format("{}: {}", e.path, e.what));
    } catch (const std::exception& e) {
        return fail(ErrorCode::Parse, fmt::format("webhook body: {}", e.what()));
    }
}

}  // namespace cv::cloud_api

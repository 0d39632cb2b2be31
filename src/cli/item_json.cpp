#include "cli/item_json.hpp"

#include <cstring>

namespace cv::cli {

namespace {

// Everything after "text" once the fixed part is written; rare parts (attachments, location,
// call, placeholder) go through the generic calls, so this is shared by both writers.
void write_tail(JsonWriter& w, const Item& item, std::string_view chat, std::string_view chat_title)
{
    w.begin_array("attachments");
    for (const auto& a : item.attachments) {
        w.begin_object();
        w.field("name", a.name);
        w.field("type", to_string(a.type));
        w.field("present", a.present);
        if (a.omitted)
            w.field("omitted", true);
        if (!a.locator.empty())
            w.field("locator", a.locator);
        if (a.size)
            w.field("size", static_cast<std::int64_t>(*a.size));
        w.end_object();
    }
    w.end_array();
    w.field("deleted", item.deleted);
    w.field("edited", item.edited);
    if (item.placeholder != Placeholder::None)
        w.field("placeholder", to_string(item.placeholder));
    if (item.location) {
        const auto& l = *item.location;
        w.key("location");
        w.begin_object();
        w.field("url", l.url);
        if (l.latitude)
            w.field("latitude", *l.latitude);
        if (l.longitude)
            w.field("longitude", *l.longitude);
        if (l.venue)
            w.field("venue", *l.venue);
        w.field("live", l.live);
        w.end_object();
    }
    if (item.call) {
        w.key("call");
        w.begin_object();
        w.field("media", to_string(item.call->media));
        w.field("result", to_string(item.call->result));
        if (item.call->outgoing)
            w.field("outgoing", *item.call->outgoing);
        if (item.call->duration_seconds)
            w.field("duration", static_cast<std::int64_t>(*item.call->duration_seconds));
        w.end_object();
    }
    // What phone databases add to the contract: the chat, the message key and its parts.
    if (!chat.empty())
        w.field("chat", chat);
    if (!chat_title.empty())
        w.field("chat_title", chat_title);
    if (item.from_me)
        w.field("from_me", *item.from_me);
    if (item.key_id)
        w.field("key_id", *item.key_id);
    if (item.row)
        w.field("row", *item.row);
    if (item.sender_id)
        w.field("sender", *item.sender_id);
    if (item.forwarded)
        w.field("forwarded", true);
    if (item.quoted) {
        const auto& q = *item.quoted;
        w.key("quoted");
        w.begin_object();
        if (q.key_id)
            w.field("key_id", *q.key_id);
        if (q.sender_id)
            w.field("sender", *q.sender_id);
        if (q.author)
            w.field("author", *q.author);
        w.field("text", q.text);
        w.end_object();
    }
    w.end_object();
    w.end_line();
}

char* put(char* p, std::string_view s)
{
    std::memcpy(p, s.data(), s.size());
    return p + s.size();
}

// Decimal digits, two at a time from the end once the length is known. std::to_chars does the
// same but finds the length by repeated division; indexes and line numbers are two per item.
char* put_number(char* p, std::uint64_t v)
{
    static constexpr char kPairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    std::size_t n = 1;
    for (std::uint64_t limit = 10; n < 20 && v >= limit; limit *= 10)
        ++n;
    char* end = p + n;
    char* q = end;
    while (v >= 100) {
        const auto i = static_cast<std::size_t>(v % 100) * 2;
        v /= 100;
        q -= 2;
        q[0] = kPairs[i];
        q[1] = kPairs[i + 1];
    }
    if (v >= 10) {
        q[-2] = kPairs[v * 2];
        q[-1] = kPairs[v * 2 + 1];
    } else {
        q[-1] = static_cast<char>('0' + v);
    }
    return end;
}

}  // namespace

void write_item_reference(JsonWriter& w, const Item& item, std::string_view chat, std::string_view chat_title)
{
    w.begin_object();
    w.field("index", static_cast<std::int64_t>(item.index));
    w.field("line", static_cast<std::int64_t>(item.line));
    w.plain_field("kind", to_string(item.kind));
    w.key("author");
    if (item.author)
        w.string(*item.author);
    else
        w.null();
    w.plain_field("wall_clock", format_iso(item.wall_clock));
    w.plain_field("utc", format_utc(item.utc));
    if (item.dst != DstResolution::Unique)
        w.field("dst", to_string(item.dst));
    w.field("text", item.text);
    write_tail(w, item, chat, chat_title);
}

void ItemWriter::write(const Item& item, std::string_view chat, std::string_view chat_title)
{
    // The JSON numbers are signed: the generic writer prints indexes as int64.
    const auto as_signed = [](std::uint64_t v) { return static_cast<std::int64_t>(v) < 0; };
    const std::size_t author_size = item.author ? item.author->size() : 0;
    // Fixed text, two numbers, kind, two stamps and the optional dst come to well under 256
    // bytes; the strings at their worst escape.
    const std::size_t bound = 256 + escaped_bound(author_size) + escaped_bound(item.text.size());
    if (bound > JsonWriter::kCapacity || as_signed(item.index) || as_signed(item.line)) {
        write_item_reference(w_, item, chat, chat_title);  // a huge message (or an absurd number): rare
        return;
    }
    char* p = w_.reserve(bound);
    p = put(p, "{\"index\":");
    p = put_number(p, item.index);
    p = put(p, ",\"line\":");
    p = put_number(p, item.line);
    p = put(p, ",\"kind\":\"");
    p = put(p, to_string(item.kind));
    if (item.author) {
        p = put(p, "\",\"author\":\"");
        p = write_escaped(p, *item.author);
        p = put(p, "\",\"wall_clock\":\"");
    } else {
        p = put(p, "\",\"author\":null,\"wall_clock\":\"");
    }
    stamps_.iso(item.wall_clock, p);
    p += kIsoLength;
    p = put(p, "\",\"utc\":\"");
    stamps_.utc(item.utc, p);
    p += kUtcLength;
    if (item.dst != DstResolution::Unique) {
        p = put(p, "\",\"dst\":\"");
        p = put(p, to_string(item.dst));
    }
    p = put(p, "\",\"text\":\"");
    p = write_escaped(p, item.text);
    const bool database_fields = !chat.empty() || !chat_title.empty() || item.from_me || item.key_id ||
                                 item.row || item.sender_id || item.forwarded || item.quoted;
    if (item.attachments.empty() && item.placeholder == Placeholder::None && !item.location && !item.call &&
        !database_fields) {
        // Nearly every item: the rest is fixed text too.
        p = put(p, "\",\"attachments\":[],\"deleted\":");
        p = put(p, item.deleted ? std::string_view("true") : std::string_view("false"));
        p = put(p, ",\"edited\":");
        p = put(p, item.edited ? std::string_view("true}") : std::string_view("false}"));
        w_.commit(p, false);
        w_.end_line();
        return;
    }
    *p++ = '"';
    w_.commit(p, false);
    write_tail(w_, item, chat, chat_title);
}

}  // namespace cv::cli

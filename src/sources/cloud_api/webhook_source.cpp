// WebhookSource: every notification is parsed and turned into items at construction (the
// import copies conversations() before the first next()), so conversations and people are
// known whole, whatever order the deliveries came in.

#include "sources/cloud_api/cloud_api.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "core/digest.hpp"
#include "core/utf8.hpp"

namespace cv::cloud_api {

namespace {

constexpr std::string_view kMediaPrefix = "media:";
constexpr std::size_t kMaxWarnings = 1000;

std::string lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

LocalDateTime utc_wall_clock(std::int64_t t)
{
    const std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    const std::int64_t secs = t - days * 86400;
    const CivilDate d = civil_from_days(days);
    LocalDateTime w;
    w.year = static_cast<int>(d.year);
    w.month = d.month;
    w.day = d.day;
    w.hour = static_cast<int>(secs / 3600);
    w.minute = static_cast<int>(secs / 60 % 60);
    w.second = static_cast<int>(secs % 60);
    return w;
}

std::string extension_for(std::string_view mime)
{
    static const std::map<std::string_view, std::string_view> kExt = {
        {"image/jpeg", "jpg"}, {"image/png", "png"},       {"image/webp", "webp"}, {"image/gif", "gif"},
        {"video/mp4", "mp4"},  {"video/3gpp", "3gp"},      {"audio/ogg", "ogg"},   {"audio/mpeg", "mp3"},
        {"audio/aac", "aac"},  {"audio/mp4", "m4a"},       {"audio/amr", "amr"},   {"application/pdf", "pdf"},
        {"text/plain", "txt"}, {"application/zip", "zip"}, {"text/vcard", "vcf"},
    };
    const std::string_view base = mime.substr(0, mime.find(';'));
    if (const auto it = kExt.find(base); it != kExt.end())
        return std::string(it->second);
    return "bin";
}

// The sender's file name, safe as a MIME file name and a path component: the last path
// segment, without control characters, leading dots or spaces, at most 200 bytes.
std::string sanitize_filename(std::string_view raw)
{
    const auto slash = raw.find_last_of("/\\");
    if (slash != std::string_view::npos)
        raw.remove_prefix(slash + 1);
    std::string clean;
    for (const char c : utf8::sanitize(raw)) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F || c == ':' || c == '*' || c == '?' || c == '"' || c == '<' || c == '>' ||
            c == '|')
            clean += '_';
        else
            clean += c;
    }
    const auto start = clean.find_first_not_of(". ");
    clean = start == std::string::npos ? std::string() : clean.substr(start);
    if (clean.size() > 200) {
        std::size_t cut = 200;
        while (cut > 0 && (static_cast<unsigned char>(clean[cut]) & 0xC0) == 0x80)
            --cut;  // never split a UTF-8 sequence
        clean.resize(cut);
    }
    return clean;
}

std::string_view word_for(MediaType t)
{
    switch (t) {
    case MediaType::Image: return "image";
    case MediaType::Video: return "video";
    case MediaType::Audio: return "audio";
    case MediaType::VoiceNote: return "voice";
    case MediaType::Sticker: return "sticker";
    case MediaType::Document: return "document";
    default: return "media";
    }
}

std::string vcard_name(std::string_view vcard)
{
    const auto fn = vcard.find("\r\nFN:");
    if (fn == std::string_view::npos)
        return {};
    const auto start = fn + 5;
    return std::string(vcard.substr(start, vcard.find("\r\n", start) - start));
}

struct PersonFacts {
    Person person;
    std::int64_t name_time = -1;  // when the name was given: the latest wins
    std::string username;
};

struct ConvFacts {
    Conversation conv;
    std::set<std::string> member_keys;
};

struct Pending {
    std::size_t conversation = 0;
    std::int64_t utc = 0;
    std::uint64_t seq = 0;   // arrival order, for events of the same second
    bool follow_up = false;  // reaction, edit, revoke: not the message their key quotes
    Item item;
};

}  // namespace

struct WebhookSource::State {
    MediaOpener opener;
    std::vector<Conversation> conversations;
    std::vector<std::string> warnings;
    std::uint64_t warnings_dropped = 0;
    std::uint64_t statuses = 0;
    std::uint64_t duplicates = 0;
    std::vector<Pending> items;  // sorted by conversation, then time, then arrival
    std::size_t pos = 0;
    std::uint64_t index = 0;

    // Build-time state.
    std::unordered_map<std::string, std::string> phone_of_bsuid;
    std::unordered_map<std::string, PersonFacts> people;   // person key → facts
    std::map<std::string, ConvFacts> convs;                // our conversation key → facts
    std::unordered_set<std::string> seen;                  // idempotency keys of calls and statuses
    std::unordered_map<std::string, std::size_t> item_of;  // (wamid, type) → index in items
    std::map<std::string, std::uint64_t> status_counts;

    void warn(std::string message)
    {
        if (warnings.size() < kMaxWarnings)
            warnings.push_back(std::move(message));
        else
            ++warnings_dropped;
    }

    void learn_alias(const Party& p)
    {
        if (p.phone && !p.phone->empty() && p.bsuid && !p.bsuid->empty())
            phone_of_bsuid.emplace(*p.bsuid, *p.phone);
        if (p.phone && !p.phone->empty() && p.parent_bsuid && !p.parent_bsuid->empty())
            phone_of_bsuid.emplace(*p.parent_bsuid, *p.phone);
    }

    // The person key of a customer (§E.1): phone digits, else the BSUID alias; "" when neither.
    std::string key_of(const Party& p) const
    {
        if (p.phone && !p.phone->empty())
            return *p.phone;
        for (const auto* id : {&p.bsuid, &p.parent_bsuid})
            if (*id && !(*id)->empty()) {
                if (auto it = phone_of_bsuid.find(**id); it != phone_of_bsuid.end())
                    return it->second;
            }
        if (p.bsuid && !p.bsuid->empty())
            return "bsuid-" + lower(*p.bsuid);
        return {};
    }

    const Person& person(const Party& p, std::int64_t when)
    {
        const std::string key = key_of(p);
        auto [it, fresh] = people.try_emplace(key);
        PersonFacts& f = it->second;
        if (fresh) {
            if (!key.empty() && key.find_first_not_of("0123456789") == std::string::npos)
                f.person.phone = "+" + key;
            else
                f.person.alias = key.empty() ? std::string("unknown") : key;
        }
        const std::string& name = !p.name.empty() ? p.name : p.username;
        if (!name.empty() && (when > f.name_time || (when == f.name_time && name > f.person.name))) {
            f.person.name = name;
            f.name_time = when;
        }
        if (f.person.name.empty())
            f.person.name = f.person.phone ? *f.person.phone : *f.person.alias;
        return f.person;
    }

    static Person owner_of(const Change& c)
    {
        Person owner;
        owner.owner = true;
        if (!c.display_phone_number.empty()) {
            owner.phone = "+" + c.display_phone_number;
            owner.name = *owner.phone;
        } else {
            owner.alias =
                "business-" + (c.phone_number_id.empty() ? std::string("unknown") : c.phone_number_id);
            owner.name = *owner.alias;
        }
        return owner;
    }

    // Our key of the conversation (final indexes are given in finish()).
    std::string conversation(const Change& change, const std::optional<std::string>& group_id,
                             const Person& customer)
    {
        const Person owner = owner_of(change);
        const std::string ours = group_id ? fmt::format("group|{}|{}", owner.key(), *group_id)
                                          : fmt::format("pair|{}|{}", owner.key(), customer.key());
        auto [it, fresh] = convs.try_emplace(ours);
        ConvFacts& f = it->second;
        if (fresh) {
            f.conv.group = group_id.has_value();
            if (group_id) {
                f.conv.jid = group_id->find('@') == std::string::npos ? *group_id + "@g.us" : *group_id;
                f.conv.title = "Group " + *group_id;
            }
            f.conv.members.push_back(owner);
            f.member_keys.insert(owner.key());
        }
        if (f.member_keys.insert(customer.key()).second)
            f.conv.members.push_back(customer);
        return ours;
    }

    void add_message(const Change& change, const MessageEvent& ev, std::int64_t received_at,
                     std::uint64_t seq);
    void add_call(const Change& change, const CallEvent& ev, std::int64_t received_at, std::uint64_t seq);
    void finish();

    // Conversation keys are only final when every event is in: items hold the key until then.
    std::vector<std::string> pending_conv_keys;
};

namespace {

Item base_item(std::int64_t utc)
{
    Item item;
    item.utc = utc;
    item.wall_clock = utc_wall_clock(utc);
    item.wall_clock_text = format_iso(item.wall_clock);
    return item;
}

}  // namespace

void WebhookSource::State::add_message(const Change& change, const MessageEvent& ev, std::int64_t received_at,
                                       std::uint64_t seq)
{
    // (wamid, type) identifies a message whichever field delivered it (a history chunk sent
    // twice, an echo repeated): one item.
    const std::string dedupe_key = fmt::format("m|{}|{}", ev.wamid, ev.type);
    if (auto known = item_of.find(dedupe_key); known != item_of.end()) {
        ++duplicates;
        // History sends media ids in later webhooks (§A.8): a repeat may name the media the
        // first copy could not.
        Item& kept = items[known->second].item;
        if (ev.media && !ev.media->id.empty())
            for (auto& a : kept.attachments)
                if (!a.inline_data && a.locator.empty())
                    a.locator = std::string(kMediaPrefix) + ev.media->id;
        return;
    }
    item_of.emplace(dedupe_key, items.size());
    const bool ours = ev.direction == Direction::Outbound;
    const Party& customer_party = ours ? ev.to : ev.from;
    const std::int64_t utc = ev.timestamp > 0 ? ev.timestamp : received_at;
    const Person customer = person(customer_party, utc);
    if (customer.alias && *customer.alias == "unknown")
        warn(fmt::format("message {}: no sender or recipient id: filed under an unknown party", ev.wamid));
    const Person owner = owner_of(change);

    Pending p;
    p.utc = utc;
    p.seq = seq;
    Item& item = p.item;
    item = base_item(utc);
    item.kind = ev.system ? ItemKind::System : ItemKind::Message;
    item.key_id = key_id_for_wamid(ev.wamid);
    item.from_me = ours;
    const Person& sender = ours ? owner : customer;
    item.sender_id = sender.key();
    if (!ev.system)
        item.author = sender.name;
    item.text = ev.text;
    item.forwarded = ev.forwarded || ev.frequently_forwarded;
    if (ev.unreadable)
        item.placeholder = Placeholder::Unrenderable;
    item.location = ev.location;

    const std::string& key = *item.key_id;
    if (ev.media) {
        const Media& m = *ev.media;
        Attachment a;
        a.type = m.type;
        a.mime_type = m.mime_type;
        a.name = sanitize_filename(m.filename);
        if (a.name.empty())
            a.name = fmt::format("{}-{}.{}", word_for(m.type), key, extension_for(m.mime_type));
        if (!m.id.empty())
            a.locator = std::string(kMediaPrefix) + m.id;
        item.attachments.push_back(std::move(a));
    }
    for (std::size_t i = 0; i < ev.vcards.size(); ++i) {
        Attachment a;
        a.type = MediaType::Contact;
        a.mime_type = "text/vcard";
        std::string name = sanitize_filename(vcard_name(ev.vcards[i]));
        a.name = (name.empty() ? fmt::format("contact-{}", i + 1) : name) + ".vcf";
        a.present = true;
        a.size = ev.vcards[i].size();
        a.inline_data = ev.vcards[i];
        item.attachments.push_back(std::move(a));
    }

    auto quote = [&](const std::string& wamid, const std::optional<std::string>& from) {
        Quote q;
        q.key_id = key_id_for_wamid(wamid);
        std::optional<std::string> quoted_sender = from;
        if (!quoted_sender || quoted_sender->empty()) {
            // No context.from (follow-ups): the wamid knows whether we sent it, and the 1:1 peer.
            if (const auto decoded = decode_wamid(wamid)) {
                if (decoded->from_me)
                    quoted_sender = change.display_phone_number;
                else if (!ev.group_id && !decoded->remote.empty())
                    quoted_sender = decoded->remote;
            }
        }
        if (quoted_sender && !quoted_sender->empty()) {
            const bool from_us = *quoted_sender == change.display_phone_number;
            const Person& who = from_us ? owner : person(Party{quoted_sender, {}, {}, {}, {}}, 0);
            q.sender_id = who.key();
            q.author = who.name;
        }
        return q;
    };
    if (ev.target) {
        // A follow-up (§E.4 a): its own item, quoting the original it changes.
        item.quoted = quote(*ev.target, std::nullopt);
        p.follow_up = true;
        if (ev.type == "edit")
            item.edited = true;
    } else if (ev.reply_to) {
        item.quoted = quote(*ev.reply_to, ev.reply_to_from);
    }
    // Not the sender's words, so after them and marked (§A.5).
    std::string extra;
    if (ev.frequently_forwarded)
        extra += "forwarded many times\n";
    extra += ev.referral;
    if (!ev.history_status.empty())
        extra += fmt::format("history status: {}\n", ev.history_status);
    if (!extra.empty()) {
        if (!item.text.empty())
            item.text += "\n\n";
        item.text += "[WhatsApp Cloud API]\n" + extra;
        if (item.text.back() == '\n')
            item.text.pop_back();
    }
    if (item.text.empty() && item.attachments.empty() && !item.location && !ev.media)
        item.text = fmt::format("({} message without content)", ev.type);

    pending_conv_keys.push_back(conversation(change, ev.group_id, customer));
    items.push_back(std::move(p));
}

void WebhookSource::State::add_call(const Change& change, const CallEvent& ev, std::int64_t received_at,
                                    std::uint64_t seq)
{
    if (!seen.insert("c|" + ev.idempotency_key).second) {
        ++duplicates;
        return;
    }
    if (ev.event != "terminate")
        return;  // one call item per wacid, at its end (§A.10)
    const bool ours = ev.direction == "BUSINESS_INITIATED";
    const Party& customer_party = ours ? ev.to : ev.from;
    const std::int64_t utc = ev.start_time.value_or(ev.timestamp > 0 ? ev.timestamp : received_at);
    const Person customer = person(customer_party, utc);
    const Person owner = owner_of(change);

    Pending p;
    p.utc = utc;
    p.seq = seq;
    Item& item = p.item;
    item = base_item(utc);
    item.kind = ItemKind::Call;
    // A wacid is base64 with '+', '/' and '=' and case that the Message-ID would fold: its hash
    // keeps calls apart in their own namespace (§E.3 "wa-call.").
    item.key_id = "C" + utf8::ascii_upper(to_hex(sha256(ev.wacid)).substr(0, 32));
    item.from_me = ours;
    const Person& caller = ours ? owner : customer;
    item.sender_id = caller.key();
    item.author = caller.name;
    CallInfo call;
    call.media = CallMedia::Voice;  // the Calling API carries voice only
    call.outgoing = ours;
    std::optional<std::int64_t> duration = ev.duration;
    if (!duration && ev.start_time && ev.end_time && *ev.end_time >= *ev.start_time)
        duration = *ev.end_time - *ev.start_time;
    if (duration && *duration >= 0)
        call.duration_seconds = static_cast<std::uint32_t>(std::min<std::int64_t>(*duration, UINT32_MAX));
    if (ev.status == "COMPLETED")
        call.result = CallResult::Answered;
    else if (ev.status == "FAILED")
        call.result = CallResult::Missed;
    item.call = call;
    pending_conv_keys.push_back(conversation(change, std::nullopt, customer));
    items.push_back(std::move(p));
}

void WebhookSource::State::finish()
{
    // Final conversation indexes: map order (stable whatever the arrival order).
    std::unordered_map<std::string, std::size_t> index_of;
    for (auto& [key, facts] : convs) {
        index_of.emplace(key, conversations.size());
        // Names are final only now: refresh members from the people table.
        for (auto& m : facts.conv.members)
            if (!m.owner)
                if (auto it = people.find(m.key()); it != people.end())
                    m.name = it->second.person.name;
        if (!facts.conv.group) {
            for (const auto& m : facts.conv.members)
                if (!m.owner) {
                    facts.conv.title = m.name;
                    if (m.phone)
                        facts.conv.jid = m.phone->substr(1) + "@s.whatsapp.net";
                }
        }
        conversations.push_back(facts.conv);
    }
    // The text a quote shows, when the quoted message is among these deliveries (the first
    // item with that key in the same conversation; follow-ups do not count as originals).
    std::unordered_map<std::string, std::size_t> original_of;
    for (std::size_t i = 0; i < items.size(); ++i)
        if (items[i].item.key_id && !items[i].follow_up)
            original_of.try_emplace(pending_conv_keys[i] + "\n" + *items[i].item.key_id, i);
    for (std::size_t i = 0; i < items.size(); ++i) {
        Pending& p = items[i];
        if (p.item.quoted && p.item.quoted->key_id && p.item.quoted->text.empty())
            if (auto o = original_of.find(pending_conv_keys[i] + "\n" + *p.item.quoted->key_id);
                o != original_of.end()) {
                const Item& original = items[o->second].item;
                p.item.quoted->text = original.text;
                if (!p.item.quoted->sender_id)
                    p.item.quoted->sender_id = original.sender_id;
            }
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
        Pending& p = items[i];
        p.conversation = index_of.at(pending_conv_keys[i]);
        // Authors too: a later delivery may have named the person.
        if (p.item.author && p.item.sender_id && !p.item.from_me.value_or(false))
            if (auto it = people.find(*p.item.sender_id); it != people.end())
                p.item.author = it->second.person.name;
        if (p.item.quoted && p.item.quoted->sender_id)
            if (auto it = people.find(*p.item.quoted->sender_id); it != people.end())
                p.item.quoted->author = it->second.person.name;
    }
    pending_conv_keys.clear();
    std::stable_sort(items.begin(), items.end(), [](const Pending& a, const Pending& b) {
        if (a.conversation != b.conversation)
            return a.conversation < b.conversation;
        if (a.utc != b.utc)
            return a.utc < b.utc;
        return a.seq < b.seq;
    });
    if (statuses > 0) {
        std::string counts;
        for (const auto& [status, n] : status_counts)
            counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", n, status);
        warn(fmt::format("{} status notifications ({}) counted, not archived: statuses carry no content",
                         statuses, counts));
    }
    if (duplicates > 0)
        warn(fmt::format("{} duplicate deliveries ignored", duplicates));
    if (warnings_dropped > 0)
        warnings.push_back(fmt::format("{} more warnings not shown", warnings_dropped));
}

std::unique_ptr<WebhookSource> WebhookSource::create(const std::vector<Received>& bodies, MediaOpener opener)
{
    auto s = std::make_unique<State>();
    s->opener = std::move(opener);
    std::vector<std::pair<Notification, std::int64_t>> parsed;
    for (std::size_t i = 0; i < bodies.size(); ++i) {
        auto n = parse_notification(bodies[i].body);
        if (!n) {
            s->warn(fmt::format("notification {} (received {}): skipped: {}", i,
                                format_utc(bodies[i].received_at), n.error().describe()));
            continue;
        }
        for (auto& w : n->warnings)
            s->warn(fmt::format("notification {}: {}", i, w));
        parsed.emplace_back(std::move(*n), bodies[i].received_at);
    }
    // Every alias first, so that a BSUID-only event files with the phone a later one reveals.
    for (const auto& [n, when] : parsed)
        for (const auto& c : n.changes) {
            for (const auto& m : c.messages) {
                s->learn_alias(m.from);
                s->learn_alias(m.to);
            }
            for (const auto& st : c.statuses)
                s->learn_alias(st.recipient);
        }
    std::uint64_t seq = 0;
    for (const auto& [n, when] : parsed)
        for (const auto& c : n.changes) {
            for (const auto& m : c.messages)
                s->add_message(c, m, when, seq++);
            for (const auto& call : c.calls)
                s->add_call(c, call, when, seq++);
            for (const auto& st : c.statuses) {
                if (!s->seen.insert("s|" + st.idempotency_key).second) {
                    ++s->duplicates;
                    continue;
                }
                ++s->statuses;
                ++s->status_counts[st.type == "call" ? "call " + st.status : st.status];
                if (st.status == "failed")
                    for (const auto& e : st.errors)
                        s->warn(fmt::format("outbound message {} failed: error {} {}", st.id, e.code,
                                            !e.details.empty() ? e.details : e.title));
            }
        }
    s->finish();
    return std::unique_ptr<WebhookSource>(new WebhookSource(std::move(s)));
}

WebhookSource::WebhookSource(std::unique_ptr<State> state) : s_(std::move(state)) {}
WebhookSource::~WebhookSource() = default;

const std::vector<Conversation>& WebhookSource::conversations() const
{
    return s_->conversations;
}

const std::vector<std::string>& WebhookSource::warnings() const
{
    return s_->warnings;
}

std::uint64_t WebhookSource::statuses() const
{
    return s_->statuses;
}

std::uint64_t WebhookSource::duplicates() const
{
    return s_->duplicates;
}

Result<bool> WebhookSource::next(Item& item, std::size_t& conversation)
{
    if (s_->pos >= s_->items.size())
        return false;
    Pending& p = s_->items[s_->pos++];
    item = std::move(p.item);
    item.index = s_->index++;
    conversation = p.conversation;
    for (auto& a : item.attachments) {
        if (a.inline_data || !a.locator.starts_with(kMediaPrefix))
            continue;
        a.present = false;
        if (!s_->opener)
            continue;
        const std::string_view id = std::string_view(a.locator).substr(kMediaPrefix.size());
        auto opened = s_->opener(id);
        if (opened) {
            a.present = true;
        } else if (opened.error().code() != ErrorCode::NotFound) {
            s_->warn(fmt::format("media {}: {}: recorded as not retrieved", id, opened.error().describe()));
        }
    }
    return true;
}

Result<std::unique_ptr<ByteSource>> WebhookSource::open_attachment(const Attachment& attachment) const
{
    if (attachment.inline_data)
        return std::unique_ptr<ByteSource>(std::make_unique<StringSource>(*attachment.inline_data));
    if (!attachment.locator.starts_with(kMediaPrefix) || !s_->opener)
        return fail(ErrorCode::NotFound, fmt::format("attachment {} was not retrieved", attachment.name));
    return s_->opener(std::string_view(attachment.locator).substr(kMediaPrefix.size()));
}

}  // namespace cv::cloud_api

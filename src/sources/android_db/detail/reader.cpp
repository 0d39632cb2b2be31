#include "sources/android_db/detail/reader.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/utf8.hpp"
#include "sources/android_db/detail/codes.hpp"
#include "sources/android_db/detail/jid.hpp"
#include "sources/android_db/detail/schema.hpp"
#include "sqlite/sqlite.hpp"

namespace cv::android_db::detail {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxWarnings = 1000;
// WhatsApp caps a message at 65536 characters; anything far beyond is damage, not content.
constexpr std::size_t kMaxText = 4u << 20;
// Bounds what the media folder index may cost on a huge or looping tree.
constexpr std::size_t kMaxIndexedFiles = 500000;

// The SQL for a JID row's "user@server" text, under alias `a` of table jid.
std::string jid_expr(SchemaInfo& schema, std::string_view a)
{
    const bool raw = schema.has_column("jid", "raw_string");
    const bool parts = schema.has_column("jid", "user") && schema.has_column("jid", "server");
    if (raw && parts)
        return fmt::format("COALESCE({0}.raw_string, {0}.user || '@' || {0}.server)", a);
    if (raw)
        return fmt::format("{}.raw_string", a);
    if (parts)
        return fmt::format("({0}.user || '@' || {0}.server)", a);
    return "NULL";
}

// Column text, valid UTF-8 and bounded; `truncated` is set when the cap cut it.
std::string text_of(const sqlite::Statement& st, int col, bool* truncated = nullptr)
{
    std::string_view v = st.column_text(col);
    if (v.empty())  // NULL reads as a null view, which utf8::first_invalid must not see (memcpy(…, nullptr,
                    // 0))
        return {};
    if (v.size() > kMaxText) {
        v = v.substr(0, kMaxText);
        if (truncated)
            *truncated = true;
    }
    if (utf8::first_invalid(v) == std::string_view::npos)
        return std::string(v);
    return utf8::sanitize(v);
}

std::optional<std::string> opt_text(const sqlite::Statement& st, int col)
{
    if (st.column_is_null(col))
        return std::nullopt;
    return text_of(st, col);
}

// A relative path from the database that stays inside the media folder.
bool is_safe_relative(const fs::path& p)
{
    if (p.empty() || p.is_absolute() || p.has_root_name())
        return false;
    for (const auto& part : p.lexically_normal())
        if (part == "..")
            return false;
    return true;
}

struct PersonEntry {
    Person person;
    std::string key;
};

struct MediaFacts {
    std::string file_path;
    std::string mime_type;
    std::string name;
    std::int64_t size = 0;
    std::string caption;
};

struct LocationFacts {
    std::optional<std::string> latitude, longitude;
    std::string place_name, place_address, url;
};

struct QuoteFacts {
    std::optional<std::string> key_id;
    bool from_me = false;
    const PersonEntry* sender = nullptr;
    std::string text;
};

// One message row in layout-independent form; build_item turns it into an Item.
struct Row {
    std::int64_t id = 0;
    std::size_t conv = 0;
    bool legacy = false;
    bool from_me = false;
    std::optional<std::string> key_id;
    const PersonEntry* sender = nullptr;  // resolved: owner, group sender or 1:1 peer
    std::int64_t status = 0;
    std::int64_t ts_ms = 0;
    std::int64_t fallback_ts_ms = 0;
    std::int64_t type = 0;
    std::string text;
    std::int64_t origin = 0;
    bool forwarded = false;
    bool edited = false;
    std::optional<MediaFacts> media;
    std::optional<LocationFacts> location;
    std::optional<QuoteFacts> quote;
    bool revoked = false;
    const PersonEntry* revoked_by_admin = nullptr;
    std::optional<std::int64_t> system_action;
    std::string system_value;
    std::vector<std::string> system_targets;
    std::vector<std::string> vcards;
    std::string vcard_name;
    bool video_call = false;
    std::int64_t call_duration = 0;
};

struct ChatFacts {
    std::string jid;  // as stored
    std::string subject;
};

class AndroidDbSource final : public ChatSource {
public:
    AndroidDbSource(sqlite::Snapshot db, std::optional<address_book::AddressBook> contacts, SchemaInfo schema,
                    Schema layout, TimeZone clock, const Options& options)
        : db_(std::move(db)), contacts_db_(std::move(contacts)), schema_(std::move(schema)), layout_(layout),
          clock_(clock), options_(options)
    {
        owner_.person.name = "Me";
        owner_.person.alias = "owner";
        owner_.person.owner = true;
        owner_.key = "owner";
        schema_.rebind(db_);
    }

    Result<void> initialize();
    void note(std::string message) { warn(std::move(message)); }

    SourceKind kind() const override { return SourceKind::AndroidDatabase; }
    const std::vector<Conversation>& conversations() const override { return convs_; }
    Result<bool> next(Item& item, std::size_t& conversation) override;
    Result<std::unique_ptr<ByteSource>> open_attachment(const Attachment& attachment) const override;
    const std::vector<std::string>& warnings() const override { return warnings_; }

private:
    void warn(std::string message);

    Result<void> load_identities();
    Result<void> load_conversations_modern();
    Result<void> load_conversations_legacy();
    Result<void> load_members();
    Result<void> load_calls();
    Result<void> prepare_main_modern();
    Result<void> prepare_main_legacy();
    void make_indexes();

    const PersonEntry* person(std::string_view raw_jid);
    std::string canonical(std::string_view raw_jid) const;
    std::size_t conv_for_jid(std::string_view raw_jid);
    void add_member(std::size_t conv, const PersonEntry* p);

    Result<bool> read_modern_row(Row& row);
    Result<bool> read_legacy_row(Row& row);
    bool build_item(Row& row, Item& item);
    void set_time(std::int64_t ms, std::int64_t fallback_ms, Item& item);
    void fill_media(const Row& row, MediaType type, Item& item);
    std::optional<fs::path> find_media(const std::string& file_path, const std::string& name);
    const PersonEntry* chat_peer(std::size_t conv);

    sqlite::Snapshot db_;
    std::optional<address_book::AddressBook> contacts_db_;
    SchemaInfo schema_;
    Schema layout_;
    TimeZone clock_;  // the --tz zone the wall clocks are shown in
    Options options_;

    std::vector<Conversation> convs_;
    std::vector<std::string> warnings_;
    std::uint64_t warnings_dropped_ = 0;

    PersonEntry owner_;
    std::unordered_map<std::string, PersonEntry> people_;         // canonical JID → person
    std::unordered_map<std::string, std::string> contact_names_;  // canonical JID → wa.db name
    std::unordered_map<std::string, std::string> lid_names_;      // canonical LID → push name
    std::unordered_map<std::string, std::string> lid_to_phone_;   // canonical LID → phone JID
    std::unordered_map<std::int64_t, std::string> jids_;          // jid._id → JID text
    std::unordered_map<std::int64_t, ChatFacts> chats_;           // chat._id (modern)
    std::unordered_map<std::string, std::string> subjects_;       // canonical chat JID → subject
    std::unordered_map<std::int64_t, std::size_t> conv_of_chat_;  // chat._id → conversation
    std::unordered_map<std::string, std::size_t> conv_of_jid_;    // canonical chat JID → conversation
    std::vector<std::unordered_set<std::string>> member_keys_;    // per conversation

    // Calls from call_log, per conversation, in time order; emitted between messages.
    std::vector<std::vector<Item>> calls_;
    std::vector<std::size_t> call_pos_;
    std::unordered_set<std::string> call_ids_;            // normalized call_log.call_id
    std::unordered_set<std::int64_t> call_rows_skipped_;  // message rows a call_log row covers

    std::optional<sqlite::Statement> main_;
    std::optional<sqlite::Statement> vcard_st_, participants_st_, poll_st_, missed_st_;
    struct Cols {
        int rowid, id, chat, from_me, key_id, sender, status, ts, recv_ts, server_ts, type, text, origin,
            flags, media_has, file_path, mime, media_name, file_size, file_length, media_caption,
            media_duration, loc_has, lat, lon, place_name, place_address, loc_url, q_has, q_key, q_from_me,
            q_sender, q_text, q_caption, q_chat, rev_has, rev_admin, sys_action, fwd_has, edit_has,
            edit_version, forwarded;
    } c_{};

    bool row_ready_ = false;
    bool rows_done_ = false;
    Row row_;
    std::size_t current_conv_ = SIZE_MAX;
    std::size_t flush_conv_ = 0;  // after the rows end: next conversation whose calls to flush
    std::uint64_t index_ = 0;
    std::uint64_t unrecorded_times_ = 0;
    std::unordered_set<std::int64_t> unknown_types_;
    std::string last_chat_raw_;
    std::size_t last_chat_conv_ = SIZE_MAX;
    std::int64_t last_chat_id_ = -1;

    std::optional<std::unordered_map<std::string, fs::path>> media_index_;
};

void AndroidDbSource::warn(std::string message)
{
    if (warnings_.size() < kMaxWarnings)
        warnings_.push_back(std::move(message));
    else
        ++warnings_dropped_;
}

std::string AndroidDbSource::canonical(std::string_view raw_jid) const
{
    const Jid j = parse_jid(raw_jid);
    if (j.kind == JidKind::Phone && j.server.empty())
        return j.user + "@s.whatsapp.net";  // a legacy bare number
    if (j.kind == JidKind::Phone || j.kind == JidKind::Lid)
        return j.user + "@" + j.server;
    return j.raw;
}

const PersonEntry* AndroidDbSource::person(std::string_view raw_jid)
{
    const Jid j = parse_jid(raw_jid);
    if (j.kind == JidKind::Owner)
        return &owner_;
    std::string key = canonical(raw_jid);
    if (auto it = people_.find(key); it != people_.end())
        return &it->second;
    PersonEntry e;
    Jid phone_jid = j;
    if (j.kind == JidKind::Lid) {
        e.person.alias = lid_alias_of(j);
        if (auto m = lid_to_phone_.find(key); m != lid_to_phone_.end())
            phone_jid = parse_jid(m->second);
    }
    e.person.phone = phone_of(phone_jid);
    if (!e.person.phone && !e.person.alias)
        e.person.alias = key;  // not a number (hand-made rows, broadcast lists): the JID itself
    const std::string phone_key = phone_jid.user + "@s.whatsapp.net";
    if (auto c = contact_names_.find(phone_key); e.person.phone && c != contact_names_.end())
        e.person.name = c->second;
    else if (auto c2 = contact_names_.find(key); c2 != contact_names_.end())
        e.person.name = c2->second;
    else if (auto l = lid_names_.find(key); l != lid_names_.end())
        e.person.name = l->second;
    else if (e.person.phone)
        e.person.name = *e.person.phone;
    else if (e.person.alias)
        e.person.name = *e.person.alias;
    e.key = e.person.key();
    return &people_.emplace(std::move(key), std::move(e)).first->second;
}

Result<void> AndroidDbSource::initialize()
{
    CV_TRY_VOID(load_identities());
    make_indexes();
    if (layout_ == Schema::Modern) {
        CV_TRY_VOID(load_conversations_modern());
    } else {
        CV_TRY_VOID(load_conversations_legacy());
    }
    CV_TRY_VOID(load_calls());
    CV_TRY_VOID(load_members());
    if (layout_ == Schema::Modern) {
        CV_TRY_VOID(prepare_main_modern());
    } else {
        CV_TRY_VOID(prepare_main_legacy());
    }
    calls_.resize(convs_.size());
    call_pos_.assign(convs_.size(), 0);
    return {};
}

Result<void> AndroidDbSource::load_identities()
{
    auto& db = db_.db();
    if (schema_.has_table("jid")) {
        CV_TRY(auto st, db.prepare(fmt::format("SELECT j._id, {} FROM jid j", jid_expr(schema_, "j"))));
        CV_TRY_VOID(sqlite::for_each_row(st, [&] {
            if (!st.column_is_null(1))
                jids_[st.column_int(0)] = text_of(st, 1);
        }));
    }
    if (schema_.has_column("props", "key") && schema_.has_column("props", "value")) {
        CV_TRY(auto st, db.prepare("SELECT value FROM props WHERE key = 'user_push_name'"));
        CV_TRY_VOID(sqlite::for_each_row(st, [&] {
            if (auto name = text_of(st, 0); !name.empty())
                owner_.person.name = std::move(name);
        }));
    }
    if (schema_.has_column("jid_map", "lid_row_id") && schema_.has_column("jid_map", "jid_row_id")) {
        CV_TRY(auto st, db.prepare("SELECT lid_row_id, jid_row_id FROM jid_map"));
        CV_TRY_VOID(sqlite::for_each_row(st, [&] {
            auto l = jids_.find(st.column_int(0));
            auto p = jids_.find(st.column_int(1));
            if (l != jids_.end() && p != jids_.end())
                lid_to_phone_[canonical(l->second)] = p->second;
        }));
    }
    if (schema_.has_column("lid_display_name", "lid_row_id") &&
        schema_.has_column("lid_display_name", "display_name")) {
        CV_TRY(auto st, db.prepare("SELECT lid_row_id, display_name FROM lid_display_name"));
        CV_TRY_VOID(sqlite::for_each_row(st, [&] {
            auto l = jids_.find(st.column_int(0));
            if (l != jids_.end() && !st.column_is_null(1) && !st.column_text(1).empty())
                lid_names_[canonical(l->second)] = text_of(st, 1);
        }));
    }
    if (contacts_db_) {
        for (auto& w : contacts_db_->warnings)
            warn("wa.db: " + w + " (names fall back to push names or numbers)");
        for (const auto& e : contacts_db_->entries) {
            const auto& name = e.name ? e.name : e.wa_name;
            if (e.jid && name)
                contact_names_.emplace(canonical(*e.jid), *name);
        }
    }
    return {};
}

void AndroidDbSource::make_indexes()
{
    // The snapshot is our private copy: indexes here cost nothing to the phone's files, and a
    // decrypted backup carries none of the app's (spec §B.1).
    auto& db = db_.db();
    const auto index = [&](std::string_view table, std::string_view cols, std::string_view check) {
        if (schema_.has_column(table, check))
            (void)db.exec(fmt::format("CREATE INDEX IF NOT EXISTS cv_{0}_idx ON \"{0}\" ({1})", table, cols));
    };
    if (layout_ == Schema::Modern) {
        if (schema_.has_column("message", "timestamp"))
            index("message", "chat_row_id, timestamp, _id", "chat_row_id");
        index("message_vcard", "message_row_id", "message_row_id");
        index("message_system_chat_participant", "message_row_id", "message_row_id");
        index("message_poll_option", "message_row_id", "message_row_id");
        index("missed_call_logs", "message_row_id", "message_row_id");
    } else {
        if (schema_.has_column("messages", "timestamp"))
            index("messages", "key_remote_jid, timestamp", "key_remote_jid");
        index("messages_vcards", "message_row_id", "message_row_id");
    }
}

std::size_t AndroidDbSource::conv_for_jid(std::string_view raw_jid)
{
    std::string key = canonical(raw_jid);
    if (auto it = conv_of_jid_.find(key); it != conv_of_jid_.end())
        return it->second;
    Conversation c;
    const Jid j = parse_jid(raw_jid);
    c.jid = std::string(raw_jid);
    c.group = j.kind == JidKind::Group;
    if (auto s = subjects_.find(key); s != subjects_.end() && !s->second.empty())
        c.title = s->second;
    if (j.kind == JidKind::Phone || j.kind == JidKind::Lid) {
        const PersonEntry* p = person(raw_jid);
        if (c.title.empty())
            c.title = p->person.name;
    } else if (c.title.empty()) {
        c.title = raw_jid == "status@broadcast" ? std::string("Status") : std::string(raw_jid);
    }
    convs_.push_back(std::move(c));
    member_keys_.emplace_back();
    const std::size_t idx = convs_.size() - 1;
    conv_of_jid_.emplace(std::move(key), idx);
    if (j.kind == JidKind::Phone || j.kind == JidKind::Lid)
        add_member(idx, person(raw_jid));
    add_member(idx, &owner_);
    return idx;
}

void AndroidDbSource::add_member(std::size_t conv, const PersonEntry* p)
{
    if (p == nullptr || conv >= convs_.size())
        return;
    if (member_keys_[conv].insert(p->key).second)
        convs_[conv].members.push_back(p->person);
}

Result<void> AndroidDbSource::load_conversations_modern()
{
    auto& db = db_.db();
    if (schema_.has_column("chat", "_id") && schema_.has_column("chat", "jid_row_id")) {
        SelectBuilder sb(schema_);
        const int id = sb.col("c", "chat", "_id");
        const int jid = sb.col("c", "chat", "jid_row_id");
        const int subject = sb.col("c", "chat", "subject");
        for (auto& w : sb.missing_warnings("group titles fall back to the group JID"))
            warn(std::move(w));
        CV_TRY(auto st, db.prepare(fmt::format("SELECT {} FROM chat c", sb.list())));
        CV_TRY_VOID(sqlite::for_each_row(st, [&] {
            auto j = jids_.find(st.column_int(jid));
            ChatFacts f;
            f.jid = j != jids_.end() ? j->second : std::string();
            f.subject = text_of(st, subject);
            if (!f.jid.empty())
                subjects_[canonical(f.jid)] = f.subject;
            chats_[st.column_int(id)] = std::move(f);
        }));
    } else {
        warn("table chat missing or without jid_row_id: chats are known only by their row number");
    }
    CV_TRY(auto st, db.prepare("SELECT DISTINCT chat_row_id FROM message WHERE chat_row_id > 0 ORDER BY 1"));
    std::vector<std::int64_t> ids;
    CV_TRY_VOID(sqlite::for_each_row(st, [&] { ids.push_back(st.column_int(0)); }));
    std::uint64_t orphans = 0;
    for (const auto id : ids) {
        auto c = chats_.find(id);
        if (c == chats_.end() || c->second.jid.empty()) {
            ++orphans;
            Conversation conv;
            conv.title = fmt::format("chat {} (not in table chat)", id);
            conv.members.push_back(owner_.person);
            convs_.push_back(std::move(conv));
            member_keys_.push_back({owner_.key});
            conv_of_chat_[id] = convs_.size() - 1;
            continue;
        }
        conv_of_chat_[id] = conv_for_jid(c->second.jid);
    }
    if (orphans)
        warn(fmt::format("table message: rows of {} chat(s) missing from table chat (or without a JID) are "
                         "kept under placeholder conversations",
                         orphans));
    // Who wrote in a group is a member even when the participant table no longer lists them.
    if (schema_.has_column("message", "sender_jid_row_id")) {
        CV_TRY(auto senders, db.prepare("SELECT DISTINCT chat_row_id, sender_jid_row_id FROM message "
                                        "WHERE sender_jid_row_id > 0 AND chat_row_id > 0"));
        CV_TRY_VOID(sqlite::for_each_row(senders, [&] {
            auto conv = conv_of_chat_.find(senders.column_int(0));
            auto j = jids_.find(senders.column_int(1));
            if (conv != conv_of_chat_.end() && j != jids_.end())
                add_member(conv->second, person(j->second));
        }));
    }
    return {};
}

Result<void> AndroidDbSource::load_conversations_legacy()
{
    auto& db = db_.db();
    if (schema_.has_column("chat_list", "key_remote_jid") && schema_.has_column("chat_list", "subject")) {
        CV_TRY(auto st,
               db.prepare("SELECT key_remote_jid, subject FROM chat_list WHERE key_remote_jid IS NOT NULL"));
        CV_TRY_VOID(sqlite::for_each_row(st, [&] {
            if (!st.column_is_null(1))
                subjects_[canonical(st.column_text(0))] = text_of(st, 1);
        }));
    }
    // A transition database may name its groups only in the new tables.
    if (schema_.has_column("chat", "jid_row_id") && schema_.has_column("chat", "subject")) {
        CV_TRY(auto st, db.prepare("SELECT jid_row_id, subject FROM chat WHERE subject IS NOT NULL"));
        CV_TRY_VOID(sqlite::for_each_row(st, [&] {
            if (auto j = jids_.find(st.column_int(0)); j != jids_.end())
                subjects_.emplace(canonical(j->second), text_of(st, 1));
        }));
    }
    CV_TRY(auto st,
           db.prepare("SELECT DISTINCT key_remote_jid FROM messages WHERE key_remote_jid IS NOT NULL AND "
                      "key_remote_jid != '-1' ORDER BY 1"));
    std::vector<std::string> jids;
    CV_TRY_VOID(sqlite::for_each_row(st, [&] { jids.push_back(text_of(st, 0)); }));
    for (const auto& j : jids)
        conv_for_jid(j);
    if (schema_.has_column("messages", "remote_resource")) {
        CV_TRY(auto senders,
               db.prepare(
                   "SELECT DISTINCT key_remote_jid, remote_resource FROM messages WHERE remote_resource IS "
                   "NOT NULL AND remote_resource != '' AND key_remote_jid != '-1'"));
        CV_TRY_VOID(sqlite::for_each_row(senders, [&] {
            const auto conv = conv_for_jid(text_of(senders, 0));
            add_member(conv, person(text_of(senders, 1)));
        }));
    }
    return {};
}

Result<void> AndroidDbSource::load_members()
{
    auto& db = db_.db();
    const auto add = [&](std::string_view group, std::string_view user) {
        auto it = conv_of_jid_.find(canonical(group));
        if (it != conv_of_jid_.end())
            add_member(it->second, person(user));
    };
    if (schema_.has_column("group_participant_user", "group_jid_row_id") &&
        schema_.has_column("group_participant_user", "user_jid_row_id")) {
        CV_TRY(auto st, db.prepare("SELECT group_jid_row_id, user_jid_row_id FROM group_participant_user"));
        CV_TRY_VOID(sqlite::for_each_row(st, [&] {
            auto g = jids_.find(st.column_int(0));
            auto u = jids_.find(st.column_int(1));
            if (g != jids_.end() && u != jids_.end())
                add(g->second, u->second);
        }));
    }
    if (schema_.has_column("group_participants", "gjid") && schema_.has_column("group_participants", "jid")) {
        CV_TRY(auto st, db.prepare("SELECT gjid, jid FROM group_participants"));
        CV_TRY_VOID(sqlite::for_each_row(st, [&] { add(text_of(st, 0), text_of(st, 1)); }));
    }
    return {};
}

Result<void> AndroidDbSource::load_calls()
{
    if (!schema_.has_table("call_log"))
        return {};
    if (!schema_.has_column("call_log", "jid_row_id") || jids_.empty()) {
        warn("table call_log: no jid_row_id column or no jid table: calls skipped");
        return {};
    }
    auto& db = db_.db();
    SelectBuilder sb(schema_);
    const int id = sb.col("c", "call_log", "_id");
    const int peer = sb.col("c", "call_log", "jid_row_id");
    const int from_me = sb.col("c", "call_log", "from_me");
    const int call_id = sb.col("c", "call_log", "call_id");
    const int ts = sb.col("c", "call_log", "timestamp");
    const int video = sb.col("c", "call_log", "video_call");
    const int duration = sb.col("c", "call_log", "duration");
    const int result = sb.col("c", "call_log", "call_result");
    const int bytes = sb.col("c", "call_log", "bytes_transferred");
    const int group = sb.col("c", "call_log", "group_jid_row_id");
    for (auto& w : sb.missing_warnings("calls read without those facts (video as voice)"))
        warn(std::move(w));
    std::unordered_map<std::int64_t, std::vector<std::string>> participants;
    if (schema_.has_column("call_log_participant_v2", "call_log_row_id") &&
        schema_.has_column("call_log_participant_v2", "jid_row_id")) {
        CV_TRY(auto pst,
               db.prepare("SELECT call_log_row_id, jid_row_id FROM call_log_participant_v2 ORDER BY _id"));
        CV_TRY_VOID(sqlite::for_each_row(pst, [&] {
            if (auto j = jids_.find(pst.column_int(1)); j != jids_.end())
                participants[pst.column_int(0)].push_back(person(j->second)->person.name);
        }));
    }
    std::vector<std::pair<std::size_t, Item>> loaded;
    std::unordered_set<std::int64_t> call_rows;
    CV_TRY(auto st, db.prepare(fmt::format("SELECT {} FROM call_log c ORDER BY 5, 1", sb.list())));
    CV_TRY_VOID(sqlite::for_each_row(st, [&] {
        Item item;
        item.kind = ItemKind::Call;
        const auto g = jids_.find(st.column_int(group));
        const auto p = jids_.find(st.column_int(peer));
        std::size_t conv;
        if (st.column_int(group) > 0 && g != jids_.end())
            conv = conv_for_jid(g->second);
        else if (p != jids_.end())
            conv = conv_for_jid(p->second);
        else
            conv = conv_for_jid("unknown@call");
        item.row = st.column_int(id);
        const bool mine = st.column_int(from_me) != 0;
        const PersonEntry* who = mine ? &owner_ : p != jids_.end() ? person(p->second) : nullptr;
        if (who) {
            item.author = who->person.name;
            item.sender_id = who->key;
        }
        item.from_me = mine;
        if (!st.column_is_null(call_id) && !st.column_text(call_id).empty()) {
            item.key_id = normalize_call_id(text_of(st, call_id));
            call_ids_.insert(*item.key_id);
        }
        CallInfo call;
        call.media = st.column_int(video) != 0 ? CallMedia::Video : CallMedia::Voice;
        const std::int64_t secs = std::max<std::int64_t>(0, st.column_int(duration));
        call.duration_seconds = static_cast<std::uint32_t>(std::min<std::int64_t>(secs, UINT32_MAX));
        call.outgoing = mine;
        call.result = call_result_of(st.column_int(result), secs);
        item.call = call;
        std::string text =
            fmt::format("call_result {}", st.column_is_null(result) ? std::string("unknown")
                                                                    : std::to_string(st.column_int(result)));
        if (st.column_int(bytes) > 0)
            text += fmt::format("; {} bytes transferred", st.column_int(bytes));
        if (auto it = participants.find(st.column_int(id)); it != participants.end())
            text += fmt::format("; participants: {}", fmt::join(it->second, ", "));
        item.text = std::move(text);
        set_time(st.column_int(ts), 0, item);
        call_rows.insert(st.column_int(id));
        loaded.emplace_back(conv, std::move(item));
    }));
    calls_.resize(convs_.size());
    for (auto& [conv, item] : loaded)
        calls_[conv].push_back(std::move(item));
    for (auto& list : calls_)
        std::stable_sort(list.begin(), list.end(),
                         [](const Item& a, const Item& b) { return a.utc < b.utc; });
    // The chat row of a call (type 90) and its call_log row are one call: keep the call_log one.
    if (schema_.has_column("message_call_log", "message_row_id") &&
        schema_.has_column("message_call_log", "call_log_row_id")) {
        CV_TRY(auto mst, db.prepare("SELECT message_row_id, call_log_row_id FROM message_call_log"));
        CV_TRY_VOID(sqlite::for_each_row(mst, [&] {
            if (call_rows.contains(mst.column_int(1)))
                call_rows_skipped_.insert(mst.column_int(0));
        }));
    }
    return {};
}

Result<void> AndroidDbSource::prepare_main_modern()
{
    SelectBuilder sb(schema_);
    std::string joins;
    std::vector<std::string> absent;
    const auto join = [&](std::string_view table, std::string_view alias) {
        if (schema_.has_column(table, "message_row_id")) {
            joins += fmt::format(" LEFT JOIN \"{0}\" {1} ON {1}.message_row_id = m._id", table, alias);
            return true;
        }
        absent.emplace_back(table);
        return false;
    };
    c_.rowid = sb.expr("m.rowid");
    c_.id = sb.col("m", "message", "_id");
    c_.chat = sb.col("m", "message", "chat_row_id");
    c_.from_me = sb.col("m", "message", "from_me");
    c_.key_id = sb.col("m", "message", "key_id");
    c_.sender = sb.col("m", "message", "sender_jid_row_id");
    c_.status = sb.col("m", "message", "status");
    c_.ts = sb.col("m", "message", "timestamp");
    c_.recv_ts = sb.col("m", "message", "received_timestamp");
    c_.server_ts = sb.col("m", "message", "receipt_server_timestamp");
    c_.type = sb.col("m", "message", "message_type");
    c_.text = sb.col("m", "message", "text_data");
    c_.origin = sb.col("m", "message", "origin");
    c_.flags = sb.col("m", "message", "origination_flags");
    const bool media = join("message_media", "mm");
    c_.media_has = sb.expr(media ? "mm.message_row_id IS NOT NULL" : "0");
    c_.file_path = sb.col("mm", "message_media", "file_path");
    c_.mime = sb.col("mm", "message_media", "mime_type");
    c_.media_name = sb.col("mm", "message_media", "media_name");
    c_.file_size = sb.col("mm", "message_media", "file_size");
    c_.file_length = sb.col("mm", "message_media", "file_length");
    c_.media_caption = sb.col("mm", "message_media", "media_caption");
    c_.media_duration = sb.col("mm", "message_media", "media_duration");
    const bool loc = join("message_location", "ml");
    c_.loc_has = sb.expr(loc ? "ml.message_row_id IS NOT NULL" : "0");
    c_.lat = sb.col("ml", "message_location", "latitude");
    c_.lon = sb.col("ml", "message_location", "longitude");
    c_.place_name = sb.col("ml", "message_location", "place_name");
    c_.place_address = sb.col("ml", "message_location", "place_address");
    c_.loc_url = sb.col("ml", "message_location", "url");
    const bool quoted = join("message_quoted", "mq");
    c_.q_has = sb.expr(quoted ? "mq.message_row_id IS NOT NULL" : "0");
    c_.q_key = sb.col("mq", "message_quoted", "key_id");
    c_.q_from_me = sb.col("mq", "message_quoted", "from_me");
    c_.q_sender = sb.col("mq", "message_quoted", "sender_jid_row_id");
    c_.q_text = sb.col("mq", "message_quoted", "text_data");
    c_.q_caption = sb.expr("NULL");
    c_.q_chat = sb.expr("NULL");
    const bool revoked = join("message_revoked", "mr");
    c_.rev_has = sb.expr(revoked ? "mr.message_row_id IS NOT NULL" : "0");
    c_.rev_admin = sb.col("mr", "message_revoked", "admin_jid_row_id");
    join("message_system", "ms");
    c_.sys_action = sb.col("ms", "message_system", "action_type");
    const bool fwd = join("message_forwarded", "mf");
    c_.fwd_has = sb.expr(fwd ? "mf.message_row_id IS NOT NULL" : "0");
    const bool edit = join("message_edit_info", "me");
    c_.edit_has = sb.expr(edit ? "me.message_row_id IS NOT NULL" : "0");
    c_.edit_version = sb.expr("NULL");
    c_.forwarded = sb.expr("NULL");
    for (auto& w : sb.missing_warnings("read as empty"))
        warn(std::move(w));
    for (const char* t : {"message_vcard", "message_system_chat_participant", "message_poll_option"})
        if (!schema_.has_column(t, "message_row_id"))
            absent.emplace_back(t);
    if (!absent.empty())
        warn(fmt::format("tables missing (their facts are not read): {}", fmt::join(absent, ", ")));
    const std::string order = schema_.has_column("message", "timestamp")
                                  ? "m.chat_row_id, m.timestamp, m.rowid"
                                  : "m.chat_row_id, m.rowid";
    CV_TRY(auto st,
           db_.db().prepare(fmt::format("SELECT {} FROM message m{} WHERE m.chat_row_id > 0 ORDER BY {}",
                                        sb.list(), joins, order)));
    main_.emplace(std::move(st));
    auto& db = db_.db();
    if (schema_.has_column("message_vcard", "vcard") &&
        schema_.has_column("message_vcard", "message_row_id")) {
        CV_TRY(auto v,
               db.prepare("SELECT vcard FROM message_vcard WHERE message_row_id = ?1 ORDER BY rowid"));
        vcard_st_.emplace(std::move(v));
    }
    if (schema_.has_column("message_system_chat_participant", "user_jid_row_id") &&
        schema_.has_column("message_system_chat_participant", "message_row_id")) {
        CV_TRY(auto v, db.prepare("SELECT user_jid_row_id FROM message_system_chat_participant WHERE "
                                  "message_row_id = ?1 ORDER BY rowid"));
        participants_st_.emplace(std::move(v));
    }
    if (schema_.has_column("message_poll_option", "message_row_id") &&
        schema_.has_column("message_poll_option", "option_name")) {
        const std::string votes =
            schema_.has_column("message_poll_option", "vote_total") ? "vote_total" : "NULL";
        CV_TRY(auto v, db.prepare(fmt::format("SELECT option_name, {} FROM message_poll_option WHERE "
                                              "message_row_id = ?1 ORDER BY rowid",
                                              votes)));
        poll_st_.emplace(std::move(v));
    }
    if (schema_.has_column("missed_call_logs", "message_row_id") &&
        schema_.has_column("missed_call_logs", "video_call")) {
        CV_TRY(auto v, db.prepare("SELECT video_call FROM missed_call_logs WHERE message_row_id = ?1"));
        missed_st_.emplace(std::move(v));
    }
    return {};
}

Result<void> AndroidDbSource::prepare_main_legacy()
{
    SelectBuilder sb(schema_);
    c_.rowid = sb.expr("m.rowid");
    c_.id = sb.col("m", "messages", "_id");
    c_.chat = sb.col("m", "messages", "key_remote_jid");
    c_.from_me = sb.col("m", "messages", "key_from_me");
    c_.key_id = sb.col("m", "messages", "key_id");
    c_.status = sb.col("m", "messages", "status");
    c_.text = sb.col("m", "messages", "data");
    c_.ts = sb.col("m", "messages", "timestamp");
    c_.recv_ts = sb.col("m", "messages", "received_timestamp");
    c_.server_ts = sb.col("m", "messages", "receipt_server_timestamp");
    c_.type = schema_.has_column("messages", "media_wa_type") ? sb.expr("CAST(m.media_wa_type AS INTEGER)")
                                                              : sb.col("m", "messages", "media_wa_type");
    c_.file_size = sb.col("m", "messages", "media_size");
    c_.media_name = sb.col("m", "messages", "media_name");
    c_.media_caption = sb.col("m", "messages", "media_caption");
    c_.mime = sb.col("m", "messages", "media_mime_type");
    c_.media_duration = sb.col("m", "messages", "media_duration");
    c_.lat = sb.col("m", "messages", "latitude");
    c_.lon = sb.col("m", "messages", "longitude");
    c_.sender = sb.col("m", "messages", "remote_resource");
    c_.origin = sb.col("m", "messages", "origin");
    c_.forwarded = sb.col("m", "messages", "forwarded");
    c_.edit_version = sb.col("m", "messages", "edit_version");
    c_.loc_url = sb.col("m", "messages", "media_url");
    std::string joins;
    const bool quotes =
        schema_.has_column("messages", "quoted_row_id") && schema_.has_column("messages_quotes", "_id");
    if (quotes)
        joins = " LEFT JOIN messages_quotes q ON q._id = m.quoted_row_id AND m.quoted_row_id > 0";
    c_.q_has = sb.expr(quotes ? "q._id IS NOT NULL" : "0");
    c_.q_key = quotes ? sb.col("q", "messages_quotes", "key_id") : sb.expr("NULL");
    c_.q_from_me = quotes ? sb.col("q", "messages_quotes", "key_from_me") : sb.expr("NULL");
    c_.q_sender = quotes ? sb.col("q", "messages_quotes", "remote_resource") : sb.expr("NULL");
    c_.q_text = quotes ? sb.col("q", "messages_quotes", "data") : sb.expr("NULL");
    c_.q_caption = quotes ? sb.col("q", "messages_quotes", "media_caption") : sb.expr("NULL");
    c_.q_chat = quotes ? sb.col("q", "messages_quotes", "key_remote_jid") : sb.expr("NULL");
    for (auto& w : sb.missing_warnings("read as empty"))
        warn(std::move(w));
    const std::string order = schema_.has_column("messages", "timestamp")
                                  ? "m.key_remote_jid, m.timestamp, m.rowid"
                                  : "m.key_remote_jid, m.rowid";
    CV_TRY(auto st,
           db_.db().prepare(fmt::format("SELECT {} FROM messages m{} WHERE m.key_remote_jid IS NOT NULL AND "
                                        "m.key_remote_jid != '-1' ORDER BY {}",
                                        sb.list(), joins, order)));
    main_.emplace(std::move(st));
    if (schema_.has_column("messages_vcards", "message_row_id") &&
        schema_.has_column("messages_vcards", "vcard")) {
        CV_TRY(auto v, db_.db().prepare(
                           "SELECT vcard FROM messages_vcards WHERE message_row_id = ?1 ORDER BY rowid"));
        vcard_st_.emplace(std::move(v));
    }
    return {};
}

const PersonEntry* AndroidDbSource::chat_peer(std::size_t conv)
{
    if (conv >= convs_.size() || convs_[conv].group || !convs_[conv].jid)
        return nullptr;
    const Jid j = parse_jid(*convs_[conv].jid);
    if (j.kind != JidKind::Phone && j.kind != JidKind::Lid)
        return nullptr;
    return person(*convs_[conv].jid);
}

Result<bool> AndroidDbSource::read_modern_row(Row& row)
{
    auto& st = *main_;
    row = Row{};
    row.id = st.column_is_null(c_.id) ? st.column_int(c_.rowid) : st.column_int(c_.id);
    const std::int64_t chat = st.column_int(c_.chat);
    if (chat != last_chat_id_) {
        auto it = conv_of_chat_.find(chat);
        if (it == conv_of_chat_.end())
            return false;  // cannot happen: conversations came from the same rows
        last_chat_id_ = chat;
        last_chat_conv_ = it->second;
    }
    row.conv = last_chat_conv_;
    row.from_me = st.column_int(c_.from_me) != 0;
    row.key_id = opt_text(st, c_.key_id);
    row.status = st.column_int(c_.status);
    row.ts_ms = st.column_int(c_.ts);
    row.fallback_ts_ms =
        st.column_int(c_.recv_ts) > 0 ? st.column_int(c_.recv_ts) : st.column_int(c_.server_ts);
    row.type = st.column_int(c_.type);
    bool truncated = false;
    row.text = text_of(st, c_.text, &truncated);
    if (truncated)
        warn(fmt::format("table message: row {}: text cut at {} bytes", row.id, kMaxText));
    row.origin = st.column_int(c_.origin);
    row.forwarded = (st.column_int(c_.flags) & 1) != 0 || st.column_int(c_.fwd_has) != 0;
    row.edited = st.column_int(c_.edit_has) != 0;
    const std::int64_t sender = st.column_int(c_.sender);
    if (row.from_me) {
        row.sender = &owner_;
    } else if (sender > 0) {
        if (auto j = jids_.find(sender); j != jids_.end())
            row.sender = person(j->second);
    } else {
        row.sender = chat_peer(row.conv);
    }
    if (st.column_int(c_.media_has) != 0) {
        MediaFacts m;
        m.file_path = text_of(st, c_.file_path);
        m.mime_type = text_of(st, c_.mime);
        m.name = text_of(st, c_.media_name);
        m.size =
            st.column_int(c_.file_size) > 0 ? st.column_int(c_.file_size) : st.column_int(c_.file_length);
        m.caption = text_of(st, c_.media_caption);
        row.media = std::move(m);
    }
    if (st.column_int(c_.loc_has) != 0) {
        LocationFacts l;
        l.latitude = opt_text(st, c_.lat);
        l.longitude = opt_text(st, c_.lon);
        l.place_name = text_of(st, c_.place_name);
        l.place_address = text_of(st, c_.place_address);
        l.url = text_of(st, c_.loc_url);
        row.location = std::move(l);
    }
    if (st.column_int(c_.q_has) != 0) {
        QuoteFacts q;
        if (auto k = opt_text(st, c_.q_key); k && !k->empty())
            q.key_id = utf8::ascii_upper(*k);
        q.from_me = st.column_int(c_.q_from_me) != 0;
        const std::int64_t qs = st.column_int(c_.q_sender);
        if (q.from_me)
            q.sender = &owner_;
        else if (auto j = jids_.find(qs); qs > 0 && j != jids_.end())
            q.sender = person(j->second);
        else
            q.sender = chat_peer(row.conv);
        q.text = text_of(st, c_.q_text);
        row.quote = std::move(q);
    }
    row.revoked = st.column_int(c_.rev_has) != 0 || row.type == kRevoked || row.type == kAdminRevoked;
    if (auto a = jids_.find(st.column_int(c_.rev_admin)); st.column_int(c_.rev_admin) > 0 && a != jids_.end())
        row.revoked_by_admin = person(a->second);
    if (!st.column_is_null(c_.sys_action))
        row.system_action = st.column_int(c_.sys_action);
    if (row.type == kSystem && !row.system_action)
        row.system_action = -1;
    if (row.system_action && participants_st_) {
        participants_st_->reset();
        participants_st_->bind(1, row.id);
        CV_TRY_VOID(sqlite::for_each_row(*participants_st_, [&] {
            if (auto j = jids_.find(participants_st_->column_int(0)); j != jids_.end())
                row.system_targets.push_back(person(j->second)->person.name);
        }));
    }
    if ((row.type == kContact || row.type == kContacts) && vcard_st_) {
        vcard_st_->reset();
        vcard_st_->bind(1, row.id);
        CV_TRY_VOID(sqlite::for_each_row(*vcard_st_, [&] { row.vcards.push_back(text_of(*vcard_st_, 0)); }));
        if (row.type == kContact)
            row.vcard_name = row.text;
    }
    if ((row.type == kPoll || row.type == kPollV2) && poll_st_) {
        poll_st_->reset();
        poll_st_->bind(1, row.id);
        std::string options;
        CV_TRY_VOID(sqlite::for_each_row(*poll_st_, [&] {
            options += fmt::format("\nOPTION: {}", text_of(*poll_st_, 0));
            if (!poll_st_->column_is_null(1))
                options += fmt::format(" ({} votes)", poll_st_->column_int(1));
        }));
        row.text = fmt::format("POLL: {}{}", row.text, options);
    }
    if (row.type == kMissedCall && missed_st_) {
        missed_st_->reset();
        missed_st_->bind(1, row.id);
        CV_TRY_VOID(
            sqlite::for_each_row(*missed_st_, [&] { row.video_call = missed_st_->column_int(0) != 0; }));
    }
    return true;
}

Result<bool> AndroidDbSource::read_legacy_row(Row& row)
{
    auto& st = *main_;
    row = Row{};
    row.legacy = true;
    row.id = st.column_is_null(c_.id) ? st.column_int(c_.rowid) : st.column_int(c_.id);
    const std::string_view chat = st.column_text(c_.chat);
    if (last_chat_conv_ == SIZE_MAX || chat != last_chat_raw_) {
        last_chat_raw_ = std::string(chat);
        last_chat_conv_ = conv_for_jid(text_of(st, c_.chat));
    }
    row.conv = last_chat_conv_;
    row.from_me = st.column_int(c_.from_me) != 0;
    row.key_id = opt_text(st, c_.key_id);
    row.status = st.column_int(c_.status);
    row.ts_ms = st.column_int(c_.ts);
    row.fallback_ts_ms =
        st.column_int(c_.recv_ts) > 0 ? st.column_int(c_.recv_ts) : st.column_int(c_.server_ts);
    row.type = st.column_int(c_.type);
    bool truncated = false;
    row.text = text_of(st, c_.text, &truncated);
    if (truncated)
        warn(fmt::format("table messages: row {}: text cut at {} bytes", row.id, kMaxText));
    row.origin = st.column_int(c_.origin);
    row.forwarded = st.column_int(c_.forwarded) != 0;
    const std::string resource = text_of(st, c_.sender);
    const bool group = convs_[row.conv].group;
    if (row.status == 6 && row.type == kText) {           // calls carry status 6 too
        row.system_action = st.column_int(c_.file_size);  // legacy system rows keep the code in media_size
        row.system_value = row.text.empty() ? text_of(st, c_.media_name) : row.text;
        if (!resource.empty())
            row.sender = person(resource);
        return true;
    }
    if (row.from_me)
        row.sender = &owner_;
    else if (group && !resource.empty())
        row.sender = person(resource);
    else if (!group)
        row.sender = chat_peer(row.conv);
    const std::string caption = text_of(st, c_.media_caption);
    const MediaType mt = media_type_of(row.type, row.origin);
    if (mt != MediaType::Unknown) {
        MediaFacts m;
        m.name = text_of(st, c_.media_name);
        m.mime_type = text_of(st, c_.mime);
        m.size = st.column_int(c_.file_size);
        m.caption = caption;
        row.media = std::move(m);
        if (row.text.empty())
            row.text = caption;
    }
    if (row.type == kLocation || row.type == kLiveLocation) {
        LocationFacts l;
        l.latitude = opt_text(st, c_.lat);
        l.longitude = opt_text(st, c_.lon);
        l.place_name = text_of(st, c_.media_name);
        l.url = text_of(st, c_.loc_url);
        row.location = std::move(l);
        if (row.text.empty())
            row.text = caption;
    }
    if (row.type == kContact) {
        row.vcards.push_back(row.text);
        row.vcard_name = text_of(st, c_.media_name);
        row.text.clear();
    } else if (row.type == kContacts && vcard_st_) {
        vcard_st_->reset();
        vcard_st_->bind(1, row.id);
        CV_TRY_VOID(sqlite::for_each_row(*vcard_st_, [&] { row.vcards.push_back(text_of(*vcard_st_, 0)); }));
    }
    if (row.type == kLegacyCall || row.type == kMissedCall) {
        row.video_call = caption.find("video") != std::string::npos;
        row.call_duration = st.column_int(c_.media_duration);
    }
    row.revoked = row.type == kRevoked || st.column_int(c_.edit_version) == 7;
    if (st.column_int(c_.q_has) != 0) {
        QuoteFacts q;
        if (auto k = opt_text(st, c_.q_key); k && !k->empty())
            q.key_id = utf8::ascii_upper(*k);
        q.from_me = st.column_int(c_.q_from_me) != 0;
        const std::string qr = text_of(st, c_.q_sender);
        q.sender = q.from_me ? &owner_ : !qr.empty() ? person(qr) : chat_peer(row.conv);
        q.text = text_of(st, c_.q_text);
        if (q.text.empty())
            q.text = text_of(st, c_.q_caption);
        row.quote = std::move(q);
    }
    return true;
}

void AndroidDbSource::set_time(std::int64_t ms, std::int64_t fallback_ms, Item& item)
{
    // 0 or NULL means "not recorded" (spec §0.2), never 1970.
    const std::int64_t use = ms > 0 ? ms : fallback_ms > 0 ? fallback_ms : 0;
    if (use <= 0) {
        ++unrecorded_times_;
        item.utc = 0;
        item.wall_clock = LocalDateTime{};
        item.wall_clock_text.clear();
        return;
    }
    item.utc = use / 1000;
    const ZonedWallClock local = clock_.to_local(item.utc);
    item.wall_clock = local.wall_clock;
    item.wall_clock_text = format_iso(item.wall_clock);
    item.dst = local.resolution;
}

std::optional<fs::path> AndroidDbSource::find_media(const std::string& file_path, const std::string& name)
{
    if (!options_.media_dir)
        return std::nullopt;
    std::error_code ec;
    if (!file_path.empty()) {
        const fs::path rel(file_path);
        if (is_safe_relative(rel)) {
            const fs::path full = *options_.media_dir / rel;
            if (fs::is_regular_file(full, ec))
                return full;
        }
    }
    // Legacy rows name only the file: look it up in an index of the media tree, built once.
    const std::string base = !name.empty() ? name : fs::path(file_path).filename().string();
    if (base.empty() || base.find('/') != std::string::npos)
        return std::nullopt;
    if (!media_index_) {
        media_index_.emplace();
        fs::recursive_directory_iterator it(*options_.media_dir,
                                            fs::directory_options::skip_permission_denied, ec);
        for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (media_index_->size() >= kMaxIndexedFiles) {
                warn(fmt::format("media folder: more than {} files, the rest are not indexed",
                                 kMaxIndexedFiles));
                break;
            }
            if (it->is_regular_file(ec))
                media_index_->emplace(it->path().filename().string(), it->path());
        }
    }
    if (auto f = media_index_->find(base); f != media_index_->end())
        return f->second;
    return std::nullopt;
}

void AndroidDbSource::fill_media(const Row& row, MediaType type, Item& item)
{
    const MediaFacts& m = *row.media;
    Attachment a;
    a.type = type;
    a.mime_type = m.mime_type;
    const std::string from_path =
        m.file_path.empty() ? std::string() : fs::path(m.file_path).filename().string();
    a.name = !from_path.empty() ? from_path : m.name;
    if (a.name.empty())
        a.name = fmt::format("{}-{}", to_string(type),
                             row.key_id ? utf8::ascii_upper(*row.key_id) : std::to_string(row.id));
    if (auto found = find_media(m.file_path, row.legacy ? m.name : std::string())) {
        std::error_code ec;
        a.present = true;
        a.locator = found->string();
        if (const auto size = fs::file_size(*found, ec); !ec)
            a.size = size;
    } else if (m.size > 0) {
        a.size = static_cast<std::uint64_t>(m.size);
    }
    item.attachments.push_back(std::move(a));
}

namespace {

// "FN:Erika Muster" from a vCard, for its file name.
std::string vcard_name(std::string_view vcard)
{
    std::size_t pos = 0;
    while (pos < vcard.size()) {
        auto nl = vcard.find('\n', pos);
        if (nl == std::string_view::npos)
            nl = vcard.size();
        std::string_view line = vcard.substr(pos, nl - pos);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.starts_with("FN:") || line.starts_with("FN;")) {
            const auto colon = line.find(':');
            return std::string(line.substr(colon + 1));
        }
        pos = nl + 1;
    }
    return {};
}

std::string file_safe(std::string name)
{
    for (char& c : name)
        if (c == '/' || c == '\\' || c == '\0' || c == '\n' || c == '\r')
            c = '_';
    return name;
}

}  // namespace

bool AndroidDbSource::build_item(Row& row, Item& item)
{
    item.clear();
    item.kind = ItemKind::Message;
    if (row.key_id && !row.key_id->empty())
        item.key_id = utf8::ascii_upper(*row.key_id);
    item.from_me = row.from_me;
    item.row = row.id;
    if (row.sender) {
        item.author = row.sender->person.name;
        item.sender_id = row.sender->key;
    }
    set_time(row.ts_ms, row.fallback_ts_ms, item);
    item.text = std::move(row.text);
    item.forwarded = row.forwarded;
    item.edited = row.edited;

    const bool legacy_call = row.legacy && row.type == kLegacyCall;
    if (legacy_call || row.type == kCallEntry) {
        const std::string id = item.key_id ? normalize_call_id(*item.key_id) : std::string();
        if (call_rows_skipped_.contains(row.id) || (!id.empty() && call_ids_.contains(id)))
            return false;  // the call_log row is the same call (spec §E.3)
        item.kind = ItemKind::Call;
        if (!id.empty())
            item.key_id = id;
        CallInfo call;
        call.media = row.video_call ? CallMedia::Video : CallMedia::Voice;
        call.outgoing = row.from_me;
        if (row.call_duration > 0)
            call.duration_seconds =
                static_cast<std::uint32_t>(std::min<std::int64_t>(row.call_duration, UINT32_MAX));
        call.result = call_result_of(-1, row.call_duration);
        item.call = call;
        return true;
    }
    if (row.type == kMissedCall) {
        item.kind = ItemKind::Call;
        CallInfo call;
        call.media = row.video_call ? CallMedia::Video : CallMedia::Voice;
        call.outgoing = row.from_me;
        call.result = CallResult::Missed;
        item.call = call;
        return true;
    }
    if (row.system_action || (row.status == 6 && row.type == kText)) {
        item.kind = ItemKind::System;
        item.author.reset();
        const std::int64_t action = row.system_action.value_or(-1);
        std::string actor;
        if (row.sender)
            actor = row.sender->person.name;
        const std::string value = row.legacy ? row.system_value : item.text;
        item.text =
            action < 0 ? "system event" : system_text(action, actor, row.system_targets, value, row.legacy);
        return true;
    }
    if (row.type == kWaiting) {
        item.placeholder = Placeholder::Unrenderable;
        if (item.text.empty())
            item.text = "Waiting for this message";
    }
    const MediaType mt = media_type_of(row.type, row.origin);
    if (row.media)
        fill_media(row, mt != MediaType::Unknown ? mt : MediaType::Unknown, item);
    if (row.media && item.text.empty() && !row.media->caption.empty() && !row.legacy)
        item.text = row.media->caption;
    if (row.location) {
        Location loc;
        loc.latitude = row.location->latitude;
        loc.longitude = row.location->longitude;
        loc.url = row.location->url;
        loc.live = row.type == kLiveLocation;
        const auto& n = row.location->place_name;
        const auto& a = row.location->place_address;
        if (!n.empty() || !a.empty())
            loc.venue = a.empty() ? n : n.empty() ? a : fmt::format("{} ({})", n, a);
        item.location = std::move(loc);
    }
    for (std::size_t i = 0; i < row.vcards.size(); ++i) {
        Attachment a;
        a.type = MediaType::Contact;
        a.mime_type = "text/vcard";
        std::string name =
            row.vcards.size() == 1 && !row.vcard_name.empty() ? row.vcard_name : vcard_name(row.vcards[i]);
        if (name.empty())
            name = fmt::format("contact-{}", i + 1);
        a.name = file_safe(std::move(name)) + ".vcf";
        a.present = true;
        a.size = row.vcards[i].size();
        a.inline_data = std::move(row.vcards[i]);
        item.attachments.push_back(std::move(a));
    }
    if (row.revoked) {
        item.deleted = true;
        const std::string statement =
            row.revoked_by_admin
                ? fmt::format("This message was deleted by admin {}", row.revoked_by_admin->person.name)
                : std::string("This message was deleted");
        if (item.text.empty() && item.attachments.empty() && !item.location)
            item.text = statement;
        else if (row.revoked_by_admin)
            // Content the row still holds is kept, and the admin who deleted it is stated after
            // it: the item has no other field for them, and an admin's deletion must not read as
            // the sender's (the sender is the From of the email).
            item.text = item.text.empty() ? statement : item.text + "\n\n" + statement;
    }
    if (row.quote) {
        Quote q;
        q.key_id = row.quote->key_id;
        if (row.quote->sender) {
            q.sender_id = row.quote->sender->key;
            q.author = row.quote->sender->person.name;
        }
        q.text = std::move(row.quote->text);
        item.quoted = std::move(q);
    }
    if (!is_known_type(row.type)) {
        if (unknown_types_.insert(row.type).second)
            warn(fmt::format("message type {} unrecognised: kept with its text and media (first: row {})",
                             row.type, row.id));
        if (item.text.empty() && item.attachments.empty())
            item.text = fmt::format("unrecognised message (type {})", row.type);
    }
    return true;
}

Result<bool> AndroidDbSource::next(Item& item, std::size_t& conversation)
{
    if (!main_)
        return false;
    const char* table = layout_ == Schema::Modern ? "message" : "messages";
    for (;;) {
        if (!row_ready_ && !rows_done_) {
            auto more = main_->step();
            if (!more) {
                rows_done_ = true;
                return fail(std::move(more).error().with_context(fmt::format("reading table {}", table)));
            }
            if (!*more) {
                rows_done_ = true;
                if (unrecorded_times_)
                    warn(
                        fmt::format("{} item(s) have no recorded time (timestamp 0 or NULL): kept with utc 0",
                                    unrecorded_times_));
                if (warnings_dropped_)
                    warn(fmt::format("{} more warning(s) not listed", warnings_dropped_));
            } else {
                auto read = layout_ == Schema::Modern ? read_modern_row(row_) : read_legacy_row(row_);
                if (!read) {
                    rows_done_ = true;
                    return fail(std::move(read).error().with_context(fmt::format("reading table {}", table)));
                }
                if (!*read)
                    continue;
                row_ready_ = true;
            }
        }
        // Calls of the chat being left, or earlier than the next row of this chat, go first.
        std::size_t call_conv = SIZE_MAX;
        if (row_ready_) {
            if (current_conv_ != SIZE_MAX && current_conv_ != row_.conv &&
                call_pos_[current_conv_] < calls_[current_conv_].size())
                call_conv = current_conv_;
            else {
                current_conv_ = row_.conv;
                const auto& list = calls_[row_.conv];
                const std::int64_t row_utc = (row_.ts_ms > 0 ? row_.ts_ms : row_.fallback_ts_ms) / 1000;
                if (call_pos_[row_.conv] < list.size() && list[call_pos_[row_.conv]].utc <= row_utc)
                    call_conv = row_.conv;
            }
        } else {
            if (current_conv_ != SIZE_MAX && call_pos_[current_conv_] < calls_[current_conv_].size())
                call_conv = current_conv_;
            else {
                while (flush_conv_ < calls_.size() && call_pos_[flush_conv_] >= calls_[flush_conv_].size())
                    ++flush_conv_;
                if (flush_conv_ == calls_.size())
                    return false;
                call_conv = current_conv_ = flush_conv_;
            }
        }
        if (call_conv != SIZE_MAX) {
            item = std::move(calls_[call_conv][call_pos_[call_conv]++]);
            item.index = index_++;
            conversation = call_conv;
            return true;
        }
        row_ready_ = false;
        if (!build_item(row_, item))
            continue;
        item.index = index_++;
        conversation = row_.conv;
        return true;
    }
}

Result<std::unique_ptr<ByteSource>> AndroidDbSource::open_attachment(const Attachment& attachment) const
{
    if (attachment.inline_data)
        return std::unique_ptr<ByteSource>(std::make_unique<StringSource>(*attachment.inline_data));
    if (!attachment.present || attachment.locator.empty() || !options_.media_dir)
        return fail(ErrorCode::NotFound,
                    fmt::format("attachment {} is not in the media folder", attachment.name));
    // Only files under the media folder: a locator is data, and data may be hostile.
    const fs::path root = options_.media_dir->lexically_normal();
    const fs::path file = fs::path(attachment.locator).lexically_normal();
    const auto rel = file.lexically_relative(root);
    if (rel.empty() || !is_safe_relative(rel))
        return fail(ErrorCode::NotFound, fmt::format("{} is outside the media folder", attachment.locator));
    return open_file_source(file);
}

}  // namespace

Result<Schema> choose_schema(sqlite::Snapshot& db)
{
    CV_TRY(auto schema, SchemaInfo::load(db));
    const bool modern = schema.has_column("message", "chat_row_id");
    const bool legacy = schema.has_column("messages", "key_remote_jid");
    if (!modern && !legacy) {
        std::vector<std::string> names = schema.tables();
        std::string list;
        for (std::size_t i = 0; i < names.size() && i < 20; ++i)
            list += (i ? ", " : "") + names[i];
        if (names.size() > 20)
            list += fmt::format(", … ({} tables)", names.size());
        if (names.empty())
            list = "none";
        return fail(ErrorCode::InvalidArgument, fmt::format("not a WhatsApp msgstore.db (tables: {})", list));
    }
    if (!legacy)
        return Schema::Modern;
    if (!modern)
        return Schema::Legacy;
    // A transition database: the modern table may hold only the sentinel row (_id 1, chat -1).
    CV_TRY(auto st, db.db().prepare("SELECT EXISTS (SELECT 1 FROM message WHERE chat_row_id > 0)"));
    CV_TRY(const bool row, st.step());
    return row && st.column_int(0) != 0 ? Schema::Modern : Schema::Legacy;
}

Result<std::unique_ptr<ChatSource>>
make_source(sqlite::Snapshot db, std::optional<address_book::AddressBook> contacts, const Options& options)
{
    CV_TRY(const TimeZone clock, TimeZone::locate(options.time_zone));
    CV_TRY(const Schema layout, choose_schema(db));
    CV_TRY(auto schema, SchemaInfo::load(db));
    std::uint64_t legacy_rows = 0;
    if (layout == Schema::Modern && schema.has_column("messages", "key_remote_jid")) {
        CV_TRY(auto st, db.db().prepare("SELECT count(*) FROM messages WHERE key_remote_jid != '-1'"));
        CV_TRY(const bool row, st.step());
        legacy_rows = row ? static_cast<std::uint64_t>(st.column_int(0)) : 0;
    }
    auto source = std::make_unique<AndroidDbSource>(std::move(db), std::move(contacts), std::move(schema),
                                                    layout, clock, options);
    CV_TRY_VOID(source->initialize());
    if (legacy_rows)
        source->note(fmt::format("table messages: {} legacy row(s) not read: table message holds the rows "
                                 "(a transition database)",
                                 legacy_rows));
    return std::unique_ptr<ChatSource>(std::move(source));
}

}  // namespace cv::android_db::detail

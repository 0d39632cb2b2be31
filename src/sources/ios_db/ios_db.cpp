#include "sources/ios_db/ios_db.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/byte_source.hpp"
#include "core/utf8.hpp"
#include "sources/ios_db/detail/clock.hpp"
#include "sources/ios_db/detail/jid.hpp"
#include "sources/ios_db/detail/protobuf.hpp"
#include "sources/ios_db/detail/schema.hpp"
#include "sources/ios_db/detail/side_dbs.hpp"
#include "sqlite/sqlite.hpp"

namespace cv::ios_db {

using namespace detail;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kVCardSeparator = "_$!<VCard-Separator>!$_";
constexpr std::string_view kNameSeparator = "_$!<Name-Separator>!$_";
// A type-59 chat row and a CallHistory call without a shared id are one call when this close.
constexpr std::int64_t kCallMatchSeconds = 120;

// The columns of the message query, in SELECT order.
enum Col : int {
    kPk,
    kChat,
    kFromMe,
    kDate,
    kSentDate,
    kFromJid,
    kStanza,
    kText,
    kType,
    kEvent,
    kMember,
    kMediaPk,
    kPath,
    kVCardString,
    kVCardName,
    kTitle,
    kFileSize,
    kLatitude,
    kLongitude,
    kMetadata,
};

// One ZWAMESSAGE row with its media item, copied out of the statement (whose views die at
// the next step).
struct Row {
    std::int64_t pk = 0;
    std::size_t conversation = 0;
    std::int64_t utc = 0;
    bool from_me = false;
    std::string from_jid, stanza, text;
    std::optional<std::int64_t> type, event, member;
    bool has_media = false;
    std::string path, vcard_string, vcard_name, title, latitude, longitude, metadata;
    std::optional<std::int64_t> file_size;
};

struct ChatInfo {
    bool group = false;
    std::optional<Jid> jid;
};

struct Member {
    std::string jid;
    std::string name;  // ZCONTACTNAME, else ZFIRSTNAME
};

std::vector<std::string_view> split(std::string_view s, std::string_view sep)
{
    std::vector<std::string_view> out;
    for (;;) {
        const auto at = s.find(sep);
        out.push_back(s.substr(0, at));
        if (at == std::string_view::npos)
            return out;
        s.remove_prefix(at + sep.size());
    }
}

bool looks_like_mime(std::string_view s)
{
    const auto slash = s.find('/');
    if (s.size() > 127 || slash == std::string_view::npos || slash == 0 || slash + 1 == s.size())
        return false;
    return std::none_of(s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r' || c == ':'; }) ||
           s.find("codecs") != std::string_view::npos;
}

bool is_media_type(std::int64_t type)
{
    switch (type) {
    case 1:
    case 2:
    case 3:
    case 8:
    case 11:
    case 15:
    case 38:
    case 39:
    case 53:
    case 54: return true;
    default: return false;
    }
}

bool is_known_type(std::int64_t type)
{
    return is_media_type(type) || type == 0 || type == 4 || type == 5 || type == 6 || type == 7 ||
           type == 10 || type == 14 || type == 59;
}

MediaType media_type_for(std::int64_t type, std::string_view mime)
{
    switch (type) {
    case 1:
    case 38: return MediaType::Image;
    case 2:
    case 39:
    case 54: return MediaType::Video;
    case 3:
        return mime.find("ogg") != std::string_view::npos || mime.find("opus") != std::string_view::npos
                   ? MediaType::VoiceNote
                   : MediaType::Audio;
    case 53: return MediaType::VoiceNote;
    case 8: return MediaType::Document;
    case 11: return MediaType::Gif;
    case 15: return MediaType::Sticker;
    default: return MediaType::Unknown;
    }
}

// §C.5: ZGROUPEVENTTYPE of type-6 and type-10 rows, in words; empty when unknown. `who` is
// the member the event is about, when the row names one.
std::string system_text(std::int64_t type, std::int64_t event, const std::string& who)
{
    const std::string someone = who.empty() ? "A member" : who;
    if (type == 6) {
        switch (event) {
        case 12: return "Group created";
        case 2: return someone + " joined";
        case 3: return someone + " left";
        case 7: return someone + " was removed";
        case 50: return "Several members joined";
        case 4: return "Group photo changed";
        case 5: return "Group photo removed";
        case 10: return "You are now an admin";
        default: return {};
        }
    }
    switch (event) {
    case 1: return "Missed voice call";
    case 2: return "Messages and calls are end-to-end encrypted";
    case 3: return "Security code changed";
    case 4: return "Missed video call";
    case 22: return "Missed group video call";
    case 26: return "This chat is with a business account";
    case 30: return "This business account is now a standard account";
    case 34: return "Contact blocked";
    case 35: return "Contact unblocked";
    case 40:
    case 41: return "Group call";
    default: return {};
    }
}

// A file name for a contact card: the card's name with path separators and controls
// replaced, so it cannot name a folder.
std::string vcf_name(std::string_view name, std::size_t n, std::size_t count)
{
    std::string out;
    for (const char c : utf8::sanitize(name))
        out += (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? '_' : c;
    if (out.empty() || out == "." || out == "..")
        out = count > 1 ? fmt::format("contact-{}", n + 1) : "contact";
    return out + ".vcf";
}

class IosDbSource final : public ChatSource {
public:
    IosDbSource(Options options, TimeZone zone, sqlite::Snapshot snapshot)
        : options_(std::move(options)), zone_(std::move(zone)),
          snapshot_(std::make_unique<sqlite::Snapshot>(std::move(snapshot)))
    {
    }

    Result<void> load(const fs::path& path);

    SourceKind kind() const override { return SourceKind::IosDatabase; }
    const std::vector<Conversation>& conversations() const override { return conversations_; }
    Result<bool> next(Item& item, std::size_t& conversation) override;
    Result<std::unique_ptr<ByteSource>> open_attachment(const Attachment& attachment) const override;
    const std::vector<std::string>& warnings() const override { return warnings_; }

private:
    Result<void> load_names();
    Result<void> find_owner();
    Result<void> load_members();
    Result<void> load_chats();
    Result<void> load_calls();
    Result<void> check_row_gaps();
    Result<void> prepare_messages();
    Result<bool> fetch_row();

    Person person(const Jid& jid, std::string_view db_name) const;
    std::string display_name(const Jid& jid, std::string_view db_name) const;
    bool is_owner(const Jid& jid) const { return owner_jid_ && person_key(jid) == person_key(*owner_jid_); }
    void set_times(Item& item, std::int64_t utc) const;
    void emit_row(const Row& row, Item& item);
    void emit_call(const CallRecord& call, std::size_t conversation, Item& item);
    void add_media(const Row& row, std::int64_t type, Item& item) const;
    std::optional<fs::path> resolve_media(std::string_view relative) const;
    void finish();

    Options options_;
    TimeZone zone_;
    std::unique_ptr<sqlite::Snapshot> snapshot_;
    std::optional<sqlite::Statement> messages_;  // declared after snapshot_: finalized first

    std::vector<Conversation> conversations_;
    std::vector<ChatInfo> chats_;
    std::vector<std::string> warnings_;
    std::unordered_map<std::int64_t, std::size_t> chat_index_;                 // ZWACHATSESSION.Z_PK →
    std::unordered_map<std::string, std::size_t> one_to_one_;                  // peer person key →
    std::unordered_map<std::int64_t, Member> members_;                         // ZWAGROUPMEMBER.Z_PK →
    std::unordered_map<std::int64_t, std::vector<std::int64_t>> member_rows_;  // chat Z_PK → member Z_PKs
    std::map<std::string, std::string> contact_names_;                         // person key → address book
    std::map<std::string, std::string> push_names_;                            // person key → push name
    std::map<std::string, std::string> chat_names_;  // person key → ZPARTNERNAME / ZCONTACTNAME
    std::optional<Jid> owner_jid_;
    Person owner_;
    std::vector<std::deque<CallRecord>> pending_calls_;  // per conversation, in time order
    std::unordered_set<std::int64_t> merged_call_rows_;  // type-59 rows a CallHistory call stands for

    // Streaming state.
    std::optional<Row> row_;
    bool rows_done_ = false;
    bool finished_ = false;
    std::size_t current_ = static_cast<std::size_t>(-1);
    std::size_t flush_ = 0;
    std::uint64_t index_ = 0;
    std::int64_t last_pk_ = 0;
    std::optional<std::int64_t> last_chat_;
    std::int64_t last_utc_ = 0;
    std::uint64_t undated_ = 0;
    std::uint64_t orphan_rows_ = 0;
    std::uint64_t status_rows_ = 0;
    std::unordered_set<std::int64_t> status_chats_;
};

Result<void> IosDbSource::load(const fs::path& path)
{
    CV_TRY(const auto tables, snapshot_->tables());
    const auto has_table = [&](std::string_view t) {
        return std::find(tables.begin(), tables.end(), t) != tables.end();
    };
    if (!has_table("ZWAMESSAGE") || !has_table("ZWACHATSESSION")) {
        const bool android = has_table("messages") || (has_table("message") && has_table("jid"));
        std::vector<std::string> shown(
            tables.begin(),
            tables.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(tables.size(), 8)));
        return fail(
            ErrorCode::InvalidArgument,
            fmt::format(
                "{} is not a WhatsApp iOS ChatStorage.sqlite (no ZWAMESSAGE and ZWACHATSESSION "
                "tables); it has {}{}{}",
                path.string(),
                tables.empty() ? "no tables" : "tables " + fmt::format("{}", fmt::join(shown, ", ")),
                tables.size() > shown.size() ? fmt::format(" and {} more", tables.size() - shown.size()) : "",
                android ? ": it looks like an Android msgstore.db, read it as one" : ""));
    }
    CV_TRY_VOID(load_names());
    if (options_.contacts) {
        auto contacts = read_contacts(*options_.contacts, warnings_);
        if (!contacts)
            return fail(std::move(contacts).error().with_context("reading " + options_.contacts->string()));
        contact_names_ = std::move(*contacts);
    }
    CV_TRY_VOID(find_owner());
    CV_TRY_VOID(load_members());
    CV_TRY_VOID(load_chats());
    CV_TRY_VOID(load_calls());
    CV_TRY_VOID(check_row_gaps());
    CV_TRY_VOID(prepare_messages());
    return {};
}

Result<void> IosDbSource::load_names()
{
    CV_TRY(auto t, TableColumns::read(*snapshot_, "ZWAPROFILEPUSHNAME"));
    if (!t.exists())
        return {};
    if (!t.has("ZJID") || !t.has("ZPUSHNAME")) {
        warnings_.emplace_back(
            "table ZWAPROFILEPUSHNAME: columns ZJID/ZPUSHNAME missing, push names not read");
        return {};
    }
    CV_TRY(auto st, snapshot_->db().prepare("SELECT ZJID, ZPUSHNAME FROM ZWAPROFILEPUSHNAME ORDER BY Z_PK"));
    return sqlite::for_each_row(st, [&] {
        const auto jid = parse_jid(st.column_text(0));
        std::string name = utf8::sanitize(st.column_text(1));
        if (jid && !name.empty())
            push_names_.emplace(person_key(*jid), std::move(name));
    });
}

Result<void> IosDbSource::find_owner()
{
    // §C.4: system rows (types 6 and 10) are addressed to the owner.
    CV_TRY(auto m, TableColumns::read(*snapshot_, "ZWAMESSAGE"));
    if (m.has("ZTOJID") && m.has("ZMESSAGETYPE")) {
        CV_TRY(auto st,
               snapshot_->db().prepare(
                   "SELECT ZTOJID FROM ZWAMESSAGE WHERE ZMESSAGETYPE IN (6, 10) AND ZTOJID IS NOT NULL "
                   "GROUP BY ZTOJID ORDER BY count(*) DESC, ZTOJID LIMIT 5"));
        CV_TRY_VOID(sqlite::for_each_row(st, [&] {
            const auto jid = parse_jid(st.column_text(0));
            if (!owner_jid_ && jid && jid->kind == JidKind::Phone && phone_of(*jid))
                owner_jid_ = *jid;
        }));
    }
    owner_.owner = true;
    owner_.name = "Me";
    if (owner_jid_) {
        owner_.phone = phone_of(*owner_jid_);
        if (auto it = push_names_.find(person_key(*owner_jid_)); it != push_names_.end())
            owner_.name = it->second;
    } else {
        // Person::key() is then "owner", the sender_id of the owner's messages.
        owner_.alias = "owner";
        warnings_.emplace_back(
            "the owner's number is not in the database (no system rows addressed to them)");
    }
    return {};
}

Result<void> IosDbSource::load_members()
{
    CV_TRY(auto t, TableColumns::read(*snapshot_, "ZWAGROUPMEMBER"));
    if (!t.exists()) {
        warnings_.emplace_back("table ZWAGROUPMEMBER missing: group members and group senders unknown");
        return {};
    }
    if (!t.has("Z_PK") || !t.has("ZMEMBERJID")) {
        warnings_.emplace_back("table ZWAGROUPMEMBER: column ZMEMBERJID missing, group members unknown");
        return {};
    }
    const std::string sql = fmt::format(
        "SELECT g.Z_PK, g.ZMEMBERJID, {}, {}, {} FROM ZWAGROUPMEMBER g ORDER BY g.Z_PK",
        t.select("g", "ZCHATSESSION"), t.select("g", "ZCONTACTNAME"), t.select("g", "ZFIRSTNAME"));
    if (auto w = t.warning(); !w.empty())
        warnings_.push_back(std::move(w));
    CV_TRY(auto st, snapshot_->db().prepare(sql));
    return sqlite::for_each_row(st, [&] {
        Member m{utf8::sanitize(st.column_text(1)), utf8::sanitize(st.column_text(3))};
        if (m.name.empty())
            m.name = utf8::sanitize(st.column_text(4));
        const std::int64_t pk = st.column_int(0);
        if (!st.column_is_null(2))
            member_rows_[st.column_int(2)].push_back(pk);
        members_.emplace(pk, std::move(m));
    });
}

std::string IosDbSource::display_name(const Jid& jid, std::string_view db_name) const
{
    // §E.1: address book > push name > +digits; the chat store's own names (ZPARTNERNAME,
    // ZCONTACTNAME) come from the address book too, so they rank after ContactsV2 only.
    const std::string key = person_key(jid);
    if (auto it = contact_names_.find(key); it != contact_names_.end())
        return it->second;
    if (!db_name.empty())
        return std::string(db_name);
    if (auto it = chat_names_.find(key); it != chat_names_.end())
        return it->second;
    if (auto it = push_names_.find(key); it != push_names_.end())
        return it->second;
    if (const auto phone = phone_of(jid))
        return *phone;
    return key;
}

Person IosDbSource::person(const Jid& jid, std::string_view db_name) const
{
    if (is_owner(jid))
        return owner_;
    Person p;
    p.name = display_name(jid, db_name);
    p.phone = phone_of(jid);
    if (!p.phone)
        p.alias = person_key(jid);
    return p;
}

Result<void> IosDbSource::load_chats()
{
    CV_TRY(auto t, TableColumns::read(*snapshot_, "ZWACHATSESSION"));
    if (!t.has("Z_PK"))
        return fail(ErrorCode::Unsupported, "table ZWACHATSESSION has no Z_PK column");
    const std::string sql = fmt::format("SELECT c.Z_PK, {}, {} FROM ZWACHATSESSION c ORDER BY c.Z_PK",
                                        t.select("c", "ZCONTACTJID"), t.select("c", "ZPARTNERNAME"));
    if (auto w = t.warning(); !w.empty())
        warnings_.push_back(std::move(w));
    CV_TRY(auto st, snapshot_->db().prepare(sql));
    struct Session {
        std::int64_t pk;
        std::optional<Jid> jid;
        std::string partner;
    };
    std::vector<Session> sessions;
    CV_TRY_VOID(sqlite::for_each_row(st, [&] {
        sessions.push_back(
            {st.column_int(0), parse_jid(st.column_text(1)), utf8::sanitize(st.column_text(2))});
    }));
    // A 1:1 chat's ZPARTNERNAME names that person wherever they appear (group senders, quotes).
    for (const auto& s : sessions)
        if (s.jid && (s.jid->kind == JidKind::Phone || s.jid->kind == JidKind::Lid) && !s.partner.empty())
            chat_names_.emplace(person_key(*s.jid), s.partner);
    for (const auto& [pk, member] : members_)
        if (const auto j = parse_jid(member.jid); j && !member.name.empty())
            chat_names_.emplace(person_key(*j), member.name);

    for (const auto& s : sessions) {
        const std::int64_t pk = s.pk;
        const auto& jid = s.jid;
        if (jid && is_pseudo_chat(*jid)) {
            status_chats_.insert(pk);
            continue;
        }
        Conversation c;
        ChatInfo info;
        info.jid = jid;
        info.group = jid && jid->kind == JidKind::Group;
        c.group = info.group;
        if (jid)
            c.jid = jid->text();
        c.members.push_back(owner_);
        if (info.group) {
            c.title = s.partner.empty() ? jid->text() : s.partner;
            for (const std::int64_t m : member_rows_[pk]) {
                const Member& member = members_.at(m);
                const auto mj = parse_jid(member.jid);
                if (!mj || is_owner(*mj))
                    continue;
                Person p = person(*mj, member.name);
                if (std::none_of(c.members.begin(), c.members.end(),
                                 [&](const Person& q) { return q.key() == p.key(); }))
                    c.members.push_back(std::move(p));
            }
        } else if (jid && (jid->kind == JidKind::Phone || jid->kind == JidKind::Lid)) {
            Person peer = person(*jid, s.partner);
            c.title = s.partner.empty() ? peer.name : s.partner;
            one_to_one_.emplace(peer.key(), conversations_.size());
            c.members.push_back(std::move(peer));
        } else {
            // A broadcast list, a channel, or a chat without a JID: no person to name.
            c.title = !s.partner.empty() ? s.partner : jid ? jid->text() : fmt::format("chat {}", pk);
        }
        chat_index_.emplace(pk, conversations_.size());
        conversations_.push_back(std::move(c));
        chats_.push_back(std::move(info));
    }
    return {};
}

Result<void> IosDbSource::load_calls()
{
    pending_calls_.resize(conversations_.size());
    if (!options_.call_history)
        return {};
    auto read = read_call_history(*options_.call_history, warnings_);
    if (!read)
        return fail(std::move(read).error().with_context("reading " + options_.call_history->string()));
    std::uint64_t unplaced = 0;
    for (auto& call : *read) {
        std::optional<std::size_t> conv;
        std::optional<Jid> peer;
        if (const auto g = parse_jid(call.group_jid); g && g->kind == JidKind::Group) {
            for (std::size_t i = 0; i < chats_.size() && !conv; ++i)
                if (chats_[i].jid && chats_[i].jid->text() == g->text())
                    conv = i;
        } else {
            for (const auto& p : call.participants)
                if (const auto j = parse_jid(p); j && !is_owner(*j)) {
                    peer = j;
                    break;
                }
            if (const auto c = parse_jid(call.caller_jid); !peer && c && !is_owner(*c))
                peer = c;
            if (peer) {
                if (auto it = one_to_one_.find(person_key(*peer)); it != one_to_one_.end())
                    conv = it->second;
            }
        }
        if (!conv && peer && (peer->kind == JidKind::Phone || peer->kind == JidKind::Lid)) {
            // A call with someone the owner never wrote to: a chat of its own.
            Conversation c;
            Person p = person(*peer, "");
            c.title = p.name;
            c.jid = peer->text();
            c.members = {owner_, p};
            conv = conversations_.size();
            one_to_one_.emplace(p.key(), *conv);
            conversations_.push_back(std::move(c));
            chats_.push_back(ChatInfo{false, peer});
            pending_calls_.emplace_back();
        }
        if (!conv) {
            ++unplaced;
            continue;
        }
        pending_calls_[*conv].push_back(std::move(call));
    }
    if (unplaced > 0)
        warnings_.push_back(fmt::format("CallHistory: {} call(s) with no peer or group left out", unplaced));

    // §E.3: a type-59 chat row is the same call as a CallHistory record: one item, not two.
    CV_TRY(auto m, TableColumns::read(*snapshot_, "ZWAMESSAGE"));
    if (!m.has("ZMESSAGETYPE") || !m.has("ZSTANZAID"))
        return {};
    CV_TRY(auto st,
           snapshot_->db().prepare(fmt::format(
               "SELECT m.Z_PK, m.ZCHATSESSION, m.ZSTANZAID, {} FROM ZWAMESSAGE m WHERE m.ZMESSAGETYPE = 59",
               m.select("m", "ZMESSAGEDATE"))));
    return sqlite::for_each_row(st, [&] {
        const auto chat = chat_index_.find(st.column_int(1));
        const std::string stanza = utf8::ascii_upper(st.column_text(2));
        if (chat == chat_index_.end() || stanza.empty())
            return;
        auto& calls = pending_calls_[chat->second];
        CallRecord* match = nullptr;
        for (auto& c : calls)
            if (c.call_id && utf8::ascii_upper(*c.call_id) == stanza)
                match = &c;
        if (!match) {
            if (const auto utc = unix_from_core_data(st.column_text(3))) {
                std::int64_t best = kCallMatchSeconds + 1;
                for (auto& c : calls)
                    if (!c.stanza_id && !c.call_id && std::llabs(c.utc - *utc) < best) {
                        best = std::llabs(c.utc - *utc);
                        match = &c;
                    }
            }
        }
        if (match) {
            match->stanza_id = stanza;
            merged_call_rows_.insert(st.column_int(0));
        }
    });
}

Result<void> IosDbSource::check_row_gaps()
{
    // §C.8: "delete for me" removes the row and leaves a gap in Z_PK.
    CV_TRY(auto st, snapshot_->db().prepare("SELECT count(*), min(Z_PK), max(Z_PK) FROM ZWAMESSAGE"));
    CV_TRY(const bool row, st.step());
    if (row && st.column_int(0) > 0) {
        const std::int64_t missing = st.column_int(2) - st.column_int(1) + 1 - st.column_int(0);
        if (missing > 0)
            warnings_.push_back(fmt::format("table ZWAMESSAGE: {} row number(s) between {} and {} missing "
                                            "(messages deleted on the phone leave such gaps)",
                                            missing, st.column_int(1), st.column_int(2)));
    }
    return {};
}

Result<void> IosDbSource::prepare_messages()
{
    CV_TRY(auto m, TableColumns::read(*snapshot_, "ZWAMESSAGE"));
    if (!m.has("Z_PK") || !m.has("ZCHATSESSION"))
        return fail(ErrorCode::Unsupported,
                    "table ZWAMESSAGE has no Z_PK or ZCHATSESSION column: an unknown ChatStorage schema");
    CV_TRY(auto i, TableColumns::read(*snapshot_, "ZWAMEDIAITEM"));
    std::string join;
    if (i.exists() && i.has("Z_PK") && m.has("ZMEDIAITEM"))
        join = "LEFT JOIN ZWAMEDIAITEM i ON i.Z_PK = m.ZMEDIAITEM";
    else if (i.exists() && i.has("ZMESSAGE"))
        join = "LEFT JOIN ZWAMEDIAITEM i ON i.ZMESSAGE = m.Z_PK";
    else
        warnings_.emplace_back("table ZWAMEDIAITEM missing or unlinked: media, locations, contact cards and "
                               "replies not read");
    const auto media = [&](std::string_view column) {
        return join.empty() ? std::string("NULL") : i.select("i", column);
    };
    const std::string order = m.has("ZSORT")          ? "m.ZSORT"
                              : m.has("ZMESSAGEDATE") ? "m.ZMESSAGEDATE"
                                                      : "m.Z_PK";
    const std::string sql = fmt::format(
        "SELECT m.Z_PK, m.ZCHATSESSION, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, "
        "{} "
        "FROM ZWAMESSAGE m {} ORDER BY m.ZCHATSESSION, {}, m.Z_PK",
        m.select("m", "ZISFROMME"), m.select("m", "ZMESSAGEDATE"), m.select("m", "ZSENTDATE"),
        m.select("m", "ZFROMJID"), m.select("m", "ZSTANZAID"), m.select("m", "ZTEXT"),
        m.select("m", "ZMESSAGETYPE"), m.select("m", "ZGROUPEVENTTYPE"), m.select("m", "ZGROUPMEMBER"),
        media("Z_PK"), media("ZMEDIALOCALPATH"), media("ZVCARDSTRING"), media("ZVCARDNAME"), media("ZTITLE"),
        media("ZFILESIZE"), media("ZLATITUDE"), media("ZLONGITUDE"), media("ZMETADATA"), join, order);
    for (const auto* t : {&m, &i})
        if (auto w = t->warning(); !w.empty())
            warnings_.push_back(std::move(w));
    CV_TRY(auto st, snapshot_->db().prepare(sql));
    messages_.emplace(std::move(st));
    return {};
}

Result<bool> IosDbSource::fetch_row()
{
    auto& st = *messages_;
    for (;;) {
        auto stepped = st.step();
        if (!stepped)
            return fail(std::move(stepped).error().with_context(
                fmt::format("reading ZWAMESSAGE after row Z_PK {}", last_pk_)));
        if (!*stepped)
            return false;
        const std::int64_t pk = st.column_int(kPk);
        last_pk_ = pk;
        const std::int64_t chat_pk = st.column_int(kChat);
        const auto chat = chat_index_.find(chat_pk);
        if (chat == chat_index_.end()) {
            ++(status_chats_.count(chat_pk) ? status_rows_ : orphan_rows_);
            continue;
        }
        if (merged_call_rows_.count(pk))
            continue;
        Row r;
        r.pk = pk;
        r.conversation = chat->second;
        r.from_me = !st.column_is_null(kFromMe) && st.column_int(kFromMe) != 0;
        auto utc = unix_from_core_data(st.column_text(kDate));
        if (!utc)
            utc = unix_from_core_data(st.column_text(kSentDate));
        if (!utc) {
            // Keeps the chat's order: the time of the row before it in the chat.
            ++undated_;
            utc = last_chat_ == chat_pk ? last_utc_ : 0;
        }
        r.utc = *utc;
        last_chat_ = chat_pk;
        last_utc_ = r.utc;
        r.from_jid = utf8::sanitize(st.column_text(kFromJid));
        r.stanza = utf8::sanitize(st.column_text(kStanza));
        r.text = utf8::sanitize(st.column_text(kText));
        if (!st.column_is_null(kType))
            r.type = st.column_int(kType);
        if (!st.column_is_null(kEvent))
            r.event = st.column_int(kEvent);
        if (!st.column_is_null(kMember))
            r.member = st.column_int(kMember);
        r.has_media = !st.column_is_null(kMediaPk);
        if (r.has_media) {
            r.path = utf8::sanitize(st.column_text(kPath));
            r.vcard_string = utf8::sanitize(st.column_text(kVCardString));
            r.vcard_name = utf8::sanitize(st.column_text(kVCardName));
            r.title = utf8::sanitize(st.column_text(kTitle));
            if (!st.column_is_null(kFileSize))
                r.file_size = st.column_int(kFileSize);
            r.latitude = std::string(st.column_text(kLatitude));
            r.longitude = std::string(st.column_text(kLongitude));
            const auto blob = st.column_blob(kMetadata);
            r.metadata.assign(reinterpret_cast<const char*>(blob.data()), blob.size());
        }
        row_ = std::move(r);
        return true;
    }
}

void IosDbSource::set_times(Item& item, std::int64_t utc) const
{
    item.utc = utc;
    const ZonedWallClock local = zone_.to_local(utc);
    item.wall_clock = local.wall_clock;
    item.dst = local.resolution;
    item.wall_clock_text = format_iso(local.wall_clock);
}

std::optional<fs::path> IosDbSource::resolve_media(std::string_view relative) const
{
    if (!options_.media_dir || relative.empty())
        return std::nullopt;
    // The path comes from the database: it must not leave the media folder.
    const fs::path rel(relative);
    if (rel.is_absolute() || rel.has_root_name())
        return std::nullopt;
    for (const auto& part : rel)
        if (part == "..")
            return std::nullopt;
    std::error_code ec;
    for (const fs::path& base : {*options_.media_dir, *options_.media_dir / "Message"}) {
        fs::path p = base / rel;
        if (fs::is_regular_file(p, ec))
            return p;
    }
    return std::nullopt;
}

void IosDbSource::add_media(const Row& row, std::int64_t type, Item& item) const
{
    Attachment a;
    const bool mime_ok = looks_like_mime(row.vcard_string);
    a.type = media_type_for(type, mime_ok ? row.vcard_string : "");
    if (mime_ok)
        a.mime_type = row.vcard_string;
    const std::string base = row.path.empty() ? std::string() : fs::path(row.path).filename().string();
    if (type == 8 && !row.title.empty()) {
        a.name = row.title;  // a document's title is its original file name
    } else {
        a.name = base.empty() ? row.title : base;
        if (item.text.empty() && !row.title.empty() && !base.empty())
            item.text = row.title;  // the caption
    }
    if (row.file_size && *row.file_size > 0)
        a.size = static_cast<std::uint64_t>(*row.file_size);
    if (const auto file = resolve_media(row.path)) {
        std::error_code ec;
        a.present = true;
        a.locator = file->string();
        if (const auto size = fs::file_size(*file, ec); !ec)
            a.size = size;
    }
    item.attachments.push_back(std::move(a));
}

void IosDbSource::emit_row(const Row& row, Item& item)
{
    const ChatInfo& chat = chats_[row.conversation];
    item.kind = ItemKind::Message;
    set_times(item, row.utc);
    item.text = row.text;
    if (!row.stanza.empty())
        item.key_id = utf8::ascii_upper(row.stanza);
    item.from_me = row.from_me;
    item.row = row.pk;
    const std::int64_t type = row.type.value_or(0);

    // Sender (§E.2): the owner; the group member row; else the sender JID or the chat's.
    std::optional<Jid> sender;
    std::string sender_db_name;
    if (row.member)
        if (auto it = members_.find(*row.member); it != members_.end()) {
            sender = parse_jid(it->second.jid);
            sender_db_name = it->second.name;
        }
    if (!sender && !chat.group) {
        if (const auto j = parse_jid(row.from_jid);
            j && (j->kind == JidKind::Phone || j->kind == JidKind::Lid))
            sender = j;
        else if (chat.jid && (chat.jid->kind == JidKind::Phone || chat.jid->kind == JidKind::Lid))
            sender = chat.jid;
    } else if (!sender) {
        if (const auto j = parse_jid(row.from_jid);
            j && (j->kind == JidKind::Phone || j->kind == JidKind::Lid))
            sender = j;
    }
    const bool system = type == 6 || type == 10;
    if (row.from_me && !system) {
        item.sender_id = owner_.key();
        item.author = owner_.name;
    } else if (sender && (!system || row.member)) {
        const Person p = person(*sender, sender_db_name);
        item.sender_id = p.key();
        if (!system)
            item.author = p.name;
    }

    if (system) {
        item.kind = ItemKind::System;
        if (item.text.empty()) {
            const std::string who =
                row.member && sender ? person(*sender, sender_db_name).name : std::string();
            item.text = system_text(type, row.event.value_or(-1), who);
        }
        if (item.text.empty())
            item.text = fmt::format("system event (type {}, event {})", type,
                                    row.event ? fmt::format("{}", *row.event) : std::string("none"));
    } else if (type == 14) {
        item.deleted = true;  // §C.8: whatever content remains is kept
    } else if (type == 59) {
        item.kind = ItemKind::Call;
        item.call = CallInfo{CallMedia::Voice, CallResult::Unknown, row.from_me, std::nullopt};
    } else if (type == 5 && row.has_media) {
        Location loc;
        if (parse_number(row.latitude) && parse_number(row.longitude)) {
            loc.latitude = row.latitude;
            loc.longitude = row.longitude;
            loc.url = fmt::format("https://maps.google.com/?q={},{}", row.latitude, row.longitude);
        }
        if (!row.title.empty())
            loc.venue = row.title;
        item.location = std::move(loc);
    } else if (type == 4 && row.has_media) {
        // §C.6/§F.8: several cards share one row; an extra first name is the list's title.
        const auto cards = split(row.vcard_string, kVCardSeparator);
        auto names = split(row.vcard_name, kNameSeparator);
        if (names.size() == cards.size() + 1)
            names.erase(names.begin());
        for (std::size_t n = 0; n < cards.size(); ++n) {
            if (cards[n].empty())
                continue;
            Attachment a;
            a.type = MediaType::Contact;
            a.name = vcf_name(n < names.size() ? names[n] : std::string_view(), n, cards.size());
            a.present = true;
            a.mime_type = "text/vcard";
            a.size = cards[n].size();
            a.inline_data = std::string(cards[n]);
            item.attachments.push_back(std::move(a));
        }
    } else if (is_media_type(type) || (!is_known_type(type) && !row.path.empty())) {
        add_media(row, type, item);
    }
    if (!is_known_type(type) && item.text.empty() && item.attachments.empty()) {
        item.text = fmt::format("unsupported message (type {})", type);
        item.placeholder = Placeholder::Unrenderable;
    }

    if (!row.metadata.empty() && !system) {
        const QuotedRef ref = parse_quoted_ref(row.metadata);
        if (ref.stanza_id) {
            Quote q;
            q.key_id = utf8::ascii_upper(*ref.stanza_id);
            if (ref.sender_jid)
                if (const auto j = parse_jid(*ref.sender_jid)) {
                    const Person p = person(*j, "");
                    q.sender_id = p.key();
                    q.author = p.name;
                }
            q.text = ref.text.value_or("");
            item.quoted = std::move(q);
        }
    }
}

void IosDbSource::emit_call(const CallRecord& call, std::size_t conversation, Item& item)
{
    const ChatInfo& chat = chats_[conversation];
    item.kind = ItemKind::Call;
    item.row = call.row;
    set_times(item, call.utc);
    std::optional<bool> outgoing;
    const auto caller = parse_jid(call.caller_jid);
    if (call.incoming)
        outgoing = !*call.incoming;
    else if (caller)
        outgoing = is_owner(*caller);
    item.from_me = outgoing;
    item.call = CallInfo{call.media, call.result, outgoing, call.duration_seconds};
    std::optional<Jid> from;
    if (outgoing.value_or(false)) {
        item.sender_id = owner_.key();
        item.author = owner_.name;
    } else if (caller && !is_owner(*caller)) {
        from = caller;
    } else if (!chat.group && chat.jid) {
        from = chat.jid;
    }
    if (from) {
        const Person p = person(*from, "");
        item.sender_id = p.key();
        item.author = p.name;
    }
    // §E.3: the call id, else the chat row's id, else date + peer + outcome.
    if (call.call_id)
        item.key_id = utf8::ascii_upper(*call.call_id);
    else if (call.stanza_id)
        item.key_id = *call.stanza_id;
    else
        item.key_id = utf8::ascii_upper(
            fmt::format("CALL-{}-{}-{}", call.date_text, conversations_[conversation].key(),
                        call.outcome ? fmt::format("{}", *call.outcome) : std::string("X")));
}

Result<bool> IosDbSource::next(Item& item, std::size_t& conversation)
{
    if (finished_)
        return false;
    for (;;) {
        if (!row_ && !rows_done_) {
            CV_TRY(const bool more, fetch_row());
            rows_done_ = !more;
        }
        std::optional<std::size_t> call_of;
        if (row_) {
            const std::size_t c = row_->conversation;
            if (current_ < pending_calls_.size() && current_ != c && !pending_calls_[current_].empty())
                call_of = current_;  // the previous chat's calls after its last message
            else if (!pending_calls_[c].empty() && pending_calls_[c].front().utc <= row_->utc)
                call_of = c;
            current_ = call_of.value_or(c);
            if (!call_of) {
                item.clear();
                item.index = index_++;
                emit_row(*row_, item);
                conversation = c;
                row_.reset();
                return true;
            }
        } else {
            while (flush_ < pending_calls_.size() && pending_calls_[flush_].empty())
                ++flush_;
            if (flush_ == pending_calls_.size()) {
                finish();
                return false;
            }
            call_of = flush_;
        }
        item.clear();
        item.index = index_++;
        emit_call(pending_calls_[*call_of].front(), *call_of, item);
        pending_calls_[*call_of].pop_front();
        conversation = *call_of;
        return true;
    }
}

void IosDbSource::finish()
{
    finished_ = true;
    if (undated_ > 0)
        warnings_.push_back(
            fmt::format("table ZWAMESSAGE: {} row(s) without ZMESSAGEDATE or ZSENTDATE, given "
                        "the time of the message before them",
                        undated_));
    if (orphan_rows_ > 0)
        warnings_.push_back(
            fmt::format("table ZWAMESSAGE: {} row(s) of no known chat (ZCHATSESSION) skipped", orphan_rows_));
    if (status_rows_ > 0)
        warnings_.push_back(fmt::format("table ZWAMESSAGE: {} status update(s) skipped", status_rows_));
}

Result<std::unique_ptr<ByteSource>> IosDbSource::open_attachment(const Attachment& attachment) const
{
    if (attachment.inline_data)
        return std::unique_ptr<ByteSource>(std::make_unique<StringSource>(*attachment.inline_data));
    if (!attachment.present || attachment.locator.empty())
        return fail(ErrorCode::NotFound,
                    fmt::format("attachment '{}' is not in the media folder", attachment.name));
    return open_file_source(attachment.locator);
}

}  // namespace

Result<std::unique_ptr<ChatSource>> open_ios_db(const fs::path& chat_storage, const Options& options)
{
    CV_TRY(auto zone, TimeZone::locate(options.time_zone));
    auto snapshot = sqlite::Snapshot::open(chat_storage);
    if (!snapshot) {
        if (snapshot.error().code() != ErrorCode::Parse)
            return fail(std::move(snapshot).error());
        return fail(
            ErrorCode::Parse,
            fmt::format("{} is not an SQLite database: a ChatStorage.sqlite from an encrypted iTunes/Finder "
                        "backup must be decrypted, and one inside an archive extracted, first ({})",
                        chat_storage.string(), snapshot.error().message()));
    }
    auto source = std::make_unique<IosDbSource>(options, std::move(zone), std::move(*snapshot));
    CV_TRY_VOID(source->load(chat_storage));
    return std::unique_ptr<ChatSource>(std::move(source));
}

}  // namespace cv::ios_db

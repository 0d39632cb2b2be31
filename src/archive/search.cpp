// Content search over the archive: the index tables beside the item full-text index, their
// fill (hooks archive.cpp calls) and the one SQL statement an IndexCondition tree becomes.
//
// Tables (created in place when an archive is opened without them; filled for older archives
// from their sealed records, once):
//
//   search_members   contentless FTS5, rowid = conversation × 65536 + member position:
//                    name, phone (E.164 digits), phone_tail (its digit suffixes of 6 or more,
//                    so that a national spelling "0151 …" matches), address (mapped email)
//   search_titles    contentless FTS5, rowid = conversation: the chat's title
//   search_items     item → conversation, the sender's member position (NULL when the sender
//                    is not a known member), flags (1 = edited)
//   search_previews  block (item id / 256) → the preview records of its items (author, the first
//                    KiB of text, attachment names, call), zstd-compressed and sealed with the
//                    archive key: what a page of hits shows, without decrypting each hit's record
//                    chunk (up to 16,384 items, megabytes); about 29 bytes an item
//   items_utc        an index on items(utc), for date ranges and the newest-first order
//   items_id_utc     an index on items(id, utc): the sent time of each match of an id set
//
// Like the item index these keep *terms* of names, numbers and addresses in the clear (README,
// "What the index reveals"); texts stay only in sealed records (item chunks, preview blocks).

#include <algorithm>
#include <variant>

#include "archive/detail/archive_impl.hpp"
#include "archive/detail/record.hpp"
#include "archive/detail/search_index.hpp"

namespace cv::archive {

using namespace sqlite;

namespace {

constexpr std::string_view kSearchSchema = R"sql(
CREATE VIRTUAL TABLE IF NOT EXISTS search_members USING fts5(name, phone, phone_tail, address, content='',
                                                            tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS search_titles USING fts5(title, content='',
                                                           tokenize='unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS search_items(item INTEGER PRIMARY KEY, conversation INTEGER NOT NULL,
                                        sender INTEGER, flags INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS search_items_conversation ON search_items(conversation, sender);
CREATE TABLE IF NOT EXISTS search_previews(block INTEGER PRIMARY KEY, sealed BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS items_utc ON items(utc);
CREATE INDEX IF NOT EXISTS items_id_utc ON items(id, utc);
)sql";

// The version of the index tables' content; an archive whose meta says less is filled again.
constexpr std::string_view kSearchIndexVersion = "2";  // 2: search_previews

constexpr std::int64_t kEdited = 1;

std::string_view as_text(std::span<const std::uint8_t> b)
{
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string digits_of(std::string_view s)
{
    std::string d;
    for (const char c : s)
        if (c >= '0' && c <= '9')
            d += c;
    return d;
}

Result<Conversation> read_conversation(Database& db, const detail::Key& key, std::int64_t id)
{
    CV_TRY(auto st, db.prepare("SELECT sealed FROM conversations WHERE id = ?1"));
    st.bind(1, id);
    CV_TRY(const bool row, st.step());
    if (!row)
        return fail(ErrorCode::NotFound, fmt::format("conversation {} is not in the archive", id));
    CV_TRY(const auto plain, key.open(st.column_blob(0), fmt::format("conversation:{}", id)));
    return detail::parse_conversation_record(as_text(plain));
}

std::optional<std::int64_t> sender_position(const Conversation& c, const Item& item)
{
    const Person* p = nullptr;
    if (item.sender_id)
        p = c.find(*item.sender_id);
    if (!p && item.author)
        p = c.find(*item.author);
    if (!p)
        return std::nullopt;
    const auto position = static_cast<std::int64_t>(p - c.members.data());
    if (position >= kMemberStride)
        return std::nullopt;
    return position;
}

// ---- IndexCondition → SQL

using Param = std::variant<std::int64_t, std::string>;

struct Compiler {
    std::vector<Param> params;
    bool reads_row = false;  ///< the condition reads an items column besides id and utc

    std::string param(Param p)
    {
        params.push_back(std::move(p));
        return fmt::format("?{}", params.size() + 2);  // ?1 and ?2 are LIMIT and OFFSET
    }

    static std::string id_list(const std::vector<std::int64_t>& ids)
    {
        std::string out = "(";
        for (std::size_t i = 0; i < ids.size(); ++i)
            out += (i ? "," : "") + std::to_string(ids[i]);
        return out + ")";
    }

    std::string range(std::string_view column, const IndexCondition& c)
    {
        std::string out;
        if (c.from)
            out = fmt::format("{} >= {}", column, *c.from);
        if (c.to)
            out += fmt::format("{}{} < {}", out.empty() ? "" : " AND ", column, *c.to);
        return out.empty() ? "1" : "(" + out + ")";
    }

    static std::string like_escape(std::string_view s)
    {
        std::string out;
        for (const char c : s) {
            if (c == '%' || c == '_' || c == '\\')
                out += '\\';
            out += c;
        }
        return out;
    }

    // A condition that is a set of item ids read from an index alone (full-text matches, people,
    // conversations, mailboxes, and AND/OR of these). An AND or OR of several becomes one
    // INTERSECT / UNION of id sets that touches no items row: given `a AND b` as two `i.id IN`
    // tests, SQLite drives the search from one list and reads the items row of each of its ids
    // before testing the other (1M items: "weekend" (40,000 ids) AND from:x (4,000): 56 ms).
    static bool is_set(const IndexCondition& c)
    {
        using Op = IndexCondition::Op;
        switch (c.op) {
        case Op::Text:
        case Op::Mailbox: return true;
        case Op::Person:
        case Op::Conversation: return !c.fts.empty() || !c.ids.empty();
        case Op::And:
        case Op::Or:
            return !c.children.empty() && std::all_of(c.children.begin(), c.children.end(),
                                                      [](const IndexCondition& k) { return is_set(k); });
        default: return false;
        }
    }

    // The SELECT of one column of item ids for a condition is_set() accepts.
    std::string set_sql(const IndexCondition& c)
    {
        using Op = IndexCondition::Op;
        switch (c.op) {
        case Op::And:
        case Op::Or: {
            if (c.children.size() == 1)
                return set_sql(c.children.front());
            std::string out;
            for (std::size_t i = 0; i < c.children.size(); ++i)
                out += (i ? (c.op == Op::And ? " INTERSECT " : " UNION ") : "") +
                       std::string("SELECT * FROM (") + set_sql(c.children[i]) + ")";
            return out;
        }
        case Op::Text: return "SELECT rowid FROM search WHERE search MATCH " + param(c.fts);
        case Op::Person: {
            std::string members;
            if (!c.fts.empty()) {
                members =
                    "(SELECT rowid AS r FROM search_members WHERE search_members MATCH " + param(c.fts) + ")";
            } else {
                members = "(SELECT value AS r FROM json_each('[";
                for (std::size_t i = 0; i < c.ids.size(); ++i)
                    members += (i ? "," : "") + std::to_string(c.ids[i]);
                members += "]'))";
            }
            std::string join =
                fmt::format("SELECT s.item FROM {} m CROSS JOIN search_items s ON s.conversation = m.r / {}",
                            members, kMemberStride);
            switch (c.role) {
            case IndexCondition::Role::Sender:
                join += fmt::format(" AND s.sender = m.r % {}", kMemberStride);
                break;
            case IndexCondition::Role::Recipient:
                join += fmt::format(" WHERE s.sender IS NOT m.r % {}", kMemberStride);
                break;
            case IndexCondition::Role::Participant: break;
            }
            return join;
        }
        case Op::Conversation:
            if (!c.fts.empty())
                return "SELECT s.item FROM (SELECT rowid AS c FROM search_titles WHERE search_titles MATCH " +
                       param(c.fts) + ") t CROSS JOIN search_items s ON s.conversation = t.c";
            return "SELECT s.item FROM search_items s WHERE s.conversation IN " + id_list(c.ids);
        case Op::Mailbox: {
            std::string where;
            if (c.prefix)
                where = "m.address LIKE " + param(like_escape(c.text) + "%") + " ESCAPE '\\'";
            else if (c.domain)
                where = "(m.address LIKE " + param("%@" + like_escape(c.text)) +
                        " ESCAPE '\\' OR m.address LIKE " + param("%." + like_escape(c.text)) +
                        " ESCAPE '\\')";
            else
                where = "m.address = " + param(c.text) + " COLLATE NOCASE";
            return "SELECT p.item FROM mailboxes m JOIN folders f ON f.mailbox = m.id JOIN placements p ON "
                   "p.folder = f.id WHERE " +
                   where;
        }
        default: return "SELECT NULL WHERE 0";  // not reached: is_set() said no
        }
    }

    std::string compile(const IndexCondition& c)
    {
        using Op = IndexCondition::Op;
        switch (c.op) {
        case Op::All: return "1";
        case Op::None: return "0";
        case Op::And:
        case Op::Or: {
            if (c.children.empty())
                return c.op == Op::And ? "1" : "0";
            if (c.children.size() > 1 && is_set(c))
                return "i.id IN (" + set_sql(c) + ")";
            std::vector<std::string> parts;
            if (c.op == Op::And) {
                // The id sets among the children as one intersection, the rest beside it.
                IndexCondition sets;
                sets.op = Op::And;
                for (const auto& k : c.children)
                    if (is_set(k))
                        sets.children.push_back(k);
                if (sets.children.size() > 1) {
                    parts.push_back("i.id IN (" + set_sql(sets) + ")");
                    for (const auto& k : c.children)
                        if (!is_set(k))
                            parts.push_back(compile(k));
                }
            }
            if (parts.empty())
                for (const auto& k : c.children)
                    parts.push_back(compile(k));
            std::string out = "(";
            for (std::size_t i = 0; i < parts.size(); ++i)
                out += (i ? (c.op == Op::And ? " AND " : " OR ") : "") + parts[i];
            return out + ")";
        }
        case Op::Not: return c.children.empty() ? "0" : "NOT " + compile(c.children.front());
        case Op::Text:
        case Op::Mailbox: return "i.id IN (" + set_sql(c) + ")";
        case Op::Person:
        case Op::Conversation: return is_set(c) ? "i.id IN (" + set_sql(c) + ")" : "0";
        case Op::Items: return c.ids.empty() ? "0" : "i.id IN " + id_list(c.ids);
        case Op::Utc: return range("i.utc", c);
        case Op::ImportedAt: reads_row = true; return range("i.imported_at", c);
        case Op::Size: reads_row = true; return range("i.render_size", c);
        case Op::Kind: reads_row = true; return fmt::format("i.kind = {}", static_cast<int>(c.kind));
        case Op::Deleted: reads_row = true; return "i.deleted <> 0";
        case Op::Edited:
            return fmt::format("EXISTS (SELECT 1 FROM search_items s WHERE s.item = i.id AND s.flags & {})",
                               kEdited);
        case Op::HasAttachment: return "EXISTS (SELECT 1 FROM item_blobs b WHERE b.item = i.id)";
        }
        return "0";
    }

    void bind(Statement& st) const
    {
        for (std::size_t i = 0; i < params.size(); ++i) {
            const int n = static_cast<int>(i) + 3;
            if (const auto* v = std::get_if<std::int64_t>(&params[i]))
                st.bind(n, *v);
            else
                st.bind(n, std::get<std::string>(params[i]));
        }
    }
};

constexpr std::string_view kHitColumns =
    "i.id, i.message_id, i.conversation, i.kind, i.utc, i.imported_at, i.deleted, i.render_size, "
    "(SELECT group_concat(m.address, char(10)) FROM placements p JOIN folders f ON f.id = p.folder JOIN "
    "mailboxes m ON m.id = f.mailbox WHERE p.item = i.id)";

// The page is chosen and counted on (id, utc) alone; the hit columns — the mailboxes above all,
// a correlated subquery — are then read for the page's rows only, not for every match. When the
// matches come from an id set and nothing but the sent time is tested besides, each match's time
// is read from the narrow index items_id_utc rather than from its items row: a 32 KiB table page
// holds some 200 items, an index page some 2,000 (1M items, cold: 13.5 → 3.7 ms for "Zurich").
// SQLite's planner prefers the primary key for `id IN (…)`, so the index is named.
std::string hit_sql(const IndexCondition& condition, Compiler& compiler)
{
    const std::string where = compiler.compile(condition);
    using Op = IndexCondition::Op;
    const bool from_set =
        Compiler::is_set(condition) ||
        (condition.op == Op::And && std::any_of(condition.children.begin(), condition.children.end(),
                                                [](const IndexCondition& k) { return Compiler::is_set(k); }));
    return fmt::format(
        "SELECT {}, page.total FROM (SELECT i.id AS id, i.utc AS utc, count(*) OVER () AS total "
        "FROM items i{} WHERE {} ORDER BY i.utc DESC, i.id DESC LIMIT ?1 OFFSET ?2) page CROSS JOIN "
        "items i ON i.id = page.id ORDER BY page.utc DESC, page.id DESC",
        kHitColumns, from_set && !compiler.reads_row ? " INDEXED BY items_id_utc" : "", where);
}

// An FTS expression SQLite refuses is the caller's mistake, not a damaged archive.
Error search_error(Error e)
{
    if (e.message().find("fts5") != std::string::npos || e.message().find("MATCH") != std::string::npos)
        return Error(ErrorCode::InvalidArgument, "the full-text index refused the query: " + e.message());
    return e;
}

ItemSummary summary_row(const Statement& st)
{
    return ItemSummary{
        st.column_int(0), std::string(st.column_text(1)), static_cast<ItemKind>(st.column_int(2)),
        st.column_int(3), st.column_int(4) != 0,          static_cast<std::uint64_t>(st.column_int(5))};
}

}  // namespace

namespace detail {

Result<void> index_conversation(Database& db, std::int64_t id, const Conversation& conversation)
{
    CV_TRY(auto title, db.prepare("INSERT INTO search_titles(rowid, title) VALUES(?1, ?2)"));
    title.bind(1, id).bind(2, conversation.title);
    CV_TRY_VOID(title.run());
    CV_TRY(auto member, db.prepare("INSERT INTO search_members(rowid, name, phone, phone_tail, address) "
                                   "VALUES(?1, ?2, ?3, ?4, ?5)"));
    const auto n =
        std::min<std::size_t>(conversation.members.size(), static_cast<std::size_t>(kMemberStride));
    for (std::size_t i = 0; i < n; ++i) {
        const Person& p = conversation.members[i];
        std::string phone;
        if (p.phone)
            phone = digits_of(*p.phone);
        else if (const auto from_name = phone_from_display_name(p.name))
            phone = digits_of(*from_name);
        std::string tails;
        for (std::size_t k = 1; phone.size() >= 6 && k + 6 <= phone.size(); ++k)
            tails += (tails.empty() ? "" : " ") + phone.substr(k);
        member.bind(1, id * kMemberStride + static_cast<std::int64_t>(i))
            .bind(2, p.name + (p.alias ? " " + *p.alias : ""))
            .bind(3, phone)
            .bind(4, tails)
            .bind(5, p.email.value_or(""));
        CV_TRY_VOID(member.run());
    }
    return {};
}

Result<void> SearchFacts::add(std::int64_t item, std::int64_t conversation, const Item& content)
{
    auto it = conversations_.find(conversation);
    if (it == conversations_.end()) {
        CV_TRY(auto c, read_conversation(db_, key_, conversation));
        it = conversations_.emplace(conversation, std::move(c)).first;
    }
    // A row left by an item that had this id before goes first, then the row is inserted: the
    // same as INSERT OR REPLACE, which (as a statement that may change several rows) opens a
    // statement savepoint, and every savepoint makes FTS5 flush the items the transaction has
    // indexed so far into a new segment of its own: one segment per item, merged again and
    // again (it more than doubled an import's time).
    if (!insert_) {
        CV_TRY(auto drop, db_.prepare("DELETE FROM search_items WHERE item = ?1"));
        drop_.emplace(std::move(drop));
        CV_TRY(auto st, db_.prepare("INSERT INTO search_items(item, conversation, sender, flags) "
                                    "VALUES(?1, ?2, ?3, ?4)"));
        insert_.emplace(std::move(st));
    }
    // Only an id at most the highest one indexed before this commit can have left a row: a new
    // item's id is above it, and its DELETE (a B-tree search per item) is skipped.
    if (!highest_) {
        CV_TRY(auto st, db_.prepare("SELECT coalesce(max(item), 0) FROM search_items"));
        CV_TRY_VOID(st.step());
        highest_ = st.column_int(0);
    }
    if (item <= *highest_) {
        drop_->bind(1, item);
        CV_TRY_VOID(drop_->run());
    }
    // Items come in id order: a new block means the ones before it are whole for this commit.
    const std::int64_t block = item / kPreviewBlockItems;
    if (!previews_.empty() && previews_.rbegin()->first != block)
        CV_TRY_VOID(flush());
    previews_[block].emplace_back(item, preview_record(content));
    insert_->bind(1, item).bind(2, conversation).bind(4, content.edited ? kEdited : 0);
    if (const auto s = sender_position(it->second, content))
        insert_->bind(3, *s);
    else
        insert_->bind_null(3);
    return insert_->run();
}

namespace {

// A preview block's plain bytes: records as split_records() reads them, each an item id (8 bytes,
// little-endian) and that item's preview record.
void append_entry(Bytes& out, std::int64_t id, std::string_view record)
{
    const auto n = static_cast<std::uint32_t>(8 + record.size());
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
    for (int i = 0; i < 8; ++i)
        out.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(id) >> (8 * i)));
    out.insert(out.end(), record.begin(), record.end());
}

// The block's entries: item id → its preview record (views into `plain`).
Result<std::map<std::int64_t, std::string_view>> block_entries(std::span<const std::uint8_t> plain,
                                                               std::int64_t block)
{
    const auto records = split_records(plain);
    if (!records)
        return fail(ErrorCode::Parse, fmt::format("search preview block {} is damaged", block));
    std::map<std::int64_t, std::string_view> out;
    for (const std::string_view r : *records) {
        if (r.size() < 8)
            return fail(ErrorCode::Parse, fmt::format("search preview block {} is damaged", block));
        std::uint64_t id = 0;
        for (int i = 7; i >= 0; --i)
            id = id << 8 | static_cast<unsigned char>(r[static_cast<std::size_t>(i)]);
        out[static_cast<std::int64_t>(id)] = r.substr(8);
    }
    return out;
}

// The plain bytes of a stored block; empty when there is none.
Result<Bytes> read_block(Database& db, const Key& key, std::int64_t block)
{
    CV_TRY(auto st, db.prepare("SELECT sealed FROM search_previews WHERE block = ?1"));
    st.bind(1, block);
    CV_TRY(const bool row, st.step());
    if (!row)
        return Bytes();
    CV_TRY(const auto packed, key.open(st.column_blob(0), fmt::format("previews:{}", block)));
    return decompress(packed, 64u << 20);
}

}  // namespace

namespace {

// Stores a block's entries (none: the block's row goes). DELETE then INSERT, not INSERT OR
// REPLACE: see SearchFacts::add().
Result<void> write_block(Database& db, const Key& key, std::int64_t block,
                         const std::map<std::int64_t, std::string_view>& entries)
{
    CV_TRY(auto drop, db.prepare("DELETE FROM search_previews WHERE block = ?1"));
    drop.bind(1, block);
    CV_TRY_VOID(drop.run());
    if (entries.empty())
        return {};
    Bytes plain;
    for (const auto& e : entries)
        append_entry(plain, e.first, e.second);
    CV_TRY(const auto packed, compress(plain));
    const Bytes sealed = key.seal(packed, fmt::format("previews:{}", block));
    CV_TRY(auto put, db.prepare("INSERT INTO search_previews(block, sealed) VALUES(?1, ?2)"));
    put.bind(1, block).bind_blob_static(2, sealed);
    return put.run();
}

}  // namespace

Result<void> SearchFacts::flush()
{
    for (auto& [block, entries] : previews_) {
        // A block an earlier commit began: its entries stay, an entry for the same id is replaced.
        CV_TRY(const Bytes old, read_block(db_, key_, block));
        CV_TRY(auto merged, block_entries(old, block));
        for (const auto& e : entries)
            merged[e.first] = e.second;
        CV_TRY_VOID(write_block(db_, key_, block, merged));
    }
    previews_.clear();
    return {};
}

Result<void> forget_previews(Database& db, const Key& key, const std::vector<std::int64_t>& items)
{
    std::map<std::int64_t, std::vector<std::int64_t>> by_block;
    for (const std::int64_t id : items)
        by_block[id / kPreviewBlockItems].push_back(id);
    for (const auto& [block, ids] : by_block) {
        CV_TRY(const Bytes old, read_block(db, key, block));
        if (old.empty())
            continue;
        CV_TRY(auto entries, block_entries(old, block));
        for (const std::int64_t id : ids)
            entries.erase(id);
        CV_TRY_VOID(write_block(db, key, block, entries));
    }
    return {};
}

Result<void> SearchFacts::finish()
{
    return flush();
}

Result<void> reindex_item_conversation(Database& db, std::int64_t item, std::int64_t conversation)
{
    CV_TRY(auto st, db.prepare("UPDATE search_items SET conversation = ?2 WHERE item = ?1"));
    st.bind(1, item).bind(2, conversation);
    return st.run();
}

Result<void> open_search_index(Database& db, const Key& key)
{
    CV_TRY_VOID(db.exec(kSearchSchema));
    {
        CV_TRY(auto st, db.prepare("SELECT value FROM meta WHERE key = 'search_index'"));
        CV_TRY(const bool row, st.step());
        if (row && st.column_text(0) == kSearchIndexVersion)
            return {};
    }
    // An archive from before the index (or a half-built one: the transaction below is all or
    // nothing): build it from the sealed records. Conversations are few; items are read a
    // chunk at a time.
    CV_TRY(auto tx, Transaction::begin(db));
    CV_TRY_VOID(db.exec("DELETE FROM search_items; DELETE FROM search_previews; INSERT INTO "
                        "search_members(search_members) VALUES('delete-all'); "
                        "INSERT INTO search_titles(search_titles) VALUES('delete-all')"));
    std::vector<std::int64_t> conversation_ids;
    {
        CV_TRY(auto st, db.prepare("SELECT id FROM conversations ORDER BY id"));
        CV_TRY_VOID(for_each_row(st, [&] { conversation_ids.push_back(st.column_int(0)); }));
    }
    for (const std::int64_t id : conversation_ids) {
        CV_TRY(const auto c, read_conversation(db, key, id));
        CV_TRY_VOID(index_conversation(db, id, c));
    }
    SearchFacts facts(db, key);
    std::vector<std::int64_t> chunks;
    {
        CV_TRY(auto st, db.prepare("SELECT id FROM chunks ORDER BY id"));
        CV_TRY_VOID(for_each_row(st, [&] { chunks.push_back(st.column_int(0)); }));
    }
    CV_TRY(auto sealed, db.prepare("SELECT sealed FROM chunks WHERE id = ?1"));
    CV_TRY(auto members, db.prepare("SELECT id, conversation, slot FROM items WHERE chunk = ?1"));
    for (const std::int64_t chunk : chunks) {
        sealed.bind(1, chunk);
        CV_TRY(const bool row, sealed.step());
        if (!row)
            continue;
        CV_TRY(const auto packed, key.open(sealed.column_blob(0), fmt::format("chunk:{}", chunk)));
        sealed.reset();
        CV_TRY(const auto plain, detail::decompress(packed, 256ull << 20));
        const auto split = detail::split_records(plain);
        if (!split)
            return fail(ErrorCode::Parse, fmt::format("record chunk {} is damaged", chunk));
        const auto& records = *split;
        members.bind(1, chunk);
        std::vector<std::array<std::int64_t, 3>> rows;
        CV_TRY_VOID(for_each_row(members, [&] {
            rows.push_back({members.column_int(0), members.column_int(1), members.column_int(2)});
        }));
        members.reset();
        for (const auto& [id, conversation, slot] : rows) {
            if (slot < 0 || static_cast<std::size_t>(slot) >= records.size())
                return fail(ErrorCode::Parse,
                            fmt::format("item {}: its record is missing from chunk {}", id, chunk));
            Item item;
            RenderContext context;
            CV_TRY_VOID(parse_item_record(records[static_cast<std::size_t>(slot)], item, context));
            CV_TRY_VOID(facts.add(id, conversation, item));
        }
    }
    CV_TRY_VOID(facts.finish());
    CV_TRY(auto mark, db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES('search_index', ?1)"));
    mark.bind(1, kSearchIndexVersion);
    CV_TRY_VOID(mark.run());
    return tx.commit();
}

}  // namespace detail

Result<IndexPage> Archive::search(const IndexCondition& where, std::uint64_t limit, std::uint64_t offset)
{
    CV_TRY_VOID(impl_->map_for_search());
    Compiler compiler;
    const std::string sql = hit_sql(where, compiler);
    auto prepared = impl_->db.prepare(sql);
    if (!prepared)
        return fail(search_error(std::move(prepared).error()));
    Statement& st = *prepared;
    st.bind(1, static_cast<std::int64_t>(std::min<std::uint64_t>(limit, INT64_MAX)))
        .bind(2, static_cast<std::int64_t>(std::min<std::uint64_t>(offset, INT64_MAX)));
    compiler.bind(st);
    IndexPage page;
    for (;;) {
        auto row = st.step();
        if (!row)
            return fail(search_error(std::move(row).error()));
        if (!*row)
            break;
        IndexHit h;
        h.id = st.column_int(0);
        h.message_id = st.column_text(1);
        h.conversation = st.column_int(2);
        h.kind = static_cast<ItemKind>(st.column_int(3));
        h.utc = st.column_int(4);
        h.imported_at = st.column_int(5);
        h.deleted = st.column_int(6) != 0;
        h.size = static_cast<std::uint64_t>(st.column_int(7));
        if (!st.column_is_null(8)) {
            const std::string_view all = st.column_text(8);
            for (std::size_t pos = 0; pos <= all.size();) {
                const std::size_t nl = std::min(all.find('\n', pos), all.size());
                if (nl > pos)
                    h.mailboxes.emplace_back(all.substr(pos, nl - pos));
                pos = nl + 1;
            }
            std::sort(h.mailboxes.begin(), h.mailboxes.end());
        }
        page.total = static_cast<std::uint64_t>(st.column_int(9));
        page.hits.push_back(std::move(h));
    }
    if (page.hits.empty() && offset > 0) {
        // Past the end: the window gave no count.
        Compiler counter;
        const std::string count_sql =
            "SELECT count(*) FROM items i WHERE ?1 IS ?2 AND " + counter.compile(where);
        CV_TRY(auto c, impl_->db.prepare(count_sql));
        c.bind(1, std::int64_t{0}).bind(2, std::int64_t{0});
        counter.bind(c);
        auto row = c.step();
        if (!row)
            return fail(search_error(std::move(row).error()));
        page.total = static_cast<std::uint64_t>(c.column_int(0));
    }
    return page;
}

Result<std::vector<std::int64_t>> Archive::search_ids(const IndexCondition& where)
{
    CV_TRY_VOID(impl_->map_for_search());
    Compiler compiler;
    // ?1 and ?2 are unused here but numbered, so that the parameters keep their places.
    const std::string sql =
        "SELECT i.id FROM items i WHERE ?1 IS ?2 AND " + compiler.compile(where) + " ORDER BY i.id";
    auto prepared = impl_->db.prepare(sql);
    if (!prepared)
        return fail(search_error(std::move(prepared).error()));
    Statement& st = *prepared;
    st.bind(1, std::int64_t{0}).bind(2, std::int64_t{0});
    compiler.bind(st);
    std::vector<std::int64_t> out;
    for (;;) {
        auto row = st.step();
        if (!row)
            return fail(search_error(std::move(row).error()));
        if (!*row)
            break;
        out.push_back(st.column_int(0));
    }
    return out;
}

namespace {

Result<std::vector<std::int64_t>> fts_rowids(Database& db, std::string_view table, std::string_view fts)
{
    auto prepared = db.prepare(fmt::format("SELECT rowid FROM {0} WHERE {0} MATCH ?1 ORDER BY rowid", table));
    if (!prepared)
        return fail(search_error(std::move(prepared).error()));
    prepared->bind(1, fts);
    std::vector<std::int64_t> out;
    for (;;) {
        auto row = prepared->step();
        if (!row)
            return fail(search_error(std::move(row).error()));
        if (!*row)
            break;
        out.push_back(prepared->column_int(0));
    }
    return out;
}

}  // namespace

Result<std::vector<std::int64_t>> Archive::search_members(std::string_view fts)
{
    return fts_rowids(impl_->db, "search_members", fts);
}

Result<std::vector<std::int64_t>> Archive::search_conversations(std::string_view fts)
{
    return fts_rowids(impl_->db, "search_titles", fts);
}

Result<std::vector<ItemPreview>> Archive::search_previews(const std::vector<std::int64_t>& ids)
{
    CV_TRY_VOID(impl_->map_for_search());
    // Each block once: a page's hits often share one.
    struct Block {
        detail::Bytes plain;
        std::map<std::int64_t, std::string_view> entries;  // views into plain
    };
    std::map<std::int64_t, Block> blocks;
    std::vector<ItemPreview> out;
    out.reserve(ids.size());
    for (const std::int64_t id : ids) {
        const std::int64_t block = id / detail::kPreviewBlockItems;
        auto it = blocks.find(block);
        if (it == blocks.end()) {
            it = blocks.emplace(block, Block{}).first;
            CV_TRY(it->second.plain, detail::read_block(impl_->db, impl_->key, block));
            CV_TRY(it->second.entries, detail::block_entries(it->second.plain, block));
        }
        const auto& entries = it->second.entries;
        const auto e = entries.find(id);
        if (e == entries.end())
            continue;
        ItemPreview p;
        p.id = id;
        CV_TRY_VOID(detail::parse_preview_record(e->second, p.item, p.complete));
        out.push_back(std::move(p));
    }
    return out;
}

std::string Archive::search_sql(const IndexCondition& where)
{
    Compiler compiler;
    const std::string sql = hit_sql(where, compiler);
    // Parameters in place, for a person to read (never run).
    std::string out;
    for (std::size_t i = 0; i < sql.size(); ++i) {
        if (sql[i] != '?') {
            out += sql[i];
            continue;
        }
        std::size_t j = i + 1;
        while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9')
            ++j;
        const int n = std::stoi(sql.substr(i + 1, j - i - 1));
        if (n <= 2) {
            out += n == 1 ? ":limit" : ":offset";
        } else if (const auto* v =
                       std::get_if<std::int64_t>(&compiler.params[static_cast<std::size_t>(n - 3)])) {
            out += std::to_string(*v);
        } else {
            out += '\'';
            for (const char c : std::get<std::string>(compiler.params[static_cast<std::size_t>(n - 3)]))
                out += c == '\'' ? std::string("''") : std::string(1, c);
            out += '\'';
        }
        i = j - 1;
    }
    return out;
}

Result<Conversation> Archive::conversation(std::int64_t id)
{
    return read_conversation(impl_->db, impl_->key, id);
}

Result<std::pair<std::vector<ItemSummary>, std::vector<ItemSummary>>> Archive::around(std::int64_t item,
                                                                                      std::size_t n)
{
    Impl& a = *impl_;
    CV_TRY(auto self,
           a.db.prepare("SELECT s.conversation, i.utc FROM items i JOIN search_items s ON s.item = i.id "
                        "WHERE i.id = ?1"));
    self.bind(1, item);
    CV_TRY(const bool row, self.step());
    if (!row)
        return fail(ErrorCode::NotFound, fmt::format("no item {} in the search index", item));
    const std::int64_t conversation = self.column_int(0);
    const std::int64_t utc = self.column_int(1);
    constexpr std::string_view kColumns = "i.id, i.message_id, i.kind, i.utc, i.deleted, i.render_size";
    CV_TRY(auto before, a.db.prepare(fmt::format(
                            "SELECT {} FROM search_items s JOIN items i ON i.id = s.item WHERE "
                            "s.conversation = ?1 AND (i.utc < ?2 OR (i.utc = ?2 AND i.id < ?3)) ORDER BY "
                            "i.utc DESC, i.id DESC LIMIT ?4",
                            kColumns)));
    CV_TRY(auto after, a.db.prepare(fmt::format(
                           "SELECT {} FROM search_items s JOIN items i ON i.id = s.item WHERE "
                           "s.conversation = ?1 AND (i.utc > ?2 OR (i.utc = ?2 AND i.id > ?3)) ORDER BY "
                           "i.utc, i.id LIMIT ?4",
                           kColumns)));
    std::pair<std::vector<ItemSummary>, std::vector<ItemSummary>> out;
    for (auto* st : {&before, &after}) {
        st->bind(1, conversation).bind(2, utc).bind(3, item).bind(4, static_cast<std::int64_t>(n));
        auto& list = st == &before ? out.first : out.second;
        CV_TRY_VOID(for_each_row(*st, [&] { list.push_back(summary_row(*st)); }));
    }
    std::reverse(out.first.begin(), out.first.end());
    return out;
}

}  // namespace cv::archive

// The modern-schema msgstore.db of support/modern_db (every message type of spec §B.4, calls
// from call_log, a media folder holding some of the files) through the rest of the pipeline:
// every item rendered by the real renderer and read back as MIME, type by type; then the whole
// database imported into a fresh archive, once and twice, and every archived item rendered
// again from the archive and compared with a fresh render from the database.

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <gtest/gtest.h>

#include "archive/archive.hpp"
#include "core/byte_sink.hpp"
#include "core/digest.hpp"
#include "ingest/ingest.hpp"
#include "mapping/mapping.hpp"
#include "render/render.hpp"
#include "sources/android_db/android_db.hpp"
#include "sqlite/sqlite.hpp"
#include "support/modern_db.hpp"

namespace cv::android_db {
namespace {

namespace fs = std::filesystem;
using test_db::media_files;
using test_db::ModernFixture;
using test_db::TempDir;

#define CV_NEED_VIEWER_DDL()                                                                                 \
    if (!test_db::viewer_files_present()) {                                                                  \
        GTEST_SKIP() << "whatsapp-viewer DDL not found at " << test_db::kViewerSchema;                       \
    }

constexpr std::string_view kDomain = "whatsapp.invalid";

// Every row of the fixture: the message key (or call_log call id) and its message_type (-1 for
// call_log rows). FixtureRowsAreTheOnesCheckedHere fails when the database holds a row this
// list (and so the checks below) does not know.
struct FixtureRow {
    std::string_view key;
    int type;
    std::string_view what;  // and the test that checks its email
};
constexpr FixtureRow kRows[] = {
    {"AC0101", 0, "text, forwarded: ForwardedEditedAndDeleted"},
    {"AC0102", 0, "reply to AC0101: RepliesPoint…"},
    {"AC0103", 1, "image with caption, file present: MediaWithItsFile…"},
    {"AC0104", 3, "video, file missing: MediaWithoutItsFile…"},
    {"AC0105", 2, "voice note, file missing: MediaWithoutItsFile…"},
    {"AC0106", 9, "document, file missing: MediaWithoutItsFile…"},
    {"AC0107", 5, "location of a venue: Locations…"},
    {"AC0108", 4, "contact card: ContactCards…"},
    {"AC0109", 15, "deleted by its sender, nothing kept: ForwardedEditedAndDeleted"},
    {"AC0110", 0, "edited: ForwardedEditedAndDeleted"},
    {"CA11", 90, "chat row of call CA11: one item with the call_log row"},
    {"AC0112", 10, "missed video call (chat row): CallsAreCallRecords"},
    {"AC0113", 11, "waiting for this message: ForwardedEditedAndDeleted"},
    {"AC0114", 999, "unknown type: ForwardedEditedAndDeleted"},
    {"AC0115", 1, "image whose path leaves the media folder: MediaWithoutItsFile…"},
    {"AC0116", 0, "no recorded time: TimesHeadersAndSenders"},
    {"AC0117", 0, "text that is not UTF-8: TimesHeadersAndSenders"},
    {"AC0118", 3, "video with caption, file present: MediaWithItsFile…"},
    {"AC0119", 2, "audio file, present: MediaWithItsFile…"},
    {"AC0120", 2, "voice note, present: MediaWithItsFile…"},
    {"AC0121", 9, "document with caption, present: MediaWithItsFile…"},
    {"AC0122", 20, "sticker, present: MediaWithItsFile…"},
    {"AC0123", 13, "GIF with caption, present: MediaWithItsFile…"},
    {"AC0124", 20, "sticker, file missing: MediaWithoutItsFile…"},
    {"AC0125", 15, "deleted by its sender, text kept: ForwardedEditedAndDeleted"},
    {"AC0201", 7, "group created: SystemEvents…"},
    {"AC0202", 7, "members added: SystemEvents…"},
    {"AC0203", 0, "group text: TimesHeadersAndSenders"},
    {"AC0204", 0, "group text from a LID with a number: TimesHeadersAndSenders"},
    {"AC0205", 66, "poll: PollShows…"},
    {"AC0206", 64, "deleted by an admin, text kept: ForwardedEditedAndDeleted"},
    {"AC0207", 14, "two contact cards: ContactCards…"},
    {"AC0208", 16, "live location: Locations…"},
    {"3EB0A1B2C3D4E5F60718293A4B5C6D7E", 0, "group text, full-length key: RepliesPoint…"},
    {"3A1F6C0D2B9E4F7A8C5D1E2F3A4B5C6D", 0, "reply to it: RepliesPoint…"},
    {"AC0211", 7, "subject changed: SystemEvents…"},
    {"CA11", -1, "outgoing voice call, answered: CallsAreCallRecords"},
    {"CA12", -1, "incoming video call, missed"},
    {"CA13", -1, "incoming group voice call, answered, with participants"},
    {"CA14", -1, "outgoing voice call, rejected"},
    {"CA15", -1, "outgoing video call, answered, over an hour"},
    {"CA16", -1, "incoming voice call, missed"},
};
constexpr std::string_view kAgendaKey = "3EB0A1B2C3D4E5F60718293A4B5C6D7E";
constexpr std::string_view kLooksGoodKey = "3A1F6C0D2B9E4F7A8C5D1E2F3A4B5C6D";

// ---------------------------------------------------------------------------------------------
// Reading a rendered email back: headers unfolded, RFC 2047 Q-words and transfer encodings
// undone, multiparts split. Enough MIME for what the renderer writes, written independently of it.

std::string lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

std::string decode_quoted_printable(std::string_view in)
{
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '=') {
            out += in[i];
            continue;
        }
        if (in.substr(i + 1, 2) == "\r\n") {  // soft line break
            i += 2;
            continue;
        }
        if (i + 2 < in.size() && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
            i += 2;
            continue;
        }
        out += in[i];
    }
    return out;
}

std::string decode_base64(std::string_view in)
{
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char c : in) {
        const auto v = kAlphabet.find(c);
        if (v == std::string_view::npos)
            continue;  // line breaks and padding
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    return out;
}

// An unfolded header value with its RFC 2047 Q-encoded words decoded (white space between two
// encoded words is dropped, as RFC 2047 §6.2 says).
std::string decode_header(std::string_view v)
{
    std::string out, blanks;
    bool after_word = false;
    for (std::size_t i = 0; i < v.size();) {
        if (v.substr(i, 2) == "=?") {
            const auto q =
                v.find("?Q?", i + 2) != std::string_view::npos ? v.find("?Q?", i + 2) : v.find("?q?", i + 2);
            const auto end = q == std::string_view::npos ? q : v.find("?=", q + 3);
            if (end != std::string_view::npos) {
                if (!after_word)
                    out += blanks;
                blanks.clear();
                const std::string_view text = v.substr(q + 3, end - q - 3);
                for (std::size_t k = 0; k < text.size(); ++k) {
                    if (text[k] == '_')
                        out += ' ';
                    else if (text[k] == '=' && k + 2 < text.size() && hex_value(text[k + 1]) >= 0 &&
                             hex_value(text[k + 2]) >= 0) {
                        out += static_cast<char>(hex_value(text[k + 1]) * 16 + hex_value(text[k + 2]));
                        k += 2;
                    } else
                        out += text[k];
                }
                after_word = true;
                i = end + 2;
                continue;
            }
        }
        if (v[i] == ' ' || v[i] == '\t') {
            blanks += v[i++];
            continue;
        }
        out += blanks;
        blanks.clear();
        out += v[i++];
        after_word = false;
    }
    return out + blanks;
}

// One MIME entity: its headers and either its decoded body or its parts.
struct Entity {
    std::vector<std::pair<std::string, std::string>> headers;  // name, raw unfolded value
    std::string body;  // transfer encoding undone; text with LF line ends
    std::vector<Entity> parts;

    std::vector<std::string> all(std::string_view name) const
    {
        std::vector<std::string> out;
        for (const auto& [n, v] : headers)
            if (lower(n) == lower(name))
                out.push_back(decode_header(v));
        return out;
    }
    /// The first header of that name, decoded; empty when there is none.
    std::string header(std::string_view name) const
    {
        const auto values = all(name);
        return values.empty() ? std::string() : values.front();
    }
    bool has(std::string_view name) const { return !all(name).empty(); }

    /// A parameter of a structured header ("boundary", "filename"), quoted-string unescaped.
    std::string param(std::string_view header_name, std::string_view name) const
    {
        const std::string v = header(header_name);
        std::size_t pos = 0;
        while ((pos = v.find(';', pos)) != std::string::npos) {
            ++pos;
            while (pos < v.size() && (v[pos] == ' ' || v[pos] == '\t'))
                ++pos;
            if (lower(v.substr(pos, name.size() + 1)) != lower(std::string(name) + "="))
                continue;
            pos += name.size() + 1;
            std::string value;
            if (pos < v.size() && v[pos] == '"') {
                for (++pos; pos < v.size() && v[pos] != '"'; ++pos) {
                    if (v[pos] == '\\')
                        ++pos;
                    value += v[pos];
                }
            } else {
                while (pos < v.size() && v[pos] != ';' && v[pos] != ' ')
                    value += v[pos++];
            }
            return value;
        }
        return {};
    }
    std::string content_type() const
    {
        const std::string v = header("Content-Type");
        return v.empty() ? "text/plain" : lower(v.substr(0, v.find(';')));
    }
};

Entity parse_entity(std::string_view raw)
{
    Entity e;
    const auto split = raw.find("\r\n\r\n");
    const std::string_view head = raw.substr(0, split);
    const std::string_view body =
        split == std::string_view::npos ? std::string_view() : raw.substr(split + 4);
    for (std::size_t pos = 0; pos < head.size();) {
        auto end = head.find("\r\n", pos);
        if (end == std::string_view::npos)
            end = head.size();
        const std::string_view line = head.substr(pos, end - pos);
        if ((line.starts_with(' ') || line.starts_with('\t')) && !e.headers.empty()) {
            e.headers.back().second += line;  // unfolding removes the CRLF only
        } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
            std::string_view value = line.substr(colon + 1);
            if (value.starts_with(' '))
                value.remove_prefix(1);
            e.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
        }
        pos = end + 2;
    }
    const std::string type = e.content_type();
    if (type.starts_with("multipart/")) {
        const std::string delimiter = "\r\n--" + e.param("Content-Type", "boundary");
        const std::string text = "\r\n" + std::string(body);
        std::size_t pos = text.find(delimiter);
        while (pos != std::string::npos) {
            const std::size_t after = pos + delimiter.size();
            if (text.compare(after, 2, "--") == 0)
                break;                            // the close delimiter
            const std::size_t start = after + 2;  // the CRLF ending the delimiter line
            const std::size_t next = text.find(delimiter, start);
            if (next == std::string::npos)
                break;
            e.parts.push_back(parse_entity(std::string_view(text).substr(start, next - start)));
            pos = next;
        }
        return e;
    }
    const std::string encoding = lower(e.header("Content-Transfer-Encoding"));
    if (encoding == "quoted-printable")
        e.body = decode_quoted_printable(body);
    else if (encoding == "base64")
        e.body = decode_base64(body);
    else
        e.body = std::string(body);
    if (type.starts_with("text/") && e.header("Content-Disposition").empty()) {
        std::string lf;
        for (std::size_t i = 0; i < e.body.size(); ++i)
            if (!(e.body[i] == '\r' && i + 1 < e.body.size() && e.body[i + 1] == '\n'))
                lf += e.body[i];
        e.body = std::move(lf);
    }
    return e;
}

struct AttachedPart {
    std::string content_type;  // as written, parameters included
    std::string file_name;
    std::string bytes;
};

// A rendered email as a reviewer's mail client sees it.
struct Mail {
    std::string raw;
    Entity root;
    std::string plain, html;
    std::vector<AttachedPart> attachments;

    std::string header(std::string_view name) const { return root.header(name); }

    static Mail parse(std::string raw)
    {
        Mail m;
        m.raw = std::move(raw);
        m.root = parse_entity(m.raw);
        m.collect(m.root);
        return m;
    }

private:
    void collect(const Entity& e)
    {
        for (const auto& p : e.parts)
            collect(p);
        if (!e.parts.empty())
            return;
        if (lower(e.header("Content-Disposition")).starts_with("attachment"))
            attachments.push_back(
                {e.header("Content-Type"), e.param("Content-Disposition", "filename"), e.body});
        else if (e.content_type() == "text/plain")
            plain = e.body;
        else if (e.content_type() == "text/html")
            html = e.body;
    }
};

// ---------------------------------------------------------------------------------------------
// The database read and rendered, as `chatvault render` does it.

class SourceMedia final : public render::MediaOpener {
public:
    explicit SourceMedia(const ChatSource& source) : source_(source) {}
    Result<std::unique_ptr<ByteSource>> open(const Attachment& attachment) const override
    {
        return source_.open_attachment(attachment);
    }

private:
    const ChatSource& source_;
};

Options read_options(const ModernFixture& f)
{
    return {.time_zone = "Europe/Berlin", .media_dir = f.media, .contacts = {}};
}

struct RenderedItem {
    Item item;
    std::size_t conv = 0;
    render::Rendered info;
    Mail mail;
};

struct RenderedDb {
    ModernFixture fixture;
    std::unique_ptr<ChatSource> source;
    std::unique_ptr<SourceMedia> media;
    std::vector<RenderedItem> items;

    RenderedDb()
    {
        auto opened = open_android_db(fixture.db, read_options(fixture));
        EXPECT_TRUE(opened) << (opened ? std::string() : opened.error().describe());
        if (!opened)
            return;
        source = std::move(*opened);
        media = std::make_unique<SourceMedia>(*source);
        std::vector<std::optional<render::Renderer>> renderers(source->conversations().size());
        Item item;
        std::size_t conv = 0;
        for (;;) {
            auto more = source->next(item, conv);
            EXPECT_TRUE(more) << (more ? std::string() : more.error().describe());
            if (!more || !*more)
                break;
            if (!renderers.at(conv)) {
                auto r = render::Renderer::create(
                    source->conversations()[conv],
                    {SourceKind::AndroidDatabase, "Europe/Berlin", std::string(kDomain)}, media.get());
                EXPECT_TRUE(r) << (r ? std::string() : r.error().describe());
                if (!r)
                    return;
                renderers[conv].emplace(std::move(*r));
            }
            StringSink sink;
            auto rendered = renderers[conv]->render(item, sink);
            EXPECT_TRUE(rendered) << describe(item) << ": "
                                  << (rendered ? std::string() : rendered.error().describe());
            if (!rendered)
                continue;
            items.push_back({item, conv, *rendered, Mail::parse(sink.take())});
        }
    }

    const RenderedItem& get(std::string_view key) const
    {
        for (const auto& r : items)
            if (r.item.key_id == key)
                return r;
        ADD_FAILURE() << "no item with key " << key;
        static const RenderedItem none{};
        return none;
    }
    const Mail& mail(std::string_view key) const { return get(key).mail; }
};

// The Message-ID §E.3 derives from a WhatsApp key: the key itself when it is long enough to be
// random, else the key with an 8-hex-digit discriminator from conversation and sender.
void expect_id_from_key(const std::string& message_id, std::string_view key, bool call)
{
    const std::string prefix = fmt::format("{}.{}", call ? "wa-call" : "wa", key);
    const std::string suffix = fmt::format("@{}", kDomain);
    if (key.size() >= 16) {
        EXPECT_EQ(message_id, prefix + suffix);
        return;
    }
    ASSERT_TRUE(message_id.starts_with(prefix + ".")) << message_id;
    ASSERT_TRUE(message_id.ends_with(suffix)) << message_id;
    const std::string disc =
        message_id.substr(prefix.size() + 1, message_id.size() - prefix.size() - 1 - suffix.size());
    EXPECT_EQ(disc.size(), 8u) << message_id;
    EXPECT_EQ(disc.find_first_not_of("0123456789abcdef"), std::string::npos) << message_id;
}

// "70,000": how the body writes sizes.
std::string with_commas(std::size_t n)
{
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return out;
}

bool contains(std::string_view haystack, std::string_view needle)
{
    return haystack.find(needle) != std::string_view::npos;
}

#define EXPECT_CONTAINS(haystack, needle)                                                                    \
    EXPECT_TRUE(contains((haystack), (needle))) << "expected \"" << (needle) << "\" in:\n" << (haystack)
#define EXPECT_LACKS(haystack, needle)                                                                       \
    EXPECT_FALSE(contains((haystack), (needle))) << "did not expect \"" << (needle) << "\" in:\n"            \
                                                 << (haystack)

// ---------------------------------------------------------------------------------------------

TEST(AndroidDbRenderImport, FixtureRowsAreTheOnesCheckedHere)
{
    CV_NEED_VIEWER_DDL();
    ModernFixture f;
    auto db = sqlite::Database::open(f.db.string(), false);
    ASSERT_TRUE(db);
    std::multiset<std::pair<std::string, int>> in_db, listed;
    auto st = db->prepare("SELECT upper(key_id), message_type FROM message WHERE chat_row_id > 0 UNION ALL "
                          "SELECT upper(replace(call_id, 'call:', '')), -1 FROM call_log");
    ASSERT_TRUE(st);
    for (;;) {
        auto row = st->step();
        ASSERT_TRUE(row);
        if (!*row)
            break;
        in_db.emplace(std::string(st->column_text(0)), static_cast<int>(st->column_int(1)));
    }
    for (const auto& r : kRows)
        listed.emplace(std::string(r.key), r.type);
    EXPECT_EQ(in_db, listed);
    // The types of spec §B.4 with a side table or a rule of their own are among them (not here:
    // view-once 42/43/82, video note 81, invite 24, album 99 and poll 106, which the reader reads
    // exactly as image, video, voice note, text and poll 66).
    std::set<int> types;
    for (const auto& r : kRows)
        types.insert(r.type);
    for (const int t : {0, 1, 2, 3, 4, 5, 7, 9, 10, 11, 13, 14, 15, 16, 20, 64, 66, 90})
        EXPECT_TRUE(types.contains(t)) << "message_type " << t;
}

TEST(AndroidDbRenderImport, EveryItemIsAWellFormedEmailWithItsKeyAsMessageId)
{
    CV_NEED_VIEWER_DDL();
    const RenderedDb db;
    ASSERT_TRUE(db.source);
    // One item per row and per call, the type-90 row of call CA11 not among them.
    ASSERT_EQ(db.items.size(), std::size(kRows) - 1);
    std::set<std::string> ids, keys;
    for (const auto& r : db.items) {
        SCOPED_TRACE(describe(r.item));
        const Mail& m = r.mail;
        // 7-bit, CRLF only, no line over 998 octets.
        std::size_t line = 0;
        for (std::size_t i = 0; i < m.raw.size(); ++i) {
            ASSERT_LT(static_cast<unsigned char>(m.raw[i]), 0x80u) << "at " << i;
            if (m.raw[i] == '\n') {
                ASSERT_TRUE(i > 0 && m.raw[i - 1] == '\r') << "bare LF at " << i;
                line = 0;
            } else if (m.raw[i] == '\r') {
                ASSERT_TRUE(i + 1 < m.raw.size() && m.raw[i + 1] == '\n') << "bare CR at " << i;
            } else {
                ASSERT_LE(++line, 998u);
            }
        }
        EXPECT_EQ(r.info.bytes, m.raw.size());
        for (const char* h : {"Message-ID", "Date", "From", "Subject", "MIME-Version", "References"})
            EXPECT_EQ(m.root.all(h).size(), 1u) << h;
        EXPECT_EQ(m.header("Subject"), r.info.subject);
        EXPECT_EQ(m.header("X-WhatsApp-Source"), "android");
        EXPECT_EQ(m.header("X-WhatsApp-Kind"), to_string(r.item.kind));
        EXPECT_EQ(m.header("X-WhatsApp-Time-Zone"), "Europe/Berlin");
        // Message-ID from the message key (§E.3), never from content.
        ASSERT_TRUE(r.item.key_id);
        EXPECT_EQ(m.header("X-WhatsApp-Message-Key"), *r.item.key_id);
        EXPECT_EQ(m.header("Message-ID"), "<" + r.info.message_id + ">");
        expect_id_from_key(r.info.message_id, *r.item.key_id, r.item.kind == ItemKind::Call);
        EXPECT_TRUE(ids.insert(r.info.message_id).second) << "duplicate Message-ID " << r.info.message_id;
        EXPECT_TRUE(keys.insert(*r.item.key_id).second) << "duplicate key " << *r.item.key_id;
        // What the item says is what the reviewer reads, in both alternatives.
        EXPECT_CONTAINS(m.plain, r.item.text);
        EXPECT_EQ(m.attachments.size(), r.info.attached);
        EXPECT_EQ(m.root.content_type(), r.info.attached ? "multipart/mixed" : "multipart/alternative");
        // The chat threads on one root per conversation.
        const std::string refs = m.header("References");
        EXPECT_TRUE(refs.starts_with("<wa-chat.")) << refs;
    }
    // The type-90 chat row of call CA11 is the call_log row's call: one item, one email.
    EXPECT_EQ(std::count_if(db.items.begin(), db.items.end(),
                            [](const RenderedItem& r) { return r.item.key_id == "CA11"; }),
              1);
    EXPECT_EQ(db.get("CA11").item.kind, ItemKind::Call);
}

TEST(AndroidDbRenderImport, TimesHeadersAndSenders)
{
    CV_NEED_VIEWER_DDL();
    const RenderedDb db;
    ASSERT_TRUE(db.source);
    const Mail& hallo = db.mail("AC0101");
    EXPECT_EQ(hallo.header("Date"), "Thu, 01 Jan 2026 11:01:00 +0100");  // Berlin, UTC+1
    EXPECT_EQ(hallo.header("X-WhatsApp-Wall-Clock"), "2026-01-01T11:01:00");
    EXPECT_CONTAINS(hallo.header("From"), "<4915112345678@whatsapp.invalid>");
    EXPECT_CONTAINS(hallo.header("To"), "Olga Owner");
    EXPECT_EQ(hallo.header("X-WhatsApp-Sender"), "4915112345678");
    EXPECT_EQ(hallo.header("X-WhatsApp-Chat-JID"), "4915112345678@s.whatsapp.net");
    EXPECT_EQ(hallo.header("Subject"), "WhatsApp message - +4915112345678: Hallo");
    const Mail& mine = db.mail("AC0102");
    EXPECT_CONTAINS(mine.header("From"), "Olga Owner");
    EXPECT_CONTAINS(mine.header("To"), "<4915112345678@whatsapp.invalid>");

    const Mail& moin = db.mail("AC0203");
    EXPECT_CONTAINS(moin.header("From"), "<4915199999999@whatsapp.invalid>");
    EXPECT_CONTAINS(moin.header("X-WhatsApp-Group"), "<g-120363041234567890@whatsapp.invalid>");
    EXPECT_EQ(moin.header("X-WhatsApp-Chat"), "Project Team");
    EXPECT_CONTAINS(moin.header("To"), "<4917600000001@whatsapp.invalid>");
    // The LID sender is the member whose number jid_map gives.
    EXPECT_CONTAINS(db.mail("AC0204").header("From"), "<4917600000001@whatsapp.invalid>");
    // A LID without a number is an address of its own, named by its push name.
    EXPECT_CONTAINS(db.mail("AC0206").header("From"), "Lido <lid-187650000000001@whatsapp.invalid>");

    // No recorded time: kept, dated at the epoch, without a wall clock to show.
    const Mail& no_time = db.mail("AC0116");
    EXPECT_EQ(no_time.header("Date"), "Thu, 01 Jan 1970 00:00:00 +0000");
    EXPECT_FALSE(no_time.root.has("X-WhatsApp-Wall-Clock"));
    EXPECT_CONTAINS(no_time.plain, "no time");
    // Bytes that are not UTF-8 arrive as U+FFFD, never raw.
    EXPECT_CONTAINS(db.mail("AC0117").plain, "Ha\xEF\xBF\xBD!");
}

TEST(AndroidDbRenderImport, MediaWithItsFileTravelsAsAnAttachmentOfTheSameBytes)
{
    CV_NEED_VIEWER_DDL();
    const RenderedDb db;
    ASSERT_TRUE(db.source);
    struct Expect {
        std::string_view key, file, content_type, word, caption;
    };
    const Expect cases[] = {
        {"AC0103", "Media/WhatsApp Images/Sent/IMG-20260101-WA0001.jpg", "image/jpeg", "image",
         "caption here"},
        {"AC0118", "Media/WhatsApp Video/VID-20260101-WA0004.mp4", "video/mp4", "video", "clip caption"},
        // libmagic does not know these ID3 bytes: the type the database records is used.
        {"AC0119", "Media/WhatsApp Audio/AUD-20260101-WA0005.mp3", "audio/mpeg", "audio", ""},
        {"AC0120", "Media/WhatsApp Voice Notes/202601/PTT-20260101-WA0006.opus", "audio/ogg", "voice message",
         ""},
        {"AC0121", "Media/WhatsApp Documents/Sent/minutes.pdf", "application/pdf", "document",
         "Minutes of the meeting"},
        {"AC0122", "Media/WhatsApp Stickers/STK-20260101-WA0007.webp", "image/webp", "sticker", ""},
        {"AC0123", "Media/WhatsApp Animated Gifs/VID-20260101-WA0008.mp4", "video/mp4", "GIF", "funny"},
    };
    std::size_t checked_files = 0;
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(c.key));
        const auto file = std::find_if(media_files().begin(), media_files().end(),
                                       [&](const auto& f) { return f.path == c.file; });
        ASSERT_NE(file, media_files().end());
        ++checked_files;
        const std::string name = fs::path(c.file).filename().string();
        const RenderedItem& r = db.get(c.key);
        const Mail& m = r.mail;
        EXPECT_EQ(r.info.attached, 1u);
        EXPECT_EQ(r.info.not_attached, 0u);
        ASSERT_EQ(m.attachments.size(), 1u);
        const AttachedPart& a = m.attachments[0];
        EXPECT_EQ(a.file_name, name);
        EXPECT_TRUE(a.content_type.starts_with(c.content_type)) << a.content_type;
        EXPECT_EQ(a.bytes.size(), file->bytes.size());
        EXPECT_TRUE(a.bytes == file->bytes) << "attachment bytes differ from the file's";
        EXPECT_FALSE(m.root.has("X-WhatsApp-Attachment-Missing"));
        EXPECT_CONTAINS(m.plain, fmt::format("- {} ({}, {} bytes): attached", name, c.content_type,
                                             with_commas(file->bytes.size())));
        EXPECT_CONTAINS(m.header("Subject"), fmt::format("[{}: {}]", c.word, name));
        if (!c.caption.empty()) {
            EXPECT_CONTAINS(m.plain, c.caption);
            EXPECT_CONTAINS(m.html, c.caption);
            EXPECT_CONTAINS(m.header("Subject"), c.caption);
        }
    }
    EXPECT_EQ(checked_files, media_files().size());  // every file of the media folder
}

TEST(AndroidDbRenderImport, MediaWithoutItsFileIsStatedNotDropped)
{
    CV_NEED_VIEWER_DDL();
    const RenderedDb db;
    ASSERT_TRUE(db.source);
    struct Expect {
        std::string_view key, name, word;
    };
    const Expect cases[] = {
        {"AC0104", "VID-20260101-WA0002.mp4", "video"},
        {"AC0105", "PTT-20260101-WA0003.opus", "voice message"},
        {"AC0106", "report.pdf", "document"},
        {"AC0124", "STK-20260101-WA0009.webp", "sticker"},
        // "../../../../etc/passwd" never leaves the media folder: named, not read.
        {"AC0115", "passwd", "image"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(c.key));
        const RenderedItem& r = db.get(c.key);
        const Mail& m = r.mail;
        EXPECT_EQ(r.info.attached, 0u);
        EXPECT_EQ(r.info.not_attached, 1u);
        EXPECT_TRUE(m.attachments.empty());
        EXPECT_EQ(m.header("X-WhatsApp-Attachment-Missing"), c.name);
        EXPECT_CONTAINS(
            m.plain,
            fmt::format("- {}: named by the source but not contained in it, so not archived", c.name));
        EXPECT_CONTAINS(m.html, fmt::format("{}: named by the source but not contained in it", c.name));
        EXPECT_CONTAINS(m.header("Subject"), fmt::format("[{}: {}]", c.word, c.name));
    }
    EXPECT_LACKS(db.mail("AC0115").raw, "root:");
}

TEST(AndroidDbRenderImport, LocationsKeepVenueUrlAndCoordinates)
{
    CV_NEED_VIEWER_DDL();
    const RenderedDb db;
    ASSERT_TRUE(db.source);
    const Mail& venue = db.mail("AC0107");
    EXPECT_EQ(venue.header("X-WhatsApp-Location"), "https://maps.example/x");
    EXPECT_CONTAINS(venue.plain, "Location: Brandenburger Tor (Pariser Platz, Berlin)\n");
    EXPECT_CONTAINS(venue.plain, "Map: https://maps.example/x\n");
    // The venue's URL does not show where it is: the coordinates are stated.
    EXPECT_CONTAINS(venue.plain, "Coordinates: 52.5163, 13.3777\n");
    EXPECT_CONTAINS(venue.html,
                    "<a href=\"https://maps.example/x\">Brandenburger Tor (Pariser Platz, Berlin)</a>");
    EXPECT_CONTAINS(venue.html, "Coordinates: 52.5163, 13.3777");

    // A live location has coordinates and nothing else.
    const Mail& live = db.mail("AC0208");
    EXPECT_FALSE(live.root.has("X-WhatsApp-Location"));
    EXPECT_CONTAINS(live.plain, "Coordinates: 48.1372, 11.5756\n");
    EXPECT_CONTAINS(live.plain, "Live location shared\n");
    EXPECT_CONTAINS(live.html, "Coordinates: 48.1372, 11.5756");
}

TEST(AndroidDbRenderImport, ContactCardsTravelAsVcards)
{
    CV_NEED_VIEWER_DDL();
    const RenderedDb db;
    ASSERT_TRUE(db.source);
    const Mail& card = db.mail("AC0108");
    ASSERT_EQ(card.attachments.size(), 1u);
    EXPECT_EQ(card.attachments[0].file_name, "John Doe.vcf");
    EXPECT_TRUE(card.attachments[0].content_type.starts_with("text/vcard"))
        << card.attachments[0].content_type;
    EXPECT_EQ(card.attachments[0].bytes,
              "BEGIN:VCARD\nVERSION:3.0\nFN:John Doe\nTEL:+4915100000000\nEND:VCARD");
    EXPECT_CONTAINS(card.plain, "John Doe");
    EXPECT_CONTAINS(card.header("Subject"), "[contact card: John Doe.vcf]");

    const Mail& cards = db.mail("AC0207");
    ASSERT_EQ(cards.attachments.size(), 2u);
    EXPECT_EQ(cards.attachments[0].file_name, "Anna A.vcf");
    EXPECT_EQ(cards.attachments[0].bytes, "BEGIN:VCARD\r\nFN:Anna A\r\nEND:VCARD");  // CRLF kept as stored
    EXPECT_EQ(cards.attachments[1].file_name, "Ben_B.vcf");
    EXPECT_EQ(cards.attachments[1].bytes, "BEGIN:VCARD\r\nFN:Ben/B\r\nEND:VCARD");
    for (const auto& a : cards.attachments)
        EXPECT_TRUE(a.content_type.starts_with("text/vcard")) << a.content_type;
}

TEST(AndroidDbRenderImport, PollShowsQuestionOptionsAndVotes)
{
    CV_NEED_VIEWER_DDL();
    const RenderedDb db;
    ASSERT_TRUE(db.source);
    const Mail& poll = db.mail("AC0205");
    for (const Mail* m : {&poll}) {
        EXPECT_CONTAINS(m->plain, "POLL: Lunch?\nOPTION: Pizza (2 votes)\nOPTION: Sushi (1 votes)");
        EXPECT_CONTAINS(m->html, "OPTION: Pizza (2 votes)");
    }
    EXPECT_EQ(poll.header("Subject"), "WhatsApp message - Project Team: POLL: Lunch?");
    EXPECT_CONTAINS(poll.header("From"), "Olga Owner");
}

TEST(AndroidDbRenderImport, SystemEventsAreSystemMail)
{
    CV_NEED_VIEWER_DDL();
    const RenderedDb db;
    ASSERT_TRUE(db.source);
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"AC0201", "Olga Owner created group \"Project Team\""},
        {"AC0202", "Olga Owner added +4915199999999 and +4917600000001"},
        {"AC0211", "+4915199999999 changed the subject to \"Project Team 2026\""},
    };
    for (const auto& [key, text] : cases) {
        SCOPED_TRACE(std::string(key));
        const Mail& m = db.mail(key);
        EXPECT_EQ(m.header("X-WhatsApp-Kind"), "system");
        EXPECT_CONTAINS(m.plain, text);
        EXPECT_EQ(m.header("Subject"), fmt::format("WhatsApp system - Project Team: {}", text));
        EXPECT_CONTAINS(m.html, "background:#fff5c4");  // the centred notice, not a bubble
    }
}

TEST(AndroidDbRenderImport, RepliesPointAtTheQuotedMessagesMessageId)
{
    CV_NEED_VIEWER_DDL();
    const RenderedDb db;
    ASSERT_TRUE(db.source);
    const std::pair<std::string_view, std::string_view> replies[] = {
        {"AC0102", "AC0101"},         // short keys: the discriminator must match too
        {kLooksGoodKey, kAgendaKey},  // full-length keys, in a group
    };
    for (const auto& [reply_key, quoted_key] : replies) {
        SCOPED_TRACE(std::string(reply_key));
        const RenderedItem& reply = db.get(reply_key);
        const RenderedItem& quoted = db.get(quoted_key);
        const std::string quoted_id = "<" + quoted.info.message_id + ">";
        EXPECT_EQ(reply.mail.header("In-Reply-To"), quoted_id);
        const std::string refs = reply.mail.header("References");
        EXPECT_TRUE(refs.ends_with(quoted_id)) << refs;
        // The thread root comes first, the one every mail of the chat has.
        EXPECT_TRUE(refs.starts_with(quoted.mail.header("References"))) << refs;
        EXPECT_FALSE(quoted.mail.root.has("In-Reply-To"));
    }
    EXPECT_EQ(db.get(kAgendaKey).info.message_id, fmt::format("wa.{}@whatsapp.invalid", kAgendaKey));
    EXPECT_CONTAINS(db.mail("AC0102").plain, "> +4915112345678:\n> Hallo\n\nHi Erika");
    EXPECT_CONTAINS(db.mail(kLooksGoodKey).plain, "> +4915199999999:\n> Agenda for Monday\n\nLooks good");
    EXPECT_CONTAINS(db.mail(kLooksGoodKey).html, "<blockquote");
    // Items without a quote carry no In-Reply-To, and every mail of a chat the same root.
    std::map<std::size_t, std::string> roots;
    for (const auto& r : db.items) {
        const std::string refs = r.mail.header("References");
        const std::string root = refs.substr(0, refs.find('>') + 1);
        if (!r.item.quoted) {
            EXPECT_FALSE(r.mail.root.has("In-Reply-To")) << describe(r.item);
        }
        const auto it = roots.emplace(r.conv, root).first;
        EXPECT_EQ(it->second, root) << describe(r.item);
    }
    std::set<std::string> distinct_roots;
    for (const auto& [conv, root] : roots)
        distinct_roots.insert(root);
    EXPECT_EQ(distinct_roots.size(), roots.size());  // one thread per conversation
}

TEST(AndroidDbRenderImport, ForwardedEditedAndDeletedAreStated)
{
    CV_NEED_VIEWER_DDL();
    const RenderedDb db;
    ASSERT_TRUE(db.source);
    const Mail& fwd = db.mail("AC0101");
    EXPECT_EQ(fwd.header("X-WhatsApp-Forwarded"), "yes");
    EXPECT_TRUE(fwd.plain.starts_with("[Forwarded]\n")) << fwd.plain;
    EXPECT_CONTAINS(fwd.html, "Forwarded");
    EXPECT_FALSE(db.mail("AC0102").root.has("X-WhatsApp-Forwarded"));

    const Mail& edited = db.mail("AC0110");
    EXPECT_EQ(edited.header("X-WhatsApp-Edited"), "yes");
    EXPECT_CONTAINS(edited.plain,
                    "[Edited: the text below is the last version the source kept]\n\nfixed text");
    EXPECT_EQ(edited.header("Subject"), "WhatsApp message (edited) - +4915112345678: fixed text");
    EXPECT_EQ(fwd.header("X-WhatsApp-Edited"), "no");

    // Deleted for everyone, nothing kept: the tombstone says so.
    const Mail& gone = db.mail("AC0109");
    EXPECT_EQ(gone.header("X-WhatsApp-Deleted"), "yes");
    EXPECT_CONTAINS(gone.plain, "This message was deleted");
    EXPECT_EQ(gone.header("Subject"),
              "WhatsApp message (deleted) - +4915112345678: This message was deleted");
    // Deleted by its sender, text kept: the text stays, under the deletion note, from the sender.
    const Mail& kept = db.mail("AC0125");
    EXPECT_EQ(kept.header("X-WhatsApp-Deleted"), "yes");
    EXPECT_CONTAINS(kept.plain,
                    "[Deleted message: the text below is what the source kept]\n\nsorry, wrong chat");
    EXPECT_CONTAINS(kept.header("From"), "<4915112345678@whatsapp.invalid>");
    // Deleted by a group admin, text kept: the text stays and the admin is named.
    const Mail& admin = db.mail("AC0206");
    EXPECT_EQ(admin.header("X-WhatsApp-Deleted"), "yes");
    EXPECT_CONTAINS(admin.plain, "[Deleted message: the text below is what the source kept]\n\nkept text\n\n"
                                 "This message was deleted by admin +4915199999999");
    EXPECT_CONTAINS(admin.html, "This message was deleted by admin +4915199999999");
    EXPECT_CONTAINS(admin.header("From"), "Lido");  // the sender stays the sender
    EXPECT_EQ(fwd.header("X-WhatsApp-Deleted"), "no");

    // Placeholders and unknown types keep what the row has.
    const Mail& waiting = db.mail("AC0113");
    EXPECT_CONTAINS(waiting.plain, "[A message WhatsApp could not show");
    EXPECT_CONTAINS(waiting.plain, "Waiting for this message");
    EXPECT_CONTAINS(db.mail("AC0114").plain, "mystery");
}

TEST(AndroidDbRenderImport, CallsAreCallRecords)
{
    CV_NEED_VIEWER_DDL();
    const RenderedDb db;
    ASSERT_TRUE(db.source);
    struct Expect {
        std::string_view key, header, summary, subject, text;
        bool from_owner;
    };
    const Expect cases[] = {
        {"CA11", "voice; result=answered; direction=outgoing; duration=95",
         "Voice call, answered, outgoing, duration 1:35",
         "WhatsApp voice call (answered 1:35) - +4915112345678", "call_result 5; 1000 bytes transferred",
         true},
        {"CA12", "video; result=missed; direction=incoming; duration=0",
         "Video call, missed, incoming, duration 0:00", "WhatsApp video call (missed) - ", "call_result 2",
         false},
        {"CA13", "voice; result=answered; direction=incoming; duration=30",
         "Voice call, answered, incoming, duration 0:30",
         "WhatsApp voice call (answered 0:30) - Project Team", "participants: +4915199999999, +4917600000001",
         false},
        // Code 4 (rejected) without duration: not connected.
        {"CA14", "voice; result=missed; direction=outgoing; duration=0",
         "Voice call, missed, outgoing, duration 0:00", "WhatsApp voice call (missed) - +4917600000001",
         "call_result 4", true},
        {"CA15", "video; result=answered; direction=outgoing; duration=3725",
         "Video call, answered, outgoing, duration 1:02:05",
         "WhatsApp video call (answered 1:02:05) - +4915112345678",
         "call_result 5; 52428800 bytes transferred", true},
        {"CA16", "voice; result=missed; direction=incoming; duration=0",
         "Voice call, missed, incoming, duration 0:00", "WhatsApp voice call (missed) - ", "call_result 2",
         false},
        // The missed-call chat row (type 10): no duration recorded.
        {"AC0112", "video; result=missed; direction=incoming", "Video call, missed, incoming",
         "WhatsApp video call (missed) - ", "", false},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(c.key));
        const RenderedItem& r = db.get(c.key);
        const Mail& m = r.mail;
        EXPECT_EQ(r.item.kind, ItemKind::Call);
        EXPECT_EQ(m.header("X-WhatsApp-Kind"), "call");
        EXPECT_EQ(m.header("X-WhatsApp-Call"), c.header);
        EXPECT_CONTAINS(m.plain, std::string(c.summary) + "\n");
        EXPECT_CONTAINS(m.html, c.summary);
        EXPECT_TRUE(m.header("Subject").starts_with(c.subject)) << m.header("Subject");
        EXPECT_CONTAINS(m.plain, c.text);
        EXPECT_TRUE(r.info.message_id.starts_with(fmt::format("wa-call.{}.", c.key))) << r.info.message_id;
        if (c.from_owner) {
            EXPECT_CONTAINS(m.header("From"), "Olga Owner");
        } else {
            EXPECT_LACKS(m.header("From"), "Olga Owner");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Import.

// The conversation as the importer files it: the owner is the --owner person, the CSV maps
// the rest (mirrors ingest's rules, so the fresh render below addresses mail the same way).
Conversation mapped(Conversation c, const Person& owner, const mapping::UserMapping& csv,
                    const mapping::PhoneNormalizer& normalizer)
{
    for (auto& m : c.members) {
        if (m.owner) {
            if (!m.phone)
                m.phone = owner.phone;
            m.email = owner.email;
        }
        if (const auto to = mapping::map_person(m, &csv, normalizer))
            m.email = to->email;
    }
    return c;
}

struct Expected {
    std::size_t items = 0;
    std::set<std::string> keys;
};

// What the database holds, counted with SQL: one item per message row (not the sentinel) and
// per call_log row, minus the type-90 rows a call_log row already is.
Expected expected_from_sql(const fs::path& path)
{
    Expected e;
    auto db = sqlite::Database::open(path.string(), false);
    EXPECT_TRUE(db);
    if (!db)
        return e;
    auto count = [&](std::string_view sql) -> std::int64_t {
        auto st = db->prepare(sql);
        EXPECT_TRUE(st);
        if (!st || !st->step().value_or(false))
            return -1;
        return st->column_int(0);
    };
    e.items = static_cast<std::size_t>(count("SELECT count(*) FROM message WHERE chat_row_id > 0") +
                                       count("SELECT count(*) FROM call_log") -
                                       count("SELECT count(*) FROM message_call_log mc JOIN call_log c ON "
                                             "c._id = mc.call_log_row_id"));
    auto st = db->prepare("SELECT upper(key_id) FROM message WHERE chat_row_id > 0 UNION "
                          "SELECT upper(replace(call_id, 'call:', '')) FROM call_log");
    EXPECT_TRUE(st);
    while (st && st->step().value_or(false))
        e.keys.insert(std::string(st->column_text(0)));
    return e;
}

TEST(AndroidDbRenderImport, ImportArchivesEveryRowOnceAndRendersItAgainByteForByte)
{
    CV_NEED_VIEWER_DDL();
    ::unsetenv("CHATVAULT_KEY_FILE");  // the key goes into the archive in the temp dir
    ModernFixture f;
    const Expected expected = expected_from_sql(f.db);
    ASSERT_EQ(expected.items, std::size(kRows) - 1);
    ASSERT_EQ(expected.keys.size(), expected.items);

    TempDir dir;
    const fs::path where = dir.path() / "archive";
    ASSERT_TRUE(archive::Archive::create(where));
    auto opened = archive::Archive::open(where);
    ASSERT_TRUE(opened) << opened.error().describe();
    archive::Archive& a = *opened;

    auto normalizer = mapping::PhoneNormalizer::create("DE");
    ASSERT_TRUE(normalizer);
    const auto csv = mapping::parse_mapping_csv("phone,email\n+49 151 12345678,erika@bank.example\n",
                                                "users.csv", *normalizer);
    ASSERT_TRUE(csv.problems.empty());
    auto owner = mapping::parse_owner("+49 170 1234567=olga@bank.example", *normalizer);
    ASSERT_TRUE(owner) << owner.error().describe();
    ingest::MappingContext context;
    context.normalizer = &*normalizer;
    context.csv = &csv.mapping;
    context.owner = *owner;
    ingest::ImportOptions options;
    options.time_zone = "Europe/Berlin";
    options.batch_items = 7;  // several batches, so the pipeline's hand-over is part of the test

    auto import_once = [&]() -> Result<ingest::ImportReport> {
        CV_TRY(auto source, open_android_db(f.db, read_options(f)));
        return ingest::import_database(a, f.db, *source, options, context);
    };
    auto first = import_once();
    ASSERT_TRUE(first) << first.error().describe();
    EXPECT_EQ(first->seen, expected.items);
    EXPECT_EQ(first->added, expected.items);
    EXPECT_EQ(first->duplicates, 0u);
    EXPECT_EQ(first->quarantined, 0u);
    EXPECT_EQ(first->failed, 0u);

    // Every item is in the owner's mailbox; Erika's holds the 1:1 chat with her, calls included.
    auto olga = a.list("olga@bank.example", archive::kFolder, 10000, 0);
    ASSERT_TRUE(olga) << olga.error().describe();
    EXPECT_EQ(olga->size(), expected.items);
    auto erika = a.list("erika@bank.example", archive::kFolder, 10000, 0);
    ASSERT_TRUE(erika) << erika.error().describe();
    auto quarantined = a.quarantine();
    ASSERT_TRUE(quarantined);
    EXPECT_TRUE(quarantined->empty());

    // Fresh renders from the database, with the conversations filed as the importer filed them.
    std::map<std::string, std::string> fresh;  // Message-ID → email
    std::map<std::string, std::size_t> conv_of_id;
    std::set<std::string> erika_expected;
    {
        auto source = open_android_db(f.db, read_options(f));
        ASSERT_TRUE(source) << source.error().describe();
        SourceMedia media(**source);
        std::vector<std::optional<render::Renderer>> renderers((*source)->conversations().size());
        Item item;
        std::size_t conv = 0;
        while ((*source)->next(item, conv).value_or(false)) {
            if (!renderers[conv]) {
                auto r = render::Renderer::create(
                    mapped((*source)->conversations()[conv], *owner, csv.mapping, *normalizer),
                    {SourceKind::AndroidDatabase, "Europe/Berlin", std::string(kDomain)}, &media);
                ASSERT_TRUE(r) << r.error().describe();
                renderers[conv].emplace(std::move(*r));
            }
            StringSink sink;
            auto rendered = renderers[conv]->render(item, sink);
            ASSERT_TRUE(rendered) << rendered.error().describe();
            EXPECT_TRUE(fresh.emplace(rendered->message_id, sink.take()).second) << rendered->message_id;
            conv_of_id[rendered->message_id] = conv;
            if ((*source)->conversations()[conv].jid == "4915112345678@s.whatsapp.net")
                erika_expected.insert(rendered->message_id);
        }
    }
    ASSERT_EQ(fresh.size(), expected.items);
    std::set<std::string> erika_ids;
    for (const auto& s : *erika)
        erika_ids.insert(s.message_id);
    EXPECT_EQ(erika_ids, erika_expected);

    std::set<std::string> archived_keys, archived_ids;
    for (const auto& summary : *olga) {
        auto stored = a.item(summary.id);
        ASSERT_TRUE(stored) << stored.error().describe();
        SCOPED_TRACE(describe(stored->item));
        EXPECT_EQ(stored->message_id, summary.message_id);
        ASSERT_TRUE(stored->item.key_id);
        archived_keys.insert(*stored->item.key_id);
        archived_ids.insert(stored->message_id);
        EXPECT_EQ(stored->render.source, SourceKind::AndroidDatabase);
        EXPECT_EQ(stored->sources.size(), 1u);
        // The archived rendering: what render_stored gives, byte for byte, is what was hashed at
        // import and what a fresh render from the database gives.
        StringSink again;
        auto rendered = ingest::render_stored(a, *stored, again);
        ASSERT_TRUE(rendered) << rendered.error().describe();
        EXPECT_EQ(rendered->message_id, stored->message_id);
        EXPECT_EQ(again.data().size(), stored->render_size);
        EXPECT_EQ(sha256(again.data()), stored->render_sha256);
        const auto it = fresh.find(stored->message_id);
        ASSERT_NE(it, fresh.end());
        EXPECT_TRUE(again.data() == it->second) << "stored rendering differs from a fresh render";
        // Attachments live in the archive now, with the file's bytes.
        for (const auto& att : stored->item.attachments) {
            if (!att.present || att.inline_data)
                continue;
            ASSERT_TRUE(att.locator.starts_with("blob:")) << att.locator;
            const auto sha = sha256_from_hex(std::string_view(att.locator).substr(5));
            ASSERT_TRUE(sha);
            auto blob = a.open_blob(*sha);
            ASSERT_TRUE(blob) << blob.error().describe();
            std::string bytes;
            char buf[4096];
            for (;;) {
                auto n = (*blob)->read(buf);
                ASSERT_TRUE(n);
                if (*n == 0)
                    break;
                bytes.append(buf, *n);
            }
            const auto file = std::find_if(media_files().begin(), media_files().end(), [&](const auto& m) {
                return fs::path(m.path).filename() == att.name;
            });
            ASSERT_NE(file, media_files().end()) << att.name;
            EXPECT_TRUE(bytes == file->bytes) << att.name;
        }
    }
    EXPECT_EQ(archived_keys, expected.keys);  // calls included, CA11 once
    EXPECT_EQ(archived_ids.size(), expected.items);

    // Again: nothing new, every item a duplicate, the folders unchanged.
    auto second = import_once();
    ASSERT_TRUE(second) << second.error().describe();
    EXPECT_EQ(second->seen, expected.items);
    EXPECT_EQ(second->added, 0u);
    EXPECT_EQ(second->duplicates, expected.items);
    EXPECT_EQ(second->failed, 0u);
    auto olga_again = a.list("olga@bank.example", archive::kFolder, 10000, 0);
    ASSERT_TRUE(olga_again);
    EXPECT_EQ(olga_again->size(), expected.items);
    auto stored_first = a.item(olga_again->front().id);
    ASSERT_TRUE(stored_first);
    EXPECT_EQ(stored_first->sources.size(), 2u);  // linked to the second import, not copied

    // And the archive's own check agrees.
    auto verified = a.verify([&](const archive::StoredItem& s) { return ingest::rerender_hash(a, s); });
    ASSERT_TRUE(verified) << verified.error().describe();
    EXPECT_EQ(verified->items, expected.items);
    for (const auto& finding : verified->findings)
        ADD_FAILURE() << finding.message_id << ": " << finding.problem;
}

}  // namespace
}  // namespace cv::android_db

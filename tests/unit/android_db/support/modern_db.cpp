#include "modern_db.hpp"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include <gtest/gtest.h>

namespace cv::android_db::test_db {

bool viewer_files_present()
{
    return fs::exists(kViewerSchema) && fs::exists(kViewerRows);
}

void exec_file(sqlite::Database& db, const fs::path& sql)
{
    auto done = db.exec(slurp(sql));
    ASSERT_TRUE(done) << done.error().describe();
}

fs::path build_viewer_db(const TempDir& dir, const std::string& name, bool viewer_rows)
{
    const fs::path path = dir.path() / name;
    auto db = sqlite::Database::open(path.string(), true);
    EXPECT_TRUE(db);
    if (!db)
        return path;
    // A scratch file: no fsync per statement (hundreds of them), which costs seconds on a busy disk.
    EXPECT_TRUE(db->exec("PRAGMA synchronous=OFF"));
    exec_file(*db, kViewerSchema);
    if (viewer_rows)
        exec_file(*db, kViewerRows);
    return path;
}

// Our own modern rows: every message type of spec §B.4 this reader knows. Rows 101–125 are a
// 1:1 chat, 201–211 a group; the call_log rows are calls of both and of a third chat.
std::string modern_rows()
{
    std::string sql = R"SQL(
CREATE TABLE message_edit_info (message_row_id INTEGER PRIMARY KEY, original_key_id TEXT, edited_timestamp INTEGER, sender_timestamp INTEGER);
CREATE TABLE message_poll_option (_id INTEGER PRIMARY KEY AUTOINCREMENT, message_row_id INTEGER, option_name TEXT, vote_total INTEGER);
CREATE TABLE message_call_log (message_row_id INTEGER PRIMARY KEY, call_log_row_id INTEGER);
CREATE TABLE jid_map (lid_row_id INTEGER PRIMARY KEY, jid_row_id INTEGER);
CREATE TABLE lid_display_name (lid_row_id INTEGER PRIMARY KEY, display_name TEXT, username TEXT);
ALTER TABLE message_revoked ADD COLUMN admin_jid_row_id INTEGER;
ALTER TABLE message_media ADD COLUMN media_caption TEXT;
INSERT INTO props (key, value) VALUES ('user_push_name', 'Olga Owner');
INSERT INTO jid (_id, user, server, type, raw_string) VALUES
  (20001, '4915112345678', 's.whatsapp.net', 0, '4915112345678@s.whatsapp.net'),
  (20002, '120363041234567890', 'g.us', 1, '120363041234567890@g.us'),
  (20003, '4915199999999', 's.whatsapp.net', 0, '4915199999999@s.whatsapp.net'),
  (20004, '187654321098765', 'lid', 18, '187654321098765@lid'),
  (20005, '4917600000001', 's.whatsapp.net', 0, '4917600000001@s.whatsapp.net'),
  (20007, '187650000000001', 'lid', 18, '187650000000001@lid');
INSERT INTO jid_map (lid_row_id, jid_row_id) VALUES (20004, 20005);
INSERT INTO lid_display_name (lid_row_id, display_name) VALUES (20007, 'Lido');
INSERT INTO chat (_id, jid_row_id, subject) VALUES (20001, 20001, NULL), (20002, 20002, 'Project Team');
INSERT INTO group_participant_user (group_jid_row_id, user_jid_row_id, rank, pending) VALUES (20002, 20003, 1, 0), (20002, 20004, 0, 0);
INSERT INTO message (_id, chat_row_id, from_me, key_id, sender_jid_row_id, timestamp) VALUES (1, -1, 0, '-1', 0, 0);
)SQL";
    struct M {
        int id, chat, from_me;
        const char* key;
        int sender, type;
        const char* text;  // SQL expression
        int origin = 0, flags = 0, status = 0;
        std::int64_t ts = -1;  // -1: from the id
    };
    const std::vector<M> rows = {
        {101, 20001, 0, "ac0101", 0, 0, "'Hallo'", 0, 1},
        {102, 20001, 1, "AC0102", 0, 0, "'Hi Erika'"},
        {103, 20001, 1, "AC0103", 0, 1, "'caption here'"},
        {104, 20001, 0, "AC0104", 0, 3, "NULL"},
        {105, 20001, 0, "AC0105", 0, 2, "NULL", 1},
        {106, 20001, 0, "AC0106", 0, 9, "NULL"},
        {107, 20001, 0, "AC0107", 0, 5, "NULL"},
        {108, 20001, 0, "AC0108", 0, 4, "'John Doe'"},
        {109, 20001, 0, "AC0109", 0, 15, "NULL"},
        {110, 20001, 1, "AC0110", 0, 0, "'fixed text'"},
        {111, 20001, 1, "CA11", 0, 90, "NULL"},
        {112, 20001, 0, "AC0112", 0, 10, "NULL"},
        {113, 20001, 0, "AC0113", 0, 11, "NULL"},
        {114, 20001, 0, "AC0114", 0, 999, "'mystery'"},
        {115, 20001, 0, "AC0115", 0, 1, "NULL"},
        {116, 20001, 0, "AC0116", 0, 0, "'no time'", 0, 0, 0, 0},
        {117, 20001, 0, "AC0117", 0, 0, "CAST(X'4861FF21' AS TEXT)"},
        // Media whose files are in the media folder (see media_files()), one of each type.
        {118, 20001, 0, "AC0118", 0, 3, "'clip caption'"},
        {119, 20001, 0, "AC0119", 0, 2, "NULL"},  // audio file: origin 0
        {120, 20001, 0, "AC0120", 0, 2, "NULL", 1},
        {121, 20001, 1, "AC0121", 0, 9, "NULL"},  // caption in message_media.media_caption
        {122, 20001, 0, "AC0122", 0, 20, "NULL"},
        {123, 20001, 0, "AC0123", 0, 13, "'funny'"},
        {124, 20001, 0, "AC0124", 0, 20, "NULL"},                 // a sticker whose file is missing
        {125, 20001, 0, "AC0125", 0, 15, "'sorry, wrong chat'"},  // deleted by its sender, text kept
        {201, 20002, 1, "AC0201", 0, 7, "'Project Team'", 0, 0, 6},
        {202, 20002, 1, "AC0202", 0, 7, "NULL", 0, 0, 6},
        {203, 20002, 0, "AC0203", 20003, 0, "'Moin'"},
        {204, 20002, 0, "AC0204", 20004, 0, "'from lid'"},
        {205, 20002, 1, "AC0205", 0, 66, "'Lunch?'"},
        {206, 20002, 0, "AC0206", 20007, 64, "'kept text'"},
        {207, 20002, 0, "AC0207", 20003, 14, "NULL"},
        {208, 20002, 0, "AC0208", 20003, 16, "NULL"},
        // Full-length keys (32 hex digits, as every modern phone writes them), one a reply.
        {209, 20002, 0, "3EB0A1B2C3D4E5F60718293A4B5C6D7E", 20003, 0, "'Agenda for Monday'"},
        {210, 20002, 1, "3A1F6C0D2B9E4F7A8C5D1E2F3A4B5C6D", 0, 0, "'Looks good'"},
        {211, 20002, 0, "AC0211", 20003, 7, "'Project Team 2026'", 0, 0, 6},
    };
    for (const auto& m : rows) {
        const std::int64_t ts = m.ts >= 0 ? m.ts : kT0 + (m.id % 100) * 60000;
        sql += fmt::format(
            "INSERT INTO message (_id, chat_row_id, from_me, key_id, sender_jid_row_id, status, "
            "timestamp, received_timestamp, message_type, text_data, origin, origination_flags) "
            "VALUES ({}, {}, {}, '{}', {}, {}, {}, {}, {}, {}, {}, {});\n",
            m.id, m.chat, m.from_me, m.key, m.sender, m.status, ts, ts, m.type, m.text, m.origin, m.flags);
    }
    sql += R"SQL(
INSERT INTO message_quoted (message_row_id, chat_row_id, parent_message_chat_row_id, from_me, sender_jid_row_id, key_id, timestamp, message_type, text_data)
  VALUES (102, 20001, 20001, 0, 0, 'ac0101', 1767261600000, 0, 'Hallo'),
         (210, 20002, 20002, 0, 20003, '3EB0A1B2C3D4E5F60718293A4B5C6D7E', 1767262140000, 0, 'Agenda for Monday');
INSERT INTO message_media (message_row_id, chat_row_id, file_path, mime_type, file_size, file_length) VALUES
  (103, 20001, 'Media/WhatsApp Images/Sent/IMG-20260101-WA0001.jpg', 'image/jpeg', 0, 5),
  (104, 20001, 'Media/WhatsApp Video/VID-20260101-WA0002.mp4', 'video/mp4', 12345, 0),
  (105, 20001, 'Media/WhatsApp Voice Notes/202601/PTT-20260101-WA0003.opus', 'audio/ogg; codecs=opus', 999, 0),
  (106, 20001, 'Media/WhatsApp Documents/report.pdf', 'application/pdf', 4096, 0),
  (115, 20001, '../../../../etc/passwd', 'image/jpeg', 10, 0),
  (118, 20001, 'Media/WhatsApp Video/VID-20260101-WA0004.mp4', 'video/mp4', 0, 0),
  (119, 20001, 'Media/WhatsApp Audio/AUD-20260101-WA0005.mp3', 'audio/mpeg', 0, 0),
  (120, 20001, 'Media/WhatsApp Voice Notes/202601/PTT-20260101-WA0006.opus', 'audio/ogg; codecs=opus', 0, 0),
  (121, 20001, 'Media/WhatsApp Documents/Sent/minutes.pdf', 'application/pdf', 0, 0),
  (122, 20001, 'Media/WhatsApp Stickers/STK-20260101-WA0007.webp', 'image/webp', 0, 0),
  (123, 20001, 'Media/WhatsApp Animated Gifs/VID-20260101-WA0008.mp4', 'video/mp4', 0, 0),
  (124, 20001, 'Media/WhatsApp Stickers/STK-20260101-WA0009.webp', 'image/webp', 20480, 0);
UPDATE message_media SET media_name = 'report.pdf' WHERE message_row_id = 106;
UPDATE message_media SET media_name = 'minutes.pdf', media_caption = 'Minutes of the meeting' WHERE message_row_id = 121;
INSERT INTO message_location (message_row_id, chat_row_id, latitude, longitude, place_name, place_address, url) VALUES
  (107, 20001, 52.5163, 13.3777, 'Brandenburger Tor', 'Pariser Platz, Berlin', 'https://maps.example/x'),
  (208, 20002, 48.1372, 11.5756, NULL, NULL, NULL);
INSERT INTO message_vcard (message_row_id, vcard) VALUES
  (108, 'BEGIN:VCARD' || char(10) || 'VERSION:3.0' || char(10) || 'FN:John Doe' || char(10) || 'TEL:+4915100000000' || char(10) || 'END:VCARD'),
  (207, 'BEGIN:VCARD' || char(13, 10) || 'FN:Anna A' || char(13, 10) || 'END:VCARD'),
  (207, 'BEGIN:VCARD' || char(13, 10) || 'FN:Ben/B' || char(13, 10) || 'END:VCARD');
INSERT INTO message_revoked (message_row_id, revoked_key_id, admin_jid_row_id) VALUES (109, 'AC0109', NULL), (206, 'AC0206', 20003), (125, 'AC0125', NULL);
INSERT INTO message_edit_info (message_row_id, original_key_id, edited_timestamp) VALUES (110, 'AC0110', 1767262000000);
INSERT INTO message_system (message_row_id, action_type) VALUES (201, 11), (202, 12), (211, 1);
INSERT INTO message_system_chat_participant (message_row_id, user_jid_row_id) VALUES (202, 20003), (202, 20004);
INSERT INTO message_poll_option (message_row_id, option_name, vote_total) VALUES (205, 'Pizza', 2), (205, 'Sushi', 1);
INSERT INTO missed_call_logs (message_row_id, timestamp, video_call) VALUES (112, 1767262320000, 1);
INSERT INTO call_log (_id, jid_row_id, from_me, call_id, timestamp, video_call, duration, call_result, bytes_transferred, group_jid_row_id) VALUES
  (1, 20001, 1, 'call:ca11', 1767262260000, 0, 95, 5, 1000, 0),
  (2, 20001, 0, 'CA12', 1767262265000, 1, 0, 2, 0, 0),
  (3, 20003, 0, 'CA13', 1767262900000, 0, 30, 5, 0, 20002),
  (4, 20005, 1, 'CA14', 1767263000000, 0, 0, 4, 0, 0),
  (5, 20001, 1, 'CA15', 1767263310000, 1, 3725, 5, 52428800, 0),
  (6, 20001, 0, 'CA16', 1767263370000, 0, 0, 2, 0, 0);
INSERT INTO call_log_participant_v2 (call_log_row_id, jid_row_id, call_result) VALUES (3, 20003, 5), (3, 20004, 5);
INSERT INTO message_call_log (message_row_id, call_log_row_id) VALUES (111, 1);
)SQL";
    return sql;
}

namespace {

// Bytes that start as the format does (so libmagic names them) and then hold every byte value,
// NULs included, in a deterministic order: what base64 must carry through unchanged.
std::string file_bytes(std::string_view magic, std::size_t size, unsigned seed)
{
    std::string out(magic);
    std::uint32_t x = seed * 2654435761u + 1;
    while (out.size() < size) {
        x = x * 1103515245u + 12345u;
        out += static_cast<char>((x >> 16) & 0xFF);
    }
    return out;
}

}  // namespace

const std::vector<MediaFile>& media_files()
{
    using namespace std::string_view_literals;
    static const std::vector<MediaFile> files = {
        {"Media/WhatsApp Images/Sent/IMG-20260101-WA0001.jpg", "\xFF\xD8\xFF\xE0x"},
        // Large enough to cross the renderer's read chunks and several base64 lines.
        {"Media/WhatsApp Video/VID-20260101-WA0004.mp4", file_bytes("\0\0\0\x18"
                                                                    "ftypmp42\0\0\0\0mp42isom"sv,
                                                                    70000, 1)},
        {"Media/WhatsApp Audio/AUD-20260101-WA0005.mp3", file_bytes("ID3\x04\0\0\0\0\0\0"sv, 3000, 2)},
        {"Media/WhatsApp Voice Notes/202601/PTT-20260101-WA0006.opus",
         file_bytes("OggS\0\x02\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\x01\x13OpusHead\x01\x01"sv, 2000,
                    3)},
        {"Media/WhatsApp Documents/Sent/minutes.pdf",
         "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R "
         ">>\n%%EOF\n"},
        {"Media/WhatsApp Stickers/STK-20260101-WA0007.webp",
         file_bytes("RIFF\x24\x04\0\0WEBPVP8 \x18\x04\0\0"sv, 1068, 4)},
        {"Media/WhatsApp Animated Gifs/VID-20260101-WA0008.mp4",
         file_bytes("\0\0\0\x1c"
                    "ftypisom\0\0\x02\0isomiso2mp41"sv,
                    5000, 5)},
    };
    return files;
}

ModernFixture::ModernFixture()
{
    db = build_viewer_db(dir, "msgstore.db", true);
    auto conn = sqlite::Database::open(db.string(), false);
    EXPECT_TRUE(conn);
    if (conn) {
        EXPECT_TRUE(conn->exec("PRAGMA synchronous=OFF"));
        auto done = conn->exec(modern_rows());
        EXPECT_TRUE(done) << done.error().describe();
    }
    media = dir.path() / "WhatsApp";
    for (const auto& f : media_files()) {
        fs::create_directories((media / f.path).parent_path());
        std::ofstream(media / f.path, std::ios::binary) << f.bytes;
    }
}

}  // namespace cv::android_db::test_db

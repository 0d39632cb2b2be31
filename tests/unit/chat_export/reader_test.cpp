#include "sources/chat_export/chat_export.hpp"

#include <filesystem>
#include <fstream>

#include <zip.h>

#include <gtest/gtest.h>

namespace cv::chat_export {
namespace {

namespace fs = std::filesystem;

class TempDir {
public:
    TempDir()
    {
        char tmpl[] = "/tmp/cv-reader-test-XXXXXX";
        path_ = ::mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path_); }
    const fs::path& path() const { return path_; }
    fs::path write(const std::string& name, std::string_view data) const
    {
        const auto p = path_ / name;
        std::ofstream(p, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
        return p;
    }

private:
    fs::path path_;
};

// Builds a zip with libzip (entries in order, compressed), as a phone's share sheet would.
fs::path make_zip(const TempDir& dir, const std::string& name,
                  const std::vector<std::pair<std::string, std::string>>& entries)
{
    const auto path = dir.path() / name;
    int err = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    EXPECT_NE(z, nullptr);
    for (const auto& [entry, data] : entries) {
        zip_source_t* src = zip_source_buffer(z, data.data(), data.size(), 0);
        EXPECT_GE(zip_file_add(z, entry.c_str(), src, ZIP_FL_ENC_UTF_8), 0);
    }
    EXPECT_EQ(zip_close(z), 0);
    return path;
}

std::vector<Item> read_all(const fs::path& p, Options o = {}, Report* report = nullptr)
{
    auto r = Reader::open(p, o);
    EXPECT_TRUE(r) << (r ? "" : r.error().describe());
    std::vector<Item> items;
    if (!r)
        return items;
    Item it;
    while (r->next(it))
        items.push_back(it);
    if (report)
        *report = r->report();
    return items;
}

const char* kAndroid = "23/03/2022, 13:31 - Messages and calls are end-to-end encrypted. Tap to learn more.\n"
                       "18/03/2022, 14:56 - Ana: Hello\n"
                       "18/03/2022, 14:57 - Ana: line one\n"
                       "\n"
                       "08/04/2022, 16:40 - this continuation looks like a header\n"
                       "18/03/2022, 15:10 - Bo: IMG-20220318-WA0001.jpg (file attached)\n"
                       "caption\n"
                       "18/03/2022, 15:11 - Bo: <Media omitted>\n"
                       "18/03/2022, 15:12 - Bo: This message was deleted\n"
                       "18/03/2022, 15:13 - Ana: \n";

TEST(Reader, AndroidTextClassifiesAndKeepsContinuationsByteExact)
{
    TempDir dir;
    dir.write("IMG-20220318-WA0001.jpg", "jpegbytes");
    Report report;
    const auto items = read_all(dir.write("WhatsApp Chat with Ana.txt", kAndroid), {}, &report);
    ASSERT_EQ(items.size(), 8u);
    EXPECT_EQ(report.platform, Platform::Android);
    EXPECT_EQ(report.date_order, DateOrder::DayMonthYear);
    EXPECT_EQ(report.chat_name.value_or(""), "Ana");

    EXPECT_EQ(items[0].kind, ItemKind::System);
    EXPECT_FALSE(items[0].author);
    EXPECT_EQ(items[1].author.value_or(""), "Ana");
    EXPECT_EQ(items[1].text, "Hello");
    EXPECT_EQ(items[2].text, "line one\n");  // the blank line is part of the message
    // A full header with system text is an item of its own, even mid-conversation.
    EXPECT_EQ(items[3].kind, ItemKind::System);

    ASSERT_EQ(items[4].attachments.size(), 1u);
    EXPECT_EQ(items[4].attachments[0].name, "IMG-20220318-WA0001.jpg");
    EXPECT_TRUE(items[4].attachments[0].present);
    EXPECT_EQ(items[4].attachments[0].size.value_or(0), 9u);
    EXPECT_EQ(items[4].text, "IMG-20220318-WA0001.jpg (file attached)\ncaption");

    ASSERT_EQ(items[5].attachments.size(), 1u);
    EXPECT_TRUE(items[5].attachments[0].omitted);
    EXPECT_FALSE(items[5].attachments[0].present);
    EXPECT_TRUE(items[6].deleted);
}

TEST(Reader, LastMessageEmptyBodyIsAPlaceholderNotSystem)
{
    TempDir dir;
    const auto items = read_all(dir.write("c.txt", kAndroid));
    ASSERT_FALSE(items.empty());
    const auto& last = items.back();
    EXPECT_EQ(last.author.value_or(""), "Ana");
    EXPECT_EQ(last.text, "");
    EXPECT_EQ(last.placeholder, Placeholder::Empty);
    EXPECT_EQ(last.kind, ItemKind::Message);
}

TEST(Reader, IosZipLinksAttachmentsAndIgnoresMacNoiseAndUnsafeNames)
{
    TempDir dir;
    const std::string chat =
        "[3/18/22, 14:56:01] Elon: \xE2\x80\x8EMessages and calls are end-to-end encrypted.\r\n"
        "\xE2\x80\x8E[3/27/22, 21:41:55] Dmitry S: \xE2\x80\x8E<attached: "
        "00000035-PHOTO-2022-03-27-21-41-55.jpg>\r\n"
        "\xE2\x80\x8E[3/27/22, 21:42:00] Dmitry S: \xE2\x80\x8E<attached: 00000036-Caf\xC3\xA9\xC2\xA0menu "
        "\xF0\x9F\x8D\x95.pdf>\r\n"
        "\xE2\x80\x8E[3/27/22, 21:43:00] Dmitry S: \xE2\x80\x8E<attached: "
        "00000037-AUDIO-2022-03-27-21-43-00.opus>\r\n"
        "[3/27/22, 21:44:00] Dmitry S: bye";
    const auto zip = make_zip(dir, "export.zip",
                              {{"__MACOSX/._chat.txt", "junk"},
                               {"_chat.txt", chat},
                               {"00000035-PHOTO-2022-03-27-21-41-55.jpg", "jpg"},
                               {"00000036-Caf\xC3\xA9\xC2\xA0menu \xF0\x9F\x8D\x95.pdf", "pdf"},
                               {"../00000037-AUDIO-2022-03-27-21-43-00.opus", "evil"}});
    Report report;
    const auto items = read_all(zip, {}, &report);
    ASSERT_EQ(items.size(), 5u);
    EXPECT_EQ(report.platform, Platform::Ios);
    EXPECT_EQ(report.chat_file, "_chat.txt");
    EXPECT_EQ(items[0].kind, ItemKind::System);
    EXPECT_EQ(items[0].author.value_or(""), "Elon");
    ASSERT_EQ(items[1].attachments.size(), 1u);
    EXPECT_TRUE(items[1].attachments[0].present);
    EXPECT_EQ(items[1].attachments[0].type, MediaType::Image);
    ASSERT_EQ(items[2].attachments.size(), 1u);
    EXPECT_TRUE(items[2].attachments[0].present) << items[2].attachments[0].name;
    ASSERT_EQ(items[3].attachments.size(), 1u);
    EXPECT_FALSE(items[3].attachments[0].present);  // only an unsafe "../" entry has that name
    EXPECT_EQ(items[4].text, "bye");
    bool warned_unsafe = false;
    for (const auto& w : report.warnings)
        warned_unsafe |= w.message.find("unsafe") != std::string::npos;
    EXPECT_TRUE(warned_unsafe);
}

TEST(Reader, NotAnExportIsAParseError)
{
    TempDir dir;
    const auto r = Reader::open(dir.write("notes.txt", "just some notes\nnothing here\n"), {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::Parse);
    EXPECT_NE(r.error().message().find("notes.txt"), std::string::npos);
}

TEST(Reader, MissingPathIsNotFound)
{
    const auto r = Reader::open("/nonexistent/chat.txt", {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::NotFound);
}

TEST(Reader, DamagedZipIsAClearError)
{
    TempDir dir;
    const auto zip = make_zip(dir, "good.zip", {{"_chat.txt", "[1/2/22, 10:00:00] A: hi\n"}});
    std::string bytes;
    {
        std::ifstream in(zip, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    const auto cut = dir.write("cut.zip", bytes.substr(0, bytes.size() / 2));
    const auto r = Reader::open(cut, {});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().describe().find("cut.zip"), std::string::npos);
}

TEST(Reader, InvalidUtf8IsRepairedWithAWarningNamingTheLine)
{
    TempDir dir;
    Report report;
    const auto items = read_all(
        dir.write("c.txt", "1/2/22, 10:00 - A: ok\n1/2/22, 10:01 - A: bad \xFF byte\n"), {}, &report);
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[1].text, "bad \xEF\xBF\xBD byte");
    ASSERT_FALSE(report.warnings.empty());
    EXPECT_EQ(report.warnings[0].line, 2u);
}

TEST(Reader, TimeZoneConvertsToUtcAndFlagsDstGap)
{
    TempDir dir;
    Options o;
    o.time_zone = "Europe/Madrid";
    const auto items =
        read_all(dir.write("c.txt", "27/03/2022, 01:59 - A: a\n27/03/2022, 02:30 - A: b\n"), o);
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(format_utc(items[0].utc), "2022-03-27T00:59:00Z");
    EXPECT_EQ(items[0].dst, DstResolution::Unique);
    EXPECT_EQ(items[1].dst, DstResolution::Gap);
    EXPECT_EQ(format_iso(items[1].wall_clock), "2022-03-27T02:30:00");
}

TEST(Reader, DateOrderOverride)
{
    TempDir dir;
    Options o;
    o.date_order = DateOrder::MonthDayYear;
    const auto items = read_all(dir.write("c.txt", "3/6/18, 1:55 p.m. - a: m"), o);
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(format_iso(items[0].wall_clock), "2018-03-06T13:55:00");
}

TEST(Reader, UnknownZoneIsRejectedBeforeReading)
{
    TempDir dir;
    Options o;
    o.time_zone = "Nowhere/Special";
    const auto r = Reader::open(dir.write("c.txt", "3/6/18, 1:55 p.m. - a: m"), o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace cv::chat_export

namespace cv::chat_export {
namespace {

// iOS writes LRM before its own notices, but people's messages can start with one too: only
// the first line (the encryption notice, in any language) is filed as system on that sign alone.
TEST(Reader, LrmUserMessageStaysAMessageButFirstLineNoticeIsSystem)
{
    TempDir dir;
    const auto items = read_all(
        dir.write("_chat.txt", "[1/29/18, 12:24:03] Grupo: \xE2\x80\x8E"
                               "Un aviso en un idioma sin tabla\r\n"
                               "[1/29/18, 12:25:00] Mallory: \xE2\x80\x8ENo idea, lets try it out!\r\n"));
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0].kind, ItemKind::System);
    EXPECT_EQ(items[1].kind, ItemKind::Message);
    EXPECT_EQ(items[1].author.value_or(""), "Mallory");
}

}  // namespace
}  // namespace cv::chat_export

namespace cv {
namespace {

TEST(Item, DescribesItselfOnOneLine)
{
    Item item;
    item.index = 3;
    item.line = 7;
    item.author = "Ana";
    item.wall_clock = {2024, 1, 14, 9, 2, 0};
    item.text = "two\nlines";
    item.deleted = true;
    EXPECT_EQ(fmt::format("{}", item), "#3 line 7 message [Ana] 2024-01-14T09:02:00 \"two|lines\" deleted");
}

}  // namespace
}  // namespace cv

namespace cv::chat_export {
namespace {

// whats_json's deliberately damaged export: a marker cut across lines must not pass silently.
TEST(Reader, DamagedAttachmentMarkerIsKeptAsTextWithAWarning)
{
    TempDir dir;
    Report report;
    const auto items =
        read_all(dir.write("_chat.txt", "[3/27/22, 21:41:35] D: hi\r\n"
                                        "\xE2\x80\x8E[3/27/22, 21:41:55] D: \xE2\x80\x8E<attached: \n"
                                        "00000035-PHOTO-2022-03-27-21-4\n"
                                        "1-55.jpg>\n"),
                 {}, &report);
    ASSERT_EQ(items.size(), 2u);
    EXPECT_TRUE(items[1].attachments.empty());
    EXPECT_EQ(items[1].kind, ItemKind::Message);
    ASSERT_EQ(report.warnings.size(), 1u);
    EXPECT_EQ(report.warnings[0].line, 2u);
    EXPECT_NE(report.warnings[0].message.find("attachment marker"), std::string::npos);
}

}  // namespace
}  // namespace cv::chat_export

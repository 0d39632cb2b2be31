// The eDiscovery export's pure parts: CSV quoting and reading back, the rows of an item with
// and without dedupe, the manifest format, path names, header decoding and the job file; and
// the zip writer on a real file, read back by Python's zipfile and `unzip -t`.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "compliance/export/detail/followed_file.hpp"
#include "compliance/export/detail/job.hpp"
#include "compliance/export/detail/zip.hpp"
#include "compliance/export/export.hpp"

namespace cv::compliance::exports {
namespace {

LoadRow nasty_row()
{
    LoadRow r;
    r.doc_id = "CV0000000042-01";
    r.item = 42;
    r.message_id = "wa.3EB0,\"x\"@whatsapp.invalid";
    r.custodian = "Brandt, Helena";
    r.mailbox = "helena@bank.example";
    r.folder = "WhatsApp Archiver";
    r.sent_utc = "2026-11-24T10:05:00Z";
    r.from = "\"Ana\" <ana@bank.example>";
    r.to = "Bob Müller <bob@corp.example>, 4915112345678@whatsapp.invalid";
    r.subject = "WhatsApp message - Desk: line one\r\nline two, \"quoted\" ";
    r.attachments = "IMG-1.jpg; report, q1.pdf";
    r.sha256 = std::string(64, 'a');
    r.size = 1234;
    r.duplicate_of = "";
    r.path = "custodians/Brandt, Helena/helena@bank.example/WhatsApp Archiver/0000000042.eml";
    return r;
}

TEST(ExportCsv, QuotesOnlyWhatNeedsIt)
{
    EXPECT_EQ(csv_field("plain text"), "plain text");
    EXPECT_EQ(csv_field(""), "");
    EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
    EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    EXPECT_EQ(csv_field("two\r\nlines"), "\"two\r\nlines\"");
    EXPECT_EQ(csv_field("lf\nonly"), "\"lf\nonly\"");
    EXPECT_EQ(csv_field(" padded"), "\" padded\"");
    EXPECT_EQ(csv_field("ünïcödé 🙂"), "ünïcödé 🙂");
}

TEST(ExportCsv, RowRoundTripsThroughTheParser)
{
    const LoadRow r = nasty_row();
    const std::string text = std::string(load_file_header()) + format_row(r) + format_row(r);
    auto parsed = parse_load_file(text, true);
    ASSERT_TRUE(parsed) << parsed.error().message();
    ASSERT_EQ(parsed->rows.size(), 2u);
    EXPECT_EQ(parsed->rows[0], r);
    EXPECT_EQ(parsed->rows[1], r);
    EXPECT_EQ(parsed->complete_bytes, text.size());
    EXPECT_EQ(parsed->row_ends[0], load_file_header().size() + format_row(r).size());
}

TEST(ExportCsv, AnUnfinishedLastRowIsLeftOut)
{
    const LoadRow r = nasty_row();
    const std::string whole = std::string(load_file_header()) + format_row(r);
    const std::string next = format_row(r);
    // Every cut inside the second row (even inside a quoted field, or between CR and LF).
    for (std::size_t cut = 0; cut < next.size(); ++cut) {
        auto parsed = parse_load_file(whole + next.substr(0, cut), true);
        ASSERT_TRUE(parsed) << cut << ": " << parsed.error().message();
        EXPECT_EQ(parsed->rows.size(), 1u) << cut;
        EXPECT_EQ(parsed->complete_bytes, whole.size()) << cut;
    }
    // A header cut short is nothing yet, not an error.
    auto head = parse_load_file(load_file_header().substr(0, 10), true);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->complete_bytes, 0u);
}

TEST(ExportCsv, DamageIsAnErrorNamingTheLine)
{
    const std::string head(load_file_header());
    const std::string row = format_row(nasty_row());
    const auto error_of = [](const std::string& text) {
        auto p = parse_load_file(text, true);
        return p ? std::string("(parsed)") : p.error().message();
    };
    EXPECT_NE(error_of("DocID,Other\r\n" + row).find("line 1"), std::string::npos);
    EXPECT_NE(error_of(head + row + "CV1,2,3\r\n").find("line 4"), std::string::npos);  // row 1 spans 2 lines
    std::string bad_hash = row;
    bad_hash.replace(bad_hash.find(std::string(64, 'a')), 1, "Z");
    EXPECT_NE(error_of(head + bad_hash).find("SHA256"), std::string::npos);
    std::string outside = row;
    outside.replace(outside.find("custodians/"), 11, "../../etc/");
    EXPECT_NE(error_of(head + outside).find("path"), std::string::npos);
    EXPECT_NE(
        error_of(head + "CV1,x,m,c,m,f,s,f,t,s,a," + std::string(64, 'a') + ",1,,p\r\n").find("item id"),
        std::string::npos);
    EXPECT_NE(error_of(head + "CV1,1,m\nc\r\n").find("LF"), std::string::npos);
}

TEST(ExportManifest, IsWhatSha256sumReads)
{
    EXPECT_EQ(manifest_line(std::string(64, 'f'), "custodians/a/b/WhatsApp Archiver/0000000001.eml"),
              std::string(64, 'f') + "  custodians/a/b/WhatsApp Archiver/0000000001.eml\n");
}

TEST(ExportNames, SafeComponent)
{
    EXPECT_EQ(safe_component("ana@bank.example"), "ana@bank.example");
    EXPECT_EQ(safe_component("a/b\\c"), "a_b_c");
    EXPECT_EQ(safe_component(".."), "_.");
    EXPECT_EQ(safe_component(""), "_");
    EXPECT_EQ(safe_component("line\nbreak\r"), "line_break_");
    const std::string long_name(200, 'x');
    EXPECT_EQ(safe_component(long_name).size(), 120u);
    const std::string accents(100, 'a');
    const std::string cut = safe_component(accents + "ééééééééééééé");  // 2-byte characters across byte 120
    EXPECT_LE(cut.size(), 120u);
    EXPECT_EQ(cut.size() % 2, 0u);
}

TEST(ExportHeaders, UnfoldsAndDecodesEncodedWords)
{
    const std::string h = "Message-ID: <x@y>\r\n"
                          "From: =?UTF-8?Q?Dieter_Br=C3=BCck?= <dieter@whatsapp.invalid>\r\n"
                          "To: Ana <ana@bank.example>,\r\n Bob <bob@corp.example>\r\n"
                          "Subject: =?UTF-8?Q?WhatsApp_message_-_Caf=C3=A9:?=\r\n =?UTF-8?Q?_budget?=\r\n"
                          "X-Other: =?utf-8?B?w6k=?=\r\n"
                          "\r\n"
                          "Subject: not a header\r\n";
    EXPECT_EQ(header_value(h, "From"), "Dieter Brück <dieter@whatsapp.invalid>");
    EXPECT_EQ(header_value(h, "to"), "Ana <ana@bank.example>, Bob <bob@corp.example>");
    EXPECT_EQ(header_value(h, "Subject"), "WhatsApp message - Café: budget");
    EXPECT_EQ(header_value(h, "X-Other"), "é");
    EXPECT_EQ(header_value(h, "Cc"), "");
}

archive::StoredItem item_in(std::vector<std::string> mailboxes)
{
    archive::StoredItem s;
    s.id = 7;
    s.message_id = "wa.1@whatsapp.invalid";
    s.item.utc = 1764000000;
    s.mailboxes = std::move(mailboxes);
    Attachment stored;
    stored.name = "IMG-1.jpg";
    stored.present = true;
    stored.locator = "blob:00";
    Attachment omitted;
    omitted.omitted = true;
    s.item.attachments = {stored, omitted};
    return s;
}

TEST(ExportRows, OneRowAndOneFilePerPlacement)
{
    ExportRequest r;
    r.custodians = {Custodian{"Helena Brandt", {"helena@bank.example"}}};
    auto p = plan_item(item_in({"ana@bank.example", "helena@bank.example"}), r);
    ASSERT_TRUE(p) << p.error().message();
    ASSERT_EQ(p->rows.size(), 2u);
    ASSERT_EQ(p->files.size(), 2u);
    EXPECT_EQ(p->rows[0].doc_id, "CV0000000007-01");
    EXPECT_EQ(p->rows[1].doc_id, "CV0000000007-02");
    EXPECT_EQ(p->rows[0].custodian, "ana@bank.example");
    EXPECT_EQ(p->rows[1].custodian, "Helena Brandt");
    EXPECT_EQ(p->rows[1].path,
              "custodians/Helena Brandt/helena@bank.example/WhatsApp Archiver/0000000007.eml");
    EXPECT_EQ(p->rows[0].sent_utc, "2025-11-24T16:00:00Z");
    EXPECT_EQ(p->rows[0].attachments, "IMG-1.jpg");
    EXPECT_TRUE(p->rows[0].duplicate_of.empty());
    EXPECT_TRUE(p->rows[1].duplicate_of.empty());
}

TEST(ExportRows, DedupeWritesOneFileAndMarksTheOtherRows)
{
    ExportRequest r;
    r.dedupe = true;
    auto p = plan_item(item_in({"a@x.example", "b@x.example", "c@x.example"}), r);
    ASSERT_TRUE(p);
    ASSERT_EQ(p->rows.size(), 3u);
    ASSERT_EQ(p->files.size(), 1u);
    EXPECT_EQ(p->files[0], p->rows[0].path);
    EXPECT_TRUE(p->rows[0].duplicate_of.empty());
    for (std::size_t i = 1; i < 3; ++i) {
        EXPECT_EQ(p->rows[i].duplicate_of, p->rows[0].doc_id);
        EXPECT_EQ(p->rows[i].path, p->rows[0].path);
        EXPECT_EQ(p->rows[i].mailbox, i == 1 ? "b@x.example" : "c@x.example");
    }
}

TEST(ExportRows, QuarantineAndMailboxFilter)
{
    ExportRequest all;
    auto q = plan_item(item_in({}), all);
    ASSERT_TRUE(q);
    ASSERT_EQ(q->rows.size(), 1u);
    EXPECT_EQ(q->rows[0].folder, "Quarantine");
    EXPECT_EQ(q->rows[0].path, "quarantine/0000000007.eml");

    ExportRequest one;
    one.mailboxes = {"b@x.example"};
    auto p = plan_item(item_in({"a@x.example", "b@x.example"}), one);
    ASSERT_TRUE(p);
    ASSERT_EQ(p->rows.size(), 1u);
    EXPECT_EQ(p->rows[0].mailbox, "b@x.example");
    EXPECT_FALSE(plan_item(item_in({}), one));
    EXPECT_FALSE(plan_item(item_in({"a@x.example"}), one));
}

TEST(ExportJob, RoundTripsAndRefusesDamage)
{
    detail::Job j;
    j.query = "budget \"q1\" from:ana";
    j.zone = "Europe/Madrid";
    j.settings.mailboxes = {"a@x.example"};
    j.settings.custodians = {{"a@x.example", "Ana"}};
    j.settings.dedupe = true;
    j.title = "Case 12";
    j.started = 1764000000;
    j.ids = {1, 5, 9};
    auto back = detail::parse_job(detail::job_text(j), "job.json");
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, j);
    EXPECT_FALSE(detail::parse_job("{\"format\":\"chatvault-export 1\"}", "job.json"));
    EXPECT_FALSE(detail::parse_job("not json", "job.json"));
    std::string text = detail::job_text(j);
    text.replace(text.find("[1,5,9]"), 7, "[5,1,9]");
    auto unordered = detail::parse_job(text, "job.json");
    ASSERT_FALSE(unordered);
    EXPECT_NE(unordered.error().message().find("job.json"), std::string::npos);
}

// More entries than a zip without Zip64 can count (65,535), deflated whole, streamed through
// zlib (longer than whole_bytes), spilled to a temporary file (longer than spill_bytes), and
// stored: Python's zipfile must read every entry back with its CRC and bytes.
TEST(ExportZip, Zip64EntryCountAndEveryEntryKindReadBack)
{
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / fmt::format("cv-zip-test-{}", ::getpid());
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path zip = dir / "t.zip";
    {
        auto w = detail::ZipWriter::create(zip);
        ASSERT_TRUE(w) << w.error().describe();
        const auto add = [&](const std::string& name, const std::string& bytes, detail::Deflater::Mode mode) {
            auto d = detail::Deflater::create(dir, mode, 4096, 8192);
            ASSERT_TRUE(d);
            // In pieces, as a renderer writes.
            for (std::size_t at = 0; at < bytes.size(); at += 1000)
                ASSERT_TRUE((*d)->write(std::string_view(bytes).substr(at, 1000)));
            ASSERT_TRUE((*d)->finish());
            ASSERT_TRUE((*w)->add(name, **d));
        };
        for (int i = 0; i < 70000; ++i)
            add(fmt::format("custodians/ä/{:010}.eml", i),
                fmt::format("Subject: {}\r\n\r\nbody {}\r\n", i, i),
                i % 7 == 0 ? detail::Deflater::Mode::Store : detail::Deflater::Mode::Deflate);
        std::string big;
        for (int i = 0; big.size() < 200000; ++i)
            big += fmt::format("line {} of a long email, {}\r\n", i, i * 7919 % 1000);
        add("long-deflated.eml", big, detail::Deflater::Mode::Deflate);
        add("long-stored.eml", big, detail::Deflater::Mode::Store);
        add("empty.eml", "", detail::Deflater::Mode::Deflate);
        ASSERT_TRUE((*w)->finish());
    }
    EXPECT_FALSE(fs::exists(dir / "t.zip.part"));
    const fs::path script = dir / "check.py";
    std::ofstream(script)
        << "import sys, zipfile\n"
           "z = zipfile.ZipFile(sys.argv[1])\n"
           "names = z.namelist()\n"
           "assert len(names) == 70003, len(names)\n"
           "assert z.testzip() is None\n"
           "assert z.read(names[12345]) == b'Subject: 12345\\r\\n\\r\\nbody 12345\\r\\n'\n"
           "assert names[12345] == 'custodians/\\u00e4/0000012345.eml'\n"
           "assert z.read('long-deflated.eml') == z.read('long-stored.eml')\n"
           "assert len(z.read('long-stored.eml')) >= 200000 and z.read('empty.eml') == b''\n";
    EXPECT_EQ(std::system(fmt::format("python3 {} {}", script.string(), zip.string()).c_str()), 0);
    // unzip is a test dependency (scripts/install-deps.sh): a second reader besides zipfile.
    EXPECT_EQ(std::system(fmt::format("unzip -tq {} >/dev/null", zip.string()).c_str()), 0);
    fs::remove_all(dir);
}

// A killed zip export's part files: the spool's torn last record is ignored, open() keeps the
// entries asked for and drops the rest (their bytes and records), and appending then finishing
// gives a valid zip holding the kept entries and the new ones, once each.
TEST(ExportZip, ResumeKeepsWholeEntriesAndIgnoresATornRecord)
{
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / fmt::format("cv-zip-resume-{}", ::getpid());
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path zip = dir / "t.zip";
    const auto add = [&](detail::ZipWriter& w, const std::string& name) {
        auto d = detail::Deflater::create(dir, detail::Deflater::Mode::Deflate);
        ASSERT_TRUE(d);
        ASSERT_TRUE((*d)->write(fmt::format("Subject: {}\r\n\r\nbody\r\n", name)));
        ASSERT_TRUE((*d)->finish());
        ASSERT_TRUE(w.add(name, **d));
    };
    {
        auto w = detail::ZipWriter::create(zip);
        ASSERT_TRUE(w) << w.error().describe();
        for (int i = 0; i < 5; ++i)
            add(**w, fmt::format("{}.eml", i));
        ASSERT_TRUE((*w)->flush());
        // Destroyed without finish(), as a killed run: the part files stay.
    }
    ASSERT_TRUE(fs::exists(dir / "t.zip.part"));
    {
        // Half of a sixth record: a kill while the spool was written.
        std::ofstream spool(dir / "t.zip.dir.part", std::ios::app | std::ios::binary);
        spool.write("PK\x01\x02\x14\x03", 6);
    }
    auto names = detail::ZipWriter::spooled(zip);
    ASSERT_TRUE(names) << names.error().describe();
    ASSERT_EQ(names->size(), 5u);
    EXPECT_EQ(names->back(), "4.eml");
    {
        auto w = detail::ZipWriter::open(zip, 3);  // the load file lists the first three
        ASSERT_TRUE(w) << w.error().describe();
        add(**w, "3.eml");
        add(**w, "new.eml");
        ASSERT_TRUE((*w)->finish());
    }
    EXPECT_FALSE(fs::exists(dir / "t.zip.part"));
    EXPECT_FALSE(fs::exists(dir / "t.zip.dir.part"));
    const fs::path script = dir / "check.py";
    std::ofstream(script)
        << "import sys, zipfile\n"
           "z = zipfile.ZipFile(sys.argv[1])\n"
           "assert z.namelist() == ['0.eml', '1.eml', '2.eml', '3.eml', 'new.eml'], z.namelist()\n"
           "assert z.testzip() is None\n"
           "assert z.read('3.eml') == b'Subject: 3.eml\\r\\n\\r\\nbody\\r\\n'\n";
    EXPECT_EQ(std::system(fmt::format("python3 {} {}", script.string(), zip.string()).c_str()), 0);
    // unzip is a test dependency (scripts/install-deps.sh): a second reader besides zipfile.
    EXPECT_EQ(std::system(fmt::format("unzip -tq {} >/dev/null", zip.string()).c_str()), 0);
    fs::remove_all(dir);
}

// A load file continued by a resumed run: the follower reads back what the earlier run wrote,
// then takes what this run appends (more than it lets queue up, so write() has to wait for it),
// and its digest and zip entry are those of the whole file.
TEST(ExportFollowedFile, HashesAndDeflatesTheEarlierPartAndWhatIsAppended)
{
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / fmt::format("cv-followed-{}", ::getpid());
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path path = dir / "loadfile.csv";
    std::string earlier;
    for (int i = 0; earlier.size() < (3u << 20); ++i)
        earlier += fmt::format("CV{:010}-01,{},earlier row\r\n", i, i);
    std::ofstream(path, std::ios::binary) << earlier;
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    detail::FollowedFile::Follow follow;
    follow.sha256 = true;
    follow.zip_spill_dir = dir;
    auto f = detail::FollowedFile::start(fd, path, earlier.size(), follow);
    ASSERT_TRUE(f) << f.error().describe();
    std::string whole = earlier;
    for (int piece = 0; piece < 400; ++piece) {
        std::string rows;
        for (int i = 0; i < 1000; ++i)
            rows += fmt::format("CV{:010}-02,{},row {} of piece {}\r\n", piece * 1000 + i, i, i * 7919 % 1013,
                                piece);
        whole += rows;
        ASSERT_TRUE((*f)->write(std::move(rows)));
    }
    auto followed = (*f)->finish();
    ASSERT_TRUE(followed) << followed.error().describe();
    ::close(fd);
    EXPECT_EQ(followed->sha256, sha256(whole));
    std::ifstream in(path, std::ios::binary);
    const std::string on_disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(on_disk, whole);
    ASSERT_TRUE(followed->zipped);
    EXPECT_EQ(followed->zipped->size(), whole.size());
    EXPECT_LT(followed->zipped->compressed_size(), whole.size() / 4);
    {
        auto w = detail::ZipWriter::create(dir / "t.zip");
        ASSERT_TRUE(w) << w.error().describe();
        ASSERT_TRUE((*w)->add("loadfile.csv", *followed->zipped));
        ASSERT_TRUE((*w)->finish());
    }
    const fs::path script = dir / "check.py";
    std::ofstream(script) << "import sys, zipfile\n"
                             "z = zipfile.ZipFile(sys.argv[1])\n"
                             "assert z.read('loadfile.csv') == open(sys.argv[2], 'rb').read()\n";
    EXPECT_EQ(
        std::system(fmt::format("python3 {} {} {}", script.string(), (dir / "t.zip").string(), path.string())
                        .c_str()),
        0);
    // A run that fails midway drops its follower without finish(): the thread ends at once.
    {
        const int fd2 = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
        ASSERT_GE(fd2, 0);
        auto g = detail::FollowedFile::start(fd2, path, whole.size(), follow);
        ASSERT_TRUE(g) << g.error().describe();
        ASSERT_TRUE((*g)->write(std::string("one more row\r\n")));
        g->reset();
        ::close(fd2);
    }
    fs::remove_all(dir);
}

}  // namespace
}  // namespace cv::compliance::exports

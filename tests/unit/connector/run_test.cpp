// Connector runs on real archives: drop folders (settling, done/ and failed/ with a reason,
// nothing new the second time, hidden and partial files left alone, the stop flag between
// files) and http-pull against a python3 http.server stand-in on 127.0.0.1 (basic and bearer
// auth checked by the server, checkpoints advanced only past what was imported).

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "connector/connector.hpp"
#include "core/digest.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace cv::connector {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kT0 = 1795000000;
const std::string kMapping = "phone,email\n+49 151 23456789,jonas@bank.example\n";
const std::string kOwner = "+4915199999999=owner@bank.example";

archive::Archive make_archive(const fs::path& dir)
{
    EXPECT_TRUE(archive::Archive::create(dir));
    auto a = archive::Archive::open(dir);
    EXPECT_TRUE(a) << a.error().describe();
    return std::move(*a);
}

/// An Android chat export between the phone's owner ("Me") and +49 151 23456789.
std::string chat_text(int messages, int first = 0)
{
    std::string out;
    for (int i = first; i < first + messages; ++i)
        out += fmt::format("24/11/2026, 10:{:02} - {}: message {}\n", i % 60,
                           i % 2 ? "Me" : "+49 151 23456789", i);
    return out;
}

const std::string kChatName = "WhatsApp Chat with +49 151 23456789.txt";

void write_file(const fs::path& p, const std::string& text, bool old = true)
{
    {
        std::ofstream out(p, std::ios::binary);
        out << text;
    }
    if (old)  // written long ago: settled at once
        fs::last_write_time(p, fs::last_write_time(p) - std::chrono::minutes(5));
}

std::map<std::string, std::uint64_t> mailboxes(archive::Archive& a)
{
    std::map<std::string, std::uint64_t> out;
    const auto all = a.mailboxes();
    EXPECT_TRUE(all);
    if (all)
        for (const auto& m : *all)
            out[m.address] = m.items;
    return out;
}

struct Fixture {
    test::TempDir tmp;
    archive::Archive archive = make_archive(tmp.path() / "archive");
    Connectors store{archive};
    fs::path folder = tmp.path() / "drop";
    std::atomic<bool> stop{false};

    Fixture() { fs::create_directories(folder); }

    Connector add_drop(std::int64_t settle = 0)
    {
        Connector c;
        c.name = "drop";
        c.folder = folder.string();
        c.settle_seconds = settle;
        c.mapping_csv = kMapping;
        c.owners = {kOwner};
        c.time_zone = "Europe/Berlin";
        EXPECT_TRUE(store.add(c, {}, "officer", kT0));
        return **store.get("drop");
    }

    RunRecord run(const Connector& c, const std::function<void(const RunProgress&)>& progress = {})
    {
        auto r = run_connector(archive, store, c, "manual", "officer", kT0 + 60, progress, stop);
        EXPECT_TRUE(r) << r.error().describe();
        return r ? *r : RunRecord{};
    }
};

TEST(DropFolder, GoodExportLandsInDoneAndItsItemsInTheRightMailboxes)
{
    Fixture f;
    const auto c = f.add_drop();
    write_file(f.folder / kChatName, chat_text(6));
    const auto r = f.run(c);
    EXPECT_EQ(r.progress.state, RunState::Succeeded)
        << (r.progress.errors.empty() ? "" : r.progress.errors[0]);
    EXPECT_EQ(r.progress.files, 1u);
    EXPECT_EQ(r.progress.imported, 6u);
    EXPECT_TRUE(fs::exists(f.folder / "done" / kChatName));
    EXPECT_FALSE(fs::exists(f.folder / kChatName));
    // Each message is filed in the mailbox of both parties: the owner (automatic mapping) and
    // the number the mapping CSV knows.
    EXPECT_EQ(mailboxes(f.archive),
              (std::map<std::string, std::uint64_t>{{"jonas@bank.example", 6}, {"owner@bank.example", 6}}));
    auto runs = f.store.runs("drop");
    ASSERT_EQ(runs->size(), 1u);
    EXPECT_EQ(runs->front(), r);
    EXPECT_EQ((*f.store.get("drop"))->checkpoint, kT0 + 60);

    // A second run finds nothing new; the same export dropped again adds nothing.
    auto again = f.run(c);
    EXPECT_EQ(again.number, 2u);
    EXPECT_EQ(again.progress.state, RunState::Succeeded);
    EXPECT_EQ(again.progress.files, 0u);
    write_file(f.folder / kChatName, chat_text(6));
    auto third = f.run(c);
    EXPECT_EQ(third.progress.files, 1u);
    EXPECT_EQ(third.progress.imported, 0u);
    EXPECT_EQ(third.progress.duplicates, 6u);
    EXPECT_TRUE(fs::exists(f.folder / "done" / (kChatName + ".1")));
}

TEST(DropFolder, AutomaticMappingOffUsesOnlyTheCsv)
{
    Fixture f;
    auto c = f.add_drop();
    c.automatic_mapping = false;
    ASSERT_TRUE(f.store.update(c, {}, "officer", kT0));
    write_file(f.folder / kChatName, chat_text(4));
    EXPECT_EQ(f.run(*(*f.store.get("drop"))).progress.state, RunState::Succeeded);
    EXPECT_EQ(mailboxes(f.archive), (std::map<std::string, std::uint64_t>{{"jonas@bank.example", 4}}));
}

TEST(DropFolder, BadFileLandsInFailedWithAReasonAndOthersStillImport)
{
    Fixture f;
    const auto c = f.add_drop();
    write_file(f.folder / "broken.zip", "this is not a zip file");
    write_file(f.folder / kChatName, chat_text(3));
    const auto r = f.run(c);
    EXPECT_EQ(r.progress.state, RunState::Failed);
    EXPECT_EQ(r.progress.failed, 1u);
    EXPECT_EQ(r.progress.files_done, 2u);
    EXPECT_EQ(r.progress.imported, 3u);
    ASSERT_TRUE(fs::exists(f.folder / "failed" / "broken.zip"));
    const auto reason = test::slurp(f.folder / "failed" / "broken.zip.reason.txt");
    EXPECT_NE(reason.find("could not import broken.zip"), std::string::npos) << reason;
    EXPECT_TRUE(fs::exists(f.folder / "done" / kChatName));
    ASSERT_EQ(r.progress.errors.size(), 1u);
    EXPECT_EQ(r.progress.errors[0].rfind("broken.zip: ", 0), 0u);
    // A failed run does not move the checkpoint.
    EXPECT_EQ((*f.store.get("drop"))->checkpoint, std::nullopt);
    // What is in done/ and failed/ is never looked at again.
    EXPECT_EQ(f.run(c).progress.files, 0u);
}

TEST(DropFolder, HiddenAndPartialFilesAreLeftAlone)
{
    Fixture f;
    const auto c = f.add_drop();
    for (const char* name : {".hidden.txt", "chat.zip.part", "chat.tmp", "download.crdownload"})
        write_file(f.folder / name, chat_text(2));
    const auto r = f.run(c);
    EXPECT_EQ(r.progress.state, RunState::Succeeded);
    EXPECT_EQ(r.progress.files, 0u);
    for (const char* name : {".hidden.txt", "chat.zip.part", "chat.tmp", "download.crdownload"})
        EXPECT_TRUE(fs::exists(f.folder / name)) << name;
    EXPECT_FALSE(fs::exists(f.folder / "done"));
}

TEST(DropFolder, FileStillBeingWrittenWaitsUntilItSettles)
{
    Fixture f;
    const auto c = f.add_drop(1);
    const fs::path path = f.folder / kChatName;
    write_file(path, chat_text(1), false);
    Clock::time_point writer_done;
    std::thread writer([&] {
        for (int i = 1; i < 8; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(150));
            std::ofstream out(path, std::ios::binary | std::ios::app);
            out << chat_text(1, i);
        }
        writer_done = Clock::now();
    });
    std::optional<Clock::time_point> import_started;
    bool waited = false;
    const auto r = f.run(c, [&](const RunProgress& p) {
        if (p.current.rfind("waiting for", 0) == 0)
            waited = true;
        if (p.current == kChatName && !import_started)
            import_started = Clock::now();
    });
    writer.join();
    EXPECT_TRUE(waited);
    ASSERT_TRUE(import_started);
    // Not picked up before it stopped changing for the settle period (1 s; some slack for
    // mtime granularity).
    EXPECT_GE(*import_started - writer_done, std::chrono::milliseconds(800));
    EXPECT_EQ(r.progress.state, RunState::Succeeded);
    EXPECT_EQ(r.progress.imported, 8u);  // every line, none cut off
    EXPECT_TRUE(fs::exists(f.folder / "done" / kChatName));
}

TEST(DropFolder, GrowingFileWithAnOldMtimeIsWatchedBeforeImport)
{
    // A copy that preserves timestamps: the file carries an old mtime while it still grows.
    Fixture f;
    const auto c = f.add_drop(10);
    const fs::path path = f.folder / kChatName;
    write_file(path, chat_text(1));
    const auto old = fs::last_write_time(path);
    std::thread writer([&] {
        for (int i = 1; i < 4; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            std::ofstream(path, std::ios::binary | std::ios::app) << chat_text(1, i);
            fs::last_write_time(path, old);
        }
    });
    const auto r = f.run(c);
    writer.join();
    EXPECT_EQ(r.progress.state, RunState::Succeeded);
    EXPECT_EQ(r.progress.imported, 4u);  // all of it, not the first line
}

TEST(DropFolder, WithoutWaitingAnUnsettledFileIsLeftForALaterRun)
{
    Fixture f;
    const auto c = f.add_drop(30);
    write_file(f.folder / kChatName, chat_text(2), false);  // just written
    write_file(f.folder / "old.txt", chat_text(2, 10));     // settled long ago
    const auto started = Clock::now();
    RunOptions no_wait;
    no_wait.max_settle_wait_seconds = 0;
    auto r = run_connector(f.archive, f.store, c, "schedule", "scheduler", kT0, {}, f.stop, no_wait);
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_LT(Clock::now() - started, std::chrono::seconds(10));
    EXPECT_EQ(r->progress.state, RunState::Succeeded);
    EXPECT_EQ(r->progress.files, 1u);
    EXPECT_EQ(r->progress.waiting, 1u);
    EXPECT_TRUE(fs::exists(f.folder / kChatName));
    EXPECT_TRUE(fs::exists(f.folder / "done" / "old.txt"));
}

TEST(DropFolder, StopFlagHonouredBetweenFiles)
{
    Fixture f;
    const auto c = f.add_drop();
    write_file(f.folder / "a.txt", chat_text(3));
    write_file(f.folder / "b.txt", chat_text(3, 10));
    const auto r = f.run(c, [&](const RunProgress& p) {
        if (p.current == "a.txt")
            f.stop = true;  // as SIGTERM would, during the first file
    });
    EXPECT_EQ(r.progress.state, RunState::Cancelled);
    EXPECT_EQ(r.progress.files_done, 1u);
    EXPECT_EQ(r.progress.imported, 3u);  // the current file finished
    EXPECT_TRUE(fs::exists(f.folder / "done" / "a.txt"));
    EXPECT_TRUE(fs::exists(f.folder / "b.txt"));  // left for the next run
    f.stop = false;
    const auto next = f.run(c);
    EXPECT_EQ(next.progress.state, RunState::Succeeded);
    EXPECT_EQ(next.progress.imported, 3u);
}

TEST(DropFolder, MissingFolderFailsTheRunAndAStaleRunningRecordIsClosed)
{
    Fixture f;
    auto c = f.add_drop();
    RunRecord stale;
    stale.connector = "drop";
    stale.number = 1;
    stale.progress.state = RunState::Running;
    stale.progress.started = kT0;
    ASSERT_TRUE(f.store.record_run(stale, "scheduler"));
    fs::remove_all(f.folder);
    const auto r = f.run(c);
    EXPECT_EQ(r.number, 2u);
    EXPECT_EQ(r.progress.state, RunState::Failed);
    ASSERT_EQ(r.progress.errors.size(), 1u);
    EXPECT_NE(r.progress.errors[0].find("not a directory"), std::string::npos);
    const auto runs = *f.store.runs("drop");
    EXPECT_EQ(runs[1].progress.state, RunState::Failed);
    EXPECT_EQ(runs[1].progress.errors.back(), "interrupted: the process ended during the run");
}

// ---- http-pull ---------------------------------------------------------------------------------

const char* kServer = R"PY(
import base64, http.server, os, sys, threading
root, auth = sys.argv[1], sys.argv[2]
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def do_GET(self):
        with open(os.path.join(root, "requests.log"), "a") as log:
            log.write(self.path + " " + (self.headers.get("Authorization") or "-") + "\n")
        if auth != "none":
            kind, _, cred = auth.partition(":")
            want = ("Basic " + base64.b64encode(cred.encode()).decode()) if kind == "basic" else ("Bearer " + cred)
            if self.headers.get("Authorization") != want:
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        path = os.path.join(root, self.path.lstrip("/"))
        if not os.path.isfile(path):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = open(path, "rb").read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Timer(120, server.shutdown).start()  # stops by itself
print(server.server_address[1], flush=True)
server.serve_forever()
)PY";

/// python3 serving `root` on 127.0.0.1, checking `auth` ("none", "basic:USER:PASS", "bearer:TOKEN").
class PyServer {
public:
    PyServer(const fs::path& root, const std::string& auth)
    {
        const fs::path script = root / "server.py";
        std::ofstream(script) << kServer;
        int fds[2];
        EXPECT_EQ(::pipe(fds), 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, fds[0]);
        std::string py = "python3", s = script.string(), r = root.string(), a = auth;
        char* argv[] = {py.data(), s.data(), r.data(), a.data(), nullptr};
        EXPECT_EQ(posix_spawnp(&pid_, "python3", &actions, nullptr, argv, environ), 0);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        std::FILE* out = ::fdopen(fds[0], "r");
        char line[32] = {};
        if (out && std::fgets(line, sizeof line, out))
            port_ = std::atoi(line);
        if (out)
            std::fclose(out);
        EXPECT_GT(port_, 0) << "python3 http.server did not start";
    }
    ~PyServer()
    {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    std::string url(std::string_view path) const
    {
        return fmt::format("http://127.0.0.1:{}/{}", port_, path);
    }

private:
    pid_t pid_ = -1;
    int port_ = 0;
};

struct PullFixture {
    test::TempDir tmp;
    archive::Archive archive = make_archive(tmp.path() / "archive");
    Connectors store{archive};
    fs::path root = tmp.path() / "www";
    std::atomic<bool> stop{false};

    PullFixture() { fs::create_directories(root / "files"); }

    struct File {
        std::string name;
        std::string text;
        std::int64_t modified;
        bool present = true;
        std::string sha256 = {};
    };
    void publish(const std::vector<File>& files)
    {
        std::string index = "{\"files\":[";
        for (std::size_t i = 0; i < files.size(); ++i) {
            const auto& f = files[i];
            const std::string stored = fmt::format("f{}.txt", f.modified);
            if (f.present)
                write_file(root / "files" / stored, f.text);
            else
                fs::remove(root / "files" / stored);
            index += fmt::format("{}{{\"name\":\"{}\",\"url\":\"files/{}\",\"modified\":{},\"size\":{}{}}}",
                                 i ? "," : "", f.name, stored, f.modified, f.text.size(),
                                 f.sha256.empty() ? "" : ",\"sha256\":\"" + f.sha256 + "\"");
        }
        std::ofstream(root / "index.json") << index << "]}";
    }

    Connector add(const PyServer& server, const std::string& auth,
                  const std::map<std::string, std::string>& secrets)
    {
        Connector c;
        c.name = "pull";
        c.kind = Kind::HttpPull;
        c.url = server.url("index.json");
        c.auth = auth;
        if (auth == "basic")
            c.username = "archiver";
        c.mapping_csv = kMapping;
        c.owners = {kOwner};
        EXPECT_TRUE(store.add(c, secrets, "officer", kT0));
        return **store.get("pull");
    }
    RunRecord run()
    {
        auto r =
            run_connector(archive, store, **store.get("pull"), "schedule", "scheduler", kT0 + 60, {}, stop);
        EXPECT_TRUE(r) << r.error().describe();
        return r ? *r : RunRecord{};
    }
};

TEST(HttpPull, BasicAuthImportsNewFilesAndAdvancesTheCheckpoint)
{
    PullFixture f;
    PyServer server(f.root, "basic:archiver:s3cret");
    f.add(server, "basic", {{"password", "s3cret"}});
    // The same chat exported twice (a chat export is named after the chat; its owner is "Me").
    f.publish({{kChatName, chat_text(2), 1000}, {kChatName, chat_text(3, 10), 2000}});
    auto r = f.run();
    EXPECT_EQ(r.progress.state, RunState::Succeeded)
        << (r.progress.errors.empty() ? "" : r.progress.errors[0]);
    EXPECT_EQ(r.progress.files, 2u);
    EXPECT_EQ(r.progress.imported, 5u);
    EXPECT_EQ(r.checkpoint, 2000);
    EXPECT_EQ((*f.store.get("pull"))->checkpoint, 2000);
    EXPECT_EQ(mailboxes(f.archive),
              (std::map<std::string, std::uint64_t>{{"jonas@bank.example", 5}, {"owner@bank.example", 5}}));
    // Nothing new: nothing fetched but the index.
    f.publish({{kChatName, chat_text(2), 1000},
               {kChatName, chat_text(3, 10), 2000},
               {kChatName, chat_text(1, 20), 3000}});
    r = f.run();
    EXPECT_EQ(r.progress.files, 1u);
    EXPECT_EQ(r.progress.imported, 1u);
    EXPECT_EQ((*f.store.get("pull"))->checkpoint, 3000);
    // No temporary download is left in the archive.
    EXPECT_FALSE(fs::exists(f.archive.dir() / "connector-tmp" / "pull"));
}

TEST(HttpPull, WrongCredentialsAreRefused)
{
    PullFixture f;
    PyServer server(f.root, "basic:archiver:right");
    f.add(server, "basic", {{"password", "wrong"}});
    f.publish({{"one.txt", chat_text(2), 1000}});
    const auto r = f.run();
    EXPECT_EQ(r.progress.state, RunState::Failed);
    ASSERT_FALSE(r.progress.errors.empty());
    EXPECT_NE(r.progress.errors[0].find("HTTP 401"), std::string::npos) << r.progress.errors[0];
    EXPECT_EQ(r.progress.errors[0].find("wrong"), std::string::npos);  // the password is never in a message
    EXPECT_EQ((*f.store.get("pull"))->checkpoint, std::nullopt);
}

TEST(HttpPull, BearerTokenAndAFailedDownloadHoldsTheCheckpoint)
{
    PullFixture f;
    PyServer server(f.root, "bearer:tok-123");
    f.add(server, "bearer", {{"token", "tok-123"}});
    f.publish({{"a.txt", chat_text(2), 1000},
               {"b.txt", chat_text(2, 10), 2000, false},  // listed, but 404
               {"c.txt", chat_text(2, 20), 3000}});
    auto r = f.run();
    EXPECT_EQ(r.progress.state, RunState::Failed);
    EXPECT_EQ(r.progress.failed, 1u);
    EXPECT_EQ(r.progress.imported, 4u);  // a and c
    EXPECT_EQ(r.checkpoint, 1000);       // not past b
    EXPECT_EQ((*f.store.get("pull"))->checkpoint, 1000);
    ASSERT_EQ(r.progress.errors.size(), 1u);
    EXPECT_NE(r.progress.errors[0].find("b.txt: "), std::string::npos);
    EXPECT_NE(r.progress.errors[0].find("HTTP 404"), std::string::npos);
    // Fixed: b and c are fetched again (c is a duplicate), and the checkpoint moves on.
    f.publish({{"a.txt", chat_text(2), 1000},
               {"b.txt", chat_text(2, 10), 2000},
               {"c.txt", chat_text(2, 20), 3000}});
    r = f.run();
    EXPECT_EQ(r.progress.state, RunState::Succeeded);
    EXPECT_EQ(r.progress.files, 2u);
    EXPECT_EQ(r.progress.imported, 2u);
    EXPECT_EQ(r.progress.duplicates, 2u);
    EXPECT_EQ((*f.store.get("pull"))->checkpoint, 3000);
    const auto log = test::slurp(f.root / "requests.log");
    EXPECT_NE(log.find("/index.json Bearer tok-123"), std::string::npos);
}

TEST(HttpPull, ChecksumMismatchFailsTheFile)
{
    PullFixture f;
    PyServer server(f.root, "none");
    f.add(server, "none", {});
    const std::string good = chat_text(2);
    f.publish({{"a.txt", good, 1000, true, to_hex(sha256(good))},
               {"b.txt", chat_text(2, 10), 2000, true, std::string(64, '0')}});
    const auto r = f.run();
    EXPECT_EQ(r.progress.state, RunState::Failed);
    EXPECT_EQ(r.progress.imported, 2u);
    EXPECT_EQ(r.checkpoint, 1000);
    ASSERT_EQ(r.progress.errors.size(), 1u);
    EXPECT_NE(r.progress.errors[0].find("SHA-256"), std::string::npos);
}

}  // namespace
}  // namespace cv::connector

// The connector store on a real archive: round trips, updates, pause, removal, run history
// (newest first, kept after removal), checkpoints, and secrets that never appear in a document,
// an audit event, a listing or any file of the archive (they are sealed).

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "connector/connector.hpp"
#include "support/temp_dir.hpp"

namespace cv::connector {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kT0 = 1795000000;
const std::string kPassword = "pw-7f3a9c-unmistakable";
const std::string kAppSecret = "appsecret-51d2e8-unmistakable";
const std::string kVerify = "verify-0b9e44-unmistakable";

archive::Archive make_archive(const fs::path& dir)
{
    EXPECT_TRUE(archive::Archive::create(dir));
    auto a = archive::Archive::open(dir);
    EXPECT_TRUE(a) << a.error().describe();
    return std::move(*a);
}

Connector drop(std::string name)
{
    Connector c;
    c.name = std::move(name);
    c.folder = "/srv/whatsapp-drop";
    c.time_zone = "Europe/Berlin";
    c.mapping_csv = "phone,email\n+4915112345678,anna@example.com\n";
    c.default_region = "DE";
    return c;
}

Connector pull()
{
    Connector c;
    c.name = "pull";
    c.kind = Kind::HttpPull;
    c.url = "https://exports.example/index.json";
    c.auth = "basic";
    c.username = "archiver";
    return c;
}

Connector cloud()
{
    Connector c;
    c.name = "cloud";
    c.kind = Kind::CloudApi;
    c.phone_number_id = "106540352242922";
    c.graph_base_url = "https://graph.facebook.com";
    return c;
}

bool file_contains(const fs::path& p, const std::string& needle)
{
    return test::slurp(p).find(needle) != std::string::npos;
}

TEST(Connectors, RoundTripUpdatePauseRemove)
{
    test::TempDir tmp;
    auto a = make_archive(tmp.path() / "a");
    Connectors store(a);
    ASSERT_TRUE(store.add(drop("b-drop"), {}, "officer", kT0));
    ASSERT_TRUE(store.add(drop("a-drop"), {}, "officer", kT0 + 1));
    auto dup = store.add(drop("a-drop"), {}, "officer", kT0 + 2);
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().message(), "connector 'a-drop' exists already");

    auto all = store.list();
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].name, "a-drop");
    auto expected = drop("a-drop");
    expected.created = kT0 + 1;
    EXPECT_EQ((*all)[0], expected);

    auto changed = drop("a-drop");
    changed.schedule = *parse_schedule("cron: 0 3 * * *");
    changed.created = 1;  // kept from the stored one
    ASSERT_TRUE(store.update(changed, {}, "officer", kT0 + 5));
    auto got = store.get("a-drop");
    ASSERT_TRUE(got && *got);
    EXPECT_EQ((*got)->schedule.cron, "0 3 * * *");
    EXPECT_EQ((*got)->created, kT0 + 1);
    auto other_kind = pull();
    other_kind.name = "a-drop";
    EXPECT_EQ(store.update(other_kind, {{"password", "x"}}, "officer", kT0).error().code(),
              ErrorCode::InvalidArgument);

    ASSERT_TRUE(store.set_paused("a-drop", true, "officer", kT0 + 6));
    EXPECT_TRUE((*store.get("a-drop"))->paused);
    ASSERT_TRUE(store.set_paused("a-drop", false, "officer", kT0 + 7));
    EXPECT_FALSE((*store.get("a-drop"))->paused);
    EXPECT_EQ(store.set_paused("nope", true, "officer", kT0).error().code(), ErrorCode::NotFound);

    ASSERT_TRUE(store.remove("b-drop", "officer", kT0 + 8));
    EXPECT_FALSE(*store.get("b-drop"));
    EXPECT_EQ(store.remove("b-drop", "officer", kT0 + 9).error().code(), ErrorCode::NotFound);

    // Every change is in the audit trail, attributed.
    auto log = a.audit_log(archive::AuditFilter{std::nullopt, std::nullopt, std::string("connector.")});
    ASSERT_TRUE(log);
    std::vector<std::string> actions;
    for (const auto& r : *log) {
        actions.push_back(r.event.action);
        EXPECT_EQ(r.event.actor, "officer");
    }
    EXPECT_EQ(actions, (std::vector<std::string>{"connector.add", "connector.add", "connector.update",
                                                 "connector.pause", "connector.resume", "connector.remove"}));
    // The mapping's numbers are not copied into the journal: its hash is.
    EXPECT_EQ((*log)[0].event.parameters.find("+4915112345678"), std::string::npos);
    EXPECT_NE((*log)[0].event.parameters.find("sha256:"), std::string::npos);
}

TEST(Connectors, RequiredSecretsAndUnknownOnes)
{
    test::TempDir tmp;
    auto a = make_archive(tmp.path() / "a");
    Connectors store(a);
    EXPECT_EQ(store.add(pull(), {}, "o", kT0).error().message(), "secret 'password' is required");
    EXPECT_EQ(store.add(pull(), {{"token", "x"}, {"password", "y"}}, "o", kT0).error().code(),
              ErrorCode::InvalidArgument);
    EXPECT_EQ(store.add(cloud(), {{"app_secret", kAppSecret}}, "o", kT0).error().message(),
              "secret 'verify_token' is required");
    ASSERT_TRUE(store.add(cloud(), {{"app_secret", kAppSecret}, {"verify_token", kVerify}}, "o", kT0));
    auto c = store.get("cloud");
    ASSERT_TRUE(c && *c);
    EXPECT_EQ((*c)->secrets_set, (std::map<std::string, bool>{
                                     {"access_token", false}, {"app_secret", true}, {"verify_token", true}}));
    EXPECT_EQ(*store.secret("cloud", "app_secret"), kAppSecret);
    EXPECT_EQ(*store.secret("cloud", "access_token"), std::nullopt);
    // An update keeps the secrets it is not given, and changes those it is.
    ASSERT_TRUE(store.update(cloud(), {{"access_token", "at"}}, "o", kT0 + 1));
    EXPECT_EQ(*store.secret("cloud", "app_secret"), kAppSecret);
    EXPECT_EQ(*store.secret("cloud", "access_token"), "at");
    ASSERT_TRUE(store.remove("cloud", "o", kT0 + 2));
    EXPECT_EQ(*store.secret("cloud", "app_secret"), std::nullopt);
}

TEST(Connectors, SecretsNeverInDocumentsAuditJsonOrArchiveFiles)
{
    test::TempDir tmp;
    const fs::path dir = tmp.path() / "a";
    {
        auto a = make_archive(dir);
        Connectors store(a);
        ASSERT_TRUE(store.add(pull(), {{"password", kPassword}}, "o", kT0));
        ASSERT_TRUE(store.add(cloud(), {{"app_secret", kAppSecret}, {"verify_token", kVerify}}, "o", kT0));
        auto all = store.list();
        ASSERT_TRUE(all);
        for (const auto& c : *all) {
            const auto j = to_json(c);
            EXPECT_EQ(j.find(kPassword), std::string::npos);
            EXPECT_EQ(j.find(kAppSecret), std::string::npos);
        }
        EXPECT_NE(to_json((*all)[1]).find(R"("password":"set")"), std::string::npos);
        for (const auto& kind : {"connector", "connector-run"}) {
            auto docs = a.documents(kind);
            ASSERT_TRUE(docs);
            for (const auto& d : *docs) {
                EXPECT_EQ(d.json.find(kPassword), std::string::npos);
                EXPECT_EQ(d.json.find(kAppSecret), std::string::npos);
            }
        }
        auto log = a.audit_log({});
        ASSERT_TRUE(log);
        EXPECT_GE(log->size(), 2u);
        for (const auto& r : *log) {
            EXPECT_EQ(r.event.parameters.find(kPassword), std::string::npos);
            EXPECT_EQ(r.event.parameters.find(kAppSecret), std::string::npos);
            EXPECT_EQ(r.event.parameters.find(kVerify), std::string::npos);
        }
    }
    // Every file of the archive (database, WAL, journal, packs): the secrets are sealed.
    std::size_t files = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (!e.is_regular_file())
            continue;
        ++files;
        for (const auto& s : {kPassword, kAppSecret, kVerify})
            EXPECT_FALSE(file_contains(e.path(), s)) << e.path() << " holds a secret in the clear";
    }
    EXPECT_GT(files, 2u);
}

TEST(Connectors, RunHistoryNewestFirstKeptAfterRemovalAndCheckpoint)
{
    test::TempDir tmp;
    auto a = make_archive(tmp.path() / "a");
    Connectors store(a);
    ASSERT_TRUE(store.add(drop("d"), {}, "o", kT0));
    for (std::uint64_t n = 1; n <= 3; ++n) {
        RunRecord r;
        r.connector = "d";
        r.number = n;
        r.trigger = "schedule";
        r.actor = "scheduler";
        r.progress.state = n == 2 ? RunState::Failed : RunState::Succeeded;
        r.progress.started = kT0 + static_cast<std::int64_t>(n) * 100;
        r.progress.ended = r.progress.started + 5;
        r.progress.imported = n;
        r.checkpoint = n == 2 ? std::nullopt : std::optional<std::int64_t>(r.progress.started);
        ASSERT_TRUE(store.record_run(r, "scheduler"));
    }
    auto runs = store.runs("d");
    ASSERT_TRUE(runs);
    ASSERT_EQ(runs->size(), 3u);
    EXPECT_EQ((*runs)[0].number, 3u);
    EXPECT_EQ((*runs)[2].number, 1u);
    EXPECT_EQ((*store.get("d"))->checkpoint, kT0 + 300);
    EXPECT_EQ(*store.next_run_number("d"), 4u);
    // An older checkpoint never moves it back.
    RunRecord old = (*runs)[2];
    old.number = 4;
    ASSERT_TRUE(store.record_run(old, "scheduler"));
    EXPECT_EQ((*store.get("d"))->checkpoint, kT0 + 300);
    ASSERT_TRUE(store.remove("d", "o", kT0 + 1000));
    EXPECT_EQ(store.runs("d")->size(), 4u);
    EXPECT_EQ((*store.last_run("d"))->number, 4u);
    EXPECT_TRUE(store.last_runs()->empty());  // of the connectors there are
    // A connector whose name is a prefix of another's does not see its runs.
    EXPECT_TRUE(store.runs("")->empty());
}

}  // namespace
}  // namespace cv::connector

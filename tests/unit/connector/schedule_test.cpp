// Schedules (interval, cron with lists, ranges and steps, DST changes in the connector's zone,
// manual) and connector documents (field-named errors, round trips, secrets only as set/unset).

#include <gtest/gtest.h>

#include "connector/connector.hpp"
#include "core/time.hpp"

namespace cv::connector {
namespace {

std::int64_t utc(int y, int mo, int d, int h, int mi)
{
    return as_if_utc(LocalDateTime{y, mo, d, h, mi, 0});
}

std::string error_of(std::string_view text)
{
    auto s = parse_schedule(text);
    return s ? "" : s.error().message();
}

TEST(Schedule, ParsesIntervalsCronAndManual)
{
    auto s = parse_schedule("every 24h");
    ASSERT_TRUE(s) << s.error().describe();
    EXPECT_EQ(s->type, Schedule::Type::Interval);
    EXPECT_EQ(s->interval_seconds, 86400);
    EXPECT_EQ(parse_schedule("every 30m")->interval_seconds, 1800);
    EXPECT_EQ(parse_schedule("Every 2 hours")->interval_seconds, 7200);
    EXPECT_EQ(parse_schedule("every 7d")->interval_seconds, 7 * 86400);
    EXPECT_EQ(parse_schedule("manual")->type, Schedule::Type::Manual);
    auto c = parse_schedule("cron:  0  2 * *   1-5 ");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->type, Schedule::Type::Cron);
    EXPECT_EQ(c->cron, "0 2 * * 1-5");
    for (const char* text : {"every 24h", "every 30m", "every 90s", "manual", "cron: */15 8-18 1,15 * 0,6"}) {
        auto parsed = parse_schedule(text);
        ASSERT_TRUE(parsed) << text;
        EXPECT_EQ(*parse_schedule(to_string(*parsed)), *parsed) << text;
    }
}

TEST(Schedule, ErrorsNameTheField)
{
    EXPECT_NE(error_of("cron: 0 24 * * *").find("field 2 (hour)"), std::string::npos)
        << error_of("cron: 0 24 * * *");
    EXPECT_NE(error_of("cron: 0 24 * * *").find("out of range 0-23"), std::string::npos);
    EXPECT_NE(error_of("cron: 61 * * * *").find("field 1 (minute)"), std::string::npos);
    EXPECT_NE(error_of("cron: * * 0 * *").find("field 3 (day of month)"), std::string::npos);
    EXPECT_NE(error_of("cron: * * * 13 *").find("field 4 (month)"), std::string::npos);
    EXPECT_NE(error_of("cron: * * * * 8").find("field 5 (day of week)"), std::string::npos);
    EXPECT_NE(error_of("cron: */0 * * * *").find("step"), std::string::npos);
    EXPECT_NE(error_of("cron: 5-1 * * * *").find("backwards"), std::string::npos);
    EXPECT_NE(error_of("cron: 1,,2 * * * *").find("empty"), std::string::npos);
    EXPECT_NE(error_of("cron: * * * *").find("5 fields"), std::string::npos);
    EXPECT_NE(error_of("every 0m").find("between 1 minute and 366 days"), std::string::npos);
    EXPECT_NE(error_of("every 30s").find("between"), std::string::npos);
    EXPECT_NE(error_of("every fortnight").find("unit"), std::string::npos);
    EXPECT_NE(error_of("daily").find("expected"), std::string::npos);
    EXPECT_FALSE(error_of("").empty());
}

TEST(NextRun, IntervalCountsFromTheLastStart)
{
    const auto s = *parse_schedule("every 24h");
    const std::int64_t now = utc(2026, 11, 24, 10, 0);
    EXPECT_EQ(next_run(s, std::nullopt, now, "UTC"), now);  // never ran: due at once
    EXPECT_EQ(next_run(s, now - 3600, now, "UTC"), now - 3600 + 86400);
    EXPECT_EQ(next_run(s, now - 2 * 86400, now, "UTC"), now - 86400);  // overdue: due (once)
    EXPECT_EQ(next_run(*parse_schedule("manual"), now - 10, now, "UTC"), std::nullopt);
}

TEST(NextRun, CronWithListsRangesAndSteps)
{
    const std::int64_t tue = utc(2026, 11, 24, 10, 7);  // a Tuesday
    EXPECT_EQ(next_run(*parse_schedule("cron: 0 2 * * *"), tue, tue, "UTC"), utc(2026, 11, 25, 2, 0));
    EXPECT_EQ(next_run(*parse_schedule("cron: */15 * * * *"), tue, tue, "UTC"), utc(2026, 11, 24, 10, 15));
    EXPECT_EQ(next_run(*parse_schedule("cron: 5,50 10 * * *"), tue, tue, "UTC"), utc(2026, 11, 24, 10, 50));
    EXPECT_EQ(next_run(*parse_schedule("cron: 0 9-17/4 * * *"), tue, tue, "UTC"), utc(2026, 11, 24, 13, 0));
    // Weekdays only: from Friday evening to Monday.
    const std::int64_t fri = utc(2026, 11, 27, 20, 0);
    EXPECT_EQ(next_run(*parse_schedule("cron: 30 6 * * 1-5"), fri, fri, "UTC"), utc(2026, 11, 30, 6, 30));
    // Sunday as 7 and as 0.
    EXPECT_EQ(next_run(*parse_schedule("cron: 0 0 * * 7"), tue, tue, "UTC"), utc(2026, 11, 29, 0, 0));
    EXPECT_EQ(next_run(*parse_schedule("cron: 0 0 * * 0"), tue, tue, "UTC"), utc(2026, 11, 29, 0, 0));
    // Day of month and day of week both restricted: either matches (the 1st, or a Friday).
    EXPECT_EQ(next_run(*parse_schedule("cron: 0 0 1 * 5"), tue, tue, "UTC"), utc(2026, 11, 27, 0, 0));
    // A month and a day: next year's.
    EXPECT_EQ(next_run(*parse_schedule("cron: 0 0 1 1 *"), tue, tue, "UTC"), utc(2027, 1, 1, 0, 0));
    // Strictly after the last start: the same minute is not due again.
    const std::int64_t two = utc(2026, 11, 25, 2, 0);
    EXPECT_EQ(next_run(*parse_schedule("cron: 0 2 * * *"), two, two + 30, "UTC"), utc(2026, 11, 26, 2, 0));
    // Never matches (31 February).
    EXPECT_EQ(next_run(*parse_schedule("cron: 0 0 31 2 *"), tue, tue, "UTC"), std::nullopt);
}

TEST(NextRun, CronFollowsTheZoneAcrossDst)
{
    // Europe/Berlin: 02:00 CET on 2026-03-29 jumps to 03:00 CEST; 03:00 CEST on 2026-10-25 falls
    // back to 02:00 CET.
    const auto daily_0230 = *parse_schedule("cron: 30 2 * * *");
    const std::int64_t before_spring = utc(2026, 3, 28, 12, 0);
    // 02:30 on the 28th is CET (01:30 UTC); on the 29th it does not exist: it runs at the
    // instant it would have had, 03:30 CEST = 01:30 UTC; on the 30th it is CEST (00:30 UTC).
    EXPECT_EQ(next_run(daily_0230, before_spring, before_spring, "Europe/Berlin"), utc(2026, 3, 29, 1, 30));
    EXPECT_EQ(next_run(daily_0230, utc(2026, 3, 29, 1, 30), 0, "Europe/Berlin"), utc(2026, 3, 30, 0, 30));
    // Autumn: 02:30 happens twice; it runs once, at the first (CEST, 00:30 UTC).
    const std::int64_t before_autumn = utc(2026, 10, 24, 12, 0);
    EXPECT_EQ(next_run(daily_0230, before_autumn, before_autumn, "Europe/Berlin"), utc(2026, 10, 25, 0, 30));
    EXPECT_EQ(next_run(daily_0230, utc(2026, 10, 25, 0, 30), 0, "Europe/Berlin"), utc(2026, 10, 26, 1, 30));
    // The same cron in UTC is unaffected.
    EXPECT_EQ(next_run(daily_0230, before_spring, before_spring, "UTC"), utc(2026, 3, 29, 2, 30));
}

TEST(NextRun, ConnectorPausedManualAndNeverRun)
{
    Connector c;
    c.name = "x";
    c.folder = "/srv/drop";
    c.created = utc(2026, 11, 24, 1, 0);
    c.schedule = *parse_schedule("cron: 0 2 * * *");
    const std::int64_t now = utc(2026, 11, 24, 2, 0) + 20;
    // Never ran: counted from its creation, so a polling scheduler sees 02:00 as due.
    EXPECT_EQ(next_run(c, std::nullopt, now), utc(2026, 11, 24, 2, 0));
    c.paused = true;
    EXPECT_EQ(next_run(c, std::nullopt, now), std::nullopt);
    c.paused = false;
    c.schedule = *parse_schedule("manual");
    EXPECT_EQ(next_run(c, std::nullopt, now), std::nullopt);
}

// ---- documents --------------------------------------------------------------------------------

std::string connector_error(std::string_view json)
{
    auto c = parse_connector(json);
    return c ? "" : c.error().message();
}

TEST(ConnectorJson, ErrorsNameTheField)
{
    EXPECT_EQ(connector_error("[]"), "expected a JSON object");
    EXPECT_EQ(connector_error("{"), "not valid JSON");
    EXPECT_EQ(connector_error(R"({"kind":"drop-folder","folder":"/d"})"), "name: missing");
    EXPECT_EQ(connector_error(R"({"name":"Bad Name","kind":"drop-folder","folder":"/d"})"),
              "name: use 1 to 64 characters a-z, 0-9 and '-'");
    EXPECT_EQ(connector_error(R"({"name":"a","kind":"ftp"})"),
              "kind: 'ftp': expected drop-folder, http-pull or cloud-api");
    EXPECT_EQ(connector_error(R"({"name":"a","kind":"drop-folder"})"), "folder: missing");
    EXPECT_EQ(connector_error(R"({"name":"a","kind":"drop-folder","folder":"rel/dir"})"),
              "folder: 'rel/dir' is not an absolute path");
    EXPECT_EQ(connector_error(R"({"name":"a","kind":"drop-folder","folder":"/d","colour":"red"})"),
              "colour: unknown field");
    EXPECT_EQ(connector_error(R"({"name":"a","kind":"drop-folder","folder":"/d","url":"http://x/"})"),
              "url: only for a http-pull connector");
    EXPECT_EQ(
        connector_error(R"({"name":"a","kind":"drop-folder","folder":"/d","schedule":"cron: 0 25 * * *"})")
            .rfind("schedule: cron field 2 (hour)", 0),
        0u);
    EXPECT_EQ(connector_error(R"({"name":"a","kind":"drop-folder","folder":"/d","time_zone":"Mars/Olympus"})")
                  .rfind("time_zone: ", 0),
              0u);
    EXPECT_EQ(connector_error(R"({"name":"a","kind":"drop-folder","folder":"/d","default_region":"XX"})")
                  .rfind("default_region: ", 0),
              0u);
    EXPECT_EQ(connector_error(R"({"name":"a","kind":"drop-folder","folder":"/d","paused":"yes"})"),
              "paused: expected true or false");
    EXPECT_EQ(connector_error(R"({"name":"a","kind":"drop-folder","folder":"/d","owners":["12"]})")
                  .rfind("owners[0]: ", 0),
              0u);
    EXPECT_EQ(connector_error(R"({"name":"a","kind":"http-pull","url":"ftp://x/i.json"})"),
              "url: 'ftp://x/i.json' is not an http:// or https:// URL");
    EXPECT_EQ(connector_error(R"({"name":"a","kind":"http-pull","url":"https://u:p@x/i.json"})"),
              "url: no user:password@ in a URL: credentials are secrets");
    EXPECT_EQ(connector_error(R"({"name":"a","kind":"http-pull","url":"https://x y/i.json?token=abc"})"),
              "url: 'https://x y/i.json' is not an http:// or https:// URL");
    EXPECT_EQ(connector_error(R"({"name":"a","kind":"http-pull","url":"https://x/i","auth":"basic"})"),
              "username: required for basic auth");
    EXPECT_EQ(connector_error(R"({"name":"a","kind":"http-pull","url":"https://x/i","auth":"digest"})"),
              "auth: 'digest': expected none, basic or bearer");
    EXPECT_EQ(connector_error(R"({"name":"a","kind":"cloud-api"})"), "phone_number_id: missing");
    EXPECT_EQ(connector_error(R"({"name":"a","kind":"cloud-api","phone_number_id":"12ab"})"),
              "phone_number_id: '12ab': expected the number's id (digits)");
    EXPECT_EQ(
        connector_error(
            R"({"name":"a","kind":"cloud-api","phone_number_id":"1","secrets":{"app_secret":"hunter2"}})")
            .rfind("secrets: 'app_secret': expected \"set\" or \"unset\"", 0),
        0u);
    EXPECT_EQ(connector_error(R"({"name":"a","kind":"drop-folder","folder":"/d","secrets":{"token":"set"}})"),
              "secrets: 'token' is not a secret of this connector");
}

TEST(ConnectorJson, MappingCsvErrorsNameTheLine)
{
    const std::string csv = "phone,email\\n+4915112345678,anna@example.com\\n+4915112345679,bo@example.com\\n"
                            "+4915112345670,not-an-email\\n";
    const auto e =
        connector_error(R"({"name":"a","kind":"drop-folder","folder":"/d","mapping_csv":")" + csv + "\"}");
    EXPECT_EQ(e.rfind("mapping_csv line 4: email: ", 0), 0u) << e;
}

TEST(ConnectorJson, RoundTrips)
{
    Connector c;
    c.name = "sales-phones";
    c.kind = Kind::HttpPull;
    c.url = "https://exports.example/index.json";
    c.auth = "basic";
    c.username = "archiver";
    c.automatic_mapping = false;
    c.mapping_csv = "phone,email\n+4915112345678,anna@example.com\n";
    c.default_region = "DE";
    c.owners = {"+4915112345678=anna@example.com"};
    c.time_zone = "Europe/Madrid";
    c.schedule = *parse_schedule("cron: 0 2 * * 1-5");
    c.paused = true;
    c.created = 1790000000;
    c.checkpoint = 1790001234;
    c.secrets_set = {{"password", true}};
    auto back = parse_connector(to_json(c));
    ASSERT_TRUE(back) << back.error().describe();
    EXPECT_EQ(*back, c);
    Connector cloud;
    cloud.name = "business";
    cloud.kind = Kind::CloudApi;
    cloud.phone_number_id = "1234567890";
    cloud.graph_base_url = "https://graph.facebook.com";
    cloud.secrets_set = {{"app_secret", true}, {"verify_token", true}, {"access_token", false}};
    EXPECT_EQ(parse_connector(to_json(cloud)), cloud);
    EXPECT_NE(to_json(cloud).find(R"("access_token":"unset")"), std::string::npos);
}

TEST(ConnectorJson, RequestCarriesSecretsApart)
{
    auto r = parse_connector_request(
        R"({"name":"p","kind":"http-pull","url":"https://x/i.json","auth":"bearer","secrets":{"token":"t0k"}})");
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->connector.auth, "bearer");
    EXPECT_EQ(r->secrets, (std::map<std::string, std::string>{{"token", "t0k"}}));
    EXPECT_TRUE(r->connector.secrets_set.empty());
    auto wrong = parse_connector_request(
        R"({"name":"p","kind":"http-pull","url":"https://x/i.json","secrets":{"password":"hunter2"}})");
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().message(), "secrets: 'password' is not a secret of this connector");
    auto bad =
        parse_connector_request(R"({"name":"p","kind":"drop-folder","folder":"/d","secrets":{"x":1}})");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message(), "secrets: 'x': expected a string");
    // A key that may be a pasted secret is never repeated.
    auto pasted = parse_connector_request(
        R"({"name":"p","kind":"http-pull","url":"https://x/i.json","auth":"bearer","secrets":{"c2VjcmV0X3Rva2Vu":"="}})");
    ASSERT_FALSE(pasted);
    EXPECT_EQ(pasted.error().message().find("c2VjcmV0"), std::string::npos) << pasted.error().message();
}

TEST(RunJson, RoundTrips)
{
    RunRecord r;
    r.connector = "d";
    r.number = 12;
    r.trigger = "schedule";
    r.actor = "scheduler";
    r.progress.state = RunState::Failed;
    r.progress.files = 3;
    r.progress.files_done = 3;
    r.progress.seen = 10;
    r.progress.imported = 7;
    r.progress.failed = 1;
    r.progress.started = 5;
    r.progress.ended = 9;
    r.progress.errors = {"x.zip: broken"};
    r.checkpoint = 4;
    EXPECT_EQ(parse_run(to_json(r)), r);
    EXPECT_FALSE(parse_run(R"({"connector":"d","state":"exploded"})"));
}

}  // namespace
}  // namespace cv::connector

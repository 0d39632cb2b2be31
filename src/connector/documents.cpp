// Connectors and run records as JSON: the REST API's bodies and the archive's documents. A
// stored document is sealed and journaled, but a damaged or hand-made one still gets an error
// naming its field.

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "connector/connector.hpp"
#include "connector/detail/shown_field.hpp"
#include "core/time.hpp"
#include "mapping/mapping.hpp"

namespace cv::connector {

using json = nlohmann::json;

namespace {

constexpr std::size_t kMaxErrors = 100;

/// Reads fields of one JSON object; the first problem is kept, naming the field. Fields read
/// are remembered, so that unknown ones can be refused.
class Reader {
public:
    explicit Reader(const json& j) : j_(j)
    {
        if (!j_.is_object())
            problem("", "expected a JSON object");
    }

    bool has(const char* key)
    {
        seen_.emplace_back(key);
        return j_.is_object() && j_.contains(key) && !j_[key].is_null();
    }
    std::string text(const char* key, bool required = false)
    {
        if (!has(key)) {
            if (required)
                problem(key, "missing");
            return {};
        }
        if (!j_[key].is_string()) {
            problem(key, "expected a string");
            return {};
        }
        return j_[key].get<std::string>();
    }
    std::optional<std::int64_t> integer(const char* key)
    {
        if (!has(key))
            return std::nullopt;
        if (!j_[key].is_number_integer()) {
            problem(key, "expected a whole number");
            return std::nullopt;
        }
        if (j_[key].is_number_unsigned() && j_[key].get<std::uint64_t>() > std::uint64_t(INT64_MAX)) {
            problem(key, "too large");
            return std::nullopt;
        }
        return j_[key].get<std::int64_t>();
    }
    std::uint64_t count(const char* key)
    {
        const auto v = integer(key);
        if (v && *v < 0)
            problem(key, "must not be negative");
        return v && *v > 0 ? static_cast<std::uint64_t>(*v) : 0;
    }
    std::optional<bool> boolean(const char* key)
    {
        if (!has(key))
            return std::nullopt;
        if (!j_[key].is_boolean()) {
            problem(key, "expected true or false");
            return std::nullopt;
        }
        return j_[key].get<bool>();
    }
    std::vector<std::string> texts(const char* key)
    {
        std::vector<std::string> out;
        if (!has(key))
            return out;
        if (!j_[key].is_array()) {
            problem(key, "expected a list of strings");
            return out;
        }
        for (const auto& v : j_[key]) {
            if (!v.is_string()) {
                problem(key, "expected a list of strings");
                return {};
            }
            out.push_back(v.get<std::string>());
        }
        return out;
    }
    const json* object(const char* key)
    {
        if (!has(key))
            return nullptr;
        if (!j_[key].is_object()) {
            problem(key, "expected an object");
            return nullptr;
        }
        return &j_[key];
    }
    void problem(std::string_view key, std::string_view what)
    {
        if (error_.empty())
            error_ = key.empty() ? std::string(what) : fmt::format("{}: {}", key, what);
    }
    /// The first field the caller never asked about.
    void refuse_unknown()
    {
        if (!j_.is_object())
            return;
        for (const auto& item : j_.items())
            if (std::find(seen_.begin(), seen_.end(), item.key()) == seen_.end()) {
                problem(item.key(), "unknown field");
                return;
            }
    }
    const std::string& error() const { return error_; }
    bool ok() const { return error_.empty(); }

private:
    const json& j_;
    std::vector<std::string> seen_;
    std::string error_;
};

Result<json> parse_json(std::string_view text)
{
    auto j = json::parse(text, nullptr, false);
    if (j.is_discarded())
        return fail(ErrorCode::Parse, "not valid JSON");
    return j;
}

bool valid_name(std::string_view name)
{
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
    });
}

bool has_control(std::string_view s)
{
    return std::any_of(s.begin(), s.end(),
                       [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; });
}

/// Why `url` is not an http(s) URL we accept, or empty. The URL is shown without its query
/// (a token may be there), and not at all when it carries user:password@.
std::string url_problem(std::string_view field, std::string_view url)
{
    const auto rest = url.rfind("https://", 0) == 0  ? url.substr(8)
                      : url.rfind("http://", 0) == 0 ? url.substr(7)
                                                     : std::string_view{};
    const auto authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.find('@') != std::string_view::npos)
        return fmt::format("{}: no user:password@ in a URL: credentials are secrets", field);
    if (authority.empty() || has_control(url) || url.find(' ') != std::string_view::npos)
        return fmt::format("{}: '{}' is not an http:// or https:// URL", field,
                           url.substr(0, url.find_first_of("?#")));
    return {};
}

/// Checks what parse_connector cannot tell from types alone. Returns the first problem.
std::string validate(const Connector& c)
{
    if (!valid_name(c.name))
        return "name: use 1 to 64 characters a-z, 0-9 and '-'";
    const auto only = [&](std::string_view field, Kind k) {
        return fmt::format("{}: only for a {} connector", field, to_string(k));
    };
    if (c.kind != Kind::DropFolder && !c.folder.empty())
        return only("folder", Kind::DropFolder);
    if (c.kind != Kind::DropFolder && c.settle_seconds != kDefaultSettleSeconds)
        return only("settle_seconds", Kind::DropFolder);
    if (c.kind != Kind::HttpPull && (!c.url.empty() || !c.username.empty() || c.auth != "none"))
        return only(!c.url.empty() ? "url" : !c.username.empty() ? "username" : "auth", Kind::HttpPull);
    if (c.kind != Kind::CloudApi && (!c.phone_number_id.empty() || !c.graph_base_url.empty()))
        return only(!c.phone_number_id.empty() ? "phone_number_id" : "graph_base_url", Kind::CloudApi);
    switch (c.kind) {
    case Kind::DropFolder:
        if (c.folder.empty())
            return "folder: missing";
        if (c.folder.front() != '/' || has_control(c.folder))
            return fmt::format("folder: '{}' is not an absolute path", c.folder);
        if (c.settle_seconds < 0 || c.settle_seconds > 86400)
            return "settle_seconds: must be from 0 to 86400";
        break;
    case Kind::HttpPull:
        if (c.url.empty())
            return "url: missing";
        if (auto problem = url_problem("url", c.url); !problem.empty())
            return problem;
        if (c.auth != "none" && c.auth != "basic" && c.auth != "bearer")
            return fmt::format("auth: '{}': expected none, basic or bearer", c.auth);
        if (c.auth == "basic" && c.username.empty())
            return "username: required for basic auth";
        if (c.auth != "basic" && !c.username.empty())
            return "username: only for basic auth";
        if (has_control(c.username) || c.username.find(':') != std::string::npos)
            return "username: must not contain ':' or control characters";
        break;
    case Kind::CloudApi:
        if (c.phone_number_id.empty())
            return "phone_number_id: missing";
        if (c.phone_number_id.size() > 32 || !std::all_of(c.phone_number_id.begin(), c.phone_number_id.end(),
                                                          [](char ch) { return ch >= '0' && ch <= '9'; }))
            return fmt::format("phone_number_id: '{}': expected the number's id (digits)", c.phone_number_id);
        if (auto problem = url_problem("graph_base_url", c.graph_base_url); !problem.empty())
            return problem;
        break;
    }
    if (auto zone = TimeZone::locate(c.time_zone); !zone)
        return fmt::format("time_zone: {}", zone.error().message());
    auto normalizer = mapping::PhoneNormalizer::create(c.default_region);
    if (!normalizer)
        return fmt::format("default_region: {}", normalizer.error().message());
    if (!c.mapping_csv.empty()) {
        const auto load = mapping::parse_mapping_csv(c.mapping_csv, "mapping_csv", *normalizer);
        for (const auto& p : load.problems)
            if (p.kind != mapping::ProblemKind::Duplicate)
                return fmt::format("mapping_csv line {}: {}{}", p.line,
                                   p.column.empty() ? "" : p.column + ": ", p.message);
        if (load.rejected)
            return "mapping_csv: refused";
    }
    for (std::size_t i = 0; i < c.owners.size(); ++i)
        if (auto o = mapping::parse_owner(c.owners[i], *normalizer); !o)
            return fmt::format("owners[{}]: {}", i, o.error().message());
    if (c.schedule.type == Schedule::Type::Cron) {
        if (auto s = parse_schedule("cron: " + c.schedule.cron); !s)
            return fmt::format("schedule: {}", s.error().message());
    }
    const auto fields = secret_fields(c);
    for (const auto& [field, set] : c.secrets_set)
        if (std::find(fields.begin(), fields.end(), field) == fields.end())
            return fmt::format("secrets: {} is not a secret of this connector", detail::shown_field(field));
    return {};
}

}  // namespace

std::string_view to_string(Kind kind)
{
    switch (kind) {
    case Kind::DropFolder: return "drop-folder";
    case Kind::HttpPull: return "http-pull";
    case Kind::CloudApi: return "cloud-api";
    }
    return "drop-folder";
}

std::optional<Kind> kind_from_string(std::string_view text)
{
    for (const auto k : {Kind::DropFolder, Kind::HttpPull, Kind::CloudApi})
        if (to_string(k) == text)
            return k;
    return std::nullopt;
}

std::string_view to_string(RunState state)
{
    switch (state) {
    case RunState::Queued: return "queued";
    case RunState::Running: return "running";
    case RunState::Succeeded: return "succeeded";
    case RunState::Failed: return "failed";
    case RunState::Cancelled: return "cancelled";
    }
    return "queued";
}

std::vector<std::string> secret_fields(const Connector& c)
{
    switch (c.kind) {
    case Kind::DropFolder: return {};
    case Kind::HttpPull:
        if (c.auth == "basic")
            return {"password"};
        if (c.auth == "bearer")
            return {"token"};
        return {};
    case Kind::CloudApi: return {"app_secret", "verify_token", "access_token"};
    }
    return {};
}

Result<Connector> parse_connector(std::string_view text)
{
    CV_TRY(const json j, parse_json(text));
    Reader r(j);
    Connector c;
    c.name = r.text("name", true);
    const std::string kind = r.text("kind", true);
    if (r.ok()) {
        const auto k = kind_from_string(kind);
        if (!k)
            r.problem("kind", fmt::format("'{}': expected drop-folder, http-pull or cloud-api", kind));
        else
            c.kind = *k;
    }
    c.folder = r.text("folder");
    if (const auto s = r.integer("settle_seconds"))
        c.settle_seconds = *s;
    c.url = r.text("url");
    if (r.has("auth"))
        c.auth = r.text("auth");
    c.username = r.text("username");
    c.phone_number_id = r.text("phone_number_id");
    c.graph_base_url = r.text("graph_base_url");
    if (c.kind == Kind::CloudApi && c.graph_base_url.empty())
        c.graph_base_url = "https://graph.facebook.com";
    if (const auto a = r.boolean("automatic_mapping"))
        c.automatic_mapping = *a;
    c.mapping_csv = r.text("mapping_csv");
    c.default_region = r.text("default_region");
    c.owners = r.texts("owners");
    if (r.has("time_zone"))
        c.time_zone = r.text("time_zone");
    if (r.has("schedule")) {
        const std::string s = r.text("schedule");
        if (r.ok()) {
            auto parsed = parse_schedule(s);
            if (!parsed)
                r.problem("schedule", parsed.error().message());
            else
                c.schedule = std::move(*parsed);
        }
    }
    if (const auto p = r.boolean("paused"))
        c.paused = *p;
    if (const auto t = r.integer("created"))
        c.created = *t;
    c.checkpoint = r.integer("checkpoint");
    if (const json* secrets = r.object("secrets")) {
        for (const auto& item : secrets->items()) {
            const auto& v = item.value();
            if (v.is_boolean())
                c.secrets_set[item.key()] = v.get<bool>();
            else if (v.is_string() && (v.get<std::string>() == "set" || v.get<std::string>() == "unset"))
                c.secrets_set[item.key()] = v.get<std::string>() == "set";
            else
                r.problem("secrets", fmt::format("{}: expected \"set\" or \"unset\" (secret values are "
                                                 "never part of a connector)",
                                                 detail::shown_field(item.key())));
        }
    }
    r.refuse_unknown();
    if (!r.ok())
        return fail(ErrorCode::InvalidArgument, r.error());
    if (auto problem = validate(c); !problem.empty())
        return fail(ErrorCode::InvalidArgument, std::move(problem));
    return c;
}

Result<ConnectorRequest> parse_connector_request(std::string_view text)
{
    CV_TRY(json j, parse_json(text));
    ConnectorRequest out;
    if (j.is_object() && j.contains("secrets")) {
        const json secrets = std::move(j["secrets"]);
        j.erase("secrets");
        if (!secrets.is_object())
            return fail(ErrorCode::InvalidArgument, "secrets: expected an object of field: value");
        for (const auto& item : secrets.items()) {
            if (!item.value().is_string())
                return fail(ErrorCode::InvalidArgument,
                            fmt::format("secrets: {}: expected a string", detail::shown_field(item.key())));
            out.secrets[item.key()] = item.value().get<std::string>();
        }
    }
    CV_TRY(out.connector, parse_connector(j.dump()));
    const auto fields = secret_fields(out.connector);
    for (const auto& [field, value] : out.secrets)
        if (std::find(fields.begin(), fields.end(), field) == fields.end())
            return fail(
                ErrorCode::InvalidArgument,
                fmt::format("secrets: {} is not a secret of this connector", detail::shown_field(field)));
    return out;
}

std::string to_json(const Connector& c)
{
    json j{{"name", c.name}, {"kind", std::string(to_string(c.kind))}};
    switch (c.kind) {
    case Kind::DropFolder:
        j["folder"] = c.folder;
        j["settle_seconds"] = c.settle_seconds;
        break;
    case Kind::HttpPull:
        j["url"] = c.url;
        j["auth"] = c.auth;
        if (!c.username.empty())
            j["username"] = c.username;
        break;
    case Kind::CloudApi:
        j["phone_number_id"] = c.phone_number_id;
        j["graph_base_url"] = c.graph_base_url;
        break;
    }
    j["automatic_mapping"] = c.automatic_mapping;
    j["mapping_csv"] = c.mapping_csv;
    j["default_region"] = c.default_region;
    j["owners"] = c.owners;
    j["time_zone"] = c.time_zone;
    j["schedule"] = to_string(c.schedule);
    j["paused"] = c.paused;
    j["created"] = c.created;
    j["checkpoint"] = c.checkpoint ? json(*c.checkpoint) : json(nullptr);
    json secrets = json::object();
    for (const auto& [field, set] : c.secrets_set)
        secrets[field] = set ? "set" : "unset";
    j["secrets"] = std::move(secrets);
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<std::int64_t> next_run(const Connector& c, std::optional<std::int64_t> last_start,
                                     std::int64_t now)
{
    if (c.paused)
        return std::nullopt;
    if (!last_start && c.schedule.type == Schedule::Type::Cron)
        last_start = c.created;
    return next_run(c.schedule, last_start, now, c.time_zone);
}

// ---- run records --------------------------------------------------------------------------------

std::string to_json(const RunRecord& run)
{
    const RunProgress& p = run.progress;
    json j{{"connector", run.connector},
           {"number", run.number},
           {"trigger", run.trigger},
           {"actor", run.actor},
           {"state", std::string(to_string(p.state))},
           {"files", p.files},
           {"files_done", p.files_done},
           {"waiting", p.waiting},
           {"seen", p.seen},
           {"imported", p.imported},
           {"duplicates", p.duplicates},
           {"quarantined", p.quarantined},
           {"failed", p.failed},
           {"bytes", p.bytes},
           {"started", p.started},
           {"ended", p.ended},
           {"errors", p.errors},
           {"warnings", p.warnings},
           {"current", p.current},
           {"checkpoint", run.checkpoint ? json(*run.checkpoint) : json(nullptr)}};
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<RunRecord> parse_run(std::string_view text)
{
    auto j = parse_json(text);
    if (!j)
        return fail(ErrorCode::Parse, "run record: not valid JSON");
    Reader r(*j);
    RunRecord run;
    run.connector = r.text("connector", true);
    run.number = r.count("number");
    run.trigger = r.text("trigger");
    run.actor = r.text("actor");
    const std::string state = r.text("state", true);
    bool known = false;
    for (const auto s :
         {RunState::Queued, RunState::Running, RunState::Succeeded, RunState::Failed, RunState::Cancelled})
        if (to_string(s) == state) {
            run.progress.state = s;
            known = true;
        }
    if (r.ok() && !known)
        r.problem("state", fmt::format("'{}' is not a run state", state));
    RunProgress& p = run.progress;
    p.files = r.count("files");
    p.files_done = r.count("files_done");
    p.waiting = r.count("waiting");
    p.seen = r.count("seen");
    p.imported = r.count("imported");
    p.duplicates = r.count("duplicates");
    p.quarantined = r.count("quarantined");
    p.failed = r.count("failed");
    p.bytes = r.count("bytes");
    p.started = r.integer("started").value_or(0);
    p.ended = r.integer("ended").value_or(0);
    p.errors = r.texts("errors");
    if (p.errors.size() > kMaxErrors)
        p.errors.resize(kMaxErrors);
    p.warnings = r.texts("warnings");
    if (p.warnings.size() > kMaxErrors)
        p.warnings.resize(kMaxErrors);
    p.current = r.text("current");
    run.checkpoint = r.integer("checkpoint");
    r.refuse_unknown();
    if (!r.ok())
        return fail(ErrorCode::Parse, fmt::format("run record: {}", r.error()));
    return run;
}

}  // namespace cv::connector

// The connector store: connectors and run records as archive documents, secrets as the
// archive's sealed secrets. An audit event carries the connector's settings with the mapping
// CSV replaced by its SHA-256 (it holds people's numbers) and the names of the secrets that
// changed, never their values.

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "connector/connector.hpp"
#include "connector/detail/shown_field.hpp"
#include "core/digest.hpp"

namespace cv::connector {

using json = nlohmann::json;

namespace {

constexpr std::string_view kConnectorDoc = "connector";
constexpr std::string_view kRunDoc = "connector-run";

std::string secret_name(std::string_view connector, std::string_view field)
{
    return fmt::format("connector/{}/{}", connector, field);
}

std::string run_id(std::string_view connector, std::uint64_t number)
{
    // Zero-padded so that the archive's id order is the run order.
    return fmt::format("{}/{:012}", connector, number);
}

std::string last_run_setting(std::string_view connector)
{
    return fmt::format("connector.last_run.{}", connector);
}

std::string audit_parameters(const Connector& c, const std::vector<std::string>& secrets_changed)
{
    json j = json::parse(to_json(c));
    if (!c.mapping_csv.empty())
        j["mapping_csv"] = "sha256:" + to_hex(sha256(c.mapping_csv));
    j.erase("secrets");
    if (!secrets_changed.empty())
        j["secrets_changed"] = secrets_changed;
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

archive::AuditEvent event(std::string_view actor, std::int64_t now, std::string action,
                          std::string parameters)
{
    archive::AuditEvent e;
    e.actor = std::string(actor);
    e.time = now;
    e.action = std::move(action);
    e.parameters = std::move(parameters);
    return e;
}

}  // namespace

Result<void> Connectors::add(Connector c, const std::map<std::string, std::string>& secrets,
                             std::string_view actor, std::int64_t now)
{
    c.created = now;
    c.checkpoint.reset();
    c.secrets_set.clear();
    CV_TRY(const auto existing, get(c.name));
    if (existing)
        return fail(ErrorCode::InvalidArgument, fmt::format("connector '{}' exists already", c.name));
    // Validated as the stored document will be read back.
    CV_TRY(c, parse_connector(to_json(c)));
    const auto fields = secret_fields(c);
    for (const auto& [field, value] : secrets)
        if (std::find(fields.begin(), fields.end(), field) == fields.end())
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("secret {} is not one a {} connector{} uses", detail::shown_field(field),
                                    to_string(c.kind),
                                    c.kind == Kind::HttpPull ? fmt::format(" with auth {}", c.auth) : ""));
    // The required ones: every field but cloud-api's access_token (media downloads only).
    for (const auto& field : fields) {
        const auto it = secrets.find(field);
        if (field != "access_token" && (it == secrets.end() || it->second.empty()))
            return fail(ErrorCode::InvalidArgument, fmt::format("secret '{}' is required", field));
    }
    std::vector<std::string> changed;
    for (const auto& [field, value] : secrets)
        if (!value.empty()) {
            CV_TRY_VOID(archive_.put_secret(secret_name(c.name, field), value));
            changed.push_back(field);
        }
    CV_TRY_VOID(archive_.put_document(kConnectorDoc, c.name, to_json(c),
                                      event(actor, now, "connector.add", audit_parameters(c, changed))));
    return {};
}

Result<void> Connectors::update(Connector c, const std::map<std::string, std::string>& secrets,
                                std::string_view actor, std::int64_t now)
{
    CV_TRY(const auto existing, get(c.name));
    if (!existing)
        return fail(ErrorCode::NotFound, fmt::format("no connector '{}'", c.name));
    if (existing->kind != c.kind)
        return fail(
            ErrorCode::InvalidArgument,
            fmt::format("connector '{}' is a {} connector: remove it and add a new one to change its kind",
                        c.name, to_string(existing->kind)));
    c.created = existing->created;
    c.checkpoint = existing->checkpoint;
    c.secrets_set.clear();
    CV_TRY(c, parse_connector(to_json(c)));
    const auto fields = secret_fields(c);
    for (const auto& [field, value] : secrets)
        if (std::find(fields.begin(), fields.end(), field) == fields.end())
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("secret {} is not one this connector uses", detail::shown_field(field)));
    for (const auto& field : fields) {
        const auto it = secrets.find(field);
        const bool given = it != secrets.end() && !it->second.empty();
        const bool kept =
            it == secrets.end() && existing->secrets_set.count(field) && existing->secrets_set.at(field);
        if (field != "access_token" && !given && !kept)
            return fail(ErrorCode::InvalidArgument, fmt::format("secret '{}' is required", field));
    }
    std::vector<std::string> changed;
    for (const auto& [field, value] : secrets) {
        CV_TRY_VOID(archive_.put_secret(secret_name(c.name, field), value));
        changed.push_back(field);
    }
    // Secrets of an auth no longer used are dropped, not left behind.
    for (const auto& [field, set] : existing->secrets_set)
        if (set && std::find(fields.begin(), fields.end(), field) == fields.end()) {
            CV_TRY_VOID(archive_.put_secret(secret_name(c.name, field), ""));
            changed.push_back(field);
        }
    CV_TRY_VOID(archive_.put_document(kConnectorDoc, c.name, to_json(c),
                                      event(actor, now, "connector.update", audit_parameters(c, changed))));
    return {};
}

Result<void> Connectors::remove(std::string_view name, std::string_view actor, std::int64_t now)
{
    CV_TRY(const auto existing, get(name));
    if (!existing)
        return fail(ErrorCode::NotFound, fmt::format("no connector '{}'", name));
    for (const auto& field : secret_fields(*existing)) {
        CV_TRY_VOID(archive_.put_secret(secret_name(name, field), ""));
    }
    CV_TRY_VOID(archive_.put_document(kConnectorDoc, name, "",
                                      event(actor, now, "connector.remove", json{{"name", name}}.dump())));
    return {};
}

Result<void> Connectors::set_paused(std::string_view name, bool paused, std::string_view actor,
                                    std::int64_t now)
{
    CV_TRY(auto c, get(name));
    if (!c)
        return fail(ErrorCode::NotFound, fmt::format("no connector '{}'", name));
    c->paused = paused;
    c->secrets_set.clear();
    CV_TRY_VOID(archive_.put_document(
        kConnectorDoc, name, to_json(*c),
        event(actor, now, paused ? "connector.pause" : "connector.resume", json{{"name", name}}.dump())));
    return {};
}

Result<std::vector<Connector>> Connectors::list()
{
    CV_TRY(const auto docs, archive_.documents(kConnectorDoc));
    std::vector<Connector> out;
    for (const auto& d : docs) {
        auto c = parse_connector(d.json);
        if (!c)
            return fail(std::move(c).error().with_context(fmt::format("connector document '{}'", d.id)));
        for (const auto& field : secret_fields(*c)) {
            CV_TRY(const auto value, archive_.secret(secret_name(c->name, field)));
            c->secrets_set[field] = value.has_value() && !value->empty();
        }
        out.push_back(std::move(*c));
    }
    return out;
}

Result<std::optional<Connector>> Connectors::get(std::string_view name)
{
    CV_TRY(const auto doc, archive_.document(kConnectorDoc, name));
    if (!doc)
        return std::optional<Connector>{};
    auto c = parse_connector(doc->json);
    if (!c)
        return fail(std::move(c).error().with_context(fmt::format("connector document '{}'", name)));
    for (const auto& field : secret_fields(*c)) {
        CV_TRY(const auto value, archive_.secret(secret_name(c->name, field)));
        c->secrets_set[field] = value.has_value() && !value->empty();
    }
    return std::optional<Connector>(std::move(*c));
}

Result<std::optional<std::string>> Connectors::secret(std::string_view connector, std::string_view field)
{
    return archive_.secret(secret_name(connector, field));
}

Result<std::vector<RunRecord>> Connectors::runs(std::string_view connector)
{
    CV_TRY(const auto docs, archive_.documents(kRunDoc));
    const std::string prefix = std::string(connector) + "/";
    std::vector<RunRecord> out;
    for (auto it = docs.rbegin(); it != docs.rend(); ++it) {
        if (it->id.rfind(prefix, 0) != 0)
            continue;
        auto run = parse_run(it->json);
        if (!run)
            return fail(std::move(run).error().with_context(fmt::format("run document '{}'", it->id)));
        out.push_back(std::move(*run));
    }
    return out;
}

Result<std::optional<RunRecord>> Connectors::last_run(std::string_view connector)
{
    // The number only, in the clear: the record itself (file names, errors) stays sealed.
    CV_TRY(const auto number, archive_.setting(last_run_setting(connector)));
    if (number) {
        CV_TRY(const auto doc,
               archive_.document(kRunDoc, run_id(connector, std::strtoull(number->c_str(), nullptr, 10))));
        if (doc) {
            auto run = parse_run(doc->json);
            if (!run)
                return fail(std::move(run).error().with_context(fmt::format("run document '{}'", doc->id)));
            return std::optional<RunRecord>(std::move(*run));
        }
    }
    CV_TRY(auto all, runs(connector));
    if (all.empty())
        return std::optional<RunRecord>{};
    return std::optional<RunRecord>(std::move(all.front()));
}

Result<std::map<std::string, RunRecord>> Connectors::last_runs()
{
    CV_TRY(const auto docs, archive_.documents(kConnectorDoc));
    std::map<std::string, RunRecord> out;
    for (const auto& d : docs) {
        CV_TRY(auto last, last_run(d.id));
        if (last)
            out[d.id] = std::move(*last);
    }
    return out;
}

Result<std::uint64_t> Connectors::next_run_number(std::string_view connector)
{
    CV_TRY(const auto last, last_run(connector));
    return last ? last->number + 1 : 1;
}

Result<void> Connectors::record_run(const RunRecord& run, std::string_view actor)
{
    const RunProgress& p = run.progress;
    const bool finished = p.state != RunState::Running && p.state != RunState::Queued;
    const json parameters{{"name", run.connector},
                          {"run", run.number},
                          {"trigger", run.trigger},
                          {"state", std::string(to_string(p.state))},
                          {"files", p.files},
                          {"failed", p.failed},
                          {"seen", p.seen},
                          {"duplicates", p.duplicates},
                          {"quarantined", p.quarantined}};
    auto e = event(actor, finished ? p.ended : p.started, finished ? "connector.run" : "connector.run.start",
                   parameters.dump(-1, ' ', false, json::error_handler_t::replace));
    if (finished)
        e.results = p.imported;
    CV_TRY_VOID(archive_.put_document(kRunDoc, run_id(run.connector, run.number), to_json(run), e));
    CV_TRY(const auto last, archive_.setting(last_run_setting(run.connector)));
    if (!last || std::strtoull(last->c_str(), nullptr, 10) < run.number) {
        CV_TRY_VOID(archive_.put_setting(last_run_setting(run.connector), std::to_string(run.number)));
    }
    if (!finished || !run.checkpoint)
        return {};
    CV_TRY(auto c, get(run.connector));
    if (!c || (c->checkpoint && *c->checkpoint >= *run.checkpoint))
        return {};
    c->checkpoint = run.checkpoint;
    c->secrets_set.clear();
    CV_TRY_VOID(archive_.put_document(
        kConnectorDoc, c->name, to_json(*c),
        event(actor, p.ended, "connector.checkpoint",
              json{{"name", c->name}, {"run", run.number}, {"checkpoint", *run.checkpoint}}.dump())));
    return {};
}

}  // namespace cv::connector

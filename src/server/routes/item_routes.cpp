// An item's surroundings and its email, and how a query is read and what it would find: what an
// investigator needs around a search hit. Audited like the CLI's `show` and `search`.
#include <fmt/format.h>

#include "compliance/governance/governance.hpp"
#include "compliance/query/query.hpp"
#include "compliance/search/search.hpp"
#include "core/byte_sink.hpp"
#include "core/digest.hpp"
#include "core/time.hpp"
#include "ingest/ingest.hpp"
#include "server/detail/api.hpp"

namespace cv::server::detail {

namespace {

namespace gov = compliance::governance;

// A Reviewer's items.read reaches only the cases they are assigned to (their own routes): the
// general item routes need `search` too, as GET /api/v1/items/{id} does.
std::optional<Reply> refuse_reviewer(const Call& call)
{
    if (call.principal->may(auth::Permission::Search))
        return std::nullopt;
    return Reply::json(
        {{"error",
          {{"code", "forbidden"}, {"message", "reviewers see the items of the cases they are assigned to"}}}},
        403);
}

Result<std::int64_t> item_id(const Call& call)
{
    const std::string& text = call.params.at("id");
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
        return fail(ErrorCode::InvalidArgument, "id: expected an item number");
    return std::stoll(text);
}

Result<std::size_t> context_count(const Call& call, std::string_view name)
{
    constexpr std::size_t kDefault = 5, kMax = 50;
    const auto v = call.query_value(name);
    if (!v)
        return kDefault;
    if (v->empty() || v->size() > 3 || v->find_first_not_of("0123456789") != std::string::npos)
        return fail(ErrorCode::InvalidArgument, fmt::format("{}: expected a whole number", name));
    const std::size_t n = std::stoul(*v);
    if (n > kMax)
        return fail(ErrorCode::InvalidArgument, fmt::format("{}: at most {}", name, kMax));
    return n;
}

nlohmann::json entry_json(const archive::StoredItem& s)
{
    return {{"item", s.id},
            {"author", s.item.author.value_or("")},
            {"sent", format_utc(s.item.utc)},
            {"kind", to_string(s.item.kind)},
            {"text", s.item.text},
            {"attachments", attachments_json(s.item.attachments)},
            {"deleted", s.item.deleted}};
}

Result<Reply> item_context(Context& ctx, Call& call)
{
    if (auto refused = refuse_reviewer(call))
        return *refused;
    CV_TRY(const std::int64_t id, item_id(call));
    CV_TRY(const std::size_t before_n, context_count(call, "before"));
    CV_TRY(const std::size_t after_n, context_count(call, "after"));
    std::lock_guard lock(ctx.archive_mutex);
    CV_TRY(const auto stored, ctx.archive.item(id));
    // around() takes one count for both sides: ask for the larger, keep what was asked for.
    CV_TRY(auto around, ctx.archive.around(id, std::max(before_n, after_n)));
    auto& [before, after] = around;
    if (before.size() > before_n)
        before.erase(before.begin(), before.end() - static_cast<std::ptrdiff_t>(before_n));
    if (after.size() > after_n)
        after.resize(after_n);
    std::vector<std::int64_t> ids;
    for (const auto* side : {&before, &after})
        for (const auto& s : *side)
            ids.push_back(s.id);
    std::map<std::int64_t, nlohmann::json> entries;
    CV_TRY_VOID(ctx.archive.items(ids, [&](archive::StoredItem& s) -> Result<void> {
        entries[s.id] = entry_json(s);
        return {};
    }));
    nlohmann::json before_json = nlohmann::json::array(), after_json = nlohmann::json::array();
    for (const auto& s : before)
        before_json.push_back(entries[s.id]);
    for (const auto& s : after)
        after_json.push_back(entries[s.id]);
    const nlohmann::json parameters{{"item", id}, {"before", before_n}, {"after", after_n}, {"via", "api"}};
    CV_TRY_VOID(ctx.archive.audit(
        archive::AuditEvent{call.actor(), now_utc(), "item.context", parameters.dump(), 1 + ids.size()}));
    return Reply::json({{"item", id},
                        {"conversation", stored.conversation.title},
                        {"before", before_json},
                        {"item_summary", entry_json(stored)},
                        {"after", after_json}});
}

Result<Reply> item_eml(Context& ctx, Call& call)
{
    if (auto refused = refuse_reviewer(call))
        return *refused;
    CV_TRY(const std::int64_t id, item_id(call));
    std::lock_guard lock(ctx.archive_mutex);
    CV_TRY(const auto stored, ctx.archive.item(id));
    StringSink sink;
    CV_TRY_VOID(ingest::render_stored(ctx.archive, stored, sink));
    // The email as archived, or nothing: different bytes mean the archive is damaged.
    if (sha256(sink.data()) != stored.render_sha256)
        return fail(
            ErrorCode::Internal,
            fmt::format("item {} renders to different bytes than were archived: run `chatvault verify`", id));
    const nlohmann::json parameters{{"item", id}, {"format", "eml"}, {"via", "api"}};
    CV_TRY_VOID(ctx.archive.audit(
        archive::AuditEvent{call.actor(), now_utc(), "item.download", parameters.dump(), 1}));
    Reply r;
    r.content_type = "message/rfc822";
    r.body = sink.take();
    r.headers.emplace_back("Content-Disposition", fmt::format("attachment; filename=\"item-{}.eml\"", id));
    return r;
}

// The query and its zone, parsed; a malformed query's error names its column ("q: column 7: …").
Result<compliance::query::Query> parsed_query(const Call& call, std::string& tz)
{
    const auto text = call.query_value("q");
    if (!text || text->empty())
        return fail(ErrorCode::InvalidArgument, "q: the query is missing");
    tz = call.query_value("tz").value_or("UTC");
    auto zone = TimeZone::locate(tz);
    if (!zone)
        return fail(ErrorCode::InvalidArgument, fmt::format("tz: {}", zone.error().message()));
    auto q = compliance::query::parse(*text, *zone, now_utc());
    if (!q)
        return fail(ErrorCode::InvalidArgument, fmt::format("q: {}", q.error().message()));
    return q;
}

Result<Reply> search_explain(Context& ctx, Call& call)
{
    std::string tz;
    CV_TRY(const auto q, parsed_query(call, tz));
    compliance::search::SearchOptions options;
    options.mailbox = call.query_value("mailbox");
    std::lock_guard lock(ctx.archive_mutex);
    CV_TRY(const auto plan, compliance::search::plan(q, options, &ctx.archive));
    return Reply::json({{"query", compliance::query::to_string(q)}, {"zone", q.zone}, {"notes", plan.notes}});
}

Result<Reply> search_estimate(Context& ctx, Call& call)
{
    std::string tz;
    CV_TRY(const auto q, parsed_query(call, tz));  // refused here with the column, before the archive
    const std::string text = *call.query_value("q");
    std::vector<std::string> mailboxes;
    if (const auto m = call.query_value("mailbox"); m && !m->empty())
        mailboxes.push_back(*m);
    const std::int64_t now = now_utc();
    std::lock_guard lock(ctx.archive_mutex);
    gov::Governance g(ctx.archive);
    CV_TRY(const auto e, g.estimate(text, tz, mailboxes, now));
    nlohmann::json per = nlohmann::json::object();
    for (const auto& [mailbox, m] : e.mailboxes)
        per[mailbox] = {{"items", m.items}, {"bytes", m.bytes}};
    const nlohmann::json parameters{
        {"query", text}, {"zone", tz}, {"mailbox", mailboxes.empty() ? "" : mailboxes[0]}, {"via", "api"}};
    CV_TRY_VOID(ctx.archive.audit(
        archive::AuditEvent{call.actor(), now, "search.estimate", parameters.dump(), e.items}));
    return Reply::json({{"items", e.items}, {"bytes", e.bytes}, {"mailboxes", per}});
}

}  // namespace

void add_item_routes(std::vector<Route>& routes)
{
    using P = auth::Permission;
    routes.push_back({"GET", "/api/v1/items/{id}/context", Access::Permission, P::ItemsRead, item_context});
    routes.push_back({"GET", "/api/v1/items/{id}/eml", Access::Permission, P::ItemsRead, item_eml});
    routes.push_back({"GET", "/api/v1/search/explain", Access::Permission, P::Search, search_explain});
    routes.push_back({"GET", "/api/v1/search/estimate", Access::Permission, P::Search, search_estimate});
}

}  // namespace cv::server::detail

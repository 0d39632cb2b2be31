// Users and tokens as JSON documents, and their readers: each problem names the field.

#include "server/auth/detail/documents.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/json_fields.hpp"

namespace cv::auth::detail {

using json = nlohmann::json;

namespace {

bool is_lower_hex(std::string_view s, std::size_t size)
{
    if (s.size() != size)
        return false;
    for (const char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

/// The id of a document for messages: its "name"/"id" when it is a string, else "?".
std::string label_of(const json& j, const char* key)
{
    if (j.is_object() && j.contains(key) && j[key].is_string())
        return j[key].get<std::string>();
    return "?";
}

}  // namespace

std::vector<std::string> role_names(std::span<const Role> roles)
{
    std::vector<std::string> out;
    for (const Role r : roles)
        out.emplace_back(to_string(r));
    return out;
}

std::vector<std::string> permission_names(std::span<const Permission> permissions)
{
    std::vector<std::string> out;
    for (const Permission p : permissions)
        out.emplace_back(to_string(p));
    return out;
}

std::string to_json(const User& u)
{
    return json{{"name", u.name},
                {"roles", role_names(u.roles)},
                {"password_hash", u.password_hash},
                {"created", u.created},
                {"created_by", u.created_by},
                {"password_changed", u.password_changed},
                {"disabled", u.disabled},
                {"failed_logins", u.failed_logins},
                {"locked_until", u.locked_until}}
        .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<User> user_from_json(std::string_view text)
{
    CV_TRY(const json j, parse_json_document(text, "user document"));
    JsonFields r(j, fmt::format("user '{}'", label_of(j, "name")));
    User u;
    u.name = r.text("name");
    if (r.error().empty())
        if (auto ok = check_user_name(u.name); !ok)
            r.problem("name", ok.error().message());
    u.roles = r.names<Role>("roles", parse_role, "role");
    if (r.error().empty() && u.roles.empty())
        r.problem("roles", "a user needs at least one role");
    u.password_hash = r.text("password_hash");
    if (r.error().empty() && !u.password_hash.starts_with("$argon2id$"))
        r.problem("password_hash", "not an Argon2id hash");
    u.created = r.integer("created");
    u.created_by = r.text("created_by", false);
    u.password_changed = r.integer("password_changed", false);
    u.disabled = r.boolean("disabled");
    const std::int64_t failed = r.integer("failed_logins", false);
    if (failed < 0 || failed > 1'000'000)
        r.problem("failed_logins", "out of range");
    u.failed_logins = static_cast<std::uint32_t>(failed < 0 ? 0 : failed > 1'000'000 ? 1'000'000 : failed);
    u.locked_until = r.integer("locked_until", false);
    if (!r.error().empty())
        return fail(ErrorCode::Parse, r.error());
    return u;
}

std::string to_json(const StoredToken& t)
{
    const TokenInfo& i = t.info;
    return json{{"id", i.id},
                {"owner", i.owner},
                {"label", i.label},
                {"scopes", permission_names(i.scopes)},
                {"created", i.created},
                {"created_by", i.created_by},
                {"expires", i.expires},
                {"revoked", i.revoked ? json(*i.revoked) : json(nullptr)},
                {"revoked_by", i.revoked_by},
                {"secret_hash", t.secret_hash}}
        .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<StoredToken> token_from_json(std::string_view text)
{
    CV_TRY(const json j, parse_json_document(text, "token document"));
    JsonFields r(j, fmt::format("token '{}'", label_of(j, "id")));
    StoredToken t;
    TokenInfo& i = t.info;
    i.id = r.text("id");
    if (r.error().empty() && !is_lower_hex(i.id, 16))
        r.problem("id", "expected 16 lowercase hex digits");
    i.owner = r.text("owner");
    if (r.error().empty())
        if (auto ok = check_user_name(i.owner); !ok)
            r.problem("owner", ok.error().message());
    i.label = r.text("label", false);
    i.scopes = r.names<Permission>("scopes", parse_permission, "permission");
    if (r.error().empty() && i.scopes.empty())
        r.problem("scopes", "a token needs at least one scope");
    i.created = r.integer("created");
    i.created_by = r.text("created_by", false);
    i.expires = r.integer("expires");
    i.revoked = r.maybe_integer("revoked");
    i.revoked_by = r.text("revoked_by", false);
    t.secret_hash = r.text("secret_hash");
    if (r.error().empty() && !is_lower_hex(t.secret_hash, 64))
        r.problem("secret_hash", "expected 64 lowercase hex digits");
    if (!r.error().empty())
        return fail(ErrorCode::Parse, r.error());
    return t;
}

}  // namespace cv::auth::detail

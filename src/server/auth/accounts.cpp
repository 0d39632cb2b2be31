// Users and API tokens as sealed, journaled archive documents; passwords and logins.

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include "core/utf8.hpp"
#include "server/auth/auth.hpp"
#include "server/auth/detail/documents.hpp"
#include "server/auth/detail/secrets.hpp"

namespace cv::auth {

using json = nlohmann::json;
using detail::kTokenKind;
using detail::kUserKind;
using detail::StoredToken;

namespace {

constexpr std::string_view kTokenPrefix = "cvt_";
constexpr std::size_t kTokenIdHex = 16;      // 64 bits: an id, not a secret
constexpr std::size_t kTokenSecretHex = 64;  // 256 bits
constexpr std::string_view kTokenHashPurpose = "chatvault.auth.token.v1";

archive::AuditEvent event(std::string_view actor, std::int64_t now, std::string_view action,
                          const json& parameters)
{
    // The journal keeps the actor as JSON text, which must be UTF-8 (an --actor given as raw
    // bytes would otherwise make the archive throw).
    return archive::AuditEvent{utf8::sanitize(actor), now, std::string(action),
                               parameters.dump(-1, ' ', false, json::error_handler_t::replace), std::nullopt};
}

/// Roles once each, in declaration order (so that documents and audit entries compare).
std::vector<Role> normalized(std::span<const Role> roles)
{
    std::vector<Role> out(roles.begin(), roles.end());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<Permission> normalized(std::span<const Permission> scopes)
{
    std::vector<Permission> out(scopes.begin(), scopes.end());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

bool enabled_admin(const User& u)
{
    return !u.disabled &&
           std::find(u.roles.begin(), u.roles.end(), Role::OrganizationManagement) != u.roles.end();
}

bool is_lower_hex(std::string_view s)
{
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

/// Text that goes into an audit entry from outside (a remote address): bounded, valid UTF-8.
std::string bounded(std::string_view s, std::size_t max)
{
    return utf8::sanitize(s.substr(0, max));
}

Result<void> check_roles(std::span<const Role> roles)
{
    if (roles.empty())
        return fail(ErrorCode::InvalidArgument, "roles: a user needs at least one role");
    return {};
}

}  // namespace

// ---- passwords -----------------------------------------------------------------------------

std::string Accounts::hash_password(std::string_view password)
{
    if (!detail::sodium_ready())
        return {};
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return {};  // out of memory
    return out;
}

Result<PasswordHash> Accounts::prepare_password(std::string_view user, std::string_view password)
{
    if (password.size() > kMaxPasswordBytes)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("password: longer than {} bytes", kMaxPasswordBytes));
    if (utf8::first_invalid(password) != std::string_view::npos)
        return fail(ErrorCode::InvalidArgument, "password: not valid UTF-8");
    std::size_t code_points = 0;
    for (std::size_t i = 0, len = 0; i < password.size(); i += len) {
        utf8::decode(password, i, len);
        ++code_points;
    }
    // NIST SP 800-63B: length, not composition rules; and no password that is obviously
    // guessable from the account itself.
    if (code_points < kMinPasswordLength)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("password: at least {} characters (a passphrase of a few words is fine)",
                                kMinPasswordLength));
    std::string lower(password);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    if (!user.empty() && lower == user)
        return fail(ErrorCode::InvalidArgument, "password: must not be the user name");
    std::string hash = hash_password(password);
    if (hash.empty())
        return fail(ErrorCode::Io, "password: cannot hash it (out of memory?)");
    return PasswordHash(std::move(hash));
}

bool Accounts::check_password(const User& user, std::string_view password)
{
    if (!detail::sodium_ready())
        return false;
    const bool ok =
        crypto_pwhash_str_verify(user.password_hash.c_str(), password.data(), password.size()) == 0;
    return ok && !user.disabled;
}

bool Accounts::verify_login(const std::optional<User>& user, std::string_view password)
{
    if (user)
        return check_password(*user, password);
    if (detail::sodium_ready()) {
        const std::string dummy(detail::dummy_hash());
        // The answer is ignored: this is here to take the time a real check takes.
        [[maybe_unused]] const int rc =
            crypto_pwhash_str_verify(dummy.c_str(), password.data(), password.size());
    }
    return false;
}

std::string Accounts::generate_password()
{
    // No 0/O, 1/l/I: read from a screen and typed in once.
    static constexpr std::string_view kAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    static_assert(kAlphabet.size() == 56);
    detail::sodium_ready();
    std::string out;
    for (int i = 0; i < 20; ++i)
        out += kAlphabet[randombytes_uniform(static_cast<std::uint32_t>(kAlphabet.size()))];
    return out;
}

// ---- users ---------------------------------------------------------------------------------

Result<std::vector<User>> Accounts::users()
{
    CV_TRY(const auto docs, archive_.documents(kUserKind));
    std::vector<User> out;
    for (const auto& d : docs) {
        CV_TRY(auto u, detail::user_from_json(d.json));
        out.push_back(std::move(u));
    }
    return out;
}

Result<std::optional<User>> Accounts::user(std::string_view name)
{
    if (!check_user_name(name))
        return std::optional<User>();
    CV_TRY(const auto doc, archive_.document(kUserKind, name));
    if (!doc)
        return std::optional<User>();
    CV_TRY(auto u, detail::user_from_json(doc->json));
    if (u.name != name)
        return fail(ErrorCode::Parse, fmt::format("user '{}': name: the document says '{}'", name, u.name));
    return std::optional<User>(std::move(u));
}

Result<void> Accounts::keep_an_administrator(std::string_view changing, const std::optional<User>& after)
{
    CV_TRY(const auto all, users());
    std::size_t before_count = 0;
    std::size_t after_count = 0;
    for (const auto& u : all) {
        before_count += enabled_admin(u) ? 1 : 0;
        if (u.name != changing)
            after_count += enabled_admin(u) ? 1 : 0;
    }
    if (after && enabled_admin(*after))
        ++after_count;
    // An archive that has no administrator yet (its first user is an auditor, say) is not
    // made worse by any change; one that has must keep one, or nobody could manage users from
    // the console (the CLI, with the archive folder, always can).
    if (before_count > 0 && after_count == 0)
        return fail(ErrorCode::Refused,
                    fmt::format("user '{}' is the last enabled {} user: add another first", changing,
                                display_name(Role::OrganizationManagement)));
    return {};
}

Result<void> Accounts::add_user(std::string_view name, std::span<const Role> roles,
                                const PasswordHash& password, std::string_view actor, std::int64_t now)
{
    CV_TRY_VOID(check_user_name(name));
    CV_TRY_VOID(check_roles(roles));
    CV_TRY(const auto existing, user(name));
    if (existing)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("user name '{}': there is already such a user", name));
    User u;
    u.name = std::string(name);
    u.roles = normalized(roles);
    u.password_hash = password.encoded();
    u.created = now;
    u.created_by = std::string(actor);
    u.password_changed = now;
    const json parameters{{"user", u.name}, {"roles", detail::role_names(u.roles)}};
    CV_TRY_VOID(archive_.put_document(kUserKind, name, detail::to_json(u),
                                      event(actor, now, "user.add", parameters)));
    return {};
}

Result<void> Accounts::add_user(std::string_view name, std::span<const Role> roles, std::string_view password,
                                std::string_view actor, std::int64_t now)
{
    // The cheap checks first: no hashing for a request that is refused anyway.
    CV_TRY_VOID(check_user_name(name));
    CV_TRY_VOID(check_roles(roles));
    CV_TRY(const auto existing, user(name));
    if (existing)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("user name '{}': there is already such a user", name));
    CV_TRY(const auto hash, prepare_password(name, password));
    return add_user(name, roles, hash, actor, now);
}

Result<void> Accounts::set_roles(std::string_view name, std::span<const Role> roles, std::string_view actor,
                                 std::int64_t now)
{
    CV_TRY_VOID(check_roles(roles));
    CV_TRY(auto u, user(name));
    if (!u)
        return fail(ErrorCode::NotFound, fmt::format("no user '{}'", name));
    User after = *u;
    after.roles = normalized(roles);
    CV_TRY_VOID(keep_an_administrator(name, after));
    const json parameters{{"user", after.name},
                          {"before", detail::role_names(u->roles)},
                          {"after", detail::role_names(after.roles)}};
    CV_TRY_VOID(archive_.put_document(kUserKind, name, detail::to_json(after),
                                      event(actor, now, "user.role", parameters)));
    return {};
}

Result<void> Accounts::set_password(std::string_view name, const PasswordHash& password,
                                    std::string_view actor, std::int64_t now)
{
    CV_TRY(auto u, user(name));
    if (!u)
        return fail(ErrorCode::NotFound, fmt::format("no user '{}'", name));
    u->password_hash = password.encoded();
    u->password_changed = now;
    const bool was_locked = u->locked_until > now;
    u->failed_logins = 0;
    u->locked_until = 0;
    const json parameters{{"user", u->name}, {"unlocked", was_locked}};
    CV_TRY_VOID(archive_.put_document(kUserKind, name, detail::to_json(*u),
                                      event(actor, now, "user.password", parameters)));
    return {};
}

Result<void> Accounts::set_password(std::string_view name, std::string_view password, std::string_view actor,
                                    std::int64_t now)
{
    CV_TRY(const auto u, user(name));
    if (!u)
        return fail(ErrorCode::NotFound, fmt::format("no user '{}'", name));
    CV_TRY(const auto hash, prepare_password(name, password));
    return set_password(name, hash, actor, now);
}

Result<void> Accounts::set_disabled(std::string_view name, bool disabled, std::string_view actor,
                                    std::int64_t now)
{
    CV_TRY(auto u, user(name));
    if (!u)
        return fail(ErrorCode::NotFound, fmt::format("no user '{}'", name));
    if (u->disabled == disabled)
        return {};
    u->disabled = disabled;
    if (disabled) {
        CV_TRY_VOID(keep_an_administrator(name, u));
    } else {
        // Enabled again: a fresh start, as after a new password.
        u->failed_logins = 0;
        u->locked_until = 0;
    }
    const json parameters{{"user", u->name}};
    CV_TRY_VOID(
        archive_.put_document(kUserKind, name, detail::to_json(*u),
                              event(actor, now, disabled ? "user.disable" : "user.enable", parameters)));
    return {};
}

Result<void> Accounts::remove_user(std::string_view name, std::string_view actor, std::int64_t now)
{
    CV_TRY(const auto u, user(name));
    if (!u)
        return fail(ErrorCode::NotFound, fmt::format("no user '{}'", name));
    CV_TRY_VOID(keep_an_administrator(name, std::nullopt));
    // Tokens first: were the removal to fail halfway, no token is left to revive under a new
    // user of the same name.
    CV_TRY(const auto owned, tokens(std::string(name)));
    for (const auto& t : owned)
        if (!t.revoked) {
            CV_TRY_VOID(revoke_token(t.id, actor, now));
        }
    const json parameters{{"user", u->name}, {"roles", detail::role_names(u->roles)}};
    CV_TRY_VOID(archive_.put_document(kUserKind, name, "", event(actor, now, "user.remove", parameters)));
    return {};
}

Result<std::optional<Principal>> Accounts::refresh(const Principal& principal,
                                                   std::optional<std::int64_t> session_created)
{
    CV_TRY(const auto u, user(principal.user));
    if (!u || u->disabled || (session_created && u->password_changed > *session_created))
        return std::optional<Principal>();
    return std::optional<Principal>(Principal{u->name, u->roles, principal.token_scopes});
}

// ---- logins --------------------------------------------------------------------------------

Result<LoginOutcome> Accounts::record_login(std::string_view name, bool password_ok, std::string_view remote,
                                            std::int64_t now)
{
    const bool valid_name = static_cast<bool>(check_user_name(name));
    const std::string actor = valid_name ? std::string(name) : std::string("-");
    std::optional<User> u;
    if (valid_name) {
        CV_TRY(u, user(name));
    }
    // Every failure has these three parameters, whatever its reason, so that an unknown name
    // leaves the entry a wrong password leaves.
    auto failure = [&](std::string_view reason) {
        return json{{"user", actor}, {"remote", bounded(remote, 128)}, {"reason", reason}};
    };
    LoginOutcome out;
    if (!u) {
        CV_TRY_VOID(archive_.audit(event(actor, now, "login.failed", failure("bad credentials"))));
        out.status = LoginOutcome::Status::BadCredentials;
        return out;
    }
    if (u->locked_until > now) {
        CV_TRY_VOID(archive_.audit(event(actor, now, "login.failed", failure("locked"))));
        out.status = LoginOutcome::Status::Locked;
        out.locked_until = u->locked_until;
        return out;
    }
    if (u->disabled) {
        CV_TRY_VOID(archive_.audit(event(actor, now, "login.failed", failure("disabled"))));
        out.status = LoginOutcome::Status::BadCredentials;
        return out;
    }
    if (password_ok) {
        const json parameters{{"user", actor}, {"remote", bounded(remote, 128)}};
        if (u->failed_logins != 0 || u->locked_until != 0) {
            u->failed_logins = 0;
            u->locked_until = 0;
            CV_TRY_VOID(archive_.put_document(kUserKind, name, detail::to_json(*u),
                                              event(actor, now, "login", parameters)));
        } else {
            CV_TRY_VOID(archive_.audit(event(actor, now, "login", parameters)));
        }
        out.status = LoginOutcome::Status::Ok;
        out.principal = Principal{u->name, u->roles, std::nullopt};
        return out;
    }
    ++u->failed_logins;
    if (u->failed_logins >= kMaxFailedLogins) {
        u->failed_logins = 0;
        u->locked_until = now + kLockSeconds;
        json parameters = failure("bad credentials");
        parameters["locked_until"] = u->locked_until;
        CV_TRY_VOID(archive_.put_document(kUserKind, name, detail::to_json(*u),
                                          event(actor, now, "login.locked", parameters)));
        out.status = LoginOutcome::Status::Locked;
        out.locked_until = u->locked_until;
        return out;
    }
    CV_TRY_VOID(archive_.put_document(kUserKind, name, detail::to_json(*u),
                                      event(actor, now, "login.failed", failure("bad credentials"))));
    out.status = LoginOutcome::Status::BadCredentials;
    return out;
}

// ---- API tokens ----------------------------------------------------------------------------

Result<std::vector<TokenInfo>> Accounts::tokens(std::optional<std::string> owner)
{
    CV_TRY(const auto docs, archive_.documents(kTokenKind));
    std::vector<TokenInfo> out;
    for (const auto& d : docs) {
        CV_TRY(auto t, detail::token_from_json(d.json));
        if (!owner || t.info.owner == *owner)
            out.push_back(std::move(t.info));
    }
    return out;
}

Result<std::optional<TokenInfo>> Accounts::token(std::string_view id)
{
    if (id.size() != kTokenIdHex || !is_lower_hex(id))
        return std::optional<TokenInfo>();
    CV_TRY(const auto doc, archive_.document(kTokenKind, id));
    if (!doc)
        return std::optional<TokenInfo>();
    CV_TRY(auto t, detail::token_from_json(doc->json));
    return std::optional<TokenInfo>(std::move(t.info));
}

Result<IssuedToken> Accounts::create_token(std::string_view owner, std::string_view label,
                                           std::span<const Permission> scopes, std::int64_t expires,
                                           std::string_view actor, std::int64_t now)
{
    CV_TRY(const auto u, user(owner));
    if (!u)
        return fail(ErrorCode::NotFound, fmt::format("no user '{}'", owner));
    if (u->disabled)
        return fail(ErrorCode::Refused, fmt::format("user '{}' is disabled", owner));
    if (scopes.empty())
        return fail(ErrorCode::InvalidArgument, "scopes: a token needs at least one scope");
    const auto wanted = normalized(scopes);
    for (const Permission p : wanted)
        if (!std::any_of(u->roles.begin(), u->roles.end(), [p](Role r) { return role_allows(r, p); }))
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("scope '{}': not allowed to {} by their roles ({})", to_string(p), owner,
                                    fmt::join(detail::role_names(u->roles), ", ")));
    if (expires <= now)
        return fail(ErrorCode::InvalidArgument, "expires: must be in the future");
    if (expires - now > kMaxTokenLifetime)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("expires: at most {} days ahead", kMaxTokenLifetime / 86400));
    if (label.size() > kMaxTokenLabel)
        return fail(ErrorCode::InvalidArgument, fmt::format("label: longer than {} bytes", kMaxTokenLabel));
    if (utf8::first_invalid(label) != std::string_view::npos ||
        std::any_of(label.begin(), label.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
        return fail(ErrorCode::InvalidArgument, "label: not printable UTF-8 text");

    std::string id;
    for (int attempt = 0; attempt < 8 && id.empty(); ++attempt) {
        std::string candidate = detail::random_hex(kTokenIdHex / 2);
        CV_TRY(const auto taken, archive_.document(kTokenKind, candidate));
        if (!taken)
            id = std::move(candidate);
    }
    if (id.empty())
        return fail(ErrorCode::Internal, "cannot find a free token id");  // 8 collisions of 64 random bits

    StoredToken t;
    t.info = TokenInfo{id,           u->name, std::string(label), wanted, now, std::string(actor), expires,
                       std::nullopt, {}};
    std::string secret = detail::random_hex(kTokenSecretHex / 2);
    t.secret_hash = detail::keyed_hash_hex(kTokenHashPurpose, secret);
    IssuedToken issued{t.info, fmt::format("{}{}_{}", kTokenPrefix, id, secret)};
    sodium_memzero(secret.data(), secret.size());

    const json parameters{{"id", id},
                          {"owner", t.info.owner},
                          {"label", t.info.label},
                          {"scopes", detail::permission_names(t.info.scopes)},
                          {"expires", expires}};
    CV_TRY_VOID(archive_.put_document(kTokenKind, id, detail::to_json(t),
                                      event(actor, now, "token.create", parameters)));
    return issued;
}

Result<void> Accounts::revoke_token(std::string_view id, std::string_view actor, std::int64_t now)
{
    std::optional<archive::Document> doc;
    if (id.size() == kTokenIdHex && is_lower_hex(id)) {
        CV_TRY(doc, archive_.document(kTokenKind, id));
    }
    if (!doc)
        return fail(ErrorCode::NotFound, fmt::format("no token '{}'", id));
    CV_TRY(auto t, detail::token_from_json(doc->json));
    if (t.info.revoked)
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("token '{}' was already revoked by {}", id, t.info.revoked_by));
    t.info.revoked = now;
    t.info.revoked_by = std::string(actor);
    const json parameters{{"id", t.info.id}, {"owner", t.info.owner}, {"label", t.info.label}};
    CV_TRY_VOID(archive_.put_document(kTokenKind, id, detail::to_json(t),
                                      event(actor, now, "token.revoke", parameters)));
    return {};
}

Result<std::optional<Principal>> Accounts::authenticate_token(std::string_view bearer, std::int64_t now)
{
    const std::optional<Principal> none;
    // "cvt_" 16 hex "_" 64 hex
    if (bearer.size() != kTokenPrefix.size() + kTokenIdHex + 1 + kTokenSecretHex ||
        !bearer.starts_with(kTokenPrefix))
        return none;
    const std::string_view id = bearer.substr(kTokenPrefix.size(), kTokenIdHex);
    const std::string_view secret = bearer.substr(kTokenPrefix.size() + kTokenIdHex + 1);
    if (bearer[kTokenPrefix.size() + kTokenIdHex] != '_' || !is_lower_hex(id) || !is_lower_hex(secret))
        return none;
    CV_TRY(const auto doc, archive_.document(kTokenKind, id));
    if (!doc)
        return none;
    CV_TRY(const auto t, detail::token_from_json(doc->json));
    if (!detail::equal_constant_time(detail::keyed_hash_hex(kTokenHashPurpose, secret), t.secret_hash))
        return none;
    if (t.info.revoked || now >= t.info.expires)
        return none;
    CV_TRY(const auto owner, user(t.info.owner));
    if (!owner || owner->disabled)
        return none;
    return std::optional<Principal>(Principal{owner->name, owner->roles, t.info.scopes});
}

}  // namespace cv::auth

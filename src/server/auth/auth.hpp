#pragma once
/// Accounts, roles and credentials for the HTTP service (`chatvault serve`) and the CLI verbs
/// `chatvault user …` and `chatvault token …`.
///
/// There is no default account and no default password: `chatvault user add NAME --role
/// organization-management` creates the first administrator. Passwords are kept only as
/// Argon2id hashes; API tokens only as a hash of their 256-bit secret. Users and tokens are
/// documents in the archive (kinds "user" and "token"), sealed with the archive key, and every
/// change — and every login, good or bad — is an audit event in the archive's hash-chained
/// journal. No audit event ever carries a password, a hash or a token secret.
///
/// Locking: `Accounts` works on an `archive::Archive`, which is not thread-safe; the server
/// calls it while holding its archive mutex. The slow parts (Argon2id) are static functions
/// that touch no archive, to be called without that lock:
///
///     auto user = accounts.user(name);                         // under the lock
///     bool ok = Accounts::verify_login(*user, password);       // without it (~0.1 s)
///     auto outcome = accounts.record_login(name, ok, remote, now);  // under the lock
///
/// and `Accounts::prepare_password()` (hashes) before `add_user` / `set_password`.
/// `Sessions` and `LoginThrottle` are in memory and thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "archive/archive.hpp"
#include "core/result.hpp"

namespace cv::auth {

// ---- roles and permissions ------------------------------------------------------------------

/// The role groups, after Microsoft Purview's. A user has one or more.
enum class Role {
    OrganizationManagement,   ///< everything, including users
    MailboxImportExport,      ///< connectors (create, edit, delete, run) and quarantine
    ComplianceAdministrator,  ///< holds and retention
    EDiscoveryManager,        ///< cases, search, items, export
    Reviewer,                 ///< reviews the cases they are assigned to
    Auditor,                  ///< reads the audit trail
};

/// Every role, in declaration order.
inline constexpr Role kRoles[] = {Role::OrganizationManagement,
                                  Role::MailboxImportExport,
                                  Role::ComplianceAdministrator,
                                  Role::EDiscoveryManager,
                                  Role::Reviewer,
                                  Role::Auditor};

/// "organization-management", "mailbox-import-export", "compliance-administrator",
/// "ediscovery-manager", "reviewer", "auditor".
std::string_view to_string(Role role);
/// "Organization Management", "Mailbox Import Export", … (for people).
std::string_view display_name(Role role);
/// The to_string() spelling, exactly.
std::optional<Role> parse_role(std::string_view text);

/// What an HTTP route requires. Each is granted by role_allows()'s table and nothing else.
enum class Permission {
    ConnectorsRead,
    ConnectorsManage,  ///< create, edit, delete connectors
    ConnectorsRun,
    QuarantineRead,
    QuarantineManage,  ///< retry, refile
    HoldsRead,
    HoldsManage,
    RetentionRead,
    RetentionManage,  ///< policies
    RetentionApply,   ///< run --apply: disposes of items
    CasesRead,
    CasesManage,
    Search,
    ItemsRead,  ///< an item's content; for a Reviewer only items of their cases (the server checks)
    Export,
    ReviewAssignedCases,
    AuditRead,
    UsersRead,
    UsersManage,
    TokensOwn,    ///< create, list and revoke one's own API tokens
    MetricsRead,  ///< operational counters (/metrics): counts and timings, no content
};

/// Every permission, in declaration order.
inline constexpr Permission kPermissions[] = {Permission::ConnectorsRead,   Permission::ConnectorsManage,
                                              Permission::ConnectorsRun,    Permission::QuarantineRead,
                                              Permission::QuarantineManage, Permission::HoldsRead,
                                              Permission::HoldsManage,      Permission::RetentionRead,
                                              Permission::RetentionManage,  Permission::RetentionApply,
                                              Permission::CasesRead,        Permission::CasesManage,
                                              Permission::Search,           Permission::ItemsRead,
                                              Permission::Export,           Permission::ReviewAssignedCases,
                                              Permission::AuditRead,        Permission::UsersRead,
                                              Permission::UsersManage,      Permission::TokensOwn,
                                              Permission::MetricsRead};

/// "connectors.read", "connectors.manage", "connectors.run", "quarantine.read",
/// "quarantine.manage", "holds.read", "holds.manage", "retention.read", "retention.manage",
/// "retention.apply", "cases.read", "cases.manage", "search", "items.read", "export",
/// "review.assigned", "audit.read", "users.read", "users.manage", "tokens.own", "metrics.read".
std::string_view to_string(Permission permission);
/// The to_string() spelling, exactly.
std::optional<Permission> parse_permission(std::string_view text);

/// Whether a role grants a permission. One table (auth.cpp), deny by default:
///
/// | role                     | permissions                                                   |
/// |--------------------------|---------------------------------------------------------------|
/// | Organization Management  | every permission                                              |
/// | Mailbox Import Export    | connectors.read/manage/run, quarantine.read/manage,           |
/// |                          | tokens.own, metrics.read                                      |
/// | Compliance Administrator | holds.read/manage, retention.read/manage/apply, tokens.own    |
/// | eDiscovery Manager       | cases.read/manage, search, items.read, export, tokens.own     |
/// | Reviewer                 | review.assigned, items.read (their cases only)                |
/// | Auditor                  | audit.read, tokens.own                                        |
///
/// tokens.own: a token never carries more than its owner's roles allow (create_token refuses
/// it, and Principal::may checks the roles again), so it adds no reach, only a way in for
/// scripts — an auditor feeding a SIEM, an importer's cron job. Reviewers (often outside
/// counsel) review in the console only. metrics.read: counts and timings of imports and
/// connectors — for those who run the service (Organization Management, Mailbox Import
/// Export); a monitoring system gets a token scoped to metrics.read alone.
bool role_allows(Role role, Permission permission);

/// Who is making a request, once authenticated.
struct Principal {
    std::string user;
    std::vector<Role> roles;  ///< the user's roles when authenticated
    /// Set when authenticated by an API token: the token's scopes, which narrow the roles.
    std::optional<std::vector<Permission>> token_scopes;

    /// Some role allows `p` and, for a token, `p` is one of its scopes.
    bool may(Permission p) const;
    friend bool operator==(const Principal&, const Principal&) = default;
};

// ---- users and tokens -----------------------------------------------------------------------

/// A user as stored (document kind "user", id = name).
struct User {
    std::string name;
    std::vector<Role> roles;
    std::string password_hash;  ///< Argon2id, libsodium's "$argon2id$v=19$m=…,t=…,p=…$salt$hash"
    std::int64_t created = 0;   ///< UTC Unix seconds
    std::string created_by;
    std::int64_t password_changed = 0;
    bool disabled = false;
    std::uint32_t failed_logins = 0;  ///< consecutive, since the last good login or lock
    std::int64_t locked_until = 0;    ///< no login before this (0: not locked)
    friend bool operator==(const User&, const User&) = default;
};

/// An API token as `tokens()` lists it (never its secret or the secret's hash).
struct TokenInfo {
    std::string id;  ///< 16 lowercase hex digits; the part of the token that is not secret
    std::string owner;
    std::string label;
    std::vector<Permission> scopes;
    std::int64_t created = 0;
    std::string created_by;
    std::int64_t expires = 0;             ///< not valid at or after this instant
    std::optional<std::int64_t> revoked;  ///< when, if revoked
    std::string revoked_by;
    friend bool operator==(const TokenInfo&, const TokenInfo&) = default;
};

/// A token just created: `token` is shown once and never kept.
struct IssuedToken {
    TokenInfo info;
    std::string token;  ///< "cvt_<id>_<64 hex digits of secret>"
};

/// A password that passed the policy and is hashed, ready for add_user / set_password. Made
/// only by Accounts::prepare_password, so an unchecked password cannot be stored.
class PasswordHash {
public:
    const std::string& encoded() const { return encoded_; }

private:
    friend class Accounts;
    explicit PasswordHash(std::string encoded) : encoded_(std::move(encoded)) {}
    std::string encoded_;
};

/// What record_login decided. The server must answer BadCredentials and Locked alike (one
/// message, one status): a name that does not exist never locks, so telling them apart would
/// tell an attacker which names exist.
struct LoginOutcome {
    enum class Status { Ok, BadCredentials, Locked };
    Status status = Status::BadCredentials;
    std::optional<Principal> principal;  ///< when Ok
    std::int64_t locked_until = 0;       ///< when Locked
};

/// Limits, fixed here so that the tests and the documentation agree.
inline constexpr std::size_t kMinPasswordLength = 12;  ///< code points (NIST SP 800-63B §5.1.1.2)
inline constexpr std::size_t kMaxPasswordBytes = 1024;
inline constexpr std::size_t kMaxUserName = 64;
inline constexpr std::uint32_t kMaxFailedLogins = 5;  ///< then locked for kLockSeconds
inline constexpr std::int64_t kLockSeconds = 15 * 60;
inline constexpr std::int64_t kMaxTokenLifetime = 366 * 86400;
inline constexpr std::size_t kMaxTokenLabel = 100;

/// A user name: 1–64 of a-z 0-9 . _ @ -, starting with a letter or digit. Errors:
/// InvalidArgument naming the field ("user name 'Ana': …").
Result<void> check_user_name(std::string_view name);

/// Users and API tokens kept in an open archive. Every mutating call takes who acts and when,
/// and is audited in the transaction that makes the change. Not thread-safe (the archive is
/// not): hold the archive's lock around every call except the static ones.
class Accounts {
public:
    explicit Accounts(archive::Archive& archive) : archive_(archive) {}

    // ---- passwords (static: no archive, safe to call without the lock) ----

    /// Checks the policy (at least 12 code points, at most 1024 bytes, valid UTF-8, not the
    /// user name) and hashes with Argon2id (libsodium crypto_pwhash_str_alg, ALG_ARGON2ID13,
    /// OPSLIMIT_INTERACTIVE and MEMLIMIT_INTERACTIVE: 2 passes over 64 MiB, ~0.1 s here). Not
    /// MODERATE (256 MiB, ~0.5 s): a login endpoint anyone can reach must not let ten
    /// concurrent guesses take 2.5 GiB; INTERACTIVE is above OWASP's minimum for Argon2id
    /// (19 MiB, 2 passes), and the lockout and throttle bound the guesses. Slow. Errors:
    /// InvalidArgument naming the field ("password: …").
    static Result<PasswordHash> prepare_password(std::string_view user, std::string_view password);
    /// The Argon2id hash of a password, without the policy check. Slow.
    static std::string hash_password(std::string_view password);
    /// crypto_pwhash_str_verify. False for a disabled user (after the same work). Slow.
    static bool check_password(const User& user, std::string_view password);
    /// check_password for a login: for an unknown user (nullopt) it verifies against a fixed
    /// dummy hash of the same cost and returns false, so that an unknown name takes as long as
    /// a wrong password. Slow.
    static bool verify_login(const std::optional<User>& user, std::string_view password);
    /// A strong random password (20 characters from 56 unambiguous letters and digits, about
    /// 116 bits), for `user add` without --password-stdin.
    static std::string generate_password();

    // ---- users ----

    /// Adds a user with at least one role. Audited as "user.add". Errors: InvalidArgument
    /// (name, roles, password, or the name is taken).
    Result<void> add_user(std::string_view name, std::span<const Role> roles, const PasswordHash& password,
                          std::string_view actor, std::int64_t now);
    /// add_user hashing here: slow, for the CLI (which holds no lock others wait on).
    Result<void> add_user(std::string_view name, std::span<const Role> roles, std::string_view password,
                          std::string_view actor, std::int64_t now);
    /// Replaces a user's roles (at least one). Audited as "user.role" with before and after.
    /// Errors: NotFound, InvalidArgument, Refused (it would leave no enabled Organization
    /// Management user). The server must Sessions::remove_user afterwards.
    Result<void> set_roles(std::string_view name, std::span<const Role> roles, std::string_view actor,
                           std::int64_t now);
    /// Sets a new password and clears a lockout. Audited as "user.password". Errors: NotFound.
    /// The server must Sessions::remove_user afterwards.
    Result<void> set_password(std::string_view name, const PasswordHash& password, std::string_view actor,
                              std::int64_t now);
    /// set_password hashing here (slow, for the CLI). Errors: also InvalidArgument (policy).
    Result<void> set_password(std::string_view name, std::string_view password, std::string_view actor,
                              std::int64_t now);
    /// Disables (or enables again) a user: no login, no token works. Audited as
    /// "user.disable" / "user.enable". Errors: NotFound, Refused (the last enabled Organization
    /// Management user).
    Result<void> set_disabled(std::string_view name, bool disabled, std::string_view actor, std::int64_t now);
    Result<void> disable_user(std::string_view name, std::string_view actor, std::int64_t now)
    {
        return set_disabled(name, true, actor, now);
    }
    Result<void> enable_user(std::string_view name, std::string_view actor, std::int64_t now)
    {
        return set_disabled(name, false, actor, now);
    }
    /// Removes a user and revokes their tokens (a user of the same name made later does not
    /// inherit them). Audited as "user.remove" (and "token.revoke" for each token). Errors:
    /// NotFound, Refused (the last enabled Organization Management user).
    Result<void> remove_user(std::string_view name, std::string_view actor, std::int64_t now);
    /// Every user, by name. Errors: Parse (a damaged document, naming the field).
    Result<std::vector<User>> users();
    Result<std::optional<User>> user(std::string_view name);

    /// Records a login attempt after verify_login, and decides. A user locked at `now` stays
    /// refused whatever the password; the kMaxFailedLogins-th consecutive failure locks the
    /// user for kLockSeconds ("login.locked"); a good password clears the count ("login").
    /// Every failure is audited as "login.failed" with {user, remote, reason}: an unknown or
    /// malformed name exactly as a wrong password (actor: the name tried, or "-" when it is not
    /// a valid user name, so that nothing arbitrary lands in the journal).
    Result<LoginOutcome> record_login(std::string_view name, bool password_ok, std::string_view remote,
                                      std::int64_t now);

    // ---- API tokens ----

    /// Creates a token for `owner` (an enabled user). Scopes: at least one, each allowed by the
    /// owner's roles. `expires`: after `now`, at most kMaxTokenLifetime ahead. The secret is 32
    /// bytes from randombytes_buf, stored only as its BLAKE2b-256 hash: a 256-bit random
    /// secret cannot be guessed, so a slow hash (Argon2) would add nothing but ~0.1 s and 64 MiB
    /// to every API request. Audited as "token.create" (id, owner, label, scopes, expiry).
    /// Errors: NotFound (owner), InvalidArgument (scopes, expiry, label).
    Result<IssuedToken> create_token(std::string_view owner, std::string_view label,
                                     std::span<const Permission> scopes, std::int64_t expires,
                                     std::string_view actor, std::int64_t now);
    /// Revokes a token (kept on record). Audited as "token.revoke". Errors: NotFound,
    /// InvalidArgument (already revoked).
    Result<void> revoke_token(std::string_view id, std::string_view actor, std::int64_t now);
    /// Tokens (every one, or one owner's), by id; revoked and expired ones included.
    Result<std::vector<TokenInfo>> tokens(std::optional<std::string> owner = std::nullopt);
    Result<std::optional<TokenInfo>> token(std::string_view id);
    /// The principal a bearer token stands for at `now`: nullopt when it is malformed, unknown,
    /// wrong (the hash compared in constant time), expired, revoked, or its owner is gone or
    /// disabled. The roles are the owner's today. Fast (one hash). Not audited (every API
    /// request would be); the server audits what the request does.
    Result<std::optional<Principal>> authenticate_token(std::string_view bearer, std::int64_t now);

    /// The principal as its user stands now, for a session or token principal authenticated
    /// earlier: the roles re-read; nullopt when the user is gone or disabled, or — for a session
    /// created at `session_created` — the password was changed after it. Lets the server honour
    /// at once a change made by `chatvault user …` (another process, which cannot reach its
    /// in-memory sessions). One document read; token scopes kept.
    Result<std::optional<Principal>> refresh(const Principal& principal,
                                             std::optional<std::int64_t> session_created);

private:
    /// Refuses a change that leaves no enabled Organization Management user.
    Result<void> keep_an_administrator(std::string_view changing, const std::optional<User>& after);
    archive::Archive& archive_;
};

// ---- sessions, throttling, headers (in memory, for the server) -------------------------------

/// Console sessions, in memory: a restart logs everyone out. Thread-safe.
class Sessions {
public:
    inline static constexpr std::int64_t kIdleSeconds = 30 * 60;
    inline static constexpr std::int64_t kAbsoluteSeconds = 12 * 3600;

    struct Session {
        std::string id;    ///< 256 random bits, base64url (the cookie value)
        std::string csrf;  ///< 256 random bits, base64url (sent back in a header)
        Principal principal;
        std::int64_t created = 0;
        std::int64_t last_seen = 0;
    };

    /// A new session for `principal`. Expired sessions are dropped here.
    Session create(Principal principal, std::int64_t now);
    /// The live session with this id, its last_seen moved to `now`; nullopt (and the session
    /// dropped) after kIdleSeconds without use or kAbsoluteSeconds after creation.
    std::optional<Session> find(std::string_view id, std::int64_t now);
    void remove(std::string_view id);
    /// Ends every session of a user (after a role change, disable, removal, new password).
    void remove_user(std::string_view user);
    std::size_t size() const;
    /// Whether a request's CSRF header matches its session's token (constant time).
    static bool csrf_matches(const Session& session, std::string_view header_value);

private:
    struct Entry {
        std::string csrf;
        Principal principal;
        std::int64_t created = 0;
        std::int64_t last_seen = 0;
    };
    void drop_expired(std::int64_t now);  // with mutex_ held
    mutable std::mutex mutex_;
    // Keyed by a hash of the id, so that a lookup's string comparisons reveal nothing of the
    // ids held (a timing side channel on std::map's compare).
    std::map<std::string, Entry, std::less<>> sessions_;
};

/// Login attempts per remote address, in memory, thread-safe: at most kAttempts in any
/// kWindowSeconds. Independent of the per-user lockout (which stops guessing one password;
/// this stops one address spraying many users).
class LoginThrottle {
public:
    inline static constexpr std::size_t kAttempts = 10;
    inline static constexpr std::int64_t kWindowSeconds = 60;

    /// Seconds until `remote` may try again, or nullopt if it may now.
    std::optional<std::int64_t> retry_after(std::string_view remote, std::int64_t now);
    /// Counts an attempt (call for every login request that was not refused by retry_after).
    void note_attempt(std::string_view remote, std::int64_t now);

private:
    void prune(std::int64_t now);  // with mutex_ held
    std::mutex mutex_;
    std::map<std::string, std::vector<std::int64_t>, std::less<>> attempts_;
    std::int64_t last_prune_ = 0;
    std::size_t prune_at_ = 10'000;
};

/// The value of cookie `name` in a Cookie request header (RFC 6265 §4.2: pairs separated by
/// ";", optional whitespace around them, a value optionally in double quotes, which are
/// removed); the first one if repeated. A view into `cookie_header`. Names compare exactly.
std::optional<std::string_view> cookie_value(std::string_view cookie_header, std::string_view name);
/// The token of an Authorization header "Bearer <token>" (RFC 6750 §2.1: scheme
/// case-insensitive, token of A-Z a-z 0-9 - . _ ~ + / then any "="). A view into the header.
std::optional<std::string_view> bearer_token(std::string_view authorization_header);

}  // namespace cv::auth

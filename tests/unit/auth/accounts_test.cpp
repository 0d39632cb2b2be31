// Accounts on a real archive in a temp folder: Argon2id hashes, the password policy, users and
// their audit trail, lockout and its release, an unknown name audited like a wrong password,
// API tokens (issue, authenticate, expire, revoke, owner disabled or removed, scopes beyond the
// owner's roles), the last administrator kept, documents read back with errors naming the
// field, and no password or token secret anywhere in the archive folder or the audit trail.

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include "server/auth/auth.hpp"
#include "server/auth/detail/documents.hpp"
#include "server/auth/detail/secrets.hpp"
#include "support/temp_dir.hpp"

namespace cv::auth {
namespace {

using json = nlohmann::json;
using P = Permission;

constexpr std::int64_t kT0 = 1'790'000'000;  // 2026-09-21
constexpr std::int64_t kDay = 86400;
constexpr std::string_view kPassword = "correct horse battery staple";
constexpr std::string_view kAdmin = "root-admin";

class AccountsTest : public testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(archive::Archive::create(dir_.path()));
        auto a = archive::Archive::open(dir_.path());
        ASSERT_TRUE(a) << a.error().describe();
        archive_.emplace(std::move(*a));
        accounts_.emplace(*archive_);
    }

    Accounts& accounts() { return *accounts_; }
    archive::Archive& archive() { return *archive_; }

    void add(std::string_view name, std::vector<Role> roles, std::string_view password = kPassword)
    {
        const auto r = accounts().add_user(name, roles, password, kAdmin, kT0);
        ASSERT_TRUE(r) << r.error().describe();
    }

    User get(std::string_view name)
    {
        auto u = accounts().user(name);
        EXPECT_TRUE(u) << u.error().describe();
        EXPECT_TRUE(u && *u) << name;
        return u && *u ? **u : User{};
    }

    std::vector<archive::AuditRecord> audit(std::optional<std::string> action = std::nullopt)
    {
        archive::AuditFilter f;
        f.action = std::move(action);
        auto log = archive().audit_log(f);
        EXPECT_TRUE(log) << log.error().describe();
        return log ? *log : std::vector<archive::AuditRecord>{};
    }

    /// A login as the server does it: read, verify, record.
    LoginOutcome login(std::string_view name, std::string_view password, std::int64_t now)
    {
        auto u = accounts().user(name);
        EXPECT_TRUE(u);
        const bool ok = Accounts::verify_login(u ? *u : std::nullopt, password);
        auto out = accounts().record_login(name, ok, "127.0.0.1", now);
        EXPECT_TRUE(out) << out.error().describe();
        return out ? *out : LoginOutcome{};
    }

    /// Every file of the archive folder, bytes, joined (with the archive closed first would be
    /// cleaner, but WAL contents are exactly what must not hold a secret either).
    std::string every_byte_on_disk()
    {
        std::string all;
        for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path()))
            if (e.is_regular_file())
                all += test::slurp(e.path());
        return all;
    }

    test::TempDir dir_;
    std::optional<archive::Archive> archive_;
    std::optional<Accounts> accounts_;
};

// ---- passwords ---------------------------------------------------------------------------------

TEST_F(AccountsTest, PasswordsAreArgon2idAndVerify)
{
    const auto h = Accounts::prepare_password("ana", kPassword);
    ASSERT_TRUE(h) << h.error().describe();
    EXPECT_TRUE(h->encoded().starts_with("$argon2id$v=19$")) << h->encoded();
    EXPECT_EQ(h->encoded().find(kPassword), std::string::npos);
    const auto again = Accounts::hash_password(kPassword);
    EXPECT_NE(again, h->encoded()) << "a fresh salt each time";
    User u;
    u.name = "ana";
    u.password_hash = h->encoded();
    EXPECT_TRUE(Accounts::check_password(u, kPassword));
    EXPECT_FALSE(Accounts::check_password(u, "correct horse battery stapl"));
    EXPECT_FALSE(Accounts::check_password(u, ""));
    u.disabled = true;
    EXPECT_FALSE(Accounts::check_password(u, kPassword)) << "a disabled user never passes";
    EXPECT_FALSE(Accounts::verify_login(std::nullopt, kPassword));
}

TEST_F(AccountsTest, DummyHashCostsWhatARealOneCosts)
{
    ASSERT_TRUE(detail::sodium_ready());
    const std::string dummy(detail::dummy_hash());
    EXPECT_TRUE(dummy.starts_with("$argon2id$"));
    EXPECT_EQ(crypto_pwhash_str_needs_rehash(dummy.c_str(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                             crypto_pwhash_MEMLIMIT_INTERACTIVE),
              0)
        << "the dummy hash's parameters must follow hash_password's";
    const std::string real = Accounts::hash_password("something long enough");
    EXPECT_EQ(dummy.substr(0, dummy.find('$', 20)), real.substr(0, real.find('$', 20)));
}

TEST_F(AccountsTest, PasswordPolicy)
{
    auto refused = [](std::string_view user, std::string_view pw) {
        const auto r = Accounts::prepare_password(user, pw);
        EXPECT_FALSE(r) << pw;
        if (!r) {
            EXPECT_EQ(r.error().code(), ErrorCode::InvalidArgument);
            EXPECT_TRUE(r.error().message().starts_with("password:")) << r.error().message();
        }
    };
    refused("ana", "short");
    refused("ana", "elevenchars");                       // 11
    refused("ana", "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4");  // 8 bytes... 4 code points
    refused("ana.lopez@bank", "ANA.LOPEZ@BANK");         // the user name, any case
    refused("ana", std::string(1025, 'x'));
    refused("ana", "twelve chars\xff");  // not UTF-8
    EXPECT_TRUE(Accounts::prepare_password("ana", "twelve chars"));
    // 12 code points in 24 bytes: counted as characters, not bytes.
    EXPECT_TRUE(Accounts::prepare_password("ana",
                                           "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
                                           "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"));
    const auto g = Accounts::generate_password();
    EXPECT_EQ(g.size(), 20u);
    EXPECT_NE(g, Accounts::generate_password());
    EXPECT_TRUE(Accounts::prepare_password("ana", g));
}

// ---- users -------------------------------------------------------------------------------------

TEST_F(AccountsTest, UsersAddListChangeRemoveEachAudited)
{
    add("ana", {Role::Auditor, Role::EDiscoveryManager, Role::Auditor});
    const User u = get("ana");
    EXPECT_EQ(u.roles, (std::vector<Role>{Role::EDiscoveryManager, Role::Auditor})) << "once each, in order";
    EXPECT_EQ(u.created, kT0);
    EXPECT_EQ(u.created_by, kAdmin);
    EXPECT_FALSE(u.disabled);

    auto dup = accounts().add_user("ana", std::vector<Role>{Role::Auditor}, kPassword, kAdmin, kT0);
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code(), ErrorCode::InvalidArgument);
    auto bad = accounts().add_user("Ana Lopez", std::vector<Role>{Role::Auditor}, kPassword, kAdmin, kT0);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message().find("user name"), std::string::npos);
    auto none = accounts().add_user("bo", std::vector<Role>{}, kPassword, kAdmin, kT0);
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message().find("roles"), std::string::npos);

    ASSERT_TRUE(accounts().set_roles("ana", std::vector<Role>{Role::Reviewer}, "boss", kT0 + 1));
    EXPECT_EQ(get("ana").roles, std::vector<Role>{Role::Reviewer});
    ASSERT_TRUE(accounts().set_password("ana", "a whole new passphrase", "boss", kT0 + 2));
    EXPECT_TRUE(Accounts::check_password(get("ana"), "a whole new passphrase"));
    EXPECT_FALSE(Accounts::check_password(get("ana"), kPassword));
    EXPECT_EQ(get("ana").password_changed, kT0 + 2);
    ASSERT_TRUE(accounts().set_disabled("ana", true, "boss", kT0 + 3));
    EXPECT_TRUE(get("ana").disabled);
    ASSERT_TRUE(accounts().set_disabled("ana", false, "boss", kT0 + 4));
    ASSERT_TRUE(accounts().remove_user("ana", "boss", kT0 + 5));
    auto gone = accounts().user("ana");
    ASSERT_TRUE(gone);
    EXPECT_FALSE(*gone);
    EXPECT_EQ(accounts().remove_user("ana", "boss", kT0 + 6).error().code(), ErrorCode::NotFound);
    EXPECT_EQ(accounts().set_roles("zed", std::vector<Role>{Role::Auditor}, "boss", kT0).error().code(),
              ErrorCode::NotFound);

    std::vector<std::string> actions;
    for (const auto& r : audit("user.")) {
        actions.push_back(r.event.action);
        const auto params = json::parse(r.event.parameters);
        EXPECT_EQ(params.at("user"), "ana");
        EXPECT_GE(r.event.time, kT0);
    }
    EXPECT_EQ(actions, (std::vector<std::string>{"user.add", "user.role", "user.password", "user.disable",
                                                 "user.enable", "user.remove"}));
    const auto role_change = audit("user.role").at(0);
    EXPECT_EQ(role_change.event.actor, "boss");
    EXPECT_EQ(json::parse(role_change.event.parameters).at("before"),
              json::array({"ediscovery-manager", "auditor"}));
    EXPECT_EQ(json::parse(role_change.event.parameters).at("after"), json::array({"reviewer"}));
}

TEST_F(AccountsTest, TheLastEnabledAdministratorStays)
{
    add("first", {Role::OrganizationManagement});
    add("aud", {Role::Auditor});
    EXPECT_EQ(accounts().remove_user("first", "x", kT0).error().code(), ErrorCode::Refused);
    EXPECT_EQ(accounts().set_disabled("first", true, "x", kT0).error().code(), ErrorCode::Refused);
    EXPECT_EQ(accounts().set_roles("first", std::vector<Role>{Role::Auditor}, "x", kT0).error().code(),
              ErrorCode::Refused);
    add("second", {Role::OrganizationManagement, Role::Auditor});
    EXPECT_TRUE(accounts().set_roles("first", std::vector<Role>{Role::Auditor}, "x", kT0));
    EXPECT_EQ(accounts().set_disabled("second", true, "x", kT0).error().code(), ErrorCode::Refused);
    // No administrator to begin with: nothing to keep.
    EXPECT_TRUE(accounts().remove_user("aud", "x", kT0));
    const auto all = accounts().users();
    ASSERT_TRUE(all);
    EXPECT_EQ(all->size(), 2u);
}

// ---- logins ------------------------------------------------------------------------------------

TEST_F(AccountsTest, GoodLoginGivesThePrincipalAndIsAudited)
{
    add("ana", {Role::EDiscoveryManager});
    const auto out = login("ana", kPassword, kT0 + 10);
    ASSERT_EQ(out.status, LoginOutcome::Status::Ok);
    ASSERT_TRUE(out.principal);
    EXPECT_EQ(out.principal->user, "ana");
    EXPECT_EQ(out.principal->roles, std::vector<Role>{Role::EDiscoveryManager});
    EXPECT_FALSE(out.principal->token_scopes);
    const auto log = audit("login");
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].event.actor, "ana");
    EXPECT_EQ(json::parse(log[0].event.parameters), (json{{"user", "ana"}, {"remote", "127.0.0.1"}}));
}

TEST_F(AccountsTest, LockoutAfterFiveFailuresAndReleaseAfterFifteenMinutes)
{
    add("ana", {Role::Auditor});
    std::int64_t t = kT0;
    for (std::uint32_t i = 1; i < kMaxFailedLogins; ++i) {
        EXPECT_EQ(login("ana", "wrong password!", ++t).status, LoginOutcome::Status::BadCredentials);
        EXPECT_EQ(get("ana").failed_logins, i);
    }
    const auto locked = login("ana", "wrong password!", ++t);
    EXPECT_EQ(locked.status, LoginOutcome::Status::Locked);
    EXPECT_EQ(locked.locked_until, t + kLockSeconds);
    EXPECT_EQ(get("ana").locked_until, t + kLockSeconds);
    const std::int64_t until = t + kLockSeconds;
    // Locked: even the right password is refused, and says nothing of being right.
    const auto during = login("ana", kPassword, until - 1);
    EXPECT_EQ(during.status, LoginOutcome::Status::Locked);
    EXPECT_FALSE(during.principal);
    // Released when the period ends.
    const auto after = login("ana", kPassword, until);
    ASSERT_EQ(after.status, LoginOutcome::Status::Ok);
    EXPECT_EQ(get("ana").failed_logins, 0u);
    EXPECT_EQ(get("ana").locked_until, 0);

    EXPECT_EQ(audit("login.failed").size(), kMaxFailedLogins - 1 + 1);  // four wrong, one while locked
    const auto lock_events = audit("login.locked");
    ASSERT_EQ(lock_events.size(), 1u);
    EXPECT_EQ(json::parse(lock_events[0].event.parameters).at("locked_until"), until);
    const auto while_locked = audit("login.failed").back();
    EXPECT_EQ(json::parse(while_locked.event.parameters).at("reason"), "locked");
}

TEST_F(AccountsTest, NewPasswordClearsALockout)
{
    add("ana", {Role::Auditor});
    for (std::uint32_t i = 0; i < kMaxFailedLogins; ++i)
        login("ana", "wrong password!", kT0 + i);
    EXPECT_GT(get("ana").locked_until, kT0);
    ASSERT_TRUE(accounts().set_password("ana", "another good passphrase", kAdmin, kT0 + 10));
    EXPECT_EQ(login("ana", "another good passphrase", kT0 + 11).status, LoginOutcome::Status::Ok);
}

TEST_F(AccountsTest, UnknownUserIsAuditedLikeAWrongPassword)
{
    add("ana", {Role::Auditor});
    const auto wrong = login("ana", "wrong password!", kT0 + 1);
    const auto unknown = login("nobody", "wrong password!", kT0 + 2);
    EXPECT_EQ(wrong.status, LoginOutcome::Status::BadCredentials);
    EXPECT_EQ(unknown.status, LoginOutcome::Status::BadCredentials);
    const auto log = audit("login.failed");
    ASSERT_EQ(log.size(), 2u);
    const auto a = json::parse(log[0].event.parameters);
    const auto b = json::parse(log[1].event.parameters);
    EXPECT_EQ(log[0].event.action, log[1].event.action);
    EXPECT_EQ(log[0].event.actor, "ana");
    EXPECT_EQ(log[1].event.actor, "nobody");
    EXPECT_EQ(log[0].event.results, log[1].event.results);
    EXPECT_EQ(a, (json{{"user", "ana"}, {"remote", "127.0.0.1"}, {"reason", "bad credentials"}}));
    EXPECT_EQ(b, (json{{"user", "nobody"}, {"remote", "127.0.0.1"}, {"reason", "bad credentials"}}));
    // A name that is no user name at all leaves nothing of itself in the journal.
    const auto junk = login("Robert'); DROP TABLE users;--", "x", kT0 + 3);
    EXPECT_EQ(junk.status, LoginOutcome::Status::BadCredentials);
    const auto last = audit("login.failed").back();
    EXPECT_EQ(last.event.actor, "-");
    EXPECT_EQ(json::parse(last.event.parameters).at("user"), "-");
    // Disabled users never log in.
    ASSERT_TRUE(accounts().set_disabled("ana", true, kAdmin, kT0 + 4));
    EXPECT_EQ(login("ana", kPassword, kT0 + 5).status, LoginOutcome::Status::BadCredentials);
}

TEST_F(AccountsTest, RefreshFollowsChangesMadeElsewhere)
{
    add("ana", {Role::EDiscoveryManager});
    const auto out = login("ana", kPassword, kT0 + 10);
    ASSERT_TRUE(out.principal);
    const Principal p = *out.principal;
    auto refreshed = [&](std::optional<std::int64_t> since) {
        auto r = accounts().refresh(p, since);
        EXPECT_TRUE(r) << r.error().describe();
        return r ? *r : std::nullopt;
    };
    EXPECT_EQ(refreshed(kT0 + 10), p);
    ASSERT_TRUE(accounts().set_roles("ana", std::vector<Role>{Role::Reviewer}, kAdmin, kT0 + 11));
    ASSERT_TRUE(refreshed(kT0 + 10));
    EXPECT_EQ(refreshed(kT0 + 10)->roles, std::vector<Role>{Role::Reviewer});
    ASSERT_TRUE(accounts().set_password("ana", "changed by the cli!", kAdmin, kT0 + 12));
    EXPECT_FALSE(refreshed(kT0 + 10)) << "a session from before the new password ends";
    EXPECT_TRUE(refreshed(kT0 + 12)) << "one from the same second stays";
    EXPECT_TRUE(refreshed(std::nullopt)) << "a token does not depend on the password";
    ASSERT_TRUE(accounts().set_disabled("ana", true, kAdmin, kT0 + 13));
    EXPECT_FALSE(refreshed(std::nullopt));
    ASSERT_TRUE(accounts().set_disabled("ana", false, kAdmin, kT0 + 14));
    ASSERT_TRUE(accounts().remove_user("ana", kAdmin, kT0 + 15));
    EXPECT_FALSE(refreshed(std::nullopt));
}

// ---- tokens ------------------------------------------------------------------------------------

TEST_F(AccountsTest, TokensIssueAuthenticateExpireRevoke)
{
    add("ana", {Role::Auditor, Role::ComplianceAdministrator});
    const auto issued = accounts().create_token("ana", "siem feed", std::vector<Permission>{P::AuditRead},
                                                kT0 + 90 * kDay, kAdmin, kT0);
    ASSERT_TRUE(issued) << issued.error().describe();
    const std::string& token = issued->token;
    EXPECT_TRUE(token.starts_with("cvt_" + issued->info.id + "_")) << token;
    EXPECT_EQ(token.size(), 4u + 16 + 1 + 64);
    EXPECT_EQ(issued->info.owner, "ana");
    EXPECT_EQ(issued->info.created_by, kAdmin);

    auto p = accounts().authenticate_token(token, kT0 + 1);
    ASSERT_TRUE(p) << p.error().describe();
    ASSERT_TRUE(*p);
    EXPECT_EQ((*p)->user, "ana");
    ASSERT_TRUE((*p)->token_scopes);
    EXPECT_EQ(*(*p)->token_scopes, std::vector<Permission>{P::AuditRead});
    EXPECT_TRUE((*p)->may(P::AuditRead));
    EXPECT_FALSE((*p)->may(P::HoldsManage)) << "the roles allow it, the token does not";

    auto rejected = [&](std::string_view bearer, std::int64_t now) {
        const auto r = accounts().authenticate_token(bearer, now);
        return r && !*r;
    };
    std::string wrong = token;
    wrong.back() = wrong.back() == '0' ? '1' : '0';
    EXPECT_TRUE(rejected(wrong, kT0 + 1)) << "one digit of the secret wrong";
    EXPECT_TRUE(rejected(token.substr(0, token.size() - 1), kT0 + 1));
    EXPECT_TRUE(rejected("cvt_0000000000000000_" + token.substr(21), kT0 + 1)) << "unknown id";
    EXPECT_TRUE(rejected("", kT0));
    EXPECT_TRUE(rejected("Bearer " + token, kT0));
    EXPECT_TRUE(rejected(token, kT0 + 90 * kDay)) << "expired at its expiry";
    EXPECT_FALSE(rejected(token, kT0 + 90 * kDay - 1));

    const auto listed = accounts().tokens("ana");
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ(listed->at(0), issued->info);
    ASSERT_TRUE(accounts().revoke_token(issued->info.id, "boss", kT0 + 5));
    EXPECT_TRUE(rejected(token, kT0 + 6));
    EXPECT_EQ(accounts().revoke_token(issued->info.id, "boss", kT0 + 7).error().code(),
              ErrorCode::InvalidArgument);
    EXPECT_EQ(accounts().revoke_token("0123456789abcdef", "boss", kT0).error().code(), ErrorCode::NotFound);
    EXPECT_EQ(accounts().revoke_token("../etc", "boss", kT0).error().code(), ErrorCode::NotFound);
    const auto info = accounts().token(issued->info.id);
    ASSERT_TRUE(info && *info);
    EXPECT_EQ((*info)->revoked, kT0 + 5);
    EXPECT_EQ((*info)->revoked_by, "boss");

    const auto created = audit("token.create");
    ASSERT_EQ(created.size(), 1u);
    EXPECT_EQ(json::parse(created[0].event.parameters), (json{{"id", issued->info.id},
                                                              {"owner", "ana"},
                                                              {"label", "siem feed"},
                                                              {"scopes", {"audit.read"}},
                                                              {"expires", kT0 + 90 * kDay}}));
    EXPECT_EQ(audit("token.revoke").size(), 1u);
}

TEST_F(AccountsTest, TokensFollowTheirOwner)
{
    add("ana", {Role::EDiscoveryManager});
    add(kAdmin, {Role::OrganizationManagement});
    const auto t = accounts().create_token("ana", "", std::vector<Permission>{P::Search, P::Export},
                                           kT0 + kDay, kAdmin, kT0);
    ASSERT_TRUE(t);
    auto works = [&](std::int64_t now) {
        const auto r = accounts().authenticate_token(t->token, now);
        return r && *r;
    };
    EXPECT_TRUE(works(kT0 + 1));
    ASSERT_TRUE(accounts().set_disabled("ana", true, kAdmin, kT0 + 2));
    EXPECT_FALSE(works(kT0 + 3)) << "owner disabled";
    ASSERT_TRUE(accounts().set_disabled("ana", false, kAdmin, kT0 + 4));
    EXPECT_TRUE(works(kT0 + 5));
    // Roles narrowed: the token still authenticates but may only what both allow.
    ASSERT_TRUE(accounts().set_roles("ana", std::vector<Role>{Role::Auditor}, kAdmin, kT0 + 6));
    const auto p = accounts().authenticate_token(t->token, kT0 + 7);
    ASSERT_TRUE(p && *p);
    EXPECT_FALSE((*p)->may(P::Search));
    // Removed: revoked with the user, and not revived by a new user of the same name.
    ASSERT_TRUE(accounts().remove_user("ana", kAdmin, kT0 + 8));
    add("ana", {Role::EDiscoveryManager});
    EXPECT_FALSE(works(kT0 + 9));
    const auto listed = accounts().tokens();
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_TRUE(listed->at(0).revoked);
}

TEST_F(AccountsTest, TokenRequestsRefused)
{
    add("ana", {Role::Auditor});
    add("off", {Role::Auditor});
    ASSERT_TRUE(accounts().set_disabled("off", true, kAdmin, kT0));
    auto code = [&](std::string_view owner, std::vector<Permission> scopes, std::int64_t expires,
                    std::string_view label = "") {
        const auto r = accounts().create_token(owner, label, scopes, expires, kAdmin, kT0);
        EXPECT_FALSE(r);
        return r ? std::optional<ErrorCode>() : std::optional<ErrorCode>(r.error().code());
    };
    EXPECT_EQ(code("ana", {P::AuditRead, P::Export}, kT0 + kDay), ErrorCode::InvalidArgument)
        << "export is beyond an auditor";
    EXPECT_EQ(code("ana", {P::UsersManage}, kT0 + kDay), ErrorCode::InvalidArgument);
    EXPECT_EQ(code("ana", {}, kT0 + kDay), ErrorCode::InvalidArgument);
    EXPECT_EQ(code("ana", {P::AuditRead}, kT0), ErrorCode::InvalidArgument) << "expires now";
    EXPECT_EQ(code("ana", {P::AuditRead}, kT0 + kMaxTokenLifetime + 1), ErrorCode::InvalidArgument);
    EXPECT_EQ(code("ana", {P::AuditRead}, kT0 + kDay, std::string(101, 'x')), ErrorCode::InvalidArgument);
    EXPECT_EQ(code("ana", {P::AuditRead}, kT0 + kDay, "line\nbreak"), ErrorCode::InvalidArgument);
    EXPECT_EQ(code("nobody", {P::AuditRead}, kT0 + kDay), ErrorCode::NotFound);
    EXPECT_EQ(code("off", {P::AuditRead}, kT0 + kDay), ErrorCode::Refused);
    const auto scope_error =
        accounts().create_token("ana", "", std::vector<Permission>{P::Export}, kT0 + kDay, kAdmin, kT0);
    ASSERT_FALSE(scope_error);
    EXPECT_NE(scope_error.error().message().find("scope 'export'"), std::string::npos)
        << scope_error.error().message();
    EXPECT_TRUE(accounts().create_token("ana", "", std::vector<Permission>{P::AuditRead},
                                        kT0 + kMaxTokenLifetime, kAdmin, kT0));
}

// ---- documents ---------------------------------------------------------------------------------

TEST(AuthDocuments, RoundTripAndFieldNamedErrors)
{
    User u;
    u.name = "ana";
    u.roles = {Role::Reviewer, Role::Auditor};
    u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
    u.created = 5;
    u.created_by = "root";
    u.password_changed = 6;
    u.disabled = true;
    u.failed_logins = 3;
    u.locked_until = 99;
    const auto back = detail::user_from_json(detail::to_json(u));
    ASSERT_TRUE(back) << back.error().describe();
    EXPECT_EQ(*back, u);

    detail::StoredToken t;
    t.info = TokenInfo{"0123456789abcdef", "ana", "ci", {P::AuditRead}, 1, "root", 2, 3, "boss"};
    t.secret_hash = std::string(64, 'a');
    const auto tback = detail::token_from_json(detail::to_json(t));
    ASSERT_TRUE(tback) << tback.error().describe();
    EXPECT_EQ(*tback, t);

    auto user_error = [](std::string_view text) {
        const auto r = detail::user_from_json(text);
        EXPECT_FALSE(r) << text;
        return r ? std::string() : r.error().message();
    };
    EXPECT_EQ(user_error("[]"), "user '?': expected a JSON object");
    EXPECT_EQ(user_error("{"), "user document: not valid JSON");
    EXPECT_EQ(user_error(R"({"name":"ana","roles":["admin"],"password_hash":"$argon2id$x","created":1})"),
              "user 'ana': roles: unknown role 'admin'");
    EXPECT_EQ(
        user_error(R"({"name":"ana","roles":["auditor"],"password_hash":"5f4dcc3b5aa765d61d8327deb882cf99",)"
                   R"("created":1})"),
        "user 'ana': password_hash: not an Argon2id hash");
    EXPECT_EQ(user_error(R"({"name":"ana","roles":["auditor"],"password_hash":"$argon2id$x","created":"x"})"),
              "user 'ana': created: expected a whole number");
    auto token_error = [](std::string_view text) {
        const auto r = detail::token_from_json(text);
        EXPECT_FALSE(r) << text;
        return r ? std::string() : r.error().message();
    };
    EXPECT_EQ(token_error(R"({"id":"0123456789abcdef","owner":"ana","scopes":["audit.read"],"created":1,)"
                          R"("expires":2,"secret_hash":"abc"})"),
              "token '0123456789abcdef': secret_hash: expected 64 lowercase hex digits");
    EXPECT_EQ(token_error(R"({"id":"x"})"), "token 'x': id: expected 16 lowercase hex digits");
}

// ---- no secret anywhere -------------------------------------------------------------------------

TEST_F(AccountsTest, NoPasswordOrTokenSecretInTheArchiveOrTheAuditTrail)
{
    const std::string password = "Unique-Canary-Password-" + detail::random_hex(8);
    const std::string second = "Second-Canary-Password-" + detail::random_hex(8);
    add(kAdmin, {Role::OrganizationManagement}, password);
    ASSERT_TRUE(accounts().set_password(kAdmin, second, kAdmin, kT0 + 1));
    login(std::string(kAdmin), second, kT0 + 2);
    login(std::string(kAdmin), password, kT0 + 3);  // the old one, wrong now
    login("ghost", password, kT0 + 4);
    const auto t = accounts().create_token(
        std::string(kAdmin), "canary", std::vector<Permission>{P::MetricsRead}, kT0 + kDay, kAdmin, kT0 + 5);
    ASSERT_TRUE(t);
    const std::string secret = t->token.substr(21);
    ASSERT_TRUE(accounts().authenticate_token(t->token, kT0 + 6));
    ASSERT_TRUE(accounts().revoke_token(t->info.id, kAdmin, kT0 + 7));
    const std::string hash = get(kAdmin).password_hash;

    const std::string disk = every_byte_on_disk();
    for (const std::string& s : {password, second, secret, t->token, hash})
        EXPECT_EQ(disk.find(s), std::string::npos) << "on disk: " << s;

    std::size_t events = 0;
    for (const auto& r : audit()) {
        ++events;
        const std::string all = r.event.actor + r.event.action + r.event.parameters;
        for (const std::string& s : {password, second, secret, hash})
            EXPECT_EQ(all.find(s), std::string::npos) << r.event.action << ": " << s;
        EXPECT_EQ(all.find("argon2"), std::string::npos) << r.event.action;
        EXPECT_EQ(all.find("secret"), std::string::npos) << r.event.action;
    }
    EXPECT_GE(events, 7u);
    for (const auto kind : {detail::kUserKind, detail::kTokenKind}) {
        const auto docs = archive().documents(kind);
        ASSERT_TRUE(docs);
        for (const auto& d : *docs)
            for (const std::string& s : {password, second, secret})
                EXPECT_EQ(d.json.find(s), std::string::npos) << kind << ": " << s;
    }
}

}  // namespace
}  // namespace cv::auth

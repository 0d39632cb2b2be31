// Roles, permissions and the one table that joins them; user names.

#include <algorithm>

#include <fmt/format.h>

#include "core/utf8.hpp"
#include "server/auth/auth.hpp"

namespace cv::auth {

namespace {

using P = Permission;

/// The role table. Anything not listed is denied. Keep auth.hpp's table and the README in step.
struct Grant {
    Role role;
    std::initializer_list<Permission> permissions;
};

const Grant kGrants[] = {
    // Organization Management: handled in role_allows (every permission, including new ones).
    {Role::MailboxImportExport,
     {P::ConnectorsRead, P::ConnectorsManage, P::ConnectorsRun, P::QuarantineRead, P::QuarantineManage,
      P::TokensOwn, P::MetricsRead}},
    {Role::ComplianceAdministrator,
     {P::HoldsRead, P::HoldsManage, P::RetentionRead, P::RetentionManage, P::RetentionApply, P::TokensOwn}},
    {Role::EDiscoveryManager,
     {P::CasesRead, P::CasesManage, P::Search, P::ItemsRead, P::Export, P::TokensOwn}},
    // ItemsRead for a reviewer covers only the items of cases they are assigned to: the server
    // checks case membership on every item request.
    {Role::Reviewer, {P::ReviewAssignedCases, P::ItemsRead}},
    {Role::Auditor, {P::AuditRead, P::TokensOwn}},
};

}  // namespace

std::string_view to_string(Role role)
{
    switch (role) {
    case Role::OrganizationManagement: return "organization-management";
    case Role::MailboxImportExport: return "mailbox-import-export";
    case Role::ComplianceAdministrator: return "compliance-administrator";
    case Role::EDiscoveryManager: return "ediscovery-manager";
    case Role::Reviewer: return "reviewer";
    case Role::Auditor: return "auditor";
    }
    return "?";
}

std::string_view display_name(Role role)
{
    switch (role) {
    case Role::OrganizationManagement: return "Organization Management";
    case Role::MailboxImportExport: return "Mailbox Import Export";
    case Role::ComplianceAdministrator: return "Compliance Administrator";
    case Role::EDiscoveryManager: return "eDiscovery Manager";
    case Role::Reviewer: return "Reviewer";
    case Role::Auditor: return "Auditor";
    }
    return "?";
}

std::optional<Role> parse_role(std::string_view text)
{
    for (const Role r : kRoles)
        if (to_string(r) == text)
            return r;
    return std::nullopt;
}

std::string_view to_string(Permission p)
{
    switch (p) {
    case P::ConnectorsRead: return "connectors.read";
    case P::ConnectorsManage: return "connectors.manage";
    case P::ConnectorsRun: return "connectors.run";
    case P::QuarantineRead: return "quarantine.read";
    case P::QuarantineManage: return "quarantine.manage";
    case P::HoldsRead: return "holds.read";
    case P::HoldsManage: return "holds.manage";
    case P::RetentionRead: return "retention.read";
    case P::RetentionManage: return "retention.manage";
    case P::RetentionApply: return "retention.apply";
    case P::CasesRead: return "cases.read";
    case P::CasesManage: return "cases.manage";
    case P::Search: return "search";
    case P::ItemsRead: return "items.read";
    case P::Export: return "export";
    case P::ReviewAssignedCases: return "review.assigned";
    case P::AuditRead: return "audit.read";
    case P::UsersRead: return "users.read";
    case P::UsersManage: return "users.manage";
    case P::TokensOwn: return "tokens.own";
    case P::MetricsRead: return "metrics.read";
    }
    return "?";
}

std::optional<Permission> parse_permission(std::string_view text)
{
    for (const Permission p : kPermissions)
        if (to_string(p) == text)
            return p;
    return std::nullopt;
}

bool role_allows(Role role, Permission permission)
{
    if (role == Role::OrganizationManagement)
        return true;
    for (const auto& g : kGrants)
        if (g.role == role)
            return std::find(g.permissions.begin(), g.permissions.end(), permission) != g.permissions.end();
    return false;
}

bool Principal::may(Permission p) const
{
    if (token_scopes && std::find(token_scopes->begin(), token_scopes->end(), p) == token_scopes->end())
        return false;
    return std::any_of(roles.begin(), roles.end(), [p](Role r) { return role_allows(r, p); });
}

Result<void> check_user_name(std::string_view name)
{
    auto bad = [&](std::string_view why) {
        // A name that is not valid is not echoed whole: it may be anything a client sent.
        const std::string shown = utf8::sanitize(name.size() <= kMaxUserName ? name : name.substr(0, 20)) +
                                  (name.size() <= kMaxUserName ? "" : "…");
        return fail(ErrorCode::InvalidArgument, fmt::format("user name '{}': {}", shown, why));
    };
    if (name.empty())
        return bad("empty");
    if (name.size() > kMaxUserName)
        return bad(fmt::format("longer than {} characters", kMaxUserName));
    for (const char c : name) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' || c == '-';
        if (!ok)
            return bad("use only a-z, 0-9 and . _ @ - (lowercase)");
    }
    const char first = name.front();
    if (!((first >= 'a' && first <= 'z') || (first >= '0' && first <= '9')))
        return bad("must start with a letter or digit");
    return {};
}

}  // namespace cv::auth

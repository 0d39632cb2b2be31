// The role table, written out again here by hand (not by calling role_allows), so that a change
// to the table is a change to this test too; principals with and without token scopes; names.

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "server/auth/auth.hpp"

namespace cv::auth {
namespace {

using P = Permission;

const std::map<Role, std::set<Permission>>& expected_table()
{
    static const std::map<Role, std::set<Permission>> table = {
        {Role::OrganizationManagement,
         {P::ConnectorsRead,   P::ConnectorsManage, P::ConnectorsRun, P::QuarantineRead,
          P::QuarantineManage, P::HoldsRead,        P::HoldsManage,   P::RetentionRead,
          P::RetentionManage,  P::RetentionApply,   P::CasesRead,     P::CasesManage,
          P::Search,           P::ItemsRead,        P::Export,        P::ReviewAssignedCases,
          P::AuditRead,        P::UsersRead,        P::UsersManage,   P::TokensOwn,
          P::MetricsRead}},
        {Role::MailboxImportExport,
         {P::ConnectorsRead, P::ConnectorsManage, P::ConnectorsRun, P::QuarantineRead, P::QuarantineManage,
          P::TokensOwn, P::MetricsRead}},
        {Role::ComplianceAdministrator,
         {P::HoldsRead, P::HoldsManage, P::RetentionRead, P::RetentionManage, P::RetentionApply,
          P::TokensOwn}},
        {Role::EDiscoveryManager,
         {P::CasesRead, P::CasesManage, P::Search, P::ItemsRead, P::Export, P::TokensOwn}},
        {Role::Reviewer, {P::ReviewAssignedCases, P::ItemsRead}},
        {Role::Auditor, {P::AuditRead, P::TokensOwn}},
    };
    return table;
}

TEST(AuthRoles, EveryRoleTimesEveryPermission)
{
    ASSERT_EQ(std::size(kRoles), expected_table().size());
    int checked = 0;
    for (const Role r : kRoles)
        for (const Permission p : kPermissions) {
            const bool want = expected_table().at(r).count(p) == 1;
            EXPECT_EQ(role_allows(r, p), want) << to_string(r) << " × " << to_string(p);
            ++checked;
        }
    EXPECT_EQ(checked, 6 * 21);
}

TEST(AuthRoles, OnlyOrganizationManagementManagesUsersAndOnlyMailboxImportExportOthersManageConnectors)
{
    for (const Role r : kRoles) {
        EXPECT_EQ(role_allows(r, P::UsersManage), r == Role::OrganizationManagement) << to_string(r);
        EXPECT_EQ(role_allows(r, P::ConnectorsManage),
                  r == Role::OrganizationManagement || r == Role::MailboxImportExport)
            << to_string(r);
    }
}

TEST(AuthRoles, NamesRoundTrip)
{
    std::set<std::string_view> seen;
    for (const Role r : kRoles) {
        EXPECT_EQ(parse_role(to_string(r)), r);
        EXPECT_TRUE(seen.insert(to_string(r)).second);
        EXPECT_FALSE(display_name(r).empty());
    }
    EXPECT_EQ(to_string(Role::EDiscoveryManager), "ediscovery-manager");
    EXPECT_EQ(display_name(Role::OrganizationManagement), "Organization Management");
    EXPECT_EQ(parse_role("Organization-Management"), std::nullopt);
    EXPECT_EQ(parse_role("admin"), std::nullopt);
    EXPECT_EQ(parse_role(""), std::nullopt);
    for (const Permission p : kPermissions) {
        EXPECT_EQ(parse_permission(to_string(p)), p);
        EXPECT_TRUE(seen.insert(to_string(p)).second);
    }
    EXPECT_EQ(parse_permission("connectors.manage"), P::ConnectorsManage);
    EXPECT_EQ(parse_permission("everything"), std::nullopt);
}

TEST(AuthRoles, PrincipalMayWhatItsRolesAllowNarrowedByTokenScopes)
{
    Principal p{"ana", {Role::Auditor, Role::ComplianceAdministrator}, std::nullopt};
    EXPECT_TRUE(p.may(P::AuditRead));
    EXPECT_TRUE(p.may(P::HoldsManage));
    EXPECT_FALSE(p.may(P::Export));
    p.token_scopes = std::vector<Permission>{P::AuditRead, P::Export};
    EXPECT_TRUE(p.may(P::AuditRead));
    EXPECT_FALSE(p.may(P::HoldsManage)) << "not in the token's scopes";
    EXPECT_FALSE(p.may(P::Export)) << "in the scopes, but no role allows it";
    p.token_scopes = std::vector<Permission>{};
    EXPECT_FALSE(p.may(P::AuditRead));
    EXPECT_FALSE(Principal{}.may(P::MetricsRead)) << "no roles: deny";
}

TEST(AuthNames, UserNames)
{
    for (const char* ok : {"ana", "a", "ana.lopez@bank.example", "svc-import_2", "0day"})
        EXPECT_TRUE(check_user_name(ok)) << ok;
    for (const char* bad :
         {"", "Ana", "ana lopez", ".ana", "-ana", "@ana", "ana/..", "ana\n", "änä", "ana:x"}) {
        const auto r = check_user_name(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code(), ErrorCode::InvalidArgument);
        EXPECT_NE(r.error().message().find("user name"), std::string::npos);
    }
    EXPECT_TRUE(check_user_name(std::string(64, 'a')));
    EXPECT_FALSE(check_user_name(std::string(65, 'a')));
}

}  // namespace
}  // namespace cv::auth

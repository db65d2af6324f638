//! Gatehouse governs its own console like any other application: these are the
//! console's permissions and the five console roles built from them.

use serde::{Deserialize, Serialize};

/// Name of the console application in every organisation's catalogue.
pub const CONSOLE_APPLICATION: &str = "Gatehouse Console";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ConsolePermission {
    DashboardView,
    AccountsView,
    AccountsManage,
    PrincipalsView,
    PrincipalsManage,
    RolesView,
    RolesManage,
    GrantsAssign,
    RequestsCreate,
    RequestsApprove,
    ConsentView,
    ConsentManage,
    DsrManage,
    AuditView,
    AuditExport,
    ReportsView,
    IntegrationsManage,
}

/// How a permission appears in the catalogue: resource, action, risk and whether it is
/// a high-impact action.
pub struct PermissionSpec {
    pub resource: &'static str,
    pub action: &'static str,
    pub risk: &'static str,
    pub high_impact: bool,
    pub description: &'static str,
}

impl ConsolePermission {
    pub const ALL: [ConsolePermission; 17] = [
        Self::DashboardView,
        Self::AccountsView,
        Self::AccountsManage,
        Self::PrincipalsView,
        Self::PrincipalsManage,
        Self::RolesView,
        Self::RolesManage,
        Self::GrantsAssign,
        Self::RequestsCreate,
        Self::RequestsApprove,
        Self::ConsentView,
        Self::ConsentManage,
        Self::DsrManage,
        Self::AuditView,
        Self::AuditExport,
        Self::ReportsView,
        Self::IntegrationsManage,
    ];

    /// A permission that lets one read (view or export) and change nothing.
    pub fn reads_only(self) -> bool {
        matches!(self.spec().action, "view" | "export")
    }

    pub fn spec(self) -> PermissionSpec {
        use ConsolePermission::*;
        let (resource, action, risk, high_impact, description) = match self {
            DashboardView => (
                "dashboard",
                "view",
                "low",
                false,
                "See the console's home figures",
            ),
            AccountsView => ("accounts", "view", "low", false, "See client accounts"),
            AccountsManage => (
                "accounts",
                "manage",
                "medium",
                false,
                "Create and edit client accounts",
            ),
            PrincipalsView => (
                "principals",
                "view",
                "low",
                false,
                "See people, bots and agents",
            ),
            PrincipalsManage => (
                "principals",
                "manage",
                "high",
                true,
                "Onboard, edit, suspend and offboard principals",
            ),
            RolesView => ("roles", "view", "low", false, "See the role matrix"),
            RolesManage => (
                "roles",
                "manage",
                "high",
                true,
                "Edit roles, permissions and permission sets",
            ),
            GrantsAssign => (
                "grants",
                "assign",
                "critical",
                true,
                "Grant and revoke access directly",
            ),
            RequestsCreate => ("requests", "create", "low", false, "Request access"),
            RequestsApprove => (
                "requests",
                "approve",
                "high",
                true,
                "Approve or deny access requests",
            ),
            ConsentView => ("consent", "view", "medium", false, "See consent histories"),
            ConsentManage => (
                "consent",
                "manage",
                "high",
                true,
                "Record consent changes and settings",
            ),
            DsrManage => (
                "dsr",
                "manage",
                "high",
                true,
                "Handle data-subject requests",
            ),
            AuditView => ("audit", "view", "medium", false, "Read the audit trail"),
            AuditExport => ("audit", "export", "high", true, "Export the audit trail"),
            ReportsView => (
                "reports",
                "view",
                "low",
                false,
                "See access-hygiene reports",
            ),
            IntegrationsManage => (
                "integrations",
                "manage",
                "high",
                true,
                "Configure webhooks and application tokens",
            ),
        };
        PermissionSpec {
            resource,
            action,
            risk,
            high_impact,
            description,
        }
    }

    /// The catalogue key, `resource.action`.
    pub fn key(self) -> String {
        let spec = self.spec();
        format!("{}.{}", spec.resource, spec.action)
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsoleRole {
    GovernanceAdmin,
    Approver,
    DataProtectionOfficer,
    Auditor,
    Member,
}

impl ConsoleRole {
    pub const ALL: [ConsoleRole; 5] = [
        Self::GovernanceAdmin,
        Self::Approver,
        Self::DataProtectionOfficer,
        Self::Auditor,
        Self::Member,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::GovernanceAdmin => "Governance admin",
            Self::Approver => "Approver",
            Self::DataProtectionOfficer => "Data Protection Officer",
            Self::Auditor => "Auditor",
            Self::Member => "Member",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::GovernanceAdmin => {
                "Defines the role matrix, onboards and offboards, runs reviews"
            }
            Self::Approver => "Works the pending-approvals queue",
            Self::DataProtectionOfficer => {
                "Reviews consent histories and handles data-subject requests"
            }
            Self::Auditor => "Reads everything, changes nothing",
            Self::Member => "Requests access and follows their requests",
        }
    }

    pub fn permissions(self) -> Vec<ConsolePermission> {
        use ConsolePermission::*;
        match self {
            Self::GovernanceAdmin => vec![
                DashboardView,
                AccountsView,
                AccountsManage,
                PrincipalsView,
                PrincipalsManage,
                RolesView,
                RolesManage,
                GrantsAssign,
                RequestsCreate,
                RequestsApprove,
                AuditView,
                AuditExport,
                ReportsView,
                IntegrationsManage,
            ],
            Self::Approver => vec![
                DashboardView,
                AccountsView,
                PrincipalsView,
                RolesView,
                RequestsCreate,
                RequestsApprove,
                ReportsView,
            ],
            Self::DataProtectionOfficer => vec![
                DashboardView,
                AccountsView,
                RequestsCreate,
                ConsentView,
                ConsentManage,
                DsrManage,
                AuditView,
            ],
            Self::Auditor => vec![
                DashboardView,
                AccountsView,
                PrincipalsView,
                RolesView,
                ConsentView,
                AuditView,
                AuditExport,
                ReportsView,
            ],
            Self::Member => vec![DashboardView, RequestsCreate],
        }
    }
}

/// The accounts a console permission reaches: every account of the organisation, or
/// only those its grants name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountScope {
    Every,
    Only(Vec<uuid::Uuid>),
}

impl AccountScope {
    /// From the account of each grant of the permission (`None`: every account).
    pub fn of(accounts: impl IntoIterator<Item = Option<uuid::Uuid>>) -> Self {
        let mut only = Vec::new();
        for account in accounts {
            match account {
                None => return AccountScope::Every,
                Some(id) => only.push(id),
            }
        }
        only.sort();
        only.dedup();
        AccountScope::Only(only)
    }

    pub fn allows(&self, account: uuid::Uuid) -> bool {
        match self {
            AccountScope::Every => true,
            AccountScope::Only(ids) => ids.contains(&account),
        }
    }

    /// For a query: `None` for every account.
    pub fn ids(&self) -> Option<&[uuid::Uuid]> {
        match self {
            AccountScope::Every => None,
            AccountScope::Only(ids) => Some(ids),
        }
    }

    /// Whether a list shows this scope an object of `account` (`None`: of every account,
    /// such as an organisation-wide grant).
    pub fn shows(&self, account: Option<uuid::Uuid>) -> bool {
        account.is_none_or(|a| self.allows(a))
    }

    /// The accounts both scopes reach.
    pub fn and(&self, other: &AccountScope) -> AccountScope {
        match (self, other) {
            (AccountScope::Every, other) | (other, AccountScope::Every) => other.clone(),
            (AccountScope::Only(a), AccountScope::Only(b)) => {
                AccountScope::Only(a.iter().filter(|id| b.contains(id)).copied().collect())
            }
        }
    }

    /// Whether an operation with this scope may act on `target`: reading needs one of
    /// its accounts in reach, changing needs all of them (and at least one); a target of
    /// every account (an organisation-wide grant, request or campaign, a principal of no
    /// account) needs every account.
    pub fn reaches(&self, target: &Touches, reading: bool) -> bool {
        match (self, target) {
            (AccountScope::Every, _) => true,
            (AccountScope::Only(_), Touches::Every) => false,
            (AccountScope::Only(_), Touches::Accounts(accounts)) if accounts.is_empty() => false,
            (AccountScope::Only(_), Touches::Accounts(accounts)) if reading => {
                accounts.iter().any(|a| self.allows(*a))
            }
            (AccountScope::Only(_), Touches::Accounts(accounts)) => {
                accounts.iter().all(|a| self.allows(*a))
            }
        }
    }

    /// As `reaches`, for one grant's, request's or campaign's account (`None`: every
    /// account).
    pub fn reaches_account(&self, account: Option<uuid::Uuid>) -> bool {
        self.reaches(&Touches::of(account), false)
    }
}

/// The accounts the object an operation names touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Touches {
    /// Every account of the organisation.
    Every,
    /// These accounts (none for a principal who belongs to no account).
    Accounts(Vec<uuid::Uuid>),
}

impl Touches {
    /// One object's account (`None`: every account).
    pub fn of(account: Option<uuid::Uuid>) -> Self {
        match account {
            None => Touches::Every,
            Some(id) => Touches::Accounts(vec![id]),
        }
    }

    /// The accounts chosen for a campaign or a list (none chosen: every account).
    pub fn chosen(accounts: Vec<uuid::Uuid>) -> Self {
        if accounts.is_empty() {
            Touches::Every
        } else {
            Touches::Accounts(accounts)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_round_trip() {
        let mut keys: Vec<String> = ConsolePermission::ALL.iter().map(|p| p.key()).collect();
        for p in ConsolePermission::ALL {
            assert_eq!(ConsolePermission::from_key(&p.key()), Some(p));
        }
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), ConsolePermission::ALL.len());
    }

    #[test]
    fn auditor_changes_nothing() {
        let writes = [
            ConsolePermission::AccountsManage,
            ConsolePermission::PrincipalsManage,
            ConsolePermission::RolesManage,
            ConsolePermission::GrantsAssign,
            ConsolePermission::RequestsApprove,
            ConsolePermission::ConsentManage,
            ConsolePermission::DsrManage,
        ];
        let auditor = ConsoleRole::Auditor.permissions();
        for w in writes {
            assert!(!auditor.contains(&w), "auditor must not hold {w:?}");
        }
    }

    #[test]
    fn member_cannot_read_the_audit_trail_or_manage() {
        let member = ConsoleRole::Member.permissions();
        assert!(!member.contains(&ConsolePermission::AuditView));
        assert!(!member.contains(&ConsolePermission::AccountsManage));
        assert!(member.contains(&ConsolePermission::RequestsCreate));
    }

    #[test]
    fn only_the_admin_assigns_grants() {
        for role in ConsoleRole::ALL {
            let assigns = role
                .permissions()
                .contains(&ConsolePermission::GrantsAssign);
            assert_eq!(assigns, role == ConsoleRole::GovernanceAdmin, "{role:?}");
        }
    }

    #[test]
    fn a_scope_reads_what_touches_one_of_its_accounts_and_changes_what_touches_only_them() {
        let (a, b, c) = (
            uuid::Uuid::from_u128(1),
            uuid::Uuid::from_u128(2),
            uuid::Uuid::from_u128(3),
        );
        let only_a = AccountScope::Only(vec![a]);
        let a_and_b = Touches::Accounts(vec![a, b]);
        assert!(only_a.reaches(&a_and_b, true));
        assert!(!only_a.reaches(&a_and_b, false));
        assert!(only_a.reaches(&Touches::Accounts(vec![a]), false));
        assert!(!only_a.reaches(&Touches::Accounts(vec![c]), true));
        assert!(!only_a.reaches(&Touches::Accounts(vec![]), true));
        assert!(!only_a.reaches(&Touches::Every, true));
        assert!(AccountScope::Every.reaches(&Touches::Every, false));
        assert!(only_a.reaches_account(Some(a)) && !only_a.reaches_account(None));
        assert_eq!(
            AccountScope::Only(vec![a, b]).and(&AccountScope::Only(vec![b, c])),
            AccountScope::Only(vec![b])
        );
        assert_eq!(AccountScope::Every.and(&only_a), only_a);
    }

    #[test]
    fn an_organisation_wide_grant_reaches_every_account() {
        let (a, b) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2));
        let only = AccountScope::of([Some(b), Some(a), Some(b)]);
        assert_eq!(only, AccountScope::Only(vec![a, b]));
        assert!(only.allows(a) && !only.allows(uuid::Uuid::from_u128(3)));
        assert_eq!(AccountScope::of([Some(a), None]), AccountScope::Every);
        assert!(AccountScope::Every.allows(uuid::Uuid::from_u128(3)));
        assert_eq!(
            AccountScope::of([]).ids(),
            Some(&[][..]),
            "no grant reaches nothing"
        );
    }
}

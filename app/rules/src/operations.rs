//! One table of every server function and HTTP endpoint: what a caller needs to use it
//! and where the account it acts on comes from. The guard reads this table and nothing
//! else decides who may call what; the authorization test walks every row against every
//! console role.

use crate::console::ConsolePermission;
use crate::console::ConsolePermission::*;

/// What a caller must be or hold to use an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Anyone, signed in or not: signing in, asking who one is, the health check.
    Anyone,
    /// A signed-in console user, whatever their roles.
    SignedIn,
    /// A signed-in console user who holds this console permission.
    Permission(ConsolePermission),
    /// A token of the organisation (`/api/v1`), of the kinds given.
    Token(Tokens),
    /// The deployment's operator: the metrics token from the server's settings, never a
    /// session or an organisation's token.
    Operator,
    /// The organisation's identity provider (`/scim/v2`): a provisioning token, never a
    /// session or another token.
    Provisioning,
}

/// Which tokens an `/api/v1` endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tokens {
    /// An application's token: the system speaks for the application.
    Application,
    /// An application's token, or a principal's own (an AI agent, bot or integration),
    /// which speaks only for that principal.
    Either,
    /// A principal's own token only.
    Principal,
}

impl Tokens {
    /// Whether a token (bound to a principal or not) is taken.
    pub fn takes(self, principal_bound: bool) -> bool {
        match self {
            Tokens::Application => !principal_bound,
            Tokens::Either => true,
            Tokens::Principal => principal_bound,
        }
    }
}

/// Where the account an operation acts on comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActsOn {
    /// Only the caller themselves: their session, their own requests.
    Caller,
    /// The organisation as a whole: its settings, catalogue and integrations. The caller
    /// needs the row's permission on every account.
    Organisation,
    /// Lists and reports, narrowed to the accounts the row's permission reaches for the
    /// caller; catalogue reads that belong to no account.
    Listed,
    /// The account the input names.
    Account,
    /// The account the input chooses for a grant or request (none: every account).
    ChosenAccount,
    /// The accounts of the principal the input names.
    Principal,
    /// The account of the grant the input names.
    Grant,
    /// The account of the access request the input names.
    Request,
    /// The accounts the review campaign covers.
    Campaign,
    /// The account of the data subject the input names.
    Subject,
    /// The account of the data subject of the data-subject request the input names.
    SubjectRequest,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The server function's path, or the HTTP route as the router matches it.
    pub path: &'static str,
    pub needs: Needs,
    pub acts_on: ActsOn,
    /// For an operation whose input chooses what it does: each choice, and the console
    /// permission it needs besides `needs`. A choice not listed is refused.
    pub choices: &'static [(&'static str, ConsolePermission)],
    /// It decides a request or a review: only a person may (see
    /// [`crate::principals::non_human`]).
    pub decides: bool,
}

const fn op(path: &'static str, needs: Needs, acts_on: ActsOn) -> Operation {
    Operation {
        path,
        needs,
        acts_on,
        choices: &[],
        decides: false,
    }
}

/// A row of an operation that decides a request or a review.
const fn deciding(path: &'static str, needs: Needs, acts_on: ActsOn) -> Operation {
    Operation {
        decides: true,
        ..op(path, needs, acts_on)
    }
}

impl Operation {
    /// The permission `choice` needs besides the row's own, or why it is refused.
    pub fn choice(&self, choice: &str) -> Result<ConsolePermission, String> {
        self.choices
            .iter()
            .find(|(name, _)| *name == choice)
            .map(|(_, permission)| *permission)
            .ok_or_else(|| {
                let names: Vec<&str> = self.choices.iter().map(|(name, _)| *name).collect();
                format!("Choose one of: {}.", names.join(", "))
            })
    }
}

/// Every server function of the console.
pub const SERVER_FUNCTIONS: &[Operation] = &[
    op(
        "/api/accounts/list",
        Needs::Permission(AccountsView),
        ActsOn::Listed,
    ),
    op(
        "/api/accounts/create",
        Needs::Permission(AccountsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/audit/events",
        Needs::Permission(AuditView),
        ActsOn::Listed,
    ),
    op("/api/auth/me", Needs::Anyone, ActsOn::Caller),
    op("/api/auth/login", Needs::Anyone, ActsOn::Caller),
    op("/api/auth/code", Needs::Anyone, ActsOn::Caller),
    op("/api/auth/logout", Needs::SignedIn, ActsOn::Caller),
    op("/api/auth/passkey/challenge", Needs::Anyone, ActsOn::Caller),
    op("/api/auth/passkey", Needs::Anyone, ActsOn::Caller),
    op("/api/auth/sign-on", Needs::Anyone, ActsOn::Caller),
    op("/api/security/state", Needs::SignedIn, ActsOn::Caller),
    op("/api/security/totp/start", Needs::SignedIn, ActsOn::Caller),
    op(
        "/api/security/totp/confirm",
        Needs::SignedIn,
        ActsOn::Caller,
    ),
    op("/api/security/step-up", Needs::SignedIn, ActsOn::Caller),
    op(
        "/api/security/step-up/passkey",
        Needs::SignedIn,
        ActsOn::Caller,
    ),
    op(
        "/api/security/passkeys/challenge",
        Needs::SignedIn,
        ActsOn::Caller,
    ),
    op(
        "/api/security/passkeys/add",
        Needs::SignedIn,
        ActsOn::Caller,
    ),
    op(
        "/api/security/passkeys/remove",
        Needs::SignedIn,
        ActsOn::Caller,
    ),
    op("/api/security/totp/remove", Needs::SignedIn, ActsOn::Caller),
    op(
        "/api/security/recovery-codes",
        Needs::SignedIn,
        ActsOn::Caller,
    ),
    op(
        "/api/settings/second-factor",
        Needs::Permission(PrincipalsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/settings/sign-on",
        Needs::Permission(PrincipalsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/settings/sign-on/remove",
        Needs::Permission(PrincipalsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/consent/search",
        Needs::Permission(ConsentView),
        ActsOn::Listed,
    ),
    op(
        "/api/consent/subject",
        Needs::Permission(ConsentView),
        ActsOn::Subject,
    ),
    op(
        "/api/consent/record",
        Needs::Permission(ConsentManage),
        ActsOn::Subject,
    ),
    op(
        "/api/consent/attention",
        Needs::Permission(ConsentView),
        ActsOn::Listed,
    ),
    op(
        "/api/consent/accounts",
        Needs::Permission(ConsentView),
        ActsOn::Listed,
    ),
    op(
        "/api/consent/account",
        Needs::Permission(ConsentView),
        ActsOn::Account,
    ),
    op(
        "/api/consent/purposes",
        Needs::Permission(ConsentView),
        ActsOn::Listed,
    ),
    op(
        "/api/consent/add-purpose",
        Needs::Permission(ConsentManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/dashboard/summary",
        Needs::Permission(DashboardView),
        ActsOn::Listed,
    ),
    // Only how far behind a standby is: no figure of the organisation's.
    op("/api/reads/lag", Needs::SignedIn, ActsOn::Caller),
    op(
        "/api/dsr/list",
        Needs::Permission(ConsentView),
        ActsOn::Listed,
    ),
    op(
        "/api/dsr/detail",
        Needs::Permission(ConsentView),
        ActsOn::SubjectRequest,
    ),
    op(
        "/api/dsr/open",
        Needs::Permission(DsrManage),
        ActsOn::Subject,
    ),
    op(
        "/api/dsr/step",
        Needs::Permission(DsrManage),
        ActsOn::SubjectRequest,
    ),
    op(
        "/api/dsr/extend",
        Needs::Permission(DsrManage),
        ActsOn::SubjectRequest,
    ),
    op(
        "/api/dsr/rectify",
        Needs::Permission(DsrManage),
        ActsOn::SubjectRequest,
    ),
    op(
        "/api/dsr/erase",
        Needs::Permission(DsrManage),
        ActsOn::SubjectRequest,
    ),
    op(
        "/api/dsr/response-days",
        Needs::Permission(DsrManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/grants/create",
        Needs::Permission(GrantsAssign),
        ActsOn::ChosenAccount,
    ),
    op(
        "/api/grants/revoke",
        Needs::Permission(GrantsAssign),
        ActsOn::Grant,
    ),
    op(
        "/api/principals/list",
        Needs::Permission(PrincipalsView),
        ActsOn::Listed,
    ),
    op(
        "/api/principals/detail",
        Needs::Permission(PrincipalsView),
        ActsOn::Principal,
    ),
    op(
        "/api/principals/update",
        Needs::Permission(PrincipalsManage),
        ActsOn::Principal,
    ),
    op(
        "/api/principals/status",
        Needs::Permission(PrincipalsManage),
        ActsOn::Principal,
    ),
    op(
        "/api/principals/second-factor/reset",
        Needs::Permission(PrincipalsManage),
        ActsOn::Principal,
    ),
    op(
        "/api/principals/tokens",
        Needs::Permission(PrincipalsView),
        ActsOn::Principal,
    ),
    op(
        "/api/principals/tokens/create",
        Needs::Permission(IntegrationsManage),
        ActsOn::Principal,
    ),
    op(
        "/api/principals/tokens/revoke",
        Needs::Permission(IntegrationsManage),
        ActsOn::Principal,
    ),
    op(
        "/api/principals/account",
        Needs::Permission(PrincipalsManage),
        ActsOn::Account,
    ),
    op(
        "/api/reports/dormant",
        Needs::Permission(ReportsView),
        ActsOn::Listed,
    ),
    Operation {
        path: "/api/reports/act",
        needs: Needs::Permission(ReportsView),
        acts_on: ActsOn::Principal,
        choices: &[
            ("suspend", PrincipalsManage),
            ("revoke_grants", GrantsAssign),
            ("review", GrantsAssign),
        ],
        decides: false,
    },
    op(
        "/api/reports/hygiene",
        Needs::Permission(ReportsView),
        ActsOn::Listed,
    ),
    op(
        "/api/reports/account-limit",
        Needs::Permission(AccountsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/requests/form",
        Needs::Permission(RequestsCreate),
        ActsOn::Listed,
    ),
    op(
        "/api/requests/preview",
        Needs::Permission(RequestsCreate),
        ActsOn::ChosenAccount,
    ),
    op(
        "/api/requests/create",
        Needs::Permission(RequestsCreate),
        ActsOn::ChosenAccount,
    ),
    op(
        "/api/requests/mine",
        Needs::Permission(RequestsCreate),
        ActsOn::Caller,
    ),
    op(
        "/api/requests/cancel",
        Needs::Permission(RequestsCreate),
        ActsOn::Request,
    ),
    op(
        "/api/approvals/queue",
        Needs::Permission(RequestsApprove),
        ActsOn::Listed,
    ),
    op(
        "/api/approvals/count",
        Needs::Permission(RequestsApprove),
        ActsOn::Listed,
    ),
    deciding(
        "/api/approvals/decide-many",
        Needs::Permission(RequestsApprove),
        ActsOn::Request,
    ),
    deciding(
        "/api/approvals/decide",
        Needs::Permission(RequestsApprove),
        ActsOn::Request,
    ),
    op(
        "/api/access/expiring",
        Needs::Permission(RequestsApprove),
        ActsOn::Listed,
    ),
    op(
        "/api/access/choices",
        Needs::Permission(PrincipalsView),
        ActsOn::Listed,
    ),
    op(
        "/api/access/explain",
        Needs::Permission(PrincipalsView),
        ActsOn::Principal,
    ),
    op(
        "/api/access/who",
        Needs::Permission(PrincipalsView),
        ActsOn::Listed,
    ),
    op(
        "/api/access/fields",
        Needs::Permission(RolesView),
        ActsOn::Listed,
    ),
    op(
        "/api/access/fields/classify",
        Needs::Permission(RolesManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/access/fields/unclassify",
        Needs::Permission(RolesManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/access/clearance/bundle",
        Needs::Permission(RolesManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/access/clearance/principal",
        Needs::Permission(PrincipalsManage),
        ActsOn::Principal,
    ),
    op(
        "/api/access/renew",
        Needs::Permission(RequestsApprove),
        ActsOn::Grant,
    ),
    op(
        "/api/reviews/overview",
        Needs::Permission(DashboardView),
        ActsOn::Listed,
    ),
    op(
        "/api/reviews/create",
        Needs::Permission(GrantsAssign),
        ActsOn::ChosenAccount,
    ),
    op(
        "/api/reviews/detail",
        Needs::Permission(DashboardView),
        ActsOn::Campaign,
    ),
    deciding(
        "/api/reviews/decide",
        Needs::Permission(DashboardView),
        ActsOn::Campaign,
    ),
    op(
        "/api/reviews/close",
        Needs::Permission(GrantsAssign),
        ActsOn::Campaign,
    ),
    op(
        "/api/roles/matrix",
        Needs::Permission(RolesView),
        ActsOn::Listed,
    ),
    op(
        "/api/roles/compare",
        Needs::Permission(RolesView),
        ActsOn::Listed,
    ),
    op(
        "/api/roles/set-permission",
        Needs::Permission(RolesManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/roles/create",
        Needs::Permission(RolesManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/roles/update",
        Needs::Permission(RolesManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/roles/delete",
        Needs::Permission(RolesManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/sod/overview",
        Needs::Permission(RolesView),
        ActsOn::Listed,
    ),
    op(
        "/api/sod/create",
        Needs::Permission(RolesManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/sod/delete",
        Needs::Permission(RolesManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/lifecycle/settings",
        Needs::Permission(PrincipalsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/lifecycle/fallback-owner",
        Needs::Permission(PrincipalsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/lifecycle/grace",
        Needs::Permission(PrincipalsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/lifecycle/birthright-create",
        Needs::Permission(GrantsAssign),
        ActsOn::Organisation,
    ),
    op(
        "/api/lifecycle/birthright-retire",
        Needs::Permission(GrantsAssign),
        ActsOn::Organisation,
    ),
    op(
        "/api/lifecycle/birthright-change",
        Needs::Permission(GrantsAssign),
        ActsOn::Organisation,
    ),
    op(
        "/api/lifecycle/failsafe",
        Needs::Permission(PrincipalsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/lifecycle/held",
        Needs::Permission(PrincipalsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/lifecycle/held-decide",
        Needs::Permission(PrincipalsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/lifecycle/inactivity",
        Needs::Permission(PrincipalsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/lifecycle/inactivity-preview",
        Needs::Permission(PrincipalsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/packages/overview",
        Needs::Permission(RequestsCreate),
        ActsOn::Caller,
    ),
    op(
        "/api/packages/create",
        Needs::Permission(GrantsAssign),
        ActsOn::Organisation,
    ),
    op(
        "/api/packages/retire",
        Needs::Permission(GrantsAssign),
        ActsOn::Organisation,
    ),
    op(
        "/api/packages/request",
        Needs::Permission(RequestsCreate),
        ActsOn::Caller,
    ),
    // The package's policy decides who approves each step: the service answers 404 to
    // anyone else, as if the request did not exist.
    deciding(
        "/api/packages/decide",
        Needs::Permission(RequestsCreate),
        ActsOn::Caller,
    ),
    op(
        "/api/tokens/overview",
        Needs::Permission(IntegrationsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/tokens/create",
        Needs::Permission(IntegrationsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/tokens/create-provisioning",
        Needs::Permission(IntegrationsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/tokens/revoke",
        Needs::Permission(IntegrationsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/webhooks/overview",
        Needs::Permission(IntegrationsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/webhooks/create",
        Needs::Permission(IntegrationsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/webhooks/set-active",
        Needs::Permission(IntegrationsManage),
        ActsOn::Organisation,
    ),
    op(
        "/api/webhooks/retry",
        Needs::Permission(IntegrationsManage),
        ActsOn::Organisation,
    ),
];

/// Every HTTP endpoint that is not a page or a server function.
pub const HTTP_ENDPOINTS: &[Operation] = &[
    op(
        "/audit/export.csv",
        Needs::Permission(AuditExport),
        ActsOn::Listed,
    ),
    op(
        "/audit/checkpoint.json",
        Needs::Permission(AuditExport),
        ActsOn::Organisation,
    ),
    op(
        "/reports/dormant.csv",
        Needs::Permission(ReportsView),
        ActsOn::Listed,
    ),
    op(
        "/reports/expiring.csv",
        Needs::Permission(ReportsView),
        ActsOn::Listed,
    ),
    op(
        "/reports/overloaded-roles.csv",
        Needs::Permission(ReportsView),
        ActsOn::Listed,
    ),
    op(
        "/reports/overreach.csv",
        Needs::Permission(ReportsView),
        ActsOn::Listed,
    ),
    op(
        "/reports/client-bleed.csv",
        Needs::Permission(ReportsView),
        ActsOn::Listed,
    ),
    op(
        "/reports/sod-violations.csv",
        Needs::Permission(ReportsView),
        ActsOn::Listed,
    ),
    op(
        "/consent/{subject}/proof.json",
        Needs::Permission(ConsentView),
        ActsOn::Subject,
    ),
    op(
        "/consent/{subject}/proof.csv",
        Needs::Permission(ConsentView),
        ActsOn::Subject,
    ),
    op(
        "/dsr/{request}/export.json",
        Needs::Permission(DsrManage),
        ActsOn::SubjectRequest,
    ),
    op(
        "/api/v1/activity",
        Needs::Token(Tokens::Application),
        ActsOn::Organisation,
    ),
    op(
        "/api/v1/consent-events",
        Needs::Token(Tokens::Application),
        ActsOn::Organisation,
    ),
    op(
        "/api/v1/decisions",
        Needs::Token(Tokens::Either),
        ActsOn::Organisation,
    ),
    op(
        "/api/v1/principals/{principal}/permissions",
        Needs::Token(Tokens::Either),
        ActsOn::Organisation,
    ),
    op(
        "/api/v1/permissions/{permission}/holders",
        Needs::Token(Tokens::Application),
        ActsOn::Organisation,
    ),
    op(
        "/api/v1/filter",
        Needs::Token(Tokens::Either),
        ActsOn::Organisation,
    ),
    op(
        "/api/v1/requests",
        Needs::Token(Tokens::Principal),
        ActsOn::Caller,
    ),
    op("/healthz", Needs::Anyone, ActsOn::Caller),
    op("/readyz", Needs::Anyone, ActsOn::Caller),
    // The API's description holds nothing an organisation owns.
    op("/api/v1/openapi.json", Needs::Anyone, ActsOn::Caller),
    op("/metrics", Needs::Operator, ActsOn::Caller),
    op(
        "/scim/v2/ServiceProviderConfig",
        Needs::Provisioning,
        ActsOn::Organisation,
    ),
    op(
        "/scim/v2/ResourceTypes",
        Needs::Provisioning,
        ActsOn::Organisation,
    ),
    op(
        "/scim/v2/ResourceTypes/{id}",
        Needs::Provisioning,
        ActsOn::Organisation,
    ),
    op(
        "/scim/v2/Schemas",
        Needs::Provisioning,
        ActsOn::Organisation,
    ),
    op(
        "/scim/v2/Schemas/{id}",
        Needs::Provisioning,
        ActsOn::Organisation,
    ),
    op("/scim/v2/Users", Needs::Provisioning, ActsOn::Organisation),
    op("/scim/v2/Groups", Needs::Provisioning, ActsOn::Organisation),
    op(
        "/scim/v2/Groups/{id}",
        Needs::Provisioning,
        ActsOn::Organisation,
    ),
    op(
        "/scim/v2/Users/{id}",
        Needs::Provisioning,
        ActsOn::Organisation,
    ),
    op(
        "/scim/v2/{*rest}",
        Needs::Provisioning,
        ActsOn::Organisation,
    ),
    op("/auth/sso/start", Needs::Anyone, ActsOn::Caller),
    op("/auth/sso/callback", Needs::Anyone, ActsOn::Caller),
];

/// The row of `path`, if there is one: a path without a row is refused.
pub fn operation(path: &str) -> Option<&'static Operation> {
    SERVER_FUNCTIONS
        .iter()
        .chain(HTTP_ENDPOINTS)
        .find(|o| o.path == path)
}

impl Needs {
    /// Whether a caller is let through: `signed_in` with `permissions` on the console.
    /// Tokens are checked by the token's own guard, never by a session.
    pub fn admits(self, signed_in: bool, permissions: &[ConsolePermission]) -> bool {
        match self {
            Needs::Anyone => true,
            Needs::SignedIn => signed_in,
            Needs::Permission(p) => signed_in && permissions.contains(&p),
            Needs::Token(_) | Needs::Operator | Needs::Provisioning => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::ConsoleRole;
    use crate::hygiene::Hygiene;

    #[test]
    fn the_operations_that_decide_are_marked() {
        let deciding: Vec<&str> = SERVER_FUNCTIONS
            .iter()
            .filter(|o| o.decides)
            .map(|o| o.path)
            .collect();
        assert_eq!(
            deciding,
            [
                "/api/approvals/decide-many",
                "/api/approvals/decide",
                "/api/reviews/decide",
                "/api/packages/decide"
            ]
        );
    }

    #[test]
    fn every_path_has_one_row() {
        let mut paths: Vec<&str> = SERVER_FUNCTIONS
            .iter()
            .chain(HTTP_ENDPOINTS)
            .map(|o| o.path)
            .collect();
        let all = paths.len();
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), all);
    }

    #[test]
    fn every_hygiene_report_download_has_a_row() {
        for report in Hygiene::ALL {
            let path = format!("/reports/{}.csv", report.slug());
            assert!(operation(&path).is_some(), "{path}");
        }
    }

    #[test]
    fn unknown_paths_and_tokens_never_admit_a_session() {
        assert_eq!(operation("/api/no-such-thing"), None);
        let everything = ConsolePermission::ALL;
        for tokens in [Tokens::Application, Tokens::Either, Tokens::Principal] {
            assert!(!Needs::Token(tokens).admits(true, &everything));
        }
        assert!(!Tokens::Application.takes(true));
        assert!(!Tokens::Principal.takes(false));
        assert!(!Needs::SignedIn.admits(false, &everything));
        assert!(!Needs::Permission(AuditView).admits(false, &everything));
    }

    #[test]
    fn a_choice_not_in_the_row_is_refused_with_the_ones_that_are() {
        let act = operation("/api/reports/act").unwrap();
        assert_eq!(act.choice("suspend"), Ok(PrincipalsManage));
        assert_eq!(
            act.choice("delete"),
            Err("Choose one of: suspend, revoke_grants, review.".to_string())
        );
    }

    #[test]
    fn a_member_changes_nothing_but_their_own_requests() {
        let member = ConsoleRole::Member.permissions();
        let admitted: Vec<&str> = SERVER_FUNCTIONS
            .iter()
            .filter(|o| o.needs != Needs::Anyone && o.needs.admits(true, &member))
            .map(|o| o.path)
            .collect();
        assert!(
            admitted.iter().all(|p| p.starts_with("/api/requests/")
                || p.starts_with("/api/reviews/")
                // Asking for packages, and deciding those their policies name them for.
                || ["/api/packages/overview", "/api/packages/request", "/api/packages/decide"]
                    .contains(p)
                // Their own sign-in security, and no one else's.
                || p.starts_with("/api/security/")
                || *p == "/api/dashboard/summary"
                || *p == "/api/reads/lag"
                || *p == "/api/auth/logout"),
            "{admitted:?}"
        );
    }
}

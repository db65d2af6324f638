//! People, bots, agents and integrations as the browser receives them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::ConditionsShown;
use uuid::Uuid;

use rules::principals::PrincipalStatus;

pub const PRINCIPALS_PAGE_SIZE: u32 = 50;

/// Filters and sorting of the principals list, as in the page's query string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalQuery {
    #[serde(default)]
    pub search: String,
    /// human, ai_agent, bot, integration or empty.
    #[serde(default)]
    pub kind: String,
    /// active, suspended, offboarded or empty.
    #[serde(default)]
    pub status: String,
    /// An account id, or empty.
    #[serde(default)]
    pub account: String,
    /// "yes": only principals without activity for 90 days (or never active).
    #[serde(default)]
    pub dormant: String,
    /// name (default), last_activity or end_date.
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub page: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct PrincipalRow {
    pub id: Uuid,
    pub kind: String,
    pub display_name: String,
    pub email: Option<String>,
    pub external_id: Option<String>,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub status: PrincipalStatus,
    pub employment_type: Option<String>,
    pub job_title: String,
    /// The manager, or the owner of a non-human principal.
    pub responsible: Option<String>,
    pub responsible_email: Option<String>,
    pub accounts: Option<String>,
    pub last_activity_at: Option<DateTime<Utc>>,
    pub end_date: Option<NaiveDate>,
    /// Its own clearance (the most sensitive data it may see), if it has one.
    pub clearance: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalPage {
    pub rows: Vec<PrincipalRow>,
    pub page: u32,
    pub has_next: bool,
    /// Every account, for the account filter: (id, name).
    pub accounts: Vec<(Uuid, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct GrantRow {
    pub id: Uuid,
    pub bundle: String,
    pub bundle_kind: String,
    pub application: String,
    pub account: Option<String>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "serde_json::Value"))]
    pub conditions: ConditionsShown,
    pub granted_by: Option<String>,
    pub reason: String,
    pub source_request_id: Option<Uuid>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<String>,
    /// The birthright rule it came from.
    pub birthright_rule: Option<String>,
    /// The access package it belongs to (its grants end together).
    pub package: Option<String>,
    /// When a mover's or a package's review that asks about it falls due (undecided, it
    /// is revoked then).
    pub removal_due: Option<chrono::NaiveDate>,
}

/// A permission held now on a scope, with the grants that give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveRow {
    pub application: String,
    /// `None`: every account.
    pub account: Option<String>,
    pub permission: String,
    pub high_impact: bool,
    /// Role or permission-set names of the grants that give it.
    pub sources: Vec<String>,
    /// When every grant that gives it has conditions: what they ask, in words (one
    /// entry per grant). Empty when one grant gives it unconditionally.
    pub only_when: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalDetail {
    pub principal: PrincipalRow,
    pub current_grants: Vec<GrantRow>,
    /// Expired, not yet valid, or revoked.
    pub other_grants: Vec<GrantRow>,
    pub effective: Vec<EffectiveRow>,
    /// What may be granted: roles and permission sets, labelled with their application.
    pub grantable: Vec<GrantableBundle>,
    /// Accounts a grant may be scoped to: (id, name).
    pub accounts: Vec<(Uuid, String)>,
    /// Accounts the principal is assigned to serve: (id, name).
    pub assigned_accounts: Vec<(Uuid, String)>,
    /// Since when they sign in to the console with an authenticator app, if they do.
    pub second_factor_since: Option<chrono::DateTime<chrono::Utc>>,
    /// How many passkeys they sign in with.
    pub passkeys: i64,
    /// The access packages they hold or held, newest first.
    pub packages: Vec<crate::model::packages::PackageAssignmentView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct GrantableBundle {
    pub id: Uuid,
    /// "role" or "permission set".
    pub kind: String,
    pub application: String,
    pub name: String,
}

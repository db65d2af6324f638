//! Access packages as the browser receives them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The `/packages` page: the catalogue, the requests waiting for the caller, and theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackagesOverview {
    pub packages: Vec<PackageView>,
    /// Who the caller may ask for: themselves, and those they manage or own.
    pub for_whom: Vec<(Uuid, String)>,
    /// Requests whose current step the caller may decide.
    pub waiting: Vec<PackageRequestView>,
    /// Requests the caller made or that are for them, newest first.
    pub mine: Vec<PackageRequestView>,
    /// Whether the caller may make and retire packages.
    pub can_manage: bool,
}

/// A package in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageView {
    pub id: Uuid,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// "Application — Role on Account", one per role or permission set.
    #[serde(default)]
    pub items: Vec<String>,
    /// Who it may be asked for, in words.
    pub for_whom: String,
    /// Who approves each step, in words.
    pub approvers: Vec<String>,
    #[serde(default)]
    pub max_days: i32,
    #[serde(default)]
    pub review_months: Option<i16>,
    /// Principals holding it now.
    pub holders: i64,
}

/// A request for a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageRequestView {
    pub id: Uuid,
    pub package: String,
    pub items: Vec<String>,
    pub principal: String,
    pub requester: String,
    pub justification: String,
    pub days: i32,
    pub steps: i16,
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// "Name: approved — comment", in step order.
    pub decisions: Vec<String>,
    pub decision_comment: Option<String>,
}

/// A package a principal holds or held, for their page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct PackageAssignmentView {
    pub package: String,
    pub granted_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub next_review_on: Option<NaiveDate>,
    /// Grants of it still in force.
    pub grants_in_force: i64,
    pub grants: i64,
}

/// The package form, as typed; a field left out is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PackageInput {
    pub name: String,
    pub description: String,
    /// One `Application / Role or set / Account` per line.
    pub items: String,
    pub for_kinds: Vec<String>,
    /// Criteria as a birthright rule writes them; empty: anyone of those kinds.
    pub for_criteria: String,
    pub first_approver: String,
    /// Emails, separated by commas or lines.
    pub first_named: String,
    /// Empty: one step.
    pub second_approver: String,
    pub second_named: String,
    pub max_days: String,
    pub review_months: String,
}

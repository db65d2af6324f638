//! The organisation's lifecycle settings, as the browser receives them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::principals::GrantableBundle;
use crate::model::reviews::Choice;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleSettings {
    /// Who takes over what a leaver owned when they have no active manager.
    pub fallback_owner: Option<String>,
    pub fallback_email: Option<String>,
    /// Days a mover keeps access the rules no longer justify while their manager decides.
    pub grace_days: i32,
    pub rules: Vec<BirthrightRuleView>,
    /// What a rule may give, and where.
    pub bundles: Vec<GrantableBundle>,
    pub accounts: Vec<Choice>,
    /// The failsafe's limits per hour (None: no limit), and the changes it holds.
    pub failsafe_grants: Option<i32>,
    pub failsafe_principals: Option<i32>,
    pub held: usize,
    /// Kinds suspended after so many days without activity.
    pub inactivity: Vec<InactivityRuleView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InactivityRuleView {
    pub kind: String,
    pub days: i32,
}

/// Who an inactivity rule would reach now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InactivityPreview {
    pub kind: String,
    pub days: i32,
    /// Quiet longer than the days: told now, suspended seven days later.
    pub would_suspend: i64,
    /// The first of them.
    pub names: Vec<String>,
    /// Quiet long enough to be told, not yet long enough to be suspended.
    pub noticed: i64,
}

/// A run the failsafe held, waiting for an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldChange {
    pub id: Uuid,
    /// `scim_user`, `end_date` or `rule_retire`.
    pub kind: String,
    pub summary: String,
    pub grants: i32,
    pub principals: i32,
    pub held_at: chrono::DateTime<chrono::Utc>,
}

/// A birthright rule in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BirthrightRuleView {
    pub id: Uuid,
    pub name: String,
    /// One criterion per line.
    pub criteria: String,
    pub bundle: String,
    pub application: String,
    /// None: every account.
    pub account: Option<String>,
    pub until_end_date: bool,
    /// Grants in force that came from it.
    pub holders: i64,
}

/// A new birthright rule as the form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BirthrightRuleInput {
    pub name: String,
    pub criteria: String,
    /// A role's or permission set's id.
    pub bundle: String,
    /// An account's id; empty: every account.
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub until_end_date: bool,
}

/// What one weighing of people against the birthright rules changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BirthrightRun {
    pub granted: usize,
    /// Grants a separation-of-duties rule kept from being given.
    pub withheld: usize,
    /// Grants now waiting in a mover's review.
    pub scheduled: usize,
    /// Grants revoked at once: nobody to ask, or no grace period.
    pub revoked: usize,
    /// Grants that passed to another rule, were justified again, or had their end moved.
    pub changed: usize,
}

//! Separation-of-duties rules and the violations found, as the browser receives them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct SodRuleRow {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// `block`, `extra_approval` or `record`.
    pub mode: String,
    /// "Application: resource.action".
    pub permission: String,
    /// The other side: a permission or "Application: role Name".
    pub conflicting: String,
    pub created_at: DateTime<Utc>,
}

/// A principal holding both sides of a rule on one account (`None`: every account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct SodViolation {
    pub rule_id: Uuid,
    pub rule: String,
    pub mode: String,
    pub principal_id: Uuid,
    pub principal: String,
    pub principal_kind: String,
    pub account: Option<String>,
}

/// Everything the rules page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SodOverview {
    pub rules: Vec<SodRuleRow>,
    pub violations: Vec<SodViolation>,
    /// What a rule may name, as (id, label): filled only for those who may add rules.
    pub permissions: Vec<(Uuid, String)>,
    pub roles: Vec<(Uuid, String)>,
}

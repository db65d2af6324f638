//! Types shared by the server and the browser.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub mod access;
pub mod consent;
pub mod dsr;
pub mod lifecycle;
pub mod packages;
pub mod principals;
pub mod reports;
pub mod requests;
pub mod reviews;
pub mod roles;
pub mod second_factor;
pub mod sign_on;
pub mod sod;
pub mod tokens;
pub mod webhooks;

use rules::console::ConsolePermission;

/// A grant's or a request's conditions as the console shows them: in words, and as
/// written in the condition language. Both empty when there are none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionsShown {
    pub words: String,
    pub text: String,
}

impl ConditionsShown {
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// Read from the stored JSON. Conditions that cannot be read are shown as such (the
/// evaluator allows nothing under them).
#[cfg(feature = "ssr")]
impl From<serde_json::Value> for ConditionsShown {
    fn from(stored: serde_json::Value) -> Self {
        use rules::policy::conditions::Conditions;
        match Conditions::from_json(&stored) {
            Ok(c) => ConditionsShown {
                words: c.words(),
                text: c.text(),
            },
            Err(_) => ConditionsShown {
                words: "conditions that cannot be read, under which nothing is allowed".into(),
                text: stored.to_string(),
            },
        }
    }
}

/// The signed-in console user, as the browser sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub principal_id: Uuid,
    pub display_name: String,
    pub email: String,
    pub organisation: String,
    pub roles: Vec<String>,
    pub permissions: Vec<ConsolePermission>,
    /// When their organisation needs them to have a second factor by, if it does and
    /// they have none.
    pub second_factor_due: Option<DateTime<Utc>>,
}

impl CurrentUser {
    pub fn can(&self, permission: ConsolePermission) -> bool {
        self.permissions.contains(&permission)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Account {
    pub id: Uuid,
    pub name: String,
    pub region: String,
    pub created_at: DateTime<Utc>,
    pub principals: i64,
    pub active_grants: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AuditEvent {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_principal_id: Option<Uuid>,
    pub actor_label: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub target_label: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub reason: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Filters of the audit trail, as typed into the page's form (and its query string).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub target: String,
    /// First day included, `YYYY-MM-DD` (UTC).
    #[serde(default)]
    pub from: String,
    /// Last day included, `YYYY-MM-DD` (UTC).
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub page: u32,
}

impl AuditQuery {
    /// The query string that reproduces these filters (used by links and the export).
    pub fn to_query_string(&self, page: Option<u32>) -> String {
        let mut pairs: Vec<(&str, String)> = vec![];
        for (key, value) in [
            ("actor", &self.actor),
            ("action", &self.action),
            ("target", &self.target),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !value.trim().is_empty() {
                pairs.push((key, value.trim().to_string()));
            }
        }
        if let Some(page) = page.filter(|p| *p > 0) {
            pairs.push(("page", page.to_string()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

pub const AUDIT_PAGE_SIZE: u32 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub page: u32,
    pub has_next: bool,
    /// The last walk of the organisation's hash chain, for readers of every account.
    pub chain: Option<ChainState>,
}

/// How far the audit trail's hash chain was last verified, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainState {
    pub verified_at: Option<chrono::DateTime<chrono::Utc>>,
    pub up_to: i64,
    pub unsealed: i64,
    pub broken: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct DashboardSummary {
    pub accounts: i64,
    pub applications: i64,
    pub humans: i64,
    pub non_humans: i64,
    pub active_grants: i64,
    pub time_bound_grants: i64,
    pub dormant_principals: i64,
    pub past_end_date: i64,
    pub pending_requests: i64,
    /// The figures as they stood each day, oldest first (the last 90 days).
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub trend: Vec<DailySnapshot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct DailySnapshot {
    pub day: chrono::NaiveDate,
    pub dormant_principals: i64,
    pub pending_requests: i64,
    pub active_grants: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_query_string_skips_empty_filters_and_encodes() {
        let q = AuditQuery {
            actor: "ada lovelace".into(),
            action: "".into(),
            target: "a&b".into(),
            ..Default::default()
        };
        assert_eq!(
            q.to_query_string(Some(2)),
            "actor=ada+lovelace&target=a%26b&page=2"
        );
        assert_eq!(
            q.to_query_string(Some(0)),
            "actor=ada+lovelace&target=a%26b"
        );
    }
}

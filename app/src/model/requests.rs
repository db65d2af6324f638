//! Access requests as the browser receives them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::principals::GrantableBundle;
use crate::model::ConditionsShown;
use rules::principals::PrincipalStatus;
use rules::requests::RequestStatus;
use rules::sod::Conflict;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct RequestRow {
    pub id: Uuid,
    pub requester: String,
    pub principal_id: Uuid,
    pub principal: String,
    pub principal_kind: String,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub principal_status: PrincipalStatus,
    pub principal_end_date: Option<NaiveDate>,
    pub principal_last_activity: Option<DateTime<Utc>>,
    pub bundle: String,
    pub bundle_kind: String,
    pub application: String,
    pub account: Option<String>,
    pub duration: String,
    pub justification: String,
    /// The conditions the grant will carry.
    #[cfg_attr(feature = "ssr", sqlx(try_from = "serde_json::Value"))]
    pub conditions: ConditionsShown,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub status: RequestStatus,
    pub approvals_needed: i16,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_comment: Option<String>,
    /// "name: approved|denied — comment" per step decided so far.
    #[cfg_attr(feature = "ssr", sqlx(default))]
    pub decisions: Vec<String>,
    /// The risk level of the most sensitive permission it adds.
    pub risk: String,
    pub high_impact: bool,
    /// "Rule name (mode)" for each separation-of-duties rule it meets.
    #[cfg_attr(feature = "ssr", sqlx(default))]
    pub sod_conflicts: Vec<String>,
    /// Keys of the permissions it adds, as when it was made.
    #[cfg_attr(feature = "ssr", sqlx(default))]
    pub adds: Vec<String>,
    /// The principal's grants in force now: "Role · Account".
    #[cfg_attr(feature = "ssr", sqlx(default))]
    pub current_access: Vec<String>,
}

impl RequestRow {
    /// Low-risk requests may be decided in bulk: one approval, nothing high-impact,
    /// at most medium risk, no separation-of-duties conflict.
    pub fn low_risk(&self) -> bool {
        self.approvals_needed == 1
            && !self.high_impact
            && matches!(self.risk.as_str(), "low" | "medium")
            && self.sod_conflicts.is_empty()
    }
}

/// The approvals queue's filters; empty means any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueFilter {
    pub application: Option<Uuid>,
    pub account: Option<Uuid>,
    pub risk: Option<String>,
    /// Part of the requester's name.
    pub requester: Option<String>,
}

/// The queue as the approver sees it, with what the filters may choose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalQueue {
    pub rows: Vec<RequestRow>,
    /// Requests waiting for this approver, whatever the filters.
    pub total: i64,
    pub applications: Vec<(Uuid, String)>,
    pub accounts: Vec<(Uuid, String)>,
}

/// What a bulk decision did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkOutcome {
    pub decided: usize,
    /// (request, why it was left undecided).
    pub refused: Vec<(Uuid, String)>,
}

/// What the request form offers: whom one may ask for, what and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestOptions {
    /// The caller first, then the people and non-human principals they manage or own.
    pub principals: Vec<(Uuid, String)>,
    pub bundles: Vec<GrantableBundle>,
    pub accounts: Vec<(Uuid, String)>,
}

/// What a grant would add to the principal's effective permissions right now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestPreview {
    /// Permission keys it adds, with whether each is high-impact.
    pub adds: Vec<(String, bool)>,
    /// How many of the bundle's permissions the principal already holds there.
    pub already_held: usize,
    pub approvals_needed: i16,
    /// The risk level of the most sensitive permission it adds.
    pub risk: String,
    /// Separation-of-duties rules it would break, blocks first.
    pub conflicts: Vec<Conflict>,
}

/// A grant ending soon, as an approver sees it on the expiring-access page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ExpiringGrant {
    pub id: Uuid,
    pub principal_id: Uuid,
    pub principal: String,
    pub principal_kind: String,
    pub bundle: String,
    pub application: String,
    pub account: Option<String>,
    pub valid_until: DateTime<Utc>,
    pub reason: String,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "serde_json::Value"))]
    pub conditions: ConditionsShown,
    pub renewal_pending: bool,
}

/// What a Governance admin's direct grant came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GrantOutcome {
    /// In force now.
    Granted { grant: Uuid },
    /// Too sensitive to grant alone: sent to the approvals queue as a request, which
    /// `approvals_needed` approvers other than the admin decide.
    Requested {
        request: Uuid,
        approvals_needed: i16,
        because: String,
    },
}

/// What a person asks for on `/requests`, as its form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessAsk {
    pub principal: Uuid,
    pub bundle: Uuid,
    /// An account's id, or empty for every account.
    pub account: String,
    /// 1, 7, 30 or 90 (days), `date` (with `until`) or `none`.
    pub duration: String,
    #[serde(default)]
    pub until: String,
    pub justification: String,
    /// In the grant's condition language; blank for none.
    #[serde(default)]
    pub conditions: String,
}

/// A grant an admin makes on a principal's page, as its form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantInput {
    pub principal: Uuid,
    pub bundle: Uuid,
    /// An account's id, or empty for every account.
    pub account: String,
    /// `YYYY-MM-DD`, or empty for no end.
    #[serde(default)]
    pub until: String,
    pub reason: String,
    /// In the grant's condition language; blank for none.
    #[serde(default)]
    pub conditions: String,
}

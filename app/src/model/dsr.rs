//! Data-subject requests as the browser receives them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use rules::dsr::{DsrKind, DsrStatus, Urgency};

pub const DSR_PAGE_SIZE: u32 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct DsrRow {
    pub id: Uuid,
    pub number: i64,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub kind: DsrKind,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub status: DsrStatus,
    pub subject_id: Uuid,
    /// The subject's name, or their external id when there is none (or the pseudonym).
    pub subject: String,
    pub account: String,
    pub received_on: NaiveDate,
    pub arrived_by: String,
    /// The date it must be answered by, extension included.
    pub due: NaiveDate,
    pub extended: bool,
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub urgency: Urgency,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DsrList {
    pub rows: Vec<DsrRow>,
    pub page: u32,
    pub has_next: bool,
    pub open: i64,
    pub overdue: i64,
    pub due_soon: i64,
    pub response_days: i64,
    pub can_manage: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct DsrFacts {
    pub details: String,
    pub due_on: NaiveDate,
    pub extended_to: Option<NaiveDate>,
    pub extension_reason: Option<String>,
    pub rejection_reason: Option<String>,
    pub outcome: Option<serde_json::Value>,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DsrDetail {
    pub row: DsrRow,
    pub facts: DsrFacts,
    pub subject: crate::model::consent::SubjectRow,
    /// The latest date an extension may reach.
    pub latest_extension: NaiveDate,
    /// For an access request: whether the export was downloaded (it must be, to complete).
    pub exported: bool,
    pub can_manage: bool,
}

/// Marks each open request overdue, due soon or on time as of `today`.
pub fn with_urgency(mut rows: Vec<DsrRow>, today: NaiveDate) -> Vec<DsrRow> {
    for r in &mut rows {
        r.urgency = rules::dsr::urgency(r.status, r.due, today);
    }
    rows
}

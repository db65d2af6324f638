//! Reports, as the browser receives them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The dormant report's filters, as they appear in the page address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DormantQuery {
    /// Window in days; empty for the default.
    #[serde(default)]
    pub days: String,
    /// `human`, `ai_agent`, `bot`, `integration`, or empty for every kind.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub page: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct DormantRow {
    pub id: Uuid,
    pub display_name: String,
    pub kind: String,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub employment_type: Option<String>,
    pub last_activity_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub end_date: Option<NaiveDate>,
    /// The manager, or the owner of a non-human principal.
    pub responsible: Option<String>,
    /// Grants in force now, and the roles and permission sets they give.
    pub grants: i64,
    pub bundles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DormantReport {
    pub days: i32,
    pub now: DateTime<Utc>,
    /// Dormant principals per kind (every kind, whatever the kind filter).
    pub by_kind: Vec<(String, i64)>,
    /// Rows matching the filters.
    pub total: i64,
    pub page: u32,
    pub rows: Vec<DormantRow>,
    pub has_next: bool,
}

/// What happened to a selection acted on from a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkOutcome {
    pub done: usize,
    /// Principals left alone, each with why.
    pub skipped: Vec<String>,
    /// The review campaign opened for the selection.
    pub campaign: Option<Uuid>,
}

/// A hygiene report's filters, as they appear in the page address; each report reads
/// the ones it offers (`rules::hygiene::Hygiene`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportQuery {
    /// Window in days; empty for the report's default.
    #[serde(default)]
    pub days: String,
    /// Application id, or empty for every application.
    #[serde(default)]
    pub application: String,
    /// Kind of principal, or empty for every kind.
    #[serde(default)]
    pub kind: String,
    /// Overloaded roles: `all` lists every role, not only the overloaded ones.
    #[serde(default)]
    pub show: String,
    #[serde(default)]
    pub page: u32,
}

/// One cell of a report table; `href` makes it a link in the page (the CSV has the text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            href: None,
        }
    }

    pub fn principal(id: Uuid, name: impl Into<String>) -> Self {
        Cell {
            text: name.into(),
            href: Some(format!("/principals/{id}")),
        }
    }
}

/// One page of a hygiene report, ready to show as a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportTable {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Rows matching the filters.
    pub total: i64,
    pub page: u32,
    pub has_next: bool,
    /// The window applied, for reports that have one.
    pub days: Option<i32>,
    /// Applications to filter by, for reports that offer it.
    pub applications: Vec<(Uuid, String)>,
    /// Client bleed: the organisation's limit of client accounts per principal.
    pub account_limit: Option<i32>,
}

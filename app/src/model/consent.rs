//! Consent histories as the browser receives them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const SUBJECTS_PAGE_SIZE: u32 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct SubjectRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub account: String,
    pub external_id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub country: Option<String>,
    pub pseudonymised_at: Option<DateTime<Utc>>,
}

/// A withdrawal of consent, as the consent console's first screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct RecentWithdrawal {
    pub subject_id: Uuid,
    /// The subject's name, or their external id when there is none.
    pub subject: String,
    pub account: String,
    pub channel: String,
    pub purpose: String,
    pub occurred_at: DateTime<Utc>,
}

/// What waits for the Data Protection Officer before any search: the latest withdrawals
/// and the open data-subject requests, most urgent first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentAttention {
    pub withdrawals: Vec<RecentWithdrawal>,
    pub requests: Vec<crate::model::dsr::DsrRow>,
    /// Open requests in all, overdue among them.
    pub open: i64,
    pub overdue: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectSearch {
    pub rows: Vec<SubjectRow>,
    pub page: u32,
    pub has_next: bool,
}

/// One consent event, every field of the proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ConsentEventRow {
    pub id: Uuid,
    pub seq: i64,
    pub channel: String,
    pub purpose: String,
    pub status: String,
    pub lawful_basis: String,
    pub method: String,
    pub source_system: String,
    pub notice_version: String,
    pub notice_sha256: String,
    pub language: String,
    pub jurisdiction: String,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    /// The application (by name) or the person who recorded it.
    pub recorded_by: String,
    pub source_event_id: Option<String>,
    pub evidence: serde_json::Value,
    pub reason: Option<String>,
}

/// The standing status of one channel and purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ConsentCell {
    pub channel: String,
    pub purpose: String,
    pub status: String,
    pub occurred_at: DateTime<Utc>,
}

/// Someone's look at, export of, or change to the subject in the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct SubjectAccess {
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectDetail {
    pub subject: SubjectRow,
    pub channels: Vec<String>,
    /// Built-in purposes, then the organisation's, then any other in the history.
    pub purposes: Vec<String>,
    pub state: Vec<ConsentCell>,
    /// Newest first.
    pub events: Vec<ConsentEventRow>,
    pub accesses: Vec<SubjectAccess>,
    /// Their data-subject requests, newest first.
    pub requests: Vec<crate::model::dsr::DsrRow>,
    /// Whether the caller may record an event by hand.
    pub can_record: bool,
    /// Whether the caller may open a data-subject request.
    pub can_open_request: bool,
}

/// Someone who may export or message the contacts of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ContactHolder {
    pub principal_id: Uuid,
    pub principal: String,
    pub kind: String,
    /// As "Application: resource.action".
    pub permissions: Vec<String>,
    /// Held on every account of the organisation rather than this one alone.
    pub organisation_wide: bool,
}

/// Consent in one account: opt-ins and withdrawals month by month, and who may export
/// or message its contacts beside how many have withdrawn marketing consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountConsent {
    pub account_id: Uuid,
    pub account: String,
    pub channel: String,
    pub purpose: String,
    pub channels: Vec<String>,
    pub purposes: Vec<String>,
    /// First day of each month, oldest first.
    pub months: Vec<chrono::NaiveDate>,
    pub opt_ins: Vec<i64>,
    pub withdrawals: Vec<i64>,
    pub subjects: i64,
    pub withdrawn_marketing: i64,
    pub holders: Vec<ContactHolder>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AccountRef {
    pub id: Uuid,
    pub name: String,
}

/// A purpose consent is asked for: built in, or the organisation's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Purpose {
    pub key: String,
    pub label: String,
    pub built_in: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurposeList {
    pub purposes: Vec<Purpose>,
    /// Whether the caller may add the organisation's own.
    pub can_add: bool,
}

/// A consent event a DPO records by hand, with the reason, as its form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandEvent {
    pub subject: Uuid,
    pub channel: String,
    pub purpose: String,
    pub status: String,
    pub lawful_basis: String,
    pub method: String,
    pub notice_version: String,
    pub notice_sha256: String,
    pub language: String,
    pub jurisdiction: String,
    pub reason: String,
}

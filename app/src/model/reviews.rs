//! Access-review campaigns and their items, as the browser receives them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct CampaignRow {
    pub id: Uuid,
    pub name: String,
    pub due_on: NaiveDate,
    /// `keep` or `revoke`: what closing does with undecided items.
    pub undecided: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub items: i64,
    pub decided: i64,
    pub to_revoke: i64,
    /// Items assigned to the caller, and how many of them are decided.
    pub mine: i64,
    pub mine_decided: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewsOverview {
    /// One page of the campaigns, open ones first.
    pub campaigns: Vec<CampaignRow>,
    /// The page (from 0), and whether another follows.
    pub page: u32,
    pub has_next: bool,
    /// Whether the caller may start and close campaigns (and so the choices below).
    pub can_manage: bool,
    pub applications: Vec<Choice>,
    pub accounts: Vec<Choice>,
    /// Roles, each named with its application.
    pub roles: Vec<Choice>,
    /// People who can sign in to the console, to be named as reviewers.
    pub people: Vec<Choice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ReviewItemRow {
    pub grant_id: Uuid,
    pub principal_id: Uuid,
    pub principal: String,
    pub principal_kind: String,
    pub bundle: String,
    pub application: String,
    pub account: Option<String>,
    pub valid_until: Option<DateTime<Utc>>,
    /// The grant's conditions, in words.
    #[cfg_attr(feature = "ssr", sqlx(try_from = "serde_json::Value"))]
    pub conditions: crate::model::ConditionsShown,
    pub last_activity_at: Option<DateTime<Utc>>,
    /// The last time the principal used any permission of this grant (on its account).
    pub last_used_at: Option<DateTime<Utc>>,
    pub reviewer_id: Uuid,
    pub reviewer: String,
    pub decision: Option<String>,
    pub reason: Option<String>,
    pub decided_by: Option<String>,
    pub outcome: Option<String>,
    /// Separation-of-duties rules the principal breaks now.
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub sod: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ReviewerProgress {
    pub reviewer_id: Uuid,
    pub reviewer: String,
    pub items: i64,
    pub decided: i64,
    pub to_revoke: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignDetail {
    pub campaign: CampaignRow,
    pub scope: String,
    pub reviewers: Vec<ReviewerProgress>,
    pub items: Vec<ReviewItemRow>,
    pub page: u32,
    pub has_next: bool,
    /// Only the caller's items are listed.
    pub mine_only: bool,
    pub can_manage: bool,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedCampaign {
    pub id: Uuid,
    pub items: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedCampaign {
    pub revoked: i64,
    pub kept: i64,
    /// Grants revoked or ended before the campaign closed.
    pub gone: i64,
}

/// A campaign to start, as its form sends it: `application` is an id or empty for any;
/// no `accounts` or `roles` means every one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignInput {
    pub name: String,
    #[serde(default)]
    pub application: String,
    #[serde(default)]
    pub accounts: Vec<Uuid>,
    #[serde(default)]
    pub roles: Vec<Uuid>,
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub principals: Vec<Uuid>,
    #[serde(default)]
    pub reviewers: Vec<Uuid>,
    pub due_on: String,
    pub undecided: String,
}

//! Who may do what: the explain and who-has-access pages, and the grants the decision
//! API names in its answers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One grant that gives a permission, as the console and the decision API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HeldGrant {
    pub grant: Uuid,
    /// The role or permission set.
    pub through: String,
    pub account_id: Option<Uuid>,
    /// The account's name, or "every account".
    pub account: String,
    pub valid_until: Option<DateTime<Utc>>,
    /// The grant's conditions in words; empty when it has none.
    pub conditions: String,
}

/// A permission of a governed application, for the pickers: `value` is
/// `application-id/resource.action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionChoice {
    pub value: String,
    pub label: String,
}

/// What the access pages' forms choose from: the permissions of the governed
/// applications and the accounts the caller reaches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessChoices {
    pub permissions: Vec<PermissionChoice>,
    pub accounts: Vec<(Uuid, String)>,
}

/// The explain page's question, as its form sends it; blank fields are not asked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExplainQuery {
    /// An id, email or external id.
    #[serde(default)]
    pub principal: String,
    /// `application-id/resource.action`.
    #[serde(default)]
    pub permission: String,
    /// An account's id, or empty for the question without an account.
    #[serde(default)]
    pub account: String,
    /// The resource's attributes: `name = value`, separated by commas or lines.
    #[serde(default)]
    pub attributes: String,
    /// The person an agent acts for: an id, email or external id, or empty.
    #[serde(default)]
    pub on_behalf_of: String,
}

/// A decision with its path, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    pub allowed: bool,
    pub principal: String,
    pub reasons: Vec<String>,
    pub policy_version: i64,
}

/// The who-has-access page's question.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoQuery {
    /// `application-id/resource.action`.
    #[serde(default)]
    pub permission: String,
    /// An account's id, or empty for any account.
    #[serde(default)]
    pub account: String,
}

/// One principal who may do it, with the grants that let them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub principal_id: Uuid,
    pub principal: String,
    /// Every grant that gives it carries conditions.
    pub conditional: bool,
    pub grants: Vec<HeldGrant>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holders {
    pub holders: Vec<Holder>,
    /// More holders than are listed.
    pub truncated: bool,
    pub policy_version: i64,
}

/// A declared field of a governed resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct FieldRow {
    pub field: String,
    /// public, internal, confidential or restricted.
    pub sensitivity: String,
    pub special_category: bool,
}

/// A resource of a governed application and its declared fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceFields {
    pub application_id: Uuid,
    pub application: String,
    pub resource: String,
    pub fields: Vec<FieldRow>,
}

/// A governed role or permission set and the clearance it gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct BundleClearance {
    pub id: Uuid,
    /// "role" or "permission set".
    pub kind: String,
    pub application: String,
    pub name: String,
    /// `None`: the default (internal).
    pub clearance: Option<String>,
}

/// `/access/fields`: what each resource's fields are, and what each role clears.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldsOverview {
    pub resources: Vec<ResourceFields>,
    pub bundles: Vec<BundleClearance>,
}

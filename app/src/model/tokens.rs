//! Application API tokens, as the browser receives them (never the token itself, except
//! once when it is made).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct TokenRow {
    pub id: Uuid,
    pub application: String,
    pub name: String,
    /// The token's first characters.
    pub hint: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// The principal a principal's own token speaks for.
    pub principal_id: Option<Uuid>,
    pub principal: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct TokenApplication {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokensOverview {
    pub tokens: Vec<TokenRow>,
    /// Applications a token may be made for (every one but the console).
    pub applications: Vec<TokenApplication>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub id: Uuid,
    /// Shown this once; Gatehouse keeps only its hash.
    pub token: String,
}

/// The tokens of one AI agent, bot or integration, on its page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalTokens {
    pub tokens: Vec<TokenRow>,
    pub applications: Vec<TokenApplication>,
    /// The longest a token may last, in days (the organisation's cap).
    pub max_days: i32,
}

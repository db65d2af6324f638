//! A console user's second factor, as their security page shows it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Whether the signed-in user has an authenticator app, and how many recovery codes
/// they have left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorState {
    pub email: String,
    pub enrolled_at: Option<DateTime<Utc>>,
    pub recovery_codes_left: i64,
    /// When the organisation needs the user to have one by, if it does and they have none.
    pub due: Option<DateTime<Utc>>,
    pub policy: SecondFactorPolicy,
    pub passkeys: Vec<PasskeyRow>,
    /// Whether this address offers passkeys (a host name, not a bare IP address).
    pub passkeys_offered: bool,
    /// The organisation's single sign-on, for those who may change it.
    pub sign_on: Option<crate::model::sign_on::SignOnSettings>,
}

/// One of the user's passkeys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyRow {
    pub id: uuid::Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Which console roles must sign in with a second factor, and the grace period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorPolicy {
    pub roles: Vec<String>,
    /// Every console role, to choose from.
    pub all_roles: Vec<String>,
    pub grace_days: i32,
    pub grace_until: DateTime<Utc>,
    /// Whether the user may change it.
    pub may_change: bool,
}

/// What the user adds to their authenticator app: the QR code, the same as a link,
/// and the secret to type in by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    pub qr_svg: String,
    pub uri: String,
    pub secret: String,
}

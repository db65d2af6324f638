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
}

/// What the user adds to their authenticator app: the QR code, the same as a link,
/// and the secret to type in by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    pub qr_svg: String,
    pub uri: String,
    pub secret: String,
}

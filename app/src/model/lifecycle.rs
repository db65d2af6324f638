//! The organisation's lifecycle settings, as the browser receives them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleSettings {
    /// Who takes over what a leaver owned when they have no active manager.
    pub fallback_owner: Option<String>,
    pub fallback_email: Option<String>,
}

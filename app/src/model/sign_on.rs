//! Single sign-on as the sign-in page and the security page show it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What the sign-in page offers besides a password.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInOptions {
    /// "Sign in with …" for each organisation's provider.
    pub providers: Vec<ProviderChoice>,
    /// Why the last sign-in through a provider did not go through, said once.
    pub notice: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderChoice {
    /// The organisation the provider signs in to.
    pub id: Uuid,
    pub name: String,
}

/// The organisation's single sign-on, for those who may change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOnSettings {
    /// The provider, once set up (its client secret is never sent back).
    pub provider: Option<ProviderSettings>,
    /// Whether people may still sign in with a password (or a passkey alone).
    pub password_sign_in: bool,
    /// The email of the admin who keeps their password when the others may not.
    pub break_glass: Option<String>,
    /// Where the provider sends people back: registered with it as the redirect URI.
    pub redirect_uri: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSettings {
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub allowed_domains: Vec<String>,
    pub create_unknown: bool,
}

/// The single sign-on form as sent. A blank client secret keeps the stored one; an
/// unticked box is not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOnForm {
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    #[serde(default)]
    pub client_secret: String,
    pub allowed_domains: String,
    #[serde(default)]
    pub create_unknown: Option<String>,
    #[serde(default)]
    pub password_sign_in: Option<String>,
    #[serde(default)]
    pub break_glass: String,
}

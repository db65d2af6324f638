//! Server functions, one file per area. Each begins by checking who is calling.

pub mod access;
pub mod accounts;
pub mod audit;
pub mod auth;
pub mod consent;
pub mod dashboard;
pub mod dsr;
pub mod grants;
#[cfg(feature = "ssr")]
pub mod guard;
pub mod lifecycle;
pub mod packages;
pub mod principals;
pub mod reports;
pub mod requests;
pub mod reviews;
pub mod roles;
pub mod security;
pub mod sod;
pub mod tokens;
pub mod webhooks;

/// The server functions whose answer holds a secret shown this once (a token, a signing
/// secret, an authenticator's key, recovery codes). Posted without the page's script,
/// their answer waits for its page sealed, under a key only the browser holds.
pub fn answers_shown_once() -> [&'static str; 7] {
    use leptos::server_fn::ServerFn;
    [
        <tokens::CreateToken as ServerFn>::PATH,
        <tokens::CreateProvisioningToken as ServerFn>::PATH,
        <tokens::CreatePrincipalToken as ServerFn>::PATH,
        <webhooks::CreateWebhook as ServerFn>::PATH,
        <security::StartAuthenticator as ServerFn>::PATH,
        <security::ConfirmAuthenticator as ServerFn>::PATH,
        <security::RenewRecoveryCodes as ServerFn>::PATH,
    ]
}

//! The signed-in user's own sign-in security: their authenticator app and recovery
//! codes. Each acts on the caller alone.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::second_factor::{Enrolment, SecondFactorState};

#[server(endpoint = "security/state")]
pub async fn security_state() -> Result<SecondFactorState, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<SecurityState>().await?;
    crate::service::second_factor::state(&guard::pool()?, &caller).await
}

/// A new authenticator secret, shown as a QR code; not in force until confirmed.
#[server(endpoint = "security/totp/start")]
pub async fn start_authenticator() -> Result<Enrolment, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<StartAuthenticator>().await?;
    crate::service::second_factor::start(&guard::pool()?, &guard::secret_keys()?, &caller).await
}

/// Confirms the authenticator with a code from it; answers the recovery codes, shown
/// once.
#[server(endpoint = "security/totp/confirm")]
pub async fn confirm_authenticator(code: String) -> Result<Vec<String>, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<ConfirmAuthenticator>().await?;
    crate::service::second_factor::confirm(&guard::pool()?, &guard::secret_keys()?, &caller, &code)
        .await
}

#[server(endpoint = "security/totp/remove")]
pub async fn remove_authenticator(code: String) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<RemoveAuthenticator>().await?;
    crate::service::second_factor::remove(&guard::pool()?, &guard::secret_keys()?, &caller, &code)
        .await
}

/// The organisation's second-factor policy: which console roles need one, and the
/// grace period (in days) their holders have to set one up.
#[server(endpoint = "settings/second-factor")]
pub async fn set_second_factor_policy(
    roles: Option<Vec<String>>,
    grace_days: String,
) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<SetSecondFactorPolicy>().await?;
    crate::service::second_factor::set_policy(
        &guard::pool()?,
        &caller,
        &roles.unwrap_or_default(),
        &grace_days,
    )
    .await
}

#[server(endpoint = "security/recovery-codes")]
pub async fn renew_recovery_codes(code: String) -> Result<Vec<String>, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<RenewRecoveryCodes>().await?;
    crate::service::second_factor::renew_recovery_codes(
        &guard::pool()?,
        &guard::secret_keys()?,
        &caller,
        &code,
    )
    .await
}

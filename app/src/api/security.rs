//! The signed-in user's own sign-in security: their authenticator app and recovery
//! codes. Each acts on the caller alone.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::second_factor::{Enrolment, SecondFactorState};

#[server(endpoint = "security/state")]
pub async fn security_state() -> Result<SecondFactorState, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<SecurityState>().await?;
    let pool = guard::pool()?;
    let mut state =
        crate::service::second_factor::state(&pool, &caller, guard::passkeys_offered()).await?;
    if crate::caller::admit(crate::service::sign_on::SETTINGS_PATH, Some(caller.clone())).is_ok() {
        state.sign_on = Some(guard::sign_on()?.settings(&pool, caller.org_id).await?);
    }
    Ok(state)
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

/// Proves the caller's second factor again before a risky action (valid 15 minutes).
#[server(endpoint = "security/step-up")]
pub async fn prove_second_factor(code: String) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<ProveSecondFactor>().await?;
    crate::service::second_factor::step_up(&guard::pool()?, &guard::secret_keys()?, &caller, &code)
        .await
}

/// As `step-up`, with a passkey answering the challenge of `auth/passkey/challenge`.
#[server(endpoint = "security/step-up/passkey")]
pub async fn prove_with_passkey(credential: String) -> Result<(), AppError> {
    use crate::api::guard;
    use crate::service::passkeys::AUTHENTICATION_KEY;
    let caller = guard::authorize::<ProveWithPasskey>().await?;
    let session = guard::session().await?;
    let Some(state) = session
        .remove::<webauthn_rs::prelude::DiscoverableAuthentication>(AUTHENTICATION_KEY)
        .await?
    else {
        return Err(AppError::Conflict(
            "Start again: no passkey was asked for.".into(),
        ));
    };
    crate::service::passkeys::step_up(
        &guard::pool()?,
        &*guard::passkeys()?,
        &caller,
        state,
        &credential,
    )
    .await
}

/// Starts adding a passkey named `name`: the options for the browser (WebAuthn's
/// JSON form). Someone who
/// already has a second factor proves it first (a stolen session must not add its own
/// way in).
#[server(endpoint = "security/passkeys/challenge")]
pub async fn passkey_challenge(name: String) -> Result<serde_json::Value, AppError> {
    use crate::api::guard;
    use crate::service::passkeys::REGISTRATION_KEY;
    let caller = guard::authorize::<PasskeyChallenge>().await?;
    caller.step_up.check()?;
    let (options, pending) = crate::service::passkeys::start_registration(
        &guard::pool()?,
        &*guard::passkeys()?,
        &caller,
        &name,
    )
    .await?;
    guard::session()
        .await?
        .insert(REGISTRATION_KEY, pending)
        .await?;
    serde_json::to_value(options)
        .map_err(|e| AppError::internal(format!("passkey options cannot be written: {e}")))
}

/// Stores the passkey the browser made for the challenge.
#[server(endpoint = "security/passkeys/add")]
pub async fn add_passkey(credential: String) -> Result<(), AppError> {
    use crate::api::guard;
    use crate::service::passkeys::{Pending, REGISTRATION_KEY};
    let caller = guard::authorize::<AddPasskey>().await?;
    let session = guard::session().await?;
    let Some(pending) = session.remove::<Pending>(REGISTRATION_KEY).await? else {
        return Err(AppError::Conflict(
            "Start again: no passkey is being added.".into(),
        ));
    };
    crate::service::passkeys::finish_registration(
        &guard::pool()?,
        &*guard::passkeys()?,
        &caller,
        &pending,
        &credential,
    )
    .await
}

/// Removes one of the caller's passkeys (after a recent second factor).
#[server(endpoint = "security/passkeys/remove")]
pub async fn remove_passkey(passkey: uuid::Uuid) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<RemovePasskey>().await?;
    caller.step_up.check()?;
    crate::service::passkeys::remove(&guard::pool()?, &caller, passkey).await
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
    caller.step_up.check()?;
    crate::service::second_factor::set_policy(
        &guard::pool()?,
        &caller,
        &roles.unwrap_or_default(),
        &grace_days,
    )
    .await
}

/// The organisation's single sign-on: its OpenID provider, and whether passwords still
/// sign in (after a recent second factor).
#[server(endpoint = "settings/sign-on")]
pub async fn set_sign_on(settings: crate::model::sign_on::SignOnForm) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<SetSignOn>().await?;
    caller.step_up.check()?;
    guard::sign_on()?
        .save(&guard::pool()?, &guard::secret_keys()?, &caller, settings)
        .await
}

/// Removes the organisation's single sign-on (after a recent second factor).
#[server(endpoint = "settings/sign-on/remove")]
pub async fn remove_sign_on() -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<RemoveSignOn>().await?;
    caller.step_up.check()?;
    crate::service::sign_on::remove(&guard::pool()?, &caller).await
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

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::CurrentUser;

/// The signed-in user, or `None`: answers only about the caller themselves.
#[server(endpoint = "auth/me")]
pub async fn whoami() -> Result<Option<CurrentUser>, AppError> {
    use crate::api::guard;
    Ok(guard::current_caller().await?.map(|c| c.to_current_user()))
}

/// What the sign-in page offers besides a password: each organisation's provider, and
/// why the last sign-in through one failed (said once). Public like the page.
#[server(endpoint = "auth/sign-on")]
pub async fn sign_in_options() -> Result<crate::model::sign_on::SignInOptions, AppError> {
    use crate::api::guard;
    crate::service::sign_on::options(&guard::pool()?, &guard::session().await?).await
}

/// Public by necessity: the one way in. Throttled per email. A user with a second
/// factor is not signed in yet: the session only remembers, for a few minutes, that
/// their password was right, and `/login/code` asks for the code.
#[server(endpoint = "auth/login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::api::guard;
    use crate::service::sign_in::sign_in;

    let pool = guard::pool()?;
    let session = guard::session().await?;
    let outcome = sign_in(&pool, &email, password, &guard::request_origin()).await?;
    let to = begin(&session, outcome, next.as_deref()).await?;
    leptos_axum::redirect(&to);
    Ok(())
}

/// After a first factor (a password, or the organisation's provider): the console
/// session opens, or the session remembers for a few minutes whose code `/login/code`
/// asks for. Answers where to go next.
#[cfg(feature = "ssr")]
pub async fn begin(
    session: &tower_sessions::Session,
    outcome: crate::service::sign_in::Outcome,
    next: Option<&str>,
) -> Result<String, AppError> {
    use crate::caller::AWAITING_CODE_KEY;
    use crate::service::sign_in::Outcome;
    // A new session id at sign-in, so that an id planted before it is worthless.
    session.cycle_id().await?;
    let next = safe_next(next);
    Ok(match outcome {
        Outcome::SignedIn(signed_in) => {
            start_console_session(session, signed_in).await?;
            next
        }
        Outcome::NeedsCode(awaiting) => {
            session.insert(AWAITING_CODE_KEY, awaiting).await?;
            let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
            format!("/login/code?{query}")
        }
    })
}

/// The second step of a sign-in with a second factor: public like the first, and
/// refused unless this session's password was right a few minutes ago.
#[server(endpoint = "auth/code")]
pub async fn sign_in_code(code: String, next: Option<String>) -> Result<(), AppError> {
    use crate::api::guard;
    use crate::caller::AWAITING_CODE_KEY;
    use crate::service::sign_in::{finish_with_code, AwaitingCode};

    let pool = guard::pool()?;
    let session = guard::session().await?;
    let Some(awaiting) = session.get::<AwaitingCode>(AWAITING_CODE_KEY).await? else {
        return Err(AppError::SignInRefused(
            "Sign in with your email and password first.".into(),
        ));
    };
    let signed_in = finish_with_code(
        &pool,
        &guard::secret_keys()?,
        &awaiting,
        &code,
        &guard::request_origin(),
    )
    .await?;
    after_second_factor(&session, signed_in, next.as_deref()).await
}

/// Starts a passkey sign-in (or step-up): the options for the browser (WebAuthn's JSON
/// form). Public like
/// the password's form; the challenge is kept in this session and used once.
#[server(endpoint = "auth/passkey/challenge")]
pub async fn passkey_sign_in_challenge() -> Result<serde_json::Value, AppError> {
    use crate::api::guard;
    use crate::service::passkeys::{start_authentication, AUTHENTICATION_KEY};
    let (options, state) = start_authentication(&*guard::passkeys()?)?;
    guard::session()
        .await?
        .insert(AUTHENTICATION_KEY, state)
        .await?;
    serde_json::to_value(options)
        .map_err(|e| AppError::internal(format!("passkey options cannot be written: {e}")))
}

/// Signs in with the passkey that answered the challenge: alone, or in place of the
/// code after a password.
#[server(endpoint = "auth/passkey")]
pub async fn passkey_sign_in(credential: String, next: Option<String>) -> Result<(), AppError> {
    use crate::api::guard;
    use crate::caller::AWAITING_CODE_KEY;
    use crate::service::passkeys::AUTHENTICATION_KEY;
    use crate::service::sign_in::{finish_with_passkey, AwaitingCode};

    let session = guard::session().await?;
    let Some(state) = session
        .remove::<webauthn_rs::prelude::DiscoverableAuthentication>(AUTHENTICATION_KEY)
        .await?
    else {
        return Err(AppError::SignInRefused(
            "Start again: no passkey was asked for.".into(),
        ));
    };
    let awaiting = session.get::<AwaitingCode>(AWAITING_CODE_KEY).await?;
    let signed_in = finish_with_passkey(
        &guard::pool()?,
        &*guard::passkeys()?,
        state,
        (&credential, awaiting.as_ref()),
        &guard::request_origin(),
    )
    .await?;
    after_second_factor(&session, signed_in, next.as_deref()).await
}

/// Opens the console session of a sign-in finished with its second factor (under a new
/// session id), and goes where it was going.
#[cfg(feature = "ssr")]
async fn after_second_factor(
    session: &tower_sessions::Session,
    signed_in: crate::service::sign_in::SignedIn,
    next: Option<&str>,
) -> Result<(), AppError> {
    use crate::caller::AWAITING_CODE_KEY;
    use crate::service::sign_in::AwaitingCode;
    session.remove::<AwaitingCode>(AWAITING_CODE_KEY).await?;
    session.cycle_id().await?;
    start_console_session(session, signed_in).await?;
    leptos_axum::redirect(&safe_next(next));
    Ok(())
}

#[cfg(feature = "ssr")]
async fn start_console_session(
    session: &tower_sessions::Session,
    signed_in: crate::service::sign_in::SignedIn,
) -> Result<(), AppError> {
    use crate::caller::{SessionAuth, SESSION_KEY};
    let now = chrono::Utc::now();
    session
        .insert(
            SESSION_KEY,
            SessionAuth {
                org_id: signed_in.org_id,
                principal_id: signed_in.principal_id,
                session_ref: signed_in.session_ref,
                signed_in_at: now,
                last_seen: now,
            },
        )
        .await?;
    Ok(())
}

#[server(endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<Logout>().await?;
    crate::service::sign_in::sign_out(&guard::pool()?, &caller).await?;
    guard::session().await?.flush().await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Only paths on this site are followed after sign-in. Browsers drop tabs and line
/// breaks from addresses and read a backslash as `/`, so a path holding any of them (or any
/// other control character or space) is refused rather than cleaned.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path
                    .chars()
                    .any(|c| c == '\\' || c.is_control() || c.is_whitespace()) =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/audit?page=2")), "/audit?page=2");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        for sneaky in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/ /evil.example",
            "/\u{0}x",
        ] {
            assert_eq!(safe_next(Some(sneaky)), "/", "{sneaky:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}

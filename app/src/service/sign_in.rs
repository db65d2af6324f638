//! Signing in and out of the console.

use chrono::Utc;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::api::guard::RequestOrigin;
use crate::db;
use crate::db::audit::{Actor, Change};
use crate::domain::sign_in_throttle::{self, Verdict};
use crate::domain::validation::Email;
use crate::error::AppError;

/// The one answer for every wrong email, password or inactive account.
pub const REFUSED: &str = "That email and password do not match an active account.";

#[derive(Debug, Clone)]
pub struct SignedIn {
    pub org_id: Uuid,
    pub principal_id: Uuid,
    pub session_ref: String,
}

pub async fn sign_in(
    pool: &PgPool,
    email: &str,
    password: String,
    origin: &RequestOrigin,
) -> Result<SignedIn, AppError> {
    let email = Email::parse("email", email)?;
    if password.is_empty() {
        return Err(AppError::invalid("password", "Enter your password."));
    }
    let now = Utc::now();
    let mut tx = pool.begin().await?;
    let throttle = db::auth::throttle_for_update(&mut tx, email.as_str()).await?;
    match sign_in_throttle::verdict(throttle, now) {
        Verdict::Locked { until } => {
            tx.commit().await?;
            let minutes = ((until - now).num_seconds() + 59) / 60;
            return Err(AppError::SignInRefused(format!(
                "Too many failed attempts for this email. Try again in {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            )));
        }
        Verdict::Proceed { delay } => tokio::time::sleep(delay).await,
    }

    let credential = db::auth::credential_by_email(pool, email.as_str()).await?;
    let matches = crate::service::passwords::verify(
        credential.as_ref().map(|c| c.password_hash.clone()),
        password,
    )
    .await?;

    match credential {
        Some(c) if matches && c.active => {
            db::auth::clear_throttle(&mut tx, email.as_str()).await?;
            let session_ref = Uuid::new_v4().to_string();
            db::auth::start_session(
                &mut tx,
                c.org_id,
                &session_ref,
                c.principal_id,
                origin.ip.as_deref(),
                origin.user_agent.as_deref(),
            )
            .await?;
            let actor = actor_for(&c, email.as_str(), origin);
            db::audit::record(
                &mut tx,
                &actor,
                Change {
                    action: "auth.sign_in",
                    target_type: "principal",
                    target_id: Some(c.principal_id.to_string()),
                    target_label: email.as_str().to_string(),
                    before: None,
                    after: None,
                    reason: None,
                },
            )
            .await?;
            tx.commit().await?;
            Ok(SignedIn {
                org_id: c.org_id,
                principal_id: c.principal_id,
                session_ref,
            })
        }
        credential => {
            let state = sign_in_throttle::after_failure(throttle, now);
            db::auth::save_throttle(&mut tx, email.as_str(), &state).await?;
            match credential {
                Some(c) => {
                    let why = if matches {
                        "account is not active"
                    } else {
                        "wrong password"
                    };
                    db::audit::record(
                        &mut tx,
                        &actor_for(&c, email.as_str(), origin),
                        Change {
                            action: "auth.sign_in_failed",
                            target_type: "principal",
                            target_id: Some(c.principal_id.to_string()),
                            target_label: email.as_str().to_string(),
                            before: None,
                            after: Some(json!({ "failures": state.failures, "locked_until": state.locked_until })),
                            reason: Some(why.to_string()),
                        },
                    )
                    .await?;
                }
                // No organisation owns an unknown email, so there is no trail to write to.
                None => tracing::info!(
                    failures = state.failures,
                    "sign-in attempt for an unknown email"
                ),
            }
            tx.commit().await?;
            Err(AppError::SignInRefused(REFUSED.to_string()))
        }
    }
}

fn actor_for(c: &db::auth::Credential, email: &str, origin: &RequestOrigin) -> Actor {
    Actor {
        org_id: c.org_id,
        principal_id: Some(c.principal_id),
        label: format!("{} <{}>", c.display_name, email),
        source_ip: origin.ip.clone(),
        user_agent: origin.user_agent.clone(),
    }
}

/// Ends a console session on the server and records it.
pub async fn sign_out(pool: &PgPool, caller: &crate::api::guard::Caller) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    db::auth::end_session(&mut tx, caller.org_id, &caller.session_ref).await?;
    db::audit::record(
        &mut tx,
        &caller.actor(),
        Change {
            action: "auth.sign_out",
            target_type: "principal",
            target_id: Some(caller.principal_id.to_string()),
            target_label: caller.email.clone(),
            before: None,
            after: None,
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

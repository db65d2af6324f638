//! Signing in and out of the console.

use chrono::Utc;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::caller::RequestOrigin;
use crate::db;
use crate::db::audit::{Actor, Change};
use crate::error::AppError;
use rules::audit::AuditAction;
use rules::sign_in_throttle::{self, Scope, Verdict};
use rules::validation::Email;

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
    let keys: Vec<String> = Scope::ALL
        .iter()
        .map(|s| s.key(email.as_str(), origin.ip.as_deref()))
        .collect();
    // The attempt is counted as a failure first, in a short transaction of its own: no
    // connection or lock is held while the attempt waits or the password is checked.
    let failures = {
        let mut tx = pool.begin().await?;
        let states = db::auth::throttles_for_update(&mut tx, &keys).await?;
        let scoped: Vec<_> = Scope::ALL.into_iter().zip(states).collect();
        let verdict = sign_in_throttle::verdict(&scoped, now);
        if let Verdict::Locked { until } = verdict {
            tx.commit().await?;
            let minutes = ((until - now).num_seconds() + 59) / 60;
            return Err(AppError::SignInRefused(format!(
                "Too many failed attempts for this email. Try again in {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            )));
        }
        let mut counted = Vec::with_capacity(keys.len());
        for ((scope, state), key) in scoped.into_iter().zip(&keys) {
            let state = sign_in_throttle::after_failure(scope, state, now);
            db::auth::save_throttle(&mut tx, key, &state).await?;
            counted.push(state);
        }
        tx.commit().await?;
        if let Verdict::Proceed { delay } = verdict {
            tokio::time::sleep(delay).await;
        }
        counted[0]
    };

    let credential = db::auth::credential_by_email(pool, email.as_str()).await?;
    let matches = crate::service::passwords::verify(
        credential.as_ref().map(|c| c.password_hash.clone()),
        password,
    )
    .await?;

    let mut tx = pool.begin().await?;
    match credential {
        Some(c) if matches && c.active => {
            // This attempt was counted as a failure: take it back. The email's
            // counters start again; the address keeps its other failures.
            let (kept, cleared): (Vec<_>, Vec<_>) = Scope::ALL
                .iter()
                .zip(keys)
                .partition(|(scope, _)| scope.keeps_failures_after_success());
            let cleared: Vec<String> = cleared.into_iter().map(|(_, key)| key).collect();
            db::auth::clear_throttles(&mut tx, &cleared).await?;
            for (_, key) in kept {
                db::auth::take_back_failure(&mut tx, &key).await?;
            }
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
                Change::on(
                    AuditAction::SignedIn,
                    c.principal_id,
                    email.as_str().to_string(),
                ),
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
                        Change::on(AuditAction::SignInFailed, c.principal_id, email.as_str().to_string()).after(json!({ "failures": failures.failures, "locked_until": failures.locked_until })).because(why.to_string()),
                    )
                    .await?;
                }
                // No organisation owns an unknown email, so there is no trail to write to.
                None => tracing::info!(
                    failures = failures.failures,
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
pub async fn sign_out(pool: &PgPool, caller: &crate::caller::Caller) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    db::auth::end_session(&mut tx, caller.org_id, &caller.session_ref).await?;
    db::audit::record(
        &mut tx,
        &caller.actor(),
        Change::on(
            AuditAction::SignedOut,
            caller.principal_id,
            caller.email.clone(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

//! Signing in and out of the console.

use chrono::Utc;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::caller::RequestOrigin;
use crate::db;
use crate::db::audit::{Actor, Change};
use crate::error::AppError;
use crate::service::second_factor;
use crate::service::secrets::SecretKeys;
use rules::audit::AuditAction;
use rules::sign_in_throttle::{self, Scope, Verdict};
use rules::validation::Email;

/// The one answer for every wrong email, password or inactive account.
pub use crate::error::SIGN_IN_REFUSED as REFUSED;

#[derive(Debug, Clone)]
pub struct SignedIn {
    pub org_id: Uuid,
    pub principal_id: Uuid,
    pub session_ref: String,
}

/// How long after the password a second factor may finish the sign-in.
pub const SECOND_FACTOR_WITHIN: chrono::Duration = chrono::Duration::minutes(5);

/// A sign-in whose password was right, waiting for its second factor. Kept in the
/// server-side session only, never as a session of the console.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AwaitingCode {
    pub org_id: Uuid,
    pub principal_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub first_factor_at: chrono::DateTime<Utc>,
}

/// Where a right password leads.
#[derive(Debug, Clone)]
pub enum Outcome {
    SignedIn(SignedIn),
    /// The principal has a second factor: the sign-in waits for it.
    NeedsCode(AwaitingCode),
}

pub async fn sign_in(
    pool: &PgPool,
    email: &str,
    password: String,
    origin: &RequestOrigin,
) -> Result<Outcome, AppError> {
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
            let actor = actor_for(
                c.org_id,
                c.principal_id,
                &c.display_name,
                email.as_str(),
                origin,
            );
            if let Err(refused) = local_sign_in_allowed(&mut tx, &actor, email.as_str()).await? {
                tx.commit().await?;
                return Err(refused);
            }
            if db::second_factor::has_confirmed(&mut *tx, c.org_id, c.principal_id).await? {
                tx.commit().await?;
                return Ok(Outcome::NeedsCode(AwaitingCode {
                    org_id: c.org_id,
                    principal_id: c.principal_id,
                    email: email.as_str().to_string(),
                    display_name: c.display_name,
                    first_factor_at: now,
                }));
            }
            let signed_in = open_session(&mut tx, &actor, email.as_str(), None).await?;
            tx.commit().await?;
            Ok(Outcome::SignedIn(signed_in))
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
                        &actor_for(c.org_id, c.principal_id, &c.display_name, email.as_str(), origin),
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

/// Finishes a sign-in waiting for its second factor with `code` (from the authenticator
/// app, or a recovery code): the code is used up and the session opened together.
pub async fn finish_with_code(
    pool: &PgPool,
    keys: &SecretKeys,
    awaiting: &AwaitingCode,
    code: &str,
    origin: &RequestOrigin,
) -> Result<SignedIn, AppError> {
    if Utc::now() - awaiting.first_factor_at > SECOND_FACTOR_WITHIN {
        return Err(AppError::SignInRefused(
            "That took too long. Sign in again with your password.".into(),
        ));
    }
    // Reset by an admin since the password: the password alone now signs in.
    if !db::second_factor::has_confirmed(pool, awaiting.org_id, awaiting.principal_id).await? {
        return Err(AppError::SignInRefused(
            "Your second factor was reset. Sign in again with your password.".into(),
        ));
    }
    let actor = actor_for(
        awaiting.org_id,
        awaiting.principal_id,
        &awaiting.display_name,
        &awaiting.email,
        origin,
    );
    let proven = second_factor::prove(
        pool,
        keys,
        (awaiting.org_id, awaiting.principal_id, &awaiting.email),
        code,
    )
    .await;
    let (mut tx, factor) = match proven {
        Ok(proven) => proven,
        Err(e) => {
            db::audit::record_alone(
                pool,
                &actor,
                Change::on(
                    AuditAction::SignInFailed,
                    awaiting.principal_id,
                    awaiting.email.clone(),
                )
                .because("wrong second-factor code".to_string()),
            )
            .await?;
            return Err(e);
        }
    };
    // Still active: the principal may have been suspended since the password.
    if !db::auth::is_active(&mut tx, awaiting.org_id, awaiting.principal_id).await? {
        return Err(AppError::SignInRefused(REFUSED.to_string()));
    }
    let signed_in = open_session(&mut tx, &actor, &awaiting.email, Some(factor)).await?;
    tx.commit().await?;
    Ok(signed_in)
}

/// Signs in with a passkey: on its own (it is both factors: the device, and the
/// fingerprint or PIN that unlocks it), or in place of the code after a password
/// (`awaiting`), when it must be that user's.
pub async fn finish_with_passkey(
    pool: &PgPool,
    rp: &webauthn_rs::prelude::Webauthn,
    state: webauthn_rs::prelude::DiscoverableAuthentication,
    (credential, awaiting): (&str, Option<&AwaitingCode>),
    origin: &RequestOrigin,
) -> Result<SignedIn, AppError> {
    let (mut tx, proved) = crate::service::passkeys::prove(pool, rp, state, credential).await?;
    if awaiting.is_some_and(|a| (a.org_id, a.principal_id) != (proved.org_id, proved.principal_id))
    {
        return Err(AppError::SignInRefused(
            "That passkey is not yours. Use your own, or a code.".into(),
        ));
    }
    // Still active, and still signing in to the console.
    let Some((display_name, email)) =
        db::auth::active_sign_in(&mut tx, proved.org_id, proved.principal_id).await?
    else {
        return Err(AppError::SignInRefused(
            "That passkey does not sign in to an active account.".into(),
        ));
    };
    let actor = actor_for(
        proved.org_id,
        proved.principal_id,
        &display_name,
        &email,
        origin,
    );
    // A passkey alone is a sign-in without the provider, like a password.
    if awaiting.is_none() {
        if let Err(refused) = local_sign_in_allowed(&mut tx, &actor, &email).await? {
            tx.commit().await?;
            return Err(refused);
        }
    }
    let signed_in = open_session(
        &mut tx,
        &actor,
        &email,
        Some(second_factor::Factor::Passkey),
    )
    .await?;
    tx.commit().await?;
    Ok(signed_in)
}

/// Whether the actor may sign in without the organisation's provider: once passwords
/// are switched off, only its break-glass admin may. A refusal is on the trail.
async fn local_sign_in_allowed(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    email: &str,
) -> Result<Result<(), AppError>, AppError> {
    let principal_id = actor.principal_id.unwrap_or_default();
    let local = db::sign_on::local_sign_in(&mut **tx, actor.org_id).await?;
    if rules::sign_on::local_sign_in(
        local.password_sign_in,
        local.break_glass_principal,
        principal_id,
    ) {
        return Ok(Ok(()));
    }
    db::audit::record(
        tx,
        actor,
        Change::on(AuditAction::SignInFailed, principal_id, email.to_string())
            .because("password sign-in is off for the organisation".to_string()),
    )
    .await?;
    Ok(Err(AppError::SignInRefused(
        "Your organisation signs in through its single sign-on provider: use the button below."
            .into(),
    )))
}

/// Who an organisation's provider says is signing in (its ID token checked).
#[derive(Debug, Clone)]
pub struct ProvidedIdentity {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

/// Signs in the console user a provider's ID token names: the one already linked to
/// that provider account, else the one whose email the provider has verified (in an
/// allowed domain), linked from now on; else, if the organisation allows it, a new
/// console user with no console role. A user with a second factor is then asked for it.
pub async fn finish_with_provider(
    pool: &PgPool,
    provider: &db::sign_on::Provider,
    identity: ProvidedIdentity,
    origin: &RequestOrigin,
) -> Result<Outcome, AppError> {
    let refuse = |message: String| Err(AppError::SignInRefused(message));
    let org_id = provider.org_id;
    let account = (provider.issuer.as_str(), identity.subject.as_str());
    // Hashing waits its turn with every sign-in: done before the transaction, so that
    // no connection is held while it waits.
    let unknown_password = match provider.create_unknown {
        true => Some(unusable_password_hash().await?),
        false => None,
    };
    let mut tx = pool.begin().await?;
    let user = match db::sign_on::linked(&mut tx, org_id, account).await? {
        Some(principal_id) => db::sign_on::console_user(&mut *tx, org_id, principal_id).await?,
        None => {
            let Some(email) = identity.email.filter(|_| identity.email_verified) else {
                return refuse(format!(
                    "{} has not verified the email address of your account, so it cannot sign you in to Gatehouse.",
                    provider.name
                ));
            };
            if !rules::sign_on::domain_allowed(&email, &provider.allowed_domains) {
                return refuse(format!(
                    "{email} is not in a domain {} may sign in to Gatehouse for.",
                    provider.name
                ));
            }
            let user = match db::sign_on::console_user_by_email(&mut tx, org_id, &email).await? {
                Some(user) => user,
                None if provider.create_unknown => {
                    let hash = unknown_password.as_deref().unwrap_or_default();
                    let name = identity.name.as_deref();
                    create_console_user(&mut tx, provider, (&email, name, hash), origin).await?
                }
                None => {
                    return refuse(format!(
                        "No Gatehouse account matches {email}. Ask your administrator to add you."
                    ))
                }
            };
            if !db::sign_on::link(&mut tx, org_id, account, user.principal_id).await? {
                return refuse(format!(
                    "Your Gatehouse account is linked to another account at {}.",
                    provider.name
                ));
            }
            db::audit::record(
                &mut tx,
                &actor_for(org_id, user.principal_id, &user.display_name, &user.email, origin),
                Change::on(AuditAction::IdentityLinked, user.principal_id, user.email.clone())
                    .after(json!({ "provider": provider.name, "issuer": provider.issuer, "subject": identity.subject })),
            )
            .await?;
            Some(user)
        }
    };
    let Some(user) = user.filter(|u| u.active) else {
        return refuse("That account is not active in Gatehouse.".into());
    };
    if db::second_factor::has_confirmed(&mut *tx, org_id, user.principal_id).await? {
        tx.commit().await?;
        return Ok(Outcome::NeedsCode(AwaitingCode {
            org_id,
            principal_id: user.principal_id,
            email: user.email,
            display_name: user.display_name,
            first_factor_at: Utc::now(),
        }));
    }
    let actor = actor_for(
        org_id,
        user.principal_id,
        &user.display_name,
        &user.email,
        origin,
    );
    let signed_in = open_session(&mut tx, &actor, &user.email, None).await?;
    tx.commit().await?;
    Ok(Outcome::SignedIn(signed_in))
}

/// The hash of a random password no one is told: a console user made through the
/// provider has a password, but no one can sign in with it.
async fn unusable_password_hash() -> Result<String, AppError> {
    let unknown = rules::validation::NewPassword::parse(
        "password",
        &format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple()),
    )?;
    crate::service::passwords::hash(&unknown).await
}

/// A console user made at their first sign-in through the provider (when the
/// organisation allows it): a person with no console role, whose password no one knows.
async fn create_console_user(
    tx: &mut db::Tx<'_>,
    provider: &db::sign_on::Provider,
    (email, name, password_hash): (&str, Option<&str>, &str),
    origin: &RequestOrigin,
) -> Result<db::sign_on::ConsoleUser, AppError> {
    if db::auth::email_taken(tx, provider.org_id, email).await? {
        return Err(AppError::SignInRefused(format!(
            "{email} belongs to someone in Gatehouse who does not sign in to the console. Ask your administrator."
        )));
    }
    let display_name = name
        .map(|n| n.chars().take(120).collect::<String>())
        .filter(|n| !n.chars().any(char::is_control))
        .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_string());
    let principal_id = db::auth::insert_console_user(
        tx,
        provider.org_id,
        (&display_name, email),
        "",
        password_hash,
    )
    .await?;
    let actor = Actor {
        org_id: provider.org_id,
        principal_id: None,
        label: format!("{} (single sign-on)", provider.name),
        source_ip: origin.ip.clone(),
        user_agent: origin.user_agent.clone(),
    };
    db::audit::record(
        tx,
        &actor,
        Change::on(
            AuditAction::PrincipalCreated,
            principal_id,
            display_name.clone(),
        )
        .after(json!({ "email": email, "kind": "human", "console": true, "via": provider.name })),
    )
    .await?;
    Ok(db::sign_on::ConsoleUser {
        principal_id,
        display_name,
        email: email.to_string(),
        active: true,
    })
}

/// A console session for the actor, with its sign-in on the trail.
async fn open_session(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    email: &str,
    factor: Option<second_factor::Factor>,
) -> Result<SignedIn, AppError> {
    let principal_id = actor.principal_id.unwrap_or_default();
    let session_ref = Uuid::new_v4().to_string();
    db::auth::start_session(
        tx,
        actor.org_id,
        &session_ref,
        principal_id,
        (actor.source_ip.as_deref(), actor.user_agent.as_deref()),
        factor.is_some(),
    )
    .await?;
    db::audit::record(
        tx,
        actor,
        Change::on(AuditAction::SignedIn, principal_id, email.to_string())
            .after(factor.map(|f| json!({ "second_factor": f.name() }))),
    )
    .await?;
    Ok(SignedIn {
        org_id: actor.org_id,
        principal_id,
        session_ref,
    })
}

fn actor_for(
    org_id: Uuid,
    principal_id: Uuid,
    display_name: &str,
    email: &str,
    origin: &RequestOrigin,
) -> Actor {
    Actor {
        org_id,
        principal_id: Some(principal_id),
        label: format!("{display_name} <{email}>"),
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

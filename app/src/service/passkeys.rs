//! Passkeys (WebAuthn): added on the security page, they sign in without a password, or
//! stand in for a code as the second factor, and prove it again before a risky action.
//! The challenge of each ceremony is kept in the server-side session, and used once.

use sqlx::PgPool;
use uuid::Uuid;
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Url, Webauthn,
    WebauthnBuilder,
};
use webauthn_rs_proto::ResidentKeyRequirement;

use crate::caller::Caller;
use crate::db;
use crate::error::AppError;
use crate::model::second_factor::PasskeyRow;
use crate::service::second_factor::{on_trail, proved_again, Factor};
use rules::audit::AuditAction;

/// Where the session keeps a passkey being added.
pub const REGISTRATION_KEY: &str = "passkey-registration";
/// Where the session keeps a passkey sign-in or step-up under way.
pub const AUTHENTICATION_KEY: &str = "passkey-authentication";
/// The longest name of a passkey.
pub const MAX_NAME_CHARS: usize = 60;

/// The site passkeys belong to: the public address when one is configured, else
/// `http://localhost:{port}` (a browser offers passkeys on `localhost` without https,
/// never on a bare IP address).
pub fn relying_party(public_url: Option<&str>, port: u16) -> Result<Webauthn, String> {
    let origin = match public_url {
        Some(url) => Url::parse(url).map_err(|e| format!("the public address: {e}"))?,
        None => Url::parse(&format!("http://localhost:{port}")).map_err(|e| e.to_string())?,
    };
    let rp_id = origin
        .domain()
        .ok_or("passkeys need a host name, not an IP address")?
        .to_string();
    WebauthnBuilder::new(&rp_id, &origin)
        .and_then(|b| b.rp_name("Gatehouse").build())
        .map_err(|e| e.to_string())
}

fn ceremony_failed(e: impl std::fmt::Display) -> AppError {
    tracing::info!(error = %e, "passkey ceremony refused");
    AppError::SignInRefused(
        "The passkey could not be checked. Try again, or use your password and a code.".into(),
    )
}

/// The caller's passkeys, oldest first.
pub async fn list(pool: &PgPool, caller: &Caller) -> Result<Vec<PasskeyRow>, AppError> {
    Ok(
        db::passkeys::of_principal(pool, caller.org_id, caller.principal_id)
            .await?
            .into_iter()
            .map(|p| PasskeyRow {
                id: p.id,
                name: p.name,
                created_at: p.created_at,
                last_used_at: p.last_used_at,
            })
            .collect(),
    )
}

/// A passkey being added: its name, and the ceremony's state, kept in the session
/// until [`finish_registration`].
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Pending {
    /// Whose it is to be: a session that changed hands since cannot finish it.
    pub principal_id: Uuid,
    pub name: String,
    pub state: PasskeyRegistration,
}

/// Starts adding a passkey named `name` for the caller: the options for the browser,
/// and what the session keeps until [`finish_registration`].
pub async fn start_registration(
    pool: &PgPool,
    rp: &Webauthn,
    caller: &Caller,
    name: &str,
) -> Result<(CreationChallengeResponse, Pending), AppError> {
    let name = parse_name(name)?;
    let mine = db::passkeys::of_principal(pool, caller.org_id, caller.principal_id).await?;
    if mine.iter().any(|p| p.name == name) {
        return Err(name_taken(&name));
    }
    let existing = db::passkeys::credential_ids(pool, caller.org_id, caller.principal_id).await?;
    let (mut options, state) = rp
        .start_passkey_registration(
            caller.principal_id,
            &caller.email,
            &caller.display_name,
            Some(existing),
        )
        .map_err(|e| AppError::internal(format!("a passkey cannot be started: {e}")))?;
    // It signs in without an email typed first: the authenticator must keep it.
    if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
        selection.resident_key = Some(ResidentKeyRequirement::Required);
        selection.require_resident_key = true;
    }
    Ok((
        options,
        Pending {
            principal_id: caller.principal_id,
            name,
            state,
        },
    ))
}

fn name_taken(name: &str) -> AppError {
    AppError::invalid(
        "name",
        format!("You already have a passkey named \u{201c}{name}\u{201d}: choose another name."),
    )
}

/// The name a passkey is listed under.
fn parse_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid(
            "name",
            format!("Name it in 1 to {MAX_NAME_CHARS} characters, for example \u{201c}Work laptop\u{201d}."),
        ));
    }
    Ok(name.to_string())
}

/// Verifies the browser's new credential against the state [`start_registration`] kept,
/// and stores it under `name`, on the trail.
pub async fn finish_registration(
    pool: &PgPool,
    rp: &Webauthn,
    caller: &Caller,
    pending: &Pending,
    credential: &str,
) -> Result<(), AppError> {
    if pending.principal_id != caller.principal_id {
        return Err(AppError::Conflict(
            "Start again: no passkey is being added.".into(),
        ));
    }
    let name = &pending.name;
    let credential: RegisterPublicKeyCredential = serde_json::from_str(credential)
        .map_err(|_| AppError::BadRequest("the passkey's answer is not well formed".into()))?;
    let passkey = rp
        .finish_passkey_registration(&credential, &pending.state)
        .map_err(ceremony_failed)?;
    let mut tx = pool.begin().await?;
    if !db::passkeys::insert(
        &mut tx,
        (caller.org_id, caller.principal_id),
        name,
        &passkey,
    )
    .await?
    {
        return Err(name_taken(name));
    }
    on_trail(
        &mut tx,
        caller,
        AuditAction::SecondFactorEnrolled,
        serde_json::json!({ "factor": Factor::Passkey.name(), "name": name }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes one of the caller's passkeys, on the trail.
pub async fn remove(pool: &PgPool, caller: &Caller, id: Uuid) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let Some(name) =
        db::passkeys::remove(&mut tx, (caller.org_id, caller.principal_id), id).await?
    else {
        return Err(AppError::NotFound("You have no such passkey.".into()));
    };
    on_trail(
        &mut tx,
        caller,
        AuditAction::SecondFactorRemoved,
        serde_json::json!({ "factor": Factor::Passkey.name(), "name": name }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Starts a passkey sign-in or step-up: any passkey of this site may answer, and says
/// whose it is.
pub fn start_authentication(
    rp: &Webauthn,
) -> Result<(RequestChallengeResponse, DiscoverableAuthentication), AppError> {
    let (mut options, state) = rp
        .start_discoverable_authentication()
        .map_err(|e| AppError::internal(format!("a passkey sign-in cannot be started: {e}")))?;
    // Asked for with a button, not offered in the email field as it is typed.
    options.mediation = None;
    Ok((options, state))
}

/// Whose passkey answered, once checked.
#[derive(Debug, Clone, Copy)]
pub struct Proved {
    pub org_id: Uuid,
    pub principal_id: Uuid,
}

/// Checks the browser's answer against the state [`start_authentication`] kept: the
/// passkey must be stored, belong to the user it names, and sign this challenge; its
/// counter moves on in the transaction answered, which the caller commits with what
/// the proof allows.
pub async fn prove<'a>(
    pool: &'a PgPool,
    rp: &Webauthn,
    state: DiscoverableAuthentication,
    credential: &str,
) -> Result<(db::Tx<'a>, Proved), AppError> {
    let credential: PublicKeyCredential = serde_json::from_str(credential)
        .map_err(|_| AppError::BadRequest("the passkey's answer is not well formed".into()))?;
    let (user, credential_id) = rp
        .identify_discoverable_authentication(&credential)
        .map_err(ceremony_failed)?;
    let mut tx = pool.begin().await?;
    let Some(found) = db::passkeys::by_credential_for_update(&mut tx, credential_id).await? else {
        return Err(ceremony_failed("an unknown passkey"));
    };
    if found.principal_id != user {
        return Err(ceremony_failed("a passkey naming another user"));
    }
    let mut passkey = found.credential.0;
    let result = rp
        .finish_discoverable_authentication_v2(&credential, state, &passkey)
        .map_err(ceremony_failed)?;
    passkey.update_credential(&result);
    db::passkeys::used(&mut tx, found.org_id, found.id, &passkey).await?;
    Ok((
        tx,
        Proved {
            org_id: found.org_id,
            principal_id: found.principal_id,
        },
    ))
}

/// Proves the caller's passkey again for their session (see
/// [`crate::service::second_factor::step_up`]).
pub async fn step_up(
    pool: &PgPool,
    rp: &Webauthn,
    caller: &Caller,
    state: DiscoverableAuthentication,
    credential: &str,
) -> Result<(), AppError> {
    let (mut tx, proved) = prove(pool, rp, state, credential).await?;
    if (proved.org_id, proved.principal_id) != (caller.org_id, caller.principal_id) {
        return Err(ceremony_failed("another user's passkey for a step-up"));
    }
    proved_again(&mut tx, caller, Factor::Passkey).await?;
    tx.commit().await?;
    Ok(())
}

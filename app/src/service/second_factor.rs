//! A second factor for console sign-in: an authenticator app (TOTP, RFC 6238: SHA-1,
//! six digits, 30-second steps, one step either side) and ten single-use recovery
//! codes. A code is accepted once only; wrong codes are throttled like passwords.

use chacha20poly1305::aead::rand_core::RngCore;
use chacha20poly1305::aead::OsRng;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use totp_rs::{Algorithm, Builder, Secret, Totp};
use uuid::Uuid;

use crate::caller::Caller;
use crate::db;
use crate::db::audit::Change;
use crate::db::Tx;
use crate::error::AppError;
use crate::model::second_factor::{Enrolment, SecondFactorPolicy, SecondFactorState};
use crate::service::secrets::SecretKeys;
use rules::audit::AuditAction;
use rules::console::ConsoleRole;
use rules::second_factor as second_factor_rules;
use rules::sign_in_throttle::{self, Scope, Verdict};

/// The name authenticator apps show beside the account.
pub const ISSUER: &str = "Gatehouse";
const DIGITS: u8 = 6;
const STEP_SECONDS: u64 = 30;
/// How many recovery codes a user gets at a time.
pub const RECOVERY_CODES: usize = 10;

/// The field wrong codes are reported against.
const FIELD: &str = "code";

/// How a second factor was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    Authenticator,
    RecoveryCode,
    Passkey,
}

impl Factor {
    pub fn name(self) -> &'static str {
        match self {
            Factor::Authenticator => "authenticator app",
            Factor::RecoveryCode => "recovery code",
            Factor::Passkey => "passkey",
        }
    }
}

fn generator(secret: &[u8], digits: u8, account: &str) -> Result<Totp, AppError> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(digits)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret.to_vec())
        .with_issuer(Some(ISSUER))
        .with_account_name(account)
        .build()
        .map_err(|e| AppError::internal(format!("an authenticator cannot be made: {e}")))
}

/// The generator of a stored (sealed) authenticator.
fn stored_generator(
    keys: &SecretKeys,
    stored: &db::second_factor::Totp,
    account: &str,
) -> Result<Totp, AppError> {
    let secret = Secret::try_from_base32(keys.open(&stored.secret)?)
        .map_err(|_| AppError::internal("a stored authenticator secret cannot be read"))?;
    generator(secret.as_ref(), DIGITS, account)
}

/// Ten new recovery codes for the caller in place of any before, kept as digests;
/// answers the codes themselves, to be shown once.
async fn issue_recovery_codes(tx: &mut Tx<'_>, caller: &Caller) -> Result<Vec<String>, AppError> {
    let codes = new_recovery_codes();
    let digests: Vec<Vec<u8>> = codes.iter().map(|c| recovery_digest(c)).collect();
    db::second_factor::replace_recovery_codes(tx, caller.org_id, caller.principal_id, &digests)
        .await?;
    Ok(codes)
}

/// The time step a code is good for, if it is one of the codes for `now`'s step or the
/// steps either side and its step is later than `last_step` (a code is accepted once).
fn accepted_step(totp: &Totp, code: &str, now: u64, last_step: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != usize::from(totp.digits()) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let origin = now / STEP_SECONDS;
    (origin.saturating_sub(1)..=origin + 1)
        .filter(|step| *step > last_step)
        .find(|step| totp.generate(step * STEP_SECONDS).to_string() == code)
}

/// Ten new recovery codes: 16 random base-32 characters (80 bits) each, in groups of
/// four.
fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            OsRng.fill_bytes(&mut bytes);
            let text = Secret::from(bytes.to_vec()).to_base32().to_lowercase();
            text.as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// What is stored of a recovery code: its SHA-256, read without dashes, spaces or case.
fn recovery_digest(code: &str) -> Vec<u8> {
    let plain: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Sha256::digest(plain.as_bytes()).to_vec()
}

fn unix(now: DateTime<Utc>) -> u64 {
    now.timestamp().max(0) as u64
}

/// The signed-in user's second factor.
pub async fn state(
    pool: &PgPool,
    caller: &Caller,
    passkeys_offered: bool,
) -> Result<SecondFactorState, AppError> {
    let found = db::second_factor::overview(pool, caller.org_id, caller.principal_id).await?;
    let policy = db::second_factor::policy(pool, caller.org_id).await?;
    Ok(SecondFactorState {
        email: caller.email.clone(),
        enrolled_at: found.as_ref().and_then(|f| f.confirmed_at),
        recovery_codes_left: found.map_or(0, |f| f.recovery_codes_left),
        due: caller.second_factor_due,
        policy: SecondFactorPolicy {
            grace_until: policy.second_factor_policy_since
                + chrono::Duration::days(i64::from(policy.second_factor_grace_days)),
            roles: policy.second_factor_roles,
            all_roles: ConsoleRole::ALL
                .iter()
                .map(|r| r.name().to_string())
                .collect(),
            grace_days: policy.second_factor_grace_days,
            may_change: crate::caller::admit(POLICY_PATH, Some(caller.clone())).is_ok(),
        },
        passkeys: crate::service::passkeys::list(pool, caller).await?,
        passkeys_offered,
        sign_on: None,
    })
}

/// The operation that changes the policy (outside `/api/security/`, which a user who
/// owes a second factor may still use).
pub const POLICY_PATH: &str = "/api/settings/second-factor";

/// Sets which console roles must sign in with a second factor, and the grace period
/// their holders have to set one up (from now).
pub async fn set_policy(
    pool: &PgPool,
    caller: &Caller,
    roles: &[String],
    grace_days: &str,
) -> Result<(), AppError> {
    let roles =
        second_factor_rules::parse_roles(roles).map_err(|m| AppError::invalid("roles", m))?;
    let grace_days: i32 = grace_days
        .trim()
        .parse()
        .ok()
        .filter(|d| (0..=second_factor_rules::MAX_GRACE_DAYS).contains(d))
        .ok_or_else(|| {
            AppError::invalid(
                "grace_days",
                format!(
                    "Give the grace period in whole days, from 0 to {}.",
                    second_factor_rules::MAX_GRACE_DAYS
                ),
            )
        })?;
    let mut tx = pool.begin().await?;
    let before = db::second_factor::policy_for_update(&mut tx, caller.org_id).await?;
    if before.second_factor_roles == roles && before.second_factor_grace_days == grace_days {
        return Ok(());
    }
    db::second_factor::set_policy(&mut tx, caller.org_id, &roles, grace_days).await?;
    db::audit::record(
        &mut tx,
        &caller.actor(),
        Change::on(
            AuditAction::SecondFactorPolicyChanged,
            caller.org_id,
            caller.organisation.clone(),
        )
        .before(serde_json::json!({ "roles": before.second_factor_roles, "grace_days": before.second_factor_grace_days }))
        .after(serde_json::json!({ "roles": roles, "grace_days": grace_days })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A new authenticator secret for the caller, not in force until a code from it is read
/// back ([`confirm`]).
pub async fn start(
    pool: &PgPool,
    keys: &SecretKeys,
    caller: &Caller,
) -> Result<Enrolment, AppError> {
    let secret = Secret::generate();
    let totp = generator(secret.as_ref(), DIGITS, &caller.email)?;
    let encoded = secret.to_base32();
    let mut tx = pool.begin().await?;
    if let Some(t) =
        db::second_factor::totp_for_update(&mut tx, caller.org_id, caller.principal_id).await?
    {
        if t.confirmed_at.is_some() {
            return Err(AppError::Conflict(
                "You already sign in with an authenticator app. Remove it first to set up another."
                    .into(),
            ));
        }
    }
    db::second_factor::start(
        &mut tx,
        caller.org_id,
        caller.principal_id,
        &keys.seal(&encoded)?,
    )
    .await?;
    tx.commit().await?;
    let uri = totp
        .to_url()
        .map_err(|e| AppError::internal(format!("an authenticator link cannot be made: {e}")))?;
    let qr_svg = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| AppError::internal(format!("a QR code cannot be made: {e}")))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(Enrolment {
        qr_svg,
        uri,
        secret: encoded,
    })
}

/// Reads back a code from the app set up by [`start`]: from now on the caller signs in
/// with it. Answers their recovery codes, shown this once.
pub async fn confirm(
    pool: &PgPool,
    keys: &SecretKeys,
    caller: &Caller,
    code: &str,
) -> Result<Vec<String>, AppError> {
    let mut tx = pool.begin().await?;
    let Some(t) =
        db::second_factor::totp_for_update(&mut tx, caller.org_id, caller.principal_id).await?
    else {
        return Err(AppError::invalid(
            FIELD,
            "Start again: there is no authenticator waiting to be confirmed.",
        ));
    };
    if t.confirmed_at.is_some() {
        return Err(AppError::Conflict(
            "Your authenticator app is already set up.".into(),
        ));
    }
    let totp = stored_generator(keys, &t, &caller.email)?;
    let Some(step) = accepted_step(&totp, code, unix(Utc::now()), 0) else {
        return Err(AppError::invalid(
            FIELD,
            "That is not the code your app shows now. Check that the time on your device is right, and type the six digits again.",
        ));
    };
    db::second_factor::accept_step(&mut tx, caller.org_id, caller.principal_id, step as i64)
        .await?;
    let codes = issue_recovery_codes(&mut tx, caller).await?;
    on_trail(&mut tx, caller, AuditAction::SecondFactorEnrolled, serde_json::json!({ "factor": Factor::Authenticator.name(), "recovery_codes": RECOVERY_CODES })).await?;
    tx.commit().await?;
    Ok(codes)
}

/// Proves a second factor of `principal_id` with `code` (from the app, or a recovery
/// code). Wrong codes are counted against the principal like wrong passwords (slowed
/// down after three, locked for a while after ten). On success the code is used up in
/// the transaction answered, which the caller commits with what the proof allows.
pub async fn prove<'a>(
    pool: &'a PgPool,
    keys: &SecretKeys,
    (org_id, principal_id, account): (Uuid, Uuid, &str),
    code: &str,
) -> Result<(Tx<'a>, Factor), AppError> {
    if code.trim().is_empty() {
        return Err(AppError::invalid(
            FIELD,
            "Enter the six-digit code from your authenticator app, or a recovery code.",
        ));
    }
    let now = Utc::now();
    let key = format!("second-factor:{principal_id}");
    let scope = Scope::EmailAtAddress;
    // Counted as a failure first, in a transaction of its own, as passwords are.
    {
        let mut tx = pool.begin().await?;
        let state = db::auth::throttles_for_update(&mut tx, std::slice::from_ref(&key))
            .await?
            .pop()
            .flatten();
        let verdict = sign_in_throttle::verdict(&[(scope, state)], now);
        if let Verdict::Locked { until } = verdict {
            tx.commit().await?;
            let minutes = ((until - now).num_seconds() + 59) / 60;
            return Err(AppError::SignInRefused(format!(
                "Too many wrong codes. Try again in {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            )));
        }
        let counted = sign_in_throttle::after_failure(scope, state, now);
        db::auth::save_throttle(&mut tx, &key, &counted).await?;
        tx.commit().await?;
        if let Verdict::Proceed { delay } = verdict {
            tokio::time::sleep(delay).await;
        }
    }

    let mut tx = pool.begin().await?;
    let Some(t) = db::second_factor::totp_for_update(&mut tx, org_id, principal_id)
        .await?
        .filter(|t| t.confirmed_at.is_some())
    else {
        return Err(AppError::invalid(FIELD, "No authenticator app is set up."));
    };
    let totp = stored_generator(keys, &t, account)?;
    let factor = match accepted_step(&totp, code, unix(now), t.last_step.max(0) as u64) {
        Some(step) => {
            db::second_factor::accept_step(&mut tx, org_id, principal_id, step as i64).await?;
            Some(Factor::Authenticator)
        }
        None => db::second_factor::use_recovery_code(
            &mut tx,
            org_id,
            principal_id,
            &recovery_digest(code),
        )
        .await?
        .then_some(Factor::RecoveryCode),
    };
    match factor {
        Some(factor) => {
            db::auth::clear_throttles(&mut tx, std::slice::from_ref(&key)).await?;
            Ok((tx, factor))
        }
        None => {
            tx.commit().await?;
            Err(AppError::invalid(
                FIELD,
                "That code is not right, or it was used already. Wait for the next code, or use a recovery code.",
            ))
        }
    }
}

/// A change to the caller's own sign-in security, on the trail.
pub(crate) async fn on_trail(
    tx: &mut Tx<'_>,
    caller: &Caller,
    action: AuditAction,
    after: serde_json::Value,
) -> Result<(), AppError> {
    db::audit::record(
        tx,
        &caller.actor(),
        Change::on(action, caller.principal_id, caller.email.clone()).after(after),
    )
    .await?;
    Ok(())
}

/// Records on the caller's session, and on the trail, that they have just proved their
/// second factor again (with `factor`) before a risky action.
pub(crate) async fn proved_again(
    tx: &mut Tx<'_>,
    caller: &Caller,
    factor: Factor,
) -> Result<(), AppError> {
    db::auth::prove_session(tx, caller.org_id, &caller.session_ref).await?;
    on_trail(
        tx,
        caller,
        AuditAction::SecondFactorProved,
        serde_json::json!({ "factor": factor.name() }),
    )
    .await
}

/// [`prove`] for the signed-in caller.
async fn prove_caller<'a>(
    pool: &'a PgPool,
    keys: &SecretKeys,
    caller: &Caller,
    code: &str,
) -> Result<(Tx<'a>, Factor), AppError> {
    prove(
        pool,
        keys,
        (caller.org_id, caller.principal_id, &caller.email),
        code,
    )
    .await
}

/// Proves the caller's second factor again for their session, so that risky actions
/// go ahead for the next [`rules::second_factor::STEP_UP_WITHIN`].
pub async fn step_up(
    pool: &PgPool,
    keys: &SecretKeys,
    caller: &Caller,
    code: &str,
) -> Result<(), AppError> {
    let (mut tx, factor) = prove_caller(pool, keys, caller, code).await?;
    proved_again(&mut tx, caller, factor).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes the caller's authenticator app and recovery codes, once they prove it.
pub async fn remove(
    pool: &PgPool,
    keys: &SecretKeys,
    caller: &Caller,
    code: &str,
) -> Result<(), AppError> {
    let (mut tx, factor) = prove_caller(pool, keys, caller, code).await?;
    db::second_factor::remove(&mut tx, caller.org_id, caller.principal_id).await?;
    on_trail(
        &mut tx,
        caller,
        AuditAction::SecondFactorRemoved,
        serde_json::json!({ "proven_with": factor.name() }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// New recovery codes for the caller in place of the old, once they prove it.
pub async fn renew_recovery_codes(
    pool: &PgPool,
    keys: &SecretKeys,
    caller: &Caller,
    code: &str,
) -> Result<Vec<String>, AppError> {
    let (mut tx, factor) = prove_caller(pool, keys, caller, code).await?;
    let codes = issue_recovery_codes(&mut tx, caller).await?;
    on_trail(
        &mut tx,
        caller,
        AuditAction::RecoveryCodesRenewed,
        serde_json::json!({ "proven_with": factor.name(), "recovery_codes": RECOVERY_CODES }),
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

/// Removes another user's authenticator app and recovery codes, for a reason kept on
/// the trail; never the actor's own (theirs goes on `/security`, with a code).
pub async fn reset(
    pool: &PgPool,
    actor: &crate::db::audit::Actor,
    principal_id: Uuid,
    reason: &str,
) -> Result<(), AppError> {
    let reason = crate::service::grants::parse_reason(reason)?;
    if actor.principal_id == Some(principal_id) {
        return Err(AppError::Conflict(
            "You cannot reset your own second factor: remove it on your Sign-in security page with a code, or ask another admin.".into(),
        ));
    }
    let mut tx = pool.begin().await?;
    let name = db::principals::editable_for_update(&mut tx, actor.org_id, principal_id)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such principal.".into()))?
        .display_name;
    let app = db::second_factor::remove(&mut tx, actor.org_id, principal_id).await?;
    let passkeys = db::passkeys::remove_all(&mut tx, actor.org_id, principal_id).await?;
    if !app && passkeys == 0 {
        return Err(AppError::Conflict(format!(
            "{name} has no second factor to reset."
        )));
    }
    db::audit::record(
        &mut tx,
        actor,
        Change::on(AuditAction::SecondFactorReset, principal_id, name)
            .after(serde_json::json!({ "authenticator_app": app, "passkeys": passkeys }))
            .because(reason),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Seals again, with the current key, the authenticator secrets sealed with the previous
/// one (at start, as webhook secrets are): answers how many.
pub async fn reseal_secrets(pool: &PgPool, keys: &SecretKeys) -> Result<usize, AppError> {
    let mut tx = pool.begin().await?;
    let mut resealed = 0;
    for (org_id, principal_id, secret) in db::second_factor::secrets_for_update(&mut tx).await? {
        if keys.needs_resealing(&secret) {
            let sealed = keys.seal(&keys.open(&secret)?)?;
            db::second_factor::set_secret(&mut tx, org_id, principal_id, &sealed).await?;
            resealed += 1;
        }
    }
    tx.commit().await?;
    Ok(resealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 rows (eight digits, the 20-byte ASCII secret).
    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let totp = generator(b"12345678901234567890", 8, "rfc@example.com").unwrap();
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(totp.generate(time).to_string(), code, "at {time}");
            assert_eq!(
                accepted_step(&totp, code, time, 0),
                Some(time / STEP_SECONDS),
                "accepted at {time}"
            );
        }
    }

    #[test]
    fn a_code_is_accepted_for_one_step_either_side_and_once() {
        let totp = generator(b"12345678901234567890", DIGITS, "a@example.com").unwrap();
        let now = 1_700_000_015;
        let step = now / STEP_SECONDS;
        let code = totp.generate(now).to_string();
        assert_eq!(accepted_step(&totp, &code, now, 0), Some(step));
        assert_eq!(
            accepted_step(&totp, &format!(" {} {} ", &code[..3], &code[3..]), now, 0),
            Some(step)
        );
        // Late by a step, early by a step: still good; two steps: not.
        assert_eq!(accepted_step(&totp, &code, now + 30, 0), Some(step));
        assert_eq!(accepted_step(&totp, &code, now - 30, 0), Some(step));
        assert_eq!(accepted_step(&totp, &code, now + 60, 0), None);
        // Replayed: its step was used.
        assert_eq!(accepted_step(&totp, &code, now, step), None);
        // The next step's code is still good after this one.
        let next = totp.generate(now + 30).to_string();
        assert_eq!(accepted_step(&totp, &next, now + 30, step), Some(step + 1));
        for wrong in ["", "12345", "1234567", "abcdef", "12345x"] {
            assert_eq!(accepted_step(&totp, wrong, now, 0), None, "{wrong:?}");
        }
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_read_loosely() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        for code in &codes {
            assert_eq!(code.len(), 19, "{code}");
            assert_eq!(code.matches('-').count(), 3, "{code}");
        }
        let code = &codes[0];
        assert_eq!(
            recovery_digest(code),
            recovery_digest(&code.to_uppercase().replace('-', " "))
        );
        assert_ne!(recovery_digest(code), recovery_digest(&codes[1]));
    }
}

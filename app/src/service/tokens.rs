//! Application API tokens: a Governance admin makes one for an application (shown once,
//! kept as a hash, optionally ending), the application's system reports activity with
//! it, and it can be revoked.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{TimeZone, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::tokens::{NewToken, TokenCaller};
use crate::error::AppError;
use crate::model::tokens::{CreatedToken, TokensOverview};
use crate::service::grants::parse_end_date;
use rules::audit::AuditAction;

/// Every token starts with this, so it can be recognised (and found by secret scanners).
pub const TOKEN_PREFIX: &str = "gtk_";
/// Characters of a token kept to tell it apart.
const HINT_CHARS: usize = 10;

/// `prefix` followed by 256 random bits in hex.
pub fn random_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The caller behind an `Authorization: Bearer …` header value, or why not.
pub async fn authenticate(
    pool: &PgPool,
    authorization: Option<&str>,
) -> Result<TokenCaller, AppError> {
    let token = authorization
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.starts_with(TOKEN_PREFIX))
        .ok_or(AppError::Unauthenticated)?;
    db::tokens::authenticate(pool, &token_hash(token), Utc::now())
        .await?
        .ok_or(AppError::Unauthenticated)
}

pub async fn overview(pool: &PgPool, org_id: Uuid) -> Result<TokensOverview, AppError> {
    Ok(TokensOverview {
        tokens: db::tokens::list(pool, org_id).await?,
        applications: db::tokens::applications(pool, org_id).await?,
    })
}

pub async fn create(
    pool: &PgPool,
    actor: &Actor,
    application: Uuid,
    name: &str,
    until: &str,
) -> Result<CreatedToken, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid(
            "name",
            "Name the token (up to 100 characters), for example after the system that will use it.",
        ));
    }
    let expires_at = parse_end_date(until, Utc::now().date_naive())?
        .map(|d| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists")));
    let applications = db::tokens::applications(pool, actor.org_id).await?;
    let Some(app) = applications.iter().find(|a| a.id == application) else {
        return Err(AppError::invalid(
            "application",
            "Choose the application whose system will use the token.",
        ));
    };
    let token = random_secret(TOKEN_PREFIX);
    let hint: String = token.chars().take(HINT_CHARS).collect();
    let mut tx = pool.begin().await?;
    let id = db::tokens::insert(
        &mut tx,
        actor.org_id,
        NewToken {
            application_id: application,
            name,
            hash: &token_hash(&token),
            hint: &hint,
            expires_at,
            created_by: actor.principal_id,
        },
    )
    .await?;
    db::audit::record(
        &mut tx,
        actor,
        Change::on(AuditAction::TokenCreated, id, format!("{} \u{2014} {name}", app.name)).after(json!({ "application": app.name, "name": name, "hint": hint, "expires_at": expires_at })),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedToken { id, token })
}

pub async fn revoke(pool: &PgPool, actor: &Actor, id: Uuid) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let Some((application, name)) =
        db::tokens::revoke(&mut tx, actor.org_id, id, actor.principal_id).await?
    else {
        return Err(AppError::NotFound(
            "That token does not exist or is already revoked.".into(),
        ));
    };
    db::audit::record(
        &mut tx,
        actor,
        Change::on(
            AuditAction::TokenRevoked,
            id,
            format!("{application} \u{2014} {name}"),
        )
        .after(json!({ "revoked": true })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_prefixed() {
        let a = random_secret(TOKEN_PREFIX);
        let b = random_secret(TOKEN_PREFIX);
        assert!(a.starts_with("gtk_"));
        assert_eq!(a.len(), 4 + 64);
        assert_ne!(a, b);
    }

    #[test]
    fn the_hash_is_sha256_of_the_token() {
        assert_eq!(
            hex::encode(token_hash("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

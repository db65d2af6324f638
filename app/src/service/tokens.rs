//! API tokens: a Governance admin makes one for an application (shown once, kept as a
//! hash, optionally ending), with which the application's system reports activity and
//! asks for decisions; or one of an AI agent's, bot's or integration's own, bound to it
//! and ending within the organisation's cap. Either can be revoked.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{TimeZone, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres};
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::tokens::{NewToken, TokenCaller};
use crate::error::AppError;
use crate::model::tokens::{CreatedToken, PrincipalTokens, TokenApplication, TokensOverview};
use crate::service::grants::parse_end_date;
use rules::audit::AuditAction;
use rules::principals::{non_human, PrincipalStatus};

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

/// The token in an `Authorization: Bearer …` header value.
fn bearer(authorization: Option<&str>) -> Result<&str, AppError> {
    authorization
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.starts_with(TOKEN_PREFIX))
        .ok_or(AppError::Unauthenticated)
}

/// The caller behind an `Authorization: Bearer …` header value, or why not.
pub async fn authenticate(
    pool: &PgPool,
    authorization: Option<&str>,
) -> Result<TokenCaller, AppError> {
    let token = bearer(authorization)?;
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
    let name = token_name(name)?;
    let expires_at = parse_end_date(until, Utc::now().date_naive())?
        .map(|d| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists")));
    let app = chosen_application(pool, actor.org_id, application).await?;
    insert_token(
        pool,
        actor,
        NewToken {
            application_id: Some(application),
            name,
            hash: &[],
            hint: "",
            expires_at,
            created_by: actor.principal_id,
            principal_id: None,
        },
        (
            format!("{} \u{2014} {name}", app.name),
            json!({ "application": app.name, "name": name }),
        ),
    )
    .await
}

/// The most days a provisioning token may last: an identity provider's connection is
/// set up once, but its token is a standing key to every person's record.
pub const PROVISIONING_MAX_DAYS: i64 = 366;

/// A provisioning token, with which the organisation's identity provider creates,
/// changes and removes people over SCIM (`/scim/v2`); it must end within a year.
pub async fn create_provisioning(
    pool: &PgPool,
    actor: &Actor,
    name: &str,
    until: &str,
) -> Result<CreatedToken, AppError> {
    let name = token_name(name)?;
    let today = Utc::now().date_naive();
    let until = match parse_end_date(until, today)? {
        Some(d) if (d - today).num_days() <= PROVISIONING_MAX_DAYS => d,
        _ => {
            return Err(AppError::invalid(
                "until",
                format!(
                "Give the date the token ends, at most {PROVISIONING_MAX_DAYS} days from today; \
                     make a new one before then."
            ),
            ))
        }
    };
    let expires_at = Utc.from_utc_datetime(&until.and_hms_opt(0, 0, 0).expect("midnight exists"));
    insert_token(
        pool,
        actor,
        NewToken {
            application_id: None,
            name,
            hash: &[],
            hint: "",
            expires_at: Some(expires_at),
            created_by: actor.principal_id,
            principal_id: None,
        },
        (
            format!("Provisioning (SCIM) \u{2014} {name}"),
            json!({ "provisioning": true, "name": name }),
        ),
    )
    .await
}

/// A valid provisioning token: whose it is, and who made it.
pub struct Provisioning {
    pub org_id: Uuid,
    pub token_id: Uuid,
    /// The admin who made the token (none when they are gone).
    pub maker: Option<Uuid>,
}

/// The token behind a provisioning token's `Authorization` header value, or why not;
/// with the connection it was checked on, for the request's work. A header that cannot
/// be a token is refused before any connection is taken.
pub async fn authenticate_provisioning(
    pool: &PgPool,
    authorization: Option<&str>,
) -> Result<(Provisioning, PoolConnection<Postgres>), AppError> {
    let token = bearer(authorization)?;
    let mut conn = pool.acquire().await?;
    let (org_id, token_id, maker) =
        db::tokens::authenticate_provisioning(&mut conn, &token_hash(token), Utc::now())
            .await?
            .ok_or(AppError::Unauthenticated)?;
    Ok((
        Provisioning {
            org_id,
            token_id,
            maker,
        },
        conn,
    ))
}

/// The organisation's principal with this id.
async fn subject(
    pool: &PgPool,
    org_id: Uuid,
    principal: Uuid,
) -> Result<db::policy::Subject, AppError> {
    db::policy::principals(pool, org_id, &[principal], &[])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::NotFound("There is no such principal.".into()))
}

fn token_name(name: &str) -> Result<&str, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid(
            "name",
            "Name the token (up to 100 characters), for example after the system that will use it.",
        ));
    }
    Ok(name)
}

async fn chosen_application(
    pool: &PgPool,
    org_id: Uuid,
    application: Uuid,
) -> Result<TokenApplication, AppError> {
    db::tokens::applications(pool, org_id)
        .await?
        .into_iter()
        .find(|a| a.id == application)
        .ok_or_else(|| {
            AppError::invalid(
                "application",
                "Choose the application whose system will use the token.",
            )
        })
}

/// Makes the secret, stores its hash with `token`'s other fields, and audits it (with
/// `label` and the `after` fields, to which the hint and end are added).
async fn insert_token(
    pool: &PgPool,
    actor: &Actor,
    token: NewToken<'_>,
    (label, mut after): (String, serde_json::Value),
) -> Result<CreatedToken, AppError> {
    let secret = random_secret(TOKEN_PREFIX);
    let hint: String = secret.chars().take(HINT_CHARS).collect();
    if let Some(o) = after.as_object_mut() {
        o.insert("hint".into(), json!(hint));
        o.insert("expires_at".into(), json!(token.expires_at));
    }
    let mut tx = pool.begin().await?;
    let id = db::tokens::insert(
        &mut tx,
        actor.org_id,
        NewToken {
            hash: &token_hash(&secret),
            hint: &hint,
            ..token
        },
    )
    .await?;
    db::audit::record(
        &mut tx,
        actor,
        Change::on(AuditAction::TokenCreated, id, label).after(after),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedToken { id, token: secret })
}

/// The tokens of an AI agent, bot or integration, and what a new one may be.
pub async fn of_principal(
    pool: &PgPool,
    org_id: Uuid,
    principal: Uuid,
) -> Result<PrincipalTokens, AppError> {
    subject(pool, org_id, principal).await?;
    Ok(PrincipalTokens {
        tokens: db::tokens::of_principal(pool, org_id, principal).await?,
        applications: db::tokens::applications(pool, org_id).await?,
        max_days: db::tokens::principal_token_max_days(pool, org_id).await?,
    })
}

/// A token of an AI agent, bot or integration's own, for one application: it speaks for
/// that principal only, until an end date within the organisation's cap.
pub async fn create_for_principal(
    pool: &PgPool,
    actor: &Actor,
    principal: Uuid,
    application: Uuid,
    name: &str,
    until: &str,
) -> Result<CreatedToken, AppError> {
    let name = token_name(name)?;
    let today = Utc::now().date_naive();
    let max_days = db::tokens::principal_token_max_days(pool, actor.org_id).await?;
    let until = non_human::token_end(parse_end_date(until, today)?, today, max_days)?;
    let expires_at = Utc.from_utc_datetime(&until.and_hms_opt(0, 0, 0).expect("midnight exists"));
    let subject = subject(pool, actor.org_id, principal).await?;
    if !non_human::may_hold_token(&subject.kind) {
        return Err(AppError::invalid(
            "principal",
            "Only an AI agent, a bot or an integration has tokens of its own; a person signs in.",
        ));
    }
    if subject.status != PrincipalStatus::Active {
        return Err(AppError::Conflict(format!(
            "{} is {}: it cannot be given a token.",
            subject.display_name, subject.status
        )));
    }
    let app = chosen_application(pool, actor.org_id, application).await?;
    let label = format!(
        "{} \u{2014} {} \u{2014} {name}",
        subject.display_name, app.name
    );
    insert_token(
        pool,
        actor,
        NewToken {
            application_id: Some(application),
            name,
            hash: &[],
            hint: "",
            expires_at: Some(expires_at),
            created_by: actor.principal_id,
            principal_id: Some(principal),
        },
        (label, json!({ "principal": subject.display_name, "principal_id": principal, "application": app.name, "name": name })),
    )
    .await
}

pub async fn revoke(pool: &PgPool, actor: &Actor, id: Uuid) -> Result<(), AppError> {
    revoke_bound(pool, actor, id, None).await
}

/// Revokes a token; with `principal`, only one bound to that principal.
pub async fn revoke_bound(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    principal: Option<Uuid>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let Some((application, name)) =
        db::tokens::revoke(&mut tx, actor.org_id, id, actor.principal_id, principal).await?
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

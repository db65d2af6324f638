use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::Tx;
use crate::model::tokens::{TokenApplication, TokenRow};

/// Who is calling with an application token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenCaller {
    pub org_id: Uuid,
    pub token_id: Uuid,
    pub application_id: Uuid,
    /// The organisation's policy version when the token was checked.
    pub policy_version: i64,
}

/// The token with this hash, if it is neither revoked nor expired, with its
/// organisation's policy version (read here so that a decision needs no query of its
/// own to know whether its copy of the policy is current); its last use becomes
/// `now` when the one recorded is a minute old or more. (Written on every call, the
/// last use made each call a write, and a token's calls wait for each other on its row.)
pub async fn authenticate(
    pool: &PgPool,
    hash: &[u8],
    now: DateTime<Utc>,
) -> sqlx::Result<Option<TokenCaller>> {
    sqlx::query_as::<_, TokenCaller>(
        "WITH t AS ( \
           SELECT org_id, id, application_id, last_used_at FROM application_tokens \
           WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)), \
         touched AS ( \
           UPDATE application_tokens a SET last_used_at = $2 FROM t \
           WHERE a.org_id = t.org_id AND a.id = t.id \
             AND (t.last_used_at IS NULL OR t.last_used_at < $2 - interval '1 minute')) \
         SELECT t.org_id, t.id AS token_id, t.application_id, o.policy_version \
         FROM t JOIN organisations o ON o.id = t.org_id",
    )
    .bind(hash)
    .bind(now)
    .fetch_optional(pool)
    .await
}

pub async fn list(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Vec<TokenRow>> {
    sqlx::query_as::<_, TokenRow>(
        "SELECT t.id, a.name AS application, t.name, t.hint, p.display_name AS created_by, t.created_at, \
                t.expires_at, t.revoked_at, t.last_used_at \
         FROM application_tokens t \
         JOIN applications a ON a.org_id = t.org_id AND a.id = t.application_id \
         LEFT JOIN principals p ON p.org_id = t.org_id AND p.id = t.created_by \
         WHERE t.org_id = $1 ORDER BY t.revoked_at IS NOT NULL, a.name, t.created_at DESC",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await
}

pub async fn applications(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Vec<TokenApplication>> {
    sqlx::query_as::<_, TokenApplication>(
        "SELECT id, name FROM applications WHERE org_id = $1 AND NOT is_console ORDER BY name",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await
}

pub struct NewToken<'a> {
    pub application_id: Uuid,
    pub name: &'a str,
    pub hash: &'a [u8],
    pub hint: &'a str,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
}

pub async fn insert(tx: &mut Tx<'_>, org_id: Uuid, token: NewToken<'_>) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO application_tokens (org_id, id, application_id, name, token_hash, hint, expires_at, created_by) \
         VALUES ($1, gen_random_uuid(), $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(org_id)
    .bind(token.application_id)
    .bind(token.name)
    .bind(token.hash)
    .bind(token.hint)
    .bind(token.expires_at)
    .bind(token.created_by)
    .fetch_one(&mut **tx)
    .await
}

/// Revokes the token if it is still in use; answers its application and name.
pub async fn revoke(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    by: Option<Uuid>,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as(
        "UPDATE application_tokens t SET revoked_at = now(), revoked_by = $3 \
         FROM applications a \
         WHERE t.org_id = $1 AND t.id = $2 AND t.revoked_at IS NULL \
           AND a.org_id = t.org_id AND a.id = t.application_id \
         RETURNING a.name, t.name",
    )
    .bind(org_id)
    .bind(id)
    .bind(by)
    .fetch_optional(&mut **tx)
    .await
}

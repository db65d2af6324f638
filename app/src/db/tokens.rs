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
    /// The principal a principal's own token speaks for; `None` for an application's.
    pub principal_id: Option<Uuid>,
}

/// The token with this hash, if it is neither revoked nor expired (nor bound to a
/// principal that is suspended, offboarded or past its end date), with its
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
           SELECT a.org_id, a.id, a.application_id, a.principal_id, a.last_used_at FROM application_tokens a \
           WHERE a.token_hash = $1 AND NOT a.provisioning \
             AND a.revoked_at IS NULL AND (a.expires_at IS NULL OR a.expires_at > $2) \
             AND (a.principal_id IS NULL OR EXISTS ( \
               SELECT 1 FROM principals p WHERE p.org_id = a.org_id AND p.id = a.principal_id \
                 AND p.status = 'active' AND (p.end_date IS NULL OR p.end_date > $2::date)))), \
         touched AS ( \
           UPDATE application_tokens a SET last_used_at = $2 FROM t \
           WHERE a.org_id = t.org_id AND a.id = t.id \
             AND (t.last_used_at IS NULL OR t.last_used_at < $2 - interval '1 minute')) \
         SELECT t.org_id, t.id AS token_id, t.application_id, o.policy_version, t.principal_id \
         FROM t JOIN organisations o ON o.id = t.org_id",
    )
    .bind(hash)
    .bind(now)
    .fetch_optional(pool)
    .await
}

/// The organisation of a provisioning token with this hash, if it is neither revoked nor
/// expired, and the token's id; its last use is kept as [`authenticate`] does.
pub async fn authenticate_provisioning(
    conn: &mut sqlx::PgConnection,
    hash: &[u8],
    now: DateTime<Utc>,
) -> sqlx::Result<Option<(Uuid, Uuid, Option<Uuid>)>> {
    sqlx::query_as(
        "WITH t AS ( \
           SELECT a.org_id, a.id, a.last_used_at, a.created_by FROM application_tokens a \
           WHERE a.token_hash = $1 AND a.provisioning AND a.revoked_at IS NULL AND a.expires_at > $2), \
         touched AS ( \
           UPDATE application_tokens a SET last_used_at = $2 FROM t \
           WHERE a.org_id = t.org_id AND a.id = t.id \
             AND (t.last_used_at IS NULL OR t.last_used_at < $2 - interval '1 minute')) \
         SELECT org_id, id, created_by FROM t",
    )
    .bind(hash)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Who made token `id` (none when they are gone).
pub async fn maker(
    conn: &mut sqlx::PgConnection,
    org_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT created_by FROM application_tokens WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .fetch_optional(conn)
        .await
        .map(Option::flatten)
}

const TOKENS: &str = "SELECT t.id, coalesce(a.name, 'Provisioning (SCIM)') AS application, t.name, t.hint, p.display_name AS created_by, \
        t.created_at, t.expires_at, t.revoked_at, t.last_used_at, t.principal_id, b.display_name AS principal \
     FROM application_tokens t \
     LEFT JOIN applications a ON a.org_id = t.org_id AND a.id = t.application_id \
     LEFT JOIN principals p ON p.org_id = t.org_id AND p.id = t.created_by \
     LEFT JOIN principals b ON b.org_id = t.org_id AND b.id = t.principal_id";

pub async fn list(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Vec<TokenRow>> {
    sqlx::query_as::<_, TokenRow>(&format!(
        "{TOKENS} WHERE t.org_id = $1 ORDER BY t.revoked_at IS NOT NULL, a.name, t.created_at DESC"
    ))
    .bind(org_id)
    .fetch_all(pool)
    .await
}

/// The tokens bound to `principal`, in use first, newest first.
pub async fn of_principal(
    pool: &PgPool,
    org_id: Uuid,
    principal: Uuid,
) -> sqlx::Result<Vec<TokenRow>> {
    sqlx::query_as::<_, TokenRow>(&format!(
        "{TOKENS} WHERE t.org_id = $1 AND t.principal_id = $2 \
         ORDER BY t.revoked_at IS NOT NULL, t.created_at DESC"
    ))
    .bind(org_id)
    .bind(principal)
    .fetch_all(pool)
    .await
}

/// The longest a principal's token may last, in days.
pub async fn principal_token_max_days(pool: &PgPool, org_id: Uuid) -> sqlx::Result<i32> {
    sqlx::query_scalar("SELECT principal_token_max_days FROM organisations WHERE id = $1")
        .bind(org_id)
        .fetch_one(pool)
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
    /// None for a provisioning token.
    pub application_id: Option<Uuid>,
    pub name: &'a str,
    pub hash: &'a [u8],
    pub hint: &'a str,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    /// For a principal's own token.
    pub principal_id: Option<Uuid>,
}

pub async fn insert(tx: &mut Tx<'_>, org_id: Uuid, token: NewToken<'_>) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO application_tokens (org_id, id, application_id, name, token_hash, hint, expires_at, created_by, principal_id, provisioning) \
         VALUES ($1, gen_random_uuid(), $2, $3, $4, $5, $6, $7, $8, $2 IS NULL) RETURNING id",
    )
    .bind(org_id)
    .bind(token.application_id)
    .bind(token.name)
    .bind(token.hash)
    .bind(token.hint)
    .bind(token.expires_at)
    .bind(token.created_by)
    .bind(token.principal_id)
    .fetch_one(&mut **tx)
    .await
}

/// Revokes the token if it is still in use (and, with `principal`, bound to that
/// principal); answers its application and name.
pub async fn revoke(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    by: Option<Uuid>,
    principal: Option<Uuid>,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as(
        "UPDATE application_tokens t SET revoked_at = now(), revoked_by = $3 \
         WHERE t.org_id = $1 AND t.id = $2 AND t.revoked_at IS NULL AND ($4::uuid IS NULL OR t.principal_id = $4) \
         RETURNING coalesce((SELECT a.name FROM applications a WHERE a.org_id = t.org_id AND a.id = t.application_id), \
                            'Provisioning (SCIM)'), t.name",
    )
    .bind(org_id)
    .bind(id)
    .bind(by)
    .bind(principal)
    .fetch_optional(&mut **tx)
    .await
}

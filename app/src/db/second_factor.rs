//! Console users' second factors: an authenticator app and its recovery codes
//! (migration 0020).

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::Tx;

/// A principal's authenticator app, as stored (its secret sealed).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Totp {
    pub secret: String,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub last_step: i64,
}

/// The authenticator of a principal, locked until the transaction ends so that a code
/// is accepted once only, however many arrive together.
pub async fn totp_for_update(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    principal_id: Uuid,
) -> sqlx::Result<Option<Totp>> {
    sqlx::query_as(
        "SELECT secret, confirmed_at, last_step FROM console_totp \
         WHERE org_id = $1 AND principal_id = $2 FOR UPDATE",
    )
    .bind(org_id)
    .bind(principal_id)
    .fetch_optional(&mut **tx)
    .await
}

/// SQL that is true when the principal (`org`, `principal`: SQL expressions) signs in
/// with a second factor: a confirmed authenticator app, or a passkey.
pub fn has_second_factor(org: &str, principal: &str) -> String {
    format!(
        "(EXISTS (SELECT 1 FROM console_totp t WHERE t.org_id = {org} AND t.principal_id = {principal} \
            AND t.confirmed_at IS NOT NULL) \
          OR EXISTS (SELECT 1 FROM console_passkeys k WHERE k.org_id = {org} AND k.principal_id = {principal}))"
    )
}

/// Whether the principal signs in with a second factor: an authenticator app, or a
/// passkey.
pub async fn has_confirmed(
    db: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
    principal_id: Uuid,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(&format!("SELECT {}", has_second_factor("$1", "$2")))
        .bind(org_id)
        .bind(principal_id)
        .fetch_one(db)
        .await
}

/// A new, unconfirmed authenticator in place of an unconfirmed one.
pub async fn start(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    principal_id: Uuid,
    sealed_secret: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO console_totp (org_id, principal_id, secret) VALUES ($1, $2, $3) \
         ON CONFLICT (org_id, principal_id) DO UPDATE SET secret = $3, created_at = now(), last_step = 0 \
         WHERE console_totp.confirmed_at IS NULL",
    )
    .bind(org_id)
    .bind(principal_id)
    .bind(sealed_secret)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records the step a code was accepted for (and confirms the app if it was not yet).
pub async fn accept_step(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    principal_id: Uuid,
    step: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE console_totp SET last_step = $3, confirmed_at = coalesce(confirmed_at, now()) \
         WHERE org_id = $1 AND principal_id = $2",
    )
    .bind(org_id)
    .bind(principal_id)
    .bind(step)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Removes the authenticator and its recovery codes.
pub async fn remove(tx: &mut Tx<'_>, org_id: Uuid, principal_id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM console_totp WHERE org_id = $1 AND principal_id = $2")
        .bind(org_id)
        .bind(principal_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Replaces the principal's recovery codes.
pub async fn replace_recovery_codes(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    principal_id: Uuid,
    digests: &[Vec<u8>],
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM console_recovery_codes WHERE org_id = $1 AND principal_id = $2")
        .bind(org_id)
        .bind(principal_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO console_recovery_codes (org_id, principal_id, digest) \
         SELECT $1, $2, d FROM unnest($3::bytea[]) AS d",
    )
    .bind(org_id)
    .bind(principal_id)
    .bind(digests)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Uses up a recovery code: answers whether it was there and unused.
pub async fn use_recovery_code(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    principal_id: Uuid,
    digest: &[u8],
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE console_recovery_codes SET used_at = now() \
         WHERE org_id = $1 AND principal_id = $2 AND digest = $3 AND used_at IS NULL",
    )
    .bind(org_id)
    .bind(principal_id)
    .bind(digest)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A principal's second factor as their own security page shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Overview {
    pub confirmed_at: Option<DateTime<Utc>>,
    pub recovery_codes_left: i64,
}

pub async fn overview(
    pool: &PgPool,
    org_id: Uuid,
    principal_id: Uuid,
) -> sqlx::Result<Option<Overview>> {
    sqlx::query_as(
        "SELECT t.confirmed_at, \
           (SELECT count(*) FROM console_recovery_codes r WHERE r.org_id = t.org_id \
              AND r.principal_id = t.principal_id AND r.used_at IS NULL) AS recovery_codes_left \
         FROM console_totp t WHERE t.org_id = $1 AND t.principal_id = $2 AND t.confirmed_at IS NOT NULL",
    )
    .bind(org_id)
    .bind(principal_id)
    .fetch_optional(pool)
    .await
}

/// Every stored authenticator secret, locked until the transaction ends.
pub async fn secrets_for_update(tx: &mut Tx<'_>) -> sqlx::Result<Vec<(Uuid, Uuid, String)>> {
    sqlx::query_as("SELECT org_id, principal_id, secret FROM console_totp FOR UPDATE")
        .fetch_all(&mut **tx)
        .await
}

pub async fn set_secret(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    principal_id: Uuid,
    sealed: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE console_totp SET secret = $3 WHERE org_id = $1 AND principal_id = $2")
        .bind(org_id)
        .bind(principal_id)
        .bind(sealed)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An organisation's second-factor policy as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Policy {
    pub second_factor_roles: Vec<String>,
    pub second_factor_grace_days: i32,
    pub second_factor_policy_since: DateTime<Utc>,
}

const POLICY: &str =
    "SELECT second_factor_roles, second_factor_grace_days, second_factor_policy_since \
     FROM organisations WHERE id = $1";

pub async fn policy(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Policy> {
    sqlx::query_as(POLICY).bind(org_id).fetch_one(pool).await
}

/// The policy, locked until the transaction ends.
pub async fn policy_for_update(tx: &mut Tx<'_>, org_id: Uuid) -> sqlx::Result<Policy> {
    sqlx::query_as(&format!("{POLICY} FOR NO KEY UPDATE"))
        .bind(org_id)
        .fetch_one(&mut **tx)
        .await
}

/// A new policy; its grace period starts now.
pub async fn set_policy(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    roles: &[String],
    grace_days: i32,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE organisations SET second_factor_roles = $2, second_factor_grace_days = $3, \
           second_factor_policy_since = now() WHERE id = $1",
    )
    .bind(org_id)
    .bind(roles)
    .bind(grace_days)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

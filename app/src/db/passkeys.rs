//! Console users' passkeys (migration 0023): the verified credential of each, as
//! `webauthn-rs` keeps it (public key and signature counter), found by its id.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::PgPool;
use uuid::Uuid;
use webauthn_rs::prelude::Passkey;

use super::Tx;

/// A passkey as its owner's security page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listed {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

pub async fn of_principal(
    pool: &PgPool,
    org_id: Uuid,
    principal_id: Uuid,
) -> sqlx::Result<Vec<Listed>> {
    sqlx::query_as(
        "SELECT id, name, created_at, last_used_at FROM console_passkeys \
         WHERE org_id = $1 AND principal_id = $2 ORDER BY created_at, id",
    )
    .bind(org_id)
    .bind(principal_id)
    .fetch_all(pool)
    .await
}

pub async fn count(pool: &PgPool, org_id: Uuid, principal_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM console_passkeys WHERE org_id = $1 AND principal_id = $2",
    )
    .bind(org_id)
    .bind(principal_id)
    .fetch_one(pool)
    .await
}

/// The credential ids a principal already has (a browser need not make a second
/// passkey on an authenticator that holds one).
pub async fn credential_ids(
    pool: &PgPool,
    org_id: Uuid,
    principal_id: Uuid,
) -> sqlx::Result<Vec<Vec<u8>>> {
    sqlx::query_scalar(
        "SELECT credential_id FROM console_passkeys WHERE org_id = $1 AND principal_id = $2",
    )
    .bind(org_id)
    .bind(principal_id)
    .fetch_all(pool)
    .await
}

/// Adds a verified passkey; `false` if the principal already has one of that name.
pub async fn insert(
    tx: &mut Tx<'_>,
    (org_id, principal_id): (Uuid, Uuid),
    name: &str,
    passkey: &Passkey,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO console_passkeys (org_id, principal_id, name, credential_id, credential) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(org_id)
    .bind(principal_id)
    .bind(name)
    .bind(passkey.cred_id().as_slice())
    .bind(Json(passkey))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A stored passkey found by its credential id, locked until the transaction ends (its
/// counter is checked and moved on once per sign-in).
#[derive(Debug, sqlx::FromRow)]
pub struct Found {
    pub org_id: Uuid,
    pub id: Uuid,
    pub principal_id: Uuid,
    pub name: String,
    pub credential: Json<Passkey>,
}

pub async fn by_credential_for_update(
    tx: &mut Tx<'_>,
    credential_id: &[u8],
) -> sqlx::Result<Option<Found>> {
    sqlx::query_as(
        "SELECT org_id, id, principal_id, name, credential FROM console_passkeys \
         WHERE credential_id = $1 FOR UPDATE",
    )
    .bind(credential_id)
    .fetch_optional(&mut **tx)
    .await
}

/// Records a use, with the credential as it is after it (its counter moved on).
pub async fn used(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid, passkey: &Passkey) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE console_passkeys SET last_used_at = now(), credential = $3 WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(Json(passkey))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Removes one of the principal's passkeys; answers its name if there was one.
pub async fn remove(
    tx: &mut Tx<'_>,
    (org_id, principal_id): (Uuid, Uuid),
    id: Uuid,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "DELETE FROM console_passkeys WHERE org_id = $1 AND principal_id = $2 AND id = $3 RETURNING name",
    )
    .bind(org_id)
    .bind(principal_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// Removes every passkey of the principal; answers how many.
pub async fn remove_all(tx: &mut Tx<'_>, org_id: Uuid, principal_id: Uuid) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM console_passkeys WHERE org_id = $1 AND principal_id = $2")
        .bind(org_id)
        .bind(principal_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

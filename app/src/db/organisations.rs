//! Organisations: the tenants of one Gatehouse.

use uuid::Uuid;

use super::Tx;

const EVERY: &str = "SELECT id, name FROM organisations ORDER BY name";

/// Every organisation, by name.
pub async fn all(tx: &mut Tx<'_>) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as(EVERY).fetch_all(&mut **tx).await
}

/// Every organisation, by name, outside any transaction.
pub async fn every(pool: &sqlx::PgPool) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as(EVERY).fetch_all(pool).await
}

pub async fn insert(tx: &mut Tx<'_>, name: &str) -> sqlx::Result<Uuid> {
    let id = Uuid::new_v4();
    sqlx::query("INSERT INTO organisations (id, name) VALUES ($1, $2)")
        .bind(id)
        .bind(name)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// Locks the organisations table against other loaders until the transaction ends and
/// answers the name of an organisation, if the database holds any.
pub async fn lock_and_find_any(tx: &mut Tx<'_>) -> sqlx::Result<Option<String>> {
    sqlx::query("LOCK TABLE organisations IN EXCLUSIVE MODE")
        .execute(&mut **tx)
        .await?;
    sqlx::query_scalar("SELECT name FROM organisations LIMIT 1")
        .fetch_optional(&mut **tx)
        .await
}

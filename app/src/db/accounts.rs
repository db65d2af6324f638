use sqlx::PgPool;
use uuid::Uuid;

use super::Tx;
use crate::model::Account;

const SELECT_ACCOUNTS: &str = "SELECT a.id, a.name, a.region, a.created_at, \
       (SELECT count(*) FROM principal_accounts pa WHERE pa.org_id = a.org_id AND pa.account_id = a.id) AS principals, \
       (SELECT count(*) FROM grants g WHERE g.org_id = a.org_id AND g.account_id = a.id AND g.revoked_at IS NULL \
          AND g.valid_from <= now() AND (g.valid_until IS NULL OR g.valid_until > now())) AS active_grants \
     FROM accounts a WHERE a.org_id = $1";

pub async fn list(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Vec<Account>> {
    sqlx::query_as::<_, Account>(&format!("{SELECT_ACCOUNTS} ORDER BY a.region, a.name"))
        .bind(org_id)
        .fetch_all(pool)
        .await
}

/// (id, name) of every account, by name: for pickers and labels.
pub async fn names(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as("SELECT id, name FROM accounts WHERE org_id = $1 ORDER BY name")
        .bind(org_id)
        .fetch_all(pool)
        .await
}

/// Inserts an account; `None` when the organisation already has one of that name.
pub async fn insert(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    name: &str,
    region: &str,
) -> sqlx::Result<Option<Account>> {
    let id: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO accounts (org_id, id, name, region) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (org_id, name) DO NOTHING RETURNING id",
    )
    .bind(org_id)
    .bind(Uuid::new_v4())
    .bind(name)
    .bind(region)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(id) = id else { return Ok(None) };
    sqlx::query_as::<_, Account>(&format!("{SELECT_ACCOUNTS} AND a.id = $2"))
        .bind(org_id)
        .bind(id)
        .fetch_one(&mut **tx)
        .await
        .map(Some)
}

/// The name of one account, if it belongs to the organisation.
pub async fn name(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT name FROM accounts WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// Makes `principal_id` one of the account's managers, who decide its requests.
pub async fn add_manager(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    account_id: Uuid,
    principal_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO account_managers (org_id, account_id, principal_id) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(org_id)
    .bind(account_id)
    .bind(principal_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

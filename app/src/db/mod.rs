//! Everything that touches PostgreSQL. Functions take a pool or a transaction; a change
//! and its audit event always share one transaction.

pub mod accounts;
pub mod activity;
pub mod applications;
pub mod audit;
pub mod audit_chain;
pub mod auth;
pub mod birthright;
pub mod consent;
pub mod console_catalogue;
pub mod dashboard;
pub mod dsr;
pub mod expiry;
pub mod failsafe;
pub mod fields;
pub mod grants;
pub mod hygiene;
pub mod inactivity;
pub mod lifecycle;
pub mod organisations;
pub mod packages;
pub mod passkeys;
pub mod policy;
pub mod principals;
pub mod replica;
pub mod reports;
pub mod requests;
pub mod reviews;
pub mod roles;
pub mod scim;
pub mod scope;
pub mod second_factor;
pub mod sign_on;
pub mod sod;
pub mod tokens;
pub mod webhooks;

pub type Tx<'a> = sqlx::Transaction<'a, sqlx::Postgres>;

/// Whether the database answers at all.
pub async fn ping(pool: &sqlx::PgPool) -> sqlx::Result<()> {
    sqlx::query("SELECT 1").execute(pool).await.map(|_| ())
}

/// The newest migration applied to the database, if any.
pub async fn applied_migration(pool: &sqlx::PgPool) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(pool)
        .await
}

/// One permission reached through one grant, as the queries select it.
#[derive(Debug, sqlx::FromRow, serde::Deserialize)]
pub struct GrantedRow {
    grant_id: uuid::Uuid,
    account_id: Option<uuid::Uuid>,
    valid_from: chrono::DateTime<chrono::Utc>,
    valid_until: Option<chrono::DateTime<chrono::Utc>>,
    revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    permission: String,
}

impl From<GrantedRow> for rules::effective::GrantedPermission {
    fn from(r: GrantedRow) -> Self {
        rules::effective::GrantedPermission {
            grant_id: r.grant_id,
            account_id: r.account_id,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            revoked_at: r.revoked_at,
            permission: r.permission,
        }
    }
}

/// Text made safe to put inside an ILIKE pattern: its wildcards match themselves.
pub fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

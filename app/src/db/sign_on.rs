//! Single sign-on: each organisation's OpenID provider, the provider accounts linked to
//! console users, and who may still sign in with a password (migration 0024).

use sqlx::PgPool;
use uuid::Uuid;

use super::Tx;

/// An organisation's provider as stored (its client secret sealed).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Provider {
    pub org_id: Uuid,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub allowed_domains: Vec<String>,
    pub create_unknown: bool,
}

const PROVIDER_COLUMNS: &str =
    "org_id, name, issuer, client_id, client_secret, allowed_domains, create_unknown";

pub async fn provider(
    db: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
) -> sqlx::Result<Option<Provider>> {
    sqlx::query_as(&format!(
        "SELECT {PROVIDER_COLUMNS} FROM sign_on_providers WHERE org_id = $1"
    ))
    .bind(org_id)
    .fetch_optional(db)
    .await
}

/// The providers offered on the sign-in page: organisation and name, by name.
pub async fn offered(pool: &PgPool) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as("SELECT org_id, name FROM sign_on_providers ORDER BY name, org_id")
        .fetch_all(pool)
        .await
}

/// The organisation's provider in place of the one it had, if any.
pub async fn save_provider(tx: &mut Tx<'_>, provider: &Provider) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sign_on_providers (org_id, name, issuer, client_id, client_secret, allowed_domains, create_unknown) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (org_id) DO UPDATE SET name = $2, issuer = $3, client_id = $4, client_secret = $5, \
             allowed_domains = $6, create_unknown = $7, updated_at = now()",
    )
    .bind(provider.org_id)
    .bind(&provider.name)
    .bind(&provider.issuer)
    .bind(&provider.client_id)
    .bind(&provider.client_secret)
    .bind(&provider.allowed_domains)
    .bind(provider.create_unknown)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Removes the organisation's provider; answers whether it had one.
pub async fn remove_provider(tx: &mut Tx<'_>, org_id: Uuid) -> sqlx::Result<bool> {
    let removed = sqlx::query("DELETE FROM sign_on_providers WHERE org_id = $1")
        .bind(org_id)
        .execute(&mut **tx)
        .await?;
    Ok(removed.rows_affected() == 1)
}

/// Whether the organisation takes passwords, and its break-glass admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct LocalSignIn {
    pub password_sign_in: bool,
    pub break_glass_principal: Option<Uuid>,
}

pub async fn local_sign_in(
    db: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
) -> sqlx::Result<LocalSignIn> {
    sqlx::query_as(
        "SELECT password_sign_in, break_glass_principal FROM organisations WHERE id = $1",
    )
    .bind(org_id)
    .fetch_one(db)
    .await
}

/// The same, locked until the transaction ends (settings change one at a time).
pub async fn local_sign_in_for_update(tx: &mut Tx<'_>, org_id: Uuid) -> sqlx::Result<LocalSignIn> {
    sqlx::query_as(
        "SELECT password_sign_in, break_glass_principal FROM organisations WHERE id = $1 FOR UPDATE",
    )
    .bind(org_id)
    .fetch_one(&mut **tx)
    .await
}

pub async fn set_local_sign_in(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    local: LocalSignIn,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE organisations SET password_sign_in = $2, break_glass_principal = $3 WHERE id = $1",
    )
    .bind(org_id)
    .bind(local.password_sign_in)
    .bind(local.break_glass_principal)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A console user of the organisation, found by the email they sign in with.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConsoleUser {
    pub principal_id: Uuid,
    pub display_name: String,
    pub email: String,
    pub active: bool,
}

const CONSOLE_USER: &str =
    "SELECT c.principal_id, p.display_name, c.email, p.status = 'active' AS active \
     FROM console_credentials c JOIN principals p ON p.org_id = c.org_id AND p.id = c.principal_id";

pub async fn console_user_by_email(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    email: &str,
) -> sqlx::Result<Option<ConsoleUser>> {
    sqlx::query_as(&format!(
        "{CONSOLE_USER} WHERE c.org_id = $1 AND c.email = $2"
    ))
    .bind(org_id)
    .bind(email)
    .fetch_optional(&mut **tx)
    .await
}

pub async fn console_user(
    db: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
    principal_id: Uuid,
) -> sqlx::Result<Option<ConsoleUser>> {
    sqlx::query_as(&format!(
        "{CONSOLE_USER} WHERE c.org_id = $1 AND c.principal_id = $2"
    ))
    .bind(org_id)
    .bind(principal_id)
    .fetch_optional(db)
    .await
}

/// The console user a provider account is linked to, noting that it was used.
pub async fn linked(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    (issuer, subject): (&str, &str),
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "UPDATE console_identities SET last_used_at = now() \
         WHERE org_id = $1 AND issuer = $2 AND subject = $3 RETURNING principal_id",
    )
    .bind(org_id)
    .bind(issuer)
    .bind(subject)
    .fetch_optional(&mut **tx)
    .await
}

/// Links a provider account to a console user. Answers false when the user is already
/// linked to another account of this provider.
pub async fn link(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    (issuer, subject): (&str, &str),
    principal_id: Uuid,
) -> sqlx::Result<bool> {
    let linked = sqlx::query(
        "INSERT INTO console_identities (org_id, issuer, subject, principal_id, last_used_at) \
         VALUES ($1, $2, $3, $4, now()) ON CONFLICT DO NOTHING",
    )
    .bind(org_id)
    .bind(issuer)
    .bind(subject)
    .bind(principal_id)
    .execute(&mut **tx)
    .await?;
    Ok(linked.rows_affected() == 1)
}

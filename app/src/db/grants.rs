use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit::{bind_event, Bind, Recorded};
use super::Tx;
use rules::principals::PrincipalStatus;

/// A grant to write: exactly one of `role_id` and `permission_set_id`.
#[derive(Debug, Clone)]
pub struct NewGrant<'a> {
    pub principal_id: Uuid,
    pub role_id: Option<Uuid>,
    pub permission_set_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    /// From when it holds (now when `None`).
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub granted_by: Option<Uuid>,
    pub reason: &'a str,
    pub source_request_id: Option<Uuid>,
    /// As stored: `{}` or `{"all": [...]}` (see `rules::policy::conditions`).
    pub conditions: &'a serde_json::Value,
    /// The birthright rule it comes from.
    pub birthright_rule_id: Option<Uuid>,
    /// The access package assignment it belongs to (its grants end together).
    pub package_assignment_id: Option<Uuid>,
}

const INSERT: &str = "INSERT INTO grants (org_id, id, principal_id, role_id, permission_set_id, account_id, valid_until, \
                             granted_by, reason, source_request_id, valid_from, created_at, conditions, birthright_rule_id, \
                             package_assignment_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, now()), coalesce($11, now()), $12, $13, $14)";

/// The parameters of [`INSERT`].
fn bind_grant<'q, Q: Bind<'q>>(query: Q, (org_id, id): (Uuid, Uuid), grant: &NewGrant<'q>) -> Q {
    query
        .bind_value(org_id)
        .bind_value(id)
        .bind_value(grant.principal_id)
        .bind_value(grant.role_id)
        .bind_value(grant.permission_set_id)
        .bind_value(grant.account_id)
        .bind_value(grant.valid_until)
        .bind_value(grant.granted_by)
        .bind_value(grant.reason)
        .bind_value(grant.source_request_id)
        .bind_value(grant.valid_from)
        .bind_value(grant.conditions)
        .bind_value(grant.birthright_rule_id)
        .bind_value(grant.package_assignment_id)
}

pub async fn insert(tx: &mut Tx<'_>, org_id: Uuid, grant: &NewGrant<'_>) -> sqlx::Result<Uuid> {
    let id = Uuid::new_v4();
    bind_grant(sqlx::query(INSERT), (org_id, id), grant)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// [`insert`] as grant `id` (made by the caller, so that its audit event names it), with
/// that event written by the same statement.
pub async fn insert_recorded(
    tx: &mut Tx<'_>,
    (org_id, id): (Uuid, Uuid),
    grant: &NewGrant<'_>,
    (actor, event): Recorded<'_>,
) -> sqlx::Result<()> {
    let sql = format!("WITH e AS ({}) {INSERT}", super::audit::insert_event(15));
    bind_event(
        bind_grant(sqlx::query(&sql), (org_id, id), grant),
        actor,
        event,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A role or permission set with its application's grant rules.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Bundle {
    pub is_role: bool,
    pub name: String,
    pub application: String,
    pub max_grant_days: Option<i32>,
    pub allow_no_end: bool,
    /// A role of the console itself.
    pub is_console: bool,
}

impl Bundle {
    /// (role_id, permission_set_id) for a grant of this bundle.
    pub fn columns(&self, id: Uuid) -> (Option<Uuid>, Option<Uuid>) {
        if self.is_role {
            (Some(id), None)
        } else {
            (None, Some(id))
        }
    }
}

pub async fn bundle(
    db: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Bundle>> {
    sqlx::query_as::<_, Bundle>(
        "SELECT b.is_role, b.name, a.name AS application, a.max_grant_days, a.allow_no_end, a.is_console FROM ( \
           SELECT org_id, id, application_id, name, true AS is_role FROM roles \
           UNION ALL SELECT org_id, id, application_id, name, false FROM permission_sets) b \
         JOIN applications a ON a.org_id = b.org_id AND a.id = b.application_id WHERE b.org_id = $1 AND b.id = $2",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// The name and status of a principal about to be granted access.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Grantee {
    pub display_name: String,
    #[sqlx(try_from = "String")]
    pub status: PrincipalStatus,
    /// Who answers for it, when it is an agent, bot or integration.
    pub owner_id: Option<Uuid>,
}

/// The principal about to be granted access, locked until the transaction ends (so that
/// it is not offboarded meanwhile).
pub async fn principal_for_update(
    db: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Grantee>> {
    sqlx::query_as(
        "SELECT display_name, status::text AS status, owner_id FROM principals \
         WHERE org_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// A grant's facts for a renewal, locked until the transaction ends.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Ending {
    pub principal_id: Uuid,
    pub principal: String,
    pub role_id: Option<Uuid>,
    pub permission_set_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub valid_until: Option<chrono::DateTime<chrono::Utc>>,
    pub reason: String,
    pub in_force: bool,
    pub renewal_pending: bool,
    pub conditions: serde_json::Value,
}

pub async fn ending_for_update(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Ending>> {
    sqlx::query_as::<_, Ending>(
        "SELECT g.principal_id, p.display_name AS principal, g.role_id, g.permission_set_id, g.account_id, \
                g.valid_until, g.reason, g.conditions, \
                (g.revoked_at IS NULL AND g.valid_from <= now() AND (g.valid_until IS NULL OR g.valid_until > now()) \
                 AND p.status = 'active') AS in_force, \
                EXISTS (SELECT 1 FROM access_requests r WHERE r.org_id = g.org_id AND r.renews_grant_id = g.id \
                          AND r.status = 'pending') AS renewal_pending \
         FROM grants g JOIN principals p ON p.org_id = g.org_id AND p.id = g.principal_id \
         WHERE g.org_id = $1 AND g.id = $2 FOR UPDATE OF g",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// A grant locked for revocation: its principal's name, its role or permission set's
/// name, and when it was revoked if it was.
pub async fn lock_for_revoke(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    grant_id: Uuid,
) -> sqlx::Result<Option<(String, String, Option<DateTime<Utc>>)>> {
    sqlx::query_as(
        "SELECT p.display_name, coalesce(r.name, ps.name), g.revoked_at FROM grants g \
         JOIN principals p ON p.org_id = g.org_id AND p.id = g.principal_id \
         LEFT JOIN roles r ON r.org_id = g.org_id AND r.id = g.role_id \
         LEFT JOIN permission_sets ps ON ps.org_id = g.org_id AND ps.id = g.permission_set_id \
         WHERE g.org_id = $1 AND g.id = $2 FOR UPDATE OF g",
    )
    .bind(org_id)
    .bind(grant_id)
    .fetch_optional(&mut **tx)
    .await
}

/// Revokes a grant now, by `by` (none: the system), for `reason`.
pub async fn revoke(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    grant_id: Uuid,
    by: Option<Uuid>,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE grants SET revoked_at = now(), revoked_by = $3, revoke_reason = $4 \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(grant_id)
    .bind(by)
    .bind(reason)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

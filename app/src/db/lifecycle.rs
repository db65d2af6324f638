//! What a person's leaving touches: their grants in force, the AI agents, bots and
//! integrations they own, and who takes those over.

use sqlx::PgPool;
use uuid::Uuid;

use super::Tx;

/// The grants of `principal` in force, locked: id and what each gives.
pub async fn grants_in_force(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    principal: Uuid,
) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as(
        "SELECT g.id, coalesce(r.name, ps.name) FROM grants g \
         LEFT JOIN roles r ON r.org_id = g.org_id AND r.id = g.role_id \
         LEFT JOIN permission_sets ps ON ps.org_id = g.org_id AND ps.id = g.permission_set_id \
         WHERE g.org_id = $1 AND g.principal_id = $2 AND g.revoked_at IS NULL \
           AND (g.valid_until IS NULL OR g.valid_until > now()) \
         ORDER BY g.created_at FOR UPDATE OF g",
    )
    .bind(org_id)
    .bind(principal)
    .fetch_all(&mut **tx)
    .await
}

/// The pending access requests for `principal`, locked: id and what each asks for.
pub async fn pending_requests(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    principal: Uuid,
) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as(
        "SELECT q.id, coalesce(r.name, ps.name) FROM access_requests q \
         LEFT JOIN roles r ON r.org_id = q.org_id AND r.id = q.role_id \
         LEFT JOIN permission_sets ps ON ps.org_id = q.org_id AND ps.id = q.permission_set_id \
         WHERE q.org_id = $1 AND q.principal_id = $2 AND q.status = 'pending' \
         ORDER BY q.created_at FOR UPDATE OF q",
    )
    .bind(org_id)
    .bind(principal)
    .fetch_all(&mut **tx)
    .await
}

/// The AI agents, bots and integrations `owner` owns that are not offboarded, locked:
/// id, name and status.
pub async fn owned(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    owner: Uuid,
) -> sqlx::Result<Vec<(Uuid, String, String)>> {
    sqlx::query_as(
        "SELECT id, display_name, status::text FROM principals \
         WHERE org_id = $1 AND owner_id = $2 AND status <> 'offboarded' ORDER BY display_name FOR UPDATE",
    )
    .bind(org_id)
    .bind(owner)
    .fetch_all(&mut **tx)
    .await
}

/// Who takes over what `leaver` owned: their manager, else the organisation's fallback;
/// an active person other than the leaver, or nobody.
pub async fn heir(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    leaver: Uuid,
) -> sqlx::Result<Option<(Uuid, String)>> {
    sqlx::query_as(
        "SELECT h.id, h.display_name FROM principals l \
         JOIN organisations o ON o.id = l.org_id \
         JOIN principals h ON h.org_id = l.org_id AND h.id IN (l.manager_id, o.leaver_fallback_owner_id) \
         WHERE l.org_id = $1 AND l.id = $2 AND h.id <> l.id AND h.kind = 'human' AND h.status = 'active' \
         ORDER BY h.id = l.manager_id DESC LIMIT 1 FOR SHARE OF h",
    )
    .bind(org_id)
    .bind(leaver)
    .fetch_optional(&mut **tx)
    .await
}

pub async fn set_owner(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid, owner: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE principals SET owner_id = $3 WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .bind(owner)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The organisation's fallback owner: id, name and email.
pub async fn fallback_owner(
    pool: &PgPool,
    org_id: Uuid,
) -> sqlx::Result<Option<(Uuid, String, Option<String>)>> {
    sqlx::query_as(
        "SELECT p.id, p.display_name, p.email FROM organisations o \
         JOIN principals p ON p.org_id = o.id AND p.id = o.leaver_fallback_owner_id WHERE o.id = $1",
    )
    .bind(org_id)
    .fetch_optional(pool)
    .await
}

/// Sets the fallback owner (none: nobody); answers the one before.
pub async fn set_fallback_owner(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    owner: Option<Uuid>,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "UPDATE organisations o SET leaver_fallback_owner_id = $2 FROM organisations old \
         WHERE o.id = $1 AND old.id = o.id RETURNING old.leaver_fallback_owner_id",
    )
    .bind(org_id)
    .bind(owner)
    .fetch_one(&mut **tx)
    .await
}

/// The active person of the organisation with this email.
pub async fn active_person_by_email(
    pool: &PgPool,
    org_id: Uuid,
    email: &str,
) -> sqlx::Result<Option<(Uuid, String)>> {
    sqlx::query_as(
        "SELECT id, display_name FROM principals \
         WHERE org_id = $1 AND email = lower($2) AND kind = 'human' AND status = 'active'",
    )
    .bind(org_id)
    .bind(email)
    .fetch_optional(pool)
    .await
}

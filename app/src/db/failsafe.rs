//! The lifecycle failsafe's counts and the changes it holds.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use super::Tx;
use rules::failsafe::{Limits, Tally};

/// The organisation's limits and what went through in the hour before `now`; the
/// organisation's row is locked, so that runs at once are counted one after another.
pub async fn hour(tx: &mut Tx<'_>, org_id: Uuid) -> sqlx::Result<(Limits, Tally)> {
    let (grants, principals, hour_grants, hour_principals): (Option<i32>, Option<i32>, i64, i64) =
        sqlx::query_as(
            "SELECT o.failsafe_grants, o.failsafe_principals, \
                    coalesce((SELECT sum(t.grants) FROM lifecycle_tally t WHERE t.org_id = o.id AND t.at > now() - interval '1 hour'), 0)::bigint, \
                    coalesce((SELECT sum(t.principals) FROM lifecycle_tally t WHERE t.org_id = o.id AND t.at > now() - interval '1 hour'), 0)::bigint \
             FROM organisations o WHERE o.id = $1 FOR NO KEY UPDATE OF o",
        )
        .bind(org_id)
        .fetch_one(&mut **tx)
        .await?;
    Ok((
        Limits {
            grants: grants.map(i64::from),
            principals: principals.map(i64::from),
        },
        Tally {
            grants: hour_grants,
            principals: hour_principals,
        },
    ))
}

pub async fn count(tx: &mut Tx<'_>, org_id: Uuid, run: Tally) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO lifecycle_tally (org_id, grants, principals) VALUES ($1, $2, $3)")
        .bind(org_id)
        .bind(run.grants as i32)
        .bind(run.principals as i32)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A held change.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HeldRow {
    pub id: Uuid,
    pub kind: String,
    pub payload: Value,
    pub summary: String,
    pub grants: i32,
    pub principals: i32,
    pub held_at: DateTime<Utc>,
    pub decision: Option<String>,
}

/// The change held for `target`, if there is one: pending, confirmed or discarded.
pub async fn for_target<'e>(
    conn: impl sqlx::PgExecutor<'e>,
    org_id: Uuid,
    target: &str,
) -> sqlx::Result<Option<HeldRow>> {
    sqlx::query_as(
        "SELECT id, kind, payload, summary, grants, principals, held_at, decision FROM held_changes \
         WHERE org_id = $1 AND target = $2",
    )
    .bind(org_id)
    .bind(target)
    .fetch_optional(conn)
    .await
}

pub struct NewHeld<'a> {
    pub kind: &'a str,
    pub target: &'a str,
    pub payload: &'a Value,
    pub summary: &'a str,
    pub run: Tally,
}

/// Holds the change (once per target: a confirmed one asked again is held again);
/// answers its id, or None when it is already pending or discarded.
pub async fn hold(tx: &mut Tx<'_>, org_id: Uuid, h: &NewHeld<'_>) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "INSERT INTO held_changes (org_id, id, kind, target, payload, summary, grants, principals) \
         VALUES ($1, gen_random_uuid(), $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (org_id, target) DO UPDATE SET id = gen_random_uuid(), payload = EXCLUDED.payload, \
           summary = EXCLUDED.summary, grants = EXCLUDED.grants, principals = EXCLUDED.principals, \
           held_at = now(), decision = NULL, decided_by = NULL, decided_at = NULL \
         WHERE held_changes.decision = 'confirmed' RETURNING id",
    )
    .bind(org_id)
    .bind(h.kind)
    .bind(h.target)
    .bind(h.payload)
    .bind(h.summary)
    .bind(h.run.grants as i32)
    .bind(h.run.principals as i32)
    .fetch_optional(&mut **tx)
    .await
}

/// The changes waiting for an admin, oldest first.
pub async fn pending(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Vec<HeldRow>> {
    sqlx::query_as(
        "SELECT id, kind, payload, summary, grants, principals, held_at, decision FROM held_changes \
         WHERE org_id = $1 AND decision IS NULL ORDER BY held_at, id LIMIT 500",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await
}

/// How many changes wait for an admin.
pub async fn pending_count(pool: &PgPool, org_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM held_changes WHERE org_id = $1 AND decision IS NULL")
        .bind(org_id)
        .fetch_one(pool)
        .await
}

/// The pending change, locked for a decision.
pub async fn pending_for_update(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<HeldRow>> {
    sqlx::query_as(
        "SELECT id, kind, payload, summary, grants, principals, held_at, decision FROM held_changes \
         WHERE org_id = $1 AND id = $2 AND decision IS NULL FOR UPDATE",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

pub async fn decide(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    decision: &str,
    by: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE held_changes SET decision = $3, decided_by = $4, decided_at = now() WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(decision)
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The limits as set: (grants, principals).
pub async fn limits(pool: &PgPool, org_id: Uuid) -> sqlx::Result<(Option<i32>, Option<i32>)> {
    sqlx::query_as("SELECT failsafe_grants, failsafe_principals FROM organisations WHERE id = $1")
        .bind(org_id)
        .fetch_one(pool)
        .await
}

/// Sets the limits; answers the ones before.
pub async fn set_limits(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    grants: Option<i64>,
    principals: Option<i64>,
) -> sqlx::Result<(Option<i32>, Option<i32>)> {
    sqlx::query_as(
        "UPDATE organisations o SET failsafe_grants = $2, failsafe_principals = $3 FROM organisations old \
         WHERE o.id = $1 AND old.id = o.id RETURNING old.failsafe_grants, old.failsafe_principals",
    )
    .bind(org_id)
    .bind(grants.map(|g| g as i32))
    .bind(principals.map(|p| p as i32))
    .fetch_one(&mut **tx)
    .await
}

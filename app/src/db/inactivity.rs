//! Inactivity rules, who they would suspend, and the notices sent before.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::Tx;

/// The rules: (kind, days).
pub async fn rules(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Vec<(String, i32)>> {
    sqlx::query_as("SELECT kind::text, days FROM inactivity_rules WHERE org_id = $1 ORDER BY kind")
        .bind(org_id)
        .fetch_all(pool)
        .await
}

/// Every organisation's rules: (organisation, kind, days).
pub async fn every_rule(pool: &PgPool) -> sqlx::Result<Vec<(Uuid, String, i32)>> {
    sqlx::query_as("SELECT org_id, kind::text, days FROM inactivity_rules ORDER BY org_id, kind")
        .fetch_all(pool)
        .await
}

/// Sets (or, with None, removes) the rule for a kind; answers the days before.
pub async fn set_rule(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    kind: &str,
    days: Option<i32>,
) -> sqlx::Result<Option<i32>> {
    let before: Option<i32> = sqlx::query_scalar(
        "DELETE FROM inactivity_rules WHERE org_id = $1 AND kind = $2::principal_kind RETURNING days",
    )
    .bind(org_id)
    .bind(kind)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(days) = days {
        sqlx::query(
            "INSERT INTO inactivity_rules (org_id, kind, days) VALUES ($1, $2::principal_kind, $3)",
        )
        .bind(org_id)
        .bind(kind)
        .bind(days)
        .execute(&mut **tx)
        .await?;
    }
    Ok(before)
}

/// Active principals of the kind quiet since before `$3` (never active: created before
/// it); the break-glass admin is never among them.
const QUIET: &str = "p.org_id = $1 AND p.kind = $2::principal_kind AND p.status = 'active' \
     AND (p.last_activity_at < $3 OR (p.last_activity_at IS NULL AND p.created_at < $3)) \
     AND NOT EXISTS (SELECT 1 FROM organisations o WHERE o.id = p.org_id AND o.break_glass_principal = p.id)";

/// How many of the kind have been quiet since `since`, and the first names.
pub async fn quiet(
    pool: &PgPool,
    org_id: Uuid,
    kind: &str,
    since: DateTime<Utc>,
) -> sqlx::Result<(i64, Vec<String>)> {
    let count: i64 =
        sqlx::query_scalar(&format!("SELECT count(*) FROM principals p WHERE {QUIET}"))
            .bind(org_id)
            .bind(kind)
            .bind(since)
            .fetch_one(pool)
            .await?;
    let names = sqlx::query_scalar(&format!(
        "SELECT p.display_name FROM principals p WHERE {QUIET} \
         ORDER BY p.last_activity_at NULLS FIRST, p.display_name LIMIT 10"
    ))
    .bind(org_id)
    .bind(kind)
    .bind(since)
    .fetch_all(pool)
    .await?;
    Ok((count, names))
}

/// Up to `limit` of the kind quiet since `since` and told so by `told_by` (and not
/// active since), locked (others another instance holds are skipped): id and name.
pub async fn quiet_for_update(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    kind: &str,
    (since, told_by): (DateTime<Utc>, DateTime<Utc>),
    limit: i64,
) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as(&format!(
        "SELECT p.id, p.display_name FROM principals p WHERE {QUIET} \
           AND EXISTS (SELECT 1 FROM dormancy_notices n WHERE n.org_id = p.org_id AND n.principal_id = p.id \
                         AND n.noticed_at <= $5 AND n.noticed_at > coalesce(p.last_activity_at, p.created_at)) \
         ORDER BY p.id LIMIT $4 FOR UPDATE OF p SKIP LOCKED"
    ))
    .bind(org_id)
    .bind(kind)
    .bind(since)
    .bind(limit)
    .bind(told_by)
    .fetch_all(&mut **tx)
    .await
}

/// The principals among `ids` still active and quiet since `since`, locked.
pub async fn still_quiet(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    kind: &str,
    since: DateTime<Utc>,
    ids: &[Uuid],
) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as(&format!(
        "SELECT p.id, p.display_name FROM principals p WHERE {QUIET} AND p.id = ANY($4) \
         ORDER BY p.id FOR UPDATE OF p"
    ))
    .bind(org_id)
    .bind(kind)
    .bind(since)
    .bind(ids)
    .fetch_all(&mut **tx)
    .await
}

/// Of the kind, those quiet since `notice_since` who have not been told since they were
/// last active, up to `limit`; each is recorded as told at `now`. Answers id, name and
/// when they were last active.
pub async fn to_notice(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    kind: &str,
    (notice_since, now): (DateTime<Utc>, DateTime<Utc>),
    limit: i64,
) -> sqlx::Result<Vec<(Uuid, String, Option<DateTime<Utc>>)>> {
    sqlx::query_as(&format!(
        "WITH due AS ( \
           SELECT p.id, p.display_name, p.last_activity_at FROM principals p WHERE {QUIET} \
             AND NOT EXISTS (SELECT 1 FROM dormancy_notices n WHERE n.org_id = p.org_id AND n.principal_id = p.id \
                               AND n.noticed_at > coalesce(p.last_activity_at, p.created_at)) \
           ORDER BY p.id LIMIT $4 FOR UPDATE OF p SKIP LOCKED), \
         told AS ( \
           INSERT INTO dormancy_notices (org_id, principal_id, noticed_at) SELECT $1, id, $5 FROM due \
           ON CONFLICT (org_id, principal_id) DO UPDATE SET noticed_at = EXCLUDED.noticed_at) \
         SELECT id, display_name, last_activity_at FROM due"
    ))
    .bind(org_id)
    .bind(kind)
    .bind(notice_since)
    .bind(limit)
    .bind(now)
    .fetch_all(&mut **tx)
    .await
}

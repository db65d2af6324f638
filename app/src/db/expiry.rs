//! The scheduled job's statements. Each takes a batch of due rows with `FOR UPDATE SKIP
//! LOCKED` (ended grants: the organisation's cursor), so two instances running at once
//! share the work and never do a row twice; a row's change, its audit event and its
//! webhook events are one transaction.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::audit::action_columns;
use rules::audit::AuditAction;

/// How the job signs its audit events.
pub const JOB_ACTOR: &str = "Gatehouse (scheduled job)";

/// The organisations whose ended grants the job walks, each given a cursor at the
/// beginning of time the first time it is seen.
pub async fn organisations_with_cursor(pool: &PgPool) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "WITH added AS ( \
           INSERT INTO grant_expiry_cursors (org_id, ended_through, last_grant_id) \
           SELECT id, '-infinity', '00000000-0000-0000-0000-000000000000' FROM organisations \
           ON CONFLICT (org_id) DO NOTHING) \
         SELECT id FROM organisations ORDER BY id",
    )
    .fetch_all(pool)
    .await
}

/// What one step of the walk over an organisation's ended grants did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryStep {
    /// Another instance is walking this organisation's grants right now.
    Busy,
    /// The cursor passed `passed` grants (revoked ones included), of which `expired`
    /// were marked expired with their audit event.
    Done { passed: u64, expired: u64 },
}

/// Moves the organisation's cursor over up to `limit` grants that ended by `now`, in the
/// order they ended, writing one `grant.expired` audit event for each one not revoked;
/// cursor and events are one transaction, the cursor row its lock.
pub async fn expire_grants(
    pool: &PgPool,
    org_id: Uuid,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<ExpiryStep> {
    let mut tx = pool.begin().await?;
    let locked: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM grant_expiry_cursors WHERE org_id = $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(org_id)
    .fetch_optional(&mut *tx)
    .await?;
    if locked.is_none() {
        return Ok(ExpiryStep::Busy);
    }
    let (passed, expired): (i64, i64) = sqlx::query_as(&format!(
        "WITH due AS ( \
           SELECT g.org_id, g.id, g.principal_id, g.role_id, g.permission_set_id, g.account_id, g.valid_until, \
                  g.revoked_at \
           FROM grants g \
           WHERE g.org_id = $1 AND g.valid_until IS NOT NULL AND g.valid_until <= $2 \
             AND (g.valid_until, g.id) > ( \
                   (SELECT ended_through FROM grant_expiry_cursors WHERE org_id = $1), \
                   (SELECT last_grant_id FROM grant_expiry_cursors WHERE org_id = $1)) \
           ORDER BY g.valid_until, g.id LIMIT $3), \
         audited AS ( \
           INSERT INTO audit_events (org_id, actor_label, action, target_type, target_id, target_label, before, after) \
           SELECT e.org_id, $4, {expired}, e.id::text, \
                  p.display_name || ' \u{2192} ' || coalesce(r.name, ps.name), \
                  jsonb_build_object('valid_until', e.valid_until), \
                  jsonb_build_object('expired_at', $2::timestamptz, 'account_id', e.account_id) \
           FROM due e \
           JOIN principals p ON p.org_id = e.org_id AND p.id = e.principal_id \
           LEFT JOIN roles r ON r.org_id = e.org_id AND r.id = e.role_id \
           LEFT JOIN permission_sets ps ON ps.org_id = e.org_id AND ps.id = e.permission_set_id \
           WHERE e.revoked_at IS NULL \
           RETURNING 1), \
         moved AS ( \
           UPDATE grant_expiry_cursors c SET ended_through = last.valid_until, last_grant_id = last.id \
           FROM (SELECT valid_until, id FROM due ORDER BY valid_until DESC, id DESC LIMIT 1) last \
           WHERE c.org_id = $1 RETURNING 1) \
         SELECT (SELECT count(*) FROM due), (SELECT count(*) FROM audited)",
        expired = action_columns(AuditAction::GrantExpired)
    )
    )
    .bind(org_id)
    .bind(now)
    .bind(limit)
    .bind(JOB_ACTOR)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(ExpiryStep::Done {
        passed: passed as u64,
        expired: expired as u64,
    })
}

/// Expires up to `limit` requests pending since before `now - max_age`; answers how many.
pub async fn expire_requests(
    pool: &PgPool,
    now: DateTime<Utc>,
    max_age: Duration,
    limit: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(&format!(
        "WITH due AS ( \
           SELECT org_id, id FROM access_requests WHERE status = 'pending' AND created_at <= $1 - $2 \
           ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED), \
         ended AS ( \
           UPDATE access_requests r SET status = 'expired', decided_at = $1 FROM due \
           WHERE r.org_id = due.org_id AND r.id = due.id \
           RETURNING r.org_id, r.id, r.principal_id, r.requester_id, r.role_id, r.permission_set_id, r.account_id, r.created_at), \
         named AS ( \
           SELECT e.*, p.display_name AS principal, coalesce(ro.name, ps.name) AS bundle FROM ended e \
           JOIN principals p ON p.org_id = e.org_id AND p.id = e.principal_id \
           LEFT JOIN roles ro ON ro.org_id = e.org_id AND ro.id = e.role_id \
           LEFT JOIN permission_sets ps ON ps.org_id = e.org_id AND ps.id = e.permission_set_id), \
         audited AS ( \
           INSERT INTO audit_events (org_id, actor_label, action, target_type, target_id, target_label, before, after, reason) \
           SELECT org_id, $4, {expired}, id::text, principal || ' \u{2192} ' || bundle, \
                  jsonb_build_object('status', 'pending'), jsonb_build_object('status', 'expired'), \
                  'Unanswered for ' || extract(day FROM $2) || ' days' \
           FROM named), \
         announced AS ( \
           SELECT enqueue_webhook(org_id, 'request.expired', jsonb_build_object( \
                    'request_id', id, 'principal_id', principal_id, 'principal', principal, 'bundle', bundle, \
                    'account_id', account_id, 'requester_id', requester_id, 'created_at', created_at)) \
           FROM named) \
         SELECT count(*) FROM announced",
        expired = action_columns(AuditAction::RequestExpired)
    )
    )
    .bind(now)
    .bind(max_age)
    .bind(limit)
    .bind(JOB_ACTOR)
    .fetch_one(pool)
    .await
}

/// Announces, once each, up to `limit` grants ending within `notice` of `now`.
pub async fn announce_ending_grants(
    pool: &PgPool,
    now: DateTime<Utc>,
    notice: Duration,
    limit: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "WITH due AS ( \
           SELECT org_id, id FROM grants \
           WHERE valid_until > $1 AND valid_until <= $1 + $2 AND revoked_at IS NULL \
             AND ending_notified_at IS NULL \
           ORDER BY valid_until LIMIT $3 FOR UPDATE SKIP LOCKED), \
         marked AS ( \
           UPDATE grants g SET ending_notified_at = $1 FROM due WHERE g.org_id = due.org_id AND g.id = due.id \
           RETURNING g.org_id, g.id, g.principal_id, g.role_id, g.permission_set_id, g.account_id, g.valid_until), \
         announced AS ( \
           SELECT enqueue_webhook(m.org_id, 'grant.ending', jsonb_build_object( \
                    'grant_id', m.id, 'principal_id', m.principal_id, 'principal', p.display_name, \
                    'bundle', coalesce(r.name, ps.name), 'account_id', m.account_id, 'valid_until', m.valid_until)) \
           FROM marked m \
           JOIN principals p ON p.org_id = m.org_id AND p.id = m.principal_id \
           LEFT JOIN roles r ON r.org_id = m.org_id AND r.id = m.role_id \
           LEFT JOIN permission_sets ps ON ps.org_id = m.org_id AND ps.id = m.permission_set_id) \
         SELECT count(*) FROM announced",
    )
    .bind(now)
    .bind(notice)
    .bind(limit)
    .fetch_one(pool)
    .await
}

/// Forgets failed sign-ins a day old whose lock has passed; answers how many.
pub async fn forget_old_sign_in_failures(pool: &PgPool, now: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "DELETE FROM sign_in_throttle WHERE last_failure_at < $1 - interval '1 day' \
           AND (locked_until IS NULL OR locked_until < $1)",
    )
    .bind(now)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Tx;
use rules::activity::ActivityEvent;

/// What the recording statement made of one event, by its position in the batch.
#[derive(Debug, sqlx::FromRow)]
pub struct Recorded {
    pub ord: i64,
    pub principal_known: bool,
    pub permission_known: bool,
    pub account_known: bool,
    pub inserted: bool,
}

/// Records the events (distinct ids) in one statement: each is looked up (principal by
/// email or external id, permission of the token's application, account by name or id);
/// the known ones not seen before go into the event log, and move the principals' last
/// activity and their permissions' last use forward. Answers one row per event.
///
/// Every batch takes its rows in one order, permission use and then principals, each
/// by key, so that two batches naming the same people wait for each other instead of
/// holding each other's rows (a deadlock). A principal's last activity only moves
/// forward: a batch that waited compares with what the other wrote.
pub async fn record(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    application_id: Uuid,
    events: &[&ActivityEvent],
) -> sqlx::Result<Vec<Recorded>> {
    let column = |f: fn(&ActivityEvent) -> &str| events.iter().map(|e| f(e)).collect::<Vec<_>>();
    let accounts = events
        .iter()
        .map(|e| e.account.as_deref())
        .collect::<Vec<_>>();
    let account_ids = events
        .iter()
        .map(|e| e.account.as_deref().and_then(|a| Uuid::parse_str(a).ok()))
        .collect::<Vec<_>>();
    let at = events.iter().map(|e| e.at).collect::<Vec<DateTime<Utc>>>();
    sqlx::query_as::<_, Recorded>(
        "WITH e AS ( \
           SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::uuid[], \
                                $9::timestamptz[]) \
             WITH ORDINALITY AS e(event_id, principal, resource, action, account, account_uuid, at, ord)), \
         r AS ( \
           SELECT e.ord, e.event_id, e.at, e.account IS NULL AS no_account, \
                  coalesce(pe.id, px.id) AS principal_id, perm.id AS permission_id, \
                  coalesce(ai.id, an.id) AS account_id \
           FROM e \
           LEFT JOIN principals pe ON pe.org_id = $1 AND pe.email = lower(e.principal) \
                                  AND pe.status <> 'offboarded' \
           LEFT JOIN principals px ON px.org_id = $1 AND px.external_id = e.principal \
                                  AND px.status <> 'offboarded' \
           LEFT JOIN permissions perm ON perm.org_id = $1 AND perm.application_id = $2 \
                                     AND perm.resource = e.resource AND perm.action = e.action \
           LEFT JOIN accounts ai ON ai.org_id = $1 AND ai.id = e.account_uuid \
           LEFT JOIN accounts an ON an.org_id = $1 AND an.name = e.account), \
         known AS ( \
           SELECT * FROM r WHERE principal_id IS NOT NULL AND permission_id IS NOT NULL \
                             AND (no_account OR account_id IS NOT NULL)), \
         inserted AS ( \
           INSERT INTO activity_events (org_id, application_id, event_id, principal_id, permission_id, account_id, occurred_at) \
           SELECT $1, $2, event_id, principal_id, permission_id, account_id, at FROM known \
           ON CONFLICT DO NOTHING \
           RETURNING event_id, principal_id, permission_id, account_id, occurred_at), \
         used AS ( \
           INSERT INTO permission_usage AS u (org_id, principal_id, permission_id, account_id, last_used_at) \
           SELECT $1, principal_id, permission_id, account_id, max(occurred_at) FROM inserted \
           GROUP BY principal_id, permission_id, account_id ORDER BY principal_id, permission_id, account_id \
           ON CONFLICT (org_id, principal_id, permission_id, account_id) \
           DO UPDATE SET last_used_at = excluded.last_used_at WHERE u.last_used_at < excluded.last_used_at), \
         seen AS ( \
           UPDATE principals p SET last_activity_at = m.at \
           FROM (SELECT principal_id, max(occurred_at) AS at FROM inserted GROUP BY principal_id \
                 ORDER BY principal_id) m \
           WHERE p.org_id = $1 AND p.id = m.principal_id \
             AND (p.last_activity_at IS NULL OR p.last_activity_at < m.at)) \
         SELECT r.ord, r.principal_id IS NOT NULL AS principal_known, \
                r.permission_id IS NOT NULL AS permission_known, \
                (r.no_account OR r.account_id IS NOT NULL) AS account_known, \
                i.event_id IS NOT NULL AS inserted \
         FROM r LEFT JOIN inserted i ON i.event_id = r.event_id ORDER BY r.ord",
    )
    .bind(org_id)
    .bind(application_id)
    .bind(column(|e| &e.id))
    .bind(column(|e| &e.principal))
    .bind(column(|e| &e.resource))
    .bind(column(|e| &e.action))
    .bind(accounts)
    .bind(account_ids)
    .bind(at)
    .fetch_all(&mut **tx)
    .await
}

/// What a batch of decisions tells of activity: every principal decided about, and the
/// permissions allowed to them (with the account).
#[derive(Debug, Default)]
pub struct Decided {
    principals: Vec<Uuid>,
    used: (Vec<Uuid>, Vec<Uuid>, Vec<Option<Uuid>>),
}

impl Decided {
    pub fn add(&mut self, principal: Uuid, allowed: Option<(Uuid, Option<Uuid>)>) {
        self.principals.push(principal);
        if let Some((permission, account)) = allowed {
            self.used.0.push(principal);
            self.used.1.push(permission);
            self.used.2.push(account);
        }
    }
}

/// Decisions count as activity: the principals decided about are active at `at`, and
/// the permissions allowed to them used. Written at most once an hour for each
/// principal and each permission use, so that most batches write nothing; a principal
/// another transaction is updating is left to it rather than waited for.
pub async fn decided(
    pool: &sqlx::PgPool,
    org_id: Uuid,
    decided: &Decided,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    if decided.principals.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "WITH used AS ( \
           SELECT DISTINCT * FROM unnest($2::uuid[], $3::uuid[], $4::uuid[]) AS u(principal_id, permission_id, account_id)), \
         stale AS ( \
           SELECT u.* FROM used u WHERE NOT EXISTS ( \
             SELECT 1 FROM permission_usage pu WHERE pu.org_id = $1 AND pu.principal_id = u.principal_id \
               AND pu.permission_id = u.permission_id AND pu.account_id IS NOT DISTINCT FROM u.account_id \
               AND pu.last_used_at >= $6 - interval '1 hour')), \
         usage AS ( \
           INSERT INTO permission_usage AS pu (org_id, principal_id, permission_id, account_id, last_used_at) \
           SELECT $1, principal_id, permission_id, account_id, $6 FROM stale \
           ORDER BY principal_id, permission_id, account_id \
           ON CONFLICT (org_id, principal_id, permission_id, account_id) \
           DO UPDATE SET last_used_at = excluded.last_used_at WHERE pu.last_used_at < excluded.last_used_at), \
         quiet AS ( \
           SELECT p.id FROM principals p \
           WHERE p.org_id = $1 AND p.id = ANY($5) \
             AND (p.last_activity_at IS NULL OR p.last_activity_at < $6 - interval '1 hour') \
           ORDER BY p.id FOR NO KEY UPDATE SKIP LOCKED) \
         UPDATE principals p SET last_activity_at = $6 FROM quiet WHERE p.org_id = $1 AND p.id = quiet.id",
    )
    .bind(org_id)
    .bind(&decided.used.0)
    .bind(&decided.used.1)
    .bind(&decided.used.2)
    .bind(&decided.principals)
    .bind(at)
    .execute(pool)
    .await?;
    Ok(())
}

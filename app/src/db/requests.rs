use chrono::{DateTime, Utc};
use sqlx::postgres::PgArguments;
use sqlx::query::QueryAs;
use sqlx::{PgPool, Postgres};
use uuid::Uuid;

use super::Tx;
use crate::model::requests::{ExpiringGrant, QueueFilter, RequestRow};
use rules::principals::PrincipalStatus;
use rules::requests::{ApproverScope, RequestStatus};

const SELECT_REQUESTS: &str = "SELECT r.id, rq.display_name AS requester, r.principal_id, pr.display_name AS principal, \
       pr.kind::text AS principal_kind, pr.status::text AS principal_status, pr.end_date AS principal_end_date, \
       pr.last_activity_at AS principal_last_activity, coalesce(ro.name, ps.name) AS bundle, \
       CASE WHEN r.role_id IS NOT NULL THEN 'role' ELSE 'permission set' END AS bundle_kind, \
       ap.name AS application, ac.name AS account, \
       CASE WHEN r.duration_days = 1 THEN '1 day' WHEN r.duration_days IS NOT NULL THEN r.duration_days || ' days' \
            WHEN r.valid_until IS NOT NULL THEN 'until ' || to_char(r.valid_until AT TIME ZONE 'UTC', 'YYYY-MM-DD') \
            ELSE 'no end' END AS duration, \
       r.justification, r.conditions, r.status::text AS status, r.approvals_needed, r.created_at, r.decided_at, r.decision_comment, \
       r.risk::text AS risk, r.high_impact, \
       ARRAY(SELECT (c->>'rule') || ' (' || replace(c->>'mode', '_', ' ') || ')' \
             FROM jsonb_array_elements(r.sod_conflicts) c) AS sod_conflicts, \
       r.adds, \
       ARRAY(SELECT coalesce(gr.name, gs.name) || ' \u{b7} ' || coalesce(ga.name, 'all accounts') \
             FROM grants g \
             LEFT JOIN roles gr ON gr.org_id = g.org_id AND gr.id = g.role_id \
             LEFT JOIN permission_sets gs ON gs.org_id = g.org_id AND gs.id = g.permission_set_id \
             LEFT JOIN accounts ga ON ga.org_id = g.org_id AND ga.id = g.account_id \
             WHERE g.org_id = r.org_id AND g.principal_id = r.principal_id AND g.revoked_at IS NULL \
               AND g.valid_from <= now() AND (g.valid_until IS NULL OR g.valid_until > now()) \
             ORDER BY 1 LIMIT 50) AS current_access, \
       ARRAY(SELECT dp.display_name || ': ' || CASE WHEN d.approved THEN 'approved' ELSE 'denied' END \
                    || CASE WHEN d.comment <> '' THEN ' \u{2014} ' || d.comment ELSE '' END \
             FROM request_decisions d JOIN principals dp ON dp.org_id = d.org_id AND dp.id = d.approver_id \
             WHERE d.org_id = r.org_id AND d.request_id = r.id ORDER BY d.step) AS decisions \
     FROM access_requests r \
     JOIN principals rq ON rq.org_id = r.org_id AND rq.id = r.requester_id \
     JOIN principals pr ON pr.org_id = r.org_id AND pr.id = r.principal_id \
     LEFT JOIN roles ro ON ro.org_id = r.org_id AND ro.id = r.role_id \
     LEFT JOIN permission_sets ps ON ps.org_id = r.org_id AND ps.id = r.permission_set_id \
     JOIN applications ap ON ap.org_id = r.org_id AND ap.id = coalesce(ro.application_id, ps.application_id) \
     LEFT JOIN accounts ac ON ac.org_id = r.org_id AND ac.id = r.account_id";

/// Requests made by or for a principal, newest first.
pub async fn mine(pool: &PgPool, org_id: Uuid, principal: Uuid) -> sqlx::Result<Vec<RequestRow>> {
    sqlx::query_as::<_, RequestRow>(&format!(
        "{SELECT_REQUESTS} WHERE r.org_id = $1 AND (r.requester_id = $2 OR r.principal_id = $2) \
         ORDER BY r.created_at DESC LIMIT 200"
    ))
    .bind(org_id)
    .bind(principal)
    .fetch_all(pool)
    .await
}

/// Rows of `alias` (a request or a grant) within an approver's scope: $3 approves
/// everywhere, $4 accounts approved on, $5 accounts managed, $6 bundles owned.
pub fn in_scope(alias: &str) -> String {
    format!(
        "($3 OR {alias}.account_id = ANY($4)) \
         AND ({alias}.account_id = ANY($5) OR coalesce({alias}.role_id, {alias}.permission_set_id) = ANY($6))"
    )
}

/// Binds $1 to $6 of `in_scope` and `waiting_for`: the organisation, the approver
/// and their scope.
trait BindScope<'q> {
    fn bind_scope(self, org_id: Uuid, approver: Uuid, scope: &'q ApproverScope) -> Self;
}

impl<'q, O> BindScope<'q> for QueryAs<'q, Postgres, O, PgArguments> {
    fn bind_scope(self, org_id: Uuid, approver: Uuid, scope: &'q ApproverScope) -> Self {
        self.bind(org_id)
            .bind(approver)
            .bind(scope.approves_everywhere)
            .bind(&scope.approves_on)
            .bind(&scope.manages)
            .bind(&scope.owns)
    }
}

/// Pending requests an approver ($2) may decide: within their scope, not their own nor
/// for themselves, and not a step they already approved.
fn waiting_for() -> String {
    format!(
        "r.org_id = $1 AND r.status = 'pending' \
         AND r.requester_id <> $2 AND r.principal_id <> $2 \
         AND NOT EXISTS (SELECT 1 FROM request_decisions d WHERE d.org_id = r.org_id AND d.request_id = r.id AND d.approver_id = $2) \
         AND {}",
        in_scope("r")
    )
}

/// The queue, oldest first, filtered; at most `limit` rows.
pub async fn queue(
    pool: &PgPool,
    org_id: Uuid,
    approver: Uuid,
    scope: &ApproverScope,
    filter: &QueueFilter,
    limit: i64,
) -> sqlx::Result<Vec<RequestRow>> {
    let requester = filter
        .requester
        .as_deref()
        .map(|t| format!("%{}%", super::like_escape(t)));
    // The page is chosen on the requests alone, walking the pending index oldest first,
    // by a statement planned for each call: kept for any filter and limit, its plan
    // looked costlier than one made for the call's own, and PostgreSQL planned the
    // whole statement, names and details included, again on every call (10 ms). The
    // names and details are then read for the page's rows only, by a plan it keeps.
    let page: Vec<(Uuid,)> = sqlx::query_as(&format!(
        "SELECT r.id FROM access_requests r WHERE {} \
           AND ($7::uuid IS NULL OR coalesce(r.role_id, r.permission_set_id) IN ( \
                 SELECT id FROM roles WHERE org_id = $1 AND application_id = $7 \
                 UNION ALL SELECT id FROM permission_sets WHERE org_id = $1 AND application_id = $7)) \
           AND ($8::uuid IS NULL OR r.account_id = $8) \
           AND ($9::text IS NULL OR r.risk = $9::risk_level) \
           AND ($10::text IS NULL OR r.requester_id IN ( \
                 SELECT id FROM principals WHERE org_id = $1 AND display_name ILIKE $10)) \
         ORDER BY r.created_at, r.id LIMIT $11",
        waiting_for()
    ))
    .bind_scope(org_id, approver, scope)
    .bind(filter.application)
    .bind(filter.account)
    .bind(filter.risk.as_deref())
    .bind(requester)
    .bind(limit)
    .persistent(false)
    .fetch_all(pool)
    .await?;
    let page: Vec<Uuid> = page.into_iter().map(|(id,)| id).collect();
    by_ids(pool, org_id, &page).await
}

/// Requests by id (any status), in the order given.
pub async fn by_ids(pool: &PgPool, org_id: Uuid, ids: &[Uuid]) -> sqlx::Result<Vec<RequestRow>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    sqlx::query_as::<_, RequestRow>(&format!(
        "{SELECT_REQUESTS} \
         JOIN unnest($2::uuid[]) WITH ORDINALITY AS listed(id, ord) ON listed.id = r.id \
         WHERE r.org_id = $1 ORDER BY listed.ord"
    ))
    .bind(org_id)
    .bind(ids)
    .fetch_all(pool)
    .await
}

/// How many requests wait for this approver.
pub async fn waiting_count(
    pool: &PgPool,
    org_id: Uuid,
    approver: Uuid,
    scope: &ApproverScope,
) -> sqlx::Result<i64> {
    let (count,): (i64,) = sqlx::query_as(&format!(
        "SELECT count(*) FROM access_requests r WHERE {}",
        waiting_for()
    ))
    .bind_scope(org_id, approver, scope)
    .fetch_one(pool)
    .await?;
    Ok(count)
}

/// The accounts a principal manages and the bundles they own: (manages, owns). An
/// approver for every account (`approves_everywhere`) answers for the console's own
/// roles, which nobody else owns.
pub async fn answers_for(
    pool: &PgPool,
    org_id: Uuid,
    principal: Uuid,
    approves_everywhere: bool,
) -> sqlx::Result<(Vec<Uuid>, Vec<Uuid>)> {
    let manages = sqlx::query_scalar(
        "SELECT account_id FROM account_managers WHERE org_id = $1 AND principal_id = $2",
    )
    .bind(org_id)
    .bind(principal)
    .fetch_all(pool)
    .await?;
    let owns = sqlx::query_scalar(
        "SELECT id FROM roles WHERE org_id = $1 AND owner_id = $2 \
         UNION ALL SELECT id FROM permission_sets WHERE org_id = $1 AND owner_id = $2 \
         UNION ALL SELECT r.id FROM roles r JOIN applications a ON a.org_id = r.org_id AND a.id = r.application_id \
           WHERE r.org_id = $1 AND $3 AND a.is_console",
    )
    .bind(org_id)
    .bind(principal)
    .bind(approves_everywhere)
    .fetch_all(pool)
    .await?;
    Ok((manages, owns))
}

/// Principals someone may request for: themselves, and those they manage or own.
pub async fn requestable_principals(
    pool: &PgPool,
    org_id: Uuid,
    me: Uuid,
) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as(
        "SELECT id, display_name FROM principals WHERE org_id = $1 AND status <> 'offboarded' \
           AND (id = $2 OR manager_id = $2 OR owner_id = $2) \
         ORDER BY id <> $2, display_name",
    )
    .bind(org_id)
    .bind(me)
    .fetch_all(pool)
    .await
}

/// A bundle's permissions: (id, key, high impact, risk level).
pub async fn bundle_permissions(
    db: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
    bundle: Uuid,
) -> sqlx::Result<Vec<BundlePermission>> {
    sqlx::query_as::<_, BundlePermission>(
        "SELECT p.id, p.resource || '.' || p.action AS key, p.high_impact, p.risk::text AS risk, \
                EXISTS (SELECT 1 FROM applications a WHERE a.org_id = p.org_id AND a.id = p.application_id \
                          AND a.is_console) AS console \
         FROM permissions p \
         WHERE p.org_id = $1 AND p.id IN ( \
           SELECT permission_id FROM role_permissions WHERE org_id = $1 AND role_id = $2 \
           UNION SELECT permission_id FROM permission_set_permissions WHERE org_id = $1 AND permission_set_id = $2) \
         ORDER BY 2",
    )
    .bind(org_id)
    .bind(bundle)
    .fetch_all(db)
    .await
}

/// A permission of a role or permission set, as a request weighs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BundlePermission {
    pub id: Uuid,
    pub key: String,
    pub high_impact: bool,
    pub risk: String,
    /// A permission of the console itself.
    pub console: bool,
}

/// A request's facts needed to decide it, locked until the transaction ends.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Locked {
    pub requester_id: Uuid,
    pub principal_id: Uuid,
    pub principal: String,
    /// The owner of a non-human principal.
    pub principal_owner: Option<Uuid>,
    #[sqlx(try_from = "String")]
    pub principal_status: PrincipalStatus,
    pub role_id: Option<Uuid>,
    pub permission_set_id: Option<Uuid>,
    pub bundle: String,
    pub account_id: Option<Uuid>,
    #[sqlx(try_from = "String")]
    pub status: RequestStatus,
    pub approvals_needed: i16,
    pub duration_days: Option<i32>,
    pub valid_until: Option<DateTime<Utc>>,
    pub justification: String,
    pub renews_grant_id: Option<Uuid>,
    pub conditions: serde_json::Value,
    pub high_impact: bool,
    /// A role or permission set of the console itself.
    pub console: bool,
}

pub async fn lock(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> sqlx::Result<Option<Locked>> {
    sqlx::query_as::<_, Locked>(
        "SELECT r.requester_id, r.principal_id, p.display_name AS principal, p.owner_id AS principal_owner, \
                p.status::text AS principal_status, \
                r.role_id, r.permission_set_id, coalesce(ro.name, ps.name) AS bundle, r.account_id, \
                r.status::text AS status, r.approvals_needed, r.duration_days, r.valid_until, r.justification, \
                r.renews_grant_id, r.conditions, r.high_impact, \
                EXISTS (SELECT 1 FROM applications a WHERE a.org_id = r.org_id \
                          AND a.id = coalesce(ro.application_id, ps.application_id) AND a.is_console) AS console \
         FROM access_requests r \
         JOIN principals p ON p.org_id = r.org_id AND p.id = r.principal_id \
         LEFT JOIN roles ro ON ro.org_id = r.org_id AND ro.id = r.role_id \
         LEFT JOIN permission_sets ps ON ps.org_id = r.org_id AND ps.id = r.permission_set_id \
         WHERE r.org_id = $1 AND r.id = $2 FOR UPDATE OF r",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// Approvers of the steps approved so far, in order.
pub async fn approvers(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT approver_id FROM request_decisions WHERE org_id = $1 AND request_id = $2 AND approved ORDER BY step",
    )
    .bind(org_id)
    .bind(id)
    .fetch_all(&mut **tx)
    .await
}

/// A new pending request's columns.
pub struct NewRequest<'a> {
    pub id: Uuid,
    pub requester: Uuid,
    pub principal: Uuid,
    pub role_id: Option<Uuid>,
    pub permission_set_id: Option<Uuid>,
    pub account: Option<Uuid>,
    pub justification: &'a str,
    pub duration_days: Option<i32>,
    pub valid_until: Option<DateTime<Utc>>,
    pub approvals_needed: i16,
    pub risk: &'a str,
    pub high_impact: bool,
    pub sod_conflicts: &'a serde_json::Value,
    pub renews_grant: Option<Uuid>,
    /// Keys of the permissions it adds.
    pub adds: Vec<String>,
    /// The conditions asked for, as stored on a grant.
    pub conditions: &'a serde_json::Value,
}

/// The requester's kind and how many of its requests wait for a decision, with the
/// requester locked until the transaction ends (so that two requests at once count each
/// other).
pub async fn requester_waiting(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    requester: Uuid,
) -> sqlx::Result<Option<(String, i64)>> {
    sqlx::query_as(
        "SELECT p.kind::text, \
                (SELECT count(*) FROM access_requests r \
                  WHERE r.org_id = p.org_id AND r.requester_id = p.id AND r.status = 'pending') \
         FROM principals p WHERE p.org_id = $1 AND p.id = $2 FOR NO KEY UPDATE",
    )
    .bind(org_id)
    .bind(requester)
    .fetch_optional(&mut **tx)
    .await
}

pub async fn insert(tx: &mut Tx<'_>, org_id: Uuid, new: &NewRequest<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO access_requests (org_id, id, requester_id, principal_id, role_id, permission_set_id, account_id, \
                                      justification, duration_days, valid_until, approvals_needed, risk, \
                                      high_impact, sod_conflicts, renews_grant_id, adds, conditions) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::risk_level, $13, $14, $15, $16, $17)",
    )
    .bind(org_id)
    .bind(new.id)
    .bind(new.requester)
    .bind(new.principal)
    .bind(new.role_id)
    .bind(new.permission_set_id)
    .bind(new.account)
    .bind(new.justification)
    .bind(new.duration_days)
    .bind(new.valid_until)
    .bind(new.approvals_needed)
    .bind(new.risk)
    .bind(new.high_impact)
    .bind(new.sod_conflicts)
    .bind(new.renews_grant)
    .bind(&new.adds)
    .bind(new.conditions)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Grants in force ending within `days`, within an approver's scope, soonest first.
pub async fn expiring(
    pool: &PgPool,
    org_id: Uuid,
    approver: Uuid,
    scope: &ApproverScope,
    days: i32,
) -> sqlx::Result<Vec<ExpiringGrant>> {
    sqlx::query_as::<_, ExpiringGrant>(&format!(
        "SELECT g.id, g.principal_id, p.display_name AS principal, p.kind::text AS principal_kind, \
                coalesce(ro.name, ps.name) AS bundle, ap.name AS application, ac.name AS account, \
                g.valid_until, g.reason, g.conditions, \
                EXISTS (SELECT 1 FROM access_requests r WHERE r.org_id = g.org_id AND r.renews_grant_id = g.id \
                          AND r.status = 'pending') AS renewal_pending \
         FROM grants g \
         JOIN principals p ON p.org_id = g.org_id AND p.id = g.principal_id \
         LEFT JOIN roles ro ON ro.org_id = g.org_id AND ro.id = g.role_id \
         LEFT JOIN permission_sets ps ON ps.org_id = g.org_id AND ps.id = g.permission_set_id \
         JOIN applications ap ON ap.org_id = g.org_id AND ap.id = coalesce(ro.application_id, ps.application_id) \
         LEFT JOIN accounts ac ON ac.org_id = g.org_id AND ac.id = g.account_id \
         WHERE g.org_id = $1 AND g.principal_id <> $2 AND g.revoked_at IS NULL \
           AND g.valid_until > now() AND g.valid_until <= now() + make_interval(days => $7) AND NOT ap.is_console \
           AND {} \
         ORDER BY g.valid_until, g.id LIMIT 500",
        in_scope("g")
    ))
    .bind_scope(org_id, approver, scope)
    .bind(days)
    .fetch_all(pool)
    .await
}

/// Records one approver's answer to step `step` of a request.
pub async fn record_decision(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    request_id: Uuid,
    (step, approver): (i16, Uuid),
    approved: bool,
    comment: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO request_decisions (org_id, request_id, step, approver_id, approved, comment) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(org_id)
    .bind(request_id)
    .bind(step)
    .bind(approver)
    .bind(approved)
    .bind(comment)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Closes a request as `status` (approved, denied, cancelled) now, with the deciding
/// comment (empty: none) and the grant an approval made.
pub async fn close(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    request_id: Uuid,
    status: RequestStatus,
    comment: &str,
    grant_id: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE access_requests SET status = $3::request_status, decided_at = now(), \
                decision_comment = nullif($4, ''), grant_id = $5 \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(request_id)
    .bind(status.as_str())
    .bind(comment)
    .bind(grant_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

//! The hygiene reports' statements. Each answers one page (`limit` rows from `offset`;
//! `None`: every row) with the number of rows matching the filters on each row.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// A grant in force at `$2`.
const IN_FORCE: &str =
    "g.revoked_at IS NULL AND g.valid_from <= $2 AND (g.valid_until IS NULL OR g.valid_until > $2)";

/// What every report is narrowed by; each statement reads the fields its report offers.
pub struct Filter {
    pub now: DateTime<Utc>,
    pub days: i32,
    pub application: Option<Uuid>,
    /// Kind of principal, or empty.
    pub kind: String,
    pub limit: Option<i64>,
    pub offset: i64,
    /// Only grants of every account or of one of these (`None`: every grant).
    pub within: Option<Vec<Uuid>>,
}

impl Filter {
    fn window_start(&self) -> DateTime<Utc> {
        self.now - Duration::days(i64::from(self.days))
    }

    fn window_end(&self) -> DateTime<Utc> {
        self.now + Duration::days(i64::from(self.days))
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct ExpiringRow {
    pub valid_until: DateTime<Utc>,
    pub principal_id: Uuid,
    pub principal: String,
    pub kind: String,
    pub bundle: String,
    pub application: String,
    pub account: Option<String>,
    pub granted_by: Option<String>,
    pub total: i64,
}

/// Grants in force ending within the window, soonest first.
pub async fn expiring(pool: &PgPool, org_id: Uuid, f: &Filter) -> sqlx::Result<Vec<ExpiringRow>> {
    sqlx::query_as(&format!(
        "SELECT g.valid_until, p.id AS principal_id, p.display_name AS principal, p.kind::text AS kind, \
                coalesce(r.name, ps.name) AS bundle, a.name AS application, ac.name AS account, \
                gb.display_name AS granted_by, count(*) OVER () AS total \
         FROM grants g \
         JOIN principals p ON p.org_id = g.org_id AND p.id = g.principal_id \
         LEFT JOIN roles r ON r.org_id = g.org_id AND r.id = g.role_id \
         LEFT JOIN permission_sets ps ON ps.org_id = g.org_id AND ps.id = g.permission_set_id \
         JOIN applications a ON a.org_id = g.org_id AND a.id = coalesce(r.application_id, ps.application_id) \
         LEFT JOIN accounts ac ON ac.org_id = g.org_id AND ac.id = g.account_id \
         LEFT JOIN principals gb ON gb.org_id = g.org_id AND gb.id = g.granted_by \
         WHERE g.org_id = $1 AND {IN_FORCE} AND g.valid_until <= $3 \
           AND ($4::uuid IS NULL OR a.id = $4) AND ($5 = '' OR p.kind::text = $5) \
           AND ($8::uuid[] IS NULL OR g.account_id IS NULL OR g.account_id = ANY($8)) \
         ORDER BY g.valid_until, g.id LIMIT $6 OFFSET $7"
    ))
    .bind(org_id)
    .bind(f.now)
    .bind(f.window_end())
    .bind(f.application)
    .bind(&f.kind)
    .bind(f.limit)
    .bind(f.offset)
    .bind(&f.within)
    .fetch_all(pool)
    .await
}

#[derive(Debug, sqlx::FromRow)]
pub struct RoleLoadRow {
    pub role_id: Uuid,
    pub role: String,
    pub application_id: Uuid,
    pub application: String,
    pub permissions: i64,
    pub high_impact: i64,
    /// Principals holding the role through a grant in force.
    pub members: i64,
}

/// Every role (of one application, or all), with its permission, high-impact and member
/// counts; the report compares them with their application's medians.
pub async fn role_loads(pool: &PgPool, org_id: Uuid, f: &Filter) -> sqlx::Result<Vec<RoleLoadRow>> {
    sqlx::query_as(&format!(
        "SELECT r.id AS role_id, r.name AS role, a.id AS application_id, a.name AS application, \
                coalesce(rp.permissions, 0) AS permissions, coalesce(rp.high_impact, 0) AS high_impact, \
                coalesce(m.members, 0) AS members \
         FROM roles r \
         JOIN applications a ON a.org_id = r.org_id AND a.id = r.application_id \
         LEFT JOIN (SELECT rp.role_id, count(*) AS permissions, count(*) FILTER (WHERE pm.high_impact) AS high_impact \
                    FROM role_permissions rp \
                    JOIN permissions pm ON pm.org_id = rp.org_id AND pm.id = rp.permission_id \
                    WHERE rp.org_id = $1 GROUP BY rp.role_id) rp ON rp.role_id = r.id \
         LEFT JOIN (SELECT g.role_id, count(DISTINCT g.principal_id) AS members FROM grants g \
                    WHERE g.org_id = $1 AND g.role_id IS NOT NULL AND {IN_FORCE} \
                      AND ($4::uuid[] IS NULL OR g.account_id IS NULL OR g.account_id = ANY($4)) \
                    GROUP BY g.role_id) m ON m.role_id = r.id \
         WHERE r.org_id = $1 AND ($3::uuid IS NULL OR a.id = $3) \
         ORDER BY a.name, r.name, r.id"
    ))
    .bind(org_id)
    .bind(f.now)
    .bind(f.application)
    .bind(&f.within)
    .fetch_all(pool)
    .await
}

#[derive(Debug, sqlx::FromRow)]
pub struct OverreachRow {
    pub principal_id: Uuid,
    pub principal: String,
    pub kind: String,
    pub owner: Option<String>,
    pub application: String,
    pub permission: String,
    pub high_impact: bool,
    /// Roles and permission sets that give the permission.
    pub via: Vec<String>,
    pub granted_since: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub total: i64,
}

/// Permissions that active non-human principals have held since before the window and
/// not used within it (on any account), by principal.
pub async fn overreach(pool: &PgPool, org_id: Uuid, f: &Filter) -> sqlx::Result<Vec<OverreachRow>> {
    sqlx::query_as(&format!(
        "WITH granted AS ( \
           SELECT g.principal_id, coalesce(rp.permission_id, psp.permission_id) AS permission_id, \
                  array_agg(DISTINCT coalesce(r.name, ps.name)) AS via, min(g.valid_from) AS granted_since \
           FROM grants g \
           JOIN principals p ON p.org_id = g.org_id AND p.id = g.principal_id AND p.kind <> 'human' \
                            AND p.status = 'active' AND ($5 = '' OR p.kind::text = $5) \
           LEFT JOIN roles r ON r.org_id = g.org_id AND r.id = g.role_id \
           LEFT JOIN role_permissions rp ON rp.org_id = g.org_id AND rp.role_id = g.role_id \
           LEFT JOIN permission_sets ps ON ps.org_id = g.org_id AND ps.id = g.permission_set_id \
           LEFT JOIN permission_set_permissions psp ON psp.org_id = g.org_id \
                                                   AND psp.permission_set_id = g.permission_set_id \
           WHERE g.org_id = $1 AND {IN_FORCE} AND coalesce(rp.permission_id, psp.permission_id) IS NOT NULL \
             AND ($8::uuid[] IS NULL OR g.account_id IS NULL OR g.account_id = ANY($8)) \
           GROUP BY 1, 2 HAVING min(g.valid_from) < $3) \
         SELECT p.id AS principal_id, p.display_name AS principal, p.kind::text AS kind, o.display_name AS owner, \
                a.name AS application, pm.resource || '.' || pm.action AS permission, pm.high_impact, \
                gr.via, gr.granted_since, u.last_used_at, count(*) OVER () AS total \
         FROM granted gr \
         JOIN permissions pm ON pm.org_id = $1 AND pm.id = gr.permission_id \
         JOIN applications a ON a.org_id = $1 AND a.id = pm.application_id \
         JOIN principals p ON p.org_id = $1 AND p.id = gr.principal_id \
         LEFT JOIN principals o ON o.org_id = $1 AND o.id = p.owner_id \
         LEFT JOIN LATERAL (SELECT max(u.last_used_at) AS last_used_at FROM permission_usage u \
                            WHERE u.org_id = $1 AND u.principal_id = gr.principal_id \
                              AND u.permission_id = gr.permission_id) u ON true \
         WHERE ($4::uuid IS NULL OR a.id = $4) AND (u.last_used_at IS NULL OR u.last_used_at < $3) \
         ORDER BY p.display_name, p.id, a.name, pm.resource, pm.action LIMIT $6 OFFSET $7"
    ))
    .bind(org_id)
    .bind(f.now)
    .bind(f.window_start())
    .bind(f.application)
    .bind(&f.kind)
    .bind(f.limit)
    .bind(f.offset)
    .bind(&f.within)
    .fetch_all(pool)
    .await
}

#[derive(Debug, sqlx::FromRow)]
pub struct ClientBleedRow {
    pub principal_id: Uuid,
    pub principal: String,
    pub kind: String,
    pub responsible: Option<String>,
    /// Client accounts the principal holds grants in force on, and how many grants.
    pub accounts: i64,
    pub grants: i64,
    /// Those of the accounts the principal is not assigned to, by name.
    pub unassigned: Vec<String>,
    pub total: i64,
}

/// Principals (not offboarded) holding grants on accounts they are not assigned to, or
/// on more than `account_limit` accounts.
pub async fn client_bleed(
    pool: &PgPool,
    org_id: Uuid,
    f: &Filter,
    account_limit: i32,
) -> sqlx::Result<Vec<ClientBleedRow>> {
    sqlx::query_as(&format!(
        "WITH held AS ( \
           SELECT g.principal_id, g.account_id, count(*) AS grants FROM grants g \
           WHERE g.org_id = $1 AND g.account_id IS NOT NULL AND {IN_FORCE} \
             AND ($7::uuid[] IS NULL OR g.account_id = ANY($7)) \
           GROUP BY g.principal_id, g.account_id), \
         per AS ( \
           SELECT h.principal_id, count(*) AS accounts, sum(h.grants)::bigint AS grants, \
                  coalesce(array_agg(ac.name ORDER BY ac.name) FILTER (WHERE pa.account_id IS NULL), '{{}}') AS unassigned \
           FROM held h \
           JOIN accounts ac ON ac.org_id = $1 AND ac.id = h.account_id \
           LEFT JOIN principal_accounts pa ON pa.org_id = $1 AND pa.principal_id = h.principal_id \
                                          AND pa.account_id = h.account_id \
           GROUP BY h.principal_id) \
         SELECT p.id AS principal_id, p.display_name AS principal, p.kind::text AS kind, \
                coalesce(m.display_name, o.display_name) AS responsible, per.accounts, per.grants, per.unassigned, \
                count(*) OVER () AS total \
         FROM per \
         JOIN principals p ON p.org_id = $1 AND p.id = per.principal_id \
         LEFT JOIN principals m ON m.org_id = $1 AND m.id = p.manager_id \
         LEFT JOIN principals o ON o.org_id = $1 AND o.id = p.owner_id \
         WHERE p.status <> 'offboarded' AND ($3 = '' OR p.kind::text = $3) \
           AND (cardinality(per.unassigned) > 0 OR per.accounts > $4) \
         ORDER BY p.display_name, p.id LIMIT $5 OFFSET $6"
    ))
    .bind(org_id)
    .bind(f.now)
    .bind(&f.kind)
    .bind(i64::from(account_limit))
    .bind(f.limit)
    .bind(f.offset)
    .bind(&f.within)
    .fetch_all(pool)
    .await
}

#[derive(Debug, sqlx::FromRow)]
pub struct SodViolationRow {
    pub rule: String,
    pub mode: String,
    pub principal_id: Uuid,
    pub principal: String,
    pub kind: String,
    pub account: Option<String>,
    pub total: i64,
}

/// Every (rule, principal, account) broken by grants in force, by rule and principal.
pub async fn sod_violations(
    pool: &PgPool,
    org_id: Uuid,
    f: &Filter,
) -> sqlx::Result<Vec<SodViolationRow>> {
    sqlx::query_as(&format!(
        "WITH held AS ({}), broken AS ({}) \
         SELECT s.name AS rule, s.mode::text AS mode, p.id AS principal_id, p.display_name AS principal, \
                p.kind::text AS kind, ac.name AS account, count(*) OVER () AS total \
         FROM broken b \
         JOIN sod_rules s ON s.org_id = $1 AND s.id = b.rule_id \
         JOIN principals p ON p.org_id = $1 AND p.id = b.principal_id \
         LEFT JOIN accounts ac ON ac.org_id = $1 AND ac.id = b.account_id \
         WHERE ($2 = '' OR p.kind::text = $2) \
           AND ($5::uuid[] IS NULL OR b.account_id IS NULL OR b.account_id = ANY($5)) \
         ORDER BY s.name, p.display_name, p.id, ac.name NULLS FIRST LIMIT $3 OFFSET $4",
        super::sod::HELD_NOW,
        super::sod::BROKEN,
    ))
    .bind(org_id)
    .bind(&f.kind)
    .bind(f.limit)
    .bind(f.offset)
    .bind(&f.within)
    .fetch_all(pool)
    .await
}

/// The organisation's limit of client accounts per principal.
pub async fn account_limit(pool: &PgPool, org_id: Uuid) -> sqlx::Result<i32> {
    sqlx::query_scalar("SELECT client_account_limit FROM organisations WHERE id = $1")
        .bind(org_id)
        .fetch_one(pool)
        .await
}

/// Sets the limit; answers the one it replaces.
pub async fn set_account_limit(
    tx: &mut super::Tx<'_>,
    org_id: Uuid,
    limit: i32,
) -> sqlx::Result<i32> {
    sqlx::query_scalar(
        "UPDATE organisations o SET client_account_limit = $2 \
         FROM (SELECT client_account_limit FROM organisations WHERE id = $1 FOR UPDATE) old \
         WHERE o.id = $1 RETURNING old.client_account_limit",
    )
    .bind(org_id)
    .bind(limit)
    .fetch_one(&mut **tx)
    .await
}

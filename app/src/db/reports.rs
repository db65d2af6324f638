use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::model::reports::DormantRow;

/// The dormant report's rule (as `rules::reports::dormancy` states it) for principals
/// `p` of organisation `$1`; `today` and `since` name the parameters holding the UTC date
/// and the window's start, `kind` the one holding the kind when the report is narrowed
/// to one. Plain typed comparisons keep the statement's generic plan as fast as a
/// custom one.
pub(super) fn dormant_where(today: &str, since: &str, kind: Option<&str>) -> String {
    let kind = kind
        .map(|k| format!(" AND p.kind = {k}::principal_kind"))
        .unwrap_or_default();
    format!(
        "p.org_id = $1 AND p.status = 'active'{kind} \
         AND (p.end_date < {today} OR p.last_activity_at < {since} \
              OR (p.last_activity_at IS NULL AND p.created_at < {since}))"
    )
}

pub struct DormantFilter<'a> {
    pub now: DateTime<Utc>,
    pub days: i32,
    pub kind: &'a str,
    /// Only principals of one of these accounts (`None`: every principal).
    pub within: Option<&'a [Uuid]>,
}

impl DormantFilter<'_> {
    fn since(&self) -> DateTime<Utc> {
        self.now - Duration::days(i64::from(self.days))
    }

    /// The rule with `$2` today, `$3` the window's start, `$4` the kind, and `within`
    /// the parameter of the accounts.
    fn where_clause(&self, with_kind: bool, within: &str) -> String {
        format!(
            "{} AND ({within}::uuid[] IS NULL OR EXISTS (SELECT 1 FROM principal_accounts pa \
               WHERE pa.org_id = p.org_id AND pa.principal_id = p.id AND pa.account_id = ANY({within})))",
            dormant_where(
                "$2",
                "$3",
                (with_kind && !self.kind.is_empty()).then_some("$4"),
            )
        )
    }
}

/// Dormant principals per kind, ignoring the kind filter.
pub async fn dormant_by_kind(
    pool: &PgPool,
    org_id: Uuid,
    filter: &DormantFilter<'_>,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(&format!(
        "SELECT p.kind::text, count(*) FROM principals p WHERE {} GROUP BY p.kind ORDER BY p.kind",
        filter.where_clause(false, "$4")
    ))
    .bind(org_id)
    .bind(filter.now.date_naive())
    .bind(filter.since())
    .bind(filter.within)
    .fetch_all(pool)
    .await
}

/// One page of the report (`limit` rows from `offset`; `None`: all of it), grouped by
/// kind, the longest quiet first; grants are read for the rows of the page only.
pub async fn dormant(
    pool: &PgPool,
    org_id: Uuid,
    filter: &DormantFilter<'_>,
    limit: Option<i64>,
    offset: i64,
) -> sqlx::Result<Vec<DormantRow>> {
    sqlx::query_as::<_, DormantRow>(&format!(
        "WITH page AS ( \
           SELECT p.* FROM principals p WHERE {} \
           ORDER BY p.kind, p.last_activity_at NULLS FIRST, p.display_name, p.id LIMIT $5 OFFSET $6) \
         SELECT p.id, p.display_name, p.kind::text AS kind, p.email, p.external_id, \
                p.employment_type::text AS employment_type, p.last_activity_at, p.created_at, p.end_date, \
                coalesce(m.display_name, o.display_name) AS responsible, \
                coalesce(g.grants, 0) AS grants, coalesce(g.bundles, '{{}}') AS bundles \
         FROM page p \
         LEFT JOIN principals m ON m.org_id = p.org_id AND m.id = p.manager_id \
         LEFT JOIN principals o ON o.org_id = p.org_id AND o.id = p.owner_id \
         LEFT JOIN LATERAL ( \
           SELECT count(*) AS grants, array_agg(DISTINCT coalesce(r.name, ps.name)) AS bundles \
           FROM grants g \
           LEFT JOIN roles r ON r.org_id = g.org_id AND r.id = g.role_id \
           LEFT JOIN permission_sets ps ON ps.org_id = g.org_id AND ps.id = g.permission_set_id \
           WHERE g.org_id = p.org_id AND g.principal_id = p.id AND g.revoked_at IS NULL \
             AND g.valid_from <= $7 AND (g.valid_until IS NULL OR g.valid_until > $7)) g ON true \
         ORDER BY p.kind, p.last_activity_at NULLS FIRST, p.display_name, p.id",
        filter.where_clause(true, "$8")
    ))
    .bind(org_id)
    .bind(filter.now.date_naive())
    .bind(filter.since())
    .bind(filter.kind)
    .bind(limit)
    .bind(offset)
    .bind(filter.now)
    .bind(filter.within)
    .fetch_all(pool)
    .await
}

/// Grants in force of the given principals, locked, for revoking them all.
pub async fn grants_in_force_for_update(
    tx: &mut super::Tx<'_>,
    org_id: Uuid,
    principals: &[Uuid],
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM grants WHERE org_id = $1 AND principal_id = ANY($2) AND revoked_at IS NULL \
           AND (valid_until IS NULL OR valid_until > now()) \
         ORDER BY id FOR UPDATE",
    )
    .bind(org_id)
    .bind(principals)
    .fetch_all(&mut **tx)
    .await
}

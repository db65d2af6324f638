use sqlx::PgPool;
use uuid::Uuid;

use crate::model::DashboardSummary;

/// Days without activity after which a principal counts as dormant on the home page.
pub const DORMANT_AFTER_DAYS: i32 = 90;

pub async fn summary(pool: &PgPool, org_id: Uuid) -> sqlx::Result<DashboardSummary> {
    sqlx::query_as::<_, DashboardSummary>(
        "SELECT \
           (SELECT count(*) FROM accounts WHERE org_id = $1) AS accounts, \
           (SELECT count(*) FROM applications WHERE org_id = $1) AS applications, \
           (SELECT count(*) FROM principals WHERE org_id = $1 AND kind = 'human' AND status <> 'offboarded') AS humans, \
           (SELECT count(*) FROM principals WHERE org_id = $1 AND kind <> 'human' AND status <> 'offboarded') AS non_humans, \
           (SELECT count(*) FROM grants WHERE org_id = $1 AND revoked_at IS NULL AND valid_from <= now() \
              AND (valid_until IS NULL OR valid_until > now())) AS active_grants, \
           (SELECT count(*) FROM grants WHERE org_id = $1 AND revoked_at IS NULL AND valid_from <= now() \
              AND valid_until > now()) AS time_bound_grants, \
           (SELECT count(*) FROM principals WHERE org_id = $1 AND status = 'active' \
              AND (last_activity_at IS NULL OR last_activity_at < now() - make_interval(days => $2))) AS dormant_principals, \
           (SELECT count(*) FROM principals WHERE org_id = $1 AND status = 'active' \
              AND end_date < current_date) AS past_end_date",
    )
    .bind(org_id)
    .bind(DORMANT_AFTER_DAYS)
    .fetch_one(pool)
    .await
}

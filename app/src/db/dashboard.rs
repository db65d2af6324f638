use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::reports::dormant_where;
use crate::model::{DailySnapshot, DashboardSummary};

/// Days without activity after which a principal counts as dormant on the home page.
pub const DORMANT_AFTER_DAYS: i64 = 90;
/// Days of history the home page's trends show.
pub const TREND_DAYS: i64 = 90;

/// A grant in force at `$2`.
const ACTIVE_GRANTS: &str = "SELECT count(*) FROM grants WHERE org_id = $1 AND revoked_at IS NULL \
     AND valid_from <= $2 AND (valid_until IS NULL OR valid_until > $2)";

const PENDING: &str =
    "SELECT count(*) FROM access_requests WHERE org_id = $1 AND status = 'pending'";

/// The headline figures at `now`; principals are dormant as in the dormant report.
/// With `within`, only the principals of these accounts, and the grants and requests of
/// every account or of one of them, count.
pub async fn summary(
    pool: &PgPool,
    org_id: Uuid,
    now: DateTime<Utc>,
    within: Option<&[Uuid]>,
) -> sqlx::Result<DashboardSummary> {
    const PEOPLE: &str = "($5::uuid[] IS NULL OR EXISTS (SELECT 1 FROM principal_accounts pa \
         WHERE pa.org_id = p.org_id AND pa.principal_id = p.id AND pa.account_id = ANY($5)))";
    const ACCOUNT: &str = "($5::uuid[] IS NULL OR account_id IS NULL OR account_id = ANY($5))";
    sqlx::query_as::<_, DashboardSummary>(&format!(
        "SELECT \
           (SELECT count(*) FROM accounts WHERE org_id = $1 AND ($5::uuid[] IS NULL OR id = ANY($5))) AS accounts, \
           (SELECT count(*) FROM applications WHERE org_id = $1) AS applications, \
           (SELECT count(*) FROM principals p WHERE org_id = $1 AND kind = 'human' AND status <> 'offboarded' AND {PEOPLE}) AS humans, \
           (SELECT count(*) FROM principals p WHERE org_id = $1 AND kind <> 'human' AND status <> 'offboarded' AND {PEOPLE}) AS non_humans, \
           ({ACTIVE_GRANTS} AND {ACCOUNT}) AS active_grants, \
           ({ACTIVE_GRANTS} AND valid_until IS NOT NULL AND {ACCOUNT}) AS time_bound_grants, \
           (SELECT count(*) FROM principals p WHERE {} AND {PEOPLE}) AS dormant_principals, \
           (SELECT count(*) FROM principals p WHERE org_id = $1 AND status = 'active' \
              AND end_date < $4 AND {PEOPLE}) AS past_end_date, \
           ({PENDING} AND {ACCOUNT}) AS pending_requests",
        dormant_where("$4", "$3", None)
    ))
    .bind(org_id)
    .bind(now)
    .bind(now - Duration::days(DORMANT_AFTER_DAYS))
    .bind(now.date_naive())
    .bind(within)
    .fetch_one(pool)
    .await
}

/// Organisations without a snapshot for `day`.
pub async fn organisations_to_snapshot(pool: &PgPool, day: NaiveDate) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT o.id FROM organisations o WHERE NOT EXISTS \
           (SELECT 1 FROM daily_snapshots s WHERE s.org_id = o.id AND s.day = $1) ORDER BY o.id",
    )
    .bind(day)
    .fetch_all(pool)
    .await
}

/// Records the figures at `now` as the organisation's snapshot for that day, unless one
/// was taken already (several instances may try at once). Answers whether it took one.
pub async fn take_snapshot(pool: &PgPool, org_id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let taken = sqlx::query(&format!(
        "INSERT INTO daily_snapshots (org_id, day, dormant_principals, pending_requests, active_grants) \
         SELECT $1, $4, \
                (SELECT count(*) FROM principals p WHERE {}), \
                ({PENDING}), \
                ({ACTIVE_GRANTS}) \
         WHERE NOT EXISTS (SELECT 1 FROM daily_snapshots WHERE org_id = $1 AND day = $4) \
         ON CONFLICT DO NOTHING",
        dormant_where("$4", "$3", None)
    ))
    .bind(org_id)
    .bind(now)
    .bind(now - Duration::days(DORMANT_AFTER_DAYS))
    .bind(now.date_naive())
    .execute(pool)
    .await?;
    Ok(taken.rows_affected() == 1)
}

/// The snapshots of the last `TREND_DAYS` days up to `now`, oldest first.
pub async fn trend(
    pool: &PgPool,
    org_id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<DailySnapshot>> {
    sqlx::query_as(
        "SELECT day, dormant_principals, pending_requests, active_grants FROM daily_snapshots \
         WHERE org_id = $1 AND day > $2 - $3::int ORDER BY day",
    )
    .bind(org_id)
    .bind(now.date_naive())
    .bind(TREND_DAYS as i32)
    .fetch_all(pool)
    .await
}

/// Writes `days` days of made-up history before today for a new demonstration
/// organisation: figures drifting towards today's (which the server's own snapshot
/// records), so that the home page's trends have a shape from the first start.
pub async fn invent_history(
    tx: &mut super::Tx<'_>,
    org_id: Uuid,
    now: DateTime<Utc>,
    days: i32,
) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "WITH today AS (SELECT \
           (SELECT count(*) FROM principals p WHERE {}) AS dormant, ({PENDING}) AS pending, \
           ({ACTIVE_GRANTS}) AS grants) \
         INSERT INTO daily_snapshots (org_id, day, dormant_principals, pending_requests, active_grants) \
         SELECT $1, $4 - n, dormant + n / 12, pending + (n / 9) % 3, greatest(grants - n / 5, 0) \
         FROM today, generate_series(1, $5) n",
        dormant_where("$4", "$3", None)
    ))
    .bind(org_id)
    .bind(now)
    .bind(now - Duration::days(DORMANT_AFTER_DAYS))
    .bind(now.date_naive())
    .bind(days)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

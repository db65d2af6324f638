//! The home page's figures and their daily snapshots.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::db::dashboard;
use crate::error::AppError;
use crate::model::DashboardSummary;
use rules::console::AccountScope;

/// The headline figures now over the accounts `scope` reaches, with their trend over
/// the last 90 days (the daily snapshots are of the whole organisation, so a caller who
/// reaches only some accounts sees no trend).
pub async fn load(
    pool: &PgPool,
    org_id: Uuid,
    scope: &AccountScope,
) -> Result<DashboardSummary, AppError> {
    let now = Utc::now();
    let whole = *scope == AccountScope::Every;
    let (mut summary, trend) =
        tokio::try_join!(dashboard::summary(pool, org_id, now, scope.ids()), async {
            match whole {
                true => dashboard::trend(pool, org_id, now).await,
                false => Ok(Vec::new()),
            }
        })?;
    summary.trend = trend;
    Ok(summary)
}

/// Takes today's snapshot for every organisation that has none yet; answers how many
/// were taken (by this call: another instance may take some of them).
pub async fn take_snapshots(pool: &PgPool, now: DateTime<Utc>) -> Result<usize, AppError> {
    let mut taken = 0;
    for org_id in dashboard::organisations_to_snapshot(pool, now.date_naive()).await? {
        if dashboard::take_snapshot(pool, org_id, now).await? {
            taken += 1;
        }
    }
    Ok(taken)
}

//! The scheduled job: grants past their end are marked expired, requests left pending
//! too long expire, grants nearing their end are announced, old sign-in failures are
//! forgotten. Every change carries its audit event; two instances may run it at once.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use crate::db;
use crate::db::expiry::ExpiryStep;
use crate::error::AppError;

/// Rows changed per statement: large enough to be quick, small enough to keep each
/// transaction short.
const BATCH: i64 = 20_000;

/// Grants ending within this are announced (`grant.ending`).
pub const ENDING_NOTICE_DAYS: i64 = 7;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpiryRound {
    pub grants_expired: u64,
    pub requests_expired: u64,
    pub grants_announced: u64,
    pub sign_in_failures_forgotten: u64,
}

/// One round at `now`; requests pending longer than `request_max_age` expire.
pub async fn run(
    pool: &PgPool,
    now: DateTime<Utc>,
    request_max_age: Duration,
) -> Result<ExpiryRound, AppError> {
    let notice = Duration::days(ENDING_NOTICE_DAYS);
    let mut round = ExpiryRound {
        grants_expired: expire_grants(pool, now).await?,
        requests_expired: drain(|| async move {
            let n = db::expiry::expire_requests(pool, now, request_max_age, BATCH).await?;
            Ok(n as u64)
        })
        .await?,
        grants_announced: drain(|| async move {
            let n = db::expiry::announce_ending_grants(pool, now, notice, BATCH).await?;
            Ok(n as u64)
        })
        .await?,
        ..Default::default()
    };
    round.sign_in_failures_forgotten = db::expiry::forget_old_sign_in_failures(pool, now).await?;
    Ok(round)
}

/// Walks every organisation's grants that ended by `now`; an organisation another
/// instance is walking is left to it.
async fn expire_grants(pool: &PgPool, now: DateTime<Utc>) -> Result<u64, AppError> {
    let mut expired = 0;
    for org_id in db::expiry::organisations_with_cursor(pool).await? {
        loop {
            match db::expiry::expire_grants(pool, org_id, now, BATCH).await? {
                ExpiryStep::Busy => break,
                ExpiryStep::Done { passed, expired: n } => {
                    expired += n;
                    if passed < BATCH as u64 {
                        break;
                    }
                }
            }
        }
    }
    Ok(expired)
}

/// Repeats a batch until a batch comes back short; answers the rows done in all.
async fn drain<F, Fut>(mut batch: F) -> Result<u64, AppError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = sqlx::Result<u64>>,
{
    let mut total = 0;
    loop {
        let n = batch().await?;
        total += n;
        if n < BATCH as u64 {
            return Ok(total);
        }
    }
}

//! The organisation's response time for data-subject requests.

use sqlx::PgPool;

use crate::db;
use crate::db::audit::Actor;
use crate::error::AppError;
use rules::dsr::MAX_RESPONSE_DAYS;

/// Sets how many days requests may take (from the next one opened).
pub async fn set_response_days(pool: &PgPool, actor: &Actor, days: &str) -> Result<i64, AppError> {
    let days: i64 = days
        .trim()
        .parse()
        .ok()
        .filter(|d| (1..=MAX_RESPONSE_DAYS).contains(d))
        .ok_or_else(|| {
            AppError::invalid(
                "days",
                format!("Give a whole number of days from 1 to {MAX_RESPONSE_DAYS}."),
            )
        })?;
    let mut tx = pool.begin().await?;
    let before = db::dsr::set_response_days(&mut tx, actor.org_id, days).await?;
    let what = ("data-subject request response days", "dsr_response_days");
    crate::service::setting_changed(&mut tx, actor, what, before, days).await?;
    tx.commit().await?;
    Ok(days)
}

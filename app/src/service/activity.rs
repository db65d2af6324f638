//! Recording a batch of activity reported with an application token: every event gets
//! an answer (recorded, duplicate, or rejected with the reason), and a bad event never
//! stops the others.

use chrono::Utc;
use serde_json::Value;
use sqlx::PgPool;

use crate::db;
use crate::db::tokens::TokenCaller;
use crate::error::AppError;
use rules::activity::{self, BatchReport, EventStatus};

/// Concurrent batches touching the same rows may deadlock; PostgreSQL then aborts one,
/// which is tried again this many times.
pub(crate) const ATTEMPTS: usize = 3;

pub async fn ingest(
    pool: &PgPool,
    caller: TokenCaller,
    body: &Value,
) -> Result<BatchReport, AppError> {
    let values = activity::batch(body).map_err(|m| AppError::invalid("events", m))?;
    let now = Utc::now();
    let (mut outcomes, screened) =
        activity::screen(values, |v| activity::parse_event(v, now), |e| e.id.as_str());
    let (positions, events): (Vec<usize>, Vec<activity::ActivityEvent>) =
        screened.into_iter().unzip();
    if !events.is_empty() {
        let recorded = record(pool, caller, &events).await?;
        for row in recorded {
            let i = (row.ord - 1) as usize;
            let event = &events[i];
            let outcome = &mut outcomes[positions[i]];
            let error = if !row.principal_known {
                Some(format!(
                    "No principal has the email or external id \u{201c}{}\u{201d}.",
                    event.principal
                ))
            } else if !row.permission_known {
                Some(format!(
                    "The application has no permission \u{201c}{}.{}\u{201d}.",
                    event.resource, event.action
                ))
            } else if !row.account_known {
                Some(format!(
                    "No account is named or has the id \u{201c}{}\u{201d}.",
                    event.account.as_deref().unwrap_or_default()
                ))
            } else {
                None
            };
            if error.is_some() {
                outcome.status = EventStatus::Rejected;
                outcome.error = error;
            } else if !row.inserted {
                outcome.status = EventStatus::Duplicate;
                outcome.error = Some("An event with this id was recorded before.".into());
            }
        }
    }
    Ok(BatchReport::new(outcomes))
}

async fn record(
    pool: &PgPool,
    caller: TokenCaller,
    events: &[activity::ActivityEvent],
) -> Result<Vec<db::activity::Recorded>, AppError> {
    let mut attempt = 1;
    loop {
        let mut tx = pool.begin().await?;
        let result =
            db::activity::record(&mut tx, caller.org_id, caller.application_id, events).await;
        let result = match result {
            Ok(rows) => tx.commit().await.map(|_| rows),
            Err(e) => Err(e),
        };
        match result {
            Ok(rows) => return Ok(rows),
            Err(e) if attempt < ATTEMPTS && is_deadlock(&e) => attempt += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

pub(crate) fn is_deadlock(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "40P01")
}

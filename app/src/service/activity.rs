//! Recording a batch of activity reported with an application token: every event gets
//! an answer (recorded, duplicate, or rejected with the reason), and a bad event never
//! stops the others.

use chrono::Utc;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use crate::db;
use crate::db::tokens::TokenCaller;
use crate::error::AppError;
use crate::service::batches;
use rules::activity::{self, BatchReport, EventStatus};

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

/// Events about some of the principals of a batch (their positions in it).
struct Part<'a> {
    caller: &'a TokenCaller,
    events: &'a [activity::ActivityEvent],
    positions: Vec<usize>,
}

impl batches::Part for Part<'_> {
    type Recorded = Vec<db::activity::Recorded>;

    async fn record(&self, conn: &mut PgConnection) -> Result<Self::Recorded, sqlx::Error> {
        let events: Vec<&activity::ActivityEvent> =
            self.positions.iter().map(|&i| &self.events[i]).collect();
        let mut tx = sqlx::Connection::begin(conn).await?;
        let mut rows = db::activity::record(
            &mut tx,
            self.caller.org_id,
            self.caller.application_id,
            &events,
        )
        .await?;
        tx.commit().await?;
        // Numbered within the part, as positions in the batch.
        for row in &mut rows {
            row.ord = self.positions[(row.ord - 1) as usize] as i64 + 1;
        }
        Ok(rows)
    }
}

/// Records the events in parts side by side (`service::batches`), those about one
/// principal in one part; answers each event's row, in the order of `events`.
async fn record(
    pool: &PgPool,
    caller: TokenCaller,
    events: &[activity::ActivityEvent],
) -> Result<Vec<db::activity::Recorded>, AppError> {
    let parts: Vec<Part> = batches::parts(events.len(), |i| events[i].principal.to_lowercase())
        .into_iter()
        .map(|positions| Part {
            caller: &caller,
            events,
            positions,
        })
        .collect();
    let mut rows: Vec<db::activity::Recorded> = batches::side_by_side(pool, &parts)
        .await?
        .into_iter()
        .flatten()
        .collect();
    rows.sort_by_key(|row| row.ord);
    Ok(rows)
}

//! Consent events reported by a governed application, checked and recorded.

use std::collections::HashSet;

use chrono::Utc;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use crate::db;
use crate::db::tokens::TokenCaller;
use crate::error::AppError;
use crate::service::batches;
use rules::activity::{batch, screen, BatchReport, EventStatus};
use rules::consent::{parse_event, ConsentEvent};

pub async fn ingest(
    pool: &PgPool,
    caller: TokenCaller,
    body: &Value,
) -> Result<BatchReport, AppError> {
    let values = batch(body).map_err(|m| AppError::invalid("events", m))?;
    let now = Utc::now();
    let (mut outcomes, events) = screen(values, |v| parse_event(v, now), |e| e.id.as_str());
    // Events about one subject in one part.
    let parts: Vec<Part> = batches::parts(events.len(), |i| {
        (&events[i].1.account, &events[i].1.subject)
    })
    .into_iter()
    .map(|positions| Part {
        caller: &caller,
        events: &events,
        positions,
    })
    .collect();
    let refusals = batches::side_by_side(pool, &parts).await?;
    for (index, status, error) in refusals.into_iter().flatten() {
        outcomes[index].status = status;
        outcomes[index].error = Some(error);
    }
    Ok(BatchReport::new(outcomes))
}

/// Well-formed events about some of the subjects of a batch (`positions` in `events`,
/// each event with its position in the batch).
struct Part<'a> {
    caller: &'a TokenCaller,
    events: &'a [(usize, ConsentEvent)],
    positions: Vec<usize>,
}

impl batches::Part for Part<'_> {
    type Recorded = Vec<(usize, EventStatus, String)>;

    async fn record(&self, conn: &mut PgConnection) -> Result<Self::Recorded, sqlx::Error> {
        let events: Vec<&(usize, ConsentEvent)> =
            self.positions.iter().map(|&i| &self.events[i]).collect();
        record(conn, self.caller, &events).await
    }
}

/// Resolves and records the events (each with its position in the batch) in one
/// transaction; answers those refused by what the database holds and those recorded
/// before, by position, with their status and why.
async fn record(
    conn: &mut PgConnection,
    caller: &TokenCaller,
    events: &[&(usize, ConsentEvent)],
) -> Result<Vec<(usize, EventStatus, String)>, sqlx::Error> {
    let mut tx = sqlx::Connection::begin(conn).await?;
    let known = db::consent::resolve(&mut tx, caller.org_id, events.iter().map(|(_, e)| e)).await?;
    let mut refused = Vec::new();
    let mut writable = Vec::with_capacity(events.len());
    for (index, event) in events.iter().copied() {
        match known.accounts.get(&event.account) {
            None => refused.push((
                *index,
                EventStatus::Rejected,
                format!(
                    "No account is named or has the id \u{201c}{}\u{201d}.",
                    event.account
                ),
            )),
            Some(_) if !known.purposes.contains(&event.purpose) => refused.push((
                *index,
                EventStatus::Rejected,
                format!(
                    "\u{201c}{}\u{201d} is not a purpose of this organisation; a DPO may add it.",
                    event.purpose
                ),
            )),
            Some(account) => writable.push((event, *account, *index)),
        }
    }
    if !writable.is_empty() {
        let rows: Vec<(&ConsentEvent, uuid::Uuid)> =
            writable.iter().map(|(e, a, _)| (*e, *a)).collect();
        let label = format!("application token {}", caller.token_id);
        let stored: HashSet<String> =
            db::consent::record(&mut tx, caller.org_id, caller.application_id, &label, &rows)
                .await?
                .into_iter()
                .collect();
        // Recorded before, or meanwhile by a concurrent batch with the same ids.
        for (event, _, index) in &writable {
            if !stored.contains(&event.id) {
                refused.push((
                    *index,
                    EventStatus::Duplicate,
                    "An event with this id was recorded before.".into(),
                ));
            }
        }
    }
    tx.commit().await?;
    Ok(refused)
}

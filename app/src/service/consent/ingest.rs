//! Consent events reported by a governed application, checked and recorded.

use std::collections::HashSet;

use chrono::Utc;
use serde_json::Value;
use sqlx::PgPool;

use crate::db;
use crate::db::tokens::TokenCaller;
use crate::error::AppError;
use crate::service::activity::{is_deadlock, ATTEMPTS};
use rules::activity::{batch, screen, BatchReport, EventOutcome, EventStatus};
use rules::consent::{parse_event, ConsentEvent};

pub async fn ingest(
    pool: &PgPool,
    caller: TokenCaller,
    body: &Value,
) -> Result<BatchReport, AppError> {
    let values = batch(body).map_err(|m| AppError::invalid("events", m))?;
    let now = Utc::now();
    let (mut outcomes, events) = screen(values, |v| parse_event(v, now), |e| e.id.as_str());
    if !events.is_empty() {
        let mut attempt = 1;
        loop {
            match record(pool, &caller, &events, &mut outcomes).await {
                Ok(()) => break,
                Err(e) if attempt < ATTEMPTS && is_deadlock(&e) => attempt += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(BatchReport::new(outcomes))
}

/// Resolves and records the well-formed events in one transaction, marking in
/// `outcomes` those refused by what the database holds, and those recorded before.
async fn record(
    pool: &PgPool,
    caller: &TokenCaller,
    events: &[(usize, ConsentEvent)],
    outcomes: &mut [EventOutcome],
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let list: Vec<ConsentEvent> = events.iter().map(|(_, e)| e.clone()).collect();
    let resolved =
        db::consent::resolve(&mut tx, caller.org_id, caller.application_id, &list).await?;
    let mut writable = Vec::with_capacity(events.len());
    for row in resolved {
        let (index, event) = &events[(row.ord - 1) as usize];
        let outcome = &mut outcomes[*index];
        match row.account_id {
            None => {
                outcome.status = EventStatus::Rejected;
                outcome.error = Some(format!(
                    "No account is named or has the id \u{201c}{}\u{201d}.",
                    event.account
                ));
            }
            Some(_) if !row.purpose_known => {
                outcome.status = EventStatus::Rejected;
                outcome.error = Some(format!(
                    "\u{201c}{}\u{201d} is not a purpose of this organisation; a DPO may add it.",
                    event.purpose
                ));
            }
            Some(_) if row.seen => {
                outcome.status = EventStatus::Duplicate;
                outcome.error = Some("An event with this id was recorded before.".into());
            }
            Some(account) => writable.push((event, account, *index)),
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
        // Recorded meanwhile by a concurrent batch with the same ids.
        for (event, _, index) in &writable {
            if !stored.contains(&event.id) {
                outcomes[*index].status = EventStatus::Duplicate;
                outcomes[*index].error = Some("An event with this id was recorded before.".into());
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

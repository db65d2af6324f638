//! A reviewer's keep-or-revoke decisions.

use sqlx::PgPool;
use uuid::Uuid;

use super::MAX_BULK;
use crate::caller::Caller;
use crate::db;
use crate::error::AppError;
use crate::service::grants::parse_reason;

/// Keeps or revokes the caller's items (a revoke needs a reason); answers how many.
pub async fn decide(
    pool: &PgPool,
    caller: &Caller,
    campaign: Uuid,
    grants: &[Uuid],
    decision: &str,
    reason: &str,
) -> Result<i64, AppError> {
    if grants.is_empty() {
        return Err(AppError::invalid("grants", "Select at least one item."));
    }
    if grants.len() > MAX_BULK {
        return Err(AppError::invalid(
            "grants",
            format!("Decide at most {MAX_BULK} items at once."),
        ));
    }
    let reason = match decision {
        "keep" => Some(reason.trim())
            .filter(|r| !r.is_empty())
            .map(str::to_string),
        "revoke" => Some(parse_reason(reason)?),
        _ => return Err(AppError::invalid("decision", "Choose keep or revoke.")),
    };
    let mut tx = pool.begin().await?;
    let actor = caller.actor();
    let done = db::reviews::decide(
        &mut tx,
        &actor,
        caller.principal_id,
        campaign,
        grants,
        decision,
        reason.as_deref(),
    )
    .await?;
    if done < grants.len() as i64 {
        return Err(AppError::Conflict(
            "Some of these items are not yours to decide, are about your own access, or the campaign is closed; nothing was recorded.".into(),
        ));
    }
    tx.commit().await?;
    Ok(done)
}

//! Closing a campaign: undecided items get the campaign's default, revocations take effect.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::caller::Caller;
use crate::db;
use crate::db::audit::Change;
use crate::error::AppError;
use crate::model::reviews::ClosedCampaign;
use crate::service::grants::revoke_in;
use rules::audit::AuditAction;

/// Closes the campaign: every item decided (or left to the campaign's rule) as revoke
/// whose grant is still in force is revoked, with its audit event, in one transaction.
pub async fn close(
    pool: &PgPool,
    caller: &Caller,
    campaign: Uuid,
) -> Result<ClosedCampaign, AppError> {
    let actor = caller.actor();
    let mut tx = pool.begin().await?;
    let Some((name, _, closed)) =
        db::reviews::open_for_update(&mut tx, actor.org_id, campaign).await?
    else {
        return Err(AppError::NotFound(
            "There is no such review campaign.".into(),
        ));
    };
    if closed {
        return Err(AppError::Conflict(format!(
            "\u{201c}{name}\u{201d} is already closed."
        )));
    }
    let items = db::reviews::closing_items(&mut tx, actor.org_id, campaign).await?;
    let mut closed = ClosedCampaign {
        revoked: 0,
        kept: 0,
        gone: 0,
    };
    let mut grants = Vec::with_capacity(items.len());
    let mut outcomes = Vec::with_capacity(items.len());
    for (grant, decision, in_force, reason) in items {
        let outcome = if !in_force {
            closed.gone += 1;
            "gone"
        } else if decision == "revoke" {
            let why =
                reason.unwrap_or_else(|| "not reviewed by the time the campaign closed".into());
            revoke_in(
                &mut tx,
                &actor,
                grant,
                &format!("Access review \u{201c}{name}\u{201d}: {why}"),
            )
            .await?;
            closed.revoked += 1;
            "revoked"
        } else {
            closed.kept += 1;
            "kept"
        };
        grants.push(grant);
        outcomes.push(outcome);
    }
    db::reviews::close(
        &mut tx,
        actor.org_id,
        campaign,
        caller.principal_id,
        &grants,
        &outcomes,
    )
    .await?;
    db::audit::record(
        &mut tx,
        &actor,
        Change::on(AuditAction::ReviewClosed, campaign, name)
            .after(json!({ "revoked": closed.revoked, "kept": closed.kept, "gone": closed.gone })),
    )
    .await?;
    tx.commit().await?;
    Ok(closed)
}

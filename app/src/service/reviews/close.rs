//! Closing a campaign: undecided items get the campaign's default, revocations take effect.

use std::collections::HashSet;

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::caller::Caller;
use crate::db;
use crate::db::audit::{Actor, Change};
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
    let mut tx = pool.begin().await?;
    let closed = close_in(&mut tx, &caller.actor(), campaign).await?;
    tx.commit().await?;
    Ok(closed)
}

/// [`close`] inside the caller's transaction, by `actor` (a person, or the movers'
/// round when a mover's review falls due). Grants a mover's review keeps no longer come
/// from a birthright rule: the manager answers for them now.
pub async fn close_in(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    campaign: Uuid,
) -> Result<ClosedCampaign, AppError> {
    let Some((name, mover, closed)) =
        db::reviews::open_for_update(tx, actor.org_id, campaign).await?
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
    let items = db::reviews::closing_items(tx, actor.org_id, campaign).await?;
    let mut closed = ClosedCampaign {
        revoked: 0,
        kept: 0,
        gone: 0,
    };
    let mut grants = Vec::with_capacity(items.len());
    let mut outcomes = Vec::with_capacity(items.len());
    // Revoking a grant of an access package revokes its other grants too.
    let mut with_a_package = HashSet::new();
    for (grant, decision, in_force, reason) in items {
        let outcome = if with_a_package.contains(&grant) {
            closed.revoked += 1;
            "revoked"
        } else if !in_force {
            closed.gone += 1;
            "gone"
        } else if decision == "revoke" {
            let why =
                reason.unwrap_or_else(|| "not reviewed by the time the campaign closed".into());
            let revoked = revoke_in(
                tx,
                actor,
                grant,
                &format!("Access review \u{201c}{name}\u{201d}: {why}"),
            )
            .await?;
            with_a_package.extend(revoked);
            closed.revoked += 1;
            "revoked"
        } else {
            closed.kept += 1;
            "kept"
        };
        grants.push(grant);
        outcomes.push(outcome);
    }
    if mover {
        let kept: Vec<Uuid> = grants
            .iter()
            .zip(&outcomes)
            .filter(|(_, o)| **o == "kept")
            .map(|(g, _)| *g)
            .collect();
        db::birthright::detach_kept(tx, actor.org_id, &kept).await?;
    }
    db::reviews::close(
        tx,
        actor.org_id,
        campaign,
        actor.principal_id,
        &grants,
        &outcomes,
    )
    .await?;
    db::audit::record(
        tx,
        actor,
        Change::on(AuditAction::ReviewClosed, campaign, name)
            .after(json!({ "revoked": closed.revoked, "kept": closed.kept, "gone": closed.gone })),
    )
    .await?;
    Ok(closed)
}

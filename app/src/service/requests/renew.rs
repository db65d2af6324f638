//! Renewing access that ends soon: the grants ending in an approver's scope, and the request to keep one going.

use chrono::Utc;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::Actor;
use crate::error::AppError;
use crate::model::requests::ExpiringGrant;
use rules::requests::{approvals_needed, highest_risk};
use rules::sod::{refusal, SodMode};

use super::{announce_created, approver_scope, conflicts_json};

/// Grants ending within `days` (7 or 30) in the approver's scope.
pub async fn expiring(
    pool: &PgPool,
    org_id: Uuid,
    me: Uuid,
    days: i32,
) -> Result<Vec<ExpiringGrant>, AppError> {
    if ![7, 30].contains(&days) {
        return Err(AppError::invalid("days", "Choose 7 or 30 days."));
    }
    let scope = approver_scope(pool, org_id, me).await?;
    Ok(db::requests::expiring(pool, org_id, me, &scope, days).await?)
}

/// Asks for a grant ending within 30 days to go on: a request for the same principal,
/// role or permission set and account, for 30 days (or the application's cap), which
/// another approver decides.
pub async fn renew(pool: &PgPool, actor: &Actor, grant: Uuid) -> Result<Uuid, AppError> {
    let me = crate::service::person(actor)?;
    let org_id = actor.org_id;
    let scope = approver_scope(pool, org_id, me).await?;
    let mut tx = pool.begin().await?;
    let Some(ending) = db::grants::ending_for_update(&mut tx, org_id, grant).await? else {
        return Err(AppError::NotFound("There is no such grant.".into()));
    };
    let bundle_id = ending
        .role_id
        .or(ending.permission_set_id)
        .unwrap_or_default();
    if !scope.covers(ending.account_id, bundle_id) || ending.principal_id == me {
        return Err(AppError::Forbidden);
    }
    let now = Utc::now();
    let Some(until) = ending
        .valid_until
        .filter(|u| *u > now && *u <= now + chrono::Duration::days(30))
        .filter(|_| ending.in_force)
    else {
        return Err(AppError::Conflict(
            "Only a grant in force that ends within 30 days can be renewed here.".into(),
        ));
    };
    if let Some(package) = db::packages::package_of_grant(&mut *tx, org_id, grant).await? {
        return Err(AppError::Conflict(format!(
            "This grant comes from the access package \u{201c}{package}\u{201d}, whose grants end together: ask for the package again on the packages page."
        )));
    }
    if ending.renewal_pending {
        return Err(AppError::Conflict(
            "A renewal of this grant is already waiting for an approver.".into(),
        ));
    }
    let Some(bundle) = db::grants::bundle(&mut *tx, org_id, bundle_id).await? else {
        return Err(AppError::NotFound(
            "That role or permission set is gone.".into(),
        ));
    };
    let days = bundle.max_grant_days.unwrap_or(30).clamp(1, 30);
    // Everything is read on the transaction's own connection: nothing waits for a
    // second one while the grant's row is locked.
    let permissions = db::requests::bundle_permissions(&mut *tx, org_id, bundle_id).await?;
    let high_impact = permissions.iter().any(|p| p.high_impact);
    let risk = highest_risk(permissions.iter().map(|p| p.risk.as_str()));
    // Checked as a new request would be: the grant being renewed does not count as held.
    let conflicts = crate::service::sod::conflicts(
        &mut tx,
        org_id,
        ending.principal_id,
        bundle_id,
        ending.account_id,
        Some(grant),
    )
    .await?;
    if let Some(refused) = refusal(&conflicts) {
        return Err(refused.into());
    }
    let extra = conflicts.iter().any(|c| c.mode == SodMode::ExtraApproval);
    let needed = approvals_needed(high_impact, extra);
    let conflicts = conflicts_json(&conflicts);
    let justification: String = format!(
        "Renewal of the grant ending {}, first given for: {}",
        until.format("%Y-%m-%d"),
        ending.reason
    )
    .chars()
    .take(2000)
    .collect();
    let id = Uuid::new_v4();
    db::requests::insert(
        &mut tx,
        org_id,
        &db::requests::NewRequest {
            id,
            requester: me,
            principal: ending.principal_id,
            role_id: ending.role_id,
            permission_set_id: ending.permission_set_id,
            account: ending.account_id,
            justification: &justification,
            duration_days: Some(days),
            valid_until: None,
            approvals_needed: needed,
            risk,
            high_impact,
            sod_conflicts: &conflicts,
            renews_grant: Some(grant),
            adds: Vec::new(),
            // A renewal keeps the grant's conditions.
            conditions: &ending.conditions,
        },
    )
    .await?;
    announce_created(
        &mut tx,
        actor,
        id,
        json!({
            "principal_id": ending.principal_id, "principal": ending.principal, "bundle": bundle.name,
            "application": bundle.application, "account_id": ending.account_id, "duration_days": days,
            "approvals_needed": needed, "risk": risk, "sod_conflicts": conflicts,
            "renews_grant_id": grant, "conditions": ending.conditions,
        }),
        &justification,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

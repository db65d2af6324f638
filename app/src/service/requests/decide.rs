//! Deciding a request, one or several alike: approval creates the grant in the same transaction as the decision.

use chrono::Utc;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::caller::StepUp;
use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::requests::Locked;
use crate::error::AppError;
use crate::model::requests::BulkOutcome;
use rules::audit::AuditAction;
use rules::principals::PrincipalStatus;
use rules::requests::{decide as rule, DecisionContext, Outcome, RequestStatus, RequestedDuration};
use rules::sod::refusal;

use super::approver_scope;
use super::queue::QUEUE_PAGE;

/// Decides several low-risk requests alike, each in its own transaction; one that is
/// not low-risk, or that cannot be decided, is left as it is and said why.
pub async fn decide_many(
    pool: &PgPool,
    actor: &Actor,
    requests: &[Uuid],
    approve: bool,
    comment: &str,
    step_up: StepUp,
) -> Result<BulkOutcome, AppError> {
    crate::service::person(actor)?;
    if requests.is_empty() {
        return Err(AppError::invalid(
            "requests",
            "Select the requests to decide.",
        ));
    }
    if requests.len() > QUEUE_PAGE as usize {
        return Err(AppError::invalid(
            "requests",
            format!("Decide at most {QUEUE_PAGE} requests at once."),
        ));
    }
    if !approve && comment.trim().is_empty() {
        return Err(AppError::invalid(
            "comment",
            "Say why you deny them: the requesters see your reason.",
        ));
    }
    let low_risk: Vec<Uuid> = db::requests::by_ids(pool, actor.org_id, requests)
        .await?
        .into_iter()
        .filter(|r| r.low_risk())
        .map(|r| r.id)
        .collect();
    let mut outcome = BulkOutcome::default();
    for &id in requests {
        if !low_risk.contains(&id) {
            outcome
                .refused
                .push((id, "Not low-risk: decide it on its own.".to_string()));
            continue;
        }
        match decide(pool, actor, id, (approve, comment), step_up).await {
            Ok(_) => outcome.decided += 1,
            Err(AppError::Internal { reference }) => return Err(AppError::Internal { reference }),
            Err(e) => outcome.refused.push((id, e.to_string())),
        }
    }
    Ok(outcome)
}

/// Approves or denies; answers the resulting status. Approving high-impact or console
/// access takes a recent second factor from those who have one (`step_up`).
pub async fn decide(
    pool: &PgPool,
    actor: &Actor,
    request_id: Uuid,
    (approve, comment): (bool, &str),
    step_up: StepUp,
) -> Result<String, AppError> {
    let me = crate::service::person(actor)?;
    let org_id = actor.org_id;
    let comment: String = comment.trim().chars().take(1000).collect();
    let scope = approver_scope(pool, org_id, me).await?;
    let mut tx = pool.begin().await?;
    let Some(request) = db::requests::lock(&mut tx, org_id, request_id).await? else {
        return Err(AppError::NotFound("There is no such request.".into()));
    };
    if request.status != RequestStatus::Pending {
        return Err(AppError::Conflict(format!(
            "This request is already {}.",
            request.status
        )));
    }
    let bundle_id = request
        .role_id
        .or(request.permission_set_id)
        .unwrap_or_default();
    let approved_by = db::requests::approvers(&mut tx, org_id, request_id).await?;
    let step = approved_by.len() as i16 + 1;
    let outcome = rule(
        &DecisionContext {
            approver: me,
            requester: request.requester_id,
            principal: request.principal_id,
            owner: request.principal_owner,
            covered: scope.covers(request.account_id, bundle_id),
            approved_by,
            approvals_needed: request.approvals_needed,
        },
        approve,
        &comment,
    )?;
    if approve && (request.high_impact || request.console) {
        step_up.check()?;
    }
    db::requests::record_decision(&mut tx, org_id, request_id, (step, me), approve, &comment)
        .await?;
    let label = format!("{} \u{2192} {}", request.principal, request.bundle);
    let status = outcome.status();
    let (action, grant_id) = match outcome {
        Outcome::AwaitsNextApprover => (AuditAction::RequestApprovedStep, None),
        Outcome::Denied => (AuditAction::RequestDenied, None),
        Outcome::Approved => {
            let grant = grant_approved(&mut tx, actor, &request, (request_id, bundle_id)).await?;
            (AuditAction::RequestApproved, Some(grant))
        }
    };
    if status != RequestStatus::Pending {
        db::requests::close(&mut tx, org_id, request_id, status, &comment, grant_id).await?;
    }
    db::audit::record(
        &mut tx,
        actor,
        Change::on(action, request_id, label)
            .before(json!({ "status": RequestStatus::Pending }))
            .after(json!({ "status": status, "step": step, "grant": grant_id }))
            .because((!comment.is_empty()).then_some(comment.clone())),
    )
    .await?;
    if status != RequestStatus::Pending {
        db::webhooks::enqueue(
            &mut tx,
            org_id,
            "request.decided",
            json!({
                "request_id": request_id, "status": status, "principal_id": request.principal_id,
                "principal": request.principal, "bundle": request.bundle,
                "account_id": request.account_id, "decided_by": me, "comment": comment,
                "grant_id": grant_id,
            }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(status.to_string())
}

/// The grant an approved request makes, with its audit event: checked once more against
/// the principal's status, the requested end and the separation-of-duties rules, which
/// may have changed since the request was made.
async fn grant_approved(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    request: &Locked,
    (request_id, bundle_id): (Uuid, Uuid),
) -> Result<Uuid, AppError> {
    if request.principal_status == PrincipalStatus::Offboarded {
        return Err(AppError::Conflict(format!(
            "{} has been offboarded; access cannot be granted.",
            request.principal
        )));
    }
    let now = Utc::now();
    let valid_until =
        RequestedDuration::from_columns(request.duration_days, request.valid_until).ends(now);
    if valid_until.is_some_and(|until| until <= now) {
        return Err(AppError::Conflict(
            "The requested end date has passed; ask for a new request.".into(),
        ));
    }
    // A block rule made, or access granted, since the request was made.
    let conflicts = crate::service::sod::conflicts(
        tx,
        actor.org_id,
        request.principal_id,
        bundle_id,
        request.account_id,
        request.renews_grant_id,
    )
    .await?;
    if let Some(refused) = refusal(&conflicts) {
        return Err(refused.into());
    }
    let grant = db::grants::insert(
        tx,
        actor.org_id,
        &db::grants::NewGrant {
            valid_from: None,
            principal_id: request.principal_id,
            role_id: request.role_id,
            permission_set_id: request.permission_set_id,
            account_id: request.account_id,
            valid_until,
            granted_by: actor.principal_id,
            reason: &request.justification,
            source_request_id: Some(request_id),
            conditions: &request.conditions,
            birthright_rule_id: None,
            package_assignment_id: None,
        },
    )
    .await?;
    db::audit::record(
        tx,
        actor,
        Change::on(
            AuditAction::GrantCreated,
            grant,
            format!("{} \u{2192} {}", request.principal, request.bundle),
        )
        .after(json!({
            "principal": request.principal, "bundle": request.bundle,
            "account_id": request.account_id, "valid_until": valid_until,
            "request": request_id, "conditions": request.conditions,
        }))
        .because(request.justification.clone()),
    )
    .await?;
    Ok(grant)
}

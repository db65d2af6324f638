//! Asking for access and deciding on it. Approval creates the grant in the same
//! transaction as the decision and its audit events; the request row is locked while
//! it is decided, so two approvers at the same moment make one decision.

use std::collections::HashSet;

use chrono::Utc;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::error::AppError;
use crate::model::requests::{
    ApprovalQueue, BulkOutcome, ExpiringGrant, QueueFilter, RequestOptions, RequestPreview,
    RequestRow,
};
use rules::effective::effective_permissions;
use rules::requests::{
    approvals_needed, decide as rule, highest_risk, parse_justification, ApproverScope,
    DecisionContext, Outcome, RequestedDuration,
};
use rules::sod::{refusal, Conflict, SodMode};

pub async fn options(pool: &PgPool, org_id: Uuid, me: Uuid) -> Result<RequestOptions, AppError> {
    Ok(RequestOptions {
        principals: db::requests::requestable_principals(pool, org_id, me).await?,
        bundles: db::principals::grantable(pool, org_id).await?,
        accounts: db::accounts::names(pool, org_id).await?,
    })
}

/// The requests `me` made, newest first.
pub async fn mine(pool: &PgPool, org_id: Uuid, me: Uuid) -> Result<Vec<RequestRow>, AppError> {
    Ok(db::requests::mine(pool, org_id, me).await?)
}

/// The name of a principal `me` may ask for: themselves, or one they manage or own.
pub async fn requestable(
    pool: &PgPool,
    org_id: Uuid,
    me: Uuid,
    principal: Uuid,
) -> Result<String, AppError> {
    db::requests::requestable_principals(pool, org_id, me)
        .await?
        .into_iter()
        .find(|(id, _)| *id == principal)
        .map(|(_, name)| name)
        .ok_or_else(|| {
            AppError::invalid(
                "principal",
                "You can ask only for yourself or for people and bots you manage or own.",
            )
        })
}

/// What granting `bundle` on `account` would add to the principal's permissions now,
/// and the separation-of-duties rules it would break.
pub async fn preview(
    pool: &PgPool,
    org_id: Uuid,
    principal: Uuid,
    bundle: Uuid,
    account: Option<Uuid>,
) -> Result<RequestPreview, AppError> {
    let wanted = db::requests::bundle_permissions(pool, org_id, bundle).await?;
    let granted = db::principals::granted_permissions(pool, org_id, principal).await?;
    let conflicts = {
        let mut conn = pool.acquire().await?;
        super::sod::conflicts(&mut conn, org_id, principal, bundle, account, None).await?
    };
    let held: HashSet<String> = effective_permissions(&granted, Utc::now())
        .into_iter()
        .filter(|e| e.account_id.is_none() || (account.is_some() && e.account_id == account))
        .map(|e| e.permission)
        .collect();
    let adding: Vec<_> = wanted
        .iter()
        .filter(|p| !held.contains(&p.id.to_string()))
        .collect();
    // A console role that can change access or personal data always takes two people.
    let high_impact =
        adding.iter().any(|p| p.high_impact) || wanted.iter().any(|p| p.console && p.high_impact);
    let extra = conflicts.iter().any(|c| c.mode == SodMode::ExtraApproval);
    Ok(RequestPreview {
        already_held: wanted.len() - adding.len(),
        approvals_needed: approvals_needed(high_impact, extra),
        risk: highest_risk(adding.iter().map(|p| p.risk.as_str())).to_string(),
        adds: adding
            .iter()
            .map(|p| (p.key.clone(), p.high_impact))
            .collect(),
        conflicts,
    })
}

/// The form's fields, as sent.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    pub principal: Uuid,
    pub bundle: Uuid,
    pub account: &'a str,
    pub duration: &'a str,
    pub until: &'a str,
    pub justification: &'a str,
}

pub async fn create(
    pool: &PgPool,
    actor: &Actor,
    me: Uuid,
    new: &NewRequest<'_>,
) -> Result<Uuid, AppError> {
    let justification = parse_justification(new.justification)?;
    let account = super::accounts::parse_choice(new.account)?;
    let today = Utc::now().date_naive();
    let duration = RequestedDuration::parse(new.duration, new.until, today)?;
    let principal_name = requestable(pool, actor.org_id, me, new.principal).await?;
    let weighed = preview(pool, actor.org_id, new.principal, new.bundle, account).await?;
    submit(
        pool,
        actor,
        (me, weighed),
        &Submission {
            principal: new.principal,
            principal_name: &principal_name,
            bundle: new.bundle,
            account,
            duration,
            justification: &justification,
        },
    )
    .await
    .map(|(id, _)| id)
}

/// A request whose fields are read and checked, from someone who may ask for it.
pub struct Submission<'a> {
    pub principal: Uuid,
    pub principal_name: &'a str,
    pub bundle: Uuid,
    pub account: Option<Uuid>,
    pub duration: RequestedDuration,
    /// Passed [`parse_justification`].
    pub justification: &'a str,
}

/// Stores a new pending request from `requester`, weighed by [`preview`], with its audit
/// and webhook events; answers its id and how many approvals it needs. Refused when it
/// would add nothing or break a blocking separation-of-duties rule.
pub async fn submit(
    pool: &PgPool,
    actor: &Actor,
    (requester, preview): (Uuid, RequestPreview),
    new: &Submission<'_>,
) -> Result<(Uuid, i16), AppError> {
    let org_id = actor.org_id;
    let today = Utc::now().date_naive();
    let (principal_name, account, duration, justification) = (
        new.principal_name,
        new.account,
        new.duration,
        new.justification,
    );
    let mut tx = pool.begin().await?;
    let Some(bundle) = db::grants::bundle(&mut *tx, org_id, new.bundle).await? else {
        return Err(AppError::invalid(
            "bundle",
            "Choose a role or permission set from the list.",
        ));
    };
    let duration = duration.check(
        today,
        bundle.max_grant_days,
        bundle.allow_no_end,
        &bundle.application,
    )?;
    let account_name = match account {
        None => None,
        Some(id) => Some(super::accounts::picked_name(&mut tx, org_id, id).await?),
    };
    if preview.adds.is_empty() {
        return Err(AppError::Conflict(format!(
            "{principal_name} already holds everything {} gives there.",
            bundle.name
        )));
    }
    if let Some(refused) = refusal(&preview.conflicts) {
        return Err(refused.into());
    }
    let conflicts = conflicts_json(&preview.conflicts);
    let id = Uuid::new_v4();
    let (role_id, permission_set_id) = bundle.columns(new.bundle);
    let (duration_days, valid_until) = duration.columns();
    db::requests::insert(
        &mut tx,
        org_id,
        &db::requests::NewRequest {
            id,
            requester,
            principal: new.principal,
            role_id,
            permission_set_id,
            account,
            justification,
            duration_days,
            valid_until,
            approvals_needed: preview.approvals_needed,
            risk: &preview.risk,
            high_impact: preview.adds.iter().any(|(_, high)| *high),
            sod_conflicts: &conflicts,
            renews_grant: None,
            adds: preview.adds.iter().map(|(k, _)| k.clone()).collect(),
        },
    )
    .await?;
    announce_created(
        &mut tx,
        actor,
        id,
        json!({
            "principal_id": new.principal, "principal": principal_name, "bundle": bundle.name,
            "application": bundle.application, "account_id": account, "account": account_name,
            "duration_days": duration_days, "valid_until": valid_until,
            "adds": preview.adds.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            "approvals_needed": preview.approvals_needed, "risk": preview.risk,
            "sod_conflicts": conflicts,
        }),
        justification,
    )
    .await?;
    tx.commit().await?;
    Ok((id, preview.approvals_needed))
}

/// Separation-of-duties conflicts as a request keeps them.
fn conflicts_json(conflicts: &[Conflict]) -> serde_json::Value {
    json!(conflicts
        .iter()
        .map(|c| json!({ "rule": c.rule, "mode": c.mode.as_str(), "account": c.account }))
        .collect::<Vec<_>>())
}

/// Where `principal` may decide requests.
pub async fn approver_scope(
    pool: &PgPool,
    org_id: Uuid,
    principal: Uuid,
) -> Result<ApproverScope, AppError> {
    let granted: Vec<_> = db::auth::console_grants(pool, org_id, principal)
        .await?
        .into_iter()
        .map(|(g, _)| g)
        .collect();
    let mut scope = ApproverScope::default();
    for e in effective_permissions(&granted, Utc::now())
        .into_iter()
        .filter(|e| e.permission == "requests.approve")
    {
        match e.account_id {
            None => scope.approves_everywhere = true,
            Some(account) => scope.approves_on.push(account),
        }
    }
    (scope.manages, scope.owns) =
        db::requests::answers_for(pool, org_id, principal, scope.approves_everywhere).await?;
    Ok(scope)
}

/// Records a new request's audit event and queues its `request.created` webhook event,
/// both carrying `details` (which names the principal and the bundle).
async fn announce_created(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    id: Uuid,
    details: serde_json::Value,
    justification: &str,
) -> Result<(), AppError> {
    let label = format!(
        "{} \u{2192} {}",
        details["principal"].as_str().unwrap_or_default(),
        details["bundle"].as_str().unwrap_or_default()
    );
    db::audit::record(
        tx,
        actor,
        Change {
            action: "request.created",
            target_type: "access_request",
            target_id: Some(id.to_string()),
            target_label: label,
            before: None,
            after: Some(details.clone()),
            reason: Some(justification.to_string()),
        },
    )
    .await?;
    let mut event = details;
    event["request_id"] = json!(id);
    event["justification"] = json!(justification);
    db::webhooks::enqueue(tx, actor.org_id, "request.created", event).await?;
    Ok(())
}

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
pub async fn renew(pool: &PgPool, actor: &Actor, me: Uuid, grant: Uuid) -> Result<Uuid, AppError> {
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
    let conflicts = super::sod::conflicts(
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
            "renews_grant_id": grant,
        }),
        &justification,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Rows the queue page shows at most.
pub const QUEUE_PAGE: i64 = 50;

/// The approver's queue, filtered, with what the filters may choose from.
pub async fn queue(
    pool: &PgPool,
    org_id: Uuid,
    me: Uuid,
    filter: &QueueFilter,
) -> Result<ApprovalQueue, AppError> {
    let scope = approver_scope(pool, org_id, me).await?;
    let (rows, total, applications, accounts) = tokio::try_join!(
        db::requests::queue(pool, org_id, me, &scope, filter, QUEUE_PAGE),
        db::requests::waiting_count(pool, org_id, me, &scope),
        db::roles::applications(pool, org_id),
        db::accounts::names(pool, org_id),
    )?;
    Ok(ApprovalQueue {
        rows,
        total,
        applications: applications
            .into_iter()
            .filter(|a| !a.is_console)
            .map(|a| (a.id, a.name))
            .collect(),
        accounts,
    })
}

/// How many requests wait for this approver (the navigation's badge).
pub async fn waiting(pool: &PgPool, org_id: Uuid, me: Uuid) -> Result<i64, AppError> {
    let scope = approver_scope(pool, org_id, me).await?;
    Ok(db::requests::waiting_count(pool, org_id, me, &scope).await?)
}

/// Decides several low-risk requests alike, each in its own transaction; one that is
/// not low-risk, or that cannot be decided, is left as it is and said why.
pub async fn decide_many(
    pool: &PgPool,
    actor: &Actor,
    me: Uuid,
    requests: &[Uuid],
    approve: bool,
    comment: &str,
) -> Result<BulkOutcome, AppError> {
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
        match decide(pool, actor, me, id, approve, comment).await {
            Ok(_) => outcome.decided += 1,
            Err(AppError::Internal { reference }) => return Err(AppError::Internal { reference }),
            Err(e) => outcome.refused.push((id, e.to_string())),
        }
    }
    Ok(outcome)
}

/// Approves or denies; answers the resulting status.
pub async fn decide(
    pool: &PgPool,
    actor: &Actor,
    me: Uuid,
    request_id: Uuid,
    approve: bool,
    comment: &str,
) -> Result<String, AppError> {
    let org_id = actor.org_id;
    let comment: String = comment.trim().chars().take(1000).collect();
    let scope = approver_scope(pool, org_id, me).await?;
    let mut tx = pool.begin().await?;
    let Some(request) = db::requests::lock(&mut tx, org_id, request_id).await? else {
        return Err(AppError::NotFound("There is no such request.".into()));
    };
    if request.status != "pending" {
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
            covered: scope.covers(request.account_id, bundle_id),
            approved_by,
            approvals_needed: request.approvals_needed,
        },
        approve,
        &comment,
    )?;
    db::requests::record_decision(&mut tx, org_id, request_id, (step, me), approve, &comment)
        .await?;
    let label = format!("{} \u{2192} {}", request.principal, request.bundle);
    let (action, status, grant_id) = match outcome {
        Outcome::AwaitsNextApprover => ("request.approved_step", "pending", None),
        Outcome::Denied => ("request.denied", "denied", None),
        Outcome::Approved => {
            if request.principal_status == "offboarded" {
                return Err(AppError::Conflict(format!(
                    "{} has been offboarded; access cannot be granted.",
                    request.principal
                )));
            }
            let now = Utc::now();
            let valid_until =
                RequestedDuration::from_columns(request.duration_days, request.valid_until)
                    .ends(now);
            if valid_until.is_some_and(|until| until <= now) {
                return Err(AppError::Conflict(
                    "The requested end date has passed; ask for a new request.".into(),
                ));
            }
            // A block rule made, or access granted, since the request was made.
            let conflicts = super::sod::conflicts(
                &mut tx,
                org_id,
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
                &mut tx,
                org_id,
                &db::grants::NewGrant {
                    principal_id: request.principal_id,
                    role_id: request.role_id,
                    permission_set_id: request.permission_set_id,
                    account_id: request.account_id,
                    valid_until,
                    granted_by: Some(me),
                    reason: &request.justification,
                    source_request_id: Some(request_id),
                },
            )
            .await?;
            db::audit::record(
                &mut tx,
                actor,
                Change {
                    action: "grant.created",
                    target_type: "grant",
                    target_id: Some(grant.to_string()),
                    target_label: label.clone(),
                    before: None,
                    after: Some(json!({
                        "principal": request.principal, "bundle": request.bundle,
                        "account_id": request.account_id, "valid_until": valid_until,
                        "request": request_id,
                    })),
                    reason: Some(request.justification.clone()),
                },
            )
            .await?;
            ("request.approved", "approved", Some(grant))
        }
    };
    if status != "pending" {
        db::requests::close(&mut tx, org_id, request_id, status, &comment, grant_id).await?;
    }
    db::audit::record(
        &mut tx,
        actor,
        Change {
            action,
            target_type: "access_request",
            target_id: Some(request_id.to_string()),
            target_label: label,
            before: Some(json!({ "status": "pending" })),
            after: Some(json!({ "status": status, "step": step, "grant": grant_id })),
            reason: (!comment.is_empty()).then_some(comment.clone()),
        },
    )
    .await?;
    if status != "pending" {
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

/// The requester withdraws a pending request.
pub async fn cancel(
    pool: &PgPool,
    actor: &Actor,
    me: Uuid,
    request_id: Uuid,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let request = db::requests::lock(&mut tx, actor.org_id, request_id)
        .await?
        .filter(|r| r.requester_id == me)
        .ok_or_else(|| AppError::NotFound("There is no such request of yours.".into()))?;
    if request.status != "pending" {
        return Err(AppError::Conflict(format!(
            "This request is already {}.",
            request.status
        )));
    }
    db::requests::close(&mut tx, actor.org_id, request_id, "cancelled", "", None).await?;
    db::audit::record(
        &mut tx,
        actor,
        Change {
            action: "request.cancelled",
            target_type: "access_request",
            target_id: Some(request_id.to_string()),
            target_label: format!("{} \u{2192} {}", request.principal, request.bundle),
            before: Some(json!({ "status": "pending" })),
            after: Some(json!({ "status": "cancelled" })),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

//! Asking for access and deciding on it. Approval creates the grant in the same
//! transaction as the decision and its audit events; the request row is locked while
//! it is decided, so two approvers at the same moment make one decision.

mod ask;
mod cancel;
mod decide;
mod queue;
mod renew;

pub use ask::{
    create, from_principal_token, mine, options, preview, requestable, submit, Filed, Submission,
    TokenAsk,
};
pub use cancel::cancel;
pub use decide::{decide, decide_many};
pub use queue::{queue, waiting, QUEUE_PAGE};
pub use renew::{expiring, renew};

use chrono::Utc;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::error::AppError;
use rules::audit::AuditAction;
use rules::effective::effective_permissions;
use rules::requests::ApproverScope;
use rules::sod::Conflict;

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
        Change::on(AuditAction::RequestCreated, id, label)
            .after(details.clone())
            .because(justification.to_string()),
    )
    .await?;
    let mut event = details;
    event["request_id"] = json!(id);
    event["justification"] = json!(justification);
    db::webhooks::enqueue(tx, actor.org_id, "request.created", event).await?;
    Ok(())
}

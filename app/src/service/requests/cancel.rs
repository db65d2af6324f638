//! Withdrawing one's own pending request.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::error::AppError;
use rules::audit::AuditAction;
use rules::requests::RequestStatus;

/// The requester withdraws a pending request.
pub async fn cancel(pool: &PgPool, actor: &Actor, request_id: Uuid) -> Result<(), AppError> {
    let me = crate::service::person(actor)?;
    let mut tx = pool.begin().await?;
    let request = db::requests::lock(&mut tx, actor.org_id, request_id)
        .await?
        .filter(|r| r.requester_id == me)
        .ok_or_else(|| AppError::NotFound("There is no such request of yours.".into()))?;
    if request.status != RequestStatus::Pending {
        return Err(AppError::Conflict(format!(
            "This request is already {}.",
            request.status
        )));
    }
    db::requests::close(
        &mut tx,
        actor.org_id,
        request_id,
        RequestStatus::Cancelled,
        "",
        None,
    )
    .await?;
    db::audit::record(
        &mut tx,
        actor,
        Change::on(
            AuditAction::RequestCancelled,
            request_id,
            format!("{} \u{2192} {}", request.principal, request.bundle),
        )
        .before(json!({ "status": RequestStatus::Pending }))
        .after(json!({ "status": RequestStatus::Cancelled })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

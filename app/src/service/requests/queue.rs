//! The approval queue: the requests waiting for an approver, and how many.

use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::error::AppError;
use crate::model::requests::{ApprovalQueue, QueueFilter};

use super::approver_scope;

/// Rows the queue page shows at most.
pub const QUEUE_PAGE: i64 = 50;

/// The approver's queue, filtered, with what the filters may choose from (the accounts
/// they approve on).
pub async fn queue(
    pool: &PgPool,
    org_id: Uuid,
    me: Uuid,
    filter: &QueueFilter,
) -> Result<ApprovalQueue, AppError> {
    let scope = approver_scope(pool, org_id, me).await?;
    let (rows, total, applications, mut accounts) = tokio::try_join!(
        db::requests::queue(pool, org_id, me, &scope, filter, QUEUE_PAGE),
        db::requests::waiting_count(pool, org_id, me, &scope),
        db::roles::applications(pool, org_id),
        db::accounts::names(pool, org_id),
    )?;
    accounts.retain(|(id, _)| scope.approves_everywhere || scope.approves_on.contains(id));
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

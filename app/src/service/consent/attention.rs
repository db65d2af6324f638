//! What waits for a DPO before any search: recent withdrawals and due requests.

use chrono::Utc;
use sqlx::PgPool;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::dsr::Show;
use crate::error::AppError;
use crate::model::consent::ConsentAttention;
use crate::model::dsr::with_urgency;
use rules::audit::AuditAction;
use rules::console::AccountScope;

/// The consent console's first screen: the ten latest withdrawals and the five most
/// urgent open data-subject requests within `scope`.
pub async fn attention(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
) -> Result<ConsentAttention, AppError> {
    let org_id = actor.org_id;
    let today = Utc::now().date_naive();
    let (withdrawals, requests, (open, overdue, _)) = tokio::try_join!(
        db::consent::recent_withdrawals(pool, org_id, scope.ids(), 10),
        db::dsr::list(pool, org_id, scope.ids(), (Show::Open, None), today, 5, 0),
        db::dsr::counts(pool, org_id, scope.ids(), today),
    )?;
    // Requests name their subjects: looking at them is on the trail, as on the DSR list.
    db::audit::record_alone(
        pool,
        actor,
        Change::about(AuditAction::SubjectRequestsListed, "data-subject requests")
            .after(serde_json::json!({ "view": "consent", "rows": requests.len() })),
    )
    .await?;
    Ok(ConsentAttention {
        withdrawals,
        requests: with_urgency(requests, today),
        open,
        overdue,
    })
}

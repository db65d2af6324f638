use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::reports::{BulkOutcome, DormantQuery, DormantReport};

#[server(endpoint = "reports/dormant")]
pub async fn load_dormant_report(query: DormantQuery) -> Result<DormantReport, AppError> {
    use crate::api::guard;
    use crate::domain::console::ConsolePermission;
    let caller = guard::authorize(ConsolePermission::ReportsView).await?;
    crate::service::reports::dormant(&guard::pool()?, caller.org_id, &query).await
}

/// `action` is `suspend` (needs principals.manage), `revoke_grants` or `review` (open
/// an access review of the selection's grants; both need grants.assign).
#[server(endpoint = "reports/act")]
pub async fn act_on_principals(
    action: String,
    reason: String,
    #[server(default)] principals: Vec<Uuid>,
) -> Result<BulkOutcome, AppError> {
    use crate::api::guard;
    use crate::domain::console::ConsolePermission;
    use crate::service::reports::{act, BulkAction};
    let caller = guard::authorize(ConsolePermission::ReportsView).await?;
    if action == "review" {
        if !caller.can(ConsolePermission::GrantsAssign) {
            return Err(AppError::Forbidden);
        }
        return crate::service::reviews::review_selection(
            &guard::pool()?,
            &caller,
            &principals,
            &reason,
        )
        .await;
    }
    let action = BulkAction::parse(&action)?;
    let needed = match action {
        BulkAction::Suspend => ConsolePermission::PrincipalsManage,
        BulkAction::RevokeGrants => ConsolePermission::GrantsAssign,
    };
    if !caller.can(needed) {
        return Err(AppError::Forbidden);
    }
    act(
        &guard::pool()?,
        &caller.actor(),
        action,
        &principals,
        &reason,
    )
    .await
}

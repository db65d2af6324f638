use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::reports::{BulkOutcome, DormantQuery, DormantReport, ReportQuery, ReportTable};
use rules::hygiene::Hygiene;

#[server(endpoint = "reports/dormant")]
pub async fn load_dormant_report(query: DormantQuery) -> Result<DormantReport, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<LoadDormantReport>().await?;
    let pool = guard::read_pool()?;
    crate::service::reports::dormant(&pool, caller.org_id, &caller.scope, &query).await
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
    use crate::service::reports::{act, BulkAction};
    use leptos::server_fn::ServerFn;
    let caller = guard::authorize_choice::<ActOnPrincipals>("action", &action).await?;
    let pool = guard::pool()?;
    crate::caller::reach_each(&pool, &caller, ActOnPrincipals::PATH, &principals).await?;
    if action == "review" {
        return crate::service::reviews::review_selection(&pool, &caller, &principals, &reason)
            .await;
    }
    let action = BulkAction::parse(&action)?;
    act(&pool, &caller.actor(), action, &principals, &reason).await
}

/// One page of a hygiene report (`rules::hygiene::Hygiene`).
#[server(endpoint = "reports/hygiene")]
pub async fn load_report(report: Hygiene, query: ReportQuery) -> Result<ReportTable, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<LoadReport>().await?;
    crate::service::hygiene::page(
        &guard::read_pool()?,
        caller.org_id,
        &caller.scope,
        report,
        &query,
    )
    .await
}

/// Sets the organisation's limit of client accounts per principal (client bleed).
#[server(endpoint = "reports/account-limit")]
pub async fn set_client_account_limit(limit: String) -> Result<i32, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<SetClientAccountLimit>().await?;
    crate::service::hygiene::set_account_limit(&guard::pool()?, &caller.actor(), &limit).await
}

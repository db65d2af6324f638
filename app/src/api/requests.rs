use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::requests::{
    AccessAsk, ApprovalQueue, BulkOutcome, ExpiringGrant, RequestOptions, RequestPreview,
    RequestRow,
};

#[server(endpoint = "requests/form")]
pub async fn load_request_form() -> Result<RequestOptions, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<LoadRequestForm>().await?;
    crate::service::requests::options(
        &guard::pool()?,
        caller.org_id,
        caller.principal_id,
        &caller.scope,
    )
    .await
}

/// What the grant would add to the principal's permissions; empty `account` = all.
#[server(endpoint = "requests/preview")]
pub async fn preview_request(
    principal: Uuid,
    bundle: Uuid,
    account: String,
) -> Result<RequestPreview, AppError> {
    use crate::api::guard;
    use crate::service::requests;
    let caller = guard::authorize::<PreviewRequest>().await?;
    let account = crate::service::accounts::parse_choice(&account)?;
    crate::caller::reach_accounts(&caller, account.as_slice())?;
    let pool = guard::pool()?;
    requests::requestable(&pool, caller.org_id, caller.principal_id, principal).await?;
    requests::preview(&pool, caller.org_id, principal, bundle, account).await
}

#[server(endpoint = "requests/create")]
pub async fn request_access(#[server(flatten)] ask: AccessAsk) -> Result<Uuid, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<RequestAccess>().await?;
    let account = crate::service::accounts::parse_choice(&ask.account)?;
    crate::caller::reach_accounts(&caller, account.as_slice())?;
    crate::service::requests::create(&guard::pool()?, &caller.actor(), &ask).await
}

#[server(endpoint = "requests/mine")]
pub async fn my_requests() -> Result<Vec<RequestRow>, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<MyRequests>().await?;
    crate::service::requests::mine(&guard::pool()?, caller.org_id, caller.principal_id).await
}

#[server(endpoint = "requests/cancel")]
pub async fn cancel_request(request: Uuid) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize_on::<CancelRequest>(request).await?;
    crate::service::requests::cancel(&guard::pool()?, &caller.actor(), request).await
}

/// The approver's queue. Each filter may be empty (any): `application` and `account`
/// are ids, `risk` a level, `requester` part of a name.
#[server(endpoint = "approvals/queue")]
pub async fn load_approval_queue(
    #[server(default)] application: String,
    #[server(default)] account: String,
    #[server(default)] risk: String,
    #[server(default)] requester: String,
) -> Result<ApprovalQueue, AppError> {
    use crate::api::guard;
    use crate::model::requests::QueueFilter;
    use rules::requests::RISK_LEVELS;
    let caller = guard::authorize::<LoadApprovalQueue>().await?;
    let id = |field: &str, raw: &str| -> Result<Option<Uuid>, AppError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        Uuid::parse_str(raw)
            .map(Some)
            .map_err(|_| AppError::invalid(field, "Choose from the list."))
    };
    let risk = risk.trim();
    if !risk.is_empty() && !RISK_LEVELS.contains(&risk) {
        return Err(AppError::invalid(
            "risk",
            "Choose a risk level from the list.",
        ));
    }
    let filter = QueueFilter {
        application: id("application", &application)?,
        account: id("account", &account)?,
        risk: (!risk.is_empty()).then(|| risk.to_string()),
        requester: Some(requester.trim().to_string()).filter(|r| !r.is_empty()),
    };
    crate::service::requests::queue(&guard::pool()?, caller.org_id, caller.principal_id, &filter)
        .await
}

/// How many requests wait for the caller (the navigation's badge).
#[server(endpoint = "approvals/count")]
pub async fn approval_count() -> Result<i64, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<ApprovalCount>().await?;
    crate::service::requests::waiting(&guard::pool()?, caller.org_id, caller.principal_id).await
}

/// Approves or denies several low-risk requests at once (a denial needs a comment).
#[server(endpoint = "approvals/decide-many")]
pub async fn decide_requests(
    #[server(default)] requests: Vec<Uuid>,
    approve: bool,
    #[server(default)] comment: String,
) -> Result<BulkOutcome, AppError> {
    use crate::api::guard;
    let caller = guard::authorize_on_each::<DecideRequests>(&requests).await?;
    crate::service::requests::decide_many(
        &guard::pool()?,
        &caller.actor(),
        &requests,
        approve,
        &comment,
        caller.step_up,
    )
    .await
}

/// Approves (`approve` true) or denies (with a comment); answers the request's status.
#[server(endpoint = "approvals/decide")]
pub async fn decide_request(
    request: Uuid,
    approve: bool,
    comment: String,
) -> Result<String, AppError> {
    use crate::api::guard;
    let caller = guard::authorize_on::<DecideRequest>(request).await?;
    crate::service::requests::decide(
        &guard::pool()?,
        &caller.actor(),
        request,
        (approve, &comment),
        caller.step_up,
    )
    .await
}

/// Grants ending within `days` (7 or 30) on the accounts and bundles the caller approves.
#[server(endpoint = "access/expiring")]
pub async fn load_expiring_grants(days: i32) -> Result<Vec<ExpiringGrant>, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<LoadExpiringGrants>().await?;
    crate::service::requests::expiring(&guard::pool()?, caller.org_id, caller.principal_id, days)
        .await
}

/// Asks for an ending grant to go on; another approver decides the request.
#[server(endpoint = "access/renew")]
pub async fn renew_grant(grant: Uuid) -> Result<Uuid, AppError> {
    use crate::api::guard;
    let caller = guard::authorize_on::<RenewGrant>(grant).await?;
    crate::service::requests::renew(&guard::pool()?, &caller.actor(), grant).await
}

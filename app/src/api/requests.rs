use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::requests::{RequestOptions, RequestPreview, RequestRow};

#[server(endpoint = "requests/form")]
pub async fn load_request_form() -> Result<RequestOptions, AppError> {
    use crate::api::guard;
    use crate::domain::console::ConsolePermission;
    let caller = guard::authorize(ConsolePermission::RequestsCreate).await?;
    crate::service::requests::options(&guard::pool()?, caller.org_id, caller.principal_id).await
}

/// What the grant would add to the principal's permissions; empty `account` = all.
#[server(endpoint = "requests/preview")]
pub async fn preview_request(
    principal: Uuid,
    bundle: Uuid,
    account: String,
) -> Result<RequestPreview, AppError> {
    use crate::api::guard;
    use crate::domain::console::ConsolePermission;
    use crate::service::requests;
    let caller = guard::authorize(ConsolePermission::RequestsCreate).await?;
    let pool = guard::pool()?;
    requests::requestable(&pool, caller.org_id, caller.principal_id, principal).await?;
    let account = crate::service::accounts::parse_choice(&account)?;
    requests::preview(&pool, caller.org_id, principal, bundle, account).await
}

/// `duration`: 1, 7, 30 or 90 (days), `date` (with `until`) or `none`.
#[server(endpoint = "requests/create")]
pub async fn request_access(
    principal: Uuid,
    bundle: Uuid,
    account: String,
    duration: String,
    until: String,
    justification: String,
) -> Result<Uuid, AppError> {
    use crate::api::guard;
    use crate::domain::console::ConsolePermission;
    use crate::service::requests::{create, NewRequest};
    let caller = guard::authorize(ConsolePermission::RequestsCreate).await?;
    let new = NewRequest {
        principal,
        bundle,
        account: &account,
        duration: &duration,
        until: &until,
        justification: &justification,
    };
    create(&guard::pool()?, &caller.actor(), caller.principal_id, &new).await
}

#[server(endpoint = "requests/mine")]
pub async fn my_requests() -> Result<Vec<RequestRow>, AppError> {
    use crate::api::guard;
    use crate::domain::console::ConsolePermission;
    let caller = guard::authorize(ConsolePermission::RequestsCreate).await?;
    Ok(crate::db::requests::mine(&guard::pool()?, caller.org_id, caller.principal_id).await?)
}

#[server(endpoint = "requests/cancel")]
pub async fn cancel_request(request: Uuid) -> Result<(), AppError> {
    use crate::api::guard;
    use crate::domain::console::ConsolePermission;
    let caller = guard::authorize(ConsolePermission::RequestsCreate).await?;
    crate::service::requests::cancel(
        &guard::pool()?,
        &caller.actor(),
        caller.principal_id,
        request,
    )
    .await
}

#[server(endpoint = "approvals/queue")]
pub async fn approval_queue() -> Result<Vec<RequestRow>, AppError> {
    use crate::api::guard;
    use crate::domain::console::ConsolePermission;
    let caller = guard::authorize(ConsolePermission::RequestsApprove).await?;
    let pool = guard::pool()?;
    let scope =
        crate::service::requests::approver_scope(&pool, caller.org_id, caller.principal_id).await?;
    Ok(crate::db::requests::queue(&pool, caller.org_id, caller.principal_id, &scope).await?)
}

/// Approves (`approve` true) or denies (with a comment); answers the request's status.
#[server(endpoint = "approvals/decide")]
pub async fn decide_request(
    request: Uuid,
    approve: bool,
    comment: String,
) -> Result<String, AppError> {
    use crate::api::guard;
    use crate::domain::console::ConsolePermission;
    let caller = guard::authorize(ConsolePermission::RequestsApprove).await?;
    crate::service::requests::decide(
        &guard::pool()?,
        &caller.actor(),
        caller.principal_id,
        request,
        approve,
        &comment,
    )
    .await
}

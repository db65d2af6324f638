//! The DPO's data-subject requests: DPOs handle them, Auditors read them.

use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::dsr::{DsrDetail, DsrList};

#[server(endpoint = "dsr/list")]
pub async fn list_requests(
    #[server(default)] show: String,
    #[server(default)] kind: String,
    #[server(default)] page: u32,
) -> Result<DsrList, AppError> {
    use crate::api::guard;
    use rules::console::ConsolePermission;
    let caller = guard::authorize::<ListRequests>().await?;
    let scope = caller.accounts(ConsolePermission::ConsentView);
    let can_manage = caller.can(ConsolePermission::DsrManage);
    crate::service::dsr::list(
        &guard::pool()?,
        &caller.actor(),
        &scope,
        (&show, &kind, page),
        can_manage,
    )
    .await
}

#[server(endpoint = "dsr/detail")]
pub async fn load_request(id: Uuid) -> Result<DsrDetail, AppError> {
    use crate::api::guard;
    use rules::console::ConsolePermission;
    let caller = guard::authorize::<LoadRequest>().await?;
    let scope = caller.accounts(ConsolePermission::ConsentView);
    let can_manage = caller.can(ConsolePermission::DsrManage);
    crate::service::dsr::detail(&guard::pool()?, &caller.actor(), &scope, id, can_manage).await
}

/// Opens a request for a subject; answers its id, and sends the browser to the request.
#[server(endpoint = "dsr/open")]
pub async fn open_request(
    subject: Uuid,
    kind: String,
    received_on: String,
    arrived_by: String,
    #[server(default)] details: String,
) -> Result<Uuid, AppError> {
    use crate::api::guard;
    use crate::service::dsr::{open, Opening};
    use rules::console::ConsolePermission;
    let caller = guard::authorize::<OpenRequest>().await?;
    let scope = caller.accounts(ConsolePermission::DsrManage);
    let form = Opening {
        kind: &kind,
        received_on: &received_on,
        arrived_by: &arrived_by,
        details: &details,
    };
    let pool = guard::pool()?;
    let opened = open(&pool, &caller.actor(), &scope, subject, &form).await?;
    leptos_axum::redirect(&format!("/dsr/{opened}"));
    Ok(opened)
}

/// Verify identity, start, complete or reject (`note`: the reason or what was done).
#[server(endpoint = "dsr/step")]
pub async fn request_step(
    id: Uuid,
    step: String,
    #[server(default)] note: String,
) -> Result<(), AppError> {
    use crate::api::guard;
    use rules::console::ConsolePermission;
    let caller = guard::authorize::<RequestStep>().await?;
    let scope = caller.accounts(ConsolePermission::DsrManage);
    crate::service::dsr::step(&guard::pool()?, &caller.actor(), &scope, id, &step, &note).await
}

#[server(endpoint = "dsr/extend")]
pub async fn extend_request(id: Uuid, to: String, reason: String) -> Result<(), AppError> {
    use crate::api::guard;
    use rules::console::ConsolePermission;
    let caller = guard::authorize::<ExtendRequest>().await?;
    let scope = caller.accounts(ConsolePermission::DsrManage);
    crate::service::dsr::extend(&guard::pool()?, &caller.actor(), &scope, id, &to, &reason).await
}

#[server(endpoint = "dsr/rectify")]
pub async fn rectify_subject(
    id: Uuid,
    #[server(default)] email: String,
    #[server(default)] name: String,
    #[server(default)] country: String,
) -> Result<(), AppError> {
    use crate::api::guard;
    use crate::service::dsr::{rectify, Correction};
    use rules::console::ConsolePermission;
    let caller = guard::authorize::<RectifySubject>().await?;
    let scope = caller.accounts(ConsolePermission::DsrManage);
    let form = Correction {
        email: &email,
        name: &name,
        country: &country,
    };
    rectify(&guard::pool()?, &caller.actor(), &scope, id, &form).await
}

#[server(endpoint = "dsr/erase")]
pub async fn erase_subject(id: Uuid, confirm: String) -> Result<(), AppError> {
    use crate::api::guard;
    use rules::console::ConsolePermission;
    let caller = guard::authorize::<EraseSubject>().await?;
    caller.step_up.check()?;
    let scope = caller.accounts(ConsolePermission::DsrManage);
    crate::service::dsr::erase(&guard::pool()?, &caller.actor(), &scope, id, &confirm).await
}

/// Sets the days requests may take; answers the new setting.
#[server(endpoint = "dsr/response-days")]
pub async fn set_response_days(days: String) -> Result<i64, AppError> {
    use crate::api::guard;
    use rules::console::AccountScope;
    use rules::console::ConsolePermission;
    let caller = guard::authorize::<SetResponseDays>().await?;
    // It holds for every account, so it is for those who handle requests in all of them.
    if caller.accounts(ConsolePermission::DsrManage) != AccountScope::Every {
        return Err(AppError::Forbidden);
    }
    crate::service::dsr::set_response_days(&guard::pool()?, &caller.actor(), &days).await
}

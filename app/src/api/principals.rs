use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::principals::{PrincipalDetail, PrincipalPage, PrincipalQuery};

#[server(endpoint = "principals/list")]
pub async fn list_principals(query: PrincipalQuery) -> Result<PrincipalPage, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<ListPrincipals>().await?;
    crate::service::principals::list(&guard::pool()?, caller.org_id, &caller.scope, &query).await
}

#[server(endpoint = "principals/detail")]
pub async fn load_principal(principal: Uuid) -> Result<PrincipalDetail, AppError> {
    use crate::api::guard;
    let caller = guard::authorize_on::<LoadPrincipal>(principal).await?;
    crate::service::principals::detail(&guard::pool()?, caller.org_id, &caller.scope, principal)
        .await
}

/// Saves a principal's attributes; `responsible` is the email of the manager (people)
/// or owner (bots, agents, integrations). Answers whether anything changed.
#[server(endpoint = "principals/update")]
pub async fn update_principal(
    principal: Uuid,
    display_name: String,
    job_title: String,
    employment_type: String,
    responsible: String,
    end_date: String,
) -> Result<bool, AppError> {
    use crate::api::guard;
    use crate::service::principal_admin::{update, RawEdit};
    let caller = guard::authorize_on::<UpdatePrincipal>(principal).await?;
    let raw = RawEdit {
        display_name: &display_name,
        job_title: &job_title,
        employment_type: &employment_type,
        responsible: &responsible,
        end_date: &end_date,
    };
    update(&guard::pool()?, &caller.actor(), principal, &raw).await
}

/// `status` is `suspended` or `active` (reactivate).
#[server(endpoint = "principals/status")]
pub async fn set_principal_status(
    principal: Uuid,
    status: String,
    reason: String,
) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize_on::<SetPrincipalStatus>(principal).await?;
    crate::service::principal_admin::set_status(
        &guard::pool()?,
        &caller.actor(),
        principal,
        &status,
        &reason,
    )
    .await
}

/// Removes another user's authenticator app and recovery codes (a lost phone), so that
/// they sign in with their password and set one up again.
#[server(endpoint = "principals/second-factor/reset")]
pub async fn reset_second_factor(principal: Uuid, reason: String) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize_on::<ResetSecondFactor>(principal).await?;
    crate::service::second_factor::reset(&guard::pool()?, &caller.actor(), principal, &reason).await
}

#[server(endpoint = "principals/account")]
pub async fn set_principal_account(
    principal: Uuid,
    account: Uuid,
    assigned: bool,
) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize_on::<SetPrincipalAccount>(account).await?;
    crate::service::principal_admin::set_account(
        &guard::pool()?,
        &caller.actor(),
        principal,
        account,
        assigned,
    )
    .await
}

use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::requests::{GrantInput, GrantOutcome};

/// Grants a role or permission set directly, or (for console roles and high-impact
/// access) files it as a request; an empty `account` means every account, an empty
/// `until` no end date.
#[server(endpoint = "grants/create")]
pub async fn grant_access(#[server(flatten)] grant: GrantInput) -> Result<GrantOutcome, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<GrantAccess>().await?;
    let account = crate::service::accounts::parse_choice(&grant.account)?;
    crate::caller::reach_accounts(&caller, account.as_slice())?;
    crate::service::grants::grant(&guard::pool()?, &caller.actor(), &grant).await
}

#[server(endpoint = "grants/revoke")]
pub async fn revoke_grant(grant: Uuid, reason: String) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize_on::<RevokeGrant>(grant).await?;
    crate::service::grants::revoke(&guard::pool()?, &caller.actor(), grant, &reason).await
}

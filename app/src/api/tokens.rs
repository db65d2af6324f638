use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::tokens::{CreatedToken, PrincipalTokens, TokensOverview};

#[server(endpoint = "tokens/overview")]
pub async fn load_tokens() -> Result<TokensOverview, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<LoadTokens>().await?;
    crate::service::tokens::overview(&guard::pool()?, caller.org_id).await
}

/// Answers the new token, shown this once.
#[server(endpoint = "tokens/create")]
pub async fn create_token(
    application: Uuid,
    name: String,
    #[server(default)] until: String,
) -> Result<CreatedToken, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<CreateToken>().await?;
    caller.step_up.check()?;
    crate::service::tokens::create(&guard::pool()?, &caller.actor(), application, &name, &until)
        .await
}

/// A provisioning token for the organisation's identity provider (SCIM); answers it,
/// shown this once.
#[server(endpoint = "tokens/create-provisioning")]
pub async fn create_provisioning_token(
    name: String,
    #[server(default)] until: String,
) -> Result<CreatedToken, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<CreateProvisioningToken>().await?;
    caller.step_up.check()?;
    crate::service::tokens::create_provisioning(&guard::pool()?, &caller.actor(), &name, &until)
        .await
}

#[server(endpoint = "tokens/revoke")]
pub async fn revoke_token(token: Uuid) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<RevokeToken>().await?;
    crate::service::tokens::revoke(&guard::pool()?, &caller.actor(), token).await
}

/// The tokens of an AI agent, bot or integration, on its page.
#[server(endpoint = "principals/tokens")]
pub async fn load_principal_tokens(principal: Uuid) -> Result<PrincipalTokens, AppError> {
    use crate::api::guard;
    let caller = guard::authorize_on::<LoadPrincipalTokens>(principal).await?;
    crate::service::tokens::of_principal(&guard::pool()?, caller.org_id, principal).await
}

/// A token of the principal's own; answers it, shown this once.
#[server(endpoint = "principals/tokens/create")]
pub async fn create_principal_token(
    principal: Uuid,
    application: Uuid,
    name: String,
    #[server(default)] until: String,
) -> Result<CreatedToken, AppError> {
    use crate::api::guard;
    let caller = guard::authorize_on::<CreatePrincipalToken>(principal).await?;
    caller.step_up.check()?;
    crate::service::tokens::create_for_principal(
        &guard::pool()?,
        &caller.actor(),
        principal,
        application,
        &name,
        &until,
    )
    .await
}

#[server(endpoint = "principals/tokens/revoke")]
pub async fn revoke_principal_token(principal: Uuid, token: Uuid) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize_on::<RevokePrincipalToken>(principal).await?;
    crate::service::tokens::revoke_bound(&guard::pool()?, &caller.actor(), token, Some(principal))
        .await
}

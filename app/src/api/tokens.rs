use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::tokens::{CreatedToken, TokensOverview};

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
    crate::service::tokens::create(&guard::pool()?, &caller.actor(), application, &name, &until)
        .await
}

#[server(endpoint = "tokens/revoke")]
pub async fn revoke_token(token: Uuid) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<RevokeToken>().await?;
    crate::service::tokens::revoke(&guard::pool()?, &caller.actor(), token).await
}

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::Account;

#[server(endpoint = "accounts/list")]
pub async fn list_accounts() -> Result<Vec<Account>, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<ListAccounts>().await?;
    crate::service::accounts::list(&guard::pool()?, caller.org_id, &caller.scope).await
}

#[server(endpoint = "accounts/create")]
pub async fn create_account(name: String, region: String) -> Result<Account, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<CreateAccount>().await?;
    crate::service::accounts::create_account(&guard::pool()?, &caller.actor(), &name, &region).await
}

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::lifecycle::LifecycleSettings;

#[server(endpoint = "lifecycle/settings")]
pub async fn load_lifecycle() -> Result<LifecycleSettings, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<LoadLifecycle>().await?;
    crate::service::lifecycle::settings(&guard::pool()?, caller.org_id).await
}

/// Names who takes over what a leaver owned when they have no manager (empty: nobody).
#[server(endpoint = "lifecycle/fallback-owner")]
pub async fn set_fallback_owner(#[server(default)] email: String) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<SetFallbackOwner>().await?;
    crate::service::lifecycle::set_fallback_owner(&guard::pool()?, &caller.actor(), &email).await
}

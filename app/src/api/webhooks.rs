use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::webhooks::{CreatedWebhook, WebhooksOverview};

#[server(endpoint = "webhooks/overview")]
pub async fn load_webhooks() -> Result<WebhooksOverview, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<LoadWebhooks>().await?;
    crate::service::webhooks::overview(&guard::pool()?, caller.org_id).await
}

/// Answers the new endpoint with its signing secret, shown this once.
#[server(endpoint = "webhooks/create")]
pub async fn create_webhook(
    url: String,
    #[server(default)] events: Vec<String>,
) -> Result<CreatedWebhook, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<CreateWebhook>().await?;
    crate::service::webhooks::create(
        &guard::pool()?,
        &caller.actor(),
        guard::webhook_destinations()?,
        &guard::secret_keys()?,
        &url,
        &events,
    )
    .await
}

#[server(endpoint = "webhooks/set-active")]
pub async fn set_webhook_active(webhook: Uuid, active: bool) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<SetWebhookActive>().await?;
    crate::service::webhooks::set_active(&guard::pool()?, &caller.actor(), webhook, active).await
}

#[server(endpoint = "webhooks/retry")]
pub async fn retry_delivery(delivery: Uuid) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<RetryDelivery>().await?;
    crate::service::webhooks::retry(&guard::pool()?, &caller.actor(), delivery).await
}

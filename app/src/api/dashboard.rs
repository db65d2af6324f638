use leptos::prelude::*;

use crate::error::AppError;
use crate::model::DashboardSummary;

#[server(endpoint = "dashboard/summary")]
pub async fn load_dashboard() -> Result<DashboardSummary, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<LoadDashboard>().await?;
    crate::service::dashboard::load(&guard::pool()?, caller.org_id, &caller.scope).await
}

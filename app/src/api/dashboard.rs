use leptos::prelude::*;

use crate::error::AppError;
use crate::model::DashboardSummary;

#[server(endpoint = "dashboard/summary")]
pub async fn load_dashboard() -> Result<DashboardSummary, AppError> {
    use crate::api::guard;
    use crate::domain::console::ConsolePermission;
    let caller = guard::authorize(ConsolePermission::DashboardView).await?;
    crate::service::dashboard::load(&guard::pool()?, caller.org_id).await
}

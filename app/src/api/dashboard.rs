use leptos::prelude::*;

use crate::error::AppError;
use crate::model::DashboardSummary;

#[server(endpoint = "dashboard/summary")]
pub async fn load_dashboard() -> Result<DashboardSummary, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<LoadDashboard>().await?;
    crate::service::dashboard::load(&guard::read_pool()?, caller.org_id, &caller.scope).await
}

/// How many seconds behind the read-heavy pages' figures may be, when they are read from
/// a standby more than a few seconds behind the primary; none otherwise.
#[server(endpoint = "reads/lag")]
pub async fn standby_lag() -> Result<Option<i64>, AppError> {
    use crate::api::guard;
    guard::authorize::<StandbyLag>().await?;
    Ok(guard::reads()?.lag_to_tell())
}

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{AuditPage, AuditQuery};

#[server(endpoint = "audit/events")]
pub async fn audit_events(query: AuditQuery) -> Result<AuditPage, AppError> {
    use crate::api::guard;
    use rules::console::ConsolePermission;
    let caller = guard::authorize::<AuditEvents>().await?;
    let scope = caller.accounts(ConsolePermission::AuditView);
    crate::service::audit_trail::page(&guard::read_pool()?, caller.org_id, &scope, &query).await
}

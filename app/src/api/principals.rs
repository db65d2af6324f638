use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::principals::{PrincipalDetail, PrincipalPage, PrincipalQuery};

#[server(endpoint = "principals/list")]
pub async fn list_principals(query: PrincipalQuery) -> Result<PrincipalPage, AppError> {
    use crate::api::guard;
    use crate::domain::console::ConsolePermission;
    let caller = guard::authorize(ConsolePermission::PrincipalsView).await?;
    crate::service::principals::list(&guard::pool()?, caller.org_id, &query).await
}

#[server(endpoint = "principals/detail")]
pub async fn load_principal(principal: Uuid) -> Result<PrincipalDetail, AppError> {
    use crate::api::guard;
    use crate::domain::console::ConsolePermission;
    let caller = guard::authorize(ConsolePermission::PrincipalsView).await?;
    crate::service::principals::detail(&guard::pool()?, caller.org_id, principal).await
}

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::access::{AccessChoices, ExplainQuery, Explanation, Holders, WhoQuery};

/// The permissions of the governed applications and the caller's accounts.
#[server(endpoint = "access/choices")]
pub async fn load_access_choices() -> Result<AccessChoices, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<LoadAccessChoices>().await?;
    crate::service::access::choices(&guard::pool()?, caller.org_id, &caller.scope).await
}

/// The decision on one question, with its path; none until a principal and a
/// permission are given.
#[server(endpoint = "access/explain")]
pub async fn explain_access(query: ExplainQuery) -> Result<Option<Explanation>, AppError> {
    use crate::api::guard;
    use leptos::server_fn::ServerFn;
    let caller = guard::authorize::<ExplainAccess>().await?;
    crate::service::access::explain(&guard::pool()?, &caller, ExplainAccess::PATH, &query).await
}

/// Who may do a permission on an account, with the grants that let them.
#[server(endpoint = "access/who")]
pub async fn who_has_access(query: WhoQuery) -> Result<Option<Holders>, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<WhoHasAccess>().await?;
    crate::service::access::who(&guard::pool()?, &caller, &query).await
}

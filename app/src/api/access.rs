use leptos::prelude::*;

use crate::error::AppError;
use uuid::Uuid;

use crate::model::access::{
    AccessChoices, ExplainQuery, Explanation, FieldsOverview, Holders, WhoQuery,
};

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

/// Each governed resource's fields and sensitivities, and each role's clearance.
#[server(endpoint = "access/fields")]
pub async fn load_fields() -> Result<FieldsOverview, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<LoadFields>().await?;
    crate::service::fields::overview(&guard::pool()?, caller.org_id).await
}

/// Declares a field of a resource, or changes its sensitivity.
#[server(endpoint = "access/fields/classify")]
pub async fn classify_field(
    /// `<application id>/<resource>`.
    resource: String,
    field: String,
    sensitivity: String,
    #[server(default)] special_category: Option<String>,
) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<ClassifyField>().await?;
    crate::service::fields::classify(
        &guard::pool()?,
        &caller.actor(),
        &resource,
        &field,
        &sensitivity,
        special_category.is_some(),
    )
    .await
}

#[server(endpoint = "access/fields/unclassify")]
pub async fn unclassify_field(
    /// `<application id>/<resource>`.
    resource: String,
    field: String,
) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<UnclassifyField>().await?;
    crate::service::fields::unclassify(&guard::pool()?, &caller.actor(), &resource, &field).await
}

/// The clearance a governed role or permission set gives (blank: internal).
#[server(endpoint = "access/clearance/bundle")]
pub async fn set_bundle_clearance(bundle: Uuid, clearance: String) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<SetBundleClearance>().await?;
    crate::service::fields::set_bundle_clearance(
        &guard::pool()?,
        &caller.actor(),
        bundle,
        &clearance,
    )
    .await
}

/// A principal's own clearance (blank: no limit of its own).
#[server(endpoint = "access/clearance/principal")]
pub async fn set_principal_clearance(principal: Uuid, clearance: String) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize_on::<SetPrincipalClearance>(principal).await?;
    crate::service::fields::set_principal_clearance(
        &guard::pool()?,
        &caller.actor(),
        principal,
        &clearance,
    )
    .await
}

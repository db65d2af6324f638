use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::roles::{BundleKind, RoleMatrix};

#[server(endpoint = "roles/matrix")]
pub async fn load_role_matrix(application: Option<Uuid>) -> Result<RoleMatrix, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<LoadRoleMatrix>().await?;
    crate::service::roles::matrix(&guard::pool()?, caller.org_id, application).await
}

/// Ticks or clears one cell; answers the cell's new state.
#[server(endpoint = "roles/set-permission")]
pub async fn set_bundle_permission(
    kind: BundleKind,
    bundle: Uuid,
    permission: Uuid,
    granted: bool,
) -> Result<bool, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<SetBundlePermission>().await?;
    crate::service::roles::set_permission(
        &guard::pool()?,
        &caller.actor(),
        kind,
        bundle,
        permission,
        granted,
    )
    .await
}

#[server(endpoint = "roles/create")]
pub async fn create_bundle(
    kind: BundleKind,
    application: Uuid,
    name: String,
    description: String,
) -> Result<Uuid, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<CreateBundle>().await?;
    crate::service::roles::create_bundle(
        &guard::pool()?,
        &caller.actor(),
        kind,
        application,
        &name,
        &description,
    )
    .await
}

#[server(endpoint = "roles/update")]
pub async fn update_bundle(
    kind: BundleKind,
    bundle: Uuid,
    name: String,
    description: String,
) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<UpdateBundle>().await?;
    crate::service::roles::update_bundle(
        &guard::pool()?,
        &caller.actor(),
        kind,
        bundle,
        &name,
        &description,
    )
    .await
}

#[server(endpoint = "roles/delete")]
pub async fn delete_bundle(kind: BundleKind, bundle: Uuid) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<DeleteBundle>().await?;
    crate::service::roles::delete_bundle(&guard::pool()?, &caller.actor(), kind, bundle).await
}

use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::roles::{BundleComparison, BundleKind, MatrixWindow, RoleMatrix};

/// One page of an application's matrix (the first application when none is named),
/// with two of its bundles compared (the first two when none are named).
#[server(endpoint = "roles/matrix")]
pub async fn load_role_matrix(
    application: Option<Uuid>,
    #[server(default)] kind: BundleKind,
    #[server(default)] window: MatrixWindow,
    #[server(default)] left: Option<Uuid>,
    #[server(default)] right: Option<Uuid>,
) -> Result<RoleMatrix, AppError> {
    use crate::api::guard;
    use crate::service::roles::{matrix, MatrixChoice};
    let caller = guard::authorize::<LoadRoleMatrix>().await?;
    let choice = MatrixChoice {
        application,
        kind,
        window,
        compared: (left, right),
    };
    matrix(&guard::pool()?, caller.org_id, &choice).await
}

/// Two roles (or two permission sets) side by side.
#[server(endpoint = "roles/compare")]
pub async fn compare_bundles(
    kind: BundleKind,
    left: Uuid,
    right: Uuid,
) -> Result<BundleComparison, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<CompareBundles>().await?;
    crate::service::roles::compare(&guard::pool()?, caller.org_id, kind, left, right).await
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

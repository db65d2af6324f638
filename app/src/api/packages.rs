use leptos::prelude::*;

use crate::error::AppError;
use crate::model::packages::{PackageInput, PackagesOverview};
use uuid::Uuid;

/// The packages in force, the requests waiting for the caller and theirs.
#[server(endpoint = "packages/overview")]
pub async fn load_packages() -> Result<PackagesOverview, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<LoadPackages>().await?;
    crate::service::packages::overview(&guard::pool()?, &caller).await
}

/// Makes a package (roles and permission sets, who it is for, who approves, how long).
#[server(endpoint = "packages/create")]
pub async fn create_package(package: PackageInput) -> Result<Uuid, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<CreatePackage>().await?;
    crate::service::packages::create(&guard::pool()?, &caller.actor(), &package).await
}

/// Retires a package: no new requests; those waiting are withdrawn.
#[server(endpoint = "packages/retire")]
pub async fn retire_package(package: Uuid) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<RetirePackage>().await?;
    crate::service::packages::retire(&guard::pool()?, &caller.actor(), package).await
}

/// Asks for a package for the caller or someone they manage or own.
#[server(endpoint = "packages/request")]
pub async fn request_package(
    package: Uuid,
    principal: Uuid,
    #[server(default)] days: String,
    #[server(default)] justification: String,
) -> Result<Uuid, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<RequestPackage>().await?;
    crate::service::packages::request(
        &guard::pool()?,
        &caller.actor(),
        (package, principal),
        &days,
        &justification,
    )
    .await
}

/// Approves (`approve` true) or denies (with a comment) the step of a package request
/// waiting for the caller; answers the request's status.
#[server(endpoint = "packages/decide")]
pub async fn decide_package(
    request: Uuid,
    #[server(default)] approve: bool,
    #[server(default)] comment: String,
) -> Result<String, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<DecidePackage>().await?;
    crate::service::packages::decide(
        &guard::pool()?,
        &caller.actor(),
        request,
        (approve, &comment),
        caller.step_up,
    )
    .await
}

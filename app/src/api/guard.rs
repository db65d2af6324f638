//! The guard of every server function: it resolves who is calling from the session and
//! lets them through only if the operations table admits them (deny by default).

use http::request::Parts;
use leptos::prelude::*;
use sqlx::PgPool;
use tower_sessions::Session;

use crate::caller::{caller_from_session, Caller, RequestOrigin};
use crate::error::AppError;

/// What the server hands to every server function through context.
#[derive(Clone)]
pub struct ServerState {
    pub pool: PgPool,
    /// Where webhook deliveries may go.
    pub webhook_destinations: rules::webhooks::Destinations,
    /// The keys webhook secrets are sealed with.
    pub secret_keys: crate::service::secrets::SecretKeys,
}

pub fn pool() -> Result<PgPool, AppError> {
    use_context::<ServerState>()
        .map(|s| s.pool)
        .ok_or_else(|| AppError::internal("server state is not in context"))
}

pub fn webhook_destinations() -> Result<rules::webhooks::Destinations, AppError> {
    use_context::<ServerState>()
        .map(|s| s.webhook_destinations)
        .ok_or_else(|| AppError::internal("server state is not in context"))
}

pub fn secret_keys() -> Result<crate::service::secrets::SecretKeys, AppError> {
    use_context::<ServerState>()
        .map(|s| s.secret_keys)
        .ok_or_else(|| AppError::internal("server state is not in context"))
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(AppError::internal)
}

pub fn request_origin() -> RequestOrigin {
    use_context::<Parts>()
        .map(|parts| RequestOrigin::from_parts(&parts))
        .unwrap_or_default()
}

/// The caller of the current server function, if signed in.
pub async fn current_caller() -> Result<Option<Caller>, AppError> {
    let pool = pool()?;
    let session = session().await?;
    caller_from_session(&pool, &session, request_origin()).await
}

/// The caller of server function `F`: let through only if the row of `F`'s path in the
/// operations table admits them.
pub async fn authorize<F: leptos::server_fn::ServerFn>() -> Result<Caller, AppError> {
    crate::caller::admit(F::PATH, current_caller().await?)
}

/// The caller of server function `F`, whose input field `field` chose `choice`: let
/// through only if `F`'s row admits them and the choice's permission is theirs too.
pub async fn authorize_choice<F: leptos::server_fn::ServerFn>(
    field: &str,
    choice: &str,
) -> Result<Caller, AppError> {
    crate::caller::admit_choice(F::PATH, Some((field, choice)), current_caller().await?)
}

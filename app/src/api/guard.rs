//! The guard of every server function: it resolves who is calling from the session and
//! lets them through only if the operations table admits them (deny by default).

use http::request::Parts;
use leptos::prelude::*;
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

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
    /// The site passkeys belong to, unless this address cannot have them.
    pub passkeys: Option<std::sync::Arc<webauthn_rs::prelude::Webauthn>>,
    /// Organisations' OpenID providers, as this instance knows them.
    pub sign_on: crate::service::sign_on::SignOn,
    /// Where the read-heavy pages read: a hot standby, when one is configured.
    pub reads: crate::service::replica::Reads,
}

pub fn pool() -> Result<PgPool, AppError> {
    use_context::<ServerState>()
        .map(|s| s.pool)
        .ok_or_else(|| AppError::internal("server state is not in context"))
}

/// The pool of the read-heavy pages (reports, the audit trail, the dashboard, consent
/// figures): the standby while it answers, else the primary. Never for a write, a
/// sign-in or an authorization decision.
pub fn read_pool() -> Result<PgPool, AppError> {
    use_context::<ServerState>()
        .map(|s| s.reads.pool(&s.pool))
        .ok_or_else(|| AppError::internal("server state is not in context"))
}

pub fn reads() -> Result<crate::service::replica::Reads, AppError> {
    use_context::<ServerState>()
        .map(|s| s.reads)
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

/// The site passkeys belong to; refused with what to do when this address has none.
pub fn passkeys() -> Result<std::sync::Arc<webauthn_rs::prelude::Webauthn>, AppError> {
    use_context::<ServerState>()
        .ok_or_else(|| AppError::internal("server state is not in context"))?
        .passkeys
        .ok_or_else(|| {
            AppError::Conflict(
                "Passkeys work only when the console is opened by its host name (for example localhost), not by an IP address.".into(),
            )
        })
}

pub fn sign_on() -> Result<crate::service::sign_on::SignOn, AppError> {
    use_context::<ServerState>()
        .map(|s| s.sign_on)
        .ok_or_else(|| AppError::internal("server state is not in context"))
}

pub fn passkeys_offered() -> bool {
    use_context::<ServerState>().is_some_and(|s| s.passkeys.is_some())
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

/// The caller of server function `F` acting on the object `target` names: let through
/// only if `F`'s row admits them and the object's accounts are within their reach.
pub async fn authorize_on<F: leptos::server_fn::ServerFn>(
    target: Uuid,
) -> Result<Caller, AppError> {
    authorize_on_each::<F>(&[target]).await
}

/// As `authorize_on`, for an operation on several objects: each must be within reach.
pub async fn authorize_on_each<F: leptos::server_fn::ServerFn>(
    targets: &[Uuid],
) -> Result<Caller, AppError> {
    let caller = authorize::<F>().await?;
    crate::caller::reach_each(&pool()?, &caller, F::PATH, targets).await?;
    Ok(caller)
}

/// The caller of server function `F` acting on the accounts its input chooses (none:
/// every account): let through only if `F`'s row admits them and they reach them all.
pub async fn authorize_for<F: leptos::server_fn::ServerFn>(
    accounts: &[Uuid],
) -> Result<Caller, AppError> {
    let caller = authorize::<F>().await?;
    crate::caller::reach_accounts(&caller, accounts)?;
    Ok(caller)
}

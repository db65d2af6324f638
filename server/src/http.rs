//! The HTTP surface: pages, server functions, the audit export, and the middleware in
//! front of them (sessions, sign-in for pages, cross-origin refusal, security headers).

use axum::serve::{ListenerExt, TapIo};
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};

use app::api::guard::ServerState;
use app::caller::{admit, caller_from_session, Caller, RequestOrigin, SessionAuth, SESSION_KEY};
use app::error::AppError;
use app::model::reports::{DormantQuery, ReportQuery};
use app::model::AuditQuery;
use app::service::consent::ProofFormat;
use app::service::decisions::Decider;
use app::service::replica::Reads;
use app::service::secrets::SecretKeys;
use app::service::sign_on::{Pending, SignOn, NOTICE_KEY, PENDING_KEY};
use app::{shell, App};
use axum::body::Body;
use axum::extract::{FromRef, MatchedPath, Path, Query, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use rules::console::ConsolePermission;
use rules::hygiene::Hygiene;
use rules::validation::{forbidden_character, forbidden_character_message, forbidden_in_json};
use rules::web_security;
use sqlx::PgPool;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

use crate::api_v1::api_error;
use crate::config::Config;

pub const SESSION_COOKIE: &str = "gatehouse_session";

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    /// The configured public origin, accepted on state-changing requests.
    pub public_origin: Option<String>,
    /// Served over https: browsers are told to use nothing else.
    pub https: bool,
    /// Answers the decision API, from this instance's copy of each policy.
    pub decider: Decider,
    /// Organisations' OpenID providers.
    pub sign_on: SignOn,
    pub secret_keys: SecretKeys,
    /// The bearer token `/metrics` answers to; none: no `/metrics`.
    pub metrics_token: Option<String>,
    /// Whether the database answers.
    pub database: crate::observe::DatabaseWatch,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

pub fn router(
    pool: PgPool,
    config: &Config,
    secret_keys: SecretKeys,
    leptos_options: LeptosOptions,
) -> Router {
    let leptos_options_addr = leptos_options.site_addr;
    let state = AppState {
        leptos_options,
        pool: pool.clone(),
        public_origin: config.public_url.clone(),
        https: config.is_https(),
        decider: Decider::cached(pool.clone()),
        sign_on: SignOn::new(
            config.public_url.as_deref(),
            leptos_options_addr.port(),
            config.sign_on_destinations(),
        ),
        secret_keys: secret_keys.clone(),
        metrics_token: config.metrics_token.clone(),
        database: crate::observe::DatabaseWatch::start(pool.clone()),
    };
    crate::observe::recorder();
    let sessions = SessionManagerLayer::new(PostgresStore::new(pool.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure_cookies(leptos_options_addr))
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(30)));
    // Server functions (registered under /api by `leptos_routes_with_context`) and
    // pages both receive the server state through this context.
    let webhook_destinations = config.webhook_destinations();
    let passkeys = match app::service::passkeys::relying_party(
        config.public_url.as_deref(),
        leptos_options_addr.port(),
    ) {
        Ok(rp) => Some(std::sync::Arc::new(rp)),
        Err(why) => {
            tracing::warn!(%why, "passkeys are off");
            None
        }
    };
    let sign_on = state.sign_on.clone();
    let reads = match config
        .read_database_url
        .as_deref()
        .map(crate::database::standby_pool)
    {
        Some(Ok(standby)) => Reads::standby(standby),
        Some(Err(e)) => {
            tracing::error!(error = %e, "reading from the primary only");
            Reads::primary_only()
        }
        None => Reads::primary_only(),
    };
    let context = move || {
        provide_context(ServerState {
            pool: pool.clone(),
            webhook_destinations,
            secret_keys: secret_keys.clone(),
            passkeys: passkeys.clone(),
            sign_on: sign_on.clone(),
            reads: reads.clone(),
        })
    };

    let reports = Hygiene::ALL
        .into_iter()
        .fold(Router::new(), |router, report| {
            router.route(
                &format!("/reports/{}.csv", report.slug()),
                get(move |State(state): State<AppState>, request: Request| {
                    export_report_csv(report, state, request)
                }),
            )
        });
    // The API's routes and its OpenAPI document come from one list.
    let (api, document) = crate::api_v1::routes();
    let document = (
        [(header::CONTENT_TYPE, "application/json")],
        crate::api_v1::to_json(&document),
    );
    Router::new()
        .merge(reports)
        .route("/audit/export.csv", get(export_audit_csv))
        .route("/audit/checkpoint.json", get(export_audit_checkpoint))
        .route(
            "/consent/{subject}/proof.json",
            get(|state, path, request| export_proof(state, path, request, ProofFormat::Json)),
        )
        .route(
            "/consent/{subject}/proof.csv",
            get(|state, path, request| export_proof(state, path, request, ProofFormat::Csv)),
        )
        .route("/reports/dormant.csv", get(export_dormant_csv))
        .route("/dsr/{request}/export.json", post(export_access))
        .merge(api)
        .merge(crate::scim::routes())
        .route(
            crate::api_v1::OPENAPI_PATH,
            get(move || std::future::ready(document.clone())),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(crate::observe::ready))
        .route("/metrics", get(crate::observe::metrics))
        .route("/auth/sso/start", get(sign_on_start))
        .route(app::service::sign_on::CALLBACK_PATH, get(sign_on_callback))
        .leptos_routes_with_context(&state, generate_route_list(App), context, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(server_fn_error_status))
        .layer(middleware::from_fn(screen_input))
        .layer(middleware::from_fn_with_state(
            crate::forms::Forms {
                secure_cookies: config.secure_cookies(leptos_options_addr),
            },
            crate::forms::answer_posted_forms,
        ))
        .layer(middleware::from_fn(crate::forms::hand_answer_to_page))
        .layer(middleware::from_fn(require_sign_in_for_pages))
        .layer(sessions)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            refuse_cross_origin_writes,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::observe::database_gate,
        ))
        .layer(middleware::from_fn(crate::observe::requests))
        .with_state(state)
}

#[derive(serde::Deserialize)]
struct SignOnStart {
    provider: String,
    next: Option<String>,
}

/// "Sign in with …": sends the person to the organisation's provider, keeping what the
/// answer must match (state, nonce, PKCE verifier) in this session only.
async fn sign_on_start(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<SignOnStart>,
) -> Response {
    let started = async {
        let org_id = uuid::Uuid::parse_str(query.provider.trim()).map_err(|_| {
            AppError::SignInRefused("Choose a provider from the sign-in page.".into())
        })?;
        let next = app::api::auth::safe_next(query.next.as_deref());
        let (url, pending) = state
            .sign_on
            .start(&state.pool, &state.secret_keys, org_id, next)
            .await?;
        session.insert(PENDING_KEY, pending).await?;
        Ok::<_, AppError>(url)
    };
    match started.await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(error) => back_to_sign_in(&session, error).await,
    }
}

#[derive(serde::Deserialize)]
struct SignOnAnswer {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Where the provider sends the person back. The sign-in waiting in this session is
/// taken (so an answer is used once), checked against the answer, and finished.
async fn sign_on_callback(
    State(state): State<AppState>,
    session: Session,
    parts: http::request::Parts,
    Query(answer): Query<SignOnAnswer>,
) -> Response {
    let finished = async {
        let Some(pending) = session.remove::<Pending>(PENDING_KEY).await? else {
            return Err(AppError::SignInRefused(
                "This sign-in was already finished, or was not started in this browser. Start again."
                    .into(),
            ));
        };
        if let Some(error) = answer.error.as_deref() {
            let said = error
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_')
                .then_some(error)
                .filter(|e| e.len() <= 40)
                .unwrap_or("an error");
            return Err(AppError::SignInRefused(format!(
                "The provider did not sign you in ({said}). Start again."
            )));
        }
        let (Some(code), Some(answer_state)) = (answer.code.as_deref(), answer.state.as_deref())
        else {
            return Err(AppError::SignInRefused(
                "The provider's answer is incomplete. Start again.".into(),
            ));
        };
        let next = pending.next.clone();
        let outcome = state
            .sign_on
            .finish(
                &state.pool,
                &state.secret_keys,
                pending,
                (code, answer_state),
                &RequestOrigin::from_parts(&parts),
            )
            .await?;
        app::api::auth::begin(&session, outcome, Some(&next)).await
    };
    match finished.await {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(error) => back_to_sign_in(&session, error).await,
    }
}

/// Back to the sign-in page, which says once why the sign-in did not go through.
async fn back_to_sign_in(session: &Session, error: AppError) -> Response {
    let notice = match &error {
        AppError::SignInRefused(message) => message.clone(),
        other => {
            tracing::error!(error = %other, "a sign-in through a provider failed");
            "The sign-in could not be finished. Try again in a moment.".to_string()
        }
    };
    if let Err(e) = session.insert(NOTICE_KEY, notice).await {
        tracing::error!(error = %e, "the sign-in notice could not be kept");
    }
    Redirect::to("/login").into_response()
}

/// Server-function errors leave the framework as 500s; give each the status its
/// `AppError` stands for (401, 403, 422…), so that only real faults are 500s.
async fn server_fn_error_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response
            .headers()
            .contains_key(leptos::server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Most a server function's arguments may weigh; every form of the console is far
/// smaller.
pub const SERVER_FN_BODY_LIMIT: usize = 256 * 1024;

/// One net under every input: text holding NUL or another control character is
/// refused before it reaches any handler (PostgreSQL cannot store NUL, and the others
/// only hide what a value says), and server-function bodies have a size limit. Looks at
/// the query string of every request and at the body of server functions; the
/// `/api/v1` batches are screened event by event instead.
async fn screen_input(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let server_fn = path.starts_with("/api/") && !path.starts_with("/api/v1/");
    let refuse = |error: AppError| {
        let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::BAD_REQUEST);
        if server_fn {
            (status, axum::Json(error)).into_response()
        } else if path.starts_with("/api/v1/") {
            api_error(status, &error.to_string())
        } else {
            (status, error.to_string()).into_response()
        }
    };
    if let Some(error) = request
        .uri()
        .query()
        .and_then(|q| forbidden_in_form(q.as_bytes()))
    {
        return refuse(error);
    }
    if !(server_fn && request.method() == Method::POST) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, SERVER_FN_BODY_LIMIT).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            axum::Json(AppError::BadRequest(format!(
                "the request is larger than {} kB; send less at once",
                SERVER_FN_BODY_LIMIT / 1024
            ))),
        )
            .into_response();
    };
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let problem = if json {
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| forbidden_in_json(&v))
            .map(|(field, c)| AppError::invalid(&field, forbidden_character_message(&field, c)))
    } else {
        forbidden_in_form(&bytes)
    };
    if let Some(error) = problem {
        return refuse(error);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The first field of a form-encoded text (a body or a query string) holding a
/// forbidden character, as the error naming it (`query[target]` is the field `target`).
fn forbidden_in_form(bytes: &[u8]) -> Option<AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes).ok()?;
    pairs.iter().find_map(|(key, value)| {
        let c = forbidden_character(key).or_else(|| forbidden_character(value))?;
        let field = key
            .rsplit('[')
            .next()
            .unwrap_or(key)
            .trim_end_matches(']')
            .to_string();
        Some(AppError::invalid(
            &field,
            forbidden_character_message(&field, c),
        ))
    })
}

fn error_response(error: AppError) -> Response {
    let status =
        StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, error.to_string()).into_response()
}

/// The signed-in caller of a plain HTTP route, let through if the operations table's row
/// for the route admits them; or the answer refusing the request.
async fn session_caller(
    state: &AppState,
    parts: &axum::http::request::Parts,
) -> Result<Caller, Response> {
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let Some(session) = parts.extensions.get::<Session>().cloned() else {
        return Err(error_response(AppError::Unauthenticated));
    };
    caller_from_session(&state.pool, &session, RequestOrigin::from_parts(parts))
        .await
        .and_then(|caller| admit(&route, caller))
        .map_err(error_response)
}

/// A file to save: `body` as `filename`, never cached.
fn attachment(content_type: &str, filename: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// A CSV download of a filtered view: the caller must be signed in and admitted by the
/// route's row in the operations table; the filters come from the query string.
async fn csv_export<Q, Fut>(
    state: AppState,
    request: Request,
    filename: &str,
    export: impl FnOnce(AppState, Caller, Q) -> Fut,
) -> Response
where
    Q: serde::de::DeserializeOwned,
    Fut: std::future::Future<Output = Result<String, AppError>>,
{
    let (parts, _) = request.into_parts();
    let caller = match session_caller(&state, &parts).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let query: Q = match serde_urlencoded::from_str(parts.uri.query().unwrap_or("")) {
        Ok(q) => q,
        Err(e) => return error_response(AppError::BadRequest(e.to_string())),
    };
    match export(state, caller, query).await {
        Ok(csv) => attachment("text/csv; charset=utf-8", filename, csv),
        Err(e) => error_response(e),
    }
}

/// `GET /audit/export.csv?actor=…&action=…&target=…&from=…&to=…`: the filtered trail.
async fn export_audit_csv(State(state): State<AppState>, request: Request) -> Response {
    let export = |state: AppState, caller: Caller, q: AuditQuery| async move {
        let scope = caller.accounts(ConsolePermission::AuditExport);
        app::service::audit_trail::export_csv(&state.pool, &caller.actor(), &scope, &q).await
    };
    csv_export(state, request, "audit-trail.csv", export).await
}

/// `GET /audit/checkpoint.json`: the latest signed checkpoint of the organisation's audit
/// chain, for a party outside to keep.
async fn export_audit_checkpoint(State(state): State<AppState>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let caller = match session_caller(&state, &parts).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    match app::service::audit_chain::latest_checkpoint(&state.pool, caller.org_id).await {
        Ok(checkpoint) => match serde_json::to_string_pretty(&checkpoint) {
            Ok(body) => attachment("application/json", "audit-checkpoint.json", body),
            Err(e) => error_response(AppError::internal(e)),
        },
        Err(e) => error_response(e),
    }
}

/// `GET /reports/dormant.csv?days=…&kind=…`: the filtered dormant report, every row.
async fn export_dormant_csv(State(state): State<AppState>, request: Request) -> Response {
    let export = |state: AppState, caller: Caller, q: DormantQuery| async move {
        app::service::reports::dormant_csv(&state.pool, &caller.actor(), &caller.scope, &q).await
    };
    csv_export(state, request, "dormant-principals.csv", export).await
}

/// `GET /reports/{report}.csv?days=…&application=…&kind=…`: a hygiene report's filtered
/// view, every row.
async fn export_report_csv(report: Hygiene, state: AppState, request: Request) -> Response {
    let export = move |state: AppState, caller: Caller, q: ReportQuery| async move {
        app::service::hygiene::csv(&state.pool, &caller.actor(), &caller.scope, report, &q).await
    };
    let filename = format!("{}.csv", report.slug());
    csv_export(state, request, &filename, export).await
}

/// `GET /consent/{subject}/proof.json` (or `.csv`): the subject's consent proof, every
/// event with every field; the export is audited.
async fn export_proof(
    State(state): State<AppState>,
    Path(subject): Path<String>,
    request: Request,
    format: ProofFormat,
) -> Response {
    let (parts, _) = request.into_parts();
    let caller = match session_caller(&state, &parts).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let Ok(subject) = uuid::Uuid::parse_str(&subject) else {
        return error_response(AppError::NotFound("There is no such data subject.".into()));
    };
    let scope = caller.accounts(ConsolePermission::ConsentView);
    match app::service::consent::proof(&state.pool, &caller.actor(), &scope, subject, format).await
    {
        Ok(body) => {
            let (content_type, name) = match format {
                ProofFormat::Json => ("application/json", format!("consent-proof-{subject}.json")),
                ProofFormat::Csv => (
                    "text/csv; charset=utf-8",
                    format!("consent-proof-{subject}.csv"),
                ),
            };
            attachment(content_type, &name, body)
        }
        Err(e) => error_response(e),
    }
}

/// `POST /dsr/{request}/export.json`: everything held about the subject of an access
/// request that is in progress; the download is audited and noted on the request (a
/// change of state, so never on a GET).
async fn export_access(
    State(state): State<AppState>,
    Path(request_id): Path<String>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let caller = match session_caller(&state, &parts).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let Ok(id) = uuid::Uuid::parse_str(&request_id) else {
        return error_response(AppError::NotFound(
            "There is no such data-subject request.".into(),
        ));
    };
    let scope = caller.accounts(ConsolePermission::DsrManage);
    match app::service::dsr::access_export(&state.pool, &caller.actor(), &scope, id).await {
        Ok(body) => attachment(
            "application/json",
            &format!("access-export-{id}.json"),
            body,
        ),
        Err(e) => error_response(e),
    }
}

/// Pages need a signed-in session: anonymous visitors go to `/login`, with the page
/// they wanted kept for afterwards. Assets, server functions and the sign-in page pass.
async fn require_sign_in_for_pages(session: Session, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    // The second step of a sign-in is for those who have given their password.
    if request.method() != Method::GET || !is_page(path) || path == "/login/code" {
        return next.run(request).await;
    }
    let fresh = session
        .get::<SessionAuth>(SESSION_KEY)
        .await
        .ok()
        .flatten()
        .is_some_and(|auth| auth.is_fresh(chrono::Utc::now()));
    if fresh {
        return next.run(request).await;
    }
    let wanted = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let query = serde_urlencoded::to_string([("next", wanted)]).unwrap_or_default();
    Redirect::to(&format!("/login?{query}")).into_response()
}

pub(crate) fn is_page(path: &str) -> bool {
    let last_segment = path.rsplit('/').next().unwrap_or("");
    !(path == "/login"
        || path == "/healthz"
        || path == "/readyz"
        || path == "/metrics"
        || path.starts_with("/auth/")
        || path.starts_with("/api/")
        || path.starts_with("/scim/")
        || path.starts_with("/pkg/")
        || last_segment.contains('.'))
}

/// State-changing requests must come from this site: browsers say where a request
/// comes from in `Sec-Fetch-Site` and `Origin`, and both are checked when present.
async fn refuse_cross_origin_writes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return cross_origin_refused();
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        let same_host = !host.is_empty()
            && (origin == format!("http://{host}") || origin == format!("https://{host}"));
        let public = state.public_origin.as_deref() == Some(origin);
        if !(same_host || public) {
            return cross_origin_refused();
        }
    }
    next.run(request).await
}

fn cross_origin_refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        "Requests that change data must come from the Gatehouse console itself.",
    )
        .into_response()
}

async fn security_headers(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    // Pages and API answers carry personal data: no cache may keep them.
    let path = request.uri().path();
    let private = is_page(path) || path.starts_with("/api/") || path.starts_with("/scim/");
    let nonce = app::PageNonce::default();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // A page lets its own scripts run, by the nonce its shell left (it has rendered
    // its first part by now); anything else runs nothing.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = match nonce.get() {
            Some(nonce) => HeaderValue::from_str(&web_security::page_policy(nonce)).ok(),
            None => None,
        };
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            policy.unwrap_or(HeaderValue::from_static(web_security::NON_PAGE_POLICY)),
        );
    }
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static(web_security::PERMISSIONS_POLICY),
    );
    if state.https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(web_security::STRICT_TRANSPORT_SECURITY),
        );
    }
    if private {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    response
}

/// Serves until Ctrl-C or SIGTERM.
/// Accepts connections with TCP_NODELAY set. Pages stream in several small writes;
/// without it each small write after the first waits for the browser's delayed
/// acknowledgement, about 40 ms on Linux.
pub fn without_nagle(listener: TcpListener) -> TapIo<TcpListener, fn(&mut TcpStream)> {
    fn no_delay(stream: &mut TcpStream) {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!("could not set TCP_NODELAY: {error}");
        }
    }
    listener.tap_io(no_delay as fn(&mut TcpStream))
}

pub async fn serve(router: Router, addr: SocketAddr) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    if local.ip().is_loopback() {
        // Passkeys are offered on a host name only, never on a bare IP address.
        tracing::info!(
            "Gatehouse listening on {local}: open http://localhost:{}",
            local.port()
        );
    } else {
        tracing::info!("Gatehouse listening on http://{local}");
    }
    axum::serve(
        without_nagle(listener),
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

//! The HTTP API for the governed systems, `/api/v1`: activity and consent feeds,
//! decisions, the two access questions, record filtering and requests from agents.
//! Every route is declared with its OpenAPI description beside it, so the router and
//! the document served at `/api/v1/openapi.json` are made from the same list.

pub mod schema;

use axum::extract::rejection::QueryRejection;
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use app::db::tokens::TokenCaller;
use app::error::AppError;

use crate::http::AppState;
use schema::{ActivityBatch, ConsentBatch, ErrorBody};

/// Where the document is served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gatehouse API",
        description = "What the governed systems send to Gatehouse and ask of it. Every \
                       endpoint takes `Authorization: Bearer gtk_…`: an application's token \
                       (made under API tokens) or, where said, the token of an AI agent, bot \
                       or integration (made on its page). Errors are `{\"error\": \"…\"}`."
    ),
    modifiers(&BearerTokens),
    tags(
        (name = "feeds", description = "Activity and consent events, in batches of up to 1,000."),
        (name = "access", description = "Decisions and the questions about who may do what."),
        (name = "agents", description = "What an AI agent, bot or integration asks for itself."),
    )
)]
struct Document;

/// The refusals of the endpoints that take a JSON body.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Described, never built: the handlers answer through `api_error`.
enum Batches {
    /// The body is not JSON, or not of this shape.
    #[response(status = 400)]
    NotJson(ErrorBody),
    /// No valid token.
    #[response(status = 401)]
    NoToken(ErrorBody),
    /// A token of the wrong kind for this endpoint.
    #[response(status = 403)]
    WrongToken(ErrorBody),
    /// The body is over 2 MB.
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// Nothing to do, more than 1,000 items, or a field that cannot be taken (named in
    /// the message).
    #[response(status = 422)]
    Unreadable(ErrorBody),
    /// The database is away; try again shortly.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// The refusals of the two questions.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Described, never built: the handlers answer through `api_error`.
enum Questions {
    /// The query string cannot be read.
    #[response(status = 400)]
    BadQuery(ErrorBody),
    /// No valid token.
    #[response(status = 401)]
    NoToken(ErrorBody),
    /// A token of the wrong kind, or a principal's token asking about another.
    #[response(status = 403)]
    WrongToken(ErrorBody),
    /// No such principal, permission or account.
    #[response(status = 404)]
    Unknown(ErrorBody),
    /// A name that cannot be read.
    #[response(status = 422)]
    Unreadable(ErrorBody),
    /// The database is away; try again shortly.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// Every operation takes a bearer token.
struct BearerTokens;

impl utoipa::Modify for BearerTokens {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("gtk_…")
                    .build(),
            ),
        );
        openapi.security = Some(vec![SecurityRequirement::new(
            "token",
            Vec::<String>::new(),
        )]);
    }
}

/// The OpenAPI document, as served.
pub fn document_json() -> String {
    to_json(&routes().1)
}

pub(crate) fn to_json(document: &utoipa::openapi::OpenApi) -> String {
    document
        .to_pretty_json()
        .expect("the OpenAPI document is JSON")
}

/// The `/api/v1` routes (state still to be given) and their OpenAPI document.
pub fn routes() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(Document::openapi())
        .routes(routes!(ingest_activity))
        .routes(routes!(ingest_consent))
        .routes(routes!(decide))
        .routes(routes!(principal_permissions))
        .routes(routes!(permission_holders))
        .routes(routes!(filter_records))
        .routes(routes!(ask_for_access))
        .split_for_parts()
}

/// A full batch of 1,000 events with long ids fits well within this.
const BATCH_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The token of a `/api/v1` request, or the answer refusing it: it must be valid and of
/// a kind the route's row in the operations table takes (a route without a row takes
/// none).
async fn token_caller(
    state: &AppState,
    headers: &HeaderMap,
    route: Option<&MatchedPath>,
) -> Result<TokenCaller, Response> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok());
    let caller = match app::service::tokens::authenticate(&state.pool, authorization).await {
        Ok(caller) => caller,
        Err(AppError::Unauthenticated) => {
            let mut response = api_error(
                StatusCode::UNAUTHORIZED,
                "Send a valid application token, or a principal's own: Authorization: Bearer \
                 gtk_\u{2026} (a Governance admin makes one under API tokens, or on an agent's \
                 page; it may have expired or been revoked, or its principal suspended).",
            );
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return Err(response);
        }
        Err(e) => return Err(api_error_from(e)),
    };
    let takes = route
        .and_then(|r| rules::operations::operation(r.as_str()))
        .and_then(|o| match o.needs {
            rules::operations::Needs::Token(tokens) => Some(tokens),
            _ => None,
        });
    match takes {
        Some(tokens) if tokens.takes(caller.principal_id.is_some()) => Ok(caller),
        Some(rules::operations::Tokens::Principal) => Err(api_error(
            StatusCode::FORBIDDEN,
            "This endpoint takes the token of an AI agent, bot or integration, made on its page.",
        )),
        _ => Err(api_error(
            StatusCode::FORBIDDEN,
            "This endpoint takes an application's token; a principal's own token may ask for \
             decisions and permissions about its principal, and ask for access.",
        )),
    }
}

/// The caller and body of a `/api/v1` batch: an application token checked before the
/// body is read, then a JSON body of at most 2 MB; or the answer refusing it.
async fn token_batch(
    state: &AppState,
    request: Request,
) -> Result<(TokenCaller, serde_json::Value), Response> {
    let (caller, body) = token_body(state, request).await?;
    match serde_json::from_slice(&body) {
        Ok(body) => Ok((caller, body)),
        Err(e) => Err(api_error(
            StatusCode::BAD_REQUEST,
            &format!("The body is not JSON: {e}."),
        )),
    }
}

/// The caller and the body's bytes, at most `BATCH_BODY_LIMIT` of them.
async fn token_body(
    state: &AppState,
    request: Request,
) -> Result<(TokenCaller, axum::body::Bytes), Response> {
    let (parts, body) = request.into_parts();
    let caller = token_caller(state, &parts.headers, parts.extensions.get::<MatchedPath>()).await?;
    match axum::body::to_bytes(body, BATCH_BODY_LIMIT).await {
        Ok(body) => Ok((caller, body)),
        Err(_) => Err(api_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The body is larger than 2 MB; send fewer events per batch.",
        )),
    }
}

/// `?account=` of the access questions: a name or id, or none for anywhere.
#[derive(serde::Deserialize)]
struct AccountQuery {
    account: Option<String>,
}

/// `GET /api/v1/principals/{principal}/permissions?account=`: what a principal may do.
#[utoipa::path(
    get,
    path = "/api/v1/principals/{principal}/permissions",
    tag = "access",
    params(
        ("principal" = String, Path, description = "An id, email or external id."),
        ("account" = Option<String>, Query, description = "An account's name or id; left out: anywhere."),
    ),
    responses(
        (status = 200, description = "Each permission the principal holds in the token's application there, with the grants in force that give it.", body = app::service::decisions::PermissionsAnswer),
        Questions,
    )
)]
async fn principal_permissions(
    State(state): State<AppState>,
    Path(principal): Path<String>,
    query: Result<Query<AccountQuery>, QueryRejection>,
    route: MatchedPath,
    headers: HeaderMap,
) -> Response {
    let (caller, query) = match token_and_query(&state, (&headers, &route), query).await {
        Ok(asked) => asked,
        Err(refused) => return refused,
    };
    let account = query.account.as_deref();
    answer(app::service::decisions::permissions_of(&state.pool, caller, &principal, account).await)
}

/// `GET /api/v1/permissions/{permission}/holders?account=`: who may do it.
#[utoipa::path(
    get,
    path = "/api/v1/permissions/{permission}/holders",
    tag = "access",
    params(
        ("permission" = String, Path, description = "`resource.action` of the token's application."),
        ("account" = Option<String>, Query, description = "An account's name or id; left out: anywhere."),
    ),
    responses(
        (status = 200, description = "The active principals who may do it there, each with the grants that give it.", body = app::service::decisions::HoldersAnswer),
        Questions,
    )
)]
async fn permission_holders(
    State(state): State<AppState>,
    Path(permission): Path<String>,
    query: Result<Query<AccountQuery>, QueryRejection>,
    route: MatchedPath,
    headers: HeaderMap,
) -> Response {
    let (caller, query) = match token_and_query(&state, (&headers, &route), query).await {
        Ok(asked) => asked,
        Err(refused) => return refused,
    };
    let account = query.account.as_deref();
    answer(app::service::decisions::holders(&state.pool, caller, &permission, account).await)
}

/// The token is checked first, then the query string; or the answer refusing either.
async fn token_and_query(
    state: &AppState,
    (headers, route): (&HeaderMap, &MatchedPath),
    query: Result<Query<AccountQuery>, QueryRejection>,
) -> Result<(TokenCaller, AccountQuery), Response> {
    let caller = token_caller(state, headers, Some(route)).await?;
    match query {
        Ok(Query(query)) => Ok((caller, query)),
        Err(_) => Err(api_error(
            StatusCode::BAD_REQUEST,
            "The query string cannot be read: give at most one account=<name or id>.",
        )),
    }
}

/// An answer as JSON, or its error.
fn answer<T: serde::Serialize>(answered: Result<T, AppError>) -> Response {
    match answered {
        Ok(answer) => axum::Json(answer).into_response(),
        Err(e) => api_error_from(e),
    }
}

/// `POST /api/v1/activity` with `Authorization: Bearer <application token>`: a batch of
/// activity events; the answer reports each event (see the README).
#[utoipa::path(
    post,
    path = "/api/v1/activity",
    tag = "feeds",
    request_body = ActivityBatch,
    responses(
        (status = 200, description = "Every event answered by its position: recorded, duplicate or rejected with the reason.", body = rules::activity::BatchReport),
        Batches,
    )
)]
async fn ingest_activity(State(state): State<AppState>, request: Request) -> Response {
    let (caller, body) = match token_batch(&state, request).await {
        Ok(batch) => batch,
        Err(refused) => return refused,
    };
    let answered = app::service::activity::ingest(&state.pool, caller, &body).await;
    ingested("activity", answered)
}

/// `POST /api/v1/consent-events`, authenticated the same way: a batch of consent events,
/// each answered likewise (see the README).
#[utoipa::path(
    post,
    path = "/api/v1/consent-events",
    tag = "feeds",
    request_body = ConsentBatch,
    responses(
        (status = 200, description = "Every event answered by its position: recorded, duplicate or rejected with the reason.", body = rules::activity::BatchReport),
        Batches,
    )
)]
async fn ingest_consent(State(state): State<AppState>, request: Request) -> Response {
    let (caller, body) = match token_batch(&state, request).await {
        Ok(batch) => batch,
        Err(refused) => return refused,
    };
    let answered = app::service::consent::ingest(&state.pool, caller, &body).await;
    ingested("consent", answered)
}

/// `POST /api/v1/decisions`, authenticated the same way: up to 1,000 checks, each
/// answered allowed or not with its reasons, and the organisation's policy version.
#[utoipa::path(
    post,
    path = "/api/v1/decisions",
    tag = "access",
    request_body = app::service::decisions::Checks,
    responses(
        (status = 200, description = "Each check answered in its place, allowed or not with its reasons (or an error of its own), and the policy version decided on.", body = app::service::decisions::Answers),
        Batches,
    )
)]
async fn decide(State(state): State<AppState>, request: Request) -> Response {
    let (caller, body) = match token_body(&state, request).await {
        Ok(batch) => batch,
        Err(refused) => return refused,
    };
    match state.decider.decide_batch(caller, &body).await {
        Ok(answer) => {
            use app::service::decisions::Answer;
            for decision in &answer.decisions {
                let outcome = match decision {
                    Answer::Decided { allowed: true, .. } => "allowed",
                    Answer::Decided { allowed: false, .. } => "denied",
                    Answer::Refused { .. } => "refused",
                };
                metrics::counter!("gatehouse_decisions_total", "outcome" => outcome).increment(1);
            }
            axum::Json(answer).into_response()
        }
        Err(e) => {
            metrics::counter!("gatehouse_decision_batches_refused_total").increment(1);
            api_error_from(e)
        }
    }
}

/// Answers an ingestion batch, counting its events by outcome (and refused batches).
fn ingested(
    kind: &'static str,
    answered: Result<rules::activity::BatchReport, AppError>,
) -> Response {
    match answered {
        Ok(report) => {
            for (outcome, count) in [
                ("recorded", report.recorded),
                ("duplicate", report.duplicates),
                ("rejected", report.rejected),
            ] {
                metrics::counter!("gatehouse_ingested_events_total", "kind" => kind, "outcome" => outcome)
                    .increment(count as u64);
            }
            axum::Json(report).into_response()
        }
        Err(e) => {
            metrics::counter!("gatehouse_ingest_batches_refused_total", "kind" => kind)
                .increment(1);
            api_error_from(e)
        }
    }
}

/// `POST /api/v1/requests` with the token of an AI agent, bot or integration: it asks for
/// access for itself; people decide.
#[utoipa::path(
    post,
    path = "/api/v1/requests",
    tag = "agents",
    request_body = app::service::requests::TokenAsk,
    responses(
        (status = 201, description = "A pending request, for people to decide.", body = app::service::requests::Filed),
        Batches,
        (status = 409, description = "Ten of its requests are waiting already.", body = ErrorBody),
    )
)]
async fn ask_for_access(State(state): State<AppState>, request: Request) -> Response {
    let (caller, body) = match token_batch(&state, request).await {
        Ok(batch) => batch,
        Err(refused) => return refused,
    };
    match app::service::requests::from_principal_token(&state.pool, &caller, &body).await {
        Ok(answer) => (StatusCode::CREATED, axum::Json(answer)).into_response(),
        Err(e) => api_error_from(e),
    }
}

/// `POST /api/v1/filter`: records with every field their reader may not see removed.
#[utoipa::path(
    post,
    path = "/api/v1/filter",
    tag = "access",
    request_body = app::service::decisions::FilterRequest,
    responses(
        (status = 200, description = "The records with every field the reader may not see removed, and why; or not allowed, with no record.", body = app::service::decisions::Filtered),
        Batches,
    )
)]
async fn filter_records(State(state): State<AppState>, request: Request) -> Response {
    let (caller, body) = match token_batch(&state, request).await {
        Ok(batch) => batch,
        Err(refused) => return refused,
    };
    answer(app::service::decisions::filter(&state.pool, caller, &body).await)
}

/// Errors of the `/api/v1` endpoints: `{"error": "…"}` with the fitting status.
pub(crate) fn api_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

fn api_error_from(error: AppError) -> Response {
    let status =
        StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    api_error(status, &error.to_string())
}

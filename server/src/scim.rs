//! `/scim/v2`: SCIM 2.0 for the organisation's identity provider. Each request shows a
//! provisioning token before anything is read; answers and refusals are
//! `application/scim+json`, refusals in SCIM's error shape.

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use serde_json::Value;
use sqlx::pool::PoolConnection;
use sqlx::Postgres;
use uuid::Uuid;

use app::service::scim::listing::{ListQuery, Projection};
use app::service::scim::query::Resource;
use app::service::scim::{discovery, groups, users, Provisioner, ScimFailure, MAX_BODY};

use crate::http::AppState;

const CONTENT_TYPE: &str = "application/scim+json";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/scim/v2/ServiceProviderConfig",
            get(service_provider_config),
        )
        .route("/scim/v2/ResourceTypes", get(resource_types))
        .route("/scim/v2/ResourceTypes/{id}", get(resource_type))
        .route("/scim/v2/Schemas", get(schemas))
        .route("/scim/v2/Schemas/{id}", get(schema))
        .route(
            "/scim/v2/Users",
            get(|State(state), request| list_resources(state, request, Resource::User))
                .post(|State(state), request| create_resource(state, request, Resource::User)),
        )
        .route(
            "/scim/v2/Groups",
            get(|State(state), request| list_resources(state, request, Resource::Group))
                .post(|State(state), request| create_resource(state, request, Resource::Group)),
        )
        .route(
            "/scim/v2/Groups/{id}",
            get(|State(state), Path(id), request| {
                read_resource(state, id, request, Resource::Group)
            })
            .put(|State(state), Path(id), request| {
                change_resource(state, id, request, Change::ReplaceGroup)
            })
            .patch(|State(state), Path(id), request| {
                change_resource(state, id, request, Change::PatchGroup)
            })
            .delete(|State(state), Path(id), headers| {
                delete_resource(state, id, headers, Resource::Group)
            }),
        )
        .route("/scim/v2/{*rest}", any(nothing_here))
        .route(
            "/scim/v2/Users/{id}",
            get(|State(state), Path(id), request| {
                read_resource(state, id, request, Resource::User)
            })
            .put(|State(state), Path(id), request| {
                change_resource(state, id, request, Change::Replace)
            })
            .patch(|State(state), Path(id), request| {
                change_resource(state, id, request, Change::Patch)
            })
            .delete(|State(state), Path(id), headers| {
                delete_resource(state, id, headers, Resource::User)
            }),
        )
}

fn answer(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// A resource's representation, with its version as the `ETag` (and its `Location` when
/// it was just made).
fn resource_answer(status: StatusCode, user: &Value) -> Response {
    let mut response = answer(status, user);
    let headers = response.headers_mut();
    if let Ok(tag) = HeaderValue::from_str(&users::version_of(user)) {
        headers.insert(header::ETAG, tag);
    }
    if status == StatusCode::CREATED {
        if let Some(Ok(at)) = user["meta"]["location"].as_str().map(HeaderValue::from_str) {
            headers.insert(header::LOCATION, at);
        }
    }
    response
}

fn refusal(failure: ScimFailure) -> Response {
    let status = StatusCode::from_u16(failure.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = answer(status, &failure.to_json());
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// The identity provider behind the request's token, the service's base URL, and the
/// connection the token was checked on (the request's work goes on there: one trip to
/// the pool, not two).
async fn provisioner(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(Provisioner, PoolConnection<Postgres>), Response> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let (token, conn) = app::service::tokens::authenticate_provisioning(&state.pool, authorization)
        .await
        .map_err(|e| refusal(e.into()))?;
    let origin = state.public_origin.clone().unwrap_or_else(|| {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
            })
            .unwrap_or("localhost");
        format!("http://{host}")
    });
    let who = Provisioner {
        org_id: token.org_id,
        token_id: token.token_id,
        maker: token.maker,
        base: format!("{}/scim/v2", origin.trim_end_matches('/')),
        failsafe: true,
    };
    Ok((who, conn))
}

/// The caller, then the JSON body (at most [`MAX_BODY`] bytes). The body is taken before
/// a connection is, so that a slow sender holds none; a caller without a valid token
/// still hears that first.
async fn with_body(
    state: &AppState,
    request: Request,
) -> Result<(Provisioner, PoolConnection<Postgres>, HeaderMap, Value), Response> {
    let (parts, body) = request.into_parts();
    let taken = axum::body::to_bytes(body, MAX_BODY).await;
    let (who, conn) = provisioner(state, &parts.headers).await?;
    let Ok(bytes) = taken else {
        return Err(refusal(ScimFailure::new(
            413,
            Some("tooLarge"),
            format!("The body is larger than {MAX_BODY} bytes."),
        )));
    };
    let body = serde_json::from_slice(&bytes).map_err(|e| {
        refusal(ScimFailure::invalid_syntax(format!(
            "The body is not JSON: {e}."
        )))
    })?;
    Ok((who, conn, parts.headers, body))
}

/// A list request's query string.
fn list_query(request: &Request) -> Result<ListQuery, ScimFailure> {
    serde_urlencoded::from_str(request.uri().query().unwrap_or_default()).map_err(|_| {
        ScimFailure::invalid_syntax(
            "The query string could not be read; use filter, startIndex, count, sortBy, sortOrder, attributes and excludedAttributes.",
        )
    })
}

fn if_match(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A user's or group's id from the path; one that is not an id names nothing.
fn resource_id(id: &str, kind: Resource) -> Result<Uuid, ScimFailure> {
    Uuid::parse_str(id).map_err(|_| match kind {
        Resource::User => ScimFailure::not_found(),
        Resource::Group => ScimFailure::new(404, None, "There is no such group."),
    })
}

fn done(result: Result<Response, ScimFailure>) -> Response {
    result.unwrap_or_else(refusal)
}

/// Any other path under `/scim/v2`: a SCIM 404 for the provisioning token, after the
/// same check as every other.
async fn nothing_here(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match provisioner(&state, &headers).await {
        Ok(_) => refusal(ScimFailure::new(
            404,
            None,
            "There is nothing at this path. The service offers /Users, /Groups, /ServiceProviderConfig, /ResourceTypes and /Schemas.",
        )),
        Err(refused) => refused,
    }
}

async fn service_provider_config(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match provisioner(&state, &headers).await {
        Ok((who, _)) => answer(
            StatusCode::OK,
            &discovery::service_provider_config(&who.base),
        ),
        Err(refused) => refused,
    }
}

async fn resource_types(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match provisioner(&state, &headers).await {
        Ok((who, _)) => answer(
            StatusCode::OK,
            &discovery::list(discovery::resource_types(&who.base)),
        ),
        Err(refused) => refused,
    }
}

async fn resource_type(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match provisioner(&state, &headers).await {
        Ok((who, _)) => match discovery::resource_types(&who.base)
            .into_iter()
            .find(|t| t["id"] == id.as_str())
        {
            Some(t) => answer(StatusCode::OK, &t),
            None => refusal(ScimFailure::new(
                404,
                None,
                "The resource types are User and Group.",
            )),
        },
        Err(refused) => refused,
    }
}

async fn schemas(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match provisioner(&state, &headers).await {
        Ok((who, _)) => answer(
            StatusCode::OK,
            &discovery::list(discovery::schemas(&who.base)),
        ),
        Err(refused) => refused,
    }
}

async fn schema(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match provisioner(&state, &headers).await {
        Ok((who, _)) => match discovery::schemas(&who.base).into_iter().find(|s| {
            s["id"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(&id))
        }) {
            Some(s) => answer(StatusCode::OK, &s),
            None => refusal(ScimFailure::new(
                404,
                None,
                format!("There is no schema {id}."),
            )),
        },
        Err(refused) => refused,
    }
}

/// `?attributes=` and `?excludedAttributes=` of a single read.
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Shown {
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

/// `GET /Users/{id}` or `GET /Groups/{id}`, with `attributes`/`excludedAttributes`.
async fn read_resource(state: AppState, id: String, request: Request, kind: Resource) -> Response {
    let (who, mut conn) = match provisioner(&state, request.headers()).await {
        Ok(taken) => taken,
        Err(refused) => return refused,
    };
    let shown: Shown =
        serde_urlencoded::from_str(request.uri().query().unwrap_or_default()).unwrap_or_default();
    done(
        async {
            let id = resource_id(&id, kind)?;
            let projection = Projection::new(
                shown.attributes.as_deref(),
                shown.excluded_attributes.as_deref(),
            )?;
            let resource = match kind {
                Resource::User => users::read(&mut *conn, &who, id).await?,
                Resource::Group => groups::read(&mut conn, &who, id).await?,
            };
            let mut response = resource_answer(StatusCode::OK, &resource);
            *response.body_mut() = projection.apply(resource).to_string().into();
            Ok(response)
        }
        .await,
    )
}

/// How a `PUT` or `PATCH` changes a user or a group.
#[derive(Clone, Copy)]
enum Change {
    Replace,
    Patch,
    ReplaceGroup,
    PatchGroup,
}

async fn change_resource(
    state: AppState,
    id: String,
    request: Request,
    change: Change,
) -> Response {
    let (who, mut conn, headers, body) = match with_body(&state, request).await {
        Ok(taken) => taken,
        Err(refused) => return refused,
    };
    let kind = match change {
        Change::Replace | Change::Patch => Resource::User,
        Change::ReplaceGroup | Change::PatchGroup => Resource::Group,
    };
    let id = match resource_id(&id, kind) {
        Ok(id) => id,
        Err(failure) => return refusal(failure),
    };
    let if_match = if_match(&headers);
    let if_match = if_match.as_deref();
    let changed = match change {
        Change::Replace => users::replace(&mut conn, &who, id, &body, if_match).await,
        Change::Patch => users::patch(&mut conn, &who, id, &body, if_match).await,
        Change::ReplaceGroup => groups::replace(&mut conn, &who, id, &body, if_match).await,
        Change::PatchGroup => groups::patch(&mut conn, &who, id, &body, if_match).await,
    };
    done(changed.map(|user| resource_answer(StatusCode::OK, &user)))
}

/// `GET /Users` or `GET /Groups`.
async fn list_resources(state: AppState, request: Request, kind: Resource) -> Response {
    let (who, mut conn) = match provisioner(&state, request.headers()).await {
        Ok(taken) => taken,
        Err(refused) => return refused,
    };
    let q = match list_query(&request) {
        Ok(q) => q,
        Err(failure) => return refusal(failure),
    };
    let listed = match kind {
        Resource::User => users::list(&mut conn, &who, &q).await,
        Resource::Group => groups::list(&mut conn, &who, &q).await,
    };
    done(listed.map(|list| answer(StatusCode::OK, &list)))
}

/// `POST /Users` or `POST /Groups`.
async fn create_resource(state: AppState, request: Request, kind: Resource) -> Response {
    let (who, mut conn, _, body) = match with_body(&state, request).await {
        Ok(taken) => taken,
        Err(refused) => return refused,
    };
    let created = match kind {
        Resource::User => users::create(&mut conn, &who, &body).await,
        Resource::Group => groups::create(&mut conn, &who, &body).await,
    };
    done(created.map(|made| resource_answer(StatusCode::CREATED, &made)))
}

/// `DELETE /Users/{id}` or `DELETE /Groups/{id}`.
async fn delete_resource(
    state: AppState,
    id: String,
    headers: HeaderMap,
    kind: Resource,
) -> Response {
    let (who, mut conn) = match provisioner(&state, &headers).await {
        Ok(taken) => taken,
        Err(refused) => return refused,
    };
    let id = match resource_id(&id, kind) {
        Ok(id) => id,
        Err(failure) => return refusal(failure),
    };
    let if_match = if_match(&headers);
    let deleted = match kind {
        Resource::User => users::delete(&mut conn, &who, id, if_match.as_deref()).await,
        Resource::Group => groups::delete(&mut conn, &who, id, if_match.as_deref()).await,
    };
    done(deleted.map(|()| StatusCode::NO_CONTENT.into_response()))
}

//! What operators watch: a request id on every answer and on each log line written
//! while answering, Prometheus metrics (`/metrics`, behind a token), and the health and
//! readiness checks (`/healthz`, `/readyz`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use rules::web_security;
use tracing::Instrument;

use crate::http::AppState;

/// The header that carries a request's id, in and out.
pub const REQUEST_ID: &str = "x-request-id";

/// Upper bounds of the latency buckets, in seconds.
const SECONDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's metrics: installed once, shared by every router in the process.
pub fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
            .expect("the buckets are not empty")
            .install_recorder()
            .expect("no other metrics recorder is installed");
        // Histograms keep their samples until upkeep folds them into buckets: do it
        // whether or not anyone scrapes.
        let upkeep = handle.clone();
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_secs(5));
            upkeep.run_upkeep();
        });
        handle
    })
}

/// An id given by the caller is kept when it is short and plain; else a new one.
fn request_id(request: &Request) -> String {
    request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            (1..=64).contains(&id.len())
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

/// Gives each request its id (in the log lines written while it is answered, in the
/// reference of an internal error, and in the `X-Request-Id` answer header), and counts
/// and times it by route, method and status.
pub async fn requests(request: Request, next: Next) -> Response {
    let id = request_id(&request);
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("other", |p| p.as_str())
        .to_string();
    let method = request.method().as_str().to_string();
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route);
    let started = Instant::now();
    let mut response = app::error::REQUEST_ID
        .scope(id.clone(), next.run(request))
        .instrument(span)
        .await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("gatehouse_http_requests_total",
        "route" => route.clone(), "method" => method.clone(), "status" => status)
    .increment(1);
    metrics::histogram!("gatehouse_http_request_duration_seconds",
        "route" => route, "method" => method)
    .record(started.elapsed().as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// `GET /metrics` in Prometheus' text format, for the bearer of
/// `GATEHOUSE_METRICS_TOKEN`; without that setting the endpoint does not exist.
pub async fn metrics(State(state): State<AppState>, request: Request) -> Response {
    let Some(expected) = state.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !web_security::same_secret(given.as_bytes(), expected.as_bytes()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "Give the metrics token (GATEHOUSE_METRICS_TOKEN) as a bearer token.",
        )
            .into_response();
    }
    let pool = &state.pool;
    let idle = pool.num_idle() as f64;
    metrics::gauge!("gatehouse_db_pool_connections", "state" => "idle").set(idle);
    metrics::gauge!("gatehouse_db_pool_connections", "state" => "in_use")
        .set(f64::from(pool.size()) - idle);
    metrics::gauge!("gatehouse_db_pool_max_connections")
        .set(f64::from(pool.options().get_max_connections()));
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        recorder().render(),
    )
        .into_response()
}

/// `GET /readyz`: 200 when the database answers within two seconds and its migrations
/// are those this build carries; else 503, saying which.
pub async fn ready(State(state): State<AppState>) -> Response {
    let expected = crate::database::MIGRATOR
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or_default();
    let applied = tokio::time::timeout(
        Duration::from_secs(2),
        app::db::applied_migration(&state.pool),
    )
    .await;
    let (status, database, migrations) = match applied {
        Ok(Ok(version)) if version == Some(expected) => (StatusCode::OK, "ok", "current"),
        Ok(Ok(_)) => (StatusCode::SERVICE_UNAVAILABLE, "ok", "not current"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the database did not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "unreachable", "unknown")
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "no answer within 2 s",
            "unknown",
        ),
    };
    (
        status,
        axum::Json(serde_json::json!({
            "database": database,
            "migrations": migrations,
            "expected_migration": expected,
        })),
    )
        .into_response()
}

/// Whether the database answered its last look; looked at every second, so that while
/// it is away requests are answered 503 at once (not left to wait for a connection),
/// and within a second or two of its return they are served again.
#[derive(Clone)]
pub struct DatabaseWatch(Arc<AtomicBool>);

impl DatabaseWatch {
    pub fn start(pool: sqlx::PgPool) -> Self {
        let up = Arc::new(AtomicBool::new(true));
        let flag = up.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let answered = tokio::time::timeout(Duration::from_secs(1), app::db::ping(&pool))
                    .await
                    .is_ok_and(|r| r.is_ok());
                if flag.swap(answered, Ordering::Relaxed) != answered {
                    if answered {
                        tracing::info!("the database answers again");
                    } else {
                        tracing::warn!(
                            "the database does not answer; requests are answered 503 until it does"
                        );
                    }
                }
            }
        });
        DatabaseWatch(up)
    }

    pub fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// While the database is away, everything that needs it is answered 503 with a
/// `Retry-After`, in the form its caller reads (a server function's error, the
/// `/api/v1` error, or a line of text for a page); the health checks, metrics and
/// static files still answer.
pub async fn database_gate(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let needs_no_database = matches!(path, "/healthz" | "/readyz" | "/metrics")
        || path.starts_with("/pkg/")
        || path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.'));
    if state.database.is_up() || needs_no_database {
        return next.run(request).await;
    }
    let error = app::error::AppError::Unavailable;
    let retry = [(header::RETRY_AFTER, "5")];
    if path.starts_with("/api/v1/") {
        let body = serde_json::json!({ "error": error.to_string() });
        (StatusCode::SERVICE_UNAVAILABLE, retry, axum::Json(body)).into_response()
    } else if path.starts_with("/api/") {
        (StatusCode::SERVICE_UNAVAILABLE, retry, axum::Json(error)).into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, retry, error.to_string()).into_response()
    }
}

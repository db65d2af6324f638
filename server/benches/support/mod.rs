//! What the benchmarks share: timing a request repeatedly (with the time its SQL
//! statements took), posting a form, a fresh database.

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing_subscriber::filter::{dynamic_filter_fn, LevelFilter};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Executor, PgPool};
use uuid::Uuid;

pub const WARM_UP: usize = 10;
pub const SAMPLES: usize = 200;

/// Gets a page and answers the size of the 200 answer.
// Each benchmark is its own crate, and not every one reads pages.
#[allow(dead_code)]
pub async fn get(client: &reqwest::Client, url: &str) -> usize {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{url}");
    response.bytes().await.unwrap().len()
}

/// Posts a form and answers the size of the 200 answer.
#[allow(dead_code)]
pub async fn call(client: &reqwest::Client, url: &str, body: String) -> usize {
    let response = client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "{url}");
    response.bytes().await.unwrap().len()
}

/// The server's SQL statements since the request being timed was sent, as (end, time
/// taken): each statement as sqlx times it, from sending it to reading its last row.
/// Requests are timed one at a time.
static STATEMENTS: Mutex<Vec<(Instant, Duration)>> = Mutex::new(Vec::new());

/// Whether requests are being timed: only then does sqlx report its statements (which
/// costs it a little formatting each), so the benchmarks' other phases run as before.
static TIMING: AtomicBool = AtomicBool::new(false);

/// Notes the `elapsed_secs` of sqlx's statement events.
struct SqlTime;

impl<S: tracing::Subscriber> Layer<S> for SqlTime {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        struct Elapsed(Option<f64>);
        impl Visit for Elapsed {
            fn record_f64(&mut self, field: &Field, value: f64) {
                if field.name() == "elapsed_secs" {
                    self.0 = Some(value);
                }
            }
            fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
        }
        let mut elapsed = Elapsed(None);
        event.record(&mut elapsed);
        if let Some(seconds) = elapsed.0 {
            let ended = Instant::now();
            STATEMENTS
                .lock()
                .unwrap()
                .push((ended, Duration::from_secs_f64(seconds)));
        }
    }
}

/// How long at least one of the statements noted since the last call was running (those
/// a request runs side by side count once), and how many there were.
fn take_statements() -> (Duration, usize) {
    let mut spans: Vec<(Instant, Instant)> = std::mem::take(&mut *STATEMENTS.lock().unwrap())
        .into_iter()
        .map(|(end, took)| (end.checked_sub(took).unwrap_or(end), end))
        .collect();
    spans.sort();
    let count = spans.len();
    let mut busy = Duration::ZERO;
    let mut current: Option<(Instant, Instant)> = None;
    for (start, end) in spans {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                busy += e - s;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((s, e)) = current {
        busy += e - s;
    }
    (busy, count)
}

/// Listens to sqlx's statement events (and prints the server's errors), once per
/// benchmark process.
fn watch_statements() {
    static WATCHING: Once = Once::new();
    WATCHING.call_once(|| {
        tracing_subscriber::registry()
            .with(SqlTime.with_filter(dynamic_filter_fn(|event, _| {
                event.target() == "sqlx::query" && TIMING.load(Ordering::Relaxed)
            })))
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_filter(LevelFilter::ERROR),
            )
            .init();
    });
}

/// Runs `work` with the server's statements noted; answers what it answered, how long at
/// least one statement was running meanwhile (see [`take_statements`]) and how many ran.
// Each benchmark is its own crate, and not every one times a whole run.
#[allow(dead_code)]
pub async fn with_sql_time<T>(work: impl std::future::Future<Output = T>) -> (T, Duration, usize) {
    watch_statements();
    take_statements();
    TIMING.store(true, Ordering::Relaxed);
    let answered = work.await;
    TIMING.store(false, Ordering::Relaxed);
    let (busy, count) = take_statements();
    (answered, busy, count)
}

/// The header of the tables [`measure`] writes rows of; `first` names the first column.
pub fn timing_header(first: &str) {
    println!(
        "| {first} | Request | p50 ms | p95 ms | max ms | SQL p50 ms | SQL p95 ms | statements | p95 / SQL p95 |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
}

/// Times `SAMPLES` requests after `WARM_UP` untimed ones and prints a table row: the
/// answer's size, the request's times, the time its SQL statements took in the same
/// request (see [`STATEMENTS`]), how many statements it ran (the median), and the ratio
/// of the two 95th percentiles (near 1: the database is the page's time; large: the
/// time goes to rendering, serialising or waiting).
pub async fn measure<F, Fut>(operation: &str, request: &str, mut send: F)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    watch_statements();
    for i in 0..WARM_UP {
        send(i).await;
    }
    let mut times: Vec<Duration> = Vec::with_capacity(SAMPLES);
    let mut sql: Vec<Duration> = Vec::with_capacity(SAMPLES);
    let mut statements: Vec<usize> = Vec::with_capacity(SAMPLES);
    let mut bytes = 0;
    TIMING.store(true, Ordering::Relaxed);
    for i in WARM_UP..WARM_UP + SAMPLES {
        take_statements();
        let started = Instant::now();
        bytes = send(i).await;
        times.push(started.elapsed());
        let (busy, count) = take_statements();
        sql.push(busy);
        statements.push(count);
    }
    TIMING.store(false, Ordering::Relaxed);
    times.sort();
    sql.sort();
    statements.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |v: &[Duration], q: f64| v[((v.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    let ratio = ms(at(&times, 0.95)) / ms(at(&sql, 0.95)).max(0.001);
    println!(
        "| {operation} ({} kB) | `{request}` | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {ratio:.1} |",
        bytes / 1024,
        ms(at(&times, 0.50)),
        ms(at(&times, 0.95)),
        ms(*times.last().unwrap()),
        ms(at(&sql, 0.50)),
        ms(at(&sql, 0.95)),
        statements[statements.len() / 2],
    );
}

/// Starts the real server on `pool` and signs in; answers it and the signed-in client.
pub async fn serve_signed_in(
    pool: &PgPool,
    email: &str,
    password: &str,
) -> (crate::common::TestApp, reqwest::Client) {
    let app = crate::common::spawn(pool.clone()).await;
    let client = crate::common::client();
    let response = app.sign_in(&client, email, password).await;
    assert!(
        response.status().is_success(),
        "sign-in: {}",
        response.status()
    );
    (app, client)
}

/// A fresh `database` on the server DATABASE_URL names (`make bench` sets it).
pub async fn bench_database(database: &str) -> PgPool {
    // Before any server is spawned, whose tests' own log output would take its place.
    watch_statements();
    let url = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL names the PostgreSQL server to benchmark on (make bench sets it)");
    fresh_database(&url, database).await
}

/// Drops and creates `database` on the server `url` names; answers a pool on it.
pub async fn fresh_database(url: &str, database: &str) -> PgPool {
    let server = PgConnectOptions::from_str(url).expect("DATABASE_URL is a PostgreSQL URL");
    let mut admin = server.clone().database("postgres").connect().await.unwrap();
    admin
        .execute(format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)").as_str())
        .await
        .unwrap();
    admin
        .execute(format!("CREATE DATABASE {database}").as_str())
        .await
        .unwrap();
    PgPoolOptions::new()
        .max_connections(20)
        .connect_with(server.database(database))
        .await
        .unwrap()
}

/// Migrates, creates the organisation with its Governance admin, runs the generating
/// statements (each given the organisation as `$1`) in one transaction and leaves the
/// database as autovacuum would: statistics and visibility map up to date. Answers
/// (organisation, admin).
pub async fn load_organisation(
    pool: &PgPool,
    admin: (&str, &str, &str),
    organisation: &str,
    statements: &[(&str, &str)],
) -> (Uuid, Uuid) {
    let (email, password, name) = admin;
    gatehouse_server::database::migrate(pool).await.unwrap();
    let created = app::service::admin::create_admin(
        pool,
        app::service::admin::NewAdmin {
            email,
            password,
            display_name: Some(name),
            organisation: Some(organisation),
        },
    )
    .await
    .unwrap();
    let mut tx = pool.begin().await.unwrap();
    for (what, sql) in statements {
        sqlx::query(sql)
            .bind(created.org_id)
            .execute(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("loading {what}: {e}"));
    }
    tx.commit().await.unwrap();
    sqlx::query("VACUUM ANALYZE").execute(pool).await.unwrap();
    let admin_id = sqlx::query_scalar("SELECT id FROM principals WHERE email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .unwrap();
    (created.org_id, admin_id)
}

/// Makes an application token for `application`, named `token_name`, as the signed-in
/// admin; answers its secret.
// Each benchmark is its own crate, and not every one makes tokens.
#[allow(dead_code)]
pub async fn make_token(
    app: &crate::common::TestApp,
    client: &reqwest::Client,
    application: uuid::Uuid,
    token_name: &str,
) -> String {
    let (status, made) = app
        .json(
            client,
            "/api/tokens/create",
            &format!(
                "application={application}&name={}&until=",
                token_name.replace(' ', "+")
            ),
        )
        .await;
    assert_eq!(status, 200, "{made}");
    made["token"].as_str().unwrap().to_string()
}

/// Makes a token for `application` (named `token_name`) as the signed-in admin, then
/// posts `batches` batches to `path` from one, two and four clients at once in turn,
/// printing a table row for each; answers how many batches were sent in all.
// Only the benchmarks that ingest (activity, consent) use it; each benchmark is its own crate.
#[allow(dead_code)]
pub async fn ingestion_rounds(
    app: &crate::common::TestApp,
    client: &reqwest::Client,
    (application, token_name): (uuid::Uuid, &str),
    path: &str,
    batches: usize,
    batch: fn(usize) -> serde_json::Value,
) -> usize {
    let token = make_token(app, client, application, token_name).await;
    println!();
    println!("| Ingestion | clients | batches x events | seconds | events/s |");
    println!("|---|---:|---:|---:|---:|");
    let mut sent = 0usize;
    for clients in [1usize, 2, 4] {
        sent += ingest(&app.url(path), &token, sent, clients, batches, batch).await;
    }
    sent
}

/// Posts `batches` batches per client from `clients` clients at once (client `c` sends
/// batches `first + c * batches ..`, made by `batch`), each answered 200 with every event
/// recorded; prints a table row and answers how many batches were sent.
#[allow(dead_code)]
async fn ingest(
    url: &str,
    token: &str,
    first: usize,
    clients: usize,
    batches: usize,
    batch: fn(usize) -> serde_json::Value,
) -> usize {
    // The batches are made and written as JSON before the clock starts: the client's own
    // work is not the server's.
    let bodies: Vec<Vec<(Vec<u8>, usize)>> = (0..clients)
        .map(|c| {
            (0..batches)
                .map(|b| {
                    let body = batch(first + c * batches + b);
                    let events = body["events"].as_array().map_or(0, Vec::len);
                    (serde_json::to_vec(&body).unwrap(), events)
                })
                .collect()
        })
        .collect();
    let size = bodies[0][0].1;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client_bodies in bodies {
        let (url, token) = (url.to_string(), token.to_string());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for (body, expected) in client_bodies {
                let response = http
                    .post(&url)
                    .bearer_auth(&token)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status().as_u16(), 200);
                let report: serde_json::Value = response.json().await.unwrap();
                assert_eq!(report["recorded"], expected, "{}", report["events"][0]);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    let events = clients * batches * size;
    println!(
        "| {} | {clients} | {} x {size} | {seconds:.2} | {:.0} |",
        if clients == 1 {
            "one client"
        } else {
            "clients at once"
        },
        clients * batches,
        events as f64 / seconds
    );
    clients * batches
}

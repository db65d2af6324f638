//! Loads 100,000 principals and 5,000,000 activity events into a fresh database and
//! reports p50/p95 response times of the dormant report (page, data, filtered), then
//! the time to start an access review over 50,000 grants and to read its first page,
//! and the sustained rate of activity ingestion: batches of 1,000 new events posted with
//! an application token over loopback HTTP by one, two and four clients at once.
//!
//! Run with `make bench` (which starts the database); it reads DATABASE_URL and
//! creates and replaces the database `gatehouse_bench_activity` on that server.

// The benchmark uses only part of the integration tests' helpers.
#[allow(dead_code)]
#[path = "../tests/integration/common.rs"]
mod common;
mod support;

use std::time::Instant;

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use support::{
    bench_database, call, get, ingestion_rounds, load_organisation, measure, serve_signed_in,
    timing_header,
};

const DATABASE: &str = "gatehouse_bench_activity";
const ADMIN: &str = "activity-admin@bench.example";
const PASSWORD: &str = "bench password long enough";
const PRINCIPALS: i64 = 100_000;
const EVENTS: i64 = 5_000_000;
/// Batches sent per ingestion run, of `BATCH` events each.
const BATCHES: usize = 100;
const BATCH: usize = 1_000;
/// Grants of the Review App, each a review item.
const REVIEWED_GRANTS: i64 = 50_000;

/// The organisation's data (`PRINCIPALS` principals with two grants each, `EVENTS`
/// events), generated in SQL; `$1` is the organisation. One principal in twelve is non-human (owned by a person); one in twenty never active; contractors
/// every seventh, a tenth of them past their end date.
const LOAD: &[(&str, &str)] = &[
    ("application", "INSERT INTO applications (org_id, id, name, description) \
        VALUES ($1, md5('activity-app')::uuid, 'Activity App', 'Generated')"),
    ("permissions", "INSERT INTO permissions (org_id, id, application_id, resource, action, description) \
        SELECT $1, md5('activity-permission-' || n)::uuid, md5('activity-app')::uuid, 'resource_' || (n / 10), \
               'action_' || (n % 10), 'Generated' \
        FROM generate_series(0, 299) n"),
    ("roles", "INSERT INTO roles (org_id, id, application_id, name, description) \
        SELECT $1, md5('activity-role-' || n)::uuid, md5('activity-app')::uuid, 'Role ' || n, 'Generated' \
        FROM generate_series(0, 39) n"),
    ("accounts", "INSERT INTO accounts (org_id, id, name, region) \
        SELECT $1, md5('activity-account-' || n)::uuid, 'Client ' || lpad(n::text, 2, '0'), 'EU' \
        FROM generate_series(0, 49) n"),
    ("people", "INSERT INTO principals (org_id, id, kind, display_name, email, employment_type, job_title, end_date, \
                                        last_activity_at, created_at) \
        SELECT $1, md5('activity-principal-' || n)::uuid, 'human', 'Person ' || n, 'person' || n || '@activity.example', \
               (CASE WHEN n % 7 = 0 THEN 'contractor' ELSE 'employee' END)::employment_type, 'Generated', \
               CASE WHEN n % 70 = 0 THEN current_date - 10 END, \
               CASE WHEN n % 20 <> 0 THEN now() - make_interval(days => n % 200) END, now() - interval '400 days' \
        FROM generate_series(0, 99999) n WHERE n % 12 <> 0"),
    ("non-human principals", "INSERT INTO principals (org_id, id, kind, display_name, external_id, owner_id, job_title, \
                                                      last_activity_at, created_at) \
        SELECT $1, md5('activity-principal-' || n)::uuid, (ARRAY['ai_agent', 'bot', 'integration'])[1 + n % 3]::principal_kind, \
               'Agent ' || n, 'agent:' || n, md5('activity-principal-1')::uuid, 'Generated', \
               CASE WHEN n % 20 <> 0 THEN now() - make_interval(days => n % 200) END, now() - interval '400 days' \
        FROM generate_series(0, 99999) n WHERE n % 12 = 0"),
    ("grants", "INSERT INTO grants (org_id, id, principal_id, role_id, account_id, reason) \
        SELECT $1, gen_random_uuid(), md5('activity-principal-' || (n % 100000))::uuid, md5('activity-role-' || (n % 40))::uuid, \
               md5('activity-account-' || (n % 50))::uuid, 'Generated grant' \
        FROM generate_series(0, 199999) n"),
    ("activity events", "INSERT INTO activity_events (org_id, application_id, event_id, principal_id, permission_id, \
                                                      account_id, occurred_at) \
        SELECT $1, md5('activity-app')::uuid, 'seed-' || n, md5('activity-principal-' || (n % 100000))::uuid, \
               md5('activity-permission-' || (n % 300))::uuid, md5('activity-account-' || (n % 50))::uuid, \
               now() - make_interval(days => 200 + n % 100) \
        FROM generate_series(1, 5000000) n"),
    ("review application", "INSERT INTO applications (org_id, id, name, description) \
        VALUES ($1, md5('review-app')::uuid, 'Review App', 'Generated')"),
    ("review role", "INSERT INTO roles (org_id, id, application_id, name, description) \
        VALUES ($1, md5('review-role')::uuid, md5('review-app')::uuid, 'Reviewed Role', 'Generated')"),
    ("grants to review", "INSERT INTO grants (org_id, id, principal_id, role_id, reason) \
        SELECT $1, gen_random_uuid(), md5('activity-principal-' || n)::uuid, md5('review-role')::uuid, 'Generated grant' \
        FROM generate_series(0, 49999) n"),
    ("permission use", "INSERT INTO permission_usage (org_id, principal_id, permission_id, account_id, last_used_at) \
        SELECT org_id, principal_id, permission_id, account_id, max(occurred_at) FROM activity_events \
        GROUP BY org_id, principal_id, permission_id, account_id"),
];

#[tokio::main]
async fn main() {
    let pool = bench_database(DATABASE).await;
    let loaded = Instant::now();
    let (org, _) = load_organisation(
        &pool,
        (ADMIN, PASSWORD, "Activity Admin"),
        "Busy Organisation",
        LOAD,
    )
    .await;
    let (principals, events): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM principals WHERE org_id = $1), (SELECT count(*) FROM activity_events WHERE org_id = $1)",
    )
    .bind(org)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((principals, events), (PRINCIPALS + 1, EVENTS));
    println!(
        "Loaded {principals} principals and {events} activity events in {:.0} s.",
        loaded.elapsed().as_secs_f64()
    );

    let (app, client) = serve_signed_in(&pool, ADMIN, PASSWORD).await;
    let (_, first) = app
        .json(&client, "/api/reports/dormant", "query[page]=0")
        .await;
    let dormant = first["total"].as_i64().unwrap();
    assert!(dormant > 10_000, "{first}");
    assert_eq!(first["rows"].as_array().unwrap().len(), 50);
    println!("{dormant} principals are dormant at 90 days.");

    println!();
    timing_header("Operation");
    let page_url = app.url("/reports/dormant");
    measure(
        "Dormant report, first page (SSR)",
        "GET /reports/dormant",
        |_| {
            let (client, url) = (client.clone(), page_url.clone());
            async move { get(&client, &url).await }
        },
    )
    .await;
    let post = |body: &'static str| {
        let (client, url) = (client.clone(), app.url("/api/reports/dormant"));
        move |_: usize| {
            let (client, url) = (client.clone(), url.clone());
            async move { call(&client, &url, body.to_string()).await }
        }
    };
    measure(
        "Dormant report data, first page",
        "POST /api/reports/dormant",
        post("query[page]=0"),
    )
    .await;
    measure(
        "Dormant report, AI agents quiet 30 days",
        "POST /api/reports/dormant (days=30, kind=ai_agent)",
        post("query[days]=30&query[kind]=ai_agent&query[page]=0"),
    )
    .await;
    measure(
        "Dormant report, page 20",
        "POST /api/reports/dormant (page=19)",
        post("query[page]=19"),
    )
    .await;

    println!();
    println!("| Access review started over the Review App | items | seconds | target |");
    println!("|---|---:|---:|---:|");
    let review_app: uuid::Uuid = sqlx::query_scalar("SELECT md5('review-app')::uuid")
        .fetch_one(&pool)
        .await
        .unwrap();
    let due = (Utc::now().date_naive() + Duration::days(14)).to_string();
    let mut campaign = String::new();
    for round in 1..=3 {
        let started = Instant::now();
        let (status, made) = app
            .json(
                &client,
                "/api/reviews/create",
                &format!(
                    "name=Review+{round}&application={review_app}&due_on={due}&undecided=keep"
                ),
            )
            .await;
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(status, 200, "{made}");
        assert_eq!(made["items"], REVIEWED_GRANTS);
        println!(
            "| campaign {round} | {} | {seconds:.2} | 5 |",
            made["items"]
        );
        campaign = made["id"].as_str().unwrap().to_string();
    }
    println!();
    timing_header("Operation");
    let body = format!("campaign={campaign}");
    let detail_url = app.url("/api/reviews/detail");
    measure(
        "Review campaign, first 100 of 50,000 items",
        "POST /api/reviews/detail",
        |_| {
            let (client, url, body) = (client.clone(), detail_url.clone(), body.clone());
            async move { call(&client, &url, body).await }
        },
    )
    .await;

    let application: uuid::Uuid = sqlx::query_scalar("SELECT md5('activity-app')::uuid")
        .fetch_one(&pool)
        .await
        .unwrap();
    let sent = ingestion_rounds(
        &app,
        &client,
        (application, "Bench ingestion"),
        "/api/v1/activity",
        BATCHES,
        batch,
    )
    .await;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM activity_events WHERE org_id = $1")
        .bind(org)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, EVENTS + (sent * BATCH) as i64);
}

/// Batch number `n`: 1,000 new events by principals spread over the whole organisation
/// (people by email, the others by external id), on 300 permissions and 50 accounts,
/// within the last hour.
fn batch(n: usize) -> Value {
    let now = Utc::now();
    let events: Vec<Value> = (0..BATCH)
        .map(|i| {
            let k = n * BATCH + i;
            let who = (k * 7919) % PRINCIPALS as usize;
            let principal = if who.is_multiple_of(12) {
                format!("agent:{who}")
            } else {
                format!("person{who}@activity.example")
            };
            json!({
                "id": format!("live-{k}"),
                "principal": principal,
                "permission": format!("resource_{}.action_{}", (k % 300) / 10, k % 10),
                "account": format!("Client {:02}", k % 50),
                "at": (now - Duration::seconds((k % 3600) as i64)).to_rfc3339(),
            })
        })
        .collect();
    json!({ "events": events })
}

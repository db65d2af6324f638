//! Loads 10,000 pending access requests across 50 accounts into a fresh database and
//! reports p50/p95 response times of the approvals queue (page, data, filtered, the
//! navigation's count) and of approving, over real HTTP on loopback; then times the
//! expiry job over 100,000 grants past their end, three times.
//!
//! Run with `make bench` (which starts the database); it reads DATABASE_URL and
//! creates and replaces the database `gatehouse_bench_queue` on that server.

// The benchmark uses only part of the integration tests' helpers.
#[allow(dead_code)]
#[path = "../tests/integration/common.rs"]
mod common;
mod support;

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use support::{
    bench_database, call, get, load_organisation, measure, serve_signed_in, timing_header, SAMPLES,
    WARM_UP,
};
use uuid::Uuid;

const DATABASE: &str = "gatehouse_bench_queue";
const ADMIN: &str = "queue-admin@bench.example";
const PASSWORD: &str = "bench password long enough";
const PENDING: i64 = 10_000;
const EXPIRED_GRANTS: i64 = 100_000;

/// The organisation's data, generated in SQL; `$1` is the organisation.
const LOAD: &[(&str, &str)] = &[
    ("application", "INSERT INTO applications (org_id, id, name, description, max_grant_days, allow_no_end) \
        VALUES ($1, md5('queue-app')::uuid, 'Queue App', 'Generated', 365, true)"),
    ("permissions", "INSERT INTO permissions (org_id, id, application_id, resource, action, risk, high_impact, description) \
        SELECT $1, md5('queue-permission-' || n)::uuid, md5('queue-app')::uuid, 'resource_' || (n / 10), 'action_' || (n % 10), \
               (ARRAY['low', 'medium', 'high', 'critical'])[1 + n % 4]::risk_level, n % 25 = 0, 'Generated' \
        FROM generate_series(0, 299) n"),
    ("roles", "INSERT INTO roles (org_id, id, application_id, name, description) \
        SELECT $1, md5('queue-role-' || n)::uuid, md5('queue-app')::uuid, 'Role ' || n, 'Generated' \
        FROM generate_series(0, 19) n"),
    ("role permissions", "INSERT INTO role_permissions (org_id, role_id, permission_id) \
        SELECT $1, md5('queue-role-' || r)::uuid, md5('queue-permission-' || p)::uuid \
        FROM generate_series(0, 19) r, generate_series(0, 299) p WHERE p % 20 = r"),
    ("accounts", "INSERT INTO accounts (org_id, id, name, region) \
        SELECT $1, md5('queue-account-' || n)::uuid, 'Client ' || lpad(n::text, 2, '0'), 'EU' \
        FROM generate_series(0, 49) n"),
    ("principals", "INSERT INTO principals (org_id, id, kind, display_name, email, status, employment_type, job_title, last_activity_at) \
        SELECT $1, md5('queue-principal-' || n)::uuid, 'human', 'Person ' || n, 'person' || n || '@queue.example', \
               'active', 'employee', 'Generated', now() - make_interval(days => n % 120) \
        FROM generate_series(0, 4999) n"),
    ("current grants", "INSERT INTO grants (org_id, id, principal_id, role_id, account_id, reason) \
        SELECT $1, gen_random_uuid(), md5('queue-principal-' || (n % 5000))::uuid, md5('queue-role-' || (n % 7))::uuid, \
               md5('queue-account-' || (n % 50))::uuid, 'Generated grant' \
        FROM generate_series(0, 19999) n"),
    // Every fifth request adds a high-impact permission and needs two approvers.
    ("pending requests", "INSERT INTO access_requests (org_id, id, requester_id, principal_id, role_id, account_id, justification, \
                                      duration_days, approvals_needed, risk, high_impact, created_at) \
        SELECT $1, md5('queue-request-' || n)::uuid, md5('queue-principal-' || (n % 5000))::uuid, \
               md5('queue-principal-' || (n % 5000))::uuid, md5('queue-role-' || (7 + n % 13))::uuid, \
               md5('queue-account-' || (n % 50))::uuid, 'Generated request number ' || n || ' for the benchmark', \
               30, CASE WHEN n % 5 = 0 THEN 2 ELSE 1 END, \
               CASE WHEN n % 5 = 0 THEN 'critical' WHEN n % 2 = 0 THEN 'medium' ELSE 'low' END::risk_level, n % 5 = 0, \
               now() - make_interval(mins => 10000 - n) \
        FROM generate_series(0, 9999) n"),
];

#[tokio::main]
async fn main() {
    let pool = bench_database(DATABASE).await;
    let loaded = Instant::now();
    let (org, approver) = load_organisation(
        &pool,
        (ADMIN, PASSWORD, "Queue Approver"),
        "Busy Organisation",
        LOAD,
    )
    .await;
    // The approver manages every account, so every request is theirs to decide.
    sqlx::query(
        "INSERT INTO account_managers (org_id, account_id, principal_id) \
         SELECT $1, id, $2 FROM accounts WHERE org_id = $1",
    )
    .bind(org)
    .bind(approver)
    .execute(&pool)
    .await
    .unwrap();
    println!(
        "Loaded {PENDING} pending requests across 50 accounts in {:.1} s.",
        loaded.elapsed().as_secs_f64()
    );

    let (app, client) = serve_signed_in(&pool, ADMIN, PASSWORD).await;
    let (_, queue) = app.json(&client, "/api/approvals/queue", "").await;
    assert_eq!(
        queue["total"], PENDING,
        "every request waits for the approver"
    );

    println!();
    timing_header("Operation");
    let page_url = app.url("/approvals");
    measure("Approvals queue page (SSR)", "GET /approvals", |_| {
        let (client, url) = (client.clone(), page_url.clone());
        async move { get(&client, &url).await }
    })
    .await;
    let post = |path: &'static str, body: String| {
        let (client, url) = (client.clone(), app.url(path));
        move |_: usize| {
            let (client, url, body) = (client.clone(), url.clone(), body.clone());
            async move { call(&client, &url, body).await }
        }
    };
    measure(
        "Approvals queue data (oldest 50)",
        "POST /api/approvals/queue",
        post("/api/approvals/queue", String::new()),
    )
    .await;
    let account: Uuid = sqlx::query_scalar("SELECT md5('queue-account-7')::uuid")
        .fetch_one(&pool)
        .await
        .unwrap();
    measure(
        "Approvals queue, filtered",
        "POST /api/approvals/queue (account, risk, requester)",
        post(
            "/api/approvals/queue",
            format!("account={account}&risk=low&requester=Person+1"),
        ),
    )
    .await;
    measure(
        "Navigation count",
        "POST /api/approvals/count",
        post("/api/approvals/count", String::new()),
    )
    .await;
    // The oldest one-step requests, each approved once: a decision, a grant, audit events.
    let one_step: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM access_requests WHERE org_id = $1 AND status = 'pending' AND approvals_needed = 1 \
         ORDER BY created_at LIMIT $2",
    )
    .bind(org)
    .bind((WARM_UP + SAMPLES) as i64)
    .fetch_all(&pool)
    .await
    .unwrap();
    let decide_url = app.url("/api/approvals/decide");
    measure(
        "Approve (creates the grant)",
        "POST /api/approvals/decide",
        |i| {
            let (client, url) = (client.clone(), decide_url.clone());
            let request = one_step[i];
            async move {
                call(
                    &client,
                    &url,
                    format!("request={request}&approve=true&comment=Fine"),
                )
                .await
            }
        },
    )
    .await;
    let granted: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM grants WHERE org_id = $1 AND source_request_id IS NOT NULL",
    )
    .bind(org)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(granted, (WARM_UP + SAMPLES) as i64);
    println!();
    println!(
        "{WARM_UP} warm-up requests, then {SAMPLES} timed ones each, one at a time, over loopback."
    );

    println!();
    println!("| Expiry job round | grants expired | audit events | seconds |");
    println!("|---|---:|---:|---:|");
    // Each round runs as if the job had been stopped for a day, in which 100,000 grants
    // ended; the rounds follow each other a day apart.
    let start = Utc::now();
    for round in 1..=3 {
        let now = start + Duration::days(round);
        add_ended_grants(&pool, org, now - Duration::days(1), now).await;
        let audit_before = audit_events(&pool).await;
        let started = Instant::now();
        let done = app::service::expiry::run(&pool, now, Duration::days(30))
            .await
            .unwrap();
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(done.grants_expired as i64, EXPIRED_GRANTS);
        println!(
            "| {round} | {} | {} | {seconds:.2} |",
            done.grants_expired,
            audit_events(&pool).await - audit_before
        );
    }
}

/// 100,000 grants that ran for 60 days and ended between `from` (excluded) and `to`.
async fn add_ended_grants(pool: &PgPool, org: Uuid, from: DateTime<Utc>, to: DateTime<Utc>) {
    sqlx::query(
        "INSERT INTO grants (org_id, id, principal_id, role_id, account_id, valid_from, valid_until, reason) \
         SELECT $1, gen_random_uuid(), md5('queue-principal-' || (n % 5000))::uuid, md5('queue-role-' || (n % 20))::uuid, \
                md5('queue-account-' || (n % 50))::uuid, $4 - interval '60 days', $3 + ($4 - $3) * n / $2, \
                'Generated ended grant' \
         FROM generate_series(1, $2) n",
    )
    .bind(org)
    .bind(EXPIRED_GRANTS)
    .bind(from)
    .bind(to)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("VACUUM ANALYZE grants")
        .execute(pool)
        .await
        .unwrap();
}

async fn audit_events(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_events")
        .fetch_one(pool)
        .await
        .unwrap()
}

//! Loads 100,000 principals and 250,000 grants (a fifth of them with the condition
//! `region = EU`) into a fresh database and measures the decision API over loopback
//! HTTP: one check at a time (p50, p99), batches of 1,000 checks (p50, p95), and the
//! rate with one, two and four clients at once. Beside them, where the time goes: the
//! same batch decided in-process without HTTP (the SQL floor: its reads plus the
//! evaluator), and the evaluator alone over grants already in memory. Last, what the
//! console pays on every server function to know its caller (before and now).
//!
//! Run with `make bench` (which starts the database); it reads DATABASE_URL and
//! creates and replaces the database `gatehouse_bench_decisions` on that server.

// The benchmark uses only part of the integration tests' helpers.
#[allow(dead_code)]
#[path = "../tests/integration/common.rs"]
mod common;
// It times its own loops (for p99) and uses the shared set-up only.
#[allow(dead_code)]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{json, Value};
use support::{bench_database, load_organisation, make_token, serve_signed_in};
use uuid::Uuid;

const DATABASE: &str = "gatehouse_bench_decisions";
const ADMIN: &str = "decisions-admin@bench.example";
const PASSWORD: &str = "bench password long enough";
const PRINCIPALS: i64 = 100_000;
const GRANTS: i64 = 250_000;
const SINGLE_SAMPLES: usize = 2_000;
const BATCH_SAMPLES: usize = 100;
const BATCH: usize = 1_000;
/// Batches each client sends in a throughput round.
const ROUND_BATCHES: usize = 30;

/// 300 permissions (`resource_R.action_A`), 40 roles of 15 permissions each, 50
/// accounts, `PRINCIPALS` people (half in the EU, half in the US) and `GRANTS` grants:
/// person p's k-th grant (k = 0, 1 and, for a half of them, 2) is role (p + 13k) % 40
/// on account (p + 17k) % 50, one in ten on every account instead, one in 25 revoked.
/// `$1` is the organisation.
const LOAD: &[(&str, &str)] = &[
    ("application", "INSERT INTO applications (org_id, id, name, description) \
        VALUES ($1, md5('decision-app')::uuid, 'Decision App', 'Generated')"),
    ("permissions", "INSERT INTO permissions (org_id, id, application_id, resource, action, description) \
        SELECT $1, md5('decision-permission-' || n)::uuid, md5('decision-app')::uuid, 'resource_' || (n / 10), \
               'action_' || (n % 10), 'Generated' \
        FROM generate_series(0, 299) n"),
    ("roles", "INSERT INTO roles (org_id, id, application_id, name, description) \
        SELECT $1, md5('decision-role-' || n)::uuid, md5('decision-app')::uuid, 'Role ' || n, 'Generated' \
        FROM generate_series(0, 39) n"),
    ("role permissions", "INSERT INTO role_permissions (org_id, role_id, permission_id) \
        SELECT $1, md5('decision-role-' || r)::uuid, md5('decision-permission-' || ((r * 7 + k * 20) % 300))::uuid \
        FROM generate_series(0, 39) r, generate_series(0, 14) k"),
    ("accounts", "INSERT INTO accounts (org_id, id, name, region) \
        SELECT $1, md5('decision-account-' || n)::uuid, 'Client ' || lpad(n::text, 2, '0'), 'EU' \
        FROM generate_series(0, 49) n"),
    ("people", "INSERT INTO principals (org_id, id, kind, display_name, email, employment_type, job_title, attributes) \
        SELECT $1, md5('decision-principal-' || n)::uuid, 'human', 'Person ' || n, 'person' || n || '@decision.example', \
               'employee', 'Generated', jsonb_build_object('region', CASE WHEN n % 2 = 0 THEN 'EU' ELSE 'US' END) \
        FROM generate_series(0, 99999) n"),
    ("grants", "INSERT INTO grants (org_id, id, principal_id, role_id, account_id, reason, revoked_at, revoke_reason) \
        SELECT $1, md5('decision-grant-' || n)::uuid, md5('decision-principal-' || (n % 100000))::uuid, \
               md5('decision-role-' || ((n / 100000) * 13 + n) % 40)::uuid, \
               CASE WHEN n % 10 <> 0 THEN md5('decision-account-' || ((n / 100000) * 17 + n) % 50)::uuid END, \
               'Generated grant', \
               CASE WHEN n % 25 = 0 THEN now() END, CASE WHEN n % 25 = 0 THEN 'Generated revocation' END \
        FROM generate_series(0, 249999) n"),
];

/// Check `i`: a person, a permission of one of their roles, the account of that grant
/// (one in three another account), a resource in the EU (one in four in the US).
fn check(i: usize) -> Value {
    let person = (i * 7919) % PRINCIPALS as usize;
    let k = i % 2;
    let role = (person + 13 * k) % 40;
    // Role r holds permissions (r * 7 + j * 20) % 300, j < 15.
    let permission = (role * 7 + (i % 15) * 20) % 300;
    let account = (person + 17 * k + usize::from(i.is_multiple_of(3))) % 50;
    json!({
        "principal": format!("person{person}@decision.example"),
        "permission": format!("resource_{}.action_{}", permission / 10, permission % 10),
        "account": format!("Client {account:02}"),
        "resource": {"attributes": {"region": if i.is_multiple_of(4) { "US" } else { "EU" }}},
    })
}

fn batch(first: usize) -> Value {
    json!({ "checks": (first..first + BATCH).map(check).collect::<Vec<_>>() })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Prints a table row of the p50, p95 and p99 of `times`, with `digits` decimals.
fn row(label: &str, mut times: Vec<Duration>, digits: usize, target: &str) {
    times.sort();
    let at = |q: f64| ms(times[((times.len() as f64 * q).ceil() as usize).saturating_sub(1)]);
    println!(
        "| {label} | {:.digits$} | {:.digits$} | {:.digits$} | {target} |",
        at(0.5),
        at(0.95),
        at(0.99)
    );
}

async fn post(http: &reqwest::Client, url: &str, token: &str, body: &Value) -> Value {
    let response = http
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

#[tokio::main]
async fn main() {
    let pool = bench_database(DATABASE).await;
    let loaded = Instant::now();
    let (org, _) = load_organisation(
        &pool,
        (ADMIN, PASSWORD, "Decisions Admin"),
        "Deciding Organisation",
        LOAD,
    )
    .await;
    let eu_only = rules::policy::conditions::Conditions::parse("region = EU")
        .unwrap()
        .to_json();
    let conditional = sqlx::query(
        "UPDATE grants SET conditions = $2 WHERE org_id = $1 AND reason = 'Generated grant' \
           AND ('x' || substr(id::text, 1, 8))::bit(32)::int % 5 = 0",
    )
    .bind(org)
    .bind(&eu_only)
    .execute(&pool)
    .await
    .unwrap()
    .rows_affected();
    sqlx::query("VACUUM ANALYZE").execute(&pool).await.unwrap();
    let grants: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM grants WHERE org_id = $1 AND reason = 'Generated grant'",
    )
    .bind(org)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(grants, GRANTS);
    println!(
        "Loaded {PRINCIPALS} principals and {grants} grants ({conditional} with `region = EU`) in {:.0} s.",
        loaded.elapsed().as_secs_f64()
    );

    let (app, client) = serve_signed_in(&pool, ADMIN, PASSWORD).await;
    let application: Uuid = sqlx::query_scalar(
        "SELECT id FROM applications WHERE org_id = $1 AND name = 'Decision App'",
    )
    .bind(org)
    .fetch_one(&pool)
    .await
    .unwrap();
    let token = make_token(&app, &client, application, "Decision benchmark").await;
    let url = app.url("/api/v1/decisions");
    let http = reqwest::Client::new();

    // How the answers fall, so that the figures are not of refusals alone.
    let answer = post(&http, &url, &token, &batch(0)).await;
    let allowed = answer["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["allowed"] == true)
        .count();
    assert!(
        allowed > 100 && allowed < 900,
        "{allowed} of {BATCH} allowed"
    );
    println!("Of {BATCH} checks, {allowed} are allowed.");

    // The server loads its copy of the policy in the background after the first
    // decision; how long that takes is measured here, in-process, and the server is
    // given twice that (at least a second) before anything is timed.
    let caller = app::db::tokens::TokenCaller {
        org_id: org,
        token_id: Uuid::nil(),
        application_id: application,
        policy_version: sqlx::query_scalar(
            "SELECT policy_version FROM organisations WHERE id = $1",
        )
        .bind(org)
        .fetch_one(&pool)
        .await
        .unwrap(),
        principal_id: None,
    };
    let cached = app::service::decisions::Decider::cached(pool.clone());
    let started = Instant::now();
    cached.prepare(org).await;
    let load = started.elapsed();
    assert!(cached.answers_from_memory(org, caller.policy_version));
    let floor = app::service::decisions::Decider::uncached(pool.clone());
    for i in 0..3 {
        let body = serde_json::to_vec(&batch(i * BATCH)).unwrap();
        let answered = |d: app::service::decisions::Answers| serde_json::to_value(d).unwrap();
        assert_eq!(
            answered(floor.decide_batch(caller, &body).await.unwrap()),
            answered(cached.decide_batch(caller, &body).await.unwrap()),
            "the copy in memory answers as the database does"
        );
    }
    println!(
        "The copy of the policy ({PRINCIPALS} principals, {grants} grants) loads in {:.2} s; the same batches are answered alike from it and from the database.",
        load.as_secs_f64()
    );
    tokio::time::sleep((load * 2).max(Duration::from_secs(1))).await;

    println!();
    println!("| Decisions over HTTP | p50 ms | p95 ms | p99 ms | target |");
    println!("|---|---:|---:|---:|---|");
    let mut single = Vec::with_capacity(SINGLE_SAMPLES);
    for i in 0..SINGLE_SAMPLES + 50 {
        let body = json!({ "checks": [check(i)] });
        let started = Instant::now();
        post(&http, &url, &token, &body).await;
        if i >= 50 {
            single.push(started.elapsed());
        }
    }
    row("one check", single, 2, "p99 < 2 ms");
    let mut batches = Vec::with_capacity(BATCH_SAMPLES);
    for i in 0..BATCH_SAMPLES + 5 {
        let body = batch(i * BATCH);
        let started = Instant::now();
        post(&http, &url, &token, &body).await;
        if i >= 5 {
            batches.push(started.elapsed());
        }
    }
    row(
        &format!("a batch of {BATCH} checks"),
        batches,
        2,
        "p95 < 20 ms",
    );

    // Where the time of a batch goes: decided in-process (no HTTP) from the copy in
    // memory, and from the database (the SQL floor: its reads plus the evaluator), and
    // the evaluator alone over grants in memory.
    for (label, decider) in [
        (
            "the same batch in-process, from the copy in memory",
            &cached,
        ),
        (
            "the same batch in-process, from the database (SQL floor)",
            &floor,
        ),
    ] {
        let mut in_process = Vec::with_capacity(BATCH_SAMPLES);
        for i in 0..BATCH_SAMPLES {
            let body = serde_json::to_vec(&batch(i * BATCH)).unwrap();
            let started = Instant::now();
            let answers = decider.decide_batch(caller, &body).await.unwrap();
            // Written out as the API sends it.
            std::hint::black_box(serde_json::to_vec(&answers).unwrap());
            in_process.push(started.elapsed());
        }
        row(label, in_process, 2, "");
    }
    row(
        "the evaluator alone, per check (grants in memory)",
        evaluator_alone(),
        4,
        "",
    );

    console_cost(&pool, &app, &client, org).await;

    println!();
    println!("| Throughput | clients | batches x checks | seconds | decisions/s | target |");
    println!("|---|---:|---:|---:|---:|---|");
    for clients in [1usize, 2, 4] {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..clients {
            let (url, token) = (url.clone(), token.clone());
            tasks.push(tokio::spawn(async move {
                let http = reqwest::Client::new();
                for b in 0..ROUND_BATCHES {
                    post(&http, &url, &token, &batch((c * ROUND_BATCHES + b) * BATCH)).await;
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let seconds = started.elapsed().as_secs_f64();
        let decided = clients * ROUND_BATCHES * BATCH;
        println!(
            "| batches of {BATCH} | {clients} | {} x {BATCH} | {seconds:.2} | {:.0} | {} |",
            clients * ROUND_BATCHES,
            decided as f64 / seconds,
            if clients == 4 { "50,000/s" } else { "" }
        );
    }
}

/// The evaluator deciding checks one at a time over a principal of five grants (one on
/// every account, one conditional, one revoked), as the loaded data has them.
fn evaluator_alone() -> Vec<Duration> {
    use rules::policy::conditions::Conditions;
    use rules::policy::{decide, Grant, Principal, Question};
    let now = Utc::now();
    let accounts: Vec<Uuid> = (0..50).map(|n| Uuid::from_u128(n + 1)).collect();
    let grants = (0..5usize)
        .map(|g| Grant {
            id: Uuid::from_u128(1000 + g as u128),
            through: format!("Role {g}"),
            account_id: (g != 0).then(|| accounts[g * 7 % 50]),
            valid_from: now - chrono::Duration::days(30),
            valid_until: None,
            revoked_at: (g == 4).then_some(now),
            permissions: std::sync::Arc::new(
                (0..15)
                    .map(|k| {
                        let p = (g * 7 + k * 20) % 300;
                        format!("resource_{}.action_{}", p / 10, p % 10)
                    })
                    .collect::<BTreeSet<_>>(),
            ),
            conditions: if g == 2 {
                Conditions::parse("region = EU").unwrap()
            } else {
                Conditions::default()
            },
            clearance: rules::policy::fields::ROLE_DEFAULT,
        })
        .collect();
    let principal = Principal {
        id: Uuid::from_u128(7),
        name: "Person 7".into(),
        status: rules::principals::PrincipalStatus::Active,
        ends_at: None,
        attributes: BTreeMap::from([("region".to_string(), "EU".to_string())]),
        clearance: None,
        grants,
    };
    let resources = [
        BTreeMap::from([("region".to_string(), "EU".to_string())]),
        BTreeMap::from([("region".to_string(), "US".to_string())]),
    ];
    let permissions: Vec<String> = (0..300)
        .map(|p| format!("resource_{}.action_{}", p / 10, p % 10))
        .collect();
    let mut times = Vec::with_capacity(100_000);
    for i in 0..100_000usize {
        let question = Question {
            permission: &permissions[(i * 31) % 300],
            account: Some(accounts[i % 50]),
            resource: &resources[i % 2],
            at: now,
        };
        let started = Instant::now();
        std::hint::black_box(decide(&principal, &question, None));
        times.push(started.elapsed());
    }
    times
}

/// The statement that read a session's principal before its console grants were read
/// with it: kept here, as it was, to time what every server function paid then.
const SESSION_PRINCIPAL_BEFORE: &str =
    "SELECT p.display_name, p.kind::text AS kind, c.email, o.name AS organisation \
     FROM console_sessions s \
     JOIN principals p ON p.org_id = s.org_id AND p.id = s.principal_id \
     JOIN console_credentials c ON c.org_id = p.org_id AND c.principal_id = p.id \
     JOIN organisations o ON o.id = s.org_id \
     WHERE s.org_id = $1 AND s.session_id = $2 AND s.principal_id = $3 \
       AND s.ended_at IS NULL AND p.status = 'active'";

/// What the console pays to know its caller on every server function: the whole call
/// of the lightest one over HTTP (`auth/me`: the session, the caller, the answer), and
/// the caller's reads in-process, as two statements (before) and as one (now).
async fn console_cost(
    pool: &sqlx::PgPool,
    app: &common::TestApp,
    client: &reqwest::Client,
    org: Uuid,
) {
    const SAMPLES: usize = 2_000;
    let (session, principal): (String, Uuid) = sqlx::query_as(
        "SELECT s.session_id, s.principal_id FROM console_sessions s \
           JOIN console_credentials c ON c.org_id = s.org_id AND c.principal_id = s.principal_id \
          WHERE s.org_id = $1 AND c.email = $2 AND s.ended_at IS NULL ORDER BY s.signed_in_at DESC LIMIT 1",
    )
    .bind(org)
    .bind(ADMIN)
    .fetch_one(pool)
    .await
    .unwrap();
    println!();
    println!("| The console's cost of knowing its caller, per server-function call | p50 ms | p95 ms | p99 ms | |");
    println!("|---|---:|---:|---:|---|");
    let url = app.url("/api/auth/me");
    let mut over_http = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES + 50 {
        let started = Instant::now();
        let response = client.post(&url).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let me: Value = response.json().await.unwrap();
        assert!(me.is_object(), "signed in: {me}");
        if i >= 50 {
            over_http.push(started.elapsed());
        }
    }
    row(
        "`auth/me` over HTTP: session, caller and answer",
        over_http,
        2,
        "",
    );
    let mut before = Vec::with_capacity(SAMPLES);
    let mut after = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        let who = sqlx::query(SESSION_PRINCIPAL_BEFORE)
            .bind(org)
            .bind(&session)
            .bind(principal)
            .fetch_optional(pool)
            .await
            .unwrap();
        assert!(who.is_some());
        let granted = app::db::auth::console_grants(pool, org, principal)
            .await
            .unwrap();
        before.push(started.elapsed());
        let started = Instant::now();
        let (_, together) = app::db::auth::session_caller(pool, org, &session, principal)
            .await
            .unwrap()
            .unwrap();
        after.push(started.elapsed());
        assert_eq!(together.len(), granted.len());
    }
    row(
        "before: the session's principal, then its console grants (two statements)",
        before,
        3,
        "",
    );
    row("now: both in one statement", after, 3, "");
}

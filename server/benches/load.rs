//! 200 clients at once for 60 seconds against the optimised build with the demo
//! organisation: people loading pages, members asking for access and approvers deciding,
//! governed systems reporting activity. Reports latency per kind of request (p50, p95,
//! p99), and checks that no answer was a 5xx and that every event acknowledged as
//! recorded is in the database.
//!
//! Run with `make bench` (which starts the database); it reads DATABASE_URL and
//! creates and replaces the database `gatehouse_bench_load` on that server.

// The benchmark uses only part of the integration tests' helpers.
#[allow(dead_code)]
#[path = "../tests/integration/common.rs"]
mod common;
#[allow(dead_code)]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gatehouse_server::demo;
use serde_json::json;
use support::bench_database;
use uuid::Uuid;

const DATABASE: &str = "gatehouse_bench_load";
const CLIENTS: usize = 200;
const RUN_FOR: Duration = Duration::from_secs(60);
const EVENTS_PER_BATCH: usize = 100;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Page,
    Ask,
    Decide,
    Ingest,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Page, Kind::Ask, Kind::Decide, Kind::Ingest];

    fn label(self) -> &'static str {
        match self {
            Kind::Page => {
                "Page loads (home, role matrix, principals, reports, audit, consent, DSR)"
            }
            Kind::Ask => "Access requests made (`POST /api/requests/create`)",
            Kind::Decide => "Decisions (`POST /api/approvals/decide`)",
            Kind::Ingest => "Activity batches of 100 (`POST /api/v1/activity`)",
        }
    }
}

#[derive(Default)]
struct Tally {
    times: Vec<(Kind, Duration)>,
    server_errors: Vec<String>,
}

#[tokio::main]
async fn main() {
    // A fault's cause is logged by the server: `bench_database` shows errors on stderr.
    let pool = bench_database(DATABASE).await;
    gatehouse_server::database::migrate(&pool).await.unwrap();
    demo::load(&pool).await.unwrap();
    sqlx::query("VACUUM ANALYZE").execute(&pool).await.unwrap();
    let app = Arc::new(common::spawn(pool.clone()).await);

    let admin = app.demo_client("admin@northwind.example").await;
    let crm: Uuid = sqlx::query_scalar("SELECT id FROM applications WHERE name = 'Acme CRM'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let (status, made) = app
        .json(
            &admin,
            "/api/tokens/create",
            &format!("application={crm}&name=Load+test&until="),
        )
        .await;
    assert_eq!(status, 200, "{made}");
    let token = made["token"].as_str().unwrap().to_string();
    let member_id: Uuid =
        sqlx::query_scalar("SELECT id FROM principals WHERE email = 'member@northwind.example'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let (bundle, account): (Uuid, Uuid) = sqlx::query_as(
        "SELECT r.id, (SELECT id FROM accounts WHERE name = 'Acme Retail') FROM roles r \
         JOIN applications a ON a.org_id = r.org_id AND a.id = r.application_id \
         WHERE a.name = 'Acme CRM' AND r.name = 'Analyst'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let emails: Vec<String> = sqlx::query_scalar(
        "SELECT email FROM principals WHERE email IS NOT NULL AND status = 'active' ORDER BY email",
    )
    .fetch_all(&pool)
    .await
    .unwrap();

    println!("Signing in {CLIENTS} clients…");
    let tally = Arc::new(Mutex::new(Tally::default()));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + RUN_FOR + Duration::from_secs(30);
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let app = app.clone();
        let (tally, acknowledged, token) = (tally.clone(), acknowledged.clone(), token.clone());
        let emails = emails.clone();
        // Sign-ins are done before the clock of the run starts for each client.
        let (who, partner) = match c % 10 {
            0..=5 => (if c % 2 == 0 { "admin" } else { "dpo" }, None),
            6 | 7 => ("member", Some("approver")),
            _ => ("", None),
        };
        let client = if who.is_empty() {
            None
        } else {
            Some(app.demo_client(&format!("{who}@northwind.example")).await)
        };
        let approver = match partner {
            Some(p) => Some(app.demo_client(&format!("{p}@northwind.example")).await),
            None => None,
        };
        tasks.push(tokio::spawn(async move {
            let record = |kind: Kind, took: Duration, status: u16, what: &str| {
                let mut t = tally.lock().unwrap();
                t.times.push((kind, took));
                if status >= 500 {
                    t.server_errors.push(format!("{status} {what}"));
                }
            };
            let mut round = 0usize;
            let until = Instant::now() + RUN_FOR;
            while Instant::now() < until.min(deadline) {
                round += 1;
                match (&client, &approver) {
                    (Some(client), None) => {
                        let pages: &[&str] = if who == "admin" {
                            &["/", "/roles", "/principals", "/reports/dormant", "/audit", "/reports/expiring"]
                        } else {
                            &["/consent", "/dsr", "/audit"]
                        };
                        let path = pages[(c + round) % pages.len()];
                        let t = Instant::now();
                        let response = client.get(app.url(path)).send().await.unwrap();
                        let status = response.status().as_u16();
                        let _ = response.bytes().await;
                        record(Kind::Page, t.elapsed(), status, path);
                    }
                    (Some(member), Some(approver)) => {
                        let body = format!(
                            "principal={member_id}&bundle={bundle}&account={account}&duration=1&until=\
                             &justification=Load+test+round+{round}+of+client+{c}+needs+reports"
                        );
                        let t = Instant::now();
                        let response = app.call(member, "/api/requests/create", &body).await;
                        let status = response.status().as_u16();
                        let answer: serde_json::Value = response.json().await.unwrap_or_default();
                        record(Kind::Ask, t.elapsed(), status, "requests/create");
                        if let Some(request) = answer.as_str() {
                            let decision = format!(
                                "request={request}&approve=false&comment=Load+test+denies+it"
                            );
                            let t = Instant::now();
                            let response = app.call(approver, "/api/approvals/decide", &decision).await;
                            let status = response.status().as_u16();
                            let _ = response.bytes().await;
                            record(Kind::Decide, t.elapsed(), status, "approvals/decide");
                        } else {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                    _ => {
                        let events: Vec<_> = (0..EVENTS_PER_BATCH)
                            .map(|k| {
                                json!({
                                    "id": format!("load-{c}-{round}-{k}"),
                                    "principal": emails[(c * 31 + round * 7 + k) % emails.len()],
                                    "permission": "contacts.view",
                                    "account": "Acme Retail",
                                    "at": chrono::Utc::now().to_rfc3339(),
                                })
                            })
                            .collect();
                        let t = Instant::now();
                        let response = reqwest::Client::new()
                            .post(app.url("/api/v1/activity"))
                            .bearer_auth(&token)
                            .json(&json!({ "events": events }))
                            .send()
                            .await
                            .unwrap();
                        let status = response.status().as_u16();
                        let report: serde_json::Value = response.json().await.unwrap_or_default();
                        if status == 200 {
                            let recorded = report["recorded"].as_u64().unwrap_or(0) as usize;
                            acknowledged.fetch_add(recorded, Ordering::Relaxed);
                        }
                        record(Kind::Ingest, t.elapsed(), status, "api/v1/activity");
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM activity_events WHERE event_id LIKE 'load-%'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let tally = tally.lock().unwrap();
    println!();
    println!(
        "{CLIENTS} clients at once for {} s ({seconds:.0} s with sign-ins):",
        RUN_FOR.as_secs()
    );
    println!();
    println!("| Requests | count | p50 ms | p95 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|");
    for kind in Kind::ALL {
        let mut times: Vec<Duration> = tally
            .times
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, t)| *t)
            .collect();
        times.sort();
        if times.is_empty() {
            println!("| {} | 0 | | | |", kind.label());
            continue;
        }
        let at = |q: f64| {
            times[((times.len() as f64 * q).ceil() as usize).saturating_sub(1)].as_secs_f64()
                * 1000.0
        };
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.1} |",
            kind.label(),
            times.len(),
            at(0.50),
            at(0.95),
            at(0.99)
        );
    }
    let acknowledged = acknowledged.load(Ordering::Relaxed);
    println!();
    println!(
        "Answers with a 5xx: {}. Activity events acknowledged as recorded: {acknowledged}; in the database: {stored}.",
        tally.server_errors.len()
    );
    assert!(
        tally.server_errors.is_empty(),
        "server errors: {:?}",
        &tally.server_errors[..tally.server_errors.len().min(20)]
    );
    assert_eq!(
        stored as usize, acknowledged,
        "every acknowledged event is stored"
    );
}

//! Loads 200,000 data subjects and 3,000,000 consent events into a fresh database and
//! reports p50/p95 response times of the subject page (server-rendered and its data) and
//! of the search by email, signed in as a Data Protection Officer, then the sustained
//! rate of consent ingestion: batches of 1,000 new events posted with an application
//! token over loopback HTTP by one, two and four clients at once.
//!
//! Run with `make bench` (which starts the database); it reads DATABASE_URL and
//! creates and replaces the database `gatehouse_bench_consent` on that server.

// The benchmark uses only part of the integration tests' helpers.
#[allow(dead_code)]
#[path = "../tests/integration/common.rs"]
mod common;
mod support;

use std::time::Instant;

use chrono::{Duration, Utc};
use rules::consent::{BUILT_IN_PURPOSES, CHANNELS};
use serde_json::{json, Value};
use support::{
    bench_database, call, get, ingestion_rounds, load_organisation, measure, serve_signed_in,
    timing_header,
};

const DATABASE: &str = "gatehouse_bench_consent";
const DPO: &str = "consent-dpo@bench.example";
const PASSWORD: &str = "bench password long enough";
const SUBJECTS: i64 = 200_000;
const EVENTS: i64 = 3_000_000;
/// Batches sent per ingestion run, of 1,000 events each.
const BATCHES: usize = 50;

/// The organisation's data, generated in SQL; `$1` is the organisation. Subjects spread
/// over 20 accounts, 15 events each over the last 15 days on 6 channels and 4 purposes
/// (grants, with a withdrawal every fourth and a refusal every seventh); the current
/// state derived from them as ingestion keeps it. The organisation's Governance admin
/// is made its DPO too (to read subjects and to make the ingestion token).
const LOAD: &[(&str, &str)] = &[
    ("DPO role", "INSERT INTO grants (org_id, id, principal_id, role_id, reason) \
        SELECT $1, gen_random_uuid(), p.id, r.id, 'Benchmark DPO' FROM principals p, roles r \
        JOIN applications a ON a.org_id = r.org_id AND a.id = r.application_id \
        WHERE p.org_id = $1 AND r.org_id = $1 AND a.is_console AND r.name = 'Data Protection Officer'"),
    ("application", "INSERT INTO applications (org_id, id, name, description) \
        VALUES ($1, md5('consent-app')::uuid, 'Consent App', 'Generated')"),
    ("accounts", "INSERT INTO accounts (org_id, id, name, region) \
        SELECT $1, md5('consent-account-' || n)::uuid, 'Client ' || lpad(n::text, 2, '0'), 'EU' \
        FROM generate_series(0, 19) n"),
    ("subjects", "INSERT INTO data_subjects (org_id, id, account_id, external_id, email, name, country) \
        SELECT $1, md5('subject-' || n)::uuid, md5('consent-account-' || (n % 20))::uuid, 'ext-' || n, \
               'subject' || n || '@consent.example', 'Subject ' || n, 'PT' \
        FROM generate_series(0, 199999) n"),
    ("consent events", "INSERT INTO consent_events (org_id, id, subject_id, application_id, source_event_id, channel, \
            purpose, status, lawful_basis, method, source_system, notice_version, notice_sha256, language, \
            jurisdiction, occurred_at, recorded_by_label, evidence) \
        SELECT $1, gen_random_uuid(), md5('subject-' || (n % 200000))::uuid, md5('consent-app')::uuid, 'seed-' || n, \
               (ARRAY['email', 'sms', 'whatsapp', 'messenger', 'instagram_dm', 'phone'])[1 + (n / 200000) % 6], \
               (ARRAY['marketing', 'personalisation', 'analytics', 'ai_processing'])[1 + (n / 200000 / 6 + n) % 4], \
               (CASE WHEN n % 4 = 3 THEN 'withdrawn' WHEN n % 7 = 6 THEN 'refused' ELSE 'granted' END)::consent_status, \
               'consent', 'web_form', 'Generated', '2026-10', repeat('ab', 32), 'en', 'EU', \
               now() - make_interval(days => (n / 200000)::int, secs => (n % 86400)), 'Benchmark', \
               jsonb_build_object('form', 'signup') \
        FROM generate_series(0, 2999999) n"),
    ("consent state", "INSERT INTO consent_state (org_id, subject_id, channel, purpose, status, precedence, occurred_at, seq, event_id) \
        SELECT DISTINCT ON (subject_id, channel, purpose) org_id, subject_id, channel, purpose, status, \
               (CASE status WHEN 'withdrawn' THEN 2 WHEN 'refused' THEN 1 ELSE 0 END)::smallint AS precedence, \
               occurred_at, seq, id \
        FROM consent_events WHERE org_id = $1 \
        ORDER BY subject_id, channel, purpose, occurred_at DESC, precedence DESC, seq DESC"),
];

#[tokio::main]
async fn main() {
    let pool = bench_database(DATABASE).await;
    let loaded = Instant::now();
    let (org, _) = load_organisation(
        &pool,
        (DPO, PASSWORD, "Consent DPO"),
        "Consenting Organisation",
        LOAD,
    )
    .await;
    let (subjects, events): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM data_subjects WHERE org_id = $1), (SELECT count(*) FROM consent_events WHERE org_id = $1)",
    )
    .bind(org)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((subjects, events), (SUBJECTS, EVENTS));
    println!(
        "Loaded {subjects} data subjects and {events} consent events in {:.0} s.",
        loaded.elapsed().as_secs_f64()
    );

    let (app, client) = serve_signed_in(&pool, DPO, PASSWORD).await;
    let sample: Vec<uuid::Uuid> = sqlx::query_scalar(
        "SELECT id FROM data_subjects WHERE org_id = $1 ORDER BY md5(id::text) LIMIT 500",
    )
    .bind(org)
    .fetch_all(&pool)
    .await
    .unwrap();
    let subject_id = |i: usize| sample[i % sample.len()];
    let (status, first) = app
        .json(
            &client,
            "/api/consent/subject",
            &format!("subject={}", subject_id(0)),
        )
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["events"].as_array().unwrap().len(), 15);

    println!();
    timing_header("Operation");
    measure("Subject page (SSR)", "GET /consent/{id}", |i| {
        let (client, url) = (
            client.clone(),
            app.url(&format!("/consent/{}", subject_id(i))),
        );
        async move { get(&client, &url).await }
    })
    .await;
    measure("Subject page data", "POST /api/consent/subject", |i| {
        let (client, url) = (client.clone(), app.url("/api/consent/subject"));
        let body = format!("subject={}", subject_id(i));
        async move { call(&client, &url, body).await }
    })
    .await;
    measure("Search by email", "POST /api/consent/search", |i| {
        let (client, url) = (client.clone(), app.url("/api/consent/search"));
        let body = format!(
            "q=subject{}%40consent.example",
            (i * 104_729) % SUBJECTS as usize
        );
        async move { call(&client, &url, body).await }
    })
    .await;
    measure("Search by name prefix", "POST /api/consent/search", |i| {
        let (client, url) = (client.clone(), app.url("/api/consent/search"));
        let body = format!("q=Subject+{}", 1000 + i);
        async move { call(&client, &url, body).await }
    })
    .await;

    let application: uuid::Uuid = sqlx::query_scalar("SELECT md5('consent-app')::uuid")
        .fetch_one(&pool)
        .await
        .unwrap();
    let sent = ingestion_rounds(
        &app,
        &client,
        (application, "Bench consent"),
        "/api/v1/consent-events",
        BATCHES,
        batch,
    )
    .await;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM consent_events WHERE org_id = $1")
        .bind(org)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, EVENTS + (sent * 1_000) as i64);
}

/// Batch number `n`: 1,000 new events about subjects spread over the organisation (a
/// tenth of them new), on every channel and purpose, within the last hour.
fn batch(n: usize) -> Value {
    let now = Utc::now();
    let events: Vec<Value> = (0..1_000)
        .map(|i| {
            let k = n * 1_000 + i;
            let who = if k.is_multiple_of(10) {
                1_000_000 + k
            } else {
                (k * 7919) % SUBJECTS as usize
            };
            json!({
                "id": format!("live-{k}"),
                "subject": format!("ext-{who}"),
                "email": format!("subject{who}@consent.example"),
                "account": format!("Client {:02}", who % 20),
                "channel": CHANNELS[k % CHANNELS.len()],
                "purpose": BUILT_IN_PURPOSES[k % BUILT_IN_PURPOSES.len()],
                "status": if k.is_multiple_of(3) { "withdrawn" } else { "granted" },
                "lawful_basis": "consent",
                "method": "web_form",
                "source": "Benchmark",
                "notice_version": "2026-11",
                "notice_sha256": "cd".repeat(32),
                "language": "en",
                "jurisdiction": "EU",
                "at": (now - Duration::seconds((k % 3600) as i64)).to_rfc3339(),
            })
        })
        .collect();
    json!({ "events": events })
}

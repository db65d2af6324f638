//! Outbound webhooks against a local receiver: signed JSON, a failed delivery retried
//! after its backoff, given up after the last attempt, sent again from the console.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use chrono::{Duration, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use uuid::Uuid;

use gatehouse_server::demo;
use rules::webhooks::Destinations;

use crate::common::{spawn_configured, spawn_demo, TestApp};
use crate::requests::{acme, ask, principal, request_id, role};

/// What the receiver got: (headers, body); it answers 500 to the first `fail_first` calls.
#[derive(Clone, Default)]
pub(crate) struct Receiver {
    pub(crate) calls: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    fail_first: usize,
}

pub(crate) async fn start_receiver(fail_first: usize) -> (String, Receiver) {
    let receiver = Receiver {
        fail_first,
        ..Default::default()
    };
    let state = receiver.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move {
                let mut calls = state.calls.lock().unwrap();
                calls.push((headers, body));
                if calls.len() <= state.fail_first {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, receiver)
}

/// The demo, with webhooks allowed to the receiver on this machine.
async fn spawn_for_local_receiver(pool: sqlx::PgPool) -> TestApp {
    let app = spawn_configured(pool, |c| c.allow_private_webhooks = true).await;
    demo::load_organisation(&app.pool)
        .await
        .expect("demo loads");
    app
}

pub(crate) const LOCAL: Destinations = Destinations::webhooks(true);

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).unwrap().to_str().unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn events_arrive_signed_and_failures_are_retried(pool: sqlx::PgPool) {
    let app = spawn_for_local_receiver(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let member = app.demo_client("member@northwind.example").await;
    let (url, receiver) = start_receiver(1).await;

    let body = serde_urlencoded::to_string([
        ("url", url.as_str()),
        ("events[0]", "request.created"),
        ("events[1]", "request.decided"),
    ])
    .unwrap();
    let (status, created) = app.json(&admin, "/api/webhooks/create", &body).await;
    assert_eq!(status, 200, "{created}");
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.len() >= 64, "a long random secret");
    // Kept sealed: the database alone does not give it away.
    let stored: String = sqlx::query_scalar("SELECT secret FROM webhooks")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(
        stored.starts_with("sealed:v1:") && !stored.contains(&secret),
        "{stored}"
    );
    assert_eq!(app.keys.open(&stored).unwrap(), secret);

    let me = principal(&app, "member@northwind.example").await;
    let (status, asked) = ask(&app, &member, me, role(&app, false).await, acme(&app).await).await;
    assert_eq!(status, 200, "{asked}");
    let request = request_id(&asked);

    let client = app::service::webhooks::client(LOCAL);
    let first =
        app::service::webhooks::deliver_due(&app.pool, &client, (LOCAL, &app.keys), Utc::now(), 50)
            .await
            .unwrap();
    assert_eq!((first.delivered, first.failed_attempts), (0, 1));
    let (attempts, response, next): (i32, String, chrono::DateTime<Utc>) =
        sqlx::query_as("SELECT attempts, last_response, next_attempt_at FROM webhook_deliveries")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((attempts, response.as_str()), (1, "HTTP 500"));
    assert!(next > Utc::now() + Duration::seconds(20), "backs off");
    // Not due yet: nothing is sent.
    let early =
        app::service::webhooks::deliver_due(&app.pool, &client, (LOCAL, &app.keys), Utc::now(), 50)
            .await
            .unwrap();
    assert_eq!(early, Default::default());

    let second = app::service::webhooks::deliver_due(
        &app.pool,
        &client,
        (LOCAL, &app.keys),
        Utc::now() + Duration::seconds(31),
        50,
    )
    .await
    .unwrap();
    assert_eq!(second.delivered, 1);
    let calls = receiver.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 2);
    let (headers, body) = &calls[1];
    assert_eq!(header(headers, "x-gatehouse-event"), "request.created");
    assert_eq!(header(headers, "content-type"), "application/json");
    let timestamp = header(headers, "x-gatehouse-timestamp");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(header(headers, "x-gatehouse-signature"), expected);
    let event: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(event["type"], "request.created");
    assert_eq!(event["data"]["request_id"], request.to_string());
    assert_eq!(event["data"]["principal"], "Priya Nair");

    let (status, overview) = app.json(&admin, "/api/webhooks/overview", "").await;
    assert_eq!(status, 200);
    assert_eq!(overview["deliveries"][0]["status"], "delivered");
    assert_eq!(overview["webhooks"][0]["delivered"], 1);
    // The secret is never sent back.
    assert!(!overview.to_string().contains(&secret));
    let approver = app.demo_client("approver@northwind.example").await;
    let (status, _) = app.json(&approver, "/api/webhooks/overview", "").await;
    assert_eq!(status, 403, "webhooks are for Governance admins");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_delivery_is_given_up_and_can_be_sent_again(pool: sqlx::PgPool) {
    let app = spawn_for_local_receiver(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let member = app.demo_client("member@northwind.example").await;
    let (url, receiver) = start_receiver(usize::MAX).await;
    let body =
        serde_urlencoded::to_string([("url", url.as_str()), ("events[0]", "request.created")])
            .unwrap();
    let (status, _) = app.json(&admin, "/api/webhooks/create", &body).await;
    assert_eq!(status, 200);
    let me = principal(&app, "member@northwind.example").await;
    ask(&app, &member, me, role(&app, false).await, acme(&app).await).await;
    // Seven attempts already failed: the eighth is the last.
    sqlx::query("UPDATE webhook_deliveries SET attempts = 7")
        .execute(&app.pool)
        .await
        .unwrap();
    let client = app::service::webhooks::client(LOCAL);
    let round =
        app::service::webhooks::deliver_due(&app.pool, &client, (LOCAL, &app.keys), Utc::now(), 50)
            .await
            .unwrap();
    assert_eq!(round.given_up, 1);
    let (id, status): (Uuid, String) =
        sqlx::query_as("SELECT id, status::text FROM webhook_deliveries")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(status, "failed");
    assert_eq!(receiver.calls.lock().unwrap().len(), 1);

    let (status, _) = app
        .json(&admin, "/api/webhooks/retry", &format!("delivery={id}"))
        .await;
    assert_eq!(status, 200);
    let (status, attempts): (String, i32) =
        sqlx::query_as("SELECT status::text, attempts FROM webhook_deliveries")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), attempts), ("pending", 0));
    let (status, again) = app
        .json(&admin, "/api/webhooks/retry", &format!("delivery={id}"))
        .await;
    assert_eq!(status, 409, "only a failed delivery: {again}");
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action IN ('webhook.created', 'webhook.delivery_retried')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 2);

    let (status, refused) = app
        .json(
            &admin,
            "/api/webhooks/create",
            "url=ftp%3A%2F%2Fexample.com&events[0]=request.created",
        )
        .await;
    assert_eq!(status, 422, "{refused}");
}

#[sqlx::test(migrations = "../migrations")]
async fn internal_addresses_are_refused_when_made_and_when_sent(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let member = app.demo_client("member@northwind.example").await;
    let (receiver_url, receiver) = start_receiver(0).await;
    let before = app.snapshot(&[]).await;
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:5432/",
        "http://localhost:3000/api/auth/me",
        "http://10.0.0.7/hook",
        "http://[::1]:8080/hook",
        "http://[::ffff:192.168.0.1]/hook",
        receiver_url.as_str(),
    ] {
        let body =
            serde_urlencoded::to_string([("url", url), ("events[0]", "request.created")]).unwrap();
        let (status, refused) = app.json(&admin, "/api/webhooks/create", &body).await;
        assert_eq!(status, 422, "{url}: {refused}");
        assert_eq!(refused["Invalid"]["field"], "url", "{url}");
        assert!(
            refused["Invalid"]["message"]
                .as_str()
                .unwrap()
                .contains("GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE"),
            "{url}: {refused}"
        );
    }
    assert_eq!(app.snapshot(&[]).await, before, "nothing was written");

    // An endpoint made by an instance that allowed private addresses is not sent to by
    // one that does not.
    let lenient = spawn_configured(app.pool.clone(), |c| c.allow_private_webhooks = true).await;
    let admin_there = lenient.demo_client("admin@northwind.example").await;
    let body = serde_urlencoded::to_string([
        ("url", receiver_url.as_str()),
        ("events[0]", "request.created"),
    ])
    .unwrap();
    let (status, made) = lenient
        .json(&admin_there, "/api/webhooks/create", &body)
        .await;
    assert_eq!(status, 200, "{made}");
    let me = crate::requests::principal(&app, "member@northwind.example").await;
    ask(&app, &member, me, role(&app, false).await, acme(&app).await).await;
    let strict = Destinations::webhooks(false);
    let client = app::service::webhooks::client(strict);
    let round = app::service::webhooks::deliver_due(
        &app.pool,
        &client,
        (strict, &lenient.keys),
        Utc::now(),
        50,
    )
    .await
    .unwrap();
    assert_eq!(round.failed_attempts, 1);
    assert!(
        receiver.calls.lock().unwrap().is_empty(),
        "nothing reached it"
    );
    let response: String = sqlx::query_scalar("SELECT last_response FROM webhook_deliveries")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(response.starts_with("not sent:"), "{response}");
}

#[sqlx::test(migrations = "../migrations")]
async fn secrets_stored_plain_or_under_an_old_key_are_sealed_again_at_start(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    sqlx::query(
        "INSERT INTO webhooks (org_id, id, url, secret, events) \
         SELECT id, gen_random_uuid(), 'https://203.0.113.7/hook', 'whsec_from_before', ARRAY['request.created'] \
         FROM organisations",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let resealed = app::service::webhooks::reseal_secrets(&app.pool, &app.keys)
        .await
        .unwrap();
    assert_eq!(resealed, 1);
    let stored: String = sqlx::query_scalar("SELECT secret FROM webhooks")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(!stored.contains("whsec_from_before"));
    assert_eq!(app.keys.open(&stored).unwrap(), "whsec_from_before");
    let again = app::service::webhooks::reseal_secrets(&app.pool, &app.keys)
        .await
        .unwrap();
    assert_eq!(again, 0, "already sealed under the current key");
}

/// A receiver that takes connections and never answers.
async fn hanging_receiver() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = vec![];
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    url
}

#[sqlx::test(migrations = "../migrations")]
async fn a_receiver_that_never_answers_delays_no_page_and_no_decision(pool: sqlx::PgPool) {
    let app = spawn_for_local_receiver(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let member = app.demo_client("member@northwind.example").await;
    let token = crate::activity::crm_token(&app).await;
    let url = hanging_receiver().await;
    let body =
        serde_urlencoded::to_string([("url", url.as_str()), ("events[0]", "request.created")])
            .unwrap();
    assert_eq!(app.json(&admin, "/api/webhooks/create", &body).await.0, 200);
    let me = principal(&app, "member@northwind.example").await;
    let (viewer, acme) = (role(&app, false).await, acme(&app).await);
    assert_eq!(ask(&app, &member, me, viewer, acme).await.0, 200);

    // The delivery round waits on the receiver, as the scheduled job would.
    let (pool, keys) = (app.pool.clone(), app.keys.clone());
    let round = tokio::spawn(async move {
        let client = app::service::webhooks::client(LOCAL);
        app::service::webhooks::deliver_due(&pool, &client, (LOCAL, &keys), Utc::now(), 50).await
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for _ in 0..3 {
        let started = std::time::Instant::now();
        // A page's data and a decision.
        assert_eq!(app.json(&admin, "/api/dashboard/summary", "").await.0, 200);
        let (status, _) = crate::activity::post_batch(
            &app,
            "/api/v1/decisions",
            Some(&token),
            &serde_json::json!({"checks": [crate::decisions::check(
                "member@northwind.example", "contacts.view", "Acme Retail", "EU")]}),
        )
        .await;
        assert_eq!(status, 200);
        let took = started.elapsed();
        assert!(
            took < std::time::Duration::from_secs(2),
            "answers waited on the receiver: {took:?}"
        );
        assert!(!round.is_finished(), "the delivery is still waiting");
    }
    let round = round.await.unwrap().unwrap();
    assert_eq!(round.failed_attempts, 1);
    let response: String = sqlx::query_scalar("SELECT last_response FROM webhook_deliveries")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(response.contains("no answer within"), "{response}");
}

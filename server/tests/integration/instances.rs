//! Several instances on one database: each a router with its own pool, as separate
//! processes would be. Sessions, revocations and deliveries hold across them.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::activity::{crm_token, post_batch};
use crate::common::{spawn_configured, TestApp};
use crate::decisions::check;
use crate::requests::{acme, ask, principal, role};
use crate::webhooks::{start_receiver, LOCAL};

/// An instance; instances of one deployment share the key secrets are sealed with.
async fn instance(pool: sqlx::PgPool, key: &str) -> TestApp {
    spawn_configured(pool, |c| {
        c.allow_private_webhooks = true;
        c.secret_key = Some(key.to_string());
    })
    .await
}

async fn decide(app: &TestApp, token: &str) -> serde_json::Value {
    let (status, answer) = post_batch(
        app,
        "/api/v1/decisions",
        Some(token),
        &json!({"checks": [check("member@northwind.example", "contacts.view", "Acme Retail", "EU")]}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    answer["decisions"][0].clone()
}

#[sqlx::test(migrations = "../migrations")]
async fn two_instances_share_sessions_and_revocations_and_deliver_each_webhook_once(
    pool: sqlx::PgPool,
) {
    let key = app::service::secrets::SecretKeys::generate_base64();
    let one = instance(pool.clone(), &key).await;
    gatehouse_server::demo::load_organisation(&one.pool)
        .await
        .expect("demo loads");
    let two = instance(pool, &key).await;
    let token = crm_token(&one).await;

    // Signed in on one, the member is signed in on the other (the cookie is the
    // browser's, the session the database's).
    let member = one.demo_client("member@northwind.example").await;
    let (_, me) = two.json(&member, "/api/auth/me", "").await;
    assert_eq!(me["email"], "member@northwind.example", "{me}");
    let admin = one.demo_client("admin@northwind.example").await;
    let id = principal(&one, "member@northwind.example").await;
    let viewer = crate::decisions::viewer_role(&one).await;
    crate::decisions::grant(&one, &admin, (id, viewer, Some(acme(&one).await)), "").await;
    assert_eq!(decide(&two, &token).await["allowed"], true);

    // Suspended on one: refused on the other at once, for the console and decisions.
    let body = format!("principal={id}&status=suspended&reason=Left+the+company");
    let (status, answer) = one.json(&admin, "/api/principals/status", &body).await;
    assert_eq!(status, 200, "{answer}");
    let suspended = Instant::now();
    let (status, _) = two.json(&member, "/api/dashboard/summary", "").await;
    assert_eq!(status, 401);
    assert_eq!(decide(&two, &token).await["allowed"], false);
    assert!(suspended.elapsed() < Duration::from_secs(1));

    // Three endpoints for one event: both instances' delivery rounds run at once, and
    // each delivery is sent once.
    let (url, receiver) = start_receiver(0).await;
    for _ in 0..3 {
        let body =
            serde_urlencoded::to_string([("url", url.as_str()), ("events[0]", "request.created")])
                .unwrap();
        assert_eq!(one.json(&admin, "/api/webhooks/create", &body).await.0, 200);
    }
    let me = principal(&two, "admin@northwind.example").await;
    let (viewer, acme) = (role(&two, false).await, acme(&two).await);
    let (status, asked) = ask(&two, &admin, me, viewer, acme).await;
    assert_eq!(status, 200, "{asked}");
    let round = |app: &TestApp| {
        let (pool, keys) = (app.pool.clone(), app.keys.clone());
        async move {
            let client = app::service::webhooks::client(LOCAL);
            app::service::webhooks::deliver_due(
                &pool,
                &client,
                (LOCAL, &keys),
                chrono::Utc::now(),
                50,
            )
            .await
            .unwrap()
        }
    };
    let (a, b) = tokio::join!(round(&one), round(&two));
    assert_eq!(a.delivered + b.delivered, 3, "{a:?} {b:?}");
    assert_eq!(receiver.calls.lock().unwrap().len(), 3);

    // Both instances' expiry rounds at once, a year on: each ended grant is expired
    // (and on the trail) once.
    let later = chrono::Utc::now() + chrono::Duration::days(400);
    let age = chrono::Duration::days(30);
    let (a, b) = tokio::join!(
        app::service::expiry::run(&one.pool, later, age),
        app::service::expiry::run(&two.pool, later, age)
    );
    let expired = a.unwrap().grants_expired + b.unwrap().grants_expired;
    let (events, twice): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) - count(DISTINCT target_id) FROM audit_events WHERE action = 'grant.expired'",
    )
    .fetch_one(&one.pool)
    .await
    .unwrap();
    assert!(expired > 0);
    assert_eq!((events, twice), (expired as i64, 0));
}

//! What operators watch: request ids, `/readyz`, and `/metrics` behind its token.

use crate::common::{client, spawn, spawn_configured};

const TOKEN: &str = "metrics-token-for-tests-0123";

#[sqlx::test(migrations = "../migrations")]
async fn every_answer_carries_a_request_id_and_readiness_says_whether_migrations_are_current(
    pool: sqlx::PgPool,
) {
    let app = spawn(pool).await;
    let c = client();
    let answer = c.get(app.url("/readyz")).send().await.unwrap();
    let id = answer.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 32, "{id}");
    assert_eq!(answer.status(), 200);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["migrations"], "current", "{body}");

    // A caller's own id is kept when it is plain, replaced when it is not.
    for (given, kept) in [
        ("trace-42_a", true),
        ("two words", false),
        (&*"x".repeat(65), false),
    ] {
        let answer = c
            .get(app.url("/login"))
            .header("x-request-id", given)
            .send()
            .await
            .unwrap();
        let echoed = answer.headers()["x-request-id"].to_str().unwrap();
        assert_eq!(echoed == given, kept, "{given:?} → {echoed}");
    }

    // A migration this build does not know: the instance is not ready.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101000000, 'from a newer build', true, '\\x00', 0)",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let answer = c.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(answer.status(), 503);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["migrations"], "not current", "{body}");
}

#[sqlx::test(migrations = "../migrations")]
async fn metrics_answer_only_the_bearer_of_the_metrics_token(pool: sqlx::PgPool) {
    let without = spawn(pool.clone()).await;
    let c = client();
    assert_eq!(
        c.get(without.url("/metrics"))
            .send()
            .await
            .unwrap()
            .status(),
        404,
        "no token set: no endpoint"
    );

    let app = spawn_configured(pool, |config| config.metrics_token = Some(TOKEN.into())).await;
    assert_eq!(
        c.get(app.url("/healthz")).send().await.unwrap().status(),
        200
    );
    for authorization in [None, Some("Bearer wrong-token-wrong-token-0"), Some(TOKEN)] {
        let mut request = c.get(app.url("/metrics"));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        assert_eq!(
            request.send().await.unwrap().status(),
            401,
            "{authorization:?}"
        );
    }
    // Nor does a signed-in admin's session stand in for the token.
    let admin = crate::common::client();
    gatehouse_server::demo::load_organisation(&app.pool)
        .await
        .expect("demo loads");
    let _ = app
        .sign_in(
            &admin,
            "admin@northwind.example",
            gatehouse_server::demo::PASSWORD,
        )
        .await;
    assert_eq!(
        admin
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    let answer = c
        .get(app.url("/metrics"))
        .header("authorization", format!("Bearer {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let text = answer.text().await.unwrap();
    for expected in [
        r#"gatehouse_http_requests_total{route="/healthz",method="GET",status="200"}"#,
        r#"gatehouse_http_request_duration_seconds_bucket{route="/healthz",method="GET",le="0.005"}"#,
        r#"gatehouse_db_pool_connections{state="idle"}"#,
        "gatehouse_db_pool_max_connections",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
}

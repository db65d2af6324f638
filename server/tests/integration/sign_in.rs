//! Signing in and out: one refusal message, throttling, session rotation, server-side
//! sign-out, cookie attributes, and the audit events of it all.

use crate::common::{session_cookie, spawn_demo, spawn_with};
use gatehouse_server::demo;

const REFUSED: &str = "That email and password do not match an active account.";

async fn refusal(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap();
    (
        status,
        body["SignInRefused"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

#[sqlx::test(migrations = "../migrations")]
async fn wrong_password_and_unknown_email_get_the_same_answer(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let client = crate::common::client();
    let wrong = refusal(
        app.sign_in(&client, "admin@northwind.example", "not-the-password")
            .await,
    )
    .await;
    let unknown = refusal(
        app.sign_in(&client, "nobody@northwind.example", "not-the-password")
            .await,
    )
    .await;
    assert_eq!(wrong, (401, REFUSED.to_string()));
    assert_eq!(unknown, wrong);

    // The failure against a real account is on its organisation's trail, with where it came from.
    let (action, ip, agent, reason): (String, Option<String>, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT action, host(source_ip), user_agent, reason FROM audit_events WHERE action LIKE 'auth.%' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(action, "auth.sign_in_failed");
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(agent.as_deref(), Some("gatehouse-tests"));
    assert_eq!(reason.as_deref(), Some("wrong password"));
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_input_is_refused_on_its_field(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let client = crate::common::client();
    let (status, body) = app
        .json(&client, "/api/auth/login", "email=not-an-email&password=x")
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["Invalid"]["field"], "email");
    let (status, body) = app
        .json(
            &client,
            "/api/auth/login",
            "email=admin%40northwind.example&password=",
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["Invalid"]["field"], "password");
    // A request the server cannot read is a 400, not a 500.
    let (status, _) = app.json(&client, "/api/auth/login", "garbage").await;
    assert_eq!(status, 400);
}

#[sqlx::test(migrations = "../migrations")]
async fn repeated_failures_lock_the_email_even_when_it_is_unknown(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let client = crate::common::client();
    for email in ["member@northwind.example", "ghost@northwind.example"] {
        for _ in 0..rules::sign_in_throttle::LOCK_AFTER {
            let (status, message) =
                refusal(app.sign_in(&client, email, "wrong-password").await).await;
            assert_eq!((status, message.as_str()), (401, REFUSED));
        }
        // Locked now: even the right password is refused, with a message saying so.
        let (status, message) = refusal(app.sign_in(&client, email, demo::PASSWORD).await).await;
        assert_eq!(status, 401);
        assert!(
            message.starts_with("Too many failed attempts"),
            "{email}: {message}"
        );
    }
    // Other emails are not affected.
    assert!(app
        .sign_in(&client, "admin@northwind.example", demo::PASSWORD)
        .await
        .status()
        .is_success());
}

#[sqlx::test(migrations = "../migrations")]
async fn sign_in_rotates_the_session_and_sign_out_ends_it_on_the_server(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let client = crate::common::client();
    let first = app
        .sign_in(&client, "admin@northwind.example", demo::PASSWORD)
        .await;
    assert!(first.status().is_success());
    let first_cookie = session_cookie(first.headers()).expect("a session cookie");
    let second = app
        .sign_in(&client, "admin@northwind.example", demo::PASSWORD)
        .await;
    let second_cookie = session_cookie(second.headers()).expect("a new session cookie");
    assert_ne!(
        first_cookie, second_cookie,
        "sign-in must issue a new session id"
    );

    let cookie_pair = second_cookie.split(';').next().unwrap().to_string();
    let (status, me) = app.json(&client, "/api/auth/me", "").await;
    assert_eq!(status, 200);
    assert_eq!(me["email"], "admin@northwind.example");

    assert!(app
        .call(&client, "/api/auth/logout", "")
        .await
        .status()
        .is_success());
    // Replaying the old cookie after sign-out gets nothing.
    let replay = crate::common::client();
    let response = replay
        .post(app.url("/api/accounts/list"))
        .header("cookie", cookie_pair)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let ended: i64 =
        sqlx::query_scalar("SELECT count(*) FROM console_sessions WHERE ended_at IS NOT NULL")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(ended, 1);
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE action LIKE 'auth.%' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(actions, ["auth.sign_in", "auth.sign_in", "auth.sign_out"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_suspended_principal_cannot_sign_in_and_loses_live_sessions(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let client = app.demo_client("approver@northwind.example").await;
    sqlx::query(
        "UPDATE principals SET status = 'suspended' WHERE email = 'approver@northwind.example'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        app.call(&client, "/api/dashboard/summary", "")
            .await
            .status()
            .as_u16(),
        401
    );
    let (status, message) = refusal(
        app.sign_in(
            &crate::common::client(),
            "approver@northwind.example",
            demo::PASSWORD,
        )
        .await,
    )
    .await;
    assert_eq!((status, message.as_str()), (401, REFUSED));
}

#[sqlx::test(migrations = "../migrations")]
async fn cookies_are_http_only_same_site_and_secure_behind_https(pool: sqlx::PgPool) {
    let app = spawn_demo(pool.clone()).await;
    let response = app
        .sign_in(
            &crate::common::client(),
            "admin@northwind.example",
            demo::PASSWORD,
        )
        .await;
    let cookie = session_cookie(response.headers()).unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");

    let https = spawn_with(pool, Some("https://gatehouse.example.com")).await;
    let response = https
        .sign_in(
            &crate::common::client(),
            "admin@northwind.example",
            demo::PASSWORD,
        )
        .await;
    let cookie = session_cookie(response.headers()).unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}

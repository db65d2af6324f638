//! Granting and revoking directly: reasons, end dates, application rules, audit events,
//! and the effective permissions following at once.

use crate::common::{spawn_demo, TestApp};
use serde_json::Value;

async fn scalar_id(app: &TestApp, sql: &str) -> uuid::Uuid {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

fn effective_has(detail: &Value, permission: &str) -> bool {
    detail["effective"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["permission"] == permission)
}

#[sqlx::test(migrations = "../migrations")]
async fn a_grant_takes_effect_at_once_and_a_revocation_ends_it(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let member = scalar_id(
        &app,
        "SELECT id FROM principals WHERE email = 'member@northwind.example'",
    )
    .await;
    // A role without high-impact permissions: an admin grants it alone.
    let agent = scalar_id(
        &app,
        "SELECT id FROM roles WHERE name = 'Conversation Agent'",
    )
    .await;
    let account = scalar_id(&app, "SELECT id FROM accounts WHERE name = 'Acme Retail'").await;
    let until = (chrono::Utc::now() + chrono::Duration::days(30)).date_naive();

    let (_, before) = app
        .json(
            &admin,
            "/api/principals/detail",
            &format!("principal={member}"),
        )
        .await;
    assert!(!effective_has(&before, "conversations.handover"));
    let body = format!("principal={member}&bundle={agent}&account={account}&until={until}&reason=Covering+invoices+in+March");
    let (status, grant) = app.json(&admin, "/api/grants/create", &body).await;
    assert_eq!(status, 200, "{grant}");
    let (_, after) = app
        .json(
            &admin,
            "/api/principals/detail",
            &format!("principal={member}"),
        )
        .await;
    let entry = after["effective"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["permission"] == "conversations.handover")
        .unwrap();
    assert_eq!(entry["account"], "Acme Retail");
    assert_eq!(entry["sources"], serde_json::json!(["Conversation Agent"]));

    let grant = grant["Granted"]["grant"].as_str().unwrap();
    let (status, error) = app
        .json(
            &admin,
            "/api/grants/revoke",
            &format!("grant={grant}&reason=short"),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(error["Invalid"]["field"], "reason");
    let (status, _) = app
        .json(
            &admin,
            "/api/grants/revoke",
            &format!("grant={grant}&reason=March+invoices+are+done"),
        )
        .await;
    assert_eq!(status, 200);
    let (_, revoked) = app
        .json(
            &admin,
            "/api/principals/detail",
            &format!("principal={member}"),
        )
        .await;
    assert!(!effective_has(&revoked, "conversations.handover"));
    let (status, _) = app
        .json(
            &admin,
            "/api/grants/revoke",
            &format!("grant={grant}&reason=March+invoices+are+done"),
        )
        .await;
    assert_eq!(status, 409, "revoking twice is refused");

    let events: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT action, reason FROM audit_events WHERE target_type = 'grant' AND target_id = $1 ORDER BY id")
            .bind(grant)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        events,
        [
            (
                "grant.created".to_string(),
                Some("Covering invoices in March".to_string())
            ),
            (
                "grant.revoked".to_string(),
                Some("March invoices are done".to_string())
            ),
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn application_rules_and_bad_input_are_refused_on_their_field(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let member = scalar_id(
        &app,
        "SELECT id FROM principals WHERE email = 'member@northwind.example'",
    )
    .await;
    let designer = scalar_id(&app, "SELECT id FROM roles WHERE name = 'Flow Designer'").await;
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM grants")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let far = (chrono::Utc::now() + chrono::Duration::days(45)).date_naive();
    // (until, reason, field): Chatbot Builder needs an end date within 30 days.
    for (until, reason, field) in [
        (String::new(), "Building the spring flows", "until"),
        (far.to_string(), "Building the spring flows", "until"),
        (
            "2020-01-01".to_string(),
            "Building the spring flows",
            "until",
        ),
        ("soon".to_string(), "Building the spring flows", "until"),
        (
            (chrono::Utc::now() + chrono::Duration::days(7))
                .date_naive()
                .to_string(),
            "x",
            "reason",
        ),
    ] {
        let body = serde_urlencoded::to_string([
            ("principal", member.to_string()),
            ("bundle", designer.to_string()),
            ("account", String::new()),
            ("until", until.clone()),
            ("reason", reason.to_string()),
        ])
        .unwrap();
        let (status, error) = app.json(&admin, "/api/grants/create", &body).await;
        assert_eq!(status, 422, "{until} {reason}: {error}");
        assert_eq!(error["Invalid"]["field"], field, "{until} {reason}");
    }
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM grants")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(after, before);
}

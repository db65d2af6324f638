//! A net under every input: each registered server function, and each `/api/v1`
//! endpoint, is sent malformed input (missing fields, wrong types, huge strings, NUL and
//! other control characters, invalid ids, negative and huge numbers, unknown values) by
//! a signed-in admin, a DPO and an anonymous caller. No answer is a 5xx, and a call
//! that is refused writes nothing.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::activity::crm_token;
use crate::common::spawn_demo;

/// Field names the console's server functions take, each filled with the same bad value.
const FIELDS: &[&str] = &[
    "id",
    "principal",
    "bundle",
    "account",
    "grant",
    "request",
    "requests[0]",
    "subject",
    "delivery",
    "webhook",
    "token",
    "role",
    "permission",
    "conflicting",
    "application",
    "kind",
    "page",
    "days",
    "limit",
    "name",
    "description",
    "email",
    "password",
    "reason",
    "justification",
    "comment",
    "duration",
    "until",
    "query[search]",
    "query[page]",
    "query[target]",
    "query[kind]",
    "query[days]",
    "q",
    "url",
    "events[0]",
    "approve",
    "active",
    "granted",
    "status",
    "mode",
    "step",
    "confirm",
    "to",
    "received_on",
    "channel",
    "purpose",
    "region",
    "report",
    "selection[0]",
    "action",
    "key",
    "label",
    "note",
];

/// Values no field should take without a clear refusal.
const BAD_VALUES: &[&str] = &[
    "",
    "not-a-uuid",
    "00000000-0000-0000-0000-000000000000",
    "-1",
    "-99999999999999999999999999",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "true",
    "[]",
    "Robert'); DROP TABLE grants;--",
    "a\u{0}b",
    "\u{7}bell",
    "\u{202e}txet desrever 😀",
];

fn bodies() -> Vec<String> {
    let mut bodies: Vec<String> = BAD_VALUES
        .iter()
        .map(|value| {
            serde_urlencoded::to_string(FIELDS.iter().map(|f| (*f, *value)).collect::<Vec<_>>())
                .unwrap()
        })
        .collect();
    bodies.push(String::new());
    bodies.push("%ZZ&&==&=x&x".into());
    // Under the body limit, and over it.
    bodies.push(format!(
        "name={}&reason={}",
        "n".repeat(60_000),
        "r".repeat(60_000)
    ));
    bodies.push(format!("name={}", "n".repeat(300_000)));
    bodies
}

/// Tables a refused call may touch: failed sign-ins are counted, sessions are kept.
const MAY_CHANGE: &[&str] = &["sign_in_throttle", "console_sessions"];

#[sqlx::test(migrations = "../migrations")]
async fn no_server_function_fails_or_half_writes_on_malformed_input(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let _ = app::App;
    let paths: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .filter(|p| p != "/api/auth/logout")
        .collect();
    assert!(paths.len() > 50, "{paths:?}");
    let callers = [
        ("admin", app.demo_client("admin@northwind.example").await),
        ("dpo", app.demo_client("dpo@northwind.example").await),
        ("anonymous", crate::common::client()),
    ];
    let bodies = bodies();
    let mut refused_calls = 0;
    for path in &paths {
        let before = app.snapshot(MAY_CHANGE).await;
        let mut accepted = false;
        for (who, client) in &callers {
            for body in &bodies {
                let response = app.call(client, path, body).await;
                let status = response.status().as_u16();
                let text = response.text().await.unwrap_or_default();
                assert!(
                    status < 500,
                    "{who} {path} answered {status} to {:.120}: {text:.300}",
                    body
                );
                if status < 300 {
                    accepted = true;
                } else {
                    refused_calls += 1;
                }
            }
        }
        if !accepted {
            assert_eq!(
                app.snapshot(MAY_CHANGE).await,
                before,
                "{path}: refused calls wrote something"
            );
        }
    }
    assert!(
        refused_calls > paths.len() * bodies.len(),
        "{refused_calls}"
    );
    // The callers are still who they were.
    let (status, me) = app.json(&callers[0].1, "/api/auth/me", "").await;
    assert_eq!(
        (status, me["email"].as_str()),
        (200, Some("admin@northwind.example"))
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_batch_endpoints_answer_every_malformed_body_without_a_fault(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let token = crm_token(&app).await;
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let raw: Vec<String> = vec![
        String::new(),
        "not json".into(),
        "{".into(),
        deep,
        "null".into(),
        "[]".into(),
        "{}".into(),
        r#"{"events": "x"}"#.into(),
        r#"{"events": []}"#.into(),
        r#"{"events": [1, null, "x", [], {}]}"#.into(),
        json!({"events": [
            {"id": {}, "principal": 5, "permission": [], "at": "yesterday"},
            {"id": "n1", "principal": "member@northwind.example\u{0}", "permission": "contacts.view", "at": "2026-01-01T00:00:00Z"},
            {"id": "n2", "subject": "s\u{0}", "account": "Acme Retail", "channel": "email", "purpose": "marketing",
             "status": "granted", "lawful_basis": "consent", "method": "api", "source": "x", "notice_version": "1",
             "notice_sha256": "00", "language": "en", "jurisdiction": "EU", "at": "2026-01-01T00:00:00Z",
             "evidence": {"k\u{0}": "v"}},
            {"id": "n3", "principal": "x".repeat(100_000), "permission": "a.b", "at": "9999-12-31T23:59:59Z"},
            {"id": "-1", "principal": "member@northwind.example", "permission": "contacts.view",
             "account": "00000000-0000-0000-0000-000000000000", "at": "-0001-01-01T00:00:00Z"},
        ]})
        .to_string(),
    ];
    for path in [
        "/api/v1/activity",
        "/api/v1/consent-events",
        "/api/v1/decisions",
        "/api/v1/filter",
        "/api/v1/requests",
    ] {
        for body in &raw {
            for token in [Some(token.as_str()), None, Some("gtk_\u{0}")] {
                let mut request = crate::common::client()
                    .post(app.url(path))
                    .header("content-type", "application/json")
                    .body(body.clone());
                if let Some(token) = token {
                    if let Ok(value) =
                        reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
                    {
                        request = request.header("authorization", value);
                    }
                }
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let answer: Value = response.json().await.unwrap_or(Value::Null);
                assert!(
                    status < 500,
                    "{path} answered {status} to {body:.100}: {answer}"
                );
                assert!(answer.is_object(), "{path}: JSON answer to {body:.100}");
            }
        }
    }
    // A batch holding an event with NUL is answered event by event: that one rejected.
    let (status, report) = crate::activity::send(
        &app,
        Some(&token),
        &json!({"events": [
            {"id": "ok-1", "principal": "member@northwind.example", "permission": "contacts.view",
             "at": chrono::Utc::now().to_rfc3339()},
            {"id": "nul-1", "principal": "member\u{0}@northwind.example", "permission": "contacts.view",
             "at": chrono::Utc::now().to_rfc3339()},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["recorded"].as_i64(), report["rejected"].as_i64()),
        (Some(1), Some(1)),
        "{report}"
    );
    assert!(
        report["events"][1]["error"]
            .as_str()
            .unwrap()
            .contains("control character"),
        "{report}"
    );
}

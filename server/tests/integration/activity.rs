//! Application tokens and activity ingestion: per-event answers, idempotency, partial
//! failures, last activity and permission use moving forward, and every way a token is
//! refused.

use serde_json::{json, Value};
use uuid::Uuid;

use crate::common::{spawn_demo, TestApp};
use crate::requests::{id_of, principal};

/// A token for the demo's CRM, made by the Governance admin through the console.
pub(crate) async fn crm_token(app: &TestApp) -> String {
    let admin = app.demo_client("admin@northwind.example").await;
    let crm = id_of(app, "SELECT id FROM applications WHERE name = 'Acme CRM'").await;
    let (status, made) = app
        .json(
            &admin,
            "/api/tokens/create",
            &format!("application={crm}&name=CRM+activity+export&until="),
        )
        .await;
    assert_eq!(status, 200, "{made}");
    made["token"].as_str().unwrap().to_string()
}

pub(crate) async fn send(app: &TestApp, token: Option<&str>, body: &Value) -> (u16, Value) {
    post_batch(app, "/api/v1/activity", token, body).await
}

/// Posts a batch to an `/api/v1` endpoint with the token, if any; answers the status
/// and the JSON answer.
pub(crate) async fn post_batch(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let mut request = crate::common::client().post(app.url(path)).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn event(id: &str, principal: &str, permission: &str, account: Option<&str>, at: &str) -> Value {
    json!({"id": id, "principal": principal, "permission": permission, "account": account, "at": at})
}

fn statuses(report: &Value) -> Vec<(String, String)> {
    report["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["status"].as_str().unwrap().to_string(),
                e["error"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_batch_answers_each_event_and_records_each_once(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let token = crm_token(&app).await;
    let member = principal(&app, "member@northwind.example").await;
    let agent = id_of(
        &app,
        "SELECT id FROM principals WHERE external_id = 'agent:lead-scoring'",
    )
    .await;
    let at = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    let later = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    let batch = json!({"events": [
        event("e-1", "Member@Northwind.example", "contacts.view", Some("Acme Retail"), &at),
        event("e-2", "agent:lead-scoring", "contacts.edit", None, &later),
        event("e-1", "member@northwind.example", "contacts.view", Some("Acme Retail"), &at),
        event("e-3", "nobody@nowhere.example", "contacts.view", None, &at),
        event("e-4", "member@northwind.example", "spaceships.launch", None, &at),
        event("e-5", "member@northwind.example", "contacts.view", Some("No Such Client"), &at),
        {"id": "e-6", "principal": "member@northwind.example", "permission": "contacts.view", "at": "last week"},
        event("e-7", "member@northwind.example", "contacts.edit", Some("Acme Retail"), &later),
    ]});
    let (status, report) = send(&app, Some(&token), &batch).await;
    assert_eq!(status, 200, "{report}");
    let got = statuses(&report);
    let status_of = |i: usize| got[i].0.as_str();
    assert_eq!(
        (0..8).map(status_of).collect::<Vec<_>>(),
        [
            "recorded",
            "recorded",
            "duplicate",
            "rejected",
            "rejected",
            "rejected",
            "rejected",
            "recorded"
        ]
    );
    assert!(got[3].1.contains("nobody@nowhere.example"), "{}", got[3].1);
    assert!(got[4].1.contains("spaceships.launch"), "{}", got[4].1);
    assert!(got[5].1.contains("No Such Client"), "{}", got[5].1);
    assert!(got[6].1.contains("RFC 3339"), "{}", got[6].1);
    assert_eq!(
        (
            &report["recorded"],
            &report["duplicates"],
            &report["rejected"]
        ),
        (&json!(3), &json!(1), &json!(4))
    );

    // The same batch again: nothing new.
    let (_, again) = send(&app, Some(&token), &batch).await;
    assert_eq!(
        (&again["recorded"], &again["duplicates"]),
        (&json!(0), &json!(4))
    );
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM activity_events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 3);

    // Last activity and last use moved to the newest event of each principal.
    let seen: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT last_activity_at FROM principals WHERE id = $1")
            .bind(agent)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let sent = chrono::DateTime::parse_from_rfc3339(&later).unwrap();
    assert_eq!(seen.timestamp_micros(), sent.timestamp_micros());
    let uses: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT p.resource || '.' || p.action, a.name FROM permission_usage u \
         JOIN permissions p ON p.org_id = u.org_id AND p.id = u.permission_id \
         LEFT JOIN accounts a ON a.org_id = u.org_id AND a.id = u.account_id \
         WHERE u.principal_id = $1 ORDER BY 1",
    )
    .bind(member)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        uses,
        [
            ("contacts.edit".to_string(), Some("Acme Retail".to_string())),
            ("contacts.view".to_string(), Some("Acme Retail".to_string())),
        ]
    );
    // An older event does not move last use back.
    let old = (chrono::Utc::now() - chrono::Duration::days(40)).to_rfc3339();
    let (_, report) = send(
        &app,
        Some(&token),
        &json!({"events": [event("e-old", "agent:lead-scoring", "contacts.edit", None, &old)]}),
    )
    .await;
    assert_eq!(report["recorded"], 1);
    let still: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT last_activity_at FROM principals WHERE id = $1")
            .bind(agent)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(still, seen);
}

#[sqlx::test(migrations = "../migrations")]
async fn tokens_are_kept_as_hashes_and_refused_once_revoked_or_expired(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let token = crm_token(&app).await;
    assert!(token.starts_with("gtk_") && token.len() == 68);
    let stored: bool = sqlx::query_scalar(
        "SELECT token_hash = sha256(convert_to($1, 'UTF8')) AND position($1 in hint) = 0 FROM application_tokens",
    )
    .bind(&token)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(stored, "only the hash and a short hint are kept");
    let leaked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE after::text LIKE '%' || $1 || '%'",
    )
    .bind(&token)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(leaked, 0);

    let at = chrono::Utc::now().to_rfc3339();
    let one =
        json!({"events": [event("t-1", "member@northwind.example", "contacts.view", None, &at)]});
    let (status, body) = send(&app, None, &one).await;
    assert_eq!(status, 401);
    assert!(body["error"]
        .as_str()
        .unwrap()
        .contains("application token"));
    let wrong = format!("gtk_{}", "0".repeat(64));
    assert_eq!(send(&app, Some(&wrong), &one).await.0, 401);

    // Malformed batches are refused as a whole, with the reason.
    let (status, body) = send(&app, Some(&token), &json!({"events": []})).await;
    assert_eq!(status, 422, "{body}");
    let too_many = json!({"events": vec![json!({}); 1001]});
    let (status, body) = send(&app, Some(&token), &too_many).await;
    assert_eq!(status, 422);
    assert!(body["error"].as_str().unwrap().contains("at most 1000"));
    let not_json = crate::common::client()
        .post(app.url("/api/v1/activity"))
        .bearer_auth(&token)
        .body("{events: nope")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status().as_u16(), 400);

    let (status, _) = send(&app, Some(&token), &one).await;
    assert_eq!(status, 200);
    let last_used: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT last_used_at FROM application_tokens")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(last_used.is_some());

    // Expired, then revoked through the console.
    sqlx::query("UPDATE application_tokens SET expires_at = now() - interval '1 minute'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(send(&app, Some(&token), &one).await.0, 401);
    sqlx::query("UPDATE application_tokens SET expires_at = NULL")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(send(&app, Some(&token), &one).await.0, 200);
    let admin = app.demo_client("admin@northwind.example").await;
    let id: Uuid = id_of(&app, "SELECT id FROM application_tokens").await;
    let (status, _) = app
        .json(&admin, "/api/tokens/revoke", &format!("token={id}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(send(&app, Some(&token), &one).await.0, 401);
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE target_type = 'application_token' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, ["token.created", "token.revoked"]);

    // The console refuses a token for the console itself, and to anyone but admins.
    let console = id_of(&app, "SELECT id FROM applications WHERE is_console").await;
    let (status, body) = app
        .json(
            &admin,
            "/api/tokens/create",
            &format!("application={console}&name=Sneaky&until="),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let approver = app.demo_client("approver@northwind.example").await;
    let (status, _) = app.json(&approver, "/api/tokens/overview", "").await;
    assert_eq!(status, 403);
}

/// Batches naming the same people in opposite orders, sent at once, are each recorded
/// whole (none is refused as a deadlock), and each person's last activity reaches the
/// latest of all of them.
#[sqlx::test(migrations = "../migrations")]
async fn batches_naming_the_same_people_at_once_are_all_recorded(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let token = crm_token(&app).await;
    let people: Vec<String> = sqlx::query_scalar(
        "SELECT email FROM principals WHERE kind = 'human' AND status = 'active' ORDER BY email",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(people.len() >= 20, "{people:?}");
    let base = chrono::Utc::now() - chrono::Duration::hours(2);
    let batches: Vec<Value> = (0..6i64)
        .map(|b| {
            let mut named = people.clone();
            if b % 2 == 1 {
                named.reverse();
            }
            named.rotate_left((b as usize * 7) % people.len());
            let events: Vec<Value> = named
                .iter()
                .enumerate()
                .map(|(i, email)| {
                    let at = base + chrono::Duration::seconds(b * 1000 + i as i64);
                    event(
                        &format!("at-once-{b}-{i}"),
                        email,
                        ["contacts.view", "contacts.edit"][i % 2],
                        None,
                        &at.to_rfc3339(),
                    )
                })
                .collect();
            json!({ "events": events })
        })
        .collect();
    let sent = futures::future::join_all(batches.iter().map(|b| send(&app, Some(&token), b))).await;
    for (status, report) in &sent {
        assert_eq!(*status, 200, "{report}");
        assert_eq!(report["recorded"], people.len(), "{report}");
    }
    let behind: Vec<String> = sqlx::query_scalar(
        "SELECT p.email FROM principals p \
         JOIN (SELECT principal_id, max(occurred_at) AS at FROM activity_events GROUP BY principal_id) e \
           ON e.principal_id = p.id \
         WHERE p.last_activity_at IS NULL OR p.last_activity_at < e.at",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        behind,
        Vec::<String>::new(),
        "last activity reaches the latest event"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_principal_or_account_still_named_by_permission_use_is_not_deleted(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let token = crm_token(&app).await;
    let org = id_of(&app, "SELECT id FROM organisations").await;
    let newcomer: Uuid = sqlx::query_scalar(
        "INSERT INTO principals (org_id, id, kind, display_name, email, employment_type) \
         VALUES ($1, gen_random_uuid(), 'human', 'Newcomer', 'newcomer@northwind.example', 'employee') \
         RETURNING id",
    )
    .bind(org)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let account: Uuid = sqlx::query_scalar(
        "INSERT INTO accounts (org_id, id, name, region) \
         VALUES ($1, gen_random_uuid(), 'Short-lived Client', 'EU') RETURNING id",
    )
    .bind(org)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let trial: Uuid = sqlx::query_scalar(
        "INSERT INTO permissions (org_id, id, application_id, resource, action) \
         SELECT $1, gen_random_uuid(), id, 'trial', 'view' FROM applications WHERE name = 'Acme CRM' \
         RETURNING id",
    )
    .bind(org)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let at = chrono::Utc::now().to_rfc3339();
    let (_, report) = send(
        &app,
        Some(&token),
        &json!({"events": [event("n-1", "newcomer@northwind.example", "trial.view", Some("Short-lived Client"), &at)]}),
    )
    .await;
    assert_eq!(report["recorded"], 1, "{report}");

    let refused = |table: &'static str, id: Uuid| {
        let pool = app.pool.clone();
        async move {
            sqlx::query(&format!("DELETE FROM {table} WHERE id = $1"))
                .bind(id)
                .execute(&pool)
                .await
                .unwrap_err()
                .as_database_error()
                .and_then(|e| e.code())
                .map(|c| c.into_owned())
        }
    };
    assert_eq!(
        refused("principals", newcomer).await.as_deref(),
        Some("23503")
    );
    assert_eq!(refused("accounts", account).await.as_deref(), Some("23503"));

    // A permission's use goes with it; then nothing names the principal, which may go.
    let mut tx = app.pool.begin().await.unwrap();
    sqlx::query("DELETE FROM permissions WHERE id = $1")
        .bind(trial)
        .execute(&mut *tx)
        .await
        .unwrap();
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM permission_usage WHERE permission_id = $1")
            .bind(trial)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!(left, 0);
    let gone = sqlx::query("DELETE FROM principals WHERE id = $1")
        .bind(newcomer)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(gone.rows_affected(), 1);
    tx.rollback().await.unwrap();
}

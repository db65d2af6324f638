//! Access requests: asking, deciding (one or two approvers), denial reasons, no
//! self-approval, cancellation, and exactly one decision under concurrent approvers.

use crate::common::{spawn_demo, TestApp};
use serde_json::Value;
use uuid::Uuid;

pub(crate) async fn id_of(app: &TestApp, sql: &str) -> Uuid {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

/// A role of a governed application with or without high-impact permissions.
pub(crate) async fn role(app: &TestApp, high_impact: bool) -> Uuid {
    sqlx::query_scalar(
        "SELECT r.id FROM roles r JOIN applications a ON a.org_id = r.org_id AND a.id = r.application_id \
         WHERE NOT a.is_console AND $1 = EXISTS (SELECT 1 FROM role_permissions rp JOIN permissions p \
             ON p.org_id = rp.org_id AND p.id = rp.permission_id WHERE rp.role_id = r.id AND p.high_impact) \
           AND EXISTS (SELECT 1 FROM role_permissions rp WHERE rp.role_id = r.id) \
         ORDER BY r.name LIMIT 1",
    )
    .bind(high_impact)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

pub(crate) async fn acme(app: &TestApp) -> Uuid {
    id_of(app, "SELECT id FROM accounts WHERE name = 'Acme Retail'").await
}

pub(crate) async fn principal(app: &TestApp, email: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM principals WHERE email = $1")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

pub(crate) async fn ask(
    app: &TestApp,
    client: &reqwest::Client,
    principal: Uuid,
    bundle: Uuid,
    account: Uuid,
) -> (u16, Value) {
    let body = format!(
        "principal={principal}&bundle={bundle}&account={account}&duration=7&until=&justification=Covering+the+spring+campaign+for+this+client"
    );
    app.json(client, "/api/requests/create", &body).await
}

pub(crate) fn request_id(value: &Value) -> Uuid {
    Uuid::parse_str(value.as_str().unwrap()).unwrap()
}

pub(crate) async fn status_of(app: &TestApp, request: Uuid) -> String {
    sqlx::query_scalar("SELECT status::text FROM access_requests WHERE id = $1")
        .bind(request)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

pub(crate) async fn decide(
    app: &TestApp,
    client: &reqwest::Client,
    request: Uuid,
    approve: bool,
    comment: &str,
) -> (u16, Value) {
    let body = serde_urlencoded::to_string([
        ("request", request.to_string()),
        ("approve", approve.to_string()),
        ("comment", comment.to_string()),
    ])
    .unwrap();
    app.json(client, "/api/approvals/decide", &body).await
}

#[sqlx::test(migrations = "../migrations")]
async fn a_member_asks_and_an_approver_grants_in_one_step(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let member = app.demo_client("member@northwind.example").await;
    let approver = app.demo_client("approver@northwind.example").await;
    let me = principal(&app, "member@northwind.example").await;
    let (bundle, account) = (role(&app, false).await, acme(&app).await);

    let body = format!("principal={me}&bundle={bundle}&account={account}");
    let (status, preview) = app.json(&member, "/api/requests/preview", &body).await;
    assert_eq!(status, 200, "{preview}");
    assert!(!preview["adds"].as_array().unwrap().is_empty(), "{preview}");
    assert_eq!(preview["approvals_needed"], 1);

    let (status, created) = ask(&app, &member, me, bundle, account).await;
    assert_eq!(status, 200, "{created}");
    let request = request_id(&created);
    let (_, mine) = app.json(&member, "/api/requests/mine", "").await;
    assert_eq!(mine[0]["status"], "pending");
    assert_eq!(mine[0]["duration"], "7 days");

    let (status, _) = decide(&app, &member, request, true, "").await;
    assert_eq!(status, 403, "a member is no approver");
    let (_, queue) = app.json(&approver, "/api/approvals/queue", "").await;
    let row = queue["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == request.to_string())
        .cloned()
        .unwrap_or_else(|| panic!("in the queue: {queue}"));
    // The approver sees what it adds (as previewed) and what the member holds now.
    let previewed: Vec<&str> = preview["adds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a[0].as_str().unwrap())
        .collect();
    let added: Vec<&str> = row["adds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(added, previewed);
    let held: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM grants WHERE principal_id = $1 AND revoked_at IS NULL \
           AND valid_from <= now() AND (valid_until IS NULL OR valid_until > now())",
    )
    .bind(me)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(row["current_access"].as_array().unwrap().len() as i64, held);
    assert_eq!(row["risk"], preview["risk"]);

    let (status, outcome) = decide(&app, &approver, request, true, "Fine for the campaign").await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome, "approved");
    let (grant_until, source): (Option<chrono::DateTime<chrono::Utc>>, Option<Uuid>) = sqlx::query_as(
        "SELECT g.valid_until, g.source_request_id FROM grants g JOIN access_requests r ON r.grant_id = g.id WHERE r.id = $1",
    )
    .bind(request)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(source, Some(request));
    let days = (grant_until.unwrap() - chrono::Utc::now()).num_hours();
    assert!(
        (7 * 24 - 1..=7 * 24).contains(&days),
        "ends in 7 days: {days} h"
    );
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE target_id IN ($1, (SELECT grant_id::text FROM access_requests WHERE id = $2)) ORDER BY id",
    )
    .bind(request.to_string())
    .bind(request)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        ["request.created", "grant.created", "request.approved"]
    );

    let (status, again) = decide(&app, &approver, request, true, "").await;
    assert_eq!(status, 409, "{again}");
}

#[sqlx::test(migrations = "../migrations")]
async fn nobody_decides_their_own_request_and_high_impact_takes_two(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let approver = app.demo_client("approver@northwind.example").await;
    let admin = app.demo_client("admin@northwind.example").await;
    let daniel = principal(&app, "approver@northwind.example").await;
    let (bundle, account) = (role(&app, true).await, acme(&app).await);

    let (status, created) = ask(&app, &approver, daniel, bundle, account).await;
    assert_eq!(status, 200, "{created}");
    let request = request_id(&created);
    let (_, queue) = app.json(&approver, "/api/approvals/queue", "").await;
    assert!(!queue["rows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == request.to_string()));
    let (status, refusal) = decide(&app, &approver, request, true, "").await;
    assert_eq!(status, 409);
    assert!(
        refusal
            .to_string()
            .contains("Nobody decides their own request"),
        "{refusal}"
    );

    // The admin approves the first of two steps; the same person cannot take the second.
    let (status, outcome) = decide(&app, &admin, request, true, "").await;
    assert_eq!((status, outcome), (200, Value::from("pending")));
    let (status, refusal) = decide(&app, &admin, request, true, "").await;
    assert_eq!(status, 409);
    assert!(
        refusal.to_string().contains("different approver"),
        "{refusal}"
    );
    assert_eq!(status_of(&app, request).await, "pending");

    // The DPO, made an Approver and a manager of the account, takes the second step.
    sqlx::query(
        "INSERT INTO account_managers (org_id, account_id, principal_id) \
         SELECT org_id, $1, id FROM principals WHERE email = 'dpo@northwind.example'",
    )
    .bind(account)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO grants (org_id, id, principal_id, role_id, reason) \
         SELECT p.org_id, gen_random_uuid(), p.id, r.id, 'test: second approver' FROM principals p \
         JOIN roles r ON r.org_id = p.org_id AND r.name = 'Approver' \
         JOIN applications a ON a.org_id = r.org_id AND a.id = r.application_id AND a.is_console \
         WHERE p.email = 'dpo@northwind.example'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let second = app.demo_client("dpo@northwind.example").await;
    let (status, outcome) = decide(&app, &second, request, true, "Second look: fine").await;
    assert_eq!(
        (status, outcome.clone()),
        (200, Value::from("approved")),
        "{outcome}"
    );
    let steps: i64 =
        sqlx::query_scalar("SELECT count(*) FROM request_decisions WHERE request_id = $1")
            .bind(request)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(steps, 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn denials_need_a_reason_and_requests_can_be_withdrawn(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let member = app.demo_client("member@northwind.example").await;
    let approver = app.demo_client("approver@northwind.example").await;
    let me = principal(&app, "member@northwind.example").await;
    let (bundle, account) = (role(&app, false).await, acme(&app).await);

    let (_, created) = ask(&app, &member, me, bundle, account).await;
    let request = request_id(&created);
    let (status, error) = decide(&app, &approver, request, false, " ").await;
    assert_eq!(status, 422, "{error}");
    let (status, outcome) = decide(
        &app,
        &approver,
        request,
        false,
        "Use the shared reporting role instead",
    )
    .await;
    assert_eq!((status, outcome), (200, Value::from("denied")));
    let (_, mine) = app.json(&member, "/api/requests/mine", "").await;
    assert_eq!(
        mine[0]["decision_comment"],
        "Use the shared reporting role instead"
    );
    assert!(mine[0]["decisions"][0].as_str().unwrap().contains("denied"));

    let (_, created) = ask(&app, &member, me, bundle, account).await;
    let request = request_id(&created);
    let (status, _) = app
        .json(
            &approver,
            "/api/requests/cancel",
            &format!("request={request}"),
        )
        .await;
    assert_eq!(status, 404, "only the requester withdraws a request");
    let (status, _) = app
        .json(
            &member,
            "/api/requests/cancel",
            &format!("request={request}"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(status_of(&app, request).await, "cancelled");
    let (status, _) = decide(&app, &approver, request, true, "").await;
    assert_eq!(status, 409);
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_requests_are_refused_on_their_field(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let member = app.demo_client("member@northwind.example").await;
    let me = principal(&app, "member@northwind.example").await;
    let admin = principal(&app, "admin@northwind.example").await;
    let (bundle, account) = (role(&app, false).await, acme(&app).await);
    for (body, field) in [
        (format!("principal={me}&bundle={bundle}&account={account}&duration=7&until=&justification=because"), "justification"),
        (format!("principal={me}&bundle={bundle}&account={account}&duration=12&until=&justification=Covering+the+spring+campaign+for+this+client"), "duration"),
        (format!("principal={me}&bundle={bundle}&account={account}&duration=date&until=2020-01-01&justification=Covering+the+spring+campaign+for+this+client"), "until"),
        (format!("principal={admin}&bundle={bundle}&account={account}&duration=7&until=&justification=Covering+the+spring+campaign+for+this+client"), "principal"),
    ] {
        let (status, error) = app.json(&member, "/api/requests/create", &body).await;
        assert_eq!(status, 422, "{field}: {error}");
        assert!(error.to_string().contains(field), "{field}: {error}");
    }
    let (status, _) = app
        .json(
            &member,
            "/api/requests/preview",
            &format!("principal={admin}&bundle={bundle}&account="),
        )
        .await;
    assert_eq!(status, 422, "no peeking at other people's permissions");
    let requests: i64 = sqlx::query_scalar("SELECT count(*) FROM access_requests")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(requests, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn fifty_concurrent_decisions_make_one_decision_and_one_grant(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let member = app.demo_client("member@northwind.example").await;
    let me = principal(&app, "member@northwind.example").await;
    let (bundle, account) = (role(&app, false).await, acme(&app).await);
    let (_, created) = ask(&app, &member, me, bundle, account).await;
    let request = request_id(&created);

    let approvers = [
        app.demo_client("approver@northwind.example").await,
        app.demo_client("admin@northwind.example").await,
    ];
    let calls = (0..50).map(|i| {
        let client = approvers[i % 2].clone();
        let app = &app;
        async move {
            decide(app, &client, request, i % 3 != 0, "Decided in a hurry")
                .await
                .0
        }
    });
    let statuses = futures::future::join_all(calls).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    let (decisions, grants): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM request_decisions WHERE request_id = $1), \
                (SELECT count(*) FROM grants WHERE source_request_id = $1)",
    )
    .bind(request)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(decisions, 1);
    let status = status_of(&app, request).await;
    assert_eq!(grants, if status == "approved" { 1 } else { 0 }, "{status}");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_queue_filters_and_counts(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let member = app.demo_client("member@northwind.example").await;
    let approver = app.demo_client("approver@northwind.example").await;
    let me = principal(&app, "member@northwind.example").await;
    let account = acme(&app).await;
    for high in [false, true] {
        let (status, created) = ask(&app, &member, me, role(&app, high).await, account).await;
        assert_eq!(status, 200, "{created}");
    }
    let (_, all) = app.json(&approver, "/api/approvals/queue", "").await;
    let (_, count) = app.json(&approver, "/api/approvals/count", "").await;
    assert_eq!(all["total"], count);
    assert!(count.as_i64().unwrap() >= 2);

    for risk in ["low", "medium", "high", "critical"] {
        let (status, only) = app
            .json(&approver, "/api/approvals/queue", &format!("risk={risk}"))
            .await;
        assert_eq!(status, 200);
        assert!(only["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["risk"] == risk));
    }
    let (application, name): (Uuid, String) = sqlx::query_as(
        "SELECT a.id, a.name FROM roles r JOIN applications a ON a.id = r.application_id WHERE r.id = $1",
    )
    .bind(role(&app, false).await)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (_, by_application) = app
        .json(
            &approver,
            "/api/approvals/queue",
            &format!("application={application}&requester=priya"),
        )
        .await;
    let rows = by_application["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows
        .iter()
        .all(|r| r["application"] == name.as_str() && r["requester"] == "Priya Nair"));
    let (_, nobody) = app
        .json(
            &approver,
            "/api/approvals/queue",
            "requester=no+such+person",
        )
        .await;
    assert!(nobody["rows"].as_array().unwrap().is_empty());
    let (status, refused) = app
        .json(&approver, "/api/approvals/queue", "risk=extreme")
        .await;
    assert_eq!(status, 422, "{refused}");
}

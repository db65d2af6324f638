//! Separation of duties: a block rule refuses the request with its name, an extra-
//! approval rule adds a step, a record-only rule is shown to approvers, existing
//! violations are listed, and a rule made after the request still stops approval.

use serde_json::Value;
use uuid::Uuid;

use crate::common::{spawn_demo, TestApp};
use crate::requests::{acme, ask, decide, principal, request_id, role, status_of};

/// A permission of the role: the rule "that permission must not go with the role"
/// is broken by anyone given the role.
pub(crate) async fn permission_of(app: &TestApp, role: Uuid) -> Uuid {
    sqlx::query_scalar("SELECT permission_id FROM role_permissions WHERE role_id = $1 LIMIT 1")
        .bind(role)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn add_rule(
    app: &TestApp,
    admin: &reqwest::Client,
    name: &str,
    permission: Uuid,
    role: Uuid,
    mode: &str,
) -> (u16, Value) {
    let body = serde_urlencoded::to_string([
        ("name", name.to_string()),
        ("description", "Test rule".to_string()),
        ("permission", permission.to_string()),
        ("conflicting", format!("role:{role}")),
        ("mode", mode.to_string()),
    ])
    .unwrap();
    app.json(admin, "/api/sod/create", &body).await
}

#[sqlx::test(migrations = "../migrations")]
async fn each_mode_does_what_it_says(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let member = app.demo_client("member@northwind.example").await;
    let approver = app.demo_client("approver@northwind.example").await;
    let me = principal(&app, "member@northwind.example").await;
    let (bundle, account) = (role(&app, false).await, acme(&app).await);
    let permission = permission_of(&app, bundle).await;

    // Block: refused with the rule's name, nothing written.
    let (status, rule) =
        add_rule(&app, &admin, "No self-service", permission, bundle, "block").await;
    assert_eq!(status, 200, "{rule}");
    let preview_body = format!("principal={me}&bundle={bundle}&account={account}");
    let (_, preview) = app
        .json(&member, "/api/requests/preview", &preview_body)
        .await;
    assert_eq!(
        preview["conflicts"][0]["rule"], "No self-service",
        "{preview}"
    );
    assert_eq!(preview["conflicts"][0]["mode"], "Block");
    let (status, refusal) = ask(&app, &member, me, bundle, account).await;
    assert_eq!(status, 409, "{refusal}");
    assert!(refusal.to_string().contains("No self-service"), "{refusal}");
    let pending: i64 =
        sqlx::query_scalar("SELECT count(*) FROM access_requests WHERE principal_id = $1")
            .bind(me)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(pending, 0);

    // The same name twice is refused next to the field.
    let (status, taken) = add_rule(
        &app,
        &admin,
        "No self-service",
        permission,
        bundle,
        "record",
    )
    .await;
    assert_eq!(status, 422, "{taken}");
    assert!(taken.to_string().contains("exists already"), "{taken}");

    // Extra approval: one more step than the request would otherwise need.
    let rule_id = Uuid::parse_str(rule.as_str().unwrap()).unwrap();
    let (status, _) = app
        .json(&admin, "/api/sod/delete", &format!("rule={rule_id}"))
        .await;
    assert_eq!(status, 200);
    let (status, _) = add_rule(
        &app,
        &admin,
        "Second pair of eyes",
        permission,
        bundle,
        "extra_approval",
    )
    .await;
    assert_eq!(status, 200);
    let (status, created) = ask(&app, &member, me, bundle, account).await;
    assert_eq!(status, 200, "{created}");
    let request = request_id(&created);
    let (needed, conflicts): (i16, Value) =
        sqlx::query_as("SELECT approvals_needed, sod_conflicts FROM access_requests WHERE id = $1")
            .bind(request)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(needed, 2);
    assert_eq!(conflicts[0]["mode"], "extra_approval");
    let (_, queue) = app.json(&approver, "/api/approvals/queue", "").await;
    let row = queue["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == request.to_string())
        .cloned()
        .unwrap();
    assert_eq!(
        row["sod_conflicts"][0],
        "Second pair of eyes (extra approval)"
    );
    let (_, outcome) = decide(&app, &approver, request, true, "").await;
    assert_eq!(outcome, "pending", "one step of two");
    let (_, outcome) = decide(&app, &admin, request, true, "").await;
    assert_eq!(outcome, "approved");

    // The grant now breaks the rule: the violation is listed for auditors too.
    let auditor = app.demo_client("auditor@northwind.example").await;
    let (status, overview) = app.json(&auditor, "/api/sod/overview", "").await;
    assert_eq!(status, 200, "{overview}");
    let violation = overview["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["principal_id"] == me.to_string())
        .cloned()
        .unwrap_or_else(|| panic!("member listed: {overview}"));
    assert_eq!(violation["rule"], "Second pair of eyes");
    assert_eq!(violation["account"], "Acme Retail");
    assert!(
        overview["permissions"].as_array().unwrap().is_empty(),
        "choices only for admins"
    );
    let (status, _) = add_rule(&app, &auditor, "Auditor rule", permission, bundle, "record").await;
    assert_eq!(status, 403);
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE target_type = 'sod_rule' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        ["sod_rule.created", "sod_rule.deleted", "sod_rule.created"]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_block_rule_made_after_the_request_stops_its_approval(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let member = app.demo_client("member@northwind.example").await;
    let approver = app.demo_client("approver@northwind.example").await;
    let me = principal(&app, "member@northwind.example").await;
    let (bundle, account) = (role(&app, false).await, acme(&app).await);
    let (_, created) = ask(&app, &member, me, bundle, account).await;
    let request = request_id(&created);
    let permission = permission_of(&app, bundle).await;
    let (status, _) = add_rule(&app, &admin, "Frozen", permission, bundle, "block").await;
    assert_eq!(status, 200);
    let (status, refusal) = decide(&app, &approver, request, true, "").await;
    assert_eq!(status, 409, "{refusal}");
    assert!(refusal.to_string().contains("Frozen"));
    assert_eq!(status_of(&app, request).await, "pending");
    let grants: i64 =
        sqlx::query_scalar("SELECT count(*) FROM grants WHERE source_request_id = $1")
            .bind(request)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(grants, 0);
}

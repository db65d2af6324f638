//! Changing principals: attributes, account assignments, suspension and reactivation,
//! each with its audit event, and refusals that say what to fix.

use crate::common::{spawn_demo, TestApp};
use serde_json::Value;
use uuid::Uuid;

async fn principal_id(app: &TestApp, email: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM principals WHERE email = $1")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn last_event(app: &TestApp, action: &str) -> (String, Value, Value, Option<String>) {
    sqlx::query_as(
        "SELECT target_label, before, after, reason FROM audit_events WHERE action = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(action)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// How many principals the list shows for the member's email within one account.
async fn listed_in(app: &TestApp, client: &reqwest::Client, account: Uuid) -> usize {
    let body = format!("query[account]={account}&query[search]=member%40northwind&query[page]=0");
    let (status, page) = app.json(client, "/api/principals/list", &body).await;
    assert_eq!(status, 200, "{page}");
    page["rows"].as_array().unwrap().len()
}

fn edit_body(principal: Uuid, fields: &[(&str, &str)]) -> String {
    let principal = principal.to_string();
    let mut pairs = vec![("principal", principal.as_str())];
    pairs.extend_from_slice(fields);
    serde_urlencoded::to_string(pairs).unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn attribute_edits_are_checked_saved_and_audited(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let member = principal_id(&app, "member@northwind.example").await;
    let admin_id = principal_id(&app, "admin@northwind.example").await;

    let good = edit_body(
        member,
        &[
            ("display_name", "Sam Member"),
            ("job_title", "Retention lead"),
            ("employment_type", "contractor"),
            ("responsible", "Approver@Northwind.example"),
            ("end_date", "2027-06-30"),
        ],
    );
    let (status, changed) = app.json(&admin, "/api/principals/update", &good).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed, true);
    let (_, detail) = app
        .json(
            &admin,
            "/api/principals/detail",
            &format!("principal={member}"),
        )
        .await;
    let p = &detail["principal"];
    assert_eq!(p["display_name"], "Sam Member");
    assert_eq!(p["job_title"], "Retention lead");
    assert_eq!(p["employment_type"], "contractor");
    assert_eq!(p["responsible_email"], "approver@northwind.example");
    assert_eq!(p["end_date"], "2027-06-30");
    let (label, before, after, _) = last_event(&app, "principal.updated").await;
    assert_eq!(label, "Sam Member");
    assert_eq!(after["job_title"], "Retention lead");
    assert_eq!(after["manager"], "approver@northwind.example");
    assert_eq!(before["manager"], "admin@northwind.example");
    assert!(before.get("job_title").is_some(), "{before}");

    // Saving the same values again changes nothing and records nothing.
    let events = |app: &TestApp| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM audit_events WHERE action = 'principal.updated'",
            )
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let count = events(&app).await;
    let (_, changed) = app.json(&admin, "/api/principals/update", &good).await;
    assert_eq!(changed, false);
    assert_eq!(events(&app).await, count);

    // The member reports to the approver, who reports to the admin: making the member
    // the admin's manager would be a loop.
    let looped = edit_body(
        admin_id,
        &[
            ("display_name", "Avery Admin"),
            ("job_title", ""),
            ("employment_type", "employee"),
            ("responsible", "member@northwind.example"),
            ("end_date", ""),
        ],
    );
    let (status, error) = app.json(&admin, "/api/principals/update", &looped).await;
    assert_eq!(status, 422, "{error}");
    assert!(error.to_string().contains("loop"), "{error}");

    for (fields, field) in [
        (
            [
                ("display_name", "Sam"),
                ("job_title", ""),
                ("employment_type", "employee"),
                ("responsible", "nobody@northwind.example"),
                ("end_date", ""),
            ],
            "responsible",
        ),
        (
            [
                ("display_name", "Sam"),
                ("job_title", ""),
                ("employment_type", "freelancer"),
                ("responsible", ""),
                ("end_date", ""),
            ],
            "employment_type",
        ),
        (
            [
                ("display_name", "Sam"),
                ("job_title", ""),
                ("employment_type", "employee"),
                ("responsible", ""),
                ("end_date", "next June"),
            ],
            "end_date",
        ),
        (
            [
                ("display_name", "Sam"),
                ("job_title", ""),
                ("employment_type", "employee"),
                ("responsible", "member@northwind.example"),
                ("end_date", ""),
            ],
            "responsible",
        ),
    ] {
        let (status, error) = app
            .json(
                &admin,
                "/api/principals/update",
                &edit_body(member, &fields),
            )
            .await;
        assert_eq!(status, 422, "{fields:?}: {error}");
        assert!(error.to_string().contains(field), "{fields:?}: {error}");
    }
    assert_eq!(events(&app).await, count, "refused edits record nothing");

    // A bot needs a human owner.
    let bot: Uuid =
        sqlx::query_scalar("SELECT id FROM principals WHERE display_name = 'WhatsApp Order Bot'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let (status, error) = app
        .json(
            &admin,
            "/api/principals/update",
            &edit_body(
                bot,
                &[
                    ("display_name", "WhatsApp Order Bot"),
                    ("job_title", ""),
                    ("employment_type", ""),
                    ("responsible", ""),
                    ("end_date", ""),
                ],
            ),
        )
        .await;
    assert_eq!(status, 422);
    assert!(error.to_string().contains("owner"), "{error}");
}

#[sqlx::test(migrations = "../migrations")]
async fn suspension_ends_sessions_at_once_and_reactivation_lets_them_back(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let member_client = app.demo_client("member@northwind.example").await;
    let member = principal_id(&app, "member@northwind.example").await;
    let admin_id = principal_id(&app, "admin@northwind.example").await;
    let (status, _) = app.json(&member_client, "/api/dashboard/summary", "").await;
    assert_eq!(status, 200);

    let (status, error) = app
        .json(
            &admin,
            "/api/principals/status",
            &format!("principal={member}&status=suspended&reason=short"),
        )
        .await;
    assert_eq!(status, 422, "a reason is required: {error}");

    let suspend = format!("principal={member}&status=suspended&reason=Laptop+reported+stolen");
    let (status, body) = app.json(&admin, "/api/principals/status", &suspend).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app.json(&member_client, "/api/dashboard/summary", "").await;
    assert_eq!(
        status, 401,
        "the member's session ended with the suspension"
    );
    let (_, before, after, reason) = last_event(&app, "principal.suspended").await;
    assert_eq!(before["status"], "active");
    assert_eq!(after["status"], "suspended");
    assert_eq!(after["sessions_ended"], 1);
    assert_eq!(reason.as_deref(), Some("Laptop reported stolen"));
    let grants: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM grants WHERE principal_id = $1 AND revoked_at IS NULL",
    )
    .bind(member)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(grants > 0, "grants are kept for review");
    let again = crate::common::client();
    assert_eq!(
        app.sign_in(
            &again,
            "member@northwind.example",
            gatehouse_server::demo::PASSWORD
        )
        .await
        .status()
        .as_u16(),
        401,
        "a suspended member cannot sign in"
    );

    let (status, error) = app.json(&admin, "/api/principals/status", &suspend).await;
    assert_eq!(status, 409);
    assert!(error.to_string().contains("already suspended"), "{error}");

    let (status, error) = app
        .json(
            &admin,
            "/api/principals/status",
            &format!("principal={admin_id}&status=suspended&reason=Testing+the+safety+net"),
        )
        .await;
    assert_eq!(status, 409);
    assert!(
        error.to_string().contains("cannot suspend yourself"),
        "{error}"
    );

    let (status, _) = app
        .json(
            &admin,
            "/api/principals/status",
            &format!("principal={member}&status=active&reason=Laptop+found+and+wiped"),
        )
        .await;
    assert_eq!(status, 200);
    app.demo_client("member@northwind.example").await;
    let (_, before, after, _) = last_event(&app, "principal.reactivated").await;
    assert_eq!(
        (before["status"].as_str(), after["status"].as_str()),
        (Some("suspended"), Some("active"))
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn account_assignments_follow_and_feed_the_account_filter(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let member = principal_id(&app, "member@northwind.example").await;
    let account: Uuid = sqlx::query_scalar(
        "SELECT a.id FROM accounts a WHERE NOT EXISTS (SELECT 1 FROM principal_accounts pa \
         WHERE pa.account_id = a.id AND pa.principal_id = $1) ORDER BY a.name LIMIT 1",
    )
    .bind(member)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(listed_in(&app, &admin, account).await, 0);

    let assign = format!("principal={member}&account={account}&assigned=true");
    let (status, body) = app.json(&admin, "/api/principals/account", &assign).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(listed_in(&app, &admin, account).await, 1);
    let (_, detail) = app
        .json(
            &admin,
            "/api/principals/detail",
            &format!("principal={member}"),
        )
        .await;
    assert!(detail["assigned_accounts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a[0] == account.to_string()));
    let (_, _, after, _) = last_event(&app, "principal.account_assigned").await;
    assert_eq!(after["assigned"], true);

    let (status, _) = app
        .json(
            &admin,
            "/api/principals/account",
            &format!("principal={member}&account={account}&assigned=false"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(listed_in(&app, &admin, account).await, 0);
    let (_, _, after, _) = last_event(&app, "principal.account_unassigned").await;
    assert_eq!(after["assigned"], false);

    let (status, error) = app
        .json(
            &admin,
            "/api/principals/account",
            &format!(
                "principal={member}&account={}&assigned=true",
                Uuid::new_v4()
            ),
        )
        .await;
    assert_eq!(status, 422, "{error}");
}

#[sqlx::test(migrations = "../migrations")]
async fn only_governance_admins_change_principals(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let member = principal_id(&app, "member@northwind.example").await;
    for email in [
        "auditor@northwind.example",
        "approver@northwind.example",
        "dpo@northwind.example",
    ] {
        let client = app.demo_client(email).await;
        for (path, body) in [
            (
                "/api/principals/status",
                format!("principal={member}&status=suspended&reason=Not+my+call+to+make"),
            ),
            (
                "/api/principals/update",
                edit_body(
                    member,
                    &[
                        ("display_name", "Renamed"),
                        ("job_title", ""),
                        ("employment_type", "employee"),
                        ("responsible", ""),
                        ("end_date", ""),
                    ],
                ),
            ),
        ] {
            let (status, _) = app.json(&client, path, &body).await;
            assert_eq!(status, 403, "{email} {path}");
        }
    }
    let status: String = sqlx::query_scalar("SELECT status::text FROM principals WHERE id = $1")
        .bind(member)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(status, "active");
}

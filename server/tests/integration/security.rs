//! What a hostile user tried, refused: granting oneself or handing out console roles
//! alone, a flood of sign-ins stalling everyone, formulas in CSV exports, erasure
//! reaching other people's records, and text the database cannot hold.

use std::time::{Duration, Instant};

use serde_json::Value;
use uuid::Uuid;

use crate::common::{spawn_demo, TestApp};
use crate::requests::{acme, decide, principal, role, status_of};

async fn console_role(app: &TestApp, name: &str) -> Uuid {
    sqlx::query_scalar(
        "SELECT r.id FROM roles r JOIN applications a ON a.org_id = r.org_id AND a.id = r.application_id \
         WHERE a.is_console AND r.name = $1",
    )
    .bind(name)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn grant_directly(
    app: &TestApp,
    admin: &reqwest::Client,
    principal: Uuid,
    bundle: Uuid,
    account: &str,
) -> (u16, Value) {
    let until = (chrono::Utc::now() + chrono::Duration::days(20)).date_naive();
    let body = serde_urlencoded::to_string([
        ("principal", principal.to_string()),
        ("bundle", bundle.to_string()),
        ("account", account.to_string()),
        ("until", until.to_string()),
        (
            "reason",
            "Covering for a colleague on leave this month".to_string(),
        ),
    ])
    .unwrap();
    app.json(admin, "/api/grants/create", &body).await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn direct_grants_follow_the_rules_of_requests(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let approver = app.demo_client("approver@northwind.example").await;
    let me = principal(&app, "admin@northwind.example").await;
    let member = principal(&app, "member@northwind.example").await;
    let dpo = console_role(&app, "Data Protection Officer").await;

    // Nobody grants themselves anything, not even a harmless role.
    let before = app.snapshot(&["sign_in_throttle"]).await;
    for bundle in [dpo, role(&app, false).await] {
        let (status, refused) = grant_directly(&app, &admin, me, bundle, "").await;
        assert_eq!(status, 422, "{refused}");
        assert_eq!(refused["Invalid"]["field"], "principal");
    }
    assert_eq!(app.snapshot(&["sign_in_throttle"]).await, before);

    // A console role, or high-impact access, becomes a request others decide.
    let grants_before = count(&app, "SELECT count(*) FROM grants").await;
    let acme_id = acme(&app).await.to_string();
    let (status, outcome) = grant_directly(&app, &admin, member, dpo, &acme_id).await;
    assert_eq!(status, 200, "{outcome}");
    let requested = &outcome["Requested"];
    assert_eq!(requested["approvals_needed"], 2, "{outcome}");
    let request = Uuid::parse_str(requested["request"].as_str().unwrap()).unwrap();
    let (status, high) = grant_directly(
        &app,
        &admin,
        member,
        role(&app, true).await,
        &acme(&app).await.to_string(),
    )
    .await;
    assert_eq!(status, 200, "{high}");
    assert_eq!(high["Requested"]["approvals_needed"], 2, "{high}");
    assert_eq!(
        count(&app, "SELECT count(*) FROM grants").await,
        grants_before,
        "nothing granted yet"
    );
    let (requester, justification): (Uuid, String) =
        sqlx::query_as("SELECT requester_id, justification FROM access_requests WHERE id = $1")
            .bind(request)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(requester, me);
    assert!(justification.contains("colleague on leave"));
    // The admin who asked cannot approve it; one approver is not enough.
    let (status, own) = decide(&app, &admin, request, true, "").await;
    assert_eq!(status, 409, "{own}");
    let (status, first) = decide(&app, &approver, request, true, "").await;
    assert_eq!((status, first.as_str()), (200, Some("pending")));
    assert_eq!(status_of(&app, request).await, "pending");

    // Low-risk access on one account is still granted at once.
    let (status, granted) = grant_directly(
        &app,
        &admin,
        member,
        role(&app, false).await,
        &acme(&app).await.to_string(),
    )
    .await;
    assert_eq!(status, 200, "{granted}");
    assert!(granted["Granted"]["grant"].is_string(), "{granted}");
}

#[sqlx::test(migrations = "../migrations")]
async fn separation_of_duties_binds_direct_grants_and_renewals(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let approver = app.demo_client("approver@northwind.example").await;
    let member = principal(&app, "member@northwind.example").await;
    let bundle = role(&app, false).await;
    let acme = acme(&app).await;
    // A grant of the role ending in 5 days, made before the rule existed.
    let ending = crate::scheduled::ending_soon(&app, member, bundle, acme).await;
    let permission = crate::sod::permission_of(&app, bundle).await;
    let rule = serde_urlencoded::to_string([
        ("name", "Never this role"),
        ("description", "Test rule"),
        ("permission", &permission.to_string()),
        ("conflicting", &format!("role:{bundle}")),
        ("mode", "block"),
    ])
    .unwrap();
    let (status, made) = app.json(&admin, "/api/sod/create", &rule).await;
    assert_eq!(status, 200, "{made}");

    let before = app.snapshot(&["sign_in_throttle"]).await;
    let elsewhere = principal(&app, "approver@northwind.example").await;
    let (status, refused) = grant_directly(&app, &admin, elsewhere, bundle, "").await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused.to_string().contains("Never this role"), "{refused}");
    // Renewing the grant would carry the conflict on: refused like a new request.
    let (status, renewal) = app
        .json(&approver, "/api/access/renew", &format!("grant={ending}"))
        .await;
    assert_eq!(status, 409, "{renewal}");
    assert!(renewal.to_string().contains("Never this role"), "{renewal}");
    assert_eq!(app.snapshot(&["sign_in_throttle"]).await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_flood_of_failed_sign_ins_does_not_stall_anyone_else(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let auditor = app.demo_client("auditor@northwind.example").await;
    let flood: Vec<_> = (0..100)
        .map(|_| {
            let app_base = app.base.clone();
            tokio::spawn(async move {
                let client = crate::common::client();
                client
                    .post(format!("{app_base}/api/auth/login"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("email=admin%40northwind.example&password=guess-guess-guess")
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    // While they run, a signed-in user's pages answer promptly.
    tokio::time::sleep(Duration::from_millis(50)).await;
    for path in ["/api/dashboard/summary", "/api/accounts/list"] {
        let started = Instant::now();
        let response = app.call(&auditor, path, "").await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{path} took {:?} during the flood",
            started.elapsed()
        );
    }
    for attempt in flood {
        let status = attempt.await.unwrap().unwrap();
        assert_eq!(status, 401, "every attempt is refused, none fails");
    }
    // Parallel attempts were counted one after another: most met the lock.
    let failures: i32 = sqlx::query_scalar(
        "SELECT failures FROM sign_in_throttle WHERE throttle_key LIKE 'address:%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(failures, app::domain::sign_in_throttle::LOCK_AFTER);

    // From another address, the owner is slowed down, never shut out.
    let locked_here: i64 = count(
        &app,
        "SELECT count(*) FROM sign_in_throttle WHERE throttle_key LIKE 'email-at:%' AND locked_until > now()",
    )
    .await;
    assert_eq!(
        locked_here, 1,
        "the attacker's address is locked for that email"
    );
    let now = chrono::Utc::now();
    let scoped: Vec<_> = app::domain::sign_in_throttle::Scope::ALL
        .into_iter()
        .map(|scope| {
            let state = (scope == app::domain::sign_in_throttle::Scope::Email).then_some(
                app::domain::sign_in_throttle::ThrottleState {
                    failures: 100,
                    last_failure_at: now,
                    locked_until: None,
                },
            );
            (scope, state)
        })
        .collect();
    assert!(matches!(
        app::domain::sign_in_throttle::verdict(&scoped, now),
        app::domain::sign_in_throttle::Verdict::Proceed { .. }
    ));
}

#[sqlx::test(migrations = "../migrations")]
async fn csv_cells_that_a_spreadsheet_would_run_are_neutralised(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let formula = "=HYPERLINK(\"http://evil.example\",\"x\")";
    let attacker = reqwest::Client::builder()
        .user_agent(formula)
        .build()
        .unwrap();
    let body = "email=admin%40northwind.example&password=not-the-password";
    let refused = attacker
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    let auditor = app.demo_client("auditor@northwind.example").await;
    let csv = auditor
        .get(app.url("/audit/export.csv?action=auth.sign_in_failed"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let agents: Vec<String> = reader
        .records()
        .map(|r| r.unwrap().get(12).unwrap().to_string())
        .collect();
    assert_eq!(agents, [format!("'{formula}")], "{csv}");
}

#[sqlx::test(migrations = "../migrations")]
async fn text_holding_nul_is_refused_at_the_edge_with_a_message(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let dpo = app.demo_client("dpo@northwind.example").await;
    let before = app
        .snapshot(&["sign_in_throttle", "tower_sessions", "console_sessions"])
        .await;
    for (client, path, body, field) in [
        (&admin, "/api/audit/events", "query[target]=a%00b", "target"),
        (&dpo, "/api/consent/search", "q=a%00b", "q"),
        (
            &admin,
            "/api/principals/list",
            "query[search]=a%00b",
            "search",
        ),
        (
            &admin,
            "/api/accounts/create",
            "name=Bad%07Bell&region=EU",
            "name",
        ),
    ] {
        let (status, error) = app.json(client, path, body).await;
        assert_eq!(status, 422, "{path}: {error}");
        assert_eq!(error["Invalid"]["field"], field, "{path}: {error}");
        assert!(
            error["Invalid"]["message"]
                .as_str()
                .unwrap()
                .contains("control character"),
            "{path}: {error}"
        );
    }
    let page = admin
        .get(app.url("/audit?target=a%00b"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 422);
    assert_eq!(
        app.snapshot(&["sign_in_throttle", "tower_sessions", "console_sessions"])
            .await,
        before,
        "nothing written"
    );
}

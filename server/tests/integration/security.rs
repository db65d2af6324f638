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
    assert_eq!(failures, rules::sign_in_throttle::LOCK_AFTER);

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
    let scoped: Vec<_> = rules::sign_in_throttle::Scope::ALL
        .into_iter()
        .map(|scope| {
            let state = (scope == rules::sign_in_throttle::Scope::Email).then_some(
                rules::sign_in_throttle::ThrottleState {
                    failures: 100,
                    last_failure_at: now,
                    locked_until: None,
                },
            );
            (scope, state)
        })
        .collect();
    assert!(matches!(
        rules::sign_in_throttle::verdict(&scoped, now),
        rules::sign_in_throttle::Verdict::Proceed { .. }
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

#[sqlx::test(migrations = "../migrations")]
async fn a_dpo_of_one_account_reads_only_that_accounts_trail(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let (bluebird, evergreen): (Uuid, Uuid) = sqlx::query_as(
        "SELECT (SELECT id FROM accounts WHERE name = 'Bluebird Telecom'), \
                (SELECT id FROM accounts WHERE name = 'Evergreen Foods')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // The DPO's console role now reaches Bluebird Telecom only.
    sqlx::query(
        "UPDATE grants SET account_id = $1 WHERE principal_id = \
           (SELECT id FROM principals WHERE email = 'dpo@northwind.example') \
         AND role_id IN (SELECT r.id FROM roles r JOIN applications a ON a.id = r.application_id WHERE a.is_console)",
    )
    .bind(bluebird)
    .execute(&app.pool)
    .await
    .unwrap();
    // A rectification on each account, old and new email in the trail.
    for (account, email) in [
        (bluebird, "blue@example.com"),
        (evergreen, "green@example.com"),
    ] {
        sqlx::query(
            "INSERT INTO audit_events (org_id, actor_label, action, target_type, target_id, target_label, before, after) \
             SELECT d.org_id, 'Test', 'data_subject.rectified', 'data_subject', d.id::text, $2, \
                    jsonb_build_object('email', $2::text), jsonb_build_object('email', 'new-' || $2::text) \
             FROM data_subjects d WHERE d.account_id = $1 ORDER BY d.id LIMIT 1",
        )
        .bind(account)
        .bind(email)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    let dpo = app.demo_client("dpo@northwind.example").await;
    let (status, page) = app
        .json(
            &dpo,
            "/api/audit/events",
            "query[action]=data_subject.rectified",
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let text = page.to_string();
    assert!(text.contains("blue@example.com"), "{text}");
    assert!(!text.contains("green@example.com"), "{text}");
    // Organisation-wide events (sign-ins, role changes) are not about Bluebird either.
    let (_, all) = app.json(&dpo, "/api/audit/events", "query[page]=0").await;
    let actions: Vec<&str> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target_type"].as_str().unwrap())
        .collect();
    assert!(
        actions.iter().all(|t| [
            "data_subject",
            "data_subject_request",
            "grant",
            "access_request",
            "account"
        ]
        .contains(t)),
        "{actions:?}"
    );
    // An auditor of every account sees both.
    let auditor = app.demo_client("auditor@northwind.example").await;
    let csv = auditor
        .get(app.url("/audit/export.csv?action=data_subject.rectified"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("blue@example.com") && csv.contains("green@example.com"),
        "{csv}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_server_works_as_a_role_that_cannot_rewrite_history(pool: sqlx::PgPool) {
    let app = spawn_demo(pool.clone()).await;
    let runtime = gatehouse_server::database::runtime_pool((*pool.connect_options()).clone(), true)
        .await
        .unwrap();
    let owned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)",
    )
    .fetch_one(&runtime)
    .await
    .unwrap();
    assert_eq!(owned, 0, "it owns nothing");
    for statement in [
        "ALTER TABLE audit_events DISABLE TRIGGER ALL",
        "ALTER TABLE consent_events DISABLE TRIGGER USER",
        "DELETE FROM audit_events",
        "TRUNCATE consent_events",
        "UPDATE audit_events SET action = 'rewritten'",
        "UPDATE consent_events SET status = 'granted'",
        "DROP TABLE grants",
        "DELETE FROM _sqlx_migrations",
    ] {
        let refused = sqlx::query(statement).execute(&runtime).await.unwrap_err();
        let message = refused.to_string();
        assert!(
            message.contains("permission denied") || message.contains("must be owner"),
            "{statement}: {message}"
        );
    }
    // The columns an erasure pseudonymises are writable, but still only through the trigger.
    let refused = sqlx::query("UPDATE audit_events SET reason = 'rewritten'")
        .execute(&runtime)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("append-only"), "{refused}");
    let timeout: String = sqlx::query_scalar("SHOW statement_timeout")
        .fetch_one(&runtime)
        .await
        .unwrap();
    assert_eq!(timeout, "30s");
    // And the console works through it.
    let admin = app.demo_client("admin@northwind.example").await;
    let (status, _) = app.json(&admin, "/api/accounts/list", "").await;
    assert_eq!(status, 200);
}

#[sqlx::test(migrations = "../migrations")]
async fn pages_run_only_their_own_scripts(pool: sqlx::PgPool) {
    let app = spawn_demo(pool.clone()).await;
    let page = crate::common::client()
        .get(app.url("/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let headers = page.headers().clone();
    let policy = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy")
        .to_string();
    assert!(nonce.len() >= 16, "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(headers.contains_key("permissions-policy"));
    assert!(
        !headers.contains_key("strict-transport-security"),
        "plain http"
    );
    let html = page.text().await.unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts > 0);
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "every script carries the nonce: {html:.2000}"
    );
    // Another load, another nonce.
    let again = crate::common::client()
        .get(app.url("/login"))
        .send()
        .await
        .unwrap();
    assert!(!again.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains(&nonce));
    // Answers that are not pages run nothing.
    let api = crate::common::client()
        .post(app.url("/api/auth/me"))
        .send()
        .await
        .unwrap();
    assert!(api.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
    let https = crate::common::spawn_with(pool, Some("https://gatehouse.example.com")).await;
    let page = crate::common::client()
        .get(https.url("/login"))
        .send()
        .await
        .unwrap();
    assert!(page.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age="));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_subjects_details_changed_by_ingestion_are_on_the_trail(pool: sqlx::PgPool) {
    use crate::consent::{event, first_account};
    let app = spawn_demo(pool).await;
    let token = crate::activity::crm_token(&app).await;
    let account = first_account(&app).await;
    let at = chrono::Utc::now() - chrono::Duration::hours(2);
    let first = event(
        "t-1",
        "sub-77",
        &account,
        "email",
        "marketing",
        "granted",
        at,
    );
    let mut second = event(
        "t-2",
        "sub-77",
        &account,
        "sms",
        "marketing",
        "granted",
        at + chrono::Duration::minutes(5),
    );
    second["email"] = serde_json::json!("moved.on@example.org");
    for batch in [&first, &first, &second] {
        let (status, report) = crate::activity::post_batch(
            &app,
            "/api/v1/consent-events",
            Some(&token),
            &serde_json::json!({ "events": [batch] }),
        )
        .await;
        assert_eq!(status, 200, "{report}");
    }
    let changes: Vec<(String, Option<Value>, Option<Value>, String)> = sqlx::query_as(
        "SELECT action, before, after, actor_label FROM audit_events \
         WHERE action = 'data_subject.updated' AND target_label = 'sub-77'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(changes.len(), 1, "only the change is recorded: {changes:?}");
    let (_, before, after, actor) = &changes[0];
    assert_eq!(before.as_ref().unwrap()["email"], "sub-77@example.com");
    assert_eq!(after.as_ref().unwrap()["email"], "moved.on@example.org");
    assert!(
        before.as_ref().unwrap().get("name").is_none(),
        "unchanged fields left out"
    );
    assert!(!actor.is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn after_sign_in_only_this_sites_paths_are_followed(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    for (next, expected) in [
        ("/audit?page=2", "/audit?page=2"),
        ("/\t/evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example", "/"),
    ] {
        let body = serde_urlencoded::to_string([
            ("email", "auditor@northwind.example"),
            ("password", gatehouse_server::demo::PASSWORD),
            ("next", next),
        ])
        .unwrap();
        // As a browser without JavaScript posts the form.
        let response = crate::common::client()
            .post(app.url("/api/auth/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html")
            .body(body)
            .send()
            .await
            .unwrap();
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        assert_eq!(location.as_deref(), Some(expected), "{next:?}");
    }
}

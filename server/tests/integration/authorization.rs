//! Deny by default: every server function, called anonymously or by a signed-in user
//! without the console permission it needs, is refused and changes nothing.

use std::collections::BTreeSet;

use crate::common::{spawn_demo, TestApp};

/// One row per server function: (path, a valid body, status for an anonymous call,
/// status for a signed-in user who holds no console role). A server function without
/// a row fails `every_server_function_has_a_row`.
const CASES: &[(&str, &str, u16, u16)] = &[
    // Answers only about the caller: null for anonymous.
    ("/api/auth/me", "", 200, 200),
    // The way in: public, and refuses wrong credentials.
    (
        "/api/auth/login",
        "email=nobody%40northwind.example&password=wrong-password",
        401,
        401,
    ),
    // Ending one's own session needs only to be signed in.
    ("/api/auth/logout", "", 401, 200),
    ("/api/dashboard/summary", "", 401, 403),
    ("/api/accounts/list", "", 401, 403),
    (
        "/api/accounts/create",
        "name=Intruder+Ltd&region=EU",
        401,
        403,
    ),
    ("/api/audit/events", "query[page]=0", 401, 403),
    ("/api/roles/matrix", "", 401, 403),
    ("/api/principals/list", "query[page]=0", 401, 403),
    ("/api/grants/create", "principal=00000000-0000-0000-0000-000000000001&bundle=00000000-0000-0000-0000-000000000002&account=&until=&reason=Intruder+wants+in", 401, 403),
    ("/api/grants/revoke", "grant=00000000-0000-0000-0000-000000000001&reason=Intruder+wants+out", 401, 403),
    ("/api/principals/detail", "principal=00000000-0000-0000-0000-000000000001", 401, 403),
    ("/api/principals/update", "principal=00000000-0000-0000-0000-000000000001&display_name=Intruder&job_title=&employment_type=employee&responsible=&end_date=", 401, 403),
    ("/api/principals/status", "principal=00000000-0000-0000-0000-000000000001&status=suspended&reason=Intruder+locks+you+out", 401, 403),
    ("/api/principals/account", "principal=00000000-0000-0000-0000-000000000001&account=00000000-0000-0000-0000-000000000002&assigned=true", 401, 403),
    ("/api/requests/form", "", 401, 403),
    ("/api/requests/preview", "principal=00000000-0000-0000-0000-000000000001&bundle=00000000-0000-0000-0000-000000000002&account=", 401, 403),
    ("/api/requests/create", "principal=00000000-0000-0000-0000-000000000001&bundle=00000000-0000-0000-0000-000000000002&account=&duration=7&until=&justification=Intruder+wants+a+lot+of+access", 401, 403),
    ("/api/requests/mine", "", 401, 403),
    ("/api/requests/cancel", "request=00000000-0000-0000-0000-000000000001", 401, 403),
    ("/api/approvals/queue", "", 401, 403),
    ("/api/approvals/decide", "request=00000000-0000-0000-0000-000000000001&approve=true&comment=", 401, 403),
    ("/api/approvals/count", "", 401, 403),
    ("/api/access/expiring", "days=7", 401, 403),
    ("/api/access/renew", "grant=00000000-0000-0000-0000-000000000001", 401, 403),
    ("/api/approvals/decide-many", "requests[0]=00000000-0000-0000-0000-000000000001&approve=true&comment=", 401, 403),
    ("/api/sod/overview", "", 401, 403),
    ("/api/sod/create", "name=Intruder&description=&permission=00000000-0000-0000-0000-000000000001&conflicting=permission%3A00000000-0000-0000-0000-000000000002&mode=record", 401, 403),
    ("/api/sod/delete", "rule=00000000-0000-0000-0000-000000000001", 401, 403),
    ("/api/webhooks/overview", "", 401, 403),
    ("/api/webhooks/create", "url=http%3A%2F%2F127.0.0.1%3A9%2Fsteal&events[0]=request.created", 401, 403),
    ("/api/webhooks/set-active", "webhook=00000000-0000-0000-0000-000000000001&active=false", 401, 403),
    ("/api/webhooks/retry", "delivery=00000000-0000-0000-0000-000000000001", 401, 403),
    ("/api/tokens/overview", "", 401, 403),
    ("/api/tokens/create", "application=00000000-0000-0000-0000-000000000001&name=Intruder&until=", 401, 403),
    ("/api/tokens/revoke", "token=00000000-0000-0000-0000-000000000001", 401, 403),
    ("/api/reports/dormant", "query[page]=0", 401, 403),
    ("/api/reports/act", "action=suspend&reason=Intruder+locks+you+out&principals[0]=00000000-0000-0000-0000-000000000001", 401, 403),
    ("/api/consent/search", "q=ana", 401, 403),
    ("/api/consent/subject", "subject=00000000-0000-0000-0000-000000000001", 401, 403),
    ("/api/consent/record", "subject=00000000-0000-0000-0000-000000000001&channel=email&purpose=marketing&status=granted&lawful_basis=consent&method=api&notice_version=1&notice_sha256=00&language=en&jurisdiction=EU&reason=Intruder+records+consent", 401, 403),
    ("/api/consent/accounts", "", 401, 403),
    ("/api/consent/account", "account=00000000-0000-0000-0000-000000000001", 401, 403),
    ("/api/consent/purposes", "", 401, 403),
    ("/api/consent/add-purpose", "key=intruder&label=Intruder", 401, 403),
    ("/api/dsr/list", "", 401, 403),
    ("/api/dsr/detail", "id=00000000-0000-0000-0000-000000000001", 401, 403),
    ("/api/dsr/open", "subject=00000000-0000-0000-0000-000000000001&kind=erasure&received_on=2026-01-01&arrived_by=email", 401, 403),
    ("/api/dsr/step", "id=00000000-0000-0000-0000-000000000001&step=reject&note=Intruder+rejects+it", 401, 403),
    ("/api/dsr/extend", "id=00000000-0000-0000-0000-000000000001&to=2099-01-01&reason=Intruder+delays+it", 401, 403),
    ("/api/dsr/rectify", "id=00000000-0000-0000-0000-000000000001&email=intruder%40evil.example", 401, 403),
    ("/api/dsr/erase", "id=00000000-0000-0000-0000-000000000001&confirm=DSR-1", 401, 403),
    ("/api/dsr/response-days", "days=90", 401, 403),
    ("/api/reports/hygiene", "report=client_bleed&query[page]=0", 401, 403),
    ("/api/reports/account-limit", "limit=1000", 401, 403),
    ("/api/reviews/overview", "", 401, 403),
    ("/api/reviews/create", "name=Intruder&application=&due_on=2099-01-01&undecided=keep", 401, 403),
    ("/api/reviews/detail", "campaign=00000000-0000-0000-0000-000000000001", 401, 403),
    ("/api/reviews/decide", "campaign=00000000-0000-0000-0000-000000000001&decision=keep&reason=&grants[0]=00000000-0000-0000-0000-000000000002", 401, 403),
    ("/api/reviews/close", "campaign=00000000-0000-0000-0000-000000000001", 401, 403),
    ("/api/roles/set-permission", "kind=Role&bundle=00000000-0000-0000-0000-000000000001&permission=00000000-0000-0000-0000-000000000002&granted=true", 401, 403),
    ("/api/roles/create", "kind=Role&application=00000000-0000-0000-0000-000000000001&name=Intruder&description=", 401, 403),
    ("/api/roles/update", "kind=Role&bundle=00000000-0000-0000-0000-000000000001&name=Intruder&description=", 401, 403),
    ("/api/roles/delete", "kind=Role&bundle=00000000-0000-0000-0000-000000000001", 401, 403),
];

/// Tables that refused calls may legitimately touch: failed sign-ins are counted.
const MAY_CHANGE: &[&str] = &["sign_in_throttle"];

#[test]
fn every_server_function_has_a_row() {
    // Link the app so that its server functions are registered.
    let _ = app::App;
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .collect();
    let covered: BTreeSet<String> = CASES.iter().map(|(path, ..)| path.to_string()).collect();
    assert!(!registered.is_empty());
    assert_eq!(
        registered, covered,
        "each server function needs a row in CASES"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn anonymous_calls_are_refused_and_change_nothing(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let before = app.snapshot(MAY_CHANGE).await;
    let anonymous = crate::common::client();
    for (path, body, expected, _) in CASES {
        let response = app.call(&anonymous, path, body).await;
        assert_eq!(response.status().as_u16(), *expected, "anonymous {path}");
    }
    assert_eq!(app.snapshot(MAY_CHANGE).await, before);
    assert_no_accounts_named(&app, "Intruder Ltd").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn calls_without_the_permission_are_refused_and_change_nothing(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let no_roles = app
        .user_without_roles("norole@northwind.example", "a long test password")
        .await;
    let before = app.snapshot(MAY_CHANGE).await;
    for (path, body, _, expected) in CASES
        .iter()
        .filter(|(path, ..)| *path != "/api/auth/logout")
    {
        let response = app.call(&no_roles, path, body).await;
        assert_eq!(response.status().as_u16(), *expected, "no-role user {path}");
        if *expected == 403 {
            let error: serde_json::Value = response.json().await.unwrap();
            assert_eq!(
                error,
                serde_json::json!("Forbidden"),
                "{path} answers with the Forbidden error"
            );
        }
    }
    assert_eq!(app.snapshot(MAY_CHANGE).await, before);
    assert_no_accounts_named(&app, "Intruder Ltd").await;

    let (_, _, _, expected) = CASES
        .iter()
        .find(|(path, ..)| *path == "/api/auth/logout")
        .unwrap();
    assert_eq!(
        app.call(&no_roles, "/api/auth/logout", "")
            .await
            .status()
            .as_u16(),
        *expected
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_member_reaches_only_what_members_may(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let member = app.demo_client("member@northwind.example").await;
    // (path, body, status): a Member sees the home figures and nothing administrative.
    for (path, body, expected) in [
        ("/api/dashboard/summary", "", 200),
        ("/api/accounts/list", "", 403),
        ("/api/accounts/create", "name=Intruder+Ltd&region=EU", 403),
        ("/api/audit/events", "query[page]=0", 403),
    ] {
        assert_eq!(
            app.call(&member, path, body).await.status().as_u16(),
            expected,
            "member {path}"
        );
    }
    let auditor = app.demo_client("auditor@northwind.example").await;
    for (path, body, expected) in [
        ("/api/accounts/list", "", 200),
        ("/api/accounts/create", "name=Intruder+Ltd&region=EU", 403),
        ("/api/audit/events", "query[page]=0", 200),
        ("/api/roles/matrix", "", 200),
        (
            "/api/roles/delete",
            "kind=Role&bundle=00000000-0000-0000-0000-000000000001",
            403,
        ),
    ] {
        assert_eq!(
            app.call(&auditor, path, body).await.status().as_u16(),
            expected,
            "auditor {path}"
        );
    }
    assert_no_accounts_named(&app, "Intruder Ltd").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn csv_exports_are_refused_without_the_permission(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let anonymous = crate::common::client();
    let member = app.demo_client("member@northwind.example").await;
    for path in [
        "/audit/export.csv",
        "/reports/dormant.csv",
        "/reports/expiring.csv",
        "/reports/overloaded-roles.csv",
        "/reports/overreach.csv",
        "/reports/client-bleed.csv",
        "/reports/sod-violations.csv",
        "/consent/00000000-0000-0000-0000-000000000001/proof.json",
        "/consent/00000000-0000-0000-0000-000000000001/proof.csv",
        "/dsr/00000000-0000-0000-0000-000000000001/export.json",
    ] {
        // The access export records itself, so it is a POST; the others are downloads.
        let method = if path.starts_with("/dsr/") {
            reqwest::Method::POST
        } else {
            reqwest::Method::GET
        };
        let response = anonymous
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401, "anonymous {path}");
        let response = member.request(method, app.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 403, "member {path}");
    }
    let exports: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action IN ('audit.exported', 'report.exported')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(exports, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn pages_send_anonymous_visitors_to_sign_in(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let anonymous = crate::common::client();
    for path in ["/", "/audit", "/accounts", "/no-such-page"] {
        let response = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 303, "{path}");
        let location = response.headers()["location"].to_str().unwrap().to_string();
        assert!(location.starts_with("/login?next="), "{path} → {location}");
    }
    let login = anonymous.get(app.url("/login")).send().await.unwrap();
    assert_eq!(login.status().as_u16(), 200);
}

#[sqlx::test(migrations = "../migrations")]
async fn writes_from_another_origin_are_refused(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let body = "name=Cross+Site+Co&region=EU";
    for (header, value) in [
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let response = admin
            .post(app.url("/api/accounts/create"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header(header, value)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403, "{header}: {value}");
    }
    assert_no_accounts_named(&app, "Cross Site Co").await;

    // The same request from the console's own origin goes through.
    let response = admin
        .post(app.url("/api/accounts/create"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", app.base.clone())
        .header("sec-fetch-site", "same-origin")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

async fn assert_no_accounts_named(app: &TestApp, name: &str) {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts WHERE name = $1")
        .bind(name)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 0, "no account named {name} may exist");
}

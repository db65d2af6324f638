//! Single sign-on against a real OpenID provider (`end2end/oidc/provider.mjs`, the
//! `oidc-provider` package) started on loopback by each test: the whole authorization
//! code flow over HTTP, as a browser follows it.

use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use uuid::Uuid;

use crate::common::{client, spawn_configured, TestApp};
use gatehouse_server::demo;

/// The redirect URI the test app gives providers (no public URL: localhost and the
/// configured port); the tests call it on the app's real address.
const REDIRECT_URI: &str = "http://localhost:3000/auth/sso/callback";
const ADMIN: &str = "admin@northwind.example";

/// A provider process, stopped when dropped.
struct Provider {
    issuer: String,
    _process: tokio::process::Child,
}

async fn provider() -> Provider {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/oidc/provider.mjs");
    let mut process = tokio::process::Command::new("node")
        .arg(script)
        .args(["--port", "0", "--redirect", REDIRECT_URI])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs the test provider (the test command installs end2end/node_modules)");
    let stdout = process.stdout.take().unwrap();
    let mut line = String::new();
    tokio::io::BufReader::new(stdout)
        .read_line(&mut line)
        .await
        .unwrap();
    let issuer = line
        .trim()
        .strip_prefix("issuer ")
        .unwrap_or_else(|| panic!("the provider did not start: {line:?}"))
        .to_string();
    Provider {
        issuer,
        _process: process,
    }
}

async fn app(pool: sqlx::PgPool) -> (TestApp, Uuid) {
    let app = spawn_configured(pool, |c| c.allow_private_sign_on = true).await;
    demo::load_organisation(&app.pool)
        .await
        .expect("demo loads");
    let org: Uuid = sqlx::query_scalar("SELECT org_id FROM console_credentials WHERE email = $1")
        .bind(ADMIN)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    (app, org)
}

/// Sets up the organisation's provider as its admin; answers the status and body.
async fn configure(app: &TestApp, issuer: &str, extra: &[(&str, &str)]) -> (u16, Value) {
    let admin = app.demo_client(ADMIN).await;
    let mut form = vec![
        ("name", "Northwind SSO"),
        ("issuer", issuer),
        ("client_id", "gatehouse"),
        ("client_secret", "gatehouse-test-secret"),
        ("allowed_domains", "northwind.example"),
    ];
    // An unticked box is not sent at all.
    form.extend(extra.iter().filter(|(_, v)| !v.is_empty()));
    if !extra.iter().any(|(k, _)| *k == "password_sign_in") {
        form.push(("password_sign_in", "on"));
    }
    if !extra.iter().any(|(k, _)| *k == "break_glass") {
        form.push(("break_glass", ""));
    }
    let form: Vec<(String, &str)> = form
        .into_iter()
        .map(|(k, v)| (format!("settings[{k}]"), v))
        .collect();
    let body = serde_urlencoded::to_string(&form).unwrap();
    app.json(&admin, "/api/settings/sign-on", &body).await
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no redirect: {}", response.status()))
        .to_str()
        .unwrap()
        .to_string()
}

/// Starts a sign-in at the app and signs in at the provider as `email`; answers the
/// provider's redirect back to the app (on its real address).
async fn at_provider(app: &TestApp, browser: &reqwest::Client, org: Uuid, email: &str) -> String {
    let start = browser
        .get(app.url(&format!(
            "/auth/sso/start?provider={org}&next=%2Fprincipals"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 303);
    let mut url = reqwest::Url::parse(&location(&start)).unwrap();
    for _ in 0..10 {
        if url.as_str().starts_with(REDIRECT_URI) {
            return app.url(&format!("{}?{}", url.path(), url.query().unwrap_or("")));
        }
        let response = browser.get(url.clone()).send().await.unwrap();
        let next = if response.status().is_redirection() {
            location(&response)
        } else {
            // The provider's sign-in form.
            assert_eq!(response.status(), 200, "{url}");
            let posted = browser
                .post(format!("{}/login", url.as_str().trim_end_matches('/')))
                .form(&[("login", email)])
                .send()
                .await
                .unwrap();
            location(&posted)
        };
        url = url.join(&next).unwrap();
    }
    panic!("the provider never sent the browser back");
}

/// A new browser that starts a sign-in with `provider`: the browser and where the app
/// sends it.
async fn start(app: &TestApp, provider: &str) -> (reqwest::Client, String) {
    let browser = client();
    let answer = browser
        .get(app.url(&format!("/auth/sso/start?provider={provider}")))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    let to = location(&answer);
    (browser, to)
}

/// Follows the provider's answer at the app: where the app sends the browser.
async fn back_at_app(browser: &reqwest::Client, callback: &str) -> String {
    let response = browser.get(callback).send().await.unwrap();
    assert_eq!(response.status(), 303, "{callback}");
    location(&response)
}

async fn notice(app: &TestApp, browser: &reqwest::Client) -> String {
    let (status, options) = app.json(browser, "/api/auth/sign-on", "").await;
    assert_eq!(status, 200);
    options["notice"].as_str().unwrap_or_default().to_string()
}

async fn who(app: &TestApp, browser: &reqwest::Client) -> Value {
    app.json(browser, "/api/auth/me", "").await.1
}

#[sqlx::test(migrations = "../migrations")]
async fn a_verified_email_signs_in_once_linked_and_a_replayed_state_is_refused(pool: sqlx::PgPool) {
    let provider = provider().await;
    let (app, org) = app(pool).await;
    assert_eq!(configure(&app, &provider.issuer, &[]).await.0, 200);

    let anyone = client();
    let (_, options) = app.json(&anyone, "/api/auth/sign-on", "").await;
    assert_eq!(options["providers"][0]["name"], "Northwind SSO");
    assert_eq!(options["providers"][0]["id"], org.to_string());

    let browser = client();
    let callback = at_provider(&app, &browser, org, "member@northwind.example").await;
    assert_eq!(back_at_app(&browser, &callback).await, "/principals");
    assert_eq!(
        who(&app, &browser).await["email"],
        "member@northwind.example"
    );

    // The provider's answer, replayed: its state was used up.
    let again = back_at_app(&browser, &callback).await;
    assert_eq!(again, "/login");
    assert!(notice(&app, &browser).await.contains("already finished"));
    // Said once only.
    assert_eq!(notice(&app, &browser).await, "");

    // The provider account is linked to the user, and both are on the trail.
    let (subject, trail): (String, i64) = sqlx::query_as(
        "SELECT i.subject, (SELECT count(*) FROM audit_events a WHERE a.org_id = i.org_id \
             AND a.target_id = i.principal_id::text AND a.action IN ('principal.identity_linked', 'auth.sign_in')) \
         FROM console_identities i JOIN console_credentials c ON c.org_id = i.org_id AND c.principal_id = i.principal_id \
         WHERE c.email = 'member@northwind.example'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(subject.starts_with("user-"));
    assert!(trail >= 2, "{trail}");

    // Another answer for a sign-in started in another browser is refused here.
    let other = client();
    let theirs = at_provider(&app, &other, org, "member@northwind.example").await;
    let mine = client();
    assert_eq!(back_at_app(&mine, &theirs).await, "/login");
    assert!(notice(&app, &mine)
        .await
        .contains("not started in this browser"));
    assert_eq!(who(&app, &mine).await, Value::Null);

    // A second sign-in finds the user by the linked account.
    let later = client();
    let callback = at_provider(&app, &later, org, "member@northwind.example").await;
    assert_eq!(back_at_app(&later, &callback).await, "/principals");
    assert_eq!(who(&app, &later).await["email"], "member@northwind.example");
}

#[sqlx::test(migrations = "../migrations")]
async fn tampered_tokens_other_audiences_and_unverified_or_unknown_emails_are_refused(
    pool: sqlx::PgPool,
) {
    let provider = provider().await;
    let (app, org) = app(pool).await;
    assert_eq!(configure(&app, &provider.issuer, &[]).await.0, 200);
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM console_sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    for (email, said) in [
        ("tampered.member@northwind.example", "could not be verified"),
        ("audience.member@northwind.example", "could not be verified"),
        (
            "unverified.member@northwind.example",
            "has not verified the email",
        ),
        (
            "nobody@northwind.example",
            "No Gatehouse account matches nobody@northwind.example",
        ),
        (
            "member@elsewhere.example",
            "is not in a domain Northwind SSO may sign in",
        ),
    ] {
        let browser = client();
        let callback = at_provider(&app, &browser, org, email).await;
        assert_eq!(back_at_app(&browser, &callback).await, "/login", "{email}");
        let notice = notice(&app, &browser).await;
        assert!(notice.contains(said), "{email}: {notice}");
        assert_eq!(who(&app, &browser).await, Value::Null, "{email}");
    }
    let (sessions, links): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM console_sessions), (SELECT count(*) FROM console_identities)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((sessions, links), (before, 0));

    // An error from the provider, or an answer without a code, signs no one in.
    let (browser, _) = start(&app, &org.to_string()).await;
    let refused = back_at_app(
        &browser,
        &app.url("/auth/sso/callback?error=access_denied&state=x"),
    )
    .await;
    assert_eq!(refused, "/login");
    assert!(notice(&app, &browser).await.contains("access_denied"));

    // A provider that does not exist, and one that is not set up.
    for provider in [Uuid::new_v4().to_string(), "not-an-id".to_string()] {
        let (browser, to) = start(&app, &provider).await;
        assert_eq!(to, "/login");
        assert!(!notice(&app, &browser).await.is_empty());
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn keys_rotated_at_the_provider_are_read_again(pool: sqlx::PgPool) {
    let provider = provider().await;
    let (app, org) = app(pool).await;
    assert_eq!(configure(&app, &provider.issuer, &[]).await.0, 200);
    let browser = client();
    let callback = at_provider(&app, &browser, org, "member@northwind.example").await;
    assert_eq!(back_at_app(&browser, &callback).await, "/principals");

    let rotated: Value = client()
        .post(format!("{}/test/rotate", provider.issuer))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(rotated["kid"].is_string());

    // Signed with a key the app has not seen: it reads the keys again and accepts it.
    let browser = client();
    let callback = at_provider(&app, &browser, org, "member@northwind.example").await;
    assert_eq!(back_at_app(&browser, &callback).await, "/principals");
    assert_eq!(
        who(&app, &browser).await["email"],
        "member@northwind.example"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn with_passwords_off_only_the_break_glass_admin_signs_in_with_one(pool: sqlx::PgPool) {
    let provider = provider().await;
    let (app, org) = app(pool).await;

    // Passwords cannot be switched off without a break-glass admin.
    let (status, body) = configure(&app, &provider.issuer, &[("password_sign_in", "")]).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["Invalid"]["field"], "break_glass", "{body}");
    // Nor can anything be set up before it is saved as a whole.
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM sign_on_providers")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(kept, 0);

    let (status, body) = configure(
        &app,
        &provider.issuer,
        &[
            ("password_sign_in", ""),
            ("break_glass", ADMIN),
            ("create_unknown", "on"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let member = client();
    let refused = app
        .sign_in(&member, "member@northwind.example", demo::PASSWORD)
        .await;
    assert_eq!(refused.status(), 401);
    assert!(refused.text().await.unwrap().contains("single sign-on"));
    let admin = client();
    let allowed = app.sign_in(&admin, ADMIN, demo::PASSWORD).await;
    assert!(allowed.status().is_success() || allowed.status().is_redirection());

    // Someone new at an allowed domain becomes a console user with no console role.
    let browser = client();
    let callback = at_provider(&app, &browser, org, "new.starter@northwind.example").await;
    assert_eq!(back_at_app(&browser, &callback).await, "/principals");
    let me = who(&app, &browser).await;
    assert_eq!(me["email"], "new.starter@northwind.example");
    assert_eq!(me["roles"], serde_json::json!([]), "{me}");

    // The settings read back without the secret, and the change is on the trail.
    let admin = app.demo_client(ADMIN).await;
    let (_, state) = app.json(&admin, "/api/security/state", "").await;
    let settings = &state["sign_on"];
    assert_eq!(settings["provider"]["issuer"], provider.issuer.as_str());
    assert_eq!(settings["password_sign_in"], false);
    assert_eq!(settings["break_glass"], ADMIN);
    assert!(!state.to_string().contains("gatehouse-test-secret"));
    let stored: String = sqlx::query_scalar("SELECT client_secret FROM sign_on_providers")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(stored.starts_with("sealed:") && !stored.contains("gatehouse-test-secret"));
    let changed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'organisation.sign_on_changed' \
         AND NOT after::text LIKE '%gatehouse-test-secret%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(changed, 1);

    // Not removed while passwords are off; once they are back on, removed, and its
    // button leaves the sign-in page.
    let (status, body) = app.json(&admin, "/api/settings/sign-on/remove", "").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(configure(&app, &provider.issuer, &[]).await.0, 200);
    let (status, body) = app.json(&admin, "/api/settings/sign-on/remove", "").await;
    assert_eq!(status, 200, "{body}");
    let (_, options) = app.json(&client(), "/api/auth/sign-on", "").await;
    assert_eq!(options["providers"], serde_json::json!([]));
    let (browser, to) = start(&app, &org.to_string()).await;
    assert_eq!(to, "/login");
    assert!(notice(&app, &browser)
        .await
        .contains("does not sign in through a provider"));
    let (status, _) = app.json(&admin, "/api/settings/sign-on/remove", "").await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_provider_that_cannot_be_read_is_refused_before_anything_is_saved(pool: sqlx::PgPool) {
    // Private addresses are refused unless the deployment allows them.
    let strict = spawn_configured(pool, |_| {}).await;
    demo::load_organisation(&strict.pool)
        .await
        .expect("demo loads");
    let provider = provider().await;
    let (status, body) = configure(&strict, &provider.issuer, &[]).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["Invalid"]["field"], "issuer");
    assert!(
        body.to_string().contains("GATEHOUSE_SIGN_ON_ALLOW_PRIVATE"),
        "{body}"
    );

    // Nothing listening there; and plain http off loopback.
    for issuer in ["http://127.0.0.1:9", "http://sso.example.com"] {
        let (status, body) = configure(&strict, issuer, &[]).await;
        assert_eq!(status, 422, "{issuer}: {body}");
        assert_eq!(body["Invalid"]["field"], "issuer");
    }
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM sign_on_providers")
        .fetch_one(&strict.pool)
        .await
        .unwrap();
    assert_eq!(kept, 0);
}

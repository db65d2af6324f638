//! Forms posted by the browser itself, without the page's script: the answer comes back
//! on the page the form was on, once, and never through the address.

use crate::common::{spawn_demo, TestApp};
use app::error::SIGN_IN_REFUSED;

/// Posts a form as a browser without JavaScript does, from the page at `from`.
async fn post_from_page(
    app: &TestApp,
    client: &reqwest::Client,
    from: &str,
    path: &str,
    body: &[(&str, &str)],
) -> Option<String> {
    let response = client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html,application/xhtml+xml")
        .header("referer", app.url(from))
        .body(serde_urlencoded::to_string(body).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303, "{path} from {from}");
    response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
}

/// The page's HTML, without the markers that split its text for the script.
async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.text().await.unwrap().replace("<!>", "")
}

#[sqlx::test(migrations = "../migrations")]
async fn a_form_posted_without_script_shows_its_answer_once_on_its_page(pool: sqlx::PgPool) {
    let app = spawn_demo(pool.clone()).await;
    let admin = app.demo_client("admin@northwind.example").await;

    let back = post_from_page(
        &app,
        &admin,
        "/accounts?from=form",
        "/api/accounts/create",
        &[("name", "Posted Without Script"), ("region", "EU")],
    )
    .await;
    assert_eq!(back.as_deref(), Some("/accounts?from=form"));
    let shown = page(&app, &admin, "/accounts?from=form").await;
    assert!(
        shown.contains("Account “Posted Without Script” created."),
        "the notice is on the page"
    );
    let again = page(&app, &admin, "/accounts?from=form").await;
    assert!(!again.contains("” created."), "the notice is shown once");
    assert!(
        again.contains("Posted Without Script"),
        "the account is listed"
    );

    // A refusal comes back on its field, and nothing is made.
    post_from_page(
        &app,
        &admin,
        "/accounts",
        "/api/accounts/create",
        &[("name", " "), ("region", "EU")],
    )
    .await;
    let refused = page(&app, &admin, "/accounts").await;
    assert!(refused.contains("id=\"name-error\""), "the name is refused");
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts WHERE name = ' '")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(accounts, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_address_cannot_put_an_answer_on_a_page(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    // What the framework would have read as the create-account function's refusal.
    let forged = "/accounts?page=1&__path=%2Fapi%2Fcreate_account&__err=eyJCYWRSZXF1ZXN0IjoiQ2FsbCArMSA1NTUgMDEwMCB0byB1bmxvY2sgeW91ciBhY2NvdW50In0";
    let response = admin.get(app.url(forged)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers().get("location").unwrap(),
        "/accounts?page=1"
    );
    let signed_out = crate::common::client()
        .get(app.url("/login?__err=eyJ4Ijoi&__path=%2Fapi%2Fauth%2Flogin"))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status().as_u16(), 303);
    assert_eq!(signed_out.headers().get("location").unwrap(), "/login");

    // Looking for an answer makes no session for a visitor who has none.
    let visitor = crate::common::client()
        .get(app.url("/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(visitor.status().as_u16(), 200);
    assert!(visitor.headers().get("set-cookie").is_none());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_refused_sign_in_without_script_says_why_on_the_sign_in_page(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let browser = crate::common::client();
    let back = post_from_page(
        &app,
        &browser,
        "/login?next=%2Froles",
        "/api/auth/login",
        &[
            ("next", "/roles"),
            ("email", "admin@northwind.example"),
            ("password", "wrong-but-typed"),
        ],
    )
    .await;
    assert_eq!(back.as_deref(), Some("/login?next=%2Froles"));
    let shown = page(&app, &browser, "/login?next=%2Froles").await;
    assert!(
        shown.contains(SIGN_IN_REFUSED),
        "the refusal is on the page"
    );
    assert!(
        shown.contains(
            r#"name="email" autocomplete="username" required value="admin@northwind.example""#
        ),
        "the email comes back as it was typed"
    );
    assert!(
        !shown.contains("wrong-but-typed"),
        "the password never does"
    );

    // The right password goes where the sign-in was going.
    let to = post_from_page(
        &app,
        &browser,
        "/login?next=%2Froles",
        "/api/auth/login",
        &[
            ("email", "admin@northwind.example"),
            ("password", gatehouse_server::demo::PASSWORD),
            ("next", "/roles"),
        ],
    )
    .await;
    assert_eq!(to.as_deref(), Some("/roles"));
    assert!(page(&app, &browser, "/roles").await.contains("Role matrix"));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_secret_shown_once_waits_sealed_under_a_key_only_the_browser_holds(pool: sqlx::PgPool) {
    let app = spawn_demo(pool.clone()).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let application: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM applications WHERE name = 'Acme CRM'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let form = |name: &str| {
        vec![
            ("application".to_string(), application.to_string()),
            ("name".to_string(), name.to_string()),
        ]
    };
    let post = |client: &reqwest::Client, name: &str| {
        client
            .post(app.url("/api/tokens/create"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html,application/xhtml+xml")
            .header("referer", app.url("/tokens"))
            .body(serde_urlencoded::to_string(form(name)).unwrap())
            .send()
    };
    let made = post(&admin, "posted without script").await.unwrap();
    assert_eq!(made.status().as_u16(), 303);
    let cookie = made
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find(|c| c.starts_with("gatehouse-reveal="))
        .expect("the key goes to the browser")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let hint: String = sqlx::query_scalar(
        "SELECT hint FROM application_tokens WHERE name = 'posted without script'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let sessions: Vec<Vec<u8>> = sqlx::query_scalar("SELECT data FROM tower_sessions.session")
        .fetch_all(&pool)
        .await
        .unwrap();
    let hint_bytes = hint.as_bytes();
    assert!(
        sessions
            .iter()
            .all(|s| !s.windows(hint_bytes.len()).any(|w| w == hint_bytes)),
        "no session holds the token readably"
    );

    let shown = page(&app, &admin, "/tokens").await;
    let token = shown
        .split("<code class=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the token is on the page");
    assert!(
        token.starts_with(&hint),
        "the token made is the one shown: {token}"
    );
    assert!(shown.contains("posted without script"), "the list shows it");
    assert!(
        !page(&app, &admin, "/tokens")
            .await
            .contains("code class=\"secret\""),
        "shown once"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_form_whose_function_goes_elsewhere_takes_the_browser_there(pool: sqlx::PgPool) {
    let app = spawn_demo(pool.clone()).await;
    let dpo = app.demo_client("dpo@northwind.example").await;
    let subject: uuid::Uuid = sqlx::query_scalar("SELECT id FROM data_subjects LIMIT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    let from = format!("/consent/{subject}");
    let to = post_from_page(
        &app,
        &dpo,
        &from,
        "/api/dsr/open",
        &[
            ("subject", subject.to_string().as_str()),
            ("kind", "access"),
            ("received_on", "2026-12-01"),
            ("arrived_by", "email"),
        ],
    )
    .await
    .expect("a place to go");
    let opened: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM data_subject_requests WHERE subject_id = $1")
            .bind(subject)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(to, format!("/dsr/{opened}"), "the new request's page");
    assert!(page(&app, &dpo, &to).await.contains("Access"));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_code_given_without_script_is_answered_on_the_page(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    // What the page's script would have been told.
    let (status, refused) = app
        .json(&admin, "/api/security/step-up", "code=123456")
        .await;
    assert!(status >= 400, "{status} {refused}");
    let refused: app::error::AppError = serde_json::from_value(refused).unwrap();
    let message = refused.to_string();

    post_from_page(
        &app,
        &admin,
        "/approvals",
        "/api/security/step-up",
        &[("code", "123456")],
    )
    .await;
    let shown = page(&app, &admin, "/approvals").await;
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    assert!(
        shown.contains(&escaped),
        "the refusal ({message}) is on the page"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_refused_form_comes_back_as_it_was_sent_once(pool: sqlx::PgPool) {
    let app = spawn_demo(pool.clone()).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let (id, name): (uuid::Uuid, String) = sqlx::query_as(
        "SELECT id, display_name FROM principals WHERE email LIKE '%.contractor1@%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let at = format!("/principals/{id}");
    let id = id.to_string();
    post_from_page(
        &app,
        &admin,
        &at,
        "/api/principals/update",
        &[
            ("principal", id.as_str()),
            ("display_name", name.as_str()),
            ("job_title", "Senior \"chatbot\" consultant <3"),
            ("employment_type", "contractor"),
            ("responsible", "no-such-person@northwind.example"),
            ("end_date", ""),
        ],
    )
    .await;
    let refused = page(&app, &admin, &at).await;
    assert!(
        refused.contains(r#"id="responsible-error""#),
        "the manager is refused"
    );
    assert!(
        refused.contains(r#"value="Senior &quot;chatbot&quot; consultant &lt;3""#),
        "the job title comes back as it was typed"
    );
    assert!(refused.contains(r#"value="no-such-person@northwind.example""#));
    let stored: String = sqlx::query_scalar("SELECT job_title FROM principals WHERE id = $1::uuid")
        .bind(&id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_ne!(
        stored, "Senior \"chatbot\" consultant <3",
        "nothing was written"
    );

    let again = page(&app, &admin, &at).await;
    assert!(
        !again.contains("no-such-person@northwind.example"),
        "it comes back once"
    );
}

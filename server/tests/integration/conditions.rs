//! Conditions on grants and requests: refused next to their field when they cannot be
//! read, kept in their canonical form, passed from a request to its grant, and shown
//! in words wherever the grant and its permissions are shown.

use serde_json::{json, Value};
use uuid::Uuid;

use crate::common::spawn_demo;
use crate::requests::{acme, decide, principal, request_id, role};

const CONDITIONS: &str = "Region = EU\ntime mon-fri 09:00-18:00 Europe/Paris";

#[sqlx::test(migrations = "../migrations")]
async fn a_grants_conditions_are_checked_kept_and_shown_in_words(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let member = principal(&app, "member@northwind.example").await;
    let (bundle, account) = (role(&app, false).await, acme(&app).await);
    let grants = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM grants WHERE principal_id = $1")
            .bind(member)
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    let before = grants().await;
    let form = |conditions: &str| {
        serde_urlencoded::to_string([
            ("principal", member.to_string()),
            ("bundle", bundle.to_string()),
            ("account", account.to_string()),
            ("until", String::new()),
            ("reason", "Covering the spring campaign".to_string()),
            ("conditions", conditions.to_string()),
        ])
        .unwrap()
    };

    for (written, says) in [
        ("region", "is not a condition"),
        ("time Mon-Fri 09:00-18:00 Mars/Base", "is not a time zone"),
        ("sensitivity <= secret", "not a sensitivity"),
    ] {
        let (status, error) = app.json(&admin, "/api/grants/create", &form(written)).await;
        assert_eq!(status, 422, "{written}: {error}");
        assert_eq!(error["Invalid"]["field"], "conditions", "{error}");
        let message = error["Invalid"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{written}: {message}");
    }
    assert_eq!(grants().await, before, "a refused grant writes nothing");

    let (status, granted) = app
        .json(&admin, "/api/grants/create", &form(CONDITIONS))
        .await;
    assert_eq!(status, 200, "{granted}");
    let grant = Uuid::parse_str(granted["Granted"]["grant"].as_str().unwrap()).unwrap();
    let stored: Value = sqlx::query_scalar("SELECT conditions FROM grants WHERE id = $1")
        .bind(grant)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let canonical = json!({"all": ["region = EU", "time Mon-Fri 09:00-18:00 Europe/Paris"]});
    assert_eq!(stored, canonical);
    let audited: Value = sqlx::query_scalar(
        "SELECT after FROM audit_events WHERE action = 'grant.created' AND target_id = $1",
    )
    .bind(grant.to_string())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited["conditions"], canonical);

    let (_, detail) = app
        .json(
            &admin,
            "/api/principals/detail",
            &format!("principal={member}"),
        )
        .await;
    let shown = detail["current_grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == grant.to_string())
        .unwrap();
    assert_eq!(
        shown["conditions"]["words"],
        "the resource's region is EU and on Mon\u{2013}Fri, 09:00\u{2013}18:00 (Europe/Paris)"
    );
    // Every permission this grant alone gives is marked conditional, with its words.
    let conditional: Vec<&Value> = detail["effective"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["account"] == "Acme Retail" && !e["only_when"].as_array().unwrap().is_empty())
        .collect();
    assert!(!conditional.is_empty(), "{}", detail["effective"]);
    assert!(conditional[0]["only_when"][0]
        .as_str()
        .unwrap()
        .starts_with("the resource's region is EU"));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_requests_conditions_pass_to_the_grant_its_approval_makes(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let member = app.demo_client("member@northwind.example").await;
    let approver = app.demo_client("approver@northwind.example").await;
    let me = principal(&app, "member@northwind.example").await;
    let (bundle, account) = (role(&app, false).await, acme(&app).await);
    let body = |conditions: &str| {
        serde_urlencoded::to_string([
            ("principal", me.to_string()),
            ("bundle", bundle.to_string()),
            ("account", account.to_string()),
            ("duration", "7".to_string()),
            ("until", String::new()),
            (
                "justification",
                "Covering the spring campaign for this client".to_string(),
            ),
            ("conditions", conditions.to_string()),
        ])
        .unwrap()
    };
    let (status, error) = app
        .json(&member, "/api/requests/create", &body("brand in"))
        .await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["Invalid"]["field"], "conditions");

    let (status, created) = app
        .json(
            &member,
            "/api/requests/create",
            &body("brand in Acme, Zest"),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let request = request_id(&created);
    let (_, queue) = app.json(&approver, "/api/approvals/queue", "").await;
    let row = queue["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == request.to_string())
        .unwrap_or_else(|| panic!("{queue}"));
    assert_eq!(
        row["conditions"]["words"],
        "the resource's brand is one of Acme, Zest"
    );

    let (status, decided) = decide(&app, &approver, request, true, "").await;
    assert_eq!(status, 200, "{decided}");
    let stored: Value = sqlx::query_scalar(
        "SELECT g.conditions FROM grants g JOIN access_requests r ON r.grant_id = g.id WHERE r.id = $1",
    )
    .bind(request)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stored, json!({"all": ["brand in Acme, Zest"]}));
}

#[sqlx::test(migrations = "../migrations")]
async fn ending_access_is_listed_with_its_conditions(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let member = principal(&app, "member@northwind.example").await;
    let (bundle, account) = (role(&app, false).await, acme(&app).await);
    let until = (chrono::Utc::now() + chrono::Duration::days(5))
        .date_naive()
        .to_string();
    let form = serde_urlencoded::to_string([
        ("principal", member.to_string()),
        ("bundle", bundle.to_string()),
        ("account", account.to_string()),
        ("until", until),
        ("reason", "Covering the spring campaign".to_string()),
        ("conditions", "region = EU".to_string()),
    ])
    .unwrap();
    let (status, granted) = app.json(&admin, "/api/grants/create", &form).await;
    assert_eq!(status, 200, "{granted}");
    let grant = granted["Granted"]["grant"].as_str().unwrap().to_string();

    let approver = app.demo_client("approver@northwind.example").await;
    let (status, week) = app.json(&approver, "/api/access/expiring", "days=7").await;
    assert_eq!(status, 200, "{week}");
    let ending = week
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == grant)
        .unwrap_or_else(|| panic!("{week}"));
    assert_eq!(ending["conditions"]["words"], "the resource's region is EU");

    // A review of the account shows the grant's conditions beside it.
    let body = format!(
        "name=Spring+review&application=&due_on=2099-01-01&undecided=keep&accounts[0]={account}"
    );
    let (status, made) = app.json(&admin, "/api/reviews/create", &body).await;
    assert_eq!(status, 200, "{made}");
    let campaign: Uuid =
        sqlx::query_scalar("SELECT id FROM review_campaigns WHERE name = 'Spring review'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let (status, detail) = app
        .json(
            &admin,
            "/api/reviews/detail",
            &format!("campaign={campaign}"),
        )
        .await;
    assert_eq!(status, 200, "{detail}");
    let item = detail["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{detail}"))
        .iter()
        .find(|i| i["grant_id"] == grant)
        .unwrap_or_else(|| panic!("{detail}"));
    assert_eq!(item["conditions"]["words"], "the resource's region is EU");
}

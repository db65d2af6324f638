//! Principals: the filtered list and one principal's grants and effective permissions.

use crate::common::spawn_demo;
use serde_json::Value;

/// The display names of a page of the list, in order.
fn names(page: &Value) -> Vec<&str> {
    page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["display_name"].as_str().unwrap())
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_list_filters_sorts_and_pages(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let auditor = app.demo_client("auditor@northwind.example").await;

    let (status, page) = app
        .json(&auditor, "/api/principals/list", "query[page]=0")
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["rows"].as_array().unwrap().len(), 50);
    assert_eq!(page["has_next"], true);
    let (_, second) = app
        .json(&auditor, "/api/principals/list", "query[page]=1")
        .await;
    assert_eq!(second["rows"].as_array().unwrap().len(), 74 - 50);
    assert_eq!(second["has_next"], false);

    let (_, bots) = app
        .json(
            &auditor,
            "/api/principals/list",
            "query[kind]=bot&query[page]=0",
        )
        .await;
    assert_eq!(names(&bots), ["Instagram DM Bot", "WhatsApp Order Bot"]);
    assert!(
        bots["rows"][0]["responsible"].is_string(),
        "a bot shows its owner"
    );

    let (_, search) = app
        .json(
            &auditor,
            "/api/principals/list",
            "query[search]=dpo%40northwind&query[page]=0",
        )
        .await;
    assert_eq!(search["rows"][0]["display_name"], "Ingrid Larsen");
    assert_eq!(search["rows"].as_array().unwrap().len(), 1);
    // Name, email and external id are searched whatever their case; wildcards match
    // only themselves.
    for (text, found) in [
        ("LARSEN", vec!["Ingrid Larsen"]),
        ("BOT%3AInstagram", vec!["Instagram DM Bot"]),
        ("%25", vec![]),
    ] {
        let (status, search) = app
            .json(
                &auditor,
                "/api/principals/list",
                &format!("query[search]={text}&query[page]=0"),
            )
            .await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(names(&search), found, "{text}");
    }
    // A search over two lines (the name's end and the email's start) is refused.
    let (status, refused) = app
        .json(
            &auditor,
            "/api/principals/list",
            "query[search]=larsen%0Adpo&query[page]=0",
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused.to_string().contains("one line"), "{refused}");

    let (_, dormant) = app
        .json(
            &auditor,
            "/api/principals/list",
            "query[dormant]=yes&query[page]=0",
        )
        .await;
    for row in dormant["rows"].as_array().unwrap() {
        let last = row["last_activity_at"].as_str();
        assert!(
            last.is_none_or(|t| t
                < (chrono::Utc::now() - chrono::Duration::days(90))
                    .to_rfc3339()
                    .as_str()),
            "{row}"
        );
    }
    assert!(!dormant["rows"].as_array().unwrap().is_empty());

    let (_, by_end) = app
        .json(
            &auditor,
            "/api/principals/list",
            "query[sort]=end_date&query[page]=0",
        )
        .await;
    let ends: Vec<&str> = by_end["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["end_date"].as_str())
        .collect();
    let mut sorted = ends.clone();
    sorted.sort();
    assert_eq!(ends, sorted);
    assert!(!ends.is_empty());

    let (status, error) = app
        .json(
            &auditor,
            "/api/principals/list",
            "query[kind]=robot&query[page]=0",
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(error["Invalid"]["field"], "kind");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_detail_shows_effective_permissions_with_their_grants(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    // A contractor whose contract ended: the grant is there but gives nothing now.
    let (id, until): (uuid::Uuid, Option<chrono::DateTime<chrono::Utc>>) = sqlx::query_as(
        "SELECT p.id, max(g.valid_until) FROM principals p JOIN grants g ON g.principal_id = p.id \
         WHERE p.employment_type = 'contractor' GROUP BY p.id HAVING bool_and(g.valid_until < now()) LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(until.is_some());
    let (status, detail) = app
        .json(&admin, "/api/principals/detail", &format!("principal={id}"))
        .await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["current_grants"], Value::Array(vec![]));
    assert!(!detail["other_grants"].as_array().unwrap().is_empty());
    assert_eq!(detail["effective"], Value::Array(vec![]));

    // A team lead: Support Lead on one account gives refunds.issue there, named by its role.
    let lead: uuid::Uuid = sqlx::query_scalar(
        "SELECT id FROM principals WHERE job_title = 'Team lead' ORDER BY display_name LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (_, detail) = app
        .json(
            &admin,
            "/api/principals/detail",
            &format!("principal={lead}"),
        )
        .await;
    let refunds = detail["effective"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["permission"] == "refunds.issue")
        .expect("refunds.issue is effective");
    assert_eq!(refunds["application"], "Acme CRM");
    assert_eq!(refunds["high_impact"], true);
    assert_eq!(refunds["sources"], serde_json::json!(["Support Lead"]));
    assert!(refunds["account"].is_string());

    let (status, _) = app
        .json(
            &admin,
            "/api/principals/detail",
            "principal=00000000-0000-0000-0000-000000000009",
        )
        .await;
    assert_eq!(status, 404);
}

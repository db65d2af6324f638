//! The audit trail: written with every change, append-only in the database itself,
//! readable and exportable by those who may.

use crate::common::spawn_demo;

#[sqlx::test(migrations = "../migrations")]
async fn the_database_refuses_to_change_or_remove_audit_events(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(before > 0);
    for statement in [
        "UPDATE audit_events SET action = 'forged'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ] {
        let error = sqlx::query(statement)
            .execute(&app.pool)
            .await
            .expect_err(statement);
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(after, before);
    let forged: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = 'forged'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(forged, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn creating_an_account_writes_it_and_its_audit_event_together(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let (status, account) = app
        .json(
            &admin,
            "/api/accounts/create",
            "name=Harbour+Bikes&region=APAC",
        )
        .await;
    assert_eq!(status, 200, "{account}");
    assert_eq!(account["name"], "Harbour Bikes");

    let (actor, target_id, before, after, ip): (
        Option<uuid::Uuid>,
        String,
        Option<serde_json::Value>,
        serde_json::Value,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT actor_principal_id, target_id, before, after, host(source_ip) FROM audit_events \
             WHERE action = 'account.created'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let admin_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM principals WHERE email = 'admin@northwind.example'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(actor, Some(admin_id));
    assert_eq!(target_id, account["id"].as_str().unwrap());
    assert_eq!(before, None);
    assert_eq!(
        after,
        serde_json::json!({ "name": "Harbour Bikes", "region": "APAC" })
    );
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));
}

#[sqlx::test(migrations = "../migrations")]
async fn refused_changes_leave_nothing_behind(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let count = |pool: sqlx::PgPool| async move {
        let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts")
            .fetch_one(&pool)
            .await
            .unwrap();
        let events: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM audit_events WHERE action = 'account.created'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        (accounts, events)
    };
    let before = count(app.pool.clone()).await;
    // (body, field the refusal names)
    for (body, field) in [
        ("name=Acme+Retail&region=EU", "name"),
        ("name=++&region=EU", "name"),
        ("name=New+Co&region=", "region"),
        (&*format!("name={}&region=EU", "x".repeat(101)), "name"),
    ] {
        let (status, error) = app.json(&admin, "/api/accounts/create", body).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(error["Invalid"]["field"], field, "{body}");
        assert!(!error["Invalid"]["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(count(app.pool.clone()).await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_trail_filters_pages_and_exports(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    for i in 0..3 {
        let (status, _) = app
            .json(
                &admin,
                "/api/accounts/create",
                &format!("name=Filter+Co+{i}&region=EU"),
            )
            .await;
        assert_eq!(status, 200);
    }
    let (status, page) = app
        .json(
            &admin,
            "/api/audit/events",
            "query[action]=account.created&query[target]=Filter+Co&query[page]=0",
        )
        .await;
    assert_eq!(status, 200);
    let labels: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target_label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["Filter Co 2", "Filter Co 1", "Filter Co 0"],
        "newest first"
    );
    assert_eq!(page["has_next"], false);

    let (status, error) = app
        .json(
            &admin,
            "/api/audit/events",
            "query[from]=yesterday&query[page]=0",
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(error["Invalid"]["field"], "from");

    let response = admin
        .get(app.url("/audit/export.csv?action=account.created&target=Filter+Co+1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("id,occurred_at_utc,actor"));
    assert!(lines[1].contains("Filter Co 1") && lines[1].contains("account.created"));
    let exports: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = 'audit.exported'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(exports, 1, "the export itself is audited");
}

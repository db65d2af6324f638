//! The demo organisation and the administrator created from the command line.

use app::service::admin::{create_admin, NewAdmin};
use gatehouse_server::demo;

#[sqlx::test(migrations = "../migrations")]
async fn the_demo_is_a_realistic_agency_and_loads_only_once(pool: sqlx::PgPool) {
    let app = crate::common::spawn(pool).await;
    let summary = demo::load(&app.pool).await.unwrap();
    let scalar = |sql: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert!(summary.principals >= 60);
    assert!(scalar("SELECT count(*) FROM accounts").await >= 4);
    assert_eq!(
        scalar("SELECT count(DISTINCT region) FROM accounts").await,
        2
    );
    assert_eq!(scalar("SELECT count(*) FROM applications").await, 3);
    assert!(scalar("SELECT count(*) FROM roles r JOIN applications a ON a.id = r.application_id WHERE NOT a.is_console").await >= 8);
    assert!(scalar("SELECT count(*) FROM permission_sets").await >= 2);
    assert!(scalar("SELECT count(*) FROM permissions WHERE high_impact").await >= 8);
    assert!(scalar("SELECT count(*) FROM principals WHERE kind IN ('ai_agent', 'bot')").await >= 3);
    assert!(scalar("SELECT count(*) FROM principals WHERE kind = 'integration'").await >= 1);
    assert_eq!(
        scalar("SELECT count(*) FROM principals WHERE kind <> 'human' AND owner_id IS NULL").await,
        0
    );
    assert!(scalar("SELECT count(*) FROM principals WHERE employment_type = 'contractor' AND end_date < current_date").await >= 1);
    assert!(scalar("SELECT count(*) FROM principals WHERE employment_type = 'contractor' AND end_date >= current_date").await >= 1);
    assert!(
        scalar("SELECT count(*) FROM principals WHERE employment_type = 'client_user'").await >= 4
    );
    assert!(
        scalar("SELECT count(*) FROM grants WHERE valid_until < now()").await >= 1,
        "expired grants"
    );
    assert!(
        scalar("SELECT count(*) FROM grants WHERE valid_until > now()").await >= 1,
        "time-bound grants"
    );
    assert!(scalar("SELECT count(*) FROM principals WHERE last_activity_at < now() - interval '90 days' OR last_activity_at IS NULL").await >= 1);
    assert_eq!(
        scalar("SELECT count(*) FROM audit_events WHERE action = 'demo.loaded'").await,
        1
    );
    // Customers with consent histories and requests in hand for the DPO.
    assert_eq!(scalar("SELECT count(*) FROM data_subjects").await, 40);
    assert!(scalar("SELECT count(*) FROM consent_events").await >= 100);
    assert!(scalar("SELECT count(*) FROM consent_state WHERE status = 'withdrawn'").await >= 5);
    assert_eq!(
        scalar("SELECT count(*) FROM data_subject_requests WHERE closed_at IS NULL").await,
        2
    );
    assert_eq!(
        scalar("SELECT count(*) FROM data_subject_requests WHERE closed_at IS NULL AND due_on < current_date").await,
        1,
        "one overdue"
    );

    let again = demo::load(&app.pool).await.unwrap_err();
    assert!(
        again.to_string().contains("only into an empty database"),
        "{again}"
    );
    assert_eq!(scalar("SELECT count(*) FROM organisations").await, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn create_admin_makes_a_governance_admin_who_can_sign_in(pool: sqlx::PgPool) {
    let app = crate::common::spawn(pool).await;
    let new = |email| NewAdmin {
        email,
        password: "a long admin password",
        display_name: Some("Ada Admin"),
        organisation: Some("Acme Group"),
    };
    let created = create_admin(&app.pool, new("ada@acme.example"))
        .await
        .unwrap();
    assert_eq!(created.organisation, "Acme Group");

    let client = crate::common::client();
    assert!(app
        .sign_in(&client, "ada@acme.example", "a long admin password")
        .await
        .status()
        .is_success());
    let (status, me) = app.json(&client, "/api/auth/me", "").await;
    assert_eq!(status, 200);
    assert_eq!(me["roles"], serde_json::json!(["Governance admin"]));
    // The admin may create accounts, and the creation is audited.
    let (status, _) = app
        .json(
            &client,
            "/api/accounts/create",
            "name=First+Client&region=EU",
        )
        .await;
    assert_eq!(status, 200);

    let duplicate = create_admin(&app.pool, new("ADA@acme.example"))
        .await
        .unwrap_err();
    assert_eq!(
        duplicate.field_message("email").as_deref(),
        Some("ada@acme.example already has an account.")
    );
    let short = create_admin(
        &app.pool,
        NewAdmin {
            password: "short",
            ..new("bob@acme.example")
        },
    )
    .await
    .unwrap_err();
    assert!(short.field_message("password").is_some());
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_events ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        actions[..3],
        ["organisation.created", "principal.created", "grant.created"]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_demo_leaves_each_console_user_work_to_do(pool: sqlx::PgPool) {
    let app = crate::common::spawn(pool).await;
    demo::load(&app.pool).await.unwrap();

    // The Approver's queue: a high-impact request needing two approvers, one that breaks
    // a recorded separation-of-duties rule, a renewal of access ending within days, and a
    // routine one; all made through the console's own rules.
    let approver = app.demo_client("approver@northwind.example").await;
    let (status, queue) = app.json(&approver, "/api/approvals/queue", "").await;
    assert_eq!(status, 200, "{queue}");
    let rows = queue["rows"].as_array().unwrap();
    assert!(rows.len() >= 4, "{queue}");
    assert!(rows.iter().any(|r| r["approvals_needed"] == 2), "{queue}");
    assert!(
        rows.iter()
            .any(|r| r["sod_conflicts"].as_array().is_some_and(|c| !c.is_empty())),
        "{queue}"
    );
    assert!(
        rows.iter().any(|r| r["justification"]
            .as_str()
            .is_some_and(|j| j.starts_with("Renewal of the grant ending"))),
        "{queue}"
    );

    // An open access review with items for the Approver to decide.
    let (_, reviews) = app.json(&approver, "/api/reviews/overview", "").await;
    let campaigns = reviews["campaigns"].as_array().unwrap();
    assert!(
        campaigns
            .iter()
            .any(|c| c["closed_at"].is_null() && c["mine"].as_i64() > Some(0)),
        "{reviews}"
    );

    // The DPO's first screen: withdrawals and requests that are due.
    let dpo = app.demo_client("dpo@northwind.example").await;
    let (status, attention) = app.json(&dpo, "/api/consent/attention", "").await;
    assert_eq!(status, 200, "{attention}");
    assert!(
        !attention["withdrawals"].as_array().unwrap().is_empty(),
        "{attention}"
    );
    assert!(
        !attention["requests"].as_array().unwrap().is_empty(),
        "{attention}"
    );
    assert!(attention["overdue"].as_i64() >= Some(1), "{attention}");

    // Nobody's work came from outside the rules: each request has its audit event.
    let unaudited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM access_requests r WHERE NOT EXISTS (SELECT 1 FROM audit_events e \
         WHERE e.action = 'request.created' AND e.target_id = r.id::text)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(unaudited, 0);
}

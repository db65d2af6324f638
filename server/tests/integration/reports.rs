//! The dormant report: who is in it and why, leaving it through reported activity, the
//! CSV of the filtered view, and suspending or revoking a selection in one transaction.

use serde_json::{json, Value};
use uuid::Uuid;

use crate::activity::{crm_token, send};
use crate::common::{spawn_demo, TestApp};
use crate::requests::{id_of, principal};

async fn report(app: &TestApp, client: &reqwest::Client, query: &str) -> Value {
    let (status, report) = app.json(client, "/api/reports/dormant", query).await;
    assert_eq!(status, 200, "{report}");
    report
}

/// Every row of the report, page after page, as (id, name).
async fn everyone(app: &TestApp, client: &reqwest::Client, query: &str) -> Vec<(Uuid, String)> {
    let mut all = Vec::new();
    for page in 0.. {
        let r = report(app, client, &format!("{query}&query[page]={page}")).await;
        for row in r["rows"].as_array().unwrap() {
            all.push((
                Uuid::parse_str(row["id"].as_str().unwrap()).unwrap(),
                row["display_name"].as_str().unwrap().to_string(),
            ));
        }
        if !r["has_next"].as_bool().unwrap() {
            break;
        }
    }
    all
}

async fn set_last_activity(app: &TestApp, who: Uuid, days_ago: i32) {
    sqlx::query(
        "UPDATE principals SET last_activity_at = now() - make_interval(days => $2), \
                created_at = now() - interval '400 days', end_date = NULL WHERE id = $1",
    )
    .bind(who)
    .bind(days_ago)
    .execute(&app.pool)
    .await
    .unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn the_report_follows_activity_and_windows(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let auditor = app.demo_client("auditor@northwind.example").await;
    let member = principal(&app, "member@northwind.example").await;
    let agent = id_of(
        &app,
        "SELECT id FROM principals WHERE external_id = 'agent:lead-scoring'",
    )
    .await;
    set_last_activity(&app, member, 45).await;
    set_last_activity(&app, agent, 100).await;
    let ids = |rows: &[(Uuid, String)]| rows.iter().map(|(id, _)| *id).collect::<Vec<_>>();

    let d30 = ids(&everyone(&app, &auditor, "query[days]=30").await);
    assert!(d30.contains(&member) && d30.contains(&agent));
    let d60 = ids(&everyone(&app, &auditor, "query[days]=60").await);
    assert!(!d60.contains(&member) && d60.contains(&agent));
    let default = report(&app, &auditor, "query[page]=0").await;
    assert_eq!(default["days"], 90);
    let bots = ids(&everyone(&app, &auditor, "query[days]=30&query[kind]=ai_agent").await);
    assert!(bots.contains(&agent) && !bots.contains(&member));

    // Totals agree with the rows and with the per-kind figures.
    let all = everyone(&app, &auditor, "query[days]=30").await;
    let r = report(&app, &auditor, "query[days]=30&query[page]=0").await;
    assert_eq!(r["total"].as_i64().unwrap() as usize, all.len());
    let by_kind: i64 = r["by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k[1].as_i64().unwrap())
        .sum();
    assert_eq!(by_kind as usize, all.len());
    let row = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["id"] == agent.to_string());
    if let Some(row) = row {
        assert!(row["responsible"].is_string(), "an agent's owner is named");
    }

    // A contractor past the end date is listed whatever the activity.
    sqlx::query(
        "UPDATE principals SET end_date = current_date - 1, last_activity_at = now() WHERE id = $1",
    )
    .bind(member)
    .execute(&app.pool)
    .await
    .unwrap();
    assert!(ids(&everyone(&app, &auditor, "query[days]=30").await).contains(&member));
    set_last_activity(&app, member, 45).await;

    // Activity reported by the CRM takes the agent out of the report.
    let token = crm_token(&app).await;
    let (status, sent) = send(
        &app,
        Some(&token),
        &json!({"events": [{"id": "a-1", "principal": "agent:lead-scoring", "permission": "contacts.view",
                            "at": chrono::Utc::now().to_rfc3339()}]}),
    )
    .await;
    assert_eq!((status, &sent["recorded"]), (200, &json!(1)));
    assert!(!ids(&everyone(&app, &auditor, "query[days]=30").await).contains(&agent));

    // Bad filters are named.
    let (status, error) = app
        .json(&auditor, "/api/reports/dormant", "query[days]=0")
        .await;
    assert_eq!(status, 422, "{error}");
    let (status, _) = app
        .json(&auditor, "/api/reports/dormant", "query[kind]=robot")
        .await;
    assert_eq!(status, 422);

    // The CSV carries the filtered view, and the export is audited.
    let csv = auditor
        .get(app.url("/reports/dormant.csv?days=30&kind=human"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status().as_u16(), 200);
    let text = csv.text().await.unwrap();
    assert!(text.starts_with("principal_id,name,kind"));
    assert!(text.contains(&member.to_string()));
    assert!(!text.contains(&agent.to_string()));
    let humans = everyone(&app, &auditor, "query[days]=30&query[kind]=human").await;
    assert_eq!(text.lines().count(), humans.len() + 1);
    let exported: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = 'report.exported'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(exported, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_selection_is_suspended_or_stripped_in_one_go(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let approver = app.demo_client("approver@northwind.example").await;
    let member = principal(&app, "member@northwind.example").await;
    let agent = id_of(
        &app,
        "SELECT id FROM principals WHERE external_id = 'agent:lead-scoring'",
    )
    .await;
    let me = principal(&app, "admin@northwind.example").await;
    let act = |action: &str, ids: &[Uuid], reason: &str| {
        let mut body = format!("action={action}&reason={}", reason.replace(' ', "+"));
        for (i, id) in ids.iter().enumerate() {
            body.push_str(&format!("&principals[{i}]={id}"));
        }
        body
    };

    // Approvers read reports but do not act on them.
    let (status, _) = app
        .json(
            &approver,
            "/api/reports/act",
            &act("suspend", &[member], "Dormant for months now"),
        )
        .await;
    assert_eq!(status, 403);
    let (status, error) = app
        .json(
            &admin,
            "/api/reports/act",
            &act("suspend", &[member], "short"),
        )
        .await;
    assert_eq!(status, 422, "{error}");

    let (status, outcome) = app
        .json(
            &admin,
            "/api/reports/act",
            &act("suspend", &[member, agent, me], "Dormant for months now"),
        )
        .await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["done"], 2);
    assert_eq!(
        outcome["skipped"].as_array().unwrap().len(),
        1,
        "nobody suspends themselves"
    );
    let statuses: Vec<String> = sqlx::query_scalar(
        "SELECT status::text FROM principals WHERE id = ANY($1) ORDER BY status",
    )
    .bind([member, agent, me])
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(statuses, ["active", "suspended", "suspended"]);

    let in_force = |who: Uuid| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM grants WHERE principal_id = $1 AND revoked_at IS NULL \
                   AND (valid_until IS NULL OR valid_until > now())",
            )
            .bind(who)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let before = in_force(agent).await + in_force(member).await;
    assert!(before > 0, "suspension keeps grants for review");
    let (status, outcome) = app
        .json(
            &admin,
            "/api/reports/act",
            &act("revoke_grants", &[member, agent], "Dormant for months now"),
        )
        .await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["done"].as_i64().unwrap(), before);
    assert_eq!(in_force(agent).await + in_force(member).await, 0);
    let revoked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'grant.revoked' AND reason = 'Dormant for months now'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(revoked, before);
}

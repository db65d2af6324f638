//! The hygiene reports (expiring access, overloaded roles, bot and agent overreach, client
//! bleed, SoD violations): rows, filters, pages, CSV; the client-account limit; and the
//! home page's daily snapshots.

use serde_json::Value;
use uuid::Uuid;

use crate::common::{spawn_demo, TestApp};
use crate::requests::{id_of, principal};

async fn page(app: &TestApp, client: &reqwest::Client, report: &str, query: &str) -> Value {
    let body = format!("report={report}&{query}");
    let (status, table) = app.json(client, "/api/reports/hygiene", &body).await;
    assert_eq!(status, 200, "{report} {query}: {table}");
    table
}

/// Every row of a report, page after page, each as its cells' texts.
async fn rows(
    app: &TestApp,
    client: &reqwest::Client,
    report: &str,
    query: &str,
) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for n in 0.. {
        let t = page(app, client, report, &format!("{query}&query[page]={n}")).await;
        for row in t["rows"].as_array().unwrap() {
            all.push(
                row.as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["text"].as_str().unwrap().to_string())
                    .collect(),
            );
        }
        if !t["has_next"].as_bool().unwrap() {
            assert_eq!(
                t["total"].as_i64().unwrap() as usize,
                all.len(),
                "{report} total"
            );
            break;
        }
    }
    all
}

/// A governed application of its own, with `n` permissions (the first `high` high-impact).
async fn application(app: &TestApp, name: &str, n: i32, high: i32) -> Uuid {
    let id = Uuid::new_v4();
    sqlx::query("INSERT INTO applications (org_id, id, name) SELECT id, $1, $2 FROM organisations")
        .bind(id)
        .bind(name)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO permissions (org_id, id, application_id, resource, action, high_impact) \
         SELECT a.org_id, gen_random_uuid(), a.id, 'thing', 'act_' || n, n <= $3 \
         FROM applications a, generate_series(1, $2) n WHERE a.id = $1",
    )
    .bind(id)
    .bind(n)
    .bind(high)
    .execute(&app.pool)
    .await
    .unwrap();
    id
}

/// A role of the application holding its permissions `act_1` … `act_n`.
async fn role_with(app: &TestApp, application: Uuid, name: &str, n: i32) -> Uuid {
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO roles (org_id, id, application_id, name) SELECT org_id, $1, id, $3 FROM applications WHERE id = $2",
    )
    .bind(id)
    .bind(application)
    .bind(name)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO role_permissions (org_id, role_id, permission_id) \
         SELECT org_id, $1, id FROM permissions WHERE application_id = $2 \
           AND substr(action, 5)::int <= $3",
    )
    .bind(id)
    .bind(application)
    .bind(n)
    .execute(&app.pool)
    .await
    .unwrap();
    id
}

/// A grant of `role` (on `account`, or every account) in force since `days_ago` days,
/// ending in `ends_in_days` days (or never).
async fn grant(
    app: &TestApp,
    who: Uuid,
    role: Uuid,
    account: Option<Uuid>,
    days_ago: i32,
    ends_in_days: Option<i32>,
) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO grants (org_id, id, principal_id, role_id, account_id, valid_from, valid_until, reason) \
         SELECT org_id, gen_random_uuid(), $1, $2, $3, now() - make_interval(days => $4), \
                now() + make_interval(days => $5), 'Test grant' FROM principals WHERE id = $1 \
         RETURNING id",
    )
    .bind(who)
    .bind(role)
    .bind(account)
    .bind(days_ago)
    .bind(ends_in_days)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn name_of(app: &TestApp, who: Uuid) -> String {
    sqlx::query_scalar("SELECT display_name FROM principals WHERE id = $1")
        .bind(who)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn account(app: &TestApp, name: &str) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO accounts (org_id, id, name, region) SELECT id, gen_random_uuid(), $1, 'EU' FROM organisations \
         RETURNING id",
    )
    .bind(name)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn assign(app: &TestApp, who: Uuid, account: Uuid) {
    sqlx::query(
        "INSERT INTO principal_accounts (org_id, principal_id, account_id) SELECT org_id, $1, $2 FROM principals WHERE id = $1",
    )
    .bind(who)
    .bind(account)
    .execute(&app.pool)
    .await
    .unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn expiring_access_follows_the_window_soonest_first(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let auditor = app.demo_client("auditor@northwind.example").await;
    let member = principal(&app, "member@northwind.example").await;
    let tools = application(&app, "Expiry Tools", 2, 0).await;
    let role = role_with(&app, tools, "Temporary", 2).await;
    grant(&app, member, role, None, 1, Some(3)).await;
    grant(&app, member, role, None, 1, Some(20)).await;
    let ours = format!("query[application]={tools}");

    let week = rows(&app, &auditor, "expiring", &format!("{ours}&query[days]=7")).await;
    assert_eq!(week.len(), 1, "{week:?}");
    assert_eq!(week[0][1], name_of(&app, member).await);
    assert_eq!(
        (week[0][3].as_str(), week[0][4].as_str()),
        ("Temporary", "Expiry Tools")
    );
    let month = rows(
        &app,
        &auditor,
        "expiring",
        &format!("{ours}&query[days]=30"),
    )
    .await;
    assert_eq!(month.len(), 2);
    let default = page(&app, &auditor, "expiring", &format!("{ours}&query[page]=0")).await;
    assert_eq!(
        (default["days"].as_i64(), default["total"].as_i64()),
        (Some(30), Some(2))
    );

    // Every application: soonest first, and ours among them.
    let all = rows(&app, &auditor, "expiring", "query[days]=30").await;
    let ends: Vec<&String> = all.iter().map(|r| &r[0]).collect();
    assert!(ends.windows(2).all(|w| w[0] <= w[1]), "{ends:?}");
    assert!(all.iter().filter(|r| r[4] == "Expiry Tools").count() == 2);

    for (query, field) in [
        ("query[days]=0", "days"),
        ("query[application]=not-an-id", "application"),
        ("query[kind]=robot", "kind"),
    ] {
        let (status, e) = app
            .json(
                &auditor,
                "/api/reports/hygiene",
                &format!("report=expiring&{query}"),
            )
            .await;
        assert_eq!(status, 422, "{query}: {e}");
        assert!(e.to_string().contains(field), "{e}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn overloaded_roles_stand_out_against_their_applications_median(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let approver = app.demo_client("approver@northwind.example").await;
    let tools = application(&app, "Campaign Studio", 12, 4).await;
    for name in ["Viewer", "Editor", "Analyst", "Publisher"] {
        role_with(&app, tools, name, 2).await;
    }
    let kitchen_sink = role_with(&app, tools, "Everything", 12).await;
    for email in ["member@northwind.example", "approver@northwind.example"] {
        let who = principal(&app, email).await;
        grant(&app, who, kitchen_sink, None, 1, None).await;
    }
    let ours = format!("query[application]={tools}");

    let flagged = rows(&app, &approver, "overloaded_roles", &ours).await;
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    let r = &flagged[0];
    assert_eq!(
        &r[..8],
        [
            "Everything",
            "Campaign Studio",
            "12",
            "2",
            "4",
            "2",
            "2",
            "0"
        ]
    );
    assert!(
        r[8].contains("12 permissions against a median of 2"),
        "{}",
        r[8]
    );
    assert!(
        r[8].contains("4 high-impact permissions against a median of 2"),
        "{}",
        r[8]
    );

    let every = rows(
        &app,
        &approver,
        "overloaded_roles",
        &format!("{ours}&query[show]=all"),
    )
    .await;
    assert_eq!(every.len(), 5);
    assert!(every
        .iter()
        .filter(|r| r[0] != "Everything")
        .all(|r| r[8].is_empty()));
}

#[sqlx::test(migrations = "../migrations")]
async fn overreach_lists_what_bots_hold_and_do_not_use(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let tools = application(&app, "Bot Console", 3, 1).await;
    let role = role_with(&app, tools, "Bot operator", 3).await;
    let agent = id_of(
        &app,
        "SELECT id FROM principals WHERE external_id = 'agent:lead-scoring'",
    )
    .await;
    let new_bot = id_of(
        &app,
        "SELECT id FROM principals WHERE external_id = 'bot:instagram-dm'",
    )
    .await;
    let member = principal(&app, "member@northwind.example").await;
    grant(&app, agent, role, None, 200, None).await;
    grant(&app, new_bot, role, None, 10, None).await;
    grant(&app, member, role, None, 200, None).await;
    // The agent used act_1 a week ago and act_2 four months ago.
    for (action, days) in [("act_1", 7), ("act_2", 120)] {
        sqlx::query(
            "INSERT INTO permission_usage (org_id, principal_id, permission_id, last_used_at) \
             SELECT p.org_id, $1, p.id, now() - make_interval(days => $3) FROM permissions p \
             WHERE p.application_id = $2 AND p.action = $4",
        )
        .bind(agent)
        .bind(tools)
        .bind(days)
        .bind(action)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    let ours = format!("query[application]={tools}");

    let unused = rows(&app, &admin, "overreach", &ours).await;
    let held: Vec<(&str, &str, &str)> = unused
        .iter()
        .map(|r| (r[0].as_str(), r[4].as_str(), r[8].as_str()))
        .collect();
    assert_eq!(held.len(), 2, "{held:?}");
    assert_eq!(held[0].0, "Lead Scoring Agent");
    assert_eq!((held[0].1, held[1].1), ("thing.act_2", "thing.act_3"));
    assert_eq!(held[1].2, "never");
    assert_eq!(unused[1][5], "", "act_3 is not high-impact");
    assert_eq!(unused[0][6], "Bot operator");

    // A shorter window: act_1 (used a week ago) is still in use; the new bot, granted
    // ten days ago, now counts too.
    let week = rows(&app, &admin, "overreach", &format!("{ours}&query[days]=5")).await;
    assert_eq!(
        week.iter().filter(|r| r[0] == "Lead Scoring Agent").count(),
        3
    );
    assert_eq!(
        week.iter().filter(|r| r[0] == "Instagram DM Bot").count(),
        3
    );
    let agents_only = rows(
        &app,
        &admin,
        "overreach",
        &format!("{ours}&query[days]=5&query[kind]=ai_agent"),
    )
    .await;
    assert!(agents_only.iter().all(|r| r[1] == "AI agent") && agents_only.len() == 3);
    let (status, _) = app
        .json(
            &admin,
            "/api/reports/hygiene",
            "report=overreach&query[kind]=human",
        )
        .await;
    assert_eq!(status, 422, "people are not in this report");
}

#[sqlx::test(migrations = "../migrations")]
async fn client_bleed_names_unassigned_accounts_and_the_limit(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let approver = app.demo_client("approver@northwind.example").await;
    let tools = application(&app, "Client Desk", 1, 0).await;
    let role = role_with(&app, tools, "Desk agent", 1).await;
    let (a, b, c) = (
        account(&app, "Acme Bleed").await,
        account(&app, "Bravo Bleed").await,
        account(&app, "Charlie Bleed").await,
    );
    let member = principal(&app, "member@northwind.example").await;
    let bot = id_of(
        &app,
        "SELECT id FROM principals WHERE external_id = 'bot:whatsapp-orders'",
    )
    .await;
    // The member moved off Bravo but kept the grant there; the bot is on all three.
    assign(&app, member, a).await;
    for account in [a, b] {
        grant(&app, member, role, Some(account), 1, None).await;
    }
    for account in [a, b, c] {
        assign(&app, bot, account).await;
        grant(&app, bot, role, Some(account), 1, None).await;
    }
    let mine = |rows: &[Vec<String>], name: &str| rows.iter().find(|r| r[0] == name).cloned();

    let before = rows(&app, &approver, "client_bleed", "").await;
    let member_row = mine(&before, &name_of(&app, member).await).expect("the member is reported");
    assert!(
        member_row[5].contains("Not assigned to Bravo Bleed"),
        "{member_row:?}"
    );
    assert!(!member_row[5].contains("Acme Bleed"));
    assert!(mine(&before, "WhatsApp Order Bot").is_none_or(|r| !r[5].contains("Bleed")));
    let t = page(&app, &approver, "client_bleed", "query[page]=0").await;
    assert_eq!(t["account_limit"], 5);

    // The approver may not change the limit; the admin may, and it is audited.
    let (status, _) = app
        .json(&approver, "/api/reports/account-limit", "limit=2")
        .await;
    assert_eq!(status, 403);
    let (status, e) = app
        .json(&admin, "/api/reports/account-limit", "limit=0")
        .await;
    assert_eq!(status, 422);
    assert!(e.to_string().contains("1 to 1000"), "{e}");
    let (status, _) = app
        .json(&admin, "/api/reports/account-limit", "limit=2")
        .await;
    assert_eq!(status, 200);
    let after = rows(&app, &approver, "client_bleed", "query[kind]=bot").await;
    let bot_row = mine(&after, "WhatsApp Order Bot").expect("the bot is over the limit");
    assert!(bot_row[5].contains("over the limit of 2"), "{bot_row:?}");
    assert!(after.iter().all(|r| r[1] == "Bot"));
    let audited: (Value, Value) = sqlx::query_as(
        "SELECT before, after FROM audit_events WHERE action = 'organisation.updated'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited.0["client_account_limit"], 5);
    assert_eq!(audited.1["client_account_limit"], 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn sod_violations_report_agrees_with_the_rules_page_and_exports(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let tools = application(&app, "Payments", 2, 0).await;
    let (pay, approve) = (
        role_with(&app, tools, "Payer", 1).await,
        role_with(&app, tools, "Approver of payments", 2).await,
    );
    sqlx::query(
        "INSERT INTO sod_rules (org_id, id, name, description, permission_id, conflicting_role_id, mode) \
         SELECT org_id, gen_random_uuid(), 'Pay and approve', '', id, $2, 'block' FROM permissions \
         WHERE application_id = $1 AND action = 'act_1'",
    )
    .bind(tools)
    .bind(approve)
    .execute(&app.pool)
    .await
    .unwrap();
    let member = principal(&app, "member@northwind.example").await;
    let agent = id_of(
        &app,
        "SELECT id FROM principals WHERE external_id = 'agent:support-copilot'",
    )
    .await;
    for who in [member, agent] {
        grant(&app, who, pay, None, 1, None).await;
        grant(&app, who, approve, None, 1, None).await;
    }

    let all = rows(&app, &admin, "sod_violations", "").await;
    let ours: Vec<&Vec<String>> = all.iter().filter(|r| r[0] == "Pay and approve").collect();
    assert_eq!(ours.len(), 2, "{all:?}");
    let (status, sod) = app.json(&admin, "/api/sod/overview", "").await;
    assert_eq!(status, 200);
    assert_eq!(sod["violations"].as_array().unwrap().len(), all.len());
    let agents = rows(&app, &admin, "sod_violations", "query[kind]=ai_agent").await;
    assert_eq!(
        agents.iter().filter(|r| r[0] == "Pay and approve").count(),
        1
    );

    // The CSV carries the filtered view, every row, and the export is audited.
    let response = admin
        .get(app.url("/reports/sod-violations.csv?kind=ai_agent"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "Rule,Mode,Principal,Kind,Account");
    assert_eq!(lines.len(), agents.len() + 1);
    assert!(lines
        .iter()
        .any(|l| l.starts_with("Pay and approve,block,Support Copilot,AI agent,")));
    let exported: String =
        sqlx::query_scalar("SELECT target_id FROM audit_events WHERE action = 'report.exported'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(exported, "sod-violations");
    let response = admin
        .get(app.url("/reports/overreach.csv?days=forty"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        422,
        "a bad filter is refused, not exported"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn daily_snapshots_are_taken_once_and_draw_the_trend(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let auditor = app.demo_client("auditor@northwind.example").await;
    let (_, demo) = app.json(&auditor, "/api/dashboard/summary", "").await;
    assert_eq!(
        demo["trend"].as_array().unwrap().len(),
        89,
        "the demo's made-up history"
    );
    sqlx::query("DELETE FROM daily_snapshots")
        .execute(&app.pool)
        .await
        .unwrap();
    let now = chrono::Utc::now();
    assert_eq!(
        app::service::dashboard::take_snapshots(&app.pool, now)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app::service::dashboard::take_snapshots(&app.pool, now)
            .await
            .unwrap(),
        0,
        "once a day"
    );
    // Older days: ten days ago is in the 90-day trend, a hundred days ago is not.
    sqlx::query(
        "INSERT INTO daily_snapshots (org_id, day, dormant_principals, pending_requests, active_grants) \
         SELECT id, current_date - 10, 7, 3, 40 FROM organisations UNION ALL \
         SELECT id, current_date - 100, 9, 9, 9 FROM organisations",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let (status, home) = app.json(&auditor, "/api/dashboard/summary", "").await;
    assert_eq!(status, 200, "{home}");
    let trend = home["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 2, "{trend:?}");
    assert_eq!(trend[0]["dormant_principals"], 7);
    assert_eq!(trend[1]["active_grants"], home["active_grants"]);
    assert_eq!(trend[1]["dormant_principals"], home["dormant_principals"]);
    assert_eq!(trend[1]["pending_requests"], home["pending_requests"]);
    // The home page draws them on the server.
    let html = auditor
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("<polyline").count(), 3, "three trend charts");
}

//! Data-subject requests: statuses, due dates and extensions, the access export, a
//! rectification's before and after, and an erasure after which the subject's email and
//! name are nowhere in the database.

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::activity::{crm_token, post_batch};
use crate::common::{spawn_demo, TestApp};
use crate::consent::{event, first_account};

const EMAIL: &str = "evelyn.erasable@example.com";
const NAME: &str = "Evelyn Erasable";
const NEW_EMAIL: &str = "evelyn.corrected@example.org";

/// Sends three consent events for subject `eve-7` (her email and name in the evidence
/// too) and answers the subject's id.
async fn subject(app: &TestApp) -> String {
    let token = crm_token(app).await;
    let account = first_account(app).await;
    let t = Utc::now() - Duration::days(5);
    let events: Vec<Value> = [
        ("e1", "email", "granted", 0),
        ("e2", "email", "withdrawn", 2),
        ("e3", "sms", "granted", 1),
    ]
    .into_iter()
    .map(|(id, channel, status, hours)| {
        let mut e = event(
            id,
            "eve-7",
            &account,
            channel,
            "marketing",
            status,
            t + Duration::hours(hours),
        );
        e["email"] = json!(EMAIL);
        e["name"] = json!(NAME);
        e["evidence"] = json!({"form": "newsletter", "typed_email": EMAIL, "full_name": NAME});
        e
    })
    .collect();
    let (status, report) = post_batch(
        app,
        "/api/v1/consent-events",
        Some(&token),
        &json!({ "events": events }),
    )
    .await;
    assert_eq!(
        (status, report["recorded"].as_i64()),
        (200, Some(3)),
        "{report}"
    );
    sqlx::query_scalar::<_, Uuid>("SELECT id FROM data_subjects WHERE external_id = 'eve-7'")
        .fetch_one(&app.pool)
        .await
        .unwrap()
        .to_string()
}

async fn open(
    app: &TestApp,
    client: &reqwest::Client,
    subject: &str,
    kind: &str,
    received: &str,
) -> (u16, Value) {
    app.json(
        client,
        "/api/dsr/open",
        &format!("subject={subject}&kind={kind}&received_on={received}&arrived_by=email&details=From+{}+asking+about+{}",
                 NAME.replace(' ', "+"), EMAIL),
    )
    .await
}

async fn step(
    app: &TestApp,
    client: &reqwest::Client,
    id: &str,
    step: &str,
    note: &str,
) -> (u16, Value) {
    app.json(
        client,
        "/api/dsr/step",
        &format!("id={id}&step={step}&note={}", note.replace(' ', "+")),
    )
    .await
}

async fn detail(app: &TestApp, client: &reqwest::Client, id: &str) -> Value {
    let (status, d) = app
        .json(client, "/api/dsr/detail", &format!("id={id}"))
        .await;
    assert_eq!(status, 200, "{d}");
    d
}

/// How many rows of each table, in every schema of the database, hold `text`.
async fn tables_holding(app: &TestApp, text: &str) -> Vec<(String, i64)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables \
         WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(tables.len() > 20, "{tables:?}");
    let mut holding = Vec::new();
    for table in tables {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {table} t WHERE t::text ILIKE $1"
        ))
        .bind(format!("%{text}%"))
        .fetch_one(&app.pool)
        .await
        .unwrap();
        if n > 0 {
            holding.push((table, n));
        }
    }
    holding
}

#[sqlx::test(migrations = "../migrations")]
async fn an_erased_subject_is_nowhere_in_the_database_and_their_proof_stays(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let subject = subject(&app).await;
    let dpo = app.demo_client("dpo@northwind.example").await;
    let today = Utc::now().date_naive().to_string();

    // Looked at, exported, an event recorded by hand naming her, and a rectification.
    let (status, _) = app
        .json(&dpo, "/api/consent/subject", &format!("subject={subject}"))
        .await;
    assert_eq!(status, 200);
    let proof = dpo
        .get(app.url(&format!("/consent/{subject}/proof.json")))
        .send()
        .await
        .unwrap();
    assert_eq!(proof.status().as_u16(), 200);
    let form = format!(
        "subject={subject}&channel=phone&purpose=marketing&status=withdrawn&lawful_basis=consent&method=phone_call\
         &notice_version=2026-10&notice_sha256={}&language=en&jurisdiction=EU&reason=Call+from+{}+{}",
        "cd".repeat(32), NAME.replace(' ', "+"), EMAIL
    );
    let (status, answer) = app.json(&dpo, "/api/consent/record", &form).await;
    assert_eq!(status, 200, "{answer}");
    let (status, rectification) = open(&app, &dpo, &subject, "rectification", &today).await;
    assert_eq!(status, 200, "{rectification}");
    let rectification = rectification.as_str().unwrap().to_string();
    let (status, early) = app
        .json(
            &dpo,
            "/api/dsr/rectify",
            &format!("id={rectification}&email={NEW_EMAIL}"),
        )
        .await;
    assert_eq!(
        status, 409,
        "not before identity is verified and work started: {early}"
    );
    for s in ["verify_identity", "start"] {
        assert_eq!(step(&app, &dpo, &rectification, s, "").await.0, 200);
    }
    let (status, same) = app
        .json(
            &dpo,
            "/api/dsr/rectify",
            &format!("id={rectification}&email={EMAIL}"),
        )
        .await;
    assert_eq!(status, 422, "nothing differs: {same}");
    let (status, answer) = app
        .json(
            &dpo,
            "/api/dsr/rectify",
            &format!("id={rectification}&email={NEW_EMAIL}"),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let d = detail(&app, &dpo, &rectification).await;
    assert_eq!(d["row"]["status"], "completed");
    assert_eq!(d["facts"]["outcome"]["before"]["email"], EMAIL);
    assert_eq!(d["facts"]["outcome"]["after"]["email"], NEW_EMAIL);
    let rectified: (Value, Value) = sqlx::query_as(
        "SELECT before, after FROM audit_events WHERE action = 'data_subject.rectified'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (rectified.0["email"].as_str(), rectified.1["email"].as_str()),
        (Some(EMAIL), Some(NEW_EMAIL))
    );
    assert!(
        !tables_holding(&app, EMAIL).await.is_empty(),
        "the old email is still held before erasure"
    );

    // The erasure.
    let (status, erasure) = open(&app, &dpo, &subject, "erasure", &today).await;
    assert_eq!(status, 200, "{erasure}");
    let erasure = erasure.as_str().unwrap().to_string();
    for s in ["verify_identity", "start"] {
        assert_eq!(step(&app, &dpo, &erasure, s, "").await.0, 200);
    }
    let (status, complete) = step(&app, &dpo, &erasure, "complete", "").await;
    assert_eq!(
        status, 409,
        "an erasure completes by being carried out: {complete}"
    );
    let number = detail(&app, &dpo, &erasure).await["row"]["number"]
        .as_i64()
        .unwrap();
    let (status, wrong) = app
        .json(
            &dpo,
            "/api/dsr/erase",
            &format!("id={erasure}&confirm=DSR-0"),
        )
        .await;
    assert_eq!(status, 422, "{wrong}");
    let org: uuid::Uuid = sqlx::query_scalar("SELECT id FROM organisations")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let sealed = app::service::audit_chain::seal(&app.pool, org, app::service::audit_chain::LATE)
        .await
        .unwrap();
    assert!(sealed > 0, "the trail so far is sealed");
    let events_before: i64 = sqlx::query_scalar("SELECT count(*) FROM consent_events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let audit_before: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let state_before: Vec<(String, String)> =
        sqlx::query_as("SELECT channel, status::text FROM consent_state ORDER BY 1")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let (status, answer) = app
        .json(
            &dpo,
            "/api/dsr/erase",
            &format!("id={erasure}&confirm=dsr-{number}"),
        )
        .await;
    assert_eq!(status, 200, "{answer}");

    for text in [EMAIL, NEW_EMAIL, NAME, "eve-7"] {
        assert_eq!(
            tables_holding(&app, text).await,
            vec![],
            "{text} is still held"
        );
    }
    // The audit chain still holds: the rewritten events lost their salts, and nothing
    // else did.
    app::service::audit_chain::seal(&app.pool, org, app::service::audit_chain::LATE)
        .await
        .unwrap();
    let verified = app::service::audit_chain::verify(&app.pool, org)
        .await
        .unwrap();
    assert_eq!(verified.broken, None);
    assert!(verified.up_to > sealed as i64);
    let unsalted: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT e.target_type FROM audit_chain c \
           JOIN audit_events e ON e.org_id = c.org_id AND e.id = c.event_id \
          WHERE NOT EXISTS (SELECT 1 FROM audit_salts s WHERE s.org_id = c.org_id AND s.event_id = c.event_id) \
          ORDER BY 1",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(!unsalted.is_empty());
    assert!(
        unsalted
            .iter()
            .all(|t| t == "data_subject" || t == "data_subject_request"),
        "{unsalted:?}"
    );
    // The proof stays, pseudonymised: every event, the state, the audit trail (plus the
    // erasure's own events), the evidence as its fingerprint.
    let events_after: i64 = sqlx::query_scalar("SELECT count(*) FROM consent_events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(events_after, events_before);
    let state_after: Vec<(String, String)> =
        sqlx::query_as("SELECT channel, status::text FROM consent_state ORDER BY 1")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(state_after, state_before);
    let audit_after: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(
        audit_after >= audit_before + 2,
        "{audit_before} → {audit_after}"
    );
    let evidence: Vec<Value> = sqlx::query_scalar(
        "SELECT evidence FROM consent_events WHERE subject_id = $1 AND application_id IS NOT NULL",
    )
    .bind(Uuid::parse_str(&subject).unwrap())
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(
        evidence
            .iter()
            .all(|e| e["erased"] == true && e["sha256"].as_str().map(str::len) == Some(64)),
        "{evidence:?}"
    );
    let (external_id, erased_at): (String, Option<chrono::DateTime<Utc>>) =
        sqlx::query_as("SELECT external_id, pseudonymised_at FROM data_subjects WHERE id = $1")
            .bind(Uuid::parse_str(&subject).unwrap())
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(
        external_id.starts_with("erased-") && erased_at.is_some(),
        "{external_id}"
    );
    let d = detail(&app, &dpo, &erasure).await;
    assert_eq!(d["row"]["status"], "completed");
    assert_eq!(d["facts"]["outcome"]["pseudonym"], external_id.as_str());
    let (_, page) = app
        .json(&dpo, "/api/consent/subject", &format!("subject={subject}"))
        .await;
    assert_eq!(
        page["events"].as_array().unwrap().len(),
        4,
        "three sent, one by hand"
    );
    assert_eq!(page["can_open_request"], false);
    assert_eq!(
        page["requests"].as_array().unwrap().len(),
        2,
        "both requests on the subject's page"
    );

    // Nothing more may be asked of or recorded about her, and outside an erasure the
    // history and the audit trail still refuse every change.
    let (status, _) = open(&app, &dpo, &subject, "access", &today).await;
    assert_eq!(status, 409);
    for statement in [
        "UPDATE consent_events SET evidence = '{}'::jsonb",
        "UPDATE audit_events SET reason = 'rewritten'",
    ] {
        let refused = sqlx::query(statement).execute(&app.pool).await.unwrap_err();
        assert!(refused.to_string().contains("append-only"), "{refused}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn requests_move_through_their_statuses_on_time(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let subject = subject(&app).await;
    let dpo = app.demo_client("dpo@northwind.example").await;
    let auditor = app.demo_client("auditor@northwind.example").await;
    let today = Utc::now().date_naive();
    let day = |n: i64| (today - Duration::days(n)).to_string();

    // The demo has requests in hand of its own: figures are counted from here.
    let counts = |l: &Value| {
        (
            l["open"].as_i64().unwrap(),
            l["overdue"].as_i64().unwrap(),
            l["due_soon"].as_i64().unwrap(),
        )
    };
    let (_, before) = app.json(&dpo, "/api/dsr/list", "show=all").await;
    let (open_before, overdue_before, soon_before) = counts(&before);
    let all_before = before["rows"].as_array().unwrap().len();
    let (status, future) = open(
        &app,
        &dpo,
        &subject,
        "access",
        &(today + Duration::days(1)).to_string(),
    )
    .await;
    assert_eq!(status, 422, "{future}");
    let (_, soon) = open(&app, &dpo, &subject, "access", &day(25)).await;
    let soon = soon.as_str().unwrap().to_string();
    let (_, late) = open(&app, &dpo, &subject, "objection", &day(40)).await;
    let late = late.as_str().unwrap().to_string();
    let d = detail(&app, &dpo, &soon).await;
    assert_eq!(
        d["row"]["due"],
        (today + Duration::days(5)).to_string(),
        "30 days after receipt"
    );
    assert_eq!(d["row"]["urgency"], "due_soon");
    let (status, list) = app.json(&dpo, "/api/dsr/list", "show=open").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        counts(&list),
        (open_before + 2, overdue_before + 1, soon_before + 1)
    );
    let (_, overdue) = app.json(&dpo, "/api/dsr/list", "show=overdue").await;
    let overdue = overdue["rows"].as_array().unwrap();
    assert_eq!(overdue.len() as i64, overdue_before + 1);
    assert!(overdue.iter().any(|r| r["id"] == late.as_str()));
    assert!(overdue.iter().all(|r| r["urgency"] == "overdue"));

    // Access: in order, the export downloaded before completion; closed is final.
    assert_eq!(
        step(&app, &dpo, &soon, "start", "").await.0,
        409,
        "identity first"
    );
    assert_eq!(step(&app, &dpo, &soon, "verify_identity", "").await.0, 200);
    let export_url = app.url(&format!("/dsr/{soon}/export.json"));
    assert_eq!(
        dpo.post(&export_url)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        409,
        "not before work starts"
    );
    assert_eq!(step(&app, &dpo, &soon, "start", "").await.0, 200);
    let (status, early) = step(&app, &dpo, &soon, "complete", "").await;
    assert_eq!(status, 409, "{early}");
    assert_eq!(
        auditor
            .post(&export_url)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        403,
        "auditors read, do not export"
    );
    // Downloading it records the export, a change of state: a GET (a link, an image, a
    // prefetch) does nothing, and a cross-site POST is refused.
    assert_eq!(
        dpo.get(&export_url).send().await.unwrap().status().as_u16(),
        405
    );
    let cross_site = dpo
        .post(&export_url)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status().as_u16(), 403);
    let (status, early) = step(&app, &dpo, &soon, "complete", "").await;
    assert_eq!(status, 409, "still not exported: {early}");
    let export = dpo.post(&export_url).send().await.unwrap();
    assert_eq!(export.status().as_u16(), 200);
    let export: Value = export.json().await.unwrap();
    assert_eq!(export["subject"]["email"], EMAIL);
    assert_eq!(export["consent_events"].as_array().unwrap().len(), 3);
    assert_eq!(export["data_subject_requests"].as_array().unwrap().len(), 2);
    assert_eq!(step(&app, &dpo, &soon, "complete", "").await.0, 200);
    assert_eq!(
        detail(&app, &dpo, &soon).await["row"]["status"],
        "completed"
    );
    assert_eq!(
        step(&app, &dpo, &soon, "reject", "Changed our minds about it")
            .await
            .0,
        409
    );

    // Extension: forward, by two months at most, with a reason; then rejection with one.
    let d = detail(&app, &dpo, &late).await;
    let due: chrono::NaiveDate = d["row"]["due"].as_str().unwrap().parse().unwrap();
    let extend = |to: chrono::NaiveDate, reason: &str| {
        format!("id={late}&to={to}&reason={}", reason.replace(' ', "+"))
    };
    let (status, _) = app
        .json(
            &dpo,
            "/api/dsr/extend",
            &extend(due + Duration::days(61), "Records in three systems"),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .json(
            &dpo,
            "/api/dsr/extend",
            &extend(due + Duration::days(30), "short"),
        )
        .await;
    assert_eq!(status, 422, "a reason is required");
    let (status, answer) = app
        .json(
            &dpo,
            "/api/dsr/extend",
            &extend(due + Duration::days(30), "Records in three systems"),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let d = detail(&app, &dpo, &late).await;
    assert_eq!(
        (d["row"]["extended"].as_bool(), d["row"]["urgency"].as_str()),
        (Some(true), Some("on_time"))
    );
    assert_eq!(
        step(&app, &dpo, &late, "reject", "no").await.0,
        422,
        "a rejection needs its reason"
    );
    assert_eq!(
        step(
            &app,
            &dpo,
            &late,
            "reject",
            "Identity could not be verified"
        )
        .await
        .0,
        200
    );
    let d = detail(&app, &dpo, &late).await;
    assert_eq!(
        (
            d["row"]["status"].as_str(),
            d["facts"]["rejection_reason"].as_str()
        ),
        (Some("rejected"), Some("Identity could not be verified"))
    );

    // The organisation's response time applies to requests opened afterwards.
    let (status, days) = app.json(&dpo, "/api/dsr/response-days", "days=45").await;
    assert_eq!((status, days.as_i64()), (200, Some(45)));
    let (status, _) = app.json(&dpo, "/api/dsr/response-days", "days=400").await;
    assert_eq!(status, 422);
    let (_, later) = open(&app, &dpo, &subject, "restriction", &today.to_string()).await;
    let d = detail(&app, &dpo, later.as_str().unwrap()).await;
    assert_eq!(d["row"]["due"], (today + Duration::days(45)).to_string());

    // Auditors read requests but change nothing; every look and change is audited.
    let (status, list) = app.json(&auditor, "/api/dsr/list", "show=all").await;
    assert_eq!((status, list["can_manage"].as_bool()), (200, Some(false)));
    assert_eq!(list["rows"].as_array().unwrap().len(), all_before + 3);
    assert_eq!(detail(&app, &auditor, &late).await["can_manage"], false);
    assert_eq!(
        step(
            &app,
            &auditor,
            later.as_str().unwrap(),
            "verify_identity",
            ""
        )
        .await
        .0,
        403
    );
    assert_eq!(
        open(&app, &auditor, &subject, "access", &today.to_string())
            .await
            .0,
        403
    );
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT action FROM audit_events WHERE target_type = 'data_subject_request' ORDER BY 1",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for action in [
        "opened",
        "identity_verified",
        "started",
        "completed",
        "extended",
        "rejected",
        "viewed",
        "listed",
    ] {
        assert!(
            actions.contains(&format!("data_subject_request.{action}")),
            "{action}: {actions:?}"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_dpo_for_one_account_sees_only_its_subjects(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let subject = subject(&app).await;
    let dpo = app.demo_client("dpo@northwind.example").await;
    let (_, request) = open(
        &app,
        &dpo,
        &subject,
        "access",
        &Utc::now().date_naive().to_string(),
    )
    .await;
    let request = request.as_str().unwrap().to_string();
    let account_of_eve = first_account(&app).await;
    // The DPO's console role now reaches one other account only.
    let moved = sqlx::query(
        "UPDATE grants SET account_id = (SELECT a.id FROM accounts a JOIN data_subjects d ON d.org_id = a.org_id \
                                         WHERE d.external_id = 'eve-7' AND a.id <> d.account_id ORDER BY a.name LIMIT 1) \
         WHERE principal_id = (SELECT principal_id FROM console_credentials WHERE email = 'dpo@northwind.example')",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    assert!(moved.rows_affected() > 0);
    let (status, found) = app.json(&dpo, "/api/consent/search", "q=eve-7").await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["rows"].as_array().unwrap().len(), 0);
    let (status, _) = app
        .json(&dpo, "/api/consent/subject", &format!("subject={subject}"))
        .await;
    assert_eq!(status, 404);
    let proof = dpo
        .get(app.url(&format!("/consent/{subject}/proof.json")))
        .send()
        .await
        .unwrap();
    assert_eq!(proof.status().as_u16(), 404);
    let (status, list) = app.json(&dpo, "/api/dsr/list", "show=all").await;
    assert_eq!(status, 200);
    let rows = list["rows"].as_array().unwrap();
    assert!(!rows.iter().any(|r| r["id"] == request.as_str()), "{list}");
    assert!(
        rows.iter().all(|r| r["account"] != account_of_eve.as_str()),
        "{list}"
    );
    let (status, _) = app
        .json(&dpo, "/api/dsr/detail", &format!("id={request}"))
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        step(&app, &dpo, &request, "verify_identity", "").await.0,
        404
    );
    let (status, _) = app.json(&dpo, "/api/dsr/response-days", "days=20").await;
    assert_eq!(
        status, 403,
        "an organisation-wide setting needs an organisation-wide role"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn erasure_touches_only_the_subjects_own_rows_whatever_they_are_called(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin_email = "admin@northwind.example";
    let odd_name = "Null \"O\\Brien\"";
    // A customer who shares an email with a console user, with a name that is a JSON
    // keyword and holds a quote and a backslash.
    let token = crm_token(&app).await;
    let account = first_account(&app).await;
    let mut e = event(
        "odd-1",
        "null-1",
        &account,
        "email",
        "marketing",
        "granted",
        Utc::now() - Duration::days(2),
    );
    e["email"] = json!(admin_email);
    e["name"] = json!(odd_name);
    e["evidence"] = json!({ "full_name": odd_name, "typed": admin_email, "note": null });
    let (status, report) = post_batch(
        &app,
        "/api/v1/consent-events",
        Some(&token),
        &json!({ "events": [e] }),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let subject: Uuid =
        sqlx::query_scalar("SELECT id FROM data_subjects WHERE external_id = 'null-1'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let subject = subject.to_string();
    let dpo = app.demo_client("dpo@northwind.example").await;
    let _admin = app.demo_client(admin_email).await;
    let today = Utc::now().date_naive().to_string();
    let (status, rectification) = open(&app, &dpo, &subject, "rectification", &today).await;
    assert_eq!(status, 200, "{rectification}");
    let rectification = rectification.as_str().unwrap().to_string();
    let (status, erasure) = open(&app, &dpo, &subject, "erasure", &today).await;
    assert_eq!(status, 200, "{erasure}");
    let erasure = erasure.as_str().unwrap().to_string();
    for id in [&rectification, &erasure] {
        for s in ["verify_identity", "start"] {
            assert_eq!(step(&app, &dpo, id, s, "").await.0, 200);
        }
    }

    // Everything that is not the subject's, as it is now.
    const OTHERS: &str = "SELECT md5(string_agg(a::text, '|' ORDER BY a.id)) FROM audit_events a \
         WHERE a.id <= $2 AND NOT ((a.target_type = 'data_subject' AND a.target_id = $1) \
            OR (a.target_type = 'data_subject_request' AND a.target_id IN ( \
                  SELECT id::text FROM data_subject_requests WHERE subject_id::text = $1)))";
    let last: i64 = sqlx::query_scalar("SELECT max(id) FROM audit_events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let others = |app: &TestApp| {
        let pool = app.pool.clone();
        let subject = subject.clone();
        async move {
            sqlx::query_scalar::<_, Option<String>>(OTHERS)
                .bind(subject)
                .bind(last)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let before = others(&app).await;
    let sign_ins = "SELECT count(*) FROM audit_events WHERE action = 'auth.sign_in' AND target_label = 'admin@northwind.example'";
    let admin_sign_ins: i64 = sqlx::query_scalar(sign_ins)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(admin_sign_ins >= 1);

    let number = detail(&app, &dpo, &erasure).await["row"]["number"]
        .as_i64()
        .unwrap();
    let (status, answer) = app
        .json(
            &dpo,
            "/api/dsr/erase",
            &format!("id={erasure}&confirm=DSR-{number}"),
        )
        .await;
    assert_eq!(status, 200, "{answer}");

    assert_eq!(others(&app).await, before, "no other row was touched");
    let after: i64 = sqlx::query_scalar(sign_ins)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        after, admin_sign_ins,
        "the admin's own trail names them still"
    );
    assert!(app
        .sign_in(
            &crate::common::client(),
            admin_email,
            gatehouse_server::demo::PASSWORD
        )
        .await
        .status()
        .is_success());
    assert_eq!(
        tables_holding(&app, "null-1").await,
        vec![],
        "the external id is gone"
    );
    // Demo people are called O'Brien too: look in the subject's own rows.
    for (table, theirs) in [
        ("data_subjects", "t.id::text = $1"),
        ("consent_events", "t.subject_id::text = $1"),
        ("data_subject_requests", "t.subject_id::text = $1"),
        (
            "audit_events",
            "(t.target_type = 'data_subject' AND t.target_id = $1) \
             OR (t.target_type = 'data_subject_request' AND t.target_id IN ( \
                   SELECT id::text FROM data_subject_requests WHERE subject_id::text = $1))",
        ),
    ] {
        let naming: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {table} t WHERE ({theirs}) AND (t::text ILIKE '%Brien%' OR t::text ILIKE '%admin@northwind%')"
        ))
        .bind(&subject)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(naming, 0, "{table} still names the subject");
    }
    let (email, name): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT email, name FROM data_subjects WHERE id::text = $1")
            .bind(&subject)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((email, name), (None, None));

    // The rectification opened before the erasure cannot bring her back.
    let (status, refused) = app
        .json(
            &dpo,
            "/api/dsr/rectify",
            &format!("id={rectification}&email=back.again%40example.com&name=Null+OBrien"),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    let email: Option<String> =
        sqlx::query_scalar("SELECT email FROM data_subjects WHERE id::text = $1")
            .bind(&subject)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(email, None);
}

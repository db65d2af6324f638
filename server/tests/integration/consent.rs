//! Consent events sent with an application token: each answered, stored once, refused
//! without a token; the history is append-only and the current state always agrees with
//! the state derived from it.

use chrono::{DateTime, Duration, Utc};
use rules::consent::{current_state, ConsentStatus, HistoryEntry};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::activity::{crm_token, post_batch};
use crate::common::{spawn_demo, TestApp};

const PATH: &str = "/api/v1/consent-events";
/// Events about the subjects these tests send (the demo has customers of its own).
const SENT_HERE: &str =
    "SELECT count(*) FROM consent_events e JOIN data_subjects d ON d.id = e.subject_id \
                         WHERE d.external_id LIKE 's-%'";

pub fn event(
    id: &str,
    subject: &str,
    account: &str,
    channel: &str,
    purpose: &str,
    status: &str,
    at: DateTime<Utc>,
) -> Value {
    json!({"id": id, "subject": subject, "email": format!("{subject}@Example.com"), "name": "Ana Silva",
           "country": "PT", "account": account, "channel": channel, "purpose": purpose, "status": status,
           "lawful_basis": "consent", "method": "chatbot", "source": "Chatbot Builder",
           "notice_version": "2026-10", "notice_sha256": "ab".repeat(32), "language": "pt-PT",
           "jurisdiction": "EU", "at": at.to_rfc3339(), "evidence": {"message_id": format!("wamid.{id}")}})
}

fn statuses(report: &Value) -> Vec<String> {
    report["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap().to_string())
        .collect()
}

pub async fn first_account(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT name FROM accounts ORDER BY name LIMIT 1")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Every subject's stored state, and the state derived from its whole history, as
/// (subject, channel, purpose, status) rows.
async fn stored_and_derived(
    app: &TestApp,
) -> (
    Vec<(Uuid, String, String, String)>,
    Vec<(Uuid, String, String, String)>,
) {
    let stored: Vec<(Uuid, String, String, String)> = sqlx::query_as(
        "SELECT subject_id, channel, purpose, status::text FROM consent_state ORDER BY 1, 2, 3",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let history: Vec<(Uuid, String, String, String, DateTime<Utc>, i64)> = sqlx::query_as(
        "SELECT subject_id, channel, purpose, status::text, occurred_at, seq FROM consent_events ORDER BY seq",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let mut subjects: Vec<Uuid> = history.iter().map(|h| h.0).collect();
    subjects.sort();
    subjects.dedup();
    let mut derived = Vec::new();
    for subject in subjects {
        let entries: Vec<HistoryEntry> = history
            .iter()
            .filter(|h| h.0 == subject)
            .map(|h| HistoryEntry {
                channel: h.1.clone(),
                purpose: h.2.clone(),
                status: ConsentStatus::parse(&h.3).unwrap(),
                at: h.4,
                seq: h.5,
            })
            .collect();
        for ((channel, purpose), e) in current_state(&entries) {
            derived.push((subject, channel, purpose, e.status.as_str().to_string()));
        }
    }
    (stored, derived)
}

#[sqlx::test(migrations = "../migrations")]
async fn consent_events_are_answered_one_by_one_and_stored_once(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let token = crm_token(&app).await;
    let account = first_account(&app).await;
    let t = Utc::now() - Duration::days(3);
    let batch = json!({"events": [
        event("c1", "s-1", &account, "email", "marketing", "granted", t),
        event("c2", "s-1", &account, "email", "marketing", "withdrawn", t + Duration::hours(1)),
        event("c3", "s-1", &account, "sms", "analytics", "granted", t),
        event("c4", "s-2", "No Such Client", "email", "marketing", "granted", t),
        event("c5", "s-2", &account, "email", "loyalty", "granted", t),
        event("c6", "s-2", &account, "fax", "marketing", "granted", t),
        event("c1", "s-1", &account, "email", "marketing", "granted", t),
    ]});
    let (status, report) = post_batch(&app, PATH, Some(&token), &batch).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        statuses(&report),
        [
            "recorded",
            "recorded",
            "recorded",
            "rejected",
            "rejected",
            "rejected",
            "duplicate"
        ]
    );
    let errors: Vec<&str> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["error"].as_str().unwrap_or(""))
        .collect();
    assert!(errors[3].contains("No Such Client"), "{}", errors[3]);
    assert!(
        errors[4].contains("loyalty") && errors[4].contains("not a purpose"),
        "{}",
        errors[4]
    );
    assert!(errors[5].contains("\"channel\""), "{}", errors[5]);
    assert_eq!(
        (report["recorded"].as_i64(), report["rejected"].as_i64()),
        (Some(3), Some(3))
    );

    // Sent again: nothing new.
    let (_, again) = post_batch(&app, PATH, Some(&token), &batch).await;
    assert_eq!(
        &statuses(&again)[..3],
        ["duplicate", "duplicate", "duplicate"]
    );
    let events: i64 = sqlx::query_scalar(SENT_HERE)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(events, 3);

    // A grant older than the withdrawal arrives late: kept in the history, the state stays.
    let late = json!({"events": [event("c0", "s-1", &account, "email", "marketing", "granted", t - Duration::days(1))]});
    let (_, late) = post_batch(&app, PATH, Some(&token), &late).await;
    assert_eq!(statuses(&late), ["recorded"]);
    let email: String = sqlx::query_scalar(
        "SELECT s.status::text FROM consent_state s JOIN data_subjects d ON d.id = s.subject_id \
         WHERE d.external_id = 's-1' AND s.channel = 'email' AND s.purpose = 'marketing'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(email, "withdrawn");
    let (stored, derived) = stored_and_derived(&app).await;
    assert_eq!(stored, derived);

    // The subject as the system described it; the organisation's own purpose is taken once added.
    let subject: (String, String, String) =
        sqlx::query_as("SELECT email, name, country FROM data_subjects WHERE external_id = 's-1'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        subject,
        ("s-1@example.com".into(), "Ana Silva".into(), "PT".into())
    );
    // A later event with a new email brings the subject up to date; one without leaves it.
    let mut moved = event("c8", "s-1", &account, "sms", "analytics", "granted", t);
    moved["email"] = json!("ana.new@example.com");
    let mut quiet = event("c9", "s-1", &account, "sms", "analytics", "granted", t);
    quiet["email"] = Value::Null;
    let (_, answer) = post_batch(&app, PATH, Some(&token), &json!({"events": [moved]})).await;
    assert_eq!(statuses(&answer), ["recorded"]);
    let (_, answer) = post_batch(&app, PATH, Some(&token), &json!({"events": [quiet]})).await;
    assert_eq!(statuses(&answer), ["recorded"]);
    let email: String =
        sqlx::query_scalar("SELECT email FROM data_subjects WHERE external_id = 's-1'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(email, "ana.new@example.com");
    sqlx::query("INSERT INTO consent_purposes (org_id, key, label) SELECT id, 'loyalty', 'Loyalty programme' FROM organisations")
        .execute(&app.pool)
        .await
        .unwrap();
    let loyalty =
        json!({"events": [event("c5b", "s-2", &account, "email", "loyalty", "granted", t)]});
    let (_, loyalty) = post_batch(&app, PATH, Some(&token), &loyalty).await;
    assert_eq!(statuses(&loyalty), ["recorded"]);

    // The history is never rewritten.
    for statement in [
        "UPDATE consent_events SET status = 'granted'",
        "DELETE FROM consent_events",
    ] {
        let refused = sqlx::query(statement).execute(&app.pool).await.unwrap_err();
        assert!(refused.to_string().contains("append-only"), "{refused}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn consent_events_need_a_token(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let account = first_account(&app).await;
    let batch = json!({"events": [event("x1", "s-9", &account, "email", "marketing", "granted", Utc::now())]});
    for token in [None, Some("gtk_not-a-real-token")] {
        let (status, answer) = post_batch(&app, PATH, token, &batch).await;
        assert_eq!(status, 401, "{answer}");
        assert!(answer["error"]
            .as_str()
            .unwrap()
            .contains("application token"));
    }
    let token = crm_token(&app).await;
    let (status, answer) = post_batch(&app, PATH, Some(&token), &json!({"events": []})).await;
    assert_eq!(status, 422, "{answer}");
    let stored: i64 = sqlx::query_scalar(SENT_HERE)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_subject_or_application_named_by_consent_events_is_not_deleted(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let account = first_account(&app).await;
    let token = crm_token(&app).await;
    let batch = json!({"events": [event("k1", "s-kept", &account, "email", "marketing", "granted", Utc::now())]});
    let (status, answer) = post_batch(&app, PATH, Some(&token), &batch).await;
    assert_eq!(status, 200, "{answer}");
    // An application that nothing else names than one consent event (a copy of the one
    // just sent).
    sqlx::query(
        "WITH app AS (INSERT INTO applications (org_id, id, name) \
                      SELECT id, gen_random_uuid(), 'Retired chatbot' FROM organisations RETURNING org_id, id) \
         INSERT INTO consent_events (org_id, id, subject_id, application_id, source_event_id, channel, purpose, \
                                     status, lawful_basis, method, source_system, notice_version, notice_sha256, \
                                     language, jurisdiction, occurred_at, recorded_by_label) \
         SELECT e.org_id, gen_random_uuid(), e.subject_id, app.id, 'k2', e.channel, e.purpose, e.status, \
                e.lawful_basis, e.method, e.source_system, e.notice_version, e.notice_sha256, e.language, \
                e.jurisdiction, e.occurred_at, e.recorded_by_label \
         FROM consent_events e, app WHERE e.source_event_id = 'k1'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    for statement in [
        "DELETE FROM data_subjects WHERE external_id = 's-kept'",
        "DELETE FROM applications WHERE name = 'Retired chatbot'",
    ] {
        let refused = sqlx::query(statement).execute(&app.pool).await.unwrap_err();
        assert_eq!(
            refused
                .as_database_error()
                .and_then(|e| e.code())
                .as_deref(),
            Some("23503"),
            "{statement}: {refused}"
        );
    }
    let stored: i64 = sqlx::query_scalar(SENT_HERE)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_state_agrees_with_the_history_whatever_the_order_and_concurrency(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let token = crm_token(&app).await;
    let account = first_account(&app).await;
    let base = Utc::now() - Duration::days(10);
    let statuses = ["granted", "withdrawn", "refused"];
    // 240 events over 4 subjects x 2 channels x 2 purposes, on 12 distinct instants (so
    // many ties), in an order unrelated to their times.
    let events: Vec<Value> = (0..240)
        .map(|n: i64| {
            let at = base + Duration::hours((n * 7) % 12);
            event(
                &format!("r{n}"),
                &format!("s-{}", n % 4),
                &account,
                ["email", "whatsapp"][(n / 4 % 2) as usize],
                ["marketing", "ai_processing"][(n / 8 % 2) as usize],
                statuses[((n * 5) % 3) as usize],
                at,
            )
        })
        .collect();
    let batches: Vec<Value> = events.chunks(60).map(|c| json!({"events": c})).collect();
    let sent = futures::future::join_all(
        batches
            .iter()
            .map(|b| post_batch(&app, PATH, Some(&token), b)),
    )
    .await;
    for (status, report) in &sent {
        assert_eq!(*status, 200, "{report}");
        assert_eq!(report["recorded"], 60, "{report}");
    }
    let (stored, derived) = stored_and_derived(&app).await;
    let sent_here: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM consent_state s JOIN data_subjects d ON d.id = s.subject_id \
         WHERE d.external_id LIKE 's-%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(sent_here, 16);
    assert_eq!(stored, derived);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_dpo_finds_a_subject_reads_and_exports_the_proof_and_records_by_hand(
    pool: sqlx::PgPool,
) {
    let app = spawn_demo(pool).await;
    let token = crm_token(&app).await;
    let account = first_account(&app).await;
    let t = Utc::now() - Duration::days(2);
    let batch = json!({"events": [
        event("p1", "ana-1", &account, "email", "marketing", "granted", t),
        event("p2", "ana-1", &account, "email", "marketing", "withdrawn", t + Duration::hours(1)),
        event("p3", "ana-1", &account, "whatsapp", "ai_processing", "granted", t),
    ]});
    let (status, _) = post_batch(&app, PATH, Some(&token), &batch).await;
    assert_eq!(status, 200);
    let dpo = app.demo_client("dpo@northwind.example").await;
    let auditor = app.demo_client("auditor@northwind.example").await;

    for q in ["ANA-1@example.com", "ana-1", "ana s"] {
        let (status, found) = app
            .json(
                &dpo,
                "/api/consent/search",
                &format!("q={}", q.replace(' ', "+")),
            )
            .await;
        assert_eq!(status, 200, "{found}");
        assert_eq!(found["rows"].as_array().unwrap().len(), 1, "{q}: {found}");
    }
    let (status, short) = app.json(&dpo, "/api/consent/search", "q=a").await;
    assert_eq!(status, 422, "{short}");
    let (_, found) = app.json(&dpo, "/api/consent/search", "q=ana-1").await;
    let subject = found["rows"][0]["id"].as_str().unwrap().to_string();

    let (status, page) = app
        .json(&dpo, "/api/consent/subject", &format!("subject={subject}"))
        .await;
    assert_eq!(status, 200, "{page}");
    let state = page["state"].as_array().unwrap();
    assert_eq!(state.len(), 2);
    assert!(state.iter().any(|c| c["channel"] == "email"
        && c["purpose"] == "marketing"
        && c["status"] == "withdrawn"));
    assert_eq!(page["events"].as_array().unwrap().len(), 3);
    assert_eq!(page["events"][0]["status"], "withdrawn", "newest first");
    assert_eq!(
        page["accesses"][0]["action"], "data_subject.viewed",
        "the look itself is on record"
    );
    assert_eq!(page["can_record"], true);

    // The proof, in both formats; each export is audited.
    let json_proof: Value = dpo
        .get(app.url(&format!("/consent/{subject}/proof.json")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = json_proof["events"].as_array().unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0]["source_event_id"], "p1", "oldest first");
    for field in [
        "lawful_basis",
        "method",
        "source_system",
        "notice_version",
        "notice_sha256",
        "language",
        "jurisdiction",
        "recorded_by",
    ] {
        assert!(
            events[0][field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}"
        );
    }
    assert_eq!(events[0]["evidence"]["message_id"], "wamid.p1");
    let csv = dpo
        .get(app.url(&format!("/consent/{subject}/proof.csv")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 4);
    assert!(csv.starts_with("subject_id,account,subject_external_id,event_id,occurred_at_utc"));

    // An Auditor reads but may not record; a DPO records with a reason.
    let form = |reason: &str| {
        format!(
            "subject={subject}&channel=email&purpose=marketing&status=granted&lawful_basis=consent&method=paper_form\
             &notice_version=2026-11&notice_sha256={}&language=en&jurisdiction=EU&reason={}",
            "cd".repeat(32),
            reason.replace(' ', "+")
        )
    };
    let (status, _) = app
        .json(
            &auditor,
            "/api/consent/subject",
            &format!("subject={subject}"),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .json(
            &auditor,
            "/api/consent/record",
            &form("Signed form received today"),
        )
        .await;
    assert_eq!(status, 403);
    let (status, e) = app.json(&dpo, "/api/consent/record", &form("")).await;
    assert_eq!(status, 422, "{e}");
    let (status, e) = app
        .json(
            &dpo,
            "/api/consent/record",
            &form("Signed form received today"),
        )
        .await;
    assert_eq!(status, 200, "{e}");
    let (_, page) = app
        .json(&dpo, "/api/consent/subject", &format!("subject={subject}"))
        .await;
    assert!(page["state"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["channel"] == "email"
            && c["purpose"] == "marketing"
            && c["status"] == "granted"));
    assert_eq!(page["events"][0]["reason"], "Signed form received today");
    assert_eq!(page["events"][0]["recorded_by"], "Ingrid Larsen");
    let actions: Vec<&str> = page["accesses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    for action in [
        "data_subject.viewed",
        "data_subject.exported",
        "consent.recorded",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "data_subject.exported")
            .count(),
        2
    );
    let (stored, derived) = stored_and_derived(&app).await;
    assert_eq!(stored, derived);

    // Approvers and members do not reach the console.
    let approver = app.demo_client("approver@northwind.example").await;
    let (status, _) = app.json(&approver, "/api/consent/search", "q=ana-1").await;
    assert_eq!(status, 403);
    let member = app.demo_client("member@northwind.example").await;
    let response = member
        .get(app.url(&format!("/consent/{subject}/proof.json")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_account_shows_opt_ins_withdrawals_and_who_may_reach_its_contacts(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let token = crm_token(&app).await;
    let account = first_account(&app).await;
    let t = Utc::now() - Duration::minutes(30);
    let batch = json!({"events": [
        event("m1", "m-1", &account, "email", "marketing", "granted", t),
        event("m2", "m-2", &account, "email", "marketing", "granted", t),
        event("m3", "m-2", &account, "email", "marketing", "withdrawn", t + Duration::minutes(5)),
        event("m4", "m-2", &account, "sms", "analytics", "withdrawn", t),
    ]});
    let (status, _) = post_batch(&app, PATH, Some(&token), &batch).await;
    assert_eq!(status, 200);
    let account_id: Uuid = sqlx::query_scalar("SELECT id FROM accounts WHERE name = $1")
        .bind(&account)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let dpo = app.demo_client("dpo@northwind.example").await;

    let (status, all) = app
        .json(
            &dpo,
            "/api/consent/account",
            &format!("account={account_id}"),
        )
        .await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(
        (
            all["subjects"].as_i64(),
            all["withdrawn_marketing"].as_i64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(all["months"].as_array().unwrap().len(), 12);
    let total = |v: &Value, f: &str| -> i64 {
        v[f].as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_i64().unwrap())
            .sum()
    };
    assert_eq!((total(&all, "opt_ins"), total(&all, "withdrawals")), (2, 2));
    let (_, sms) = app
        .json(
            &dpo,
            "/api/consent/account",
            &format!("account={account_id}&channel=sms"),
        )
        .await;
    assert_eq!((total(&sms, "opt_ins"), total(&sms, "withdrawals")), (0, 1));
    let holders = all["holders"].as_array().unwrap();
    assert!(!holders.is_empty(), "{all}");
    for h in holders {
        for p in h["permissions"].as_array().unwrap() {
            let action = p.as_str().unwrap().rsplit('.').next().unwrap();
            assert!(
                rules::consent::reaches_contacts(action),
                "{p} does not reach contacts"
            );
        }
    }
    let (status, fax) = app
        .json(
            &dpo,
            "/api/consent/account",
            &format!("account={account_id}&channel=fax"),
        )
        .await;
    assert_eq!(status, 422, "{fax}");

    // The organisation's own purposes: added once, by a DPO; then events may use them.
    let (status, _) = app
        .json(
            &dpo,
            "/api/consent/add-purpose",
            "key=loyalty&label=Loyalty+programme",
        )
        .await;
    assert_eq!(status, 200);
    for body in [
        "key=loyalty&label=Again",
        "key=Loyalty+Club&label=Bad+key",
        "key=marketing&label=Built+in",
    ] {
        let (status, refused) = app.json(&dpo, "/api/consent/add-purpose", body).await;
        assert_eq!(status, 422, "{body}: {refused}");
    }
    let auditor = app.demo_client("auditor@northwind.example").await;
    let (status, _) = app
        .json(
            &auditor,
            "/api/consent/add-purpose",
            "key=surveys&label=Surveys",
        )
        .await;
    assert_eq!(status, 403);
    let (_, purposes) = app.json(&auditor, "/api/consent/purposes", "").await;
    assert_eq!(purposes["can_add"], false);
    let keys: Vec<&str> = purposes["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "marketing",
            "personalisation",
            "analytics",
            "ai_processing",
            "loyalty"
        ]
    );
    let loyalty =
        json!({"events": [event("m5", "m-1", &account, "email", "loyalty", "granted", t)]});
    let (_, answer) = post_batch(&app, PATH, Some(&token), &loyalty).await;
    assert_eq!(statuses(&answer), ["recorded"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_consent_page_lists_purposes_and_accounts_when_rendered_on_the_server(
    pool: sqlx::PgPool,
) {
    let app = spawn_demo(pool).await;
    let account = first_account(&app).await;
    let dpo = app.demo_client("dpo@northwind.example").await;
    let page = dpo.get(app.url("/consent")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("ai_processing"),
        "purposes are listed: {html}"
    );
    assert!(html.contains(&account), "accounts are listed");
    assert!(html.contains("Add purpose"), "a DPO may add a purpose");
    for path in [
        "/consent?q=nobody%40example.com",
        "/dsr?show=closed",
        "/dsr",
    ] {
        let html = dpo
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!html.contains("went wrong"), "{path}: {html}");
    }
}

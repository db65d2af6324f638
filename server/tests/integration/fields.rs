//! `POST /api/v1/filter`: fields above the reader's clearance are removed, a role's and
//! the principal's own clearance decide it, a data subject without consent for the
//! purpose shows only public fields, and a reader without the view permission sees
//! nothing. Decisions about a resource of a stated sensitivity read the same clearance. The console declares fields and sets clearances, audited.

use serde_json::{json, Value};

use crate::activity::{crm_token, post_batch};
use crate::common::spawn_demo;
use crate::decisions::{grant, newcomer, viewer_role};
use crate::requests::id_of;

fn kept(answer: &Value) -> Vec<Vec<String>> {
    answer["records"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|r| r.as_object().unwrap().keys().cloned().collect())
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_record_keeps_only_what_its_reader_may_see(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let token = crm_token(&app).await;
    let crm = id_of(&app, "SELECT id FROM applications WHERE name = 'Acme CRM'").await;
    let role = viewer_role(&app).await;
    let reader = newcomer(&app, "rita.reader", false).await;
    newcomer(&app, "otto.outsider", false).await;
    grant(&app, &admin, (reader, role, None), "").await;
    for (field, level, special) in [
        ("name", "public", false),
        ("phone", "confidential", false),
        ("health", "internal", true),
    ] {
        let mut body = format!("resource={crm}/contacts&field={field}&sensitivity={level}");
        if special {
            body.push_str("&special_category=yes");
        }
        let (status, answer) = app.json(&admin, "/api/access/fields/classify", &body).await;
        assert_eq!(status, 200, "{answer}");
    }
    let (status, refused) = app
        .json(
            &admin,
            "/api/access/fields/classify",
            &format!("resource={crm}/contacts&field=e-mail&sensitivity=public"),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(refused["Invalid"]["field"], "field");
    let (status, overview) = app.json(&admin, "/api/access/fields", "").await;
    assert_eq!(status, 200);
    let contacts = overview["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["application"] == "Acme CRM" && r["resource"] == "contacts")
        .unwrap();
    assert_eq!(contacts["fields"].as_array().unwrap().len(), 3);

    // A subject whose marketing consent stands withdrawn (or refused), and one whose
    // does not.
    let (without, with): (String, String) = sqlx::query_as(
        "SELECT (SELECT d.external_id FROM data_subjects d WHERE EXISTS (SELECT 1 FROM consent_state s \
                  WHERE s.subject_id = d.id AND s.purpose = 'marketing' AND s.status IN ('withdrawn', 'refused')) \
                 ORDER BY d.id LIMIT 1), \
                (SELECT d.external_id FROM data_subjects d WHERE NOT EXISTS (SELECT 1 FROM consent_state s \
                  WHERE s.subject_id = d.id AND s.purpose = 'marketing' AND s.status IN ('withdrawn', 'refused')) \
                 ORDER BY d.id LIMIT 1)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let filter = |principal: &str, purpose: Option<&str>| {
        let body = json!({
            "principal": principal, "resource": "contacts", "purpose": purpose, "subject_field": "subject",
            "records": [
                {"subject": with, "name": "Ada", "phone": "+44 1", "health": "…", "notes": "likes tea"},
                {"subject": without, "name": "Bo", "phone": "+44 2", "health": "…", "notes": "no calls"},
            ],
        });
        let (app, token) = (&app, token.clone());
        async move {
            let (status, answer) = post_batch(app, "/api/v1/filter", Some(&token), &body).await;
            assert_eq!(status, 200, "{answer}");
            answer
        }
    };
    // A decision about a resource of a stated sensitivity reads the same clearance.
    let decided = |sensitivity: &'static str| {
        let body = json!({"checks": [{
            "principal": "rita.reader", "permission": "contacts.view",
            "resource": {"attributes": {"sensitivity": sensitivity}},
        }]});
        let (app, token) = (&app, token.clone());
        async move {
            let (status, answer) = post_batch(app, "/api/v1/decisions", Some(&token), &body).await;
            assert_eq!(status, 200, "{answer}");
            let d = &answer["decisions"][0];
            let reason = d["reasons"][0]["reason"].as_str().unwrap().to_string();
            (d["allowed"] == true, reason)
        }
    };
    assert_eq!(decided("internal").await, (true, "allowed".into()));
    assert_eq!(
        decided("confidential").await,
        (false, "above_grant_clearance".into())
    );
    let answer = filter("rita.reader", None).await;
    assert_eq!(answer["clearance"], "internal");
    assert_eq!(
        kept(&answer),
        [["name", "notes", "subject"], ["name", "notes", "subject"]]
    );
    let removed = answer["removed"].as_array().unwrap();
    assert_eq!(removed.len(), 4);
    assert!(removed.iter().any(|r| r["field"] == "health"
        && r["reason"] == "above_clearance"
        && r["text"].as_str().unwrap().contains("special-category")));

    // The role clears restricted: everything stays, but the subject without consent for
    // marketing shows only public fields.
    let (status, _) = app
        .json(
            &admin,
            "/api/access/clearance/bundle",
            &format!("bundle={role}&clearance=restricted"),
        )
        .await;
    assert_eq!(status, 200);
    let answer = filter("rita.reader", Some("marketing")).await;
    assert_eq!(answer["clearance"], "restricted");
    assert_eq!(decided("restricted").await, (true, "allowed".into()));
    assert_eq!(
        kept(&answer)[0],
        ["health", "name", "notes", "phone", "subject"]
    );
    assert_eq!(kept(&answer)[1], ["name"]);
    assert!(answer["removed"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["record"] == 1 && r["reason"] == "consent_withheld"));

    // Her own clearance lowers it again.
    let (status, _) = app
        .json(
            &admin,
            "/api/access/clearance/principal",
            &format!("principal={reader}&clearance=confidential"),
        )
        .await;
    assert_eq!(status, 200);
    let answer = filter("rita.reader", None).await;
    assert_eq!(answer["clearance"], "confidential");
    assert_eq!(decided("confidential").await, (true, "allowed".into()));
    assert_eq!(
        decided("restricted").await,
        (false, "above_clearance".into())
    );
    assert_eq!(kept(&answer)[0], ["name", "notes", "phone", "subject"]);

    // Someone who may not view contacts gets no record at all.
    let answer = filter("otto.outsider", None).await;
    assert_eq!(answer["allowed"], false);
    assert_eq!(answer["records"], json!([]));
    assert_eq!(answer["withheld_records"], 2);

    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT action FROM audit_events WHERE action IN \
           ('resource_field.classified', 'bundle.clearance_set', 'principal.clearance_set') ORDER BY 1",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            "bundle.clearance_set",
            "principal.clearance_set",
            "resource_field.classified"
        ]
    );
}

//! The decision API: each check answered by the evaluator with its reasons and the
//! policy version; conditions, accounts, revocation and agents acting for people
//! decide; every malformed or unknown input is an answer, never a fault.

use serde_json::{json, Value};
use uuid::Uuid;

use crate::activity::{crm_token, post_batch};
use crate::common::{spawn_demo, TestApp};
use crate::requests::{acme, id_of};

/// A principal no demo grant touches: a human, or an AI agent owned by the admin.
pub(crate) async fn newcomer(app: &TestApp, name: &str, agent: bool) -> Uuid {
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO principals (org_id, id, kind, display_name, external_id, employment_type, owner_id, attributes) \
         SELECT o.id, $1, $2::principal_kind, $3, $3, \
                CASE WHEN $4 THEN NULL ELSE 'employee'::employment_type END, \
                CASE WHEN $4 THEN (SELECT id FROM principals WHERE email = 'ben.bauer@northwind.example') END, \
                '{\"department\": \"Support\"}' \
         FROM organisations o",
    )
    .bind(id)
    .bind(if agent { "ai_agent" } else { "human" })
    .bind(name)
    .bind(agent)
    .execute(&app.pool)
    .await
    .unwrap();
    id
}

/// A role of the CRM that holds `contacts.view` and nothing high-impact.
pub(crate) async fn viewer_role(app: &TestApp) -> Uuid {
    id_of(
        app,
        "SELECT r.id FROM roles r JOIN applications a ON a.org_id = r.org_id AND a.id = r.application_id \
         WHERE a.name = 'Acme CRM' \
           AND EXISTS (SELECT 1 FROM role_permissions rp JOIN permissions p ON p.org_id = rp.org_id \
                       AND p.id = rp.permission_id WHERE rp.role_id = r.id AND p.resource = 'contacts' AND p.action = 'view') \
           AND NOT EXISTS (SELECT 1 FROM role_permissions rp JOIN permissions p ON p.org_id = rp.org_id \
                       AND p.id = rp.permission_id WHERE rp.role_id = r.id AND p.high_impact) \
         ORDER BY r.name LIMIT 1",
    )
    .await
}

pub(crate) async fn grant(
    app: &TestApp,
    admin: &reqwest::Client,
    (principal, role, account): (Uuid, Uuid, Option<Uuid>),
    conditions: &str,
) -> Uuid {
    let body = serde_urlencoded::to_string([
        ("principal", principal.to_string()),
        ("bundle", role.to_string()),
        (
            "account",
            account.map(|a| a.to_string()).unwrap_or_default(),
        ),
        ("reason", "Answers customers of this client".to_string()),
        ("conditions", conditions.to_string()),
    ])
    .unwrap();
    let (status, made) = app.json(admin, "/api/grants/create", &body).await;
    assert_eq!(status, 200, "{made}");
    Uuid::parse_str(made["Granted"]["grant"].as_str().unwrap()).unwrap()
}

pub(crate) fn check(principal: &str, permission: &str, account: &str, region: &str) -> Value {
    json!({"principal": principal, "permission": permission, "account": account,
           "resource": {"attributes": {"region": region}}})
}

fn reasons(decision: &Value) -> Vec<String> {
    decision["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap().to_string())
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn decisions_follow_grants_accounts_and_conditions_with_their_reasons(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let token = crm_token(&app).await;
    let ask = |checks: Value| {
        let (app, token) = (&app, &token);
        async move {
            let (status, answer) = post_batch(
                app,
                "/api/v1/decisions",
                Some(token),
                &json!({ "checks": checks }),
            )
            .await;
            assert_eq!(status, 200, "{answer}");
            answer
        }
    };
    let ana = newcomer(&app, "ana.decides", false).await;
    let (role, acme) = (viewer_role(&app).await, acme(&app).await);
    let before = ask(json!([check(
        "ana.decides",
        "contacts.view",
        "Acme Retail",
        "EU"
    )]))
    .await;
    assert_eq!(before["decisions"][0]["allowed"], false);
    assert_eq!(reasons(&before["decisions"][0]), ["no_grant"]);

    let granted = grant(&app, &admin, (ana, role, Some(acme)), "region = EU").await;
    // A principal whose external id is Ana's id: a reference by id still means Ana.
    newcomer(&app, &ana.to_string(), false).await;
    let answer = ask(json!([
        check("ana.decides", "contacts.view", "Acme Retail", "EU"),
        check(&ana.to_string(), "contacts.view", &acme.to_string(), "US"),
        check("ana.decides", "contacts.view", "Evergreen Foods", "EU"),
        check("ana.decides", "contacts.view", "No Such Client", "EU"),
        check("nobody.here", "contacts.view", "Acme Retail", "EU"),
        check("ana.decides", "contacts.teleport", "Acme Retail", "EU"),
        {"principal": "ana.decides"},
        {"principal": "ana.decides", "permission": "contacts.view", "resource": {"attributes": {"region": ["EU"]}}},
        check("ana\u{0}decides", "contacts.view", "Acme Retail", "EU"),
    ]))
    .await;
    assert!(
        answer["policy_version"].as_i64().unwrap() > before["policy_version"].as_i64().unwrap()
    );
    let d = answer["decisions"].as_array().unwrap();
    assert_eq!(d.len(), 9);
    assert_eq!(d[0]["allowed"], true, "{}", d[0]);
    assert_eq!(d[0]["reasons"][0]["grant"], granted.to_string());
    assert_eq!(d[1]["allowed"], false);
    assert_eq!(reasons(&d[1]), ["conditions_unmet"]);
    let text = d[1]["reasons"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("\u{201c}region = EU\u{201d} (resource region is US)"),
        "{text}"
    );
    assert_eq!(reasons(&d[2]), ["other_account"]);
    assert!(d[2]["reasons"][0]["text"]
        .as_str()
        .unwrap()
        .ends_with("is for Acme Retail only"));
    assert_eq!(reasons(&d[3]), ["unknown_account"]);
    assert_eq!(reasons(&d[4]), ["unknown_principal"]);
    assert_eq!(reasons(&d[5]), ["unknown_permission"]);
    assert!(
        d[6]["error"].as_str().unwrap().contains("permission"),
        "{}",
        d[6]
    );
    assert!(
        d[7]["error"].as_str().unwrap().contains("region"),
        "{}",
        d[7]
    );
    assert!(
        d[8]["error"]
            .as_str()
            .unwrap()
            .contains("control characters"),
        "{}",
        d[8]
    );

    // Revoking the grant changes the answer and the version.
    let body = format!("grant={granted}&reason=Moved+to+another+team");
    let (status, _) = app.json(&admin, "/api/grants/revoke", &body).await;
    assert_eq!(status, 200);
    let after = ask(json!([check(
        "ana.decides",
        "contacts.view",
        "Acme Retail",
        "EU"
    )]))
    .await;
    assert!(after["policy_version"].as_i64() > answer["policy_version"].as_i64());
    assert_eq!(after["decisions"][0]["allowed"], false);
    assert_eq!(reasons(&after["decisions"][0]), ["revoked"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_agent_acting_for_a_person_gets_no_more_than_the_person(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let token = crm_token(&app).await;
    let (role, acme) = (viewer_role(&app).await, acme(&app).await);
    let agent = newcomer(&app, "crm.assistant", true).await;
    let person = newcomer(&app, "ben.asks", false).await;
    // The agent may view contacts everywhere; the person on Acme Retail, for the EU.
    grant(&app, &admin, (agent, role, None), "").await;
    grant(&app, &admin, (person, role, Some(acme)), "region = EU").await;
    let acting = |account: &str, region: &str| {
        let mut c = check("crm.assistant", "contacts.view", account, region);
        c["on_behalf_of"] = json!("ben.asks");
        c
    };
    let (status, answer) = post_batch(
        &app,
        "/api/v1/decisions",
        Some(&token),
        &json!({"checks": [
            check("crm.assistant", "contacts.view", "Evergreen Foods", "US"),
            acting("Acme Retail", "EU"),
            acting("Acme Retail", "US"),
            acting("Evergreen Foods", "EU"),
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let d = answer["decisions"].as_array().unwrap();
    assert_eq!(
        d[0]["allowed"], true,
        "alone, the agent's own grant decides"
    );
    assert_eq!(d[1]["allowed"], true, "{}", d[1]);
    for denied in &d[2..] {
        assert_eq!(denied["allowed"], false, "{denied}");
        let last = denied["reasons"].as_array().unwrap().last().unwrap();
        assert_eq!(last["reason"], "acts_for");
        assert!(last["text"]
            .as_str()
            .unwrap()
            .starts_with("acting for ben.asks, who may not do this"));
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_decision_api_refuses_what_it_cannot_answer(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let token = crm_token(&app).await;
    let one = json!({"checks": [check("member@northwind.example", "contacts.view", "Acme Retail", "EU")]});
    let (status, error) = post_batch(&app, "/api/v1/decisions", None, &one).await;
    assert_eq!(status, 401, "{error}");
    let (status, _) = post_batch(&app, "/api/v1/decisions", Some("gtk_not-a-token"), &one).await;
    assert_eq!(status, 401);
    let many: Vec<Value> = (0..1_001)
        .map(|_| {
            check(
                "member@northwind.example",
                "contacts.view",
                "Acme Retail",
                "EU",
            )
        })
        .collect();
    let (status, error) = post_batch(
        &app,
        "/api/v1/decisions",
        Some(&token),
        &json!({ "checks": many }),
    )
    .await;
    assert_eq!(status, 422, "{error}");
    assert!(error["error"].as_str().unwrap().contains("1001"), "{error}");
    let (status, error) = post_batch(
        &app,
        "/api/v1/decisions",
        Some(&token),
        &json!({"check": []}),
    )
    .await;
    assert_eq!(status, 422, "{error}");
    let response = crate::common::client()
        .post(app.url("/api/v1/decisions"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"checks\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let error: Value = response.json().await.unwrap();
    assert!(error["error"]
        .as_str()
        .unwrap()
        .contains("the body is not JSON"));

    // A high-impact decision is on the audit trail, allowed or not.
    let (status, _) = post_batch(
        &app,
        "/api/v1/decisions",
        Some(&token),
        &json!({"checks": [check("member@northwind.example", "contacts.export", "Acme Retail", "EU")]}),
    )
    .await;
    assert_eq!(status, 200);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'decision.made' \
           AND after->>'permission' = 'contacts.export'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

async fn get_json(app: &TestApp, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = crate::common::client().get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[sqlx::test(migrations = "../migrations")]
async fn who_may_do_what_is_answered_from_the_grants_in_force(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let token = crm_token(&app).await;
    let (role, acme) = (viewer_role(&app).await, acme(&app).await);
    let cleo = newcomer(&app, "cleo.reads", false).await;
    let granted = grant(&app, &admin, (cleo, role, Some(acme)), "region = EU").await;

    let (status, mine) = get_json(
        &app,
        "/api/v1/principals/cleo.reads/permissions?account=Acme%20Retail",
        Some(&token),
    )
    .await;
    assert_eq!(status, 200, "{mine}");
    let view = mine["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["permission"] == "contacts.view")
        .unwrap_or_else(|| panic!("{mine}"));
    assert_eq!(view["conditional"], true);
    assert_eq!(view["grants"][0]["grant"], granted.to_string());
    assert_eq!(
        view["grants"][0]["conditions"],
        "the resource's region is EU"
    );
    // Elsewhere the grant gives nothing.
    let (_, elsewhere) = get_json(
        &app,
        &format!("/api/v1/principals/{cleo}/permissions?account=Evergreen%20Foods"),
        Some(&token),
    )
    .await;
    assert_eq!(elsewhere["permissions"], json!([]), "{elsewhere}");

    let (status, holders) = get_json(
        &app,
        "/api/v1/permissions/contacts.view/holders?account=Acme%20Retail",
        Some(&token),
    )
    .await;
    assert_eq!(status, 200, "{holders}");
    let names: Vec<&str> = holders["holders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["principal"]["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"cleo.reads"), "{names:?}");
    let (_, evergreen) = get_json(
        &app,
        "/api/v1/permissions/contacts.view/holders?account=Evergreen%20Foods",
        Some(&token),
    )
    .await;
    assert!(!evergreen.to_string().contains("cleo.reads"));

    // Unknown names are 404s with the reason; no token is 401.
    for (path, says) in [
        ("/api/v1/principals/nobody.here/permissions", "No principal"),
        (
            "/api/v1/principals/cleo.reads/permissions?account=Nowhere",
            "no account",
        ),
        (
            "/api/v1/permissions/contacts.teleport/holders",
            "no permission",
        ),
    ] {
        let (status, error) = get_json(&app, path, Some(&token)).await;
        assert_eq!(status, 404, "{path}: {error}");
        assert!(error["error"].as_str().unwrap().contains(says), "{error}");
    }
    let (status, _) = get_json(&app, "/api/v1/permissions/contacts.view/holders", None).await;
    assert_eq!(status, 401);
}

/// The explain page's question as its form sends it.
fn explain_body(principal: &str, permission: &str, account: Uuid, attributes: &str) -> String {
    serde_urlencoded::to_string([
        ("query[principal]", principal.to_string()),
        ("query[permission]", permission.to_string()),
        ("query[account]", account.to_string()),
        ("query[attributes]", attributes.to_string()),
    ])
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_console_explains_a_decision_and_lists_who_may_do_it(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let ana = newcomer(&app, "ana.explained", false).await;
    let (role, acme) = (viewer_role(&app).await, acme(&app).await);
    grant(&app, &admin, (ana, role, Some(acme)), "region = EU").await;

    let (status, choices) = app.json(&admin, "/api/access/choices", "").await;
    assert_eq!(status, 200, "{choices}");
    let contacts_view = choices["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["label"] == "Acme CRM \u{2014} contacts.view")
        .unwrap_or_else(|| panic!("{choices}"))["value"]
        .as_str()
        .unwrap()
        .to_string();

    // An EU resource is allowed by the grant, a US one is not, and the page says why.
    let (status, eu) = app
        .json(
            &admin,
            "/api/access/explain",
            &explain_body("ana.explained", &contacts_view, acme, "region = EU"),
        )
        .await;
    assert_eq!(status, 200, "{eu}");
    assert_eq!(eu["allowed"], true, "{eu}");
    assert_eq!(eu["principal"], "ana.explained");
    assert!(
        eu["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("allowed by the grant of"),
        "{eu}"
    );
    let (_, us) = app
        .json(
            &admin,
            "/api/access/explain",
            &explain_body("ana.explained", &contacts_view, acme, "region = US"),
        )
        .await;
    assert_eq!(us["allowed"], false, "{us}");
    assert!(
        us["reasons"][0].as_str().unwrap().contains("region = EU"),
        "{us}"
    );

    // What cannot be read is refused next to its field.
    for (body, field) in [
        (
            explain_body("nobody.at.all", &contacts_view, acme, ""),
            "principal",
        ),
        (
            explain_body("ana.explained", "contacts.view", acme, ""),
            "permission",
        ),
        (
            explain_body("ana.explained", &contacts_view, acme, "region EU"),
            "attributes",
        ),
    ] {
        let (status, refused) = app.json(&admin, "/api/access/explain", &body).await;
        assert_eq!(status, 422, "{refused}");
        assert_eq!(refused["Invalid"]["field"], field, "{refused}");
    }

    // Who may view contacts on Acme Retail: Ana, through the grant, conditionally.
    let body = serde_urlencoded::to_string([
        ("query[permission]", contacts_view.clone()),
        ("query[account]", acme.to_string()),
    ])
    .unwrap();
    let (status, who) = app.json(&admin, "/api/access/who", &body).await;
    assert_eq!(status, 200, "{who}");
    let ana_holds = who["holders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["principal_id"] == ana.to_string())
        .unwrap_or_else(|| panic!("{who}"));
    assert_eq!(ana_holds["conditional"], true);
    assert_eq!(ana_holds["grants"][0]["account"], "Acme Retail");
    assert!(ana_holds["grants"][0]["conditions"]
        .as_str()
        .unwrap()
        .contains("EU"));

    // An Approver of Bluebird Telecom only may ask about Bluebird alone: not about Ana,
    // who belongs to no account of theirs, and not about Acme Retail's holders.
    let lead = app
        .demo_client(gatehouse_server::demo::ACCOUNT_APPROVER)
        .await;
    let (status, _) = app
        .json(
            &lead,
            "/api/access/explain",
            &explain_body("ana.explained", &contacts_view, acme, ""),
        )
        .await;
    assert_eq!(status, 422, "Acme Retail is not one of the lead's accounts");
    let bluebird = id_of(
        &app,
        "SELECT id FROM accounts WHERE name = 'Bluebird Telecom'",
    )
    .await;
    let about = |who: &str, account: &str| {
        serde_urlencoded::to_string([
            ("query[principal]", who),
            ("query[permission]", contacts_view.as_str()),
            ("query[account]", account),
        ])
        .unwrap()
    };
    let (status, _) = app
        .json(&lead, "/api/access/explain", &about("ana.explained", ""))
        .await;
    assert_eq!(status, 403, "Ana belongs to none of the lead's accounts");
    let (status, own) = app
        .json(
            &lead,
            "/api/access/explain",
            &about(
                gatehouse_server::demo::ACCOUNT_APPROVER,
                &bluebird.to_string(),
            ),
        )
        .await;
    assert_eq!(status, 200, "{own}");
    let body =
        serde_urlencoded::to_string([("query[permission]", contacts_view.as_str())]).unwrap();
    let (status, refused) = app.json(&lead, "/api/access/who", &body).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["Invalid"]["field"], "account");
}

#[sqlx::test(migrations = "../migrations")]
async fn decisions_count_as_activity_and_allowed_ones_as_use(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let token = crm_token(&app).await;
    let (role, acme) = (viewer_role(&app).await, acme(&app).await);
    let allowed = newcomer(&app, "carla.active", false).await;
    let denied = newcomer(&app, "dario.refused", false).await;
    grant(&app, &admin, (allowed, role, Some(acme)), "").await;
    let seen = |who: Uuid| {
        let pool = app.pool.clone();
        async move {
            let (last, uses): (Option<chrono::DateTime<chrono::Utc>>, i64) = sqlx::query_as(
                "SELECT p.last_activity_at, (SELECT count(*) FROM permission_usage u WHERE u.principal_id = p.id) \
                 FROM principals p WHERE p.id = $1",
            )
            .bind(who)
            .fetch_one(&pool)
            .await
            .unwrap();
            (last, uses)
        }
    };
    assert_eq!(seen(allowed).await, (None, 0));

    let checks = json!({"checks": [
        check("carla.active", "contacts.view", "Acme Retail", "EU"),
        check("dario.refused", "contacts.view", "Acme Retail", "EU"),
    ]});
    let (status, answer) = post_batch(&app, "/api/v1/decisions", Some(&token), &checks).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["decisions"][0]["allowed"], true);
    assert_eq!(answer["decisions"][1]["allowed"], false);
    // Activity is written in the background, once a second.
    let mut waited = 0;
    while seen(denied).await.0.is_none() && waited < 50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    let (first, uses) = seen(allowed).await;
    assert!(first.is_some() && uses == 1, "{first:?} {uses}");
    let (refused, none) = seen(denied).await;
    assert!(refused.is_some(), "a refused principal was active too");
    assert_eq!(none, 0, "a refusal is no use of the permission");

    // Within the hour, asking again writes nothing.
    post_batch(&app, "/api/v1/decisions", Some(&token), &checks).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(seen(allowed).await, (first, 1));
}

/// A batch decided in-process, as the API would answer it.
async fn decided(
    decider: &app::service::decisions::Decider,
    caller: app::db::tokens::TokenCaller,
    checks: &Value,
) -> Value {
    let body = serde_json::to_vec(checks).unwrap();
    let answers = decider.decide_batch(caller, &body).await.unwrap();
    serde_json::to_value(answers).unwrap()
}

/// Each instance answers from its copy of the policy while that copy is of the current
/// version: the copy answers as the database does, and a change made through another
/// instance is seen at once.
#[sqlx::test(migrations = "../migrations")]
async fn a_copy_in_memory_answers_alike_and_a_change_elsewhere_is_seen_at_once(pool: sqlx::PgPool) {
    use app::service::decisions::Decider;

    let one = spawn_demo(pool.clone()).await;
    let other = crate::common::spawn(pool).await;
    let admin = one.demo_client("admin@northwind.example").await;
    let token = crm_token(&one).await;
    let (role, acme) = (viewer_role(&one).await, acme(&one).await);
    let ana = newcomer(&one, "ana.cached", false).await;
    let granted = grant(&one, &admin, (ana, role, Some(acme)), "region = EU").await;
    let checks = json!({"checks": [
        check("ana.cached", "contacts.view", "Acme Retail", "EU"),
        check("ana.cached", "contacts.view", "Acme Retail", "US"),
        check("ana.cached", "contacts.view", "Evergreen Foods", "EU"),
        check("ana.cached", "contacts.export", "Acme Retail", "EU"),
        check("nobody.here", "contacts.view", "Acme Retail", "EU"),
        check("ana.cached", "contacts.view", "No Such Client", "EU"),
    ]});

    // In-process, the copy is loaded and answers every check as the database does.
    let (org, application): (Uuid, Uuid) =
        sqlx::query_as("SELECT org_id, id FROM applications WHERE name = 'Acme CRM'")
            .fetch_one(&one.pool)
            .await
            .unwrap();
    let version = || async {
        sqlx::query_scalar::<_, i64>("SELECT policy_version FROM organisations")
            .fetch_one(&one.pool)
            .await
            .unwrap()
    };
    let caller = |policy_version| app::db::tokens::TokenCaller {
        org_id: org,
        token_id: Uuid::nil(),
        application_id: application,
        policy_version,
        principal_id: None,
    };
    let (cached, uncached) = (
        Decider::cached(one.pool.clone()),
        Decider::uncached(one.pool.clone()),
    );
    cached.prepare(org).await;
    let before = version().await;
    assert!(cached.answers_from_memory(org, before));
    let from_memory = decided(&cached, caller(before), &checks).await;
    assert_eq!(
        from_memory,
        decided(&uncached, caller(before), &checks).await
    );
    assert_eq!(from_memory["decisions"][0]["allowed"], true);
    assert_eq!(reasons(&from_memory["decisions"][1]), ["conditions_unmet"]);

    // The other instance answers too (its copy loads after its first decision).
    let ask_other = || async {
        let (status, answer) = post_batch(&other, "/api/v1/decisions", Some(&token), &checks).await;
        assert_eq!(status, 200, "{answer}");
        answer
    };
    assert_eq!(ask_other().await["decisions"], from_memory["decisions"]);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(ask_other().await["decisions"], from_memory["decisions"]);

    // Revoked on the first instance: the other refuses at once, and the in-process copy
    // is no longer used.
    let body = format!("grant={granted}&reason=Left+the+account");
    let (status, _) = one.json(&admin, "/api/grants/revoke", &body).await;
    assert_eq!(status, 200);
    let revoked = std::time::Instant::now();
    let answer = ask_other().await;
    assert!(revoked.elapsed() < std::time::Duration::from_secs(1));
    assert_eq!(answer["decisions"][0]["allowed"], false);
    assert_eq!(reasons(&answer["decisions"][0]), ["revoked"]);
    let after = version().await;
    assert!(after > before);
    assert!(!cached.answers_from_memory(org, after));
    let answer = decided(&cached, caller(after), &checks).await;
    assert_eq!(reasons(&answer["decisions"][0]), ["revoked"]);
    assert_eq!(answer["policy_version"], after);
    cached.prepare(org).await;
    assert!(cached.answers_from_memory(org, after));
    assert_eq!(decided(&cached, caller(after), &checks).await, answer);
}

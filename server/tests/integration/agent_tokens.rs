//! Tokens of AI agents, bots and integrations of their own: made on the principal's page
//! within the organisation's cap, speaking for that principal only, stopping with it;
//! an agent asks for access through the API but never decides a request.

use chrono::{Days, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::activity::{crm_token, post_batch};
use crate::common::{client, spawn_demo, TestApp};
use crate::decisions::{check, grant, newcomer, viewer_role};
use crate::requests::{acme, id_of};

fn day(days: u64) -> String {
    (Utc::now().date_naive() + Days::new(days)).to_string()
}

async fn make(
    app: &TestApp,
    admin: &reqwest::Client,
    principal: Uuid,
    until: &str,
) -> (u16, Value) {
    let crm = id_of(app, "SELECT id FROM applications WHERE name = 'Acme CRM'").await;
    let body = format!("principal={principal}&application={crm}&name=Assistant&until={until}");
    app.json(admin, "/api/principals/tokens/create", &body)
        .await
}

async fn get(app: &TestApp, token: &str, path: &str) -> u16 {
    client()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[sqlx::test(migrations = "../migrations")]
async fn an_agents_token_speaks_for_it_alone_and_stops_with_it(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let (role, acme) = (viewer_role(&app).await, acme(&app).await);
    let agent = newcomer(&app, "crm.assistant", true).await;
    let person = newcomer(&app, "dana.person", false).await;
    grant(&app, &admin, (agent, role, Some(acme)), "").await;

    // The end date is required and capped; a person gets no token.
    for (who, until, field, words) in [
        (agent, String::new(), "until", "needs an end date"),
        (agent, day(91), "until", "at most 90 days"),
        (person, day(30), "principal", "a person signs in"),
    ] {
        let (status, refused) = make(&app, &admin, who, &until).await;
        assert_eq!(status, 422, "{refused}");
        assert_eq!(refused["Invalid"]["field"], field, "{refused}");
        let message = refused["Invalid"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{message}");
    }
    let (status, made) = make(&app, &admin, agent, &day(30)).await;
    assert_eq!(status, 200, "{made}");
    let token = made["token"].as_str().unwrap().to_string();
    let (status, listed) = app
        .json(
            &admin,
            "/api/principals/tokens",
            &format!("principal={agent}"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(listed["tokens"][0]["principal"], "crm.assistant");
    assert_eq!(listed["max_days"], 90);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'token.created' AND after->>'principal_id' = $1",
    )
    .bind(agent.to_string())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // About itself it is answered; about anyone else, not even whether they exist.
    let decide = |checks: Value| {
        let (app, token) = (&app, token.clone());
        async move {
            post_batch(
                app,
                "/api/v1/decisions",
                Some(&token),
                &json!({ "checks": checks }),
            )
            .await
        }
    };
    let (status, answer) = decide(json!([
        check("crm.assistant", "contacts.view", "Acme Retail", "EU"),
        check("dana.person", "contacts.view", "Acme Retail", "EU"),
        check("nobody.at.all", "contacts.view", "Acme Retail", "EU"),
        {"principal": agent, "permission": "contacts.view", "account": "Acme Retail", "on_behalf_of": "dana.person"},
    ]))
    .await;
    assert_eq!(status, 200, "{answer}");
    let d = answer["decisions"].as_array().unwrap();
    assert_eq!(d[0]["allowed"], true, "{}", d[0]);
    assert_eq!(d[1]["error"], d[2]["error"]);
    assert!(d[1]["error"]
        .as_str()
        .unwrap()
        .contains("its own principal"));
    assert_eq!(
        d[3]["allowed"], false,
        "the person it acts for holds nothing"
    );
    // Of the person it acts for, it learns only whether they may: not who they are,
    // their grants, nor whether they exist.
    let acting = |d: &Value| d["reasons"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(acting(&d[3])["reasons"], json!([]), "{}", d[3]);
    assert_eq!(acting(&d[3])["principal"], Uuid::nil().to_string());
    let (_, unknown) = decide(json!([
        {"principal": agent, "permission": "contacts.view", "account": "Acme Retail", "on_behalf_of": "nobody.at.all"},
    ]))
    .await;
    assert_eq!(acting(&unknown["decisions"][0]), acting(&d[3]));
    assert_eq!(
        get(
            &app,
            &token,
            &format!("/api/v1/principals/{agent}/permissions")
        )
        .await,
        200
    );
    assert_eq!(
        get(
            &app,
            &token,
            &format!("/api/v1/principals/{person}/permissions")
        )
        .await,
        403
    );
    assert_eq!(
        get(&app, &token, "/api/v1/principals/nobody/permissions").await,
        403
    );
    assert_eq!(
        get(&app, &token, "/api/v1/permissions/contacts.view/holders").await,
        403
    );
    let crm = crm_token(&app).await;
    assert_eq!(
        get(&app, &crm, "/api/v1/principals/a%00b/permissions").await,
        422
    );
    let (status, _) = post_batch(
        &app,
        "/api/v1/activity",
        Some(&token),
        &json!({"events": []}),
    )
    .await;
    assert_eq!(
        status, 403,
        "an agent's token reports no activity for the application"
    );

    // It asks for access for itself; an application's token cannot.
    let role_name: String = sqlx::query_scalar("SELECT name FROM roles WHERE id = $1")
        .bind(role)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let ask = json!({"bundle": role_name, "account": "Evergreen Foods", "duration": "7",
                     "justification": "Answers Evergreen's customers from next week"});
    let (status, asked) = post_batch(&app, "/api/v1/requests", Some(&token), &ask).await;
    assert_eq!(status, 201, "{asked}");
    let (requester, principal, state): (Uuid, Uuid, String) = sqlx::query_as(
        "SELECT requester_id, principal_id, status::text FROM access_requests WHERE id = $1",
    )
    .bind(Uuid::parse_str(asked["request"].as_str().unwrap()).unwrap())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (requester, principal, state.as_str()),
        (agent, agent, "pending")
    );
    // Its owner may not approve it alone, nor give it access directly: another
    // approver must.
    sqlx::query(
        "UPDATE principals SET owner_id = (SELECT id FROM principals WHERE email = 'admin@northwind.example') \
         WHERE id = $1",
    )
    .bind(agent)
    .execute(&app.pool)
    .await
    .unwrap();
    let evergreen = id_of(
        &app,
        "SELECT id FROM accounts WHERE name = 'Evergreen Foods'",
    )
    .await;
    let direct = format!(
        "principal={agent}&bundle={role}&account={evergreen}&reason=Answers+customers+of+this+client&conditions="
    );
    let (status, refused) = app.json(&admin, "/api/grants/create", &direct).await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["Invalid"]["message"]
            .as_str()
            .unwrap()
            .contains("they own"),
        "{refused}"
    );
    let (status, refused) = crate::requests::decide(
        &app,
        &admin,
        Uuid::parse_str(asked["request"].as_str().unwrap()).unwrap(),
        true,
        "",
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    let (status, _) = post_batch(
        &app,
        "/api/v1/requests",
        Some(&token),
        &json!({"bundle": "No Such Role", "justification": "Answers customers of Evergreen"}),
    )
    .await;
    assert_eq!(status, 422);
    // Ten of its requests waiting are as many as it may have.
    sqlx::query(
        "INSERT INTO access_requests \
         SELECT (jsonb_populate_record(NULL::access_requests, \
                 to_jsonb(r) || jsonb_build_object('id', gen_random_uuid()))).* \
         FROM access_requests r, generate_series(1, $2) WHERE r.id = $1",
    )
    .bind(Uuid::parse_str(asked["request"].as_str().unwrap()).unwrap())
    .bind(rules::principals::non_human::MOST_WAITING_REQUESTS as i32 - 1)
    .execute(&app.pool)
    .await
    .unwrap();
    let (status, refused) = post_batch(&app, "/api/v1/requests", Some(&token), &ask).await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("already wait"),
        "{refused}"
    );
    let (status, _) = post_batch(&app, "/api/v1/requests", Some(&crm), &ask).await;
    assert_eq!(status, 403);

    // Suspended, its token stops at once; active again, it works until revoked.
    let status_body = |s: &str| format!("principal={agent}&status={s}&reason=Paused+for+a+review");
    let (status, _) = app
        .json(&admin, "/api/principals/status", &status_body("suspended"))
        .await;
    assert_eq!(status, 200);
    let one = json!([check("crm.assistant", "contacts.view", "Acme Retail", "EU")]);
    assert_eq!(decide(one.clone()).await.0, 401);
    let (status, _) = app
        .json(&admin, "/api/principals/status", &status_body("active"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(decide(one.clone()).await.0, 200);
    let id = made["id"].as_str().unwrap();
    let (status, _) = app
        .json(
            &admin,
            "/api/principals/tokens/revoke",
            &format!("principal={person}&token={id}"),
        )
        .await;
    assert_eq!(
        status, 404,
        "a token is revoked through its own principal only"
    );
    let (status, _) = app
        .json(
            &admin,
            "/api/principals/tokens/revoke",
            &format!("principal={agent}&token={id}"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(decide(one).await.0, 401);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_agent_never_decides_whatever_console_role_it_holds(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let approver = app.demo_client("ben.bauer@northwind.example").await;
    // Refused before the request is looked at: any id will do.
    let request = Uuid::new_v4();
    let (status, _) = app.json(&approver, "/api/approvals/queue", "").await;
    assert_eq!(status, 200);
    let decide = format!("request={request}&approve=true&comment=");
    let (status, _) = app.json(&approver, "/api/approvals/decide", &decide).await;
    assert_eq!(
        status, 404,
        "a person is let through to look the request up"
    );
    sqlx::query(
        "UPDATE principals SET kind = 'ai_agent', employment_type = NULL, \
                owner_id = (SELECT id FROM principals WHERE email = 'admin@northwind.example') \
         WHERE email = 'ben.bauer@northwind.example'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let (status, _) = app.json(&approver, "/api/approvals/queue", "").await;
    assert_eq!(status, 200, "it may still look");
    for (path, body) in [
        (
            "/api/approvals/decide",
            format!("request={request}&approve=true&comment="),
        ),
        (
            "/api/approvals/decide-many",
            format!("requests[0]={request}&approve=true"),
        ),
        (
            "/api/reviews/decide",
            format!("campaign={request}&grants[0]={request}&decision=keep&reason="),
        ),
    ] {
        let (status, answer) = app.json(&approver, path, &body).await;
        assert_eq!(status, 403, "{path}: {answer}");
    }
}

//! Access reviews: a campaign freezes its scope, reviewers decide only their own items,
//! and closing applies every revoke (and the rule for undecided items) in one
//! transaction with audit events.

use serde_json::Value;
use uuid::Uuid;

use crate::common::{spawn_demo, TestApp};
use crate::requests::id_of;

async fn in_force(app: &TestApp, grants: &[Uuid]) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM grants WHERE id = ANY($1) AND revoked_at IS NULL \
           AND (valid_until IS NULL OR valid_until > now())",
    )
    .bind(grants)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn items_of(app: &TestApp, campaign: Uuid) -> Vec<(Uuid, Uuid, Uuid)> {
    sqlx::query_as(
        "SELECT grant_id, principal_id, reviewer_id FROM review_items WHERE campaign_id = $1 ORDER BY grant_id",
    )
    .bind(campaign)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

fn decide_body(campaign: Uuid, decision: &str, reason: &str, grants: &[Uuid]) -> String {
    let mut body = format!(
        "campaign={campaign}&decision={decision}&reason={}",
        reason.replace(' ', "+")
    );
    for (i, g) in grants.iter().enumerate() {
        body.push_str(&format!("&grants[{i}]={g}"));
    }
    body
}

#[sqlx::test(migrations = "../migrations")]
async fn a_campaign_is_frozen_decided_and_closed_in_one_go(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let approver = app.demo_client("approver@northwind.example").await;
    let member = app.demo_client("member@northwind.example").await;
    let admin_id = id_of(
        &app,
        "SELECT id FROM principals WHERE email = 'admin@northwind.example'",
    )
    .await;
    let approver_id = id_of(
        &app,
        "SELECT id FROM principals WHERE email = 'approver@northwind.example'",
    )
    .await;
    let crm = id_of(&app, "SELECT id FROM applications WHERE name = 'Acme CRM'").await;
    let due = (chrono::Utc::now().date_naive() + chrono::Duration::days(7)).to_string();

    // Members may not start campaigns; bad input is named.
    let start = |name: &str, undecided: &str| {
        format!(
            "name={name}&application={crm}&reviewers[0]={admin_id}&reviewers[1]={approver_id}\
             &due_on={due}&undecided={undecided}"
        )
    };
    let (status, _) = app
        .json(&member, "/api/reviews/create", &start("Sneaky", "keep"))
        .await;
    assert_eq!(status, 403);
    let (status, error) = app
        .json(&admin, "/api/reviews/create", &start("Bad", "maybe"))
        .await;
    assert_eq!(status, 422, "{error}");

    let (status, made) = app
        .json(
            &admin,
            "/api/reviews/create",
            &start("Q4+CRM+review", "revoke"),
        )
        .await;
    assert_eq!(status, 200, "{made}");
    let campaign = Uuid::parse_str(made["id"].as_str().unwrap()).unwrap();
    let items = items_of(&app, campaign).await;
    assert_eq!(made["items"].as_i64().unwrap() as usize, items.len());
    let crm_grants: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM grants g LEFT JOIN roles r ON r.id = g.role_id \
         LEFT JOIN permission_sets ps ON ps.id = g.permission_set_id \
         JOIN principals p ON p.id = g.principal_id \
         WHERE coalesce(r.application_id, ps.application_id) = $1 AND g.revoked_at IS NULL \
           AND g.valid_from <= now() AND (g.valid_until IS NULL OR g.valid_until > now()) AND p.status <> 'offboarded'",
    )
    .bind(crm)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        items.len() as i64,
        crm_grants,
        "every CRM grant in force is an item"
    );
    assert!(
        items.iter().all(|(_, who, reviewer)| who != reviewer),
        "nobody reviews their own grants"
    );
    assert!(items
        .iter()
        .all(|(_, _, r)| *r == admin_id || *r == approver_id));

    // The campaign is frozen: a grant made afterwards is not in it.
    sqlx::query(
        "INSERT INTO grants (org_id, id, principal_id, role_id, reason) \
         SELECT r.org_id, gen_random_uuid(), p.id, r.id, 'Made after the campaign started' \
         FROM roles r, principals p WHERE r.application_id = $1 AND p.email = 'member@northwind.example' LIMIT 1",
    )
    .bind(crm)
    .execute(&app.pool)
    .await
    .unwrap();
    let (_, again) = app
        .json(
            &admin,
            "/api/reviews/detail",
            &format!("campaign={campaign}"),
        )
        .await;
    assert_eq!(
        again["campaign"]["items"].as_i64().unwrap() as usize,
        items.len()
    );

    let mine: Vec<Uuid> = items
        .iter()
        .filter(|i| i.2 == approver_id)
        .map(|i| i.0)
        .collect();
    let theirs: Vec<Uuid> = items
        .iter()
        .filter(|i| i.2 == admin_id)
        .map(|i| i.0)
        .collect();
    assert!(
        mine.len() >= 2 && !theirs.is_empty(),
        "both reviewers have items"
    );

    // A reviewer decides only their own items; a revoke needs a reason; all or nothing.
    let (status, _) = app
        .json(
            &approver,
            "/api/reviews/decide",
            &decide_body(campaign, "revoke", "short", &mine[..1]),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .json(
            &approver,
            "/api/reviews/decide",
            &decide_body(campaign, "keep", "", &[mine[0], theirs[0]]),
        )
        .await;
    assert_eq!(status, 409);
    let decided: i64 =
        sqlx::query_scalar("SELECT count(decision) FROM review_items WHERE campaign_id = $1")
            .bind(campaign)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(decided, 0, "a refused bulk decision records nothing");
    let (status, n) = app
        .json(
            &approver,
            "/api/reviews/decide",
            &decide_body(campaign, "keep", "", &mine[..1]),
        )
        .await;
    assert_eq!((status, n), (200, Value::from(1)));
    let (status, n) = app
        .json(
            &approver,
            "/api/reviews/decide",
            &decide_body(campaign, "revoke", "No longer on this client", &mine[1..2]),
        )
        .await;
    assert_eq!((status, n), (200, Value::from(1)));

    // The approver sees only their items and cannot close.
    let (_, detail) = app
        .json(
            &approver,
            "/api/reviews/detail",
            &format!("campaign={campaign}"),
        )
        .await;
    assert_eq!(detail["mine_only"], true);
    assert!(detail["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["reviewer_id"] == approver_id.to_string()));
    let (status, _) = app
        .json(
            &approver,
            "/api/reviews/close",
            &format!("campaign={campaign}"),
        )
        .await;
    assert_eq!(status, 403);

    // Closing: the kept item stays, the revoked one goes, undecided ones follow the
    // campaign's rule (revoke), and one revoked meanwhile is reported gone.
    let gone = theirs[0];
    sqlx::query(
        "UPDATE grants SET revoked_at = now(), revoke_reason = 'Ended elsewhere' WHERE id = $1",
    )
    .bind(gone)
    .execute(&app.pool)
    .await
    .unwrap();
    let all: Vec<Uuid> = items.iter().map(|i| i.0).collect();
    let (status, closed) = app
        .json(
            &admin,
            "/api/reviews/close",
            &format!("campaign={campaign}"),
        )
        .await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["kept"], 1);
    assert_eq!(closed["gone"], 1);
    assert_eq!(
        closed["revoked"].as_i64().unwrap() as usize,
        items.len() - 2
    );
    assert_eq!(in_force(&app, &all).await, 1);
    assert_eq!(in_force(&app, &mine[..1]).await, 1);
    let revoked_events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'grant.revoked' AND reason LIKE 'Access review “Q4 CRM review”%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(revoked_events as usize, items.len() - 2);
    let reason: String = sqlx::query_scalar("SELECT revoke_reason FROM grants WHERE id = $1")
        .bind(mine[1])
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(reason.ends_with("No longer on this client"), "{reason}");

    // Closed is final, and the summary stays.
    let (status, _) = app
        .json(
            &admin,
            "/api/reviews/close",
            &format!("campaign={campaign}"),
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = app
        .json(
            &approver,
            "/api/reviews/decide",
            &decide_body(campaign, "keep", "", &mine[..1]),
        )
        .await;
    assert_eq!(status, 409);
    let (_, summary) = app.json(&admin, "/api/reviews/overview", "").await;
    let row = summary["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == campaign.to_string())
        .unwrap()
        .clone();
    assert!(row["closed_at"].is_string());
    // A page at a time (movers' and packages' reviews add up): the open first, then the
    // most recently closed, every campaign on exactly one page.
    sqlx::query(
        "INSERT INTO review_campaigns (org_id, id, name, scope, reviewer_rule, due_on, undecided, closed_at) \
         SELECT id, gen_random_uuid(), 'Old review ' || n, '{}', 'managers', current_date - n, 'keep', \
                now() - n * interval '1 day' \
         FROM organisations, generate_series(1, 60) n WHERE name = 'Northwind Agency'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM review_campaigns")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let mut seen = vec![];
    for page in 0.. {
        let (status, listed) = app
            .json(&admin, "/api/reviews/overview", &format!("page={page}"))
            .await;
        assert_eq!(status, 200, "{listed}");
        let rows = listed["campaigns"].as_array().unwrap();
        assert!(rows.len() <= 50);
        seen.extend(
            rows.iter()
                .map(|c| (c["id"].clone(), c["closed_at"].clone())),
        );
        if listed["has_next"] == false {
            break;
        }
        assert_eq!(rows.len(), 50);
    }
    assert_eq!(seen.len() as i64, total);
    let first_closed = seen
        .iter()
        .position(|(_, closed)| closed.is_string())
        .unwrap();
    assert!(seen[first_closed..]
        .iter()
        .all(|(_, closed)| closed.is_string()));
    assert_eq!(
        seen[first_closed].0,
        campaign.to_string(),
        "closed just now"
    );
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT action FROM audit_events WHERE action LIKE 'review.%' ORDER BY 1",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        ["review.closed", "review.decided", "review.started"]
    );
    app.assert_review_tallies_hold().await;

    // A member with nothing to review sees no campaign.
    let (status, none) = app.json(&member, "/api/reviews/overview", "").await;
    assert_eq!(status, 200);
    assert_eq!(none["campaigns"].as_array().unwrap().len(), 0);
    let (status, _) = app
        .json(
            &member,
            "/api/reviews/detail",
            &format!("campaign={campaign}"),
        )
        .await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_failed_close_revokes_nothing(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let agent = id_of(
        &app,
        "SELECT id FROM principals WHERE external_id = 'agent:lead-scoring'",
    )
    .await;
    let (status, outcome) = app
        .json(
            &admin,
            "/api/reports/act",
            &format!("action=review&reason=Dormant+agents+to+look+at&principals[0]={agent}"),
        )
        .await;
    assert_eq!(status, 200, "{outcome}");
    let campaign = Uuid::parse_str(outcome["campaign"].as_str().unwrap()).unwrap();
    let grants: Vec<Uuid> = items_of(&app, campaign).await.iter().map(|i| i.0).collect();
    assert!(!grants.is_empty());
    assert_eq!(outcome["done"].as_i64().unwrap() as usize, grants.len());
    let owner: Uuid = sqlx::query_scalar("SELECT owner_id FROM principals WHERE id = $1")
        .bind(agent)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let reviewers: Vec<Uuid> = items_of(&app, campaign).await.iter().map(|i| i.2).collect();
    assert!(
        reviewers.iter().all(|r| *r == owner),
        "an agent's grants go to its owner"
    );

    // Make every item a revoke, then break one revocation: nothing may be half-applied.
    sqlx::query("UPDATE review_campaigns SET undecided = 'revoke' WHERE id = $1")
        .bind(campaign)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query(
        "CREATE FUNCTION refuse_revoke() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN IF NEW.revoked_at IS NOT NULL AND NEW.id = (SELECT max(grant_id::text)::uuid FROM review_items) \
            THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query("CREATE TRIGGER refuse_revoke BEFORE UPDATE ON grants FOR EACH ROW EXECUTE FUNCTION refuse_revoke()")
        .execute(&app.pool)
        .await
        .unwrap();
    let (status, _) = app
        .json(
            &admin,
            "/api/reviews/close",
            &format!("campaign={campaign}"),
        )
        .await;
    assert_eq!(status, 500);
    assert_eq!(
        in_force(&app, &grants).await as usize,
        grants.len(),
        "no grant was revoked"
    );
    let closed: bool =
        sqlx::query_scalar("SELECT closed_at IS NOT NULL FROM review_campaigns WHERE id = $1")
            .bind(campaign)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(!closed);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_campaign_may_be_scoped_to_roles_and_several_accounts(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    // The two roles and two accounts holding the most grants in force on one account.
    let busiest: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT role_id, account_id FROM grants WHERE role_id IS NOT NULL AND account_id IS NOT NULL \
           AND revoked_at IS NULL AND (valid_until IS NULL OR valid_until > now()) \
         GROUP BY role_id, account_id ORDER BY count(*) DESC, role_id, account_id LIMIT 2",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let (roles, accounts): (Vec<Uuid>, Vec<Uuid>) = busiest.into_iter().unzip();
    let due = (chrono::Utc::now().date_naive() + chrono::Duration::days(7)).to_string();
    let mut body = format!("name=Scoped&due_on={due}&undecided=keep");
    for (i, r) in roles.iter().enumerate() {
        body.push_str(&format!("&roles[{i}]={r}"));
    }
    for (i, a) in accounts.iter().enumerate() {
        body.push_str(&format!("&accounts[{i}]={a}"));
    }
    let (status, made) = app.json(&admin, "/api/reviews/create", &body).await;
    assert_eq!(status, 200, "{made}");
    let expected: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM grants g JOIN principals p ON p.id = g.principal_id \
         WHERE g.role_id = ANY($1) AND (g.account_id = ANY($2) OR g.account_id IS NULL) \
           AND g.revoked_at IS NULL AND g.valid_from <= now() AND (g.valid_until IS NULL OR g.valid_until > now()) \
           AND p.status <> 'offboarded'",
    )
    .bind(&roles)
    .bind(&accounts)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(made["items"], expected);
    let campaign = Uuid::parse_str(made["id"].as_str().unwrap()).unwrap();
    let outside: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM review_items i JOIN grants g ON g.id = i.grant_id \
         WHERE i.campaign_id = $1 AND (g.role_id IS NULL OR NOT g.role_id = ANY($2) \
           OR (g.account_id IS NOT NULL AND NOT g.account_id = ANY($3)))",
    )
    .bind(campaign)
    .bind(&roles)
    .bind(&accounts)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        outside, 0,
        "every item is within the chosen roles and accounts"
    );
    let (_, detail) = app
        .json(
            &admin,
            "/api/reviews/detail",
            &format!("campaign={campaign}"),
        )
        .await;
    let scope = detail["scope"].as_str().unwrap();
    assert!(
        scope.contains("accounts ") && scope.contains("roles "),
        "{scope}"
    );
}

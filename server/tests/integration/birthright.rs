//! Birthright rules: a person created over SCIM gets what the rules give; a mover gains
//! the new department's access at once while the old one waits in a review their
//! manager sees; the round revokes what nobody kept; a past end date lets them go.
//! And what an admin may not make a rule do.

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::common::{spawn_demo, TestApp};
use crate::scim::{agent_of, day, owner_and_status, Idp, ENTERPRISE, PATCH, USER};
use app::service::lifecycle;

const EXTENSION: &str = "urn:gatehouse:params:scim:schemas:extension:2.0:User";

/// Roles a rule may give: outside the console, no end required, nothing high-impact.
async fn givable_roles(app: &TestApp) -> Vec<(Uuid, String)> {
    sqlx::query_as(
        "SELECT r.id, r.name FROM roles r JOIN applications a ON a.org_id = r.org_id AND a.id = r.application_id \
         WHERE NOT a.is_console AND a.allow_no_end \
           AND EXISTS (SELECT 1 FROM role_permissions rp WHERE rp.role_id = r.id) \
           AND NOT EXISTS (SELECT 1 FROM role_permissions rp JOIN permissions p ON p.org_id = rp.org_id AND p.id = rp.permission_id \
                           WHERE rp.role_id = r.id AND p.high_impact) \
         ORDER BY a.name, r.name LIMIT 2",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

fn rule_body(name: &str, criteria: &str, bundle: Uuid, until_end_date: bool) -> String {
    let mut body = serde_urlencoded::to_string([
        ("rule[name]", name),
        ("rule[criteria]", criteria),
        ("rule[bundle]", &bundle.to_string()),
        ("rule[account]", ""),
    ])
    .unwrap();
    if until_end_date {
        body.push_str("&rule[until_end_date]=true");
    }
    body
}

/// A rule made by `admin` (who may): `name` gives `role` to those `criteria` matches.
async fn made_rule(
    app: &TestApp,
    admin: &reqwest::Client,
    (name, criteria): (&str, &str),
    role: Uuid,
) {
    let (status, run) = app
        .json(
            admin,
            "/api/lifecycle/birthright-create",
            &rule_body(name, criteria, role, false),
        )
        .await;
    assert_eq!(status, 200, "{run}");
}

async fn person_id(app: &TestApp, email: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM principals WHERE email = $1")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// The person's grants in force: (grant, role, rule it came from).
async fn in_force(app: &TestApp, person: &str) -> Vec<(Uuid, String, Option<String>)> {
    sqlx::query_as(
        "SELECT g.id, r.name, b.name FROM grants g JOIN roles r ON r.id = g.role_id \
         LEFT JOIN birthright_rules b ON b.org_id = g.org_id AND b.id = g.birthright_rule_id \
         WHERE g.principal_id = $1::uuid AND g.revoked_at IS NULL \
           AND (g.valid_until IS NULL OR g.valid_until > now()) ORDER BY r.name",
    )
    .bind(person)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

/// The open movers' reviews of a person: (campaign, due, reviewer, grants asked about).
async fn mover_reviews(
    app: &TestApp,
    person: &str,
) -> Vec<(Uuid, chrono::NaiveDate, Uuid, Vec<Uuid>)> {
    sqlx::query_as(
        "SELECT c.id, c.due_on, min(i.reviewer_id::text)::uuid, array_agg(i.grant_id ORDER BY i.grant_id) \
         FROM review_campaigns c JOIN review_items i ON i.org_id = c.org_id AND i.campaign_id = c.id \
         WHERE c.mover_id = $1::uuid AND c.closed_at IS NULL GROUP BY c.id, c.due_on",
    )
    .bind(person)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

fn department(value: &str) -> Value {
    json!({
        "schemas": [PATCH],
        "Operations": [{ "op": "replace", "path": format!("{ENTERPRISE}:department"), "value": value }]
    })
}

#[sqlx::test(migrations = "../migrations")]
async fn access_follows_a_person_in_across_and_out(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let idp = Idp::new(&app).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let roles = givable_roles(&app).await;
    let [(crm, crm_name), (desk, desk_name)] = [roles[0].clone(), roles[1].clone()];
    for (name, criteria, role) in [
        ("Sales: CRM", "department = Sales", crm),
        ("Support: desk", "department = support", desk),
    ] {
        made_rule(&app, &admin, (name, criteria), role).await;
    }
    let manager = person_id(&app, "approver@northwind.example").await;

    // A joiner in Sales gets the CRM role, from the rule, attributed to the token.
    let (status, ada) = idp
        .call(
            Method::POST,
            "/Users",
            Some(json!({
                "schemas": [USER, ENTERPRISE],
                "userName": "ada@northwind.example",
                "emails": [{ "value": "ada@northwind.example", "primary": true }],
                "active": true,
                ENTERPRISE: { "department": "Sales", "manager": { "value": manager } }
            })),
        )
        .await;
    assert_eq!(status, 201, "{ada}");
    let ada = ada["id"].as_str().unwrap().to_string();
    let held = in_force(&app, &ada).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(
        (held[0].1.as_str(), held[0].2.as_deref()),
        (crm_name.as_str(), Some("Sales: CRM"))
    );
    let crm_grant = held[0].0;
    let by: String = sqlx::query_scalar(
        "SELECT actor_label FROM audit_events WHERE action = 'grant.created' AND target_id = $1",
    )
    .bind(crm_grant.to_string())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(by.starts_with("provisioning token"), "{by}");
    // The principal's page says where it came from.
    let (status, detail) = app
        .json(
            &admin,
            "/api/principals/detail",
            &format!("principal={ada}"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(detail["current_grants"][0]["birthright_rule"], "Sales: CRM");

    // She moves to Support: the desk role at once; the CRM role waits for her manager.
    let (status, moved) = idp
        .call(
            Method::PATCH,
            &format!("/Users/{ada}"),
            Some(department("Support")),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    let held = in_force(&app, &ada).await;
    let names: Vec<&str> = held.iter().map(|h| h.1.as_str()).collect();
    let mut want = vec![crm_name.as_str(), desk_name.as_str()];
    want.sort();
    assert_eq!(names, want);
    let reviews = mover_reviews(&app, &ada).await;
    assert_eq!(reviews.len(), 1);
    let (campaign, due, reviewer, grants) = reviews[0].clone();
    assert_eq!(due, Utc::now().date_naive() + Duration::days(7));
    assert_eq!(reviewer, manager);
    assert_eq!(grants, vec![crm_grant]);
    let (status, detail) = app
        .json(
            &admin,
            "/api/principals/detail",
            &format!("principal={ada}"),
        )
        .await;
    assert_eq!(status, 200);
    let crm_row = detail["current_grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == crm_grant.to_string())
        .unwrap();
    assert_eq!(crm_row["removal_due"], due.to_string());
    // The manager sees the question.
    let approver = app.demo_client("approver@northwind.example").await;
    let (status, review) = app
        .json(
            &approver,
            "/api/reviews/detail",
            &format!("campaign={campaign}&mine=true"),
        )
        .await;
    assert_eq!(status, 200, "{review}");
    assert!(review.to_string().contains(&crm_name), "{review}");
    // Nothing happens before the grace period ends; then what nobody kept goes.
    let early = lifecycle::run(&app.pool, Utc::now()).await.unwrap();
    assert_eq!(early.reviews_closed, 0);
    let round = lifecycle::run(&app.pool, Utc::now() + Duration::days(8))
        .await
        .unwrap();
    assert_eq!((round.reviews_closed, round.grants_revoked), (1, 1));
    let held = in_force(&app, &ada).await;
    assert_eq!(
        held.iter().map(|h| h.1.as_str()).collect::<Vec<_>>(),
        vec![desk_name.as_str()]
    );
    let desk_grant = held[0].0;

    // Back to Sales: CRM again at once; this time the manager keeps the desk role.
    let (status, _) = idp
        .call(
            Method::PATCH,
            &format!("/Users/{ada}"),
            Some(department("Sales")),
        )
        .await;
    assert_eq!(status, 200);
    let reviews = mover_reviews(&app, &ada).await;
    assert_eq!(reviews.len(), 1);
    let (campaign, _, _, grants) = reviews[0].clone();
    assert_eq!(grants, vec![desk_grant]);
    let (status, decided) = app
        .json(
            &approver,
            "/api/reviews/decide",
            &format!("campaign={campaign}&decision=keep&reason=&grants[0]={desk_grant}"),
        )
        .await;
    assert_eq!(status, 200, "{decided}");
    lifecycle::run(&app.pool, Utc::now() + Duration::days(8))
        .await
        .unwrap();
    let held = in_force(&app, &ada).await;
    assert_eq!(held.len(), 2, "{held:?}");
    let kept = held.iter().find(|h| h.0 == desk_grant).unwrap();
    assert_eq!(kept.2, None, "kept access no longer comes from a rule");

    // Moving again and straight back asks nothing: the access is justified again.
    idp.call(
        Method::PATCH,
        &format!("/Users/{ada}"),
        Some(department("Finance")),
    )
    .await;
    assert_eq!(mover_reviews(&app, &ada).await.len(), 1);
    idp.call(
        Method::PATCH,
        &format!("/Users/{ada}"),
        Some(department("Sales")),
    )
    .await;
    assert!(mover_reviews(&app, &ada).await.is_empty());
    // Its item was taken out of the review, and out of the manager's figures.
    app.assert_review_tallies_hold().await;
    let emptied: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM review_tallies t JOIN review_campaigns c \
           ON c.org_id = t.org_id AND c.id = t.campaign_id \
         WHERE c.mover_id = $1::uuid AND t.items = 0",
    )
    .bind(&ada)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(emptied, 1);
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM review_campaigns WHERE mover_id = $1::uuid AND closed_at IS NULL",
    )
    .bind(&ada)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(open, 0, "a review with nothing left to ask is closed");

    // Her end date passes: the round lets her go as a deactivation would.
    let assistant = agent_of(&app, &ada, "Ada's assistant").await;
    let (status, _) = idp
        .call(
            Method::PATCH,
            &format!("/Users/{ada}"),
            Some(json!({
                "schemas": [PATCH],
                "Operations": [{ "op": "replace", "path": format!("{EXTENSION}:endDate"), "value": day(1) }]
            })),
        )
        .await;
    assert_eq!(status, 200);
    let round = lifecycle::run(&app.pool, Utc::now() + Duration::days(3))
        .await
        .unwrap();
    assert_eq!(round.leavers, 1);
    assert!(in_force(&app, &ada).await.is_empty());
    assert_eq!(
        owner_and_status(&app, assistant).await,
        (Some(manager), "active".into())
    );
    let status: String =
        sqlx::query_scalar("SELECT status::text FROM principals WHERE id = $1::uuid")
            .bind(&ada)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(status, "suspended");
    // A replacement that leaves `active` out does not bring her back.
    let (status, put) = idp
        .call(
            Method::PUT,
            &format!("/Users/{ada}"),
            Some(
                json!({ "schemas": [USER, ENTERPRISE], "userName": "ada@northwind.example",
                         ENTERPRISE: { "department": "Sales" } }),
            ),
        )
        .await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(put["active"], false);
    assert!(in_force(&app, &ada).await.is_empty());
    // A second round finds nothing more to do.
    let again = lifecycle::run(&app.pool, Utc::now() + Duration::days(3))
        .await
        .unwrap();
    assert_eq!(again, lifecycle::LifecycleRound::default());
}

#[sqlx::test(migrations = "../migrations")]
async fn rules_cannot_give_what_needs_approval_nor_give_their_maker_anything(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let idp = Idp::new(&app).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let roles = givable_roles(&app).await;
    let console_role: Uuid = sqlx::query_scalar(
        "SELECT r.id FROM roles r JOIN applications a ON a.id = r.application_id WHERE a.is_console LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let rules = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM birthright_rules")
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    let refused = |answer: (u16, Value), field: &str, says: &str| {
        assert_eq!(answer.0, 422, "{}", answer.1);
        let text = answer.1.to_string();
        assert!(text.contains(field) && text.contains(says), "{text}");
    };
    let create = |body: String| {
        let admin = admin.clone();
        let app = &app;
        async move {
            app.json(&admin, "/api/lifecycle/birthright-create", &body)
                .await
        }
    };
    refused(
        create(rule_body(
            "Console",
            "department = Sales",
            console_role,
            false,
        ))
        .await,
        "bundle",
        "console role",
    );
    refused(
        create(rule_body("Bad", "department", roles[0].0, false)).await,
        "criteria",
        "attribute = value",
    );
    refused(
        create(rule_body("", "department = Sales", roles[0].0, false)).await,
        "name",
        "Name the rule",
    );
    refused(
        create(rule_body(
            "Typo",
            "employment_type = boss",
            roles[0].0,
            false,
        ))
        .await,
        "criteria",
        "not an employment type",
    );
    // The admin's own department, as the identity provider says it.
    let me = person_id(&app, "admin@northwind.example").await;
    let (status, _) = idp
        .call(
            Method::PATCH,
            &format!("/Users/{me}"),
            Some(department("Board")),
        )
        .await;
    assert_eq!(status, 200);
    refused(
        create(rule_body("Mine", "department = board", roles[0].0, false)).await,
        "criteria",
        "give you access too",
    );
    assert_eq!(rules().await, 0, "nothing saved");
    // Someone without the right to grant cannot make or retire one.
    let member = app.demo_client("member@northwind.example").await;
    let (status, _) = app
        .json(
            &member,
            "/api/lifecycle/birthright-create",
            &rule_body("Sneaky", "department = Sales", roles[0].0, false),
        )
        .await;
    assert_eq!(status, 403);
    let (status, made) = create(rule_body(
        "Sales: CRM",
        "department = Sales",
        roles[0].0,
        false,
    ))
    .await;
    assert_eq!(status, 200, "{made}");
    // The token the admin made moves them into Sales: their record follows, but they get
    // nothing from it, and the trail says what was withheld.
    let (status, moved) = idp
        .call(
            Method::PATCH,
            &format!("/Users/{me}"),
            Some(department("Sales")),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved[ENTERPRISE]["department"], "Sales");
    let mine = in_force(&app, &me.to_string()).await;
    assert!(mine.iter().all(|g| g.2.is_none()), "{mine:?}");
    let withheld: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'birthright.withheld' AND target_id = $1",
    )
    .bind(me.to_string())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(withheld, 1);
    // Suspended by someone else, they cannot bring themselves back with it.
    let status_of_me = || async {
        sqlx::query_scalar::<_, String>("SELECT status::text FROM principals WHERE id = $1")
            .bind(me)
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    sqlx::query("UPDATE principals SET status = 'suspended' WHERE id = $1")
        .bind(me)
        .execute(&app.pool)
        .await
        .unwrap();
    let (status, answer) = idp
        .call(
            Method::PATCH,
            &format!("/Users/{me}"),
            Some(json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "path": "active", "value": true }] })),
        )
        .await;
    assert_eq!(status, 403, "{answer}");
    assert!(
        answer["detail"]
            .as_str()
            .unwrap()
            .contains("does not reactivate them"),
        "{answer}"
    );
    assert_eq!(status_of_me().await, "suspended");
    sqlx::query("UPDATE principals SET status = 'active' WHERE id = $1")
        .bind(me)
        .execute(&app.pool)
        .await
        .unwrap();
    refused(
        create(rule_body(
            "sales: crm",
            "department = Support",
            roles[0].0,
            false,
        ))
        .await,
        "name",
        "exists already",
    );
    let rule: Uuid = sqlx::query_scalar("SELECT id FROM birthright_rules")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (status, _) = app
        .json(
            &member,
            "/api/lifecycle/birthright-retire",
            &format!("rule={rule}"),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = app.json(&admin, "/api/lifecycle/grace", "days=91").await;
    assert_eq!(status, 422);
    let (status, _) = app.json(&admin, "/api/lifecycle/grace", "days=0").await;
    assert_eq!(status, 200);

    // A group gives access too; retiring the rule takes it away (no grace: at once).
    let (status, bob) = idp
        .call(
            Method::POST,
            "/Users",
            Some(
                json!({ "schemas": [USER], "userName": "bob@northwind.example", "active": true,
                         "emails": [{ "value": "bob@northwind.example" }] }),
            ),
        )
        .await;
    assert_eq!(status, 201, "{bob}");
    let bob = bob["id"].as_str().unwrap().to_string();
    let (status, _) = create(rule_body(
        "CRM users",
        "group = CRM users",
        roles[1].0,
        false,
    ))
    .await;
    assert_eq!(status, 200);
    assert!(in_force(&app, &bob).await.is_empty());
    let (status, group) = idp
        .call(
            Method::POST,
            "/Groups",
            Some(json!({ "schemas": [crate::scim::GROUP], "displayName": "CRM Users", "members": [{ "value": bob }] })),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let held = in_force(&app, &bob).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].2.as_deref(), Some("CRM users"));
    let group_rule: Uuid =
        sqlx::query_scalar("SELECT id FROM birthright_rules WHERE name = 'CRM users'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let (status, run) = app
        .json(
            &admin,
            "/api/lifecycle/birthright-retire",
            &format!("rule={group_rule}"),
        )
        .await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["revoked"], 1, "{run}");
    assert!(in_force(&app, &bob).await.is_empty());
    let (status, _) = app
        .json(
            &admin,
            "/api/lifecycle/birthright-retire",
            &format!("rule={group_rule}"),
        )
        .await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_separation_of_duties_rule_withholds_what_a_birthright_rule_would_give(
    pool: sqlx::PgPool,
) {
    let app = spawn_demo(pool).await;
    let idp = Idp::new(&app).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let roles = givable_roles(&app).await;
    let [(first, first_name), (second, _)] = [roles[0].clone(), roles[1].clone()];
    // The first role's permission must not go with the second role.
    let permission = crate::sod::permission_of(&app, first).await;
    let body = serde_urlencoded::to_string([
        ("name", "Not both desks".to_string()),
        ("description", "One desk each".to_string()),
        ("permission", permission.to_string()),
        ("conflicting", format!("role:{second}")),
        ("mode", "block".to_string()),
    ])
    .unwrap();
    let (status, made) = app.json(&admin, "/api/sod/create", &body).await;
    assert_eq!(status, 200, "{made}");
    // Two rules for the same department, the first made first (it takes precedence).
    for (name, role) in [("Field: first", first), ("Field: second", second)] {
        made_rule(&app, &admin, (name, "department = Field"), role).await;
    }
    let withheld = |person: String| {
        let app = &app;
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT after->>'sod_rule' FROM audit_events \
                 WHERE action = 'birthright.withheld' AND target_id = $1",
            )
            .bind(person)
            .fetch_all(&app.pool)
            .await
            .unwrap()
        }
    };

    // A joiner in the department gets the first role; the second is withheld, with the
    // separation-of-duties rule named in the trail.
    let joiner = provisioned(
        &idp,
        "Fay Field",
        json!({ "schemas": [USER, ENTERPRISE], ENTERPRISE: { "department": "Field" } }),
    )
    .await;
    let held = in_force(&app, &joiner).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].1, first_name);
    assert_eq!(held[0].2.as_deref(), Some("Field: first"));
    assert_eq!(withheld(joiner).await, ["Not both desks"]);

    // So does a mover into the department.
    let mover = provisioned(
        &idp,
        "Max Mover",
        json!({ "schemas": [USER, ENTERPRISE], ENTERPRISE: { "department": "Office" } }),
    )
    .await;
    assert!(in_force(&app, &mover).await.is_empty());
    let (status, moved) = idp
        .call(
            Method::PATCH,
            &format!("/Users/{mover}"),
            Some(department("Field")),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    let held = in_force(&app, &mover).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].1, first_name);
    assert_eq!(withheld(mover).await, ["Not both desks"]);
}

/// One PATCH can move a person and give them another manager: the new manager is the
/// one asked. A person deactivated and brought back gets their birthright again.
#[sqlx::test(migrations = "../migrations")]
async fn a_mover_is_asked_about_by_their_new_manager_and_someone_back_gets_their_birthright(
    pool: sqlx::PgPool,
) {
    let app = spawn_demo(pool).await;
    let idp = Idp::new(&app).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let (role, role_name) = givable_roles(&app).await[0].clone();
    made_rule(&app, &admin, ("Sales: CRM", "department = Sales"), role).await;
    let (before, after) = (
        person_id(&app, "approver@northwind.example").await,
        person_id(&app, "member@northwind.example").await,
    );
    let sam = provisioned(
        &idp,
        "Sam Seller",
        json!({ "schemas": [USER, ENTERPRISE],
                ENTERPRISE: { "department": "Sales", "manager": { "value": before } } }),
    )
    .await;
    let held = in_force(&app, &sam).await;
    assert_eq!(held.len(), 1, "{held:?}");
    let grant = held[0].0;

    // Moved out of Sales, under another manager, by one PATCH.
    let (status, moved) = idp
        .call(
            Method::PATCH,
            &format!("/Users/{sam}"),
            Some(json!({ "schemas": [PATCH], "Operations": [
                { "op": "replace", "path": format!("{ENTERPRISE}:department"), "value": "Support" },
                { "op": "replace", "path": format!("{ENTERPRISE}:manager"), "value": { "value": after } }
            ] })),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    let reviews = mover_reviews(&app, &sam).await;
    assert_eq!(reviews.len(), 1, "{reviews:?}");
    assert_eq!((reviews[0].2, reviews[0].3.clone()), (after, vec![grant]));

    // Deactivated, they lose it; back in Sales and active, the rule gives it again.
    let (status, _) = idp
        .call(Method::PATCH, &format!("/Users/{sam}"), Some(deactivate()))
        .await;
    assert_eq!(status, 200);
    assert!(in_force(&app, &sam).await.is_empty());
    let (status, back) = idp
        .call(
            Method::PATCH,
            &format!("/Users/{sam}"),
            Some(json!({ "schemas": [PATCH], "Operations": [
                { "op": "replace", "path": format!("{ENTERPRISE}:department"), "value": "Sales" },
                { "op": "replace", "path": "active", "value": true }
            ] })),
        )
        .await;
    assert_eq!(status, 200, "{back}");
    assert_eq!(back["active"], true);
    let held = in_force(&app, &sam).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(
        (held[0].1.as_str(), held[0].2.as_deref()),
        (role_name.as_str(), Some("Sales: CRM"))
    );
    assert_ne!(held[0].0, grant, "a new grant, not the revoked one");
}

/// A person created over SCIM; answers their id.
async fn provisioned(idp: &Idp<'_>, name: &str, extra: Value) -> String {
    let email = format!(
        "{}@northwind.example",
        name.to_lowercase().replace(' ', ".")
    );
    let mut user = json!({ "schemas": [USER, EXTENSION], "userName": email, "displayName": name,
                           "emails": [{ "value": email }], "active": true });
    if let (Some(user), Some(extra)) = (user.as_object_mut(), extra.as_object()) {
        user.extend(extra.clone());
    }
    let (status, made) = idp.call(Method::POST, "/Users", Some(user)).await;
    assert_eq!(status, 201, "{made}");
    made["id"].as_str().unwrap().to_string()
}

async fn status_of(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT status::text FROM principals WHERE id = $1::uuid")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

fn deactivate() -> Value {
    json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "path": "active", "value": false }] })
}

#[sqlx::test(migrations = "../migrations")]
async fn the_failsafe_holds_a_burst_of_leavers_for_an_admin(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let idp = Idp::new(&app).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let (status, _) = app
        .json(&admin, "/api/lifecycle/failsafe", "grants=0&principals=2")
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .json(&admin, "/api/lifecycle/failsafe", "grants=&principals=2")
        .await;
    assert_eq!(status, 200);
    let mut people = Vec::new();
    for name in ["Held One", "Held Two", "Held Three", "Held Four"] {
        people.push(provisioned(&idp, name, json!({})).await);
    }
    let held = || async {
        sqlx::query_as::<_, (String, Option<String>)>(
            "SELECT summary, decision FROM held_changes ORDER BY held_at",
        )
        .fetch_all(&app.pool)
        .await
        .unwrap()
    };
    // Two go through; the third would be the hour's third suspension: held, undone.
    for id in &people[..2] {
        let (status, _) = idp
            .call(Method::PATCH, &format!("/Users/{id}"), Some(deactivate()))
            .await;
        assert_eq!(status, 200);
    }
    for _ in 0..2 {
        let (status, answer) = idp
            .call(
                Method::PATCH,
                &format!("/Users/{}", people[2]),
                Some(deactivate()),
            )
            .await;
        assert_eq!(status, 409, "{answer}");
        assert!(
            answer["detail"]
                .as_str()
                .unwrap()
                .contains("over the failsafe's limit of 2"),
            "{answer}"
        );
    }
    assert_eq!(status_of(&app, &people[2]).await, "active");
    assert_eq!(
        held().await,
        vec![(
            "Held Three: deactivated by the identity provider".to_string(),
            None
        )]
    );
    let (status, list) = app.json(&admin, "/api/lifecycle/held", "").await;
    assert_eq!(status, 200);
    let first = list[0]["id"].as_str().unwrap().to_string();
    assert_eq!(list[0]["principals"], 1);
    // Only those who manage principals decide.
    let member = app.demo_client("member@northwind.example").await;
    let (status, _) = app
        .json(
            &member,
            "/api/lifecycle/held-decide",
            &format!("held={first}&confirm=true"),
        )
        .await;
    assert_eq!(status, 403);
    let (status, answer) = app
        .json(
            &admin,
            "/api/lifecycle/held-decide",
            &format!("held={first}&confirm=true"),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(status_of(&app, &people[2]).await, "suspended");
    assert_eq!(held().await[0].1.as_deref(), Some("confirmed"));
    let (status, _) = app
        .json(
            &admin,
            "/api/lifecycle/held-decide",
            &format!("held={first}&confirm=true"),
        )
        .await;
    assert_eq!(status, 404, "decided once");
    // The provider asking again finds it done.
    let (status, _) = idp
        .call(
            Method::PATCH,
            &format!("/Users/{}", people[2]),
            Some(deactivate()),
        )
        .await;
    assert_eq!(status, 200);

    // A deletion held and discarded: nothing happens, and asking again is refused.
    let path = format!("/Users/{}", people[3]);
    let (status, _) = idp.call(Method::DELETE, &path, None).await;
    assert_eq!(status, 409);
    let (_, list) = app.json(&admin, "/api/lifecycle/held", "").await;
    let second = list[0]["id"].as_str().unwrap().to_string();
    let (status, _) = app
        .json(
            &admin,
            "/api/lifecycle/held-decide",
            &format!("held={second}"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(status_of(&app, &people[3]).await, "active");
    let (status, answer) = idp.call(Method::DELETE, &path, None).await;
    assert_eq!(status, 409);
    assert!(
        answer["detail"].as_str().unwrap().contains("discarded"),
        "{answer}"
    );
    let decided: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action IN ('lifecycle.held', 'lifecycle.held_confirmed', 'lifecycle.held_discarded')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(decided, 4, "two held, one confirmed, one discarded");

    // An end date passing is held the same way, and looked at once.
    let leaver = provisioned(
        &idp,
        "Held Five",
        json!({ EXTENSION: { "endDate": day(1) } }),
    )
    .await;
    // (The demo's contractors whose end dates pass within those days are held too.)
    let round = lifecycle::run(&app.pool, Utc::now() + Duration::days(3))
        .await
        .unwrap();
    assert_eq!(round.leavers, 0);
    assert!(round.held >= 1, "{round:?}");
    assert_eq!(status_of(&app, &leaver).await, "active");
    assert!(held()
        .await
        .iter()
        .any(|(summary, decision)| summary.starts_with("Held Five leaves") && decision.is_none()));
    let again = lifecycle::run(&app.pool, Utc::now() + Duration::days(3))
        .await
        .unwrap();
    assert_eq!(
        again,
        lifecycle::LifecycleRound::default(),
        "held leavers are not looked at again"
    );
}

/// A bot of the demo's admin, last active `days` ago.
async fn bot(app: &TestApp, name: &str, days: i32) -> Uuid {
    let owner = person_id(app, "admin@northwind.example").await;
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO principals (org_id, id, kind, display_name, external_id, owner_id, last_activity_at, created_at) \
         SELECT org_id, $1, 'bot', $2, $2, id, now() - make_interval(days => $3), now() - interval '200 days' \
         FROM principals WHERE id = $4",
    )
    .bind(id)
    .bind(name)
    .bind(days)
    .bind(owner)
    .execute(&app.pool)
    .await
    .unwrap();
    id
}

#[sqlx::test(migrations = "../migrations")]
async fn inactivity_tells_first_and_suspends_seven_days_later(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let quiet = bot(&app, "Quiet bot", 40).await;
    let busy = bot(&app, "Busy bot", 1).await;
    for bad in ["kind=bot&days=7", "kind=boss&days=30", "kind=bot&days=ten"] {
        let (status, _) = app.json(&admin, "/api/lifecycle/inactivity", bad).await;
        assert_eq!(status, 422, "{bad}");
    }
    // The preview counts as the rule will.
    let expected: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM principals WHERE kind = 'bot' AND status = 'active' \
           AND coalesce(last_activity_at, created_at) < now() - interval '30 days'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (status, preview) = app
        .json(
            &admin,
            "/api/lifecycle/inactivity-preview",
            "kind=bot&days=30",
        )
        .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["would_suspend"], expected);
    assert!(
        preview["names"].to_string().contains("Quiet bot"),
        "{preview}"
    );
    let member = app.demo_client("member@northwind.example").await;
    let (status, _) = app
        .json(&member, "/api/lifecycle/inactivity", "kind=bot&days=30")
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .json(&admin, "/api/lifecycle/inactivity", "kind=bot&days=30")
        .await;
    assert_eq!(status, 200);

    // Told today, suspended no sooner than seven days later.
    let today = lifecycle::run(&app.pool, Utc::now()).await.unwrap();
    assert!(
        today.dormant_noticed >= 1 && today.dormant_suspended == 0,
        "{today:?}"
    );
    let told: i64 =
        sqlx::query_scalar("SELECT count(*) FROM dormancy_notices WHERE principal_id = $1")
            .bind(quiet)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(told, 1);
    assert_eq!(status_of(&app, &quiet.to_string()).await, "active");
    let later = lifecycle::run(&app.pool, Utc::now() + Duration::days(8))
        .await
        .unwrap();
    assert!(later.dormant_suspended >= 1, "{later:?}");
    assert_eq!(status_of(&app, &quiet.to_string()).await, "suspended");
    assert_eq!(status_of(&app, &busy.to_string()).await, "active");
    let why: String = sqlx::query_scalar(
        "SELECT reason FROM audit_events WHERE action = 'principal.suspended' AND target_id = $1",
    )
    .bind(quiet.to_string())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(why.contains("no activity for 30 days"), "{why}");

    // Switched off, nothing more happens.
    let (status, _) = app
        .json(&admin, "/api/lifecycle/inactivity", "kind=bot&days=")
        .await;
    assert_eq!(status, 200);
    let rules: i64 = sqlx::query_scalar("SELECT count(*) FROM inactivity_rules")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(rules, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_department_renamed_in_its_rule_keeps_everyones_access(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let idp = Idp::new(&app).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let crm = givable_roles(&app).await[0].0;
    made_rule(&app, &admin, ("Sales: CRM", "department = Sales"), crm).await;
    let rule: Uuid = sqlx::query_scalar("SELECT id FROM birthright_rules")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let manager = person_id(&app, "approver@northwind.example").await;
    let mut people = Vec::new();
    for name in ["Renamed One", "Renamed Two", "Renamed Three"] {
        let extra =
            json!({ ENTERPRISE: { "department": "Sales", "manager": { "value": manager } } });
        people.push(provisioned(&idp, name, extra).await);
    }
    // The provider renames the department first: each is a mover, asked about.
    for id in &people {
        let (status, _) = idp
            .call(
                Method::PATCH,
                &format!("/Users/{id}"),
                Some(department("Revenue")),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(mover_reviews(&app, id).await.len(), 1);
    }
    // Refusals first: nothing changes.
    let (status, _) = app
        .json(
            &admin,
            "/api/lifecycle/birthright-change",
            &format!("rule={rule}&criteria=department"),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .json(
            &admin,
            "/api/lifecycle/birthright-change",
            &format!("rule={}&criteria=department+%3D+Revenue", Uuid::new_v4()),
        )
        .await;
    assert_eq!(status, 404);
    let member = app.demo_client("member@northwind.example").await;
    let (status, _) = app
        .json(
            &member,
            "/api/lifecycle/birthright-change",
            &format!("rule={rule}&criteria=department+%3D+Revenue"),
        )
        .await;
    assert_eq!(status, 403);
    // The rule follows the new name: the questions go, the access stays.
    let (status, run) = app
        .json(
            &admin,
            "/api/lifecycle/birthright-change",
            &format!("rule={rule}&criteria=department+%3D+Revenue"),
        )
        .await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(
        (run["changed"].as_i64(), run["granted"].as_i64()),
        (Some(3), Some(0)),
        "{run}"
    );
    for id in &people {
        assert!(mover_reviews(&app, id).await.is_empty());
        let held = in_force(&app, id).await;
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].2.as_deref(), Some("Sales: CRM"));
    }
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'birthright_rule.changed'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

//! Provisioning over SCIM at scale: an organisation of 100,000 people (each with a
//! userName, an external id and a department), then 10,000 more created over SCIM by one
//! client and by four at once (users per second), and p50/p95 of the list with the
//! filters identity providers send, over real HTTP on loopback. Then a department of
//! 5,000 people renamed: the birthright rule for it made (5,000 grants); the rename
//! arriving as 5,000 PATCHes from four clients (each person a mover, asked about), beside
//! 5,000 PATCHes that change no access (the floor); and the rule changed to the new
//! name, weighing the 5,000 again in one run. Last, 4,000 more users created over SCIM
//! (by one client, then by four) with that rule in force, giving each of them its role.
//!
//! Run with `make bench` (which starts the database); it reads DATABASE_URL and
//! creates and replaces the database `gatehouse_bench_scim` on that server.

// The benchmark uses only part of the integration tests' helpers.
#[allow(dead_code)]
#[path = "../tests/integration/common.rs"]
mod common;
mod support;

use std::time::Instant;

use serde_json::{json, Value};
use support::{
    bench_database, load_organisation, measure, serve_signed_in, timing_header, with_sql_time,
};

const DATABASE: &str = "gatehouse_bench_scim";
const ADMIN: &str = "scim-admin@bench.example";
const PASSWORD: &str = "bench password long enough";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Users created over SCIM, half by one client and half by four at once.
const CREATED: usize = 10_000;
/// Users created over SCIM from one client, and again from four, once the department's
/// rule (by then for "Revenue") is in force and gives each of them its role.
const JOINERS: usize = 2_000;
/// People in the department that is renamed.
const RENAMED: usize = 5_000;
/// An application with a role for the department; its 5,000 people, reviewed by the
/// admin when they move; last year's movers; `$1` is the organisation, `$2` the admin.
const RENAME_SETUP: &[&str] = &[
    "INSERT INTO applications (org_id, id, name) VALUES ($1, md5('scim-crm')::uuid, 'Bench CRM')",
    "INSERT INTO permissions (org_id, id, application_id, resource, action) \
     VALUES ($1, md5('scim-view')::uuid, md5('scim-crm')::uuid, 'contacts', 'view')",
    "INSERT INTO roles (org_id, id, application_id, name) \
     VALUES ($1, md5('scim-sales')::uuid, md5('scim-crm')::uuid, 'Field sales')",
    "INSERT INTO role_permissions (org_id, role_id, permission_id) \
     VALUES ($1, md5('scim-sales')::uuid, md5('scim-view')::uuid)",
    "INSERT INTO principals (org_id, id, kind, display_name, email, external_id, user_name, employment_type, \
                             attributes, manager_id) \
     SELECT $1, md5('scim-mover-' || n)::uuid, 'human', 'Mover ' || n, 'mover' || n || '@scim.example', \
            'mv-' || n, 'mover' || n || '@scim.example', 'employee', \
            jsonb_build_object('department', 'Field Sales'), $2 \
     FROM generate_series(0, 4999) n",
    // An organisation of this size has had movers before: a thousand people moved last
    // year, and their managers' reviews dropped the access they left behind.
    "INSERT INTO grants (org_id, id, principal_id, role_id, valid_from, reason, created_at, revoked_at, revoke_reason) \
     SELECT $1, md5('scim-past-grant-' || n)::uuid, md5('scim-principal-' || n)::uuid, md5('scim-sales')::uuid, \
            now() - interval '400 days', 'birthright', now() - interval '400 days', now() - interval '300 days', \
            'dropped in a mover''s review' \
     FROM generate_series(0, 999) n",
    "INSERT INTO review_campaigns (org_id, id, name, scope, reviewer_rule, due_on, undecided, mover_id, \
                                   created_at, closed_at) \
     SELECT $1, md5('scim-past-review-' || n)::uuid, 'Person ' || n || ' moved (last year)', \
            jsonb_build_object('mover', md5('scim-principal-' || n)::uuid), 'managers', current_date - 307, 'revoke', \
            md5('scim-principal-' || n)::uuid, now() - interval '314 days', now() - interval '300 days' \
     FROM generate_series(0, 999) n",
    "INSERT INTO review_items (org_id, campaign_id, grant_id, principal_id, principal_label, bundle_label, reviewer_id, \
                               decision, reason, decided_by, decided_at, outcome) \
     SELECT $1, md5('scim-past-review-' || n)::uuid, md5('scim-past-grant-' || n)::uuid, md5('scim-principal-' || n)::uuid, \
            'Person ' || n, 'Field sales', $2, 'revoke', 'moved to another team', $2, now() - interval '300 days', 'revoked' \
     FROM generate_series(0, 999) n",
];

/// 100,000 people as an identity provider would have made them; `$1` is the organisation.
const LOAD: &[(&str, &str)] = &[(
    "people",
    "INSERT INTO principals (org_id, id, kind, display_name, email, external_id, user_name, employment_type, \
                            job_title, attributes, created_at) \
     SELECT $1, md5('scim-principal-' || n)::uuid, 'human', 'Person ' || n, 'person' || n || '@scim.example', \
            'hr-' || n, 'person' || n || '@scim.example', 'employee', 'Generated', \
            jsonb_build_object('department', 'Department ' || (n % 50)), now() - make_interval(mins => n) \
     FROM generate_series(0, 99999) n",
)];

/// User `n`, in one of 50 departments, or in `department`.
fn user(n: usize, department: Option<&str>) -> Value {
    let department = department.map_or_else(|| format!("Department {}", n % 50), str::to_string);
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": format!("new{n}@scim.example"),
        "externalId": format!("new-{n}"),
        "name": { "givenName": "New", "familyName": format!("Person {n}") },
        "emails": [{ "value": format!("new{n}@scim.example"), "type": "work", "primary": true }],
        ENTERPRISE: { "department": department }
    })
}

/// Creates `count` users from `clients` clients at once, starting at user `first`, in
/// `department` if given; prints a table row, with how long at least one of the
/// server's statements was running meanwhile and how many it ran per user.
async fn create(
    (url, token): (&str, &str),
    (first, count, clients): (usize, usize, usize),
    department: Option<&'static str>,
    what: &str,
) {
    let started = Instant::now();
    let each = count / clients;
    let (_, sql, statements) = with_sql_time(async {
        let mut tasks = Vec::new();
        for c in 0..clients {
            let (url, token) = (url.to_string(), token.to_string());
            tasks.push(tokio::spawn(async move {
                let http = reqwest::Client::new();
                for n in first + c * each..first + (c + 1) * each {
                    let response = http
                        .post(&url)
                        .bearer_auth(&token)
                        .header("content-type", "application/scim+json")
                        .body(user(n, department).to_string())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status().as_u16(), 201);
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    })
    .await;
    let seconds = started.elapsed().as_secs_f64();
    let users = each * clients;
    println!(
        "| {clients} | {users} | {seconds:.2} | {:.0} | {:.2} | {:.1} | {what} |",
        users as f64 / seconds,
        sql.as_secs_f64(),
        statements as f64 / users as f64
    );
}

/// One PATCH per person from four clients, each replacing one enterprise attribute;
/// answers the seconds taken.
async fn patch_everyone(
    app: &common::TestApp,
    token: &str,
    movers: &[uuid::Uuid],
    (attribute, value): (&str, &str),
) -> f64 {
    let started = Instant::now();
    let clients = 4;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (url, token) = (app.url("/scim/v2/Users"), token.to_string());
        let mine: Vec<uuid::Uuid> = movers.iter().skip(c).step_by(clients).copied().collect();
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{ "op": "replace", "path": format!("{ENTERPRISE}:{attribute}"), "value": value }]
        })
        .to_string();
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for id in mine {
                let response = http
                    .patch(format!("{url}/{id}"))
                    .bearer_auth(&token)
                    .header("content-type", "application/scim+json")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status().as_u16(), 200);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed().as_secs_f64()
}

/// A department of 5,000 renamed: the birthright rule for it made; the provider's 5,000
/// PATCHes (first some that change no access, the floor, then the rename itself, each
/// person a mover); then the rule changed to the new name. Prints a table.
async fn rename(
    pool: &sqlx::PgPool,
    (app, client): (&common::TestApp, &reqwest::Client),
    (org, admin): (uuid::Uuid, uuid::Uuid),
    token: &str,
) {
    for statement in RENAME_SETUP {
        sqlx::query(statement)
            .bind(org)
            .bind(admin)
            .execute(pool)
            .await
            .unwrap();
    }
    let movers: Vec<uuid::Uuid> = sqlx::query_scalar(
        "SELECT id FROM principals WHERE external_id LIKE 'mv-%' ORDER BY external_id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(movers.len(), RENAMED);
    let role: uuid::Uuid = sqlx::query_scalar("SELECT id FROM roles WHERE name = 'Field sales'")
        .fetch_one(pool)
        .await
        .unwrap();
    println!();
    println!("| Department of 5,000 renamed | seconds | per second | what changed |");
    println!("|---|---:|---:|---|");
    let started = Instant::now();
    let body = serde_urlencoded::to_string([
        ("rule[name]", "Field sales"),
        ("rule[criteria]", "department = Field Sales"),
        ("rule[bundle]", &role.to_string()),
        ("rule[account]", ""),
    ])
    .unwrap();
    let (status, made) = app
        .json(client, "/api/lifecycle/birthright-create", &body)
        .await;
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(status, 200, "{made}");
    assert_eq!(made["granted"], RENAMED, "{made}");
    println!(
        "| the rule for the department made | {seconds:.2} | {:.0} | {} granted |",
        RENAMED as f64 / seconds,
        made["granted"]
    );
    // A department is renamed long after its rule was made: by then autovacuum has
    // analysed the rule's grants (within a minute of them), so the PATCHes are planned
    // with the statistics it keeps.
    sqlx::query("ANALYZE").execute(pool).await.unwrap();
    let seconds = patch_everyone(app, token, &movers, ("costCenter", "CC-9")).await;
    println!(
        "| floor: 5,000 PATCHes that change no access (costCenter), 4 clients | {seconds:.2} | {:.0} | attributes only |",
        RENAMED as f64 / seconds
    );
    let seconds = patch_everyone(app, token, &movers, ("department", "Revenue")).await;
    let waiting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM review_items i JOIN review_campaigns c ON c.org_id = i.org_id AND c.id = i.campaign_id \
         WHERE c.mover_id IS NOT NULL AND c.closed_at IS NULL",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(waiting, RENAMED as i64);
    println!(
        "| the provider renames it: 5,000 PATCHes, 4 clients | {seconds:.2} | {:.0} | {waiting} movers asked about |",
        RENAMED as f64 / seconds
    );
    let rule: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM birthright_rules WHERE name = 'Field sales'")
            .fetch_one(pool)
            .await
            .unwrap();
    let started = Instant::now();
    let (status, changed) = app
        .json(
            client,
            "/api/lifecycle/birthright-change",
            &format!("rule={rule}&criteria=department+%3D+Revenue"),
        )
        .await;
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["changed"], RENAMED, "{changed}");
    println!(
        "| the rule follows the new name: 5,000 weighed again in one run | {seconds:.2} | {:.0} | {} questions withdrawn, access kept |",
        RENAMED as f64 / seconds,
        changed["changed"]
    );
}

#[tokio::main]
async fn main() {
    let pool = bench_database(DATABASE).await;
    let started = Instant::now();
    let (org, admin) =
        load_organisation(&pool, (ADMIN, PASSWORD, "SCIM Admin"), "SCIM Bench", LOAD).await;
    println!(
        "Loaded 100,000 people in {:.1} s.",
        started.elapsed().as_secs_f64()
    );
    let (app, client) = serve_signed_in(&pool, ADMIN, PASSWORD).await;
    let until = (chrono::Utc::now().date_naive() + chrono::Days::new(90)).to_string();
    let (status, made) = app
        .json(
            &client,
            "/api/tokens/create-provisioning",
            &format!("name=Bench+IdP&until={until}"),
        )
        .await;
    assert_eq!(status, 200, "{made}");
    let token = made["token"].as_str().unwrap().to_string();

    println!();
    println!(
        "| Users created over SCIM: clients | users | seconds | users/s | SQL seconds | statements per user | rules |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---|");
    let url = app.url("/scim/v2/Users");
    let none = "no birthright rule in force";
    create((&url, &token), (0, CREATED / 2, 1), None, none).await;
    create((&url, &token), (CREATED / 2, CREATED / 2, 4), None, none).await;
    sqlx::query("ANALYZE principals")
        .execute(&pool)
        .await
        .unwrap();

    println!();
    timing_header("Operation (110,000 people)");
    let http = reqwest::Client::new();
    for (operation, query) in [
        ("userName eq", "filter=userName eq \"person77777@scim.example\""),
        ("externalId eq", "filter=externalId eq \"hr-42424\""),
        ("emails.value eq", "filter=emails[type eq \"work\" and value eq \"new1234@scim.example\"]"),
        ("department eq, first 100 of 2,200", "filter=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"Department 7\"&count=100"),
        ("displayName co, first 100", "filter=displayName co \"son 99\"&count=100"),
        ("every user, first 100", "count=100"),
        ("every user, 100 from 50,001", "startIndex=50001&count=100"),
    ] {
        let target = format!(
            "{url}?{}",
            query.replace(' ', "%20").replace('"', "%22").replace('[', "%5B").replace(']', "%5D")
        );
        measure(operation, &format!("GET /scim/v2/Users?{query}"), |_| {
            let (http, target, token) = (http.clone(), target.clone(), token.clone());
            async move {
                let response = http.get(&target).bearer_auth(&token).send().await.unwrap();
                assert_eq!(response.status().as_u16(), 200, "{target}");
                let body = response.bytes().await.unwrap();
                let list: Value = serde_json::from_slice(&body).unwrap();
                assert!(list["totalResults"].as_i64().unwrap() >= 1, "{target}: {list}");
                body.len()
            }
        })
        .await;
    }
    rename(&pool, (&app, &client), (org, admin), &token).await;

    // Joiners weighed against a rule in force that gives each of them its role: the
    // weighing read, a grant and its audit event more for each.
    println!();
    println!(
        "| Users created over SCIM: clients | users | seconds | users/s | SQL seconds | statements per user | rules |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---|");
    let given = "a rule in force gives each a role";
    let first = CREATED;
    create((&url, &token), (first, JOINERS, 1), Some("Revenue"), given).await;
    create(
        (&url, &token),
        (first + JOINERS, JOINERS, 4),
        Some("Revenue"),
        given,
    )
    .await;
    let given: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM grants g JOIN principals p ON p.org_id = g.org_id AND p.id = g.principal_id \
         WHERE p.external_id LIKE 'new-%' AND g.birthright_rule_id IS NOT NULL AND g.revoked_at IS NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(given, 2 * JOINERS as i64);
}

//! Loads a large organisation (2 applications with 40 roles x 300 permissions each,
//! 20,000 principals, 100,000 grants) into a fresh database and reports p50/p95
//! response times of the role matrix, a cell toggle, the principals list and a
//! principal's page, measured over real HTTP on loopback.
//!
//! Run with `make bench` (which starts the database); it reads DATABASE_URL and
//! creates and replaces the database `gatehouse_bench` on that server.

// The benchmark uses only part of the integration tests' helpers.
#[allow(dead_code)]
#[path = "../tests/integration/common.rs"]
mod common;
mod support;

use std::time::Instant;

use sqlx::PgPool;
use support::{
    bench_database, call, get, load_organisation, measure, serve_signed_in, timing_header, SAMPLES,
    WARM_UP,
};
use uuid::Uuid;

const DATABASE: &str = "gatehouse_bench";
const ADMIN: &str = "bench-admin@bench.example";
const PASSWORD: &str = "bench password long enough";

/// The organisation's data, generated in SQL; `$1` is the organisation.
const LOAD: &[(&str, &str)] = &[
    ("applications", "INSERT INTO applications (org_id, id, name, description, max_grant_days, allow_no_end) \
        SELECT $1, gen_random_uuid(), 'Bench App ' || a, 'Generated', 365, true FROM generate_series(1, 2) a"),
    ("permissions", "INSERT INTO permissions (org_id, id, application_id, resource, action, risk, high_impact, description) \
        SELECT $1, gen_random_uuid(), ap.id, 'resource_' || lpad(r::text, 2, '0'), 'action_' || x, \
               (ARRAY['low', 'medium', 'high', 'critical'])[1 + (r + x) % 4]::risk_level, (r * 10 + x) % 12 = 0, \
               'Generated permission ' || r || '.' || x \
        FROM applications ap, generate_series(0, 29) r, generate_series(0, 9) x \
        WHERE ap.org_id = $1 AND ap.name LIKE 'Bench App %'"),
    ("roles", "INSERT INTO roles (org_id, id, application_id, name, description) \
        SELECT $1, gen_random_uuid(), ap.id, 'Role ' || lpad(n::text, 2, '0'), 'Generated role' \
        FROM applications ap, generate_series(1, 40) n WHERE ap.org_id = $1 AND ap.name LIKE 'Bench App %'"),
    ("permission sets", "INSERT INTO permission_sets (org_id, id, application_id, name, description) \
        SELECT $1, gen_random_uuid(), ap.id, 'Set ' || n, 'Generated set' \
        FROM applications ap, generate_series(1, 5) n WHERE ap.org_id = $1 AND ap.name LIKE 'Bench App %'"),
    // Role n holds every eighth permission; roles 01 and 02 hold them all (overloaded).
    ("role permissions", "INSERT INTO role_permissions (org_id, role_id, permission_id) \
        SELECT $1, r.id, p.id FROM \
          (SELECT ro.id, ro.application_id, row_number() OVER (PARTITION BY ro.application_id ORDER BY ro.name) AS n \
             FROM roles ro JOIN applications a ON a.org_id = ro.org_id AND a.id = ro.application_id \
             WHERE ro.org_id = $1 AND a.name LIKE 'Bench App %') r \
          JOIN (SELECT id, application_id, row_number() OVER (PARTITION BY application_id ORDER BY resource, action) AS n \
             FROM permissions WHERE org_id = $1) p ON p.application_id = r.application_id AND (p.n % 8 = r.n % 8 OR r.n <= 2)"),
    ("permission set permissions", "INSERT INTO permission_set_permissions (org_id, permission_set_id, permission_id) \
        SELECT $1, s.id, p.id FROM \
          (SELECT ps.id, ps.application_id, row_number() OVER (PARTITION BY ps.application_id ORDER BY ps.name) AS n \
             FROM permission_sets ps WHERE ps.org_id = $1) s \
          JOIN (SELECT id, application_id, row_number() OVER (PARTITION BY application_id ORDER BY resource, action) AS n \
             FROM permissions WHERE org_id = $1) p ON p.application_id = s.application_id AND p.n % 25 = s.n"),
    ("accounts", "INSERT INTO accounts (org_id, id, name, region) \
        SELECT $1, md5('bench-account-' || n)::uuid, 'Client ' || lpad(n::text, 2, '0'), CASE WHEN n % 2 = 0 THEN 'EU' ELSE 'US' END \
        FROM generate_series(0, 19) n"),
    // Every tenth principal is a bot, agent or integration owned by the person before it;
    // people report to person n / 10.
    ("principals", "INSERT INTO principals (org_id, id, kind, display_name, email, external_id, status, employment_type, \
                                 job_title, manager_id, owner_id, end_date, last_activity_at) \
        SELECT $1, md5('bench-principal-' || n)::uuid, \
               CASE WHEN n % 10 <> 0 THEN 'human' WHEN n % 30 = 0 THEN 'ai_agent' WHEN n % 30 = 10 THEN 'bot' ELSE 'integration' END::principal_kind, \
               CASE WHEN n % 10 <> 0 THEN 'Person ' ELSE 'Agent ' END || n, \
               CASE WHEN n % 10 <> 0 THEN 'person' || n || '@bench.example' END, \
               CASE WHEN n % 10 = 0 THEN 'agent-' || n END, \
               CASE WHEN n % 97 = 0 THEN 'offboarded' WHEN n % 50 = 0 THEN 'suspended' ELSE 'active' END::principal_status, \
               CASE WHEN n % 10 = 0 THEN NULL WHEN n % 7 = 0 THEN 'contractor' WHEN n % 11 = 0 THEN 'client_user' ELSE 'employee' END::employment_type, \
               'Generated', \
               CASE WHEN n % 10 <> 0 AND n > 10 THEN md5('bench-principal-' || (n / 10 - CASE WHEN (n / 10) % 10 = 0 THEN 1 ELSE 0 END))::uuid END, \
               CASE WHEN n % 10 = 0 THEN md5('bench-principal-' || (n - 1))::uuid END, \
               CASE WHEN n % 7 = 0 THEN current_date + (n % 400 - 100) END, \
               CASE WHEN n % 17 <> 0 THEN now() - make_interval(days => n % 200, mins => n % 1440) END \
        FROM generate_series(1, 20000) n"),
    ("account assignments", "INSERT INTO principal_accounts (org_id, principal_id, account_id) \
        SELECT DISTINCT $1, md5('bench-principal-' || n)::uuid, md5('bench-account-' || a)::uuid \
        FROM generate_series(1, 20000) n, LATERAL (VALUES (n % 20), ((n * 7) % 20)) v(a)"),
    // Five grants per principal over 80 roles and 10 sets: a quarter without an end,
    // a quarter of 30 days (most long expired), the rest ending within 90 days; one in
    // 25 revoked; one in 21 on every account.
    ("grants", "WITH bundles AS ( \
          SELECT b.id, b.is_role, row_number() OVER (ORDER BY b.is_role DESC, b.id) - 1 AS i FROM ( \
            SELECT ro.id, true AS is_role FROM roles ro JOIN applications a ON a.org_id = ro.org_id AND a.id = ro.application_id \
              WHERE ro.org_id = $1 AND a.name LIKE 'Bench App %' \
            UNION ALL SELECT ps.id, false FROM permission_sets ps WHERE ps.org_id = $1) b), \
        generated AS ( \
          SELECT g, now() - make_interval(days => g % 400) AS valid_from FROM generate_series(1, 100000) g) \
        INSERT INTO grants (org_id, id, principal_id, role_id, permission_set_id, account_id, valid_from, valid_until, \
                            reason, revoked_at, revoke_reason) \
        SELECT $1, gen_random_uuid(), md5('bench-principal-' || (1 + g % 20000))::uuid, \
               CASE WHEN b.is_role THEN b.id END, CASE WHEN NOT b.is_role THEN b.id END, \
               CASE WHEN g % 21 <> 0 THEN md5('bench-account-' || (g % 20))::uuid END, \
               valid_from, \
               CASE g % 4 WHEN 1 THEN valid_from + interval '30 days' \
                          WHEN 2 THEN now() + make_interval(days => 1 + g % 90) END, \
               'Generated grant', \
               CASE WHEN g % 25 = 0 THEN now() END, CASE WHEN g % 25 = 0 THEN 'Generated revocation' END \
        FROM generated JOIN bundles b ON b.i = (g * 31) % 90"),
];

#[tokio::main]
async fn main() {
    let pool = bench_database(DATABASE).await;
    let loaded = Instant::now();
    let (org, _) = load_organisation(
        &pool,
        (ADMIN, PASSWORD, "Bench Admin"),
        "Large Organisation",
        LOAD,
    )
    .await;
    println!(
        "Loaded the organisation in {:.1} s: {}",
        loaded.elapsed().as_secs_f64(),
        counts(&pool, org).await
    );

    let (app, client) = serve_signed_in(&pool, ADMIN, PASSWORD).await;

    let application: Uuid = sqlx::query_scalar(
        "SELECT id FROM applications WHERE org_id = $1 AND name = 'Bench App 1'",
    )
    .bind(org)
    .fetch_one(&pool)
    .await
    .unwrap();
    let (role, permission): (Uuid, Uuid) = sqlx::query_as(
        "SELECT r.id, p.id FROM roles r JOIN permissions p ON p.org_id = r.org_id AND p.application_id = r.application_id \
         WHERE r.org_id = $1 AND r.application_id = $2 AND r.name = 'Role 10' AND p.resource = 'resource_05' AND p.action = 'action_3'",
    )
    .bind(org)
    .bind(application)
    .fetch_one(&pool)
    .await
    .unwrap();
    let (account, person): (Uuid, Uuid) =
        sqlx::query_as("SELECT md5('bench-account-3')::uuid, md5('bench-principal-1234')::uuid")
            .fetch_one(&pool)
            .await
            .unwrap();

    println!();
    timing_header("Operation");
    let get = |path: String| {
        let (client, url) = (client.clone(), app.url(&path));
        move |_: usize| {
            let (client, url) = (client.clone(), url.clone());
            async move { get(&client, &url).await }
        }
    };
    let post = |path: &'static str, body: String| {
        let (client, url) = (client.clone(), app.url(path));
        move |_: usize| {
            let (client, url, body) = (client.clone(), url.clone(), body.clone());
            async move { call(&client, &url, body).await }
        }
    };
    measure(
        "Role matrix page (SSR), first page",
        "GET /roles?app=…",
        get(format!("/roles?app={application}")),
    )
    .await;
    measure(
        "Role matrix page (SSR), page 5 of 10",
        "GET /roles?app=…&page=5",
        get(format!("/roles?app={application}&page=5")),
    )
    .await;
    measure(
        "Role matrix page (SSR), searched",
        "GET /roles?app=…&q=action_7",
        get(format!("/roles?app={application}&q=action_7")),
    )
    .await;
    measure(
        "Role matrix data",
        "POST /api/roles/matrix",
        post("/api/roles/matrix", format!("application={application}")),
    )
    .await;
    let held: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM role_permissions WHERE org_id = $1 AND role_id = $2 AND permission_id = $3)",
    )
    .bind(org)
    .bind(role)
    .bind(permission)
    .fetch_one(&pool)
    .await
    .unwrap();
    let toggle_url = app.url("/api/roles/set-permission");
    measure(
        "Cell toggle",
        "POST /api/roles/set-permission",
        |i: usize| {
            let (client, url) = (client.clone(), toggle_url.clone());
            // Alternate so that every call changes the cell and writes an audit event.
            let granted = i.is_multiple_of(2) != held;
            async move {
                call(
                    &client,
                    &url,
                    format!("kind=Role&bundle={role}&permission={permission}&granted={granted}"),
                )
                .await
            }
        },
    )
    .await;
    measure(
        "Principals, first page (SSR)",
        "GET /principals",
        get("/principals".into()),
    )
    .await;
    measure(
        "Principals, first page data",
        "POST /api/principals/list",
        post("/api/principals/list", "query[page]=0".into()),
    )
    .await;
    let filter =
        format!("kind=human&status=active&account={account}&search=person1&sort=last_activity");
    measure(
        "Principals, filtered (SSR)",
        "GET /principals?kind=human&status=active&account=…&search=person1&sort=last_activity",
        get(format!("/principals?{filter}")),
    )
    .await;
    measure(
        "Principals, filtered data",
        "POST /api/principals/list (same filter)",
        post("/api/principals/list", format!("query[kind]=human&query[status]=active&query[account]={account}&query[search]=person1&query[sort]=last_activity&query[page]=0")),
    )
    .await;
    measure(
        "Principal detail (SSR)",
        "GET /principals/{id}",
        get(format!("/principals/{person}")),
    )
    .await;
    measure(
        "Principal detail data",
        "POST /api/principals/detail",
        post("/api/principals/detail", format!("principal={person}")),
    )
    .await;
    println!();
    println!(
        "{WARM_UP} warm-up requests, then {SAMPLES} timed ones each, one at a time, over loopback."
    );
}

async fn counts(pool: &PgPool, org: Uuid) -> String {
    let row: (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM permissions WHERE org_id = $1), (SELECT count(*) FROM roles WHERE org_id = $1), \
                (SELECT count(*) FROM role_permissions WHERE org_id = $1), (SELECT count(*) FROM principals WHERE org_id = $1), \
                (SELECT count(*) FROM grants WHERE org_id = $1)",
    )
    .bind(org)
    .fetch_one(pool)
    .await
    .unwrap();
    format!(
        "{} permissions, {} roles, {} role-permission ticks, {} principals, {} grants (console included)",
        row.0, row.1, row.2, row.3, row.4
    )
}

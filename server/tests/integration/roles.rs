//! The role matrix: reading it, toggling cells, and shaping roles and permission sets,
//! each change in one transaction with its audit event.

use crate::common::{spawn_demo, TestApp};
use serde_json::Value;

async fn id_of(app: &TestApp, sql: &str) -> String {
    sqlx::query_scalar::<_, uuid::Uuid>(sql)
        .fetch_one(&app.pool)
        .await
        .unwrap()
        .to_string()
}

/// The matrix of Acme CRM; `more` adds to the query (the kind, the window, the pair).
async fn crm_matrix_with(app: &TestApp, client: &reqwest::Client, more: &str) -> Value {
    let crm = id_of(app, "SELECT id FROM applications WHERE name = 'Acme CRM'").await;
    let (status, matrix) = app
        .json(
            client,
            "/api/roles/matrix",
            &format!("application={crm}{more}"),
        )
        .await;
    assert_eq!(status, 200, "{matrix}");
    matrix
}

async fn crm_matrix(app: &TestApp, client: &reqwest::Client) -> Value {
    crm_matrix_with(app, client, "").await
}

fn position(list: &Value, field: &str, value: &str) -> usize {
    list.as_array()
        .unwrap()
        .iter()
        .position(|x| x[field] == value)
        .unwrap_or_else(|| panic!("no {field} {value} in {list}"))
}

fn bundle<'a>(matrix: &'a Value, name: &str) -> &'a Value {
    &matrix["bundles"][position(&matrix["bundles"], "name", name)]
}

fn keys(matrix: &Value) -> Vec<String> {
    matrix["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}.{}",
                p["resource"].as_str().unwrap(),
                p["action"].as_str().unwrap()
            )
        })
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_matrix_counts_members_and_flags_overloaded_roles(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let auditor = app.demo_client("auditor@northwind.example").await;
    let matrix = crm_matrix(&app, &auditor).await;
    assert_eq!(matrix["application"]["name"], "Acme CRM");
    assert_eq!(matrix["permissions"].as_array().unwrap().len(), 21);
    assert_eq!(matrix["bundles"].as_array().unwrap().len(), 8);
    assert_eq!(matrix["kind"], "Role");
    assert_eq!(
        (matrix["matching"].as_u64(), matrix["pages"].as_u64()),
        (Some(21), Some(1))
    );
    let admin_role = bundle(&matrix, "CRM Admin");
    assert_eq!(admin_role["permissions"], 21);
    assert!(admin_role["overloaded"]
        .as_str()
        .unwrap()
        .contains("21 permissions against a median of"));
    let viewer = bundle(&matrix, "Client Viewer");
    assert_eq!(viewer["overloaded"], Value::Null);
    let members: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT principal_id) FROM grants g JOIN roles r ON r.id = g.role_id WHERE r.name = 'Client Viewer' \
         AND g.revoked_at IS NULL AND g.valid_from <= now() AND (g.valid_until IS NULL OR g.valid_until > now())",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(viewer["members"], members);
    assert!(members > 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn toggling_a_cell_changes_the_role_and_is_audited(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let role = id_of(&app, "SELECT id FROM roles WHERE name = 'Support Agent'").await;
    let export = id_of(
        &app,
        "SELECT p.id FROM permissions p JOIN applications a ON a.id = p.application_id \
         WHERE a.name = 'Acme CRM' AND p.resource = 'contacts' AND p.action = 'export'",
    )
    .await;
    let toggle =
        |granted: bool| format!("kind=Role&bundle={role}&permission={export}&granted={granted}");

    let (status, held) = app
        .json(&admin, "/api/roles/set-permission", &toggle(true))
        .await;
    assert_eq!((status, held), (200, Value::Bool(true)));
    let matrix = crm_matrix(&app, &admin).await;
    let cell = serde_json::json!([
        position(&matrix["bundles"], "id", &role),
        position(&matrix["permissions"], "id", &export)
    ]);
    assert!(
        matrix["cells"].as_array().unwrap().contains(&cell),
        "{cell}"
    );
    assert_eq!(bundle(&matrix, "Support Agent")["high_impact"], 1);

    // Ticking a ticked cell changes nothing and records nothing more.
    assert_eq!(
        app.json(&admin, "/api/roles/set-permission", &toggle(true))
            .await
            .0,
        200
    );
    assert_eq!(
        app.json(&admin, "/api/roles/set-permission", &toggle(false))
            .await
            .0,
        200
    );
    let actions: Vec<(String, Value)> = sqlx::query_as(
        "SELECT action, after FROM audit_events WHERE target_type = 'role' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(names, ["role.permission_added", "role.permission_removed"]);
    assert_eq!(actions[0].1["permission"], "contacts.export");
    assert_eq!(actions[0].1["high_impact"], true);
    let held: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM role_permissions WHERE role_id = '{role}' AND permission_id = '{export}'"))
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(held, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn cells_outside_the_roles_application_and_console_roles_are_refused(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let role = id_of(&app, "SELECT id FROM roles WHERE name = 'Support Agent'").await;
    let publish = id_of(
        &app,
        "SELECT id FROM permissions WHERE resource = 'flows' AND action = 'publish'",
    )
    .await;
    let (status, error) = app
        .json(
            &admin,
            "/api/roles/set-permission",
            &format!("kind=Role&bundle={role}&permission={publish}&granted=true"),
        )
        .await;
    assert_eq!(status, 404, "{error}");

    let console_role = id_of(&app, "SELECT id FROM roles WHERE name = 'Member'").await;
    let audit_view = id_of(&app, "SELECT id FROM permissions WHERE resource = 'audit' AND action = 'view' AND application_id = (SELECT id FROM applications WHERE is_console)").await;
    let (status, error) = app
        .json(
            &admin,
            "/api/roles/set-permission",
            &format!("kind=Role&bundle={console_role}&permission={audit_view}&granted=true"),
        )
        .await;
    assert_eq!(status, 409);
    assert!(error["Conflict"]
        .as_str()
        .unwrap()
        .contains("console's own roles"));
    let member = app.demo_client("member@northwind.example").await;
    assert_eq!(
        app.call(&member, "/api/audit/events", "query[page]=0")
            .await
            .status()
            .as_u16(),
        403
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn roles_are_created_renamed_and_deleted_unless_grants_hold_them(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let crm = id_of(&app, "SELECT id FROM applications WHERE name = 'Acme CRM'").await;

    let (status, error) = app
        .json(
            &admin,
            "/api/roles/create",
            &format!("kind=Role&application={crm}&name=Support+Agent&description="),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(error["Invalid"]["field"], "name");

    let (status, id) = app
        .json(
            &admin,
            "/api/roles/create",
            &format!("kind=Role&application={crm}&name=Moderator&description=Reviews+replies"),
        )
        .await;
    assert_eq!(status, 200);
    let id = id.as_str().unwrap().to_string();
    let (status, _) = app
        .json(
            &admin,
            "/api/roles/update",
            &format!("kind=Role&bundle={id}&name=Reply+Moderator&description=Reviews+replies"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.json(
            &admin,
            "/api/roles/delete",
            &format!("kind=Role&bundle={id}")
        )
        .await
        .0,
        200
    );

    let support = id_of(&app, "SELECT id FROM roles WHERE name = 'Support Agent'").await;
    let grants: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM grants WHERE role_id = '{support}'"
    ))
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(grants > 0);
    let (status, error) = app
        .json(
            &admin,
            "/api/roles/delete",
            &format!("kind=Role&bundle={support}"),
        )
        .await;
    assert_eq!(status, 409);
    let message = error["Conflict"].as_str().unwrap();
    assert!(
        message.contains(&format!("{grants} grants still hold it")),
        "{message}"
    );
    let still_there: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM roles WHERE id = '{support}'"
    ))
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(still_there, 1);

    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE target_type = 'role' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(actions, ["role.created", "role.updated", "role.deleted"]);
    let (before, after): (Value, Value) =
        sqlx::query_as("SELECT before, after FROM audit_events WHERE action = 'role.updated'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(before["name"], "Moderator");
    assert_eq!(after["name"], "Reply Moderator");
}

#[sqlx::test(migrations = "../migrations")]
async fn permission_sets_get_the_same_treatment(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let matrix = crm_matrix_with(&app, &admin, "&kind=PermissionSet").await;
    let sets: Vec<&str> = matrix["bundles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(sets, ["Contact Export", "Refund Authority"]);
    let set = id_of(
        &app,
        "SELECT id FROM permission_sets WHERE name = 'Refund Authority'",
    )
    .await;
    let refunds_view = id_of(
        &app,
        "SELECT id FROM permissions WHERE resource = 'orders' AND action = 'view'",
    )
    .await;
    let (status, _) = app
        .json(
            &admin,
            "/api/roles/set-permission",
            &format!("kind=PermissionSet&bundle={set}&permission={refunds_view}&granted=true"),
        )
        .await;
    assert_eq!(status, 200);
    let action: String =
        sqlx::query_scalar("SELECT action FROM audit_events WHERE target_type = 'permission_set'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(action, "permission_set.permission_added");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_matrix_is_sent_a_filtered_page_at_a_time(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let auditor = app.demo_client("auditor@northwind.example").await;
    // The filter: a search, a resource, a risk; each narrows what is sent.
    let exports = crm_matrix_with(&app, &auditor, "&window[search]=EXPORT").await;
    assert_eq!(keys(&exports), ["contacts.export"]);
    assert_eq!(exports["matching"], 1);
    let billing = crm_matrix_with(&app, &auditor, "&window[resource]=billing").await;
    assert!(!keys(&billing).is_empty());
    assert!(keys(&billing).iter().all(|k| k.starts_with("billing.")));
    // Every resource stays offered, whatever the filter.
    assert_eq!(
        billing["resources"],
        crm_matrix(&app, &auditor).await["resources"]
    );
    let risky = crm_matrix_with(&app, &auditor, "&window[risk]=high-impact").await;
    assert!(risky["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["high_impact"] == true));
    assert!(risky["matching"].as_u64().unwrap() < 21);

    // 250 more permissions: 271 beside 8 roles make three pages of 100.
    let crm = id_of(&app, "SELECT id FROM applications WHERE name = 'Acme CRM'").await;
    sqlx::query(&format!(
        "INSERT INTO permissions (org_id, id, application_id, resource, action, risk, high_impact, description) \
         SELECT a.org_id, gen_random_uuid(), a.id, 'zz_bulk', 'action_' || lpad(n::text, 3, '0'), 'low', false, 'Bulk' \
         FROM applications a, generate_series(1, 250) n WHERE a.id = '{crm}'"
    ))
    .execute(&app.pool)
    .await
    .unwrap();
    let analyst = id_of(&app, "SELECT id FROM roles WHERE name = 'Analyst'").await;
    let held = id_of(
        &app,
        "SELECT id FROM permissions WHERE resource = 'zz_bulk' AND action = 'action_150'",
    )
    .await;
    sqlx::query(&format!(
        "INSERT INTO role_permissions (org_id, role_id, permission_id) SELECT org_id, '{analyst}', '{held}' FROM roles WHERE id = '{analyst}'"
    ))
    .execute(&app.pool)
    .await
    .unwrap();
    let second = crm_matrix_with(&app, &auditor, "&window[page]=2").await;
    assert_eq!(
        (second["page"].as_u64(), second["pages"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(
        (second["first"].as_u64(), second["matching"].as_u64()),
        (Some(100), Some(271))
    );
    assert_eq!(second["permissions"].as_array().unwrap().len(), 100);
    // Its cells name positions on this page: Analyst holds zz_bulk.action_150 there, and
    // no cell of another page is sent.
    let cells = second["cells"].as_array().unwrap();
    let cell = serde_json::json!([
        position(&second["bundles"], "name", "Analyst"),
        position(&second["permissions"], "id", &held)
    ]);
    assert_eq!(cells, &vec![cell]);
    // The roles' counts are the whole application's, not the page's.
    assert_eq!(
        bundle(&second, "Analyst")["permissions"],
        bundle(&crm_matrix(&app, &auditor).await, "Analyst")["permissions"]
    );
    // A page past the last is the last.
    let past = crm_matrix_with(&app, &auditor, "&window[page]=99").await;
    assert_eq!(
        (past["page"].as_u64(), past["first"].as_u64()),
        (Some(3), Some(200))
    );
    assert_eq!(past["permissions"].as_array().unwrap().len(), 71);
}

#[sqlx::test(migrations = "../migrations")]
async fn two_bundles_are_compared_over_the_whole_application(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let auditor = app.demo_client("auditor@northwind.example").await;
    let admin_role = id_of(&app, "SELECT id FROM roles WHERE name = 'CRM Admin'").await;
    let viewer = id_of(&app, "SELECT id FROM roles WHERE name = 'Client Viewer'").await;
    // Named in the matrix's address, even on a page that shows neither's cells.
    let matrix = crm_matrix_with(
        &app,
        &auditor,
        &format!("&window[search]=billing&left={admin_role}&right={viewer}"),
    )
    .await;
    let compared = &matrix["comparison"];
    assert_eq!(
        (compared["left"].as_str(), compared["right"].as_str()),
        (Some(admin_role.as_str()), Some(viewer.as_str()))
    );
    let listed = |field: &str| -> Vec<String> {
        compared[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect()
    };
    assert!(listed("only_left").contains(&"contacts.export".to_string()));
    assert!(listed("both").contains(&"reports.view".to_string()));
    assert!(listed("only_right").is_empty());
    // Without a pair, the first two roles.
    let first_two = crm_matrix(&app, &auditor).await;
    assert_eq!(
        first_two["comparison"]["left"],
        first_two["bundles"][0]["id"]
    );
    assert_eq!(
        first_two["comparison"]["right"],
        first_two["bundles"][1]["id"]
    );

    // Asked on its own, the same answer.
    let (status, alone) = app
        .json(
            &auditor,
            "/api/roles/compare",
            &format!("kind=Role&left={admin_role}&right={viewer}"),
        )
        .await;
    assert_eq!(status, 200, "{alone}");
    assert_eq!(&alone, compared);
    // Another organisation's admin learns nothing of these roles, and a role named as a
    // permission set is not one.
    let rival = app.rival_admin().await;
    let (status, theirs) = app
        .json(
            &rival,
            "/api/roles/compare",
            &format!("kind=Role&left={admin_role}&right={viewer}"),
        )
        .await;
    assert_eq!(status, 404, "{theirs}");
    assert!(!theirs.to_string().contains("contacts"), "{theirs}");
    let (status, _) = app
        .json(
            &auditor,
            "/api/roles/compare",
            &format!("kind=PermissionSet&left={admin_role}&right={viewer}"),
        )
        .await;
    assert_eq!(status, 404);
}

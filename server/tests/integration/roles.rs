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

async fn crm_matrix(app: &TestApp, client: &reqwest::Client) -> Value {
    let crm = id_of(app, "SELECT id FROM applications WHERE name = 'Acme CRM'").await;
    let (status, matrix) = app
        .json(client, "/api/roles/matrix", &format!("application={crm}"))
        .await;
    assert_eq!(status, 200, "{matrix}");
    matrix
}

fn bundle<'a>(matrix: &'a Value, name: &str) -> &'a Value {
    matrix["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_matrix_counts_members_and_flags_overloaded_roles(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let auditor = app.demo_client("auditor@northwind.example").await;
    let matrix = crm_matrix(&app, &auditor).await;
    assert_eq!(matrix["application"]["name"], "Acme CRM");
    assert_eq!(matrix["permissions"].as_array().unwrap().len(), 21);
    assert_eq!(matrix["roles"].as_array().unwrap().len(), 8);
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
    assert!(matrix["role_cells"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!([role, export])));
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
    let matrix = crm_matrix(&app, &admin).await;
    let sets: Vec<&str> = matrix["permission_sets"]
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

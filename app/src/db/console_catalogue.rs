//! The console's own catalogue (application, permissions, the five console roles),
//! kept in step with `rules::console` for an organisation.

use uuid::Uuid;

use super::applications::{insert_permission, NewPermission};
use super::Tx;
use rules::console::{ConsolePermission, ConsoleRole, CONSOLE_APPLICATION};

/// Creates or completes the console catalogue of an organisation; returns the
/// console application's id. Safe to call again.
pub async fn ensure(tx: &mut Tx<'_>, org_id: Uuid) -> sqlx::Result<Uuid> {
    let app_id: Uuid = sqlx::query_scalar(
        "INSERT INTO applications (org_id, id, name, description, is_console, allow_no_end) \
         VALUES ($1, $2, $3, 'Gatehouse itself: who may govern access', true, true) \
         ON CONFLICT (org_id) WHERE is_console DO UPDATE SET name = applications.name \
         RETURNING id",
    )
    .bind(org_id)
    .bind(Uuid::new_v4())
    .bind(CONSOLE_APPLICATION)
    .fetch_one(&mut **tx)
    .await?;

    for permission in ConsolePermission::ALL {
        let spec = permission.spec();
        let permission = NewPermission {
            resource: spec.resource,
            action: spec.action,
            risk: spec.risk,
            high_impact: spec.high_impact,
            description: spec.description,
        };
        insert_permission(tx, org_id, app_id, &permission).await?;
    }

    for role in ConsoleRole::ALL {
        let role_id: Uuid = sqlx::query_scalar(
            "INSERT INTO roles (org_id, id, application_id, name, description) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (org_id, application_id, name) DO UPDATE SET name = roles.name RETURNING id",
        )
        .bind(org_id)
        .bind(Uuid::new_v4())
        .bind(app_id)
        .bind(role.name())
        .bind(role.description())
        .fetch_one(&mut **tx)
        .await?;
        let keys: Vec<String> = role.permissions().into_iter().map(|p| p.key()).collect();
        sqlx::query(
            "INSERT INTO role_permissions (org_id, role_id, permission_id) \
             SELECT $1, $2, p.id FROM permissions p \
             WHERE p.org_id = $1 AND p.application_id = $3 AND p.resource || '.' || p.action = ANY($4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(org_id)
        .bind(role_id)
        .bind(app_id)
        .bind(&keys)
        .execute(&mut **tx)
        .await?;
    }
    Ok(app_id)
}

/// The id of a console role in an organisation.
pub async fn role_id(tx: &mut Tx<'_>, org_id: Uuid, role: ConsoleRole) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "SELECT r.id FROM roles r JOIN applications a ON a.org_id = r.org_id AND a.id = r.application_id \
         WHERE r.org_id = $1 AND a.is_console AND r.name = $2",
    )
    .bind(org_id)
    .bind(role.name())
    .fetch_one(&mut **tx)
    .await
}

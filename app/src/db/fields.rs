//! The fields of governed resources and their sensitivity; the clearances of roles,
//! permission sets and principals.

use sqlx::PgPool;
use uuid::Uuid;

use super::Tx;
use crate::model::access::{BundleClearance, FieldRow};

/// Every resource of the governed applications (from their permissions) with its
/// declared fields: application id and name, resource, and the fields (none when none
/// is declared), by application, resource and field.
pub async fn list(
    pool: &PgPool,
    org_id: Uuid,
) -> sqlx::Result<Vec<(Uuid, String, String, Vec<FieldRow>)>> {
    let resources: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT DISTINCT a.id, a.name, p.resource FROM permissions p \
           JOIN applications a ON a.org_id = p.org_id AND a.id = p.application_id \
          WHERE p.org_id = $1 AND NOT a.is_console ORDER BY a.name, p.resource",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await?;
    let fields: Vec<(Uuid, String, FieldRow)> = sqlx::query_as::<_, (Uuid, String, String, String, bool)>(
        "SELECT application_id, resource, field, sensitivity::text, special_category FROM resource_fields \
          WHERE org_id = $1 ORDER BY application_id, resource, field",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|(app, resource, field, sensitivity, special_category)| {
        (app, resource, FieldRow { field, sensitivity, special_category })
    })
    .collect();
    Ok(resources
        .into_iter()
        .map(|(app, name, resource)| {
            let declared = fields
                .iter()
                .filter(|(a, r, _)| *a == app && *r == resource)
                .map(|(_, _, f)| f.clone())
                .collect();
            (app, name, resource, declared)
        })
        .collect())
}

/// The declared fields of one resource: field, sensitivity, special category.
pub async fn of_resource(
    pool: &PgPool,
    org_id: Uuid,
    application_id: Uuid,
    resource: &str,
) -> sqlx::Result<Vec<FieldRow>> {
    sqlx::query_as(
        "SELECT field, sensitivity::text AS sensitivity, special_category FROM resource_fields \
          WHERE org_id = $1 AND application_id = $2 AND resource = $3",
    )
    .bind(org_id)
    .bind(application_id)
    .bind(resource)
    .fetch_all(pool)
    .await
}

/// Whether the application has permissions on `resource`.
pub async fn resource_exists(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    application_id: Uuid,
    resource: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT a.name FROM applications a WHERE a.org_id = $1 AND a.id = $2 AND NOT a.is_console \
           AND EXISTS (SELECT 1 FROM permissions p WHERE p.org_id = a.org_id AND p.application_id = a.id \
                       AND p.resource = $3)",
    )
    .bind(org_id)
    .bind(application_id)
    .bind(resource)
    .fetch_optional(&mut **tx)
    .await
}

/// Declares (or changes) a field; answers what it was before, if it was declared.
pub async fn set(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    (application_id, resource): (Uuid, &str),
    field: &FieldRow,
) -> sqlx::Result<Option<FieldRow>> {
    let before = sqlx::query_as(
        "SELECT field, sensitivity::text AS sensitivity, special_category FROM resource_fields \
          WHERE org_id = $1 AND application_id = $2 AND resource = $3 AND field = $4 FOR UPDATE",
    )
    .bind(org_id)
    .bind(application_id)
    .bind(resource)
    .bind(&field.field)
    .fetch_optional(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO resource_fields (org_id, application_id, resource, field, sensitivity, special_category) \
         VALUES ($1, $2, $3, $4, $5::sensitivity, $6) \
         ON CONFLICT (org_id, application_id, resource, field) DO UPDATE \
           SET sensitivity = excluded.sensitivity, special_category = excluded.special_category, updated_at = now()",
    )
    .bind(org_id)
    .bind(application_id)
    .bind(resource)
    .bind(&field.field)
    .bind(&field.sensitivity)
    .bind(field.special_category)
    .execute(&mut **tx)
    .await?;
    Ok(before)
}

/// Removes a field's declaration; answers it, if it was declared.
pub async fn remove(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    (application_id, resource): (Uuid, &str),
    field: &str,
) -> sqlx::Result<Option<FieldRow>> {
    sqlx::query_as(
        "DELETE FROM resource_fields WHERE org_id = $1 AND application_id = $2 AND resource = $3 AND field = $4 \
         RETURNING field, sensitivity::text AS sensitivity, special_category",
    )
    .bind(org_id)
    .bind(application_id)
    .bind(resource)
    .bind(field)
    .fetch_optional(&mut **tx)
    .await
}

const BUNDLES: &str = "SELECT b.id, b.kind, a.name AS application, b.name, b.clearance::text AS clearance FROM ( \
       SELECT org_id, id, application_id, name, clearance, 'role' AS kind FROM roles \
       UNION ALL \
       SELECT org_id, id, application_id, name, clearance, 'permission set' FROM permission_sets) b \
     JOIN applications a ON a.org_id = b.org_id AND a.id = b.application_id AND NOT a.is_console \
     WHERE b.org_id = $1";

/// The governed applications' roles and permission sets with their clearance.
pub async fn bundles(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Vec<BundleClearance>> {
    sqlx::query_as(&format!("{BUNDLES} ORDER BY a.name, b.kind, b.name"))
        .bind(org_id)
        .fetch_all(pool)
        .await
}

/// Sets a governed role's or permission set's clearance (`None`: the default); answers
/// the bundle as it was, if there is one.
pub async fn set_bundle_clearance(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    bundle: Uuid,
    clearance: Option<&str>,
) -> sqlx::Result<Option<BundleClearance>> {
    let before: Option<BundleClearance> = sqlx::query_as(&format!("{BUNDLES} AND b.id = $2"))
        .bind(org_id)
        .bind(bundle)
        .fetch_optional(&mut **tx)
        .await?;
    if before.is_some() {
        for table in ["roles", "permission_sets"] {
            sqlx::query(&format!(
                "UPDATE {table} SET clearance = $3::sensitivity WHERE org_id = $1 AND id = $2"
            ))
            .bind(org_id)
            .bind(bundle)
            .bind(clearance)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(before)
}

/// Sets a principal's own clearance (`None`: no limit of its own); answers its name and
/// the clearance it had, if there is such a principal.
pub async fn set_principal_clearance(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    principal: Uuid,
    clearance: Option<&str>,
) -> sqlx::Result<Option<(String, Option<String>)>> {
    sqlx::query_as(
        "UPDATE principals p SET clearance = $3::sensitivity FROM principals old \
          WHERE p.org_id = $1 AND p.id = $2 AND old.org_id = p.org_id AND old.id = p.id \
         RETURNING p.display_name, old.clearance::text",
    )
    .bind(org_id)
    .bind(principal)
    .bind(clearance)
    .fetch_optional(&mut **tx)
    .await
}

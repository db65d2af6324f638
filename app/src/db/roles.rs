use sqlx::PgPool;
use uuid::Uuid;

use super::Tx;
use crate::model::roles::{ApplicationRef, BundleKind, MatrixBundle, MatrixPermission};

/// Table names of a bundle kind: (bundle table, link table, link column).
pub fn tables(kind: BundleKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        BundleKind::Role => ("roles", "role_permissions", "role_id"),
        BundleKind::PermissionSet => (
            "permission_sets",
            "permission_set_permissions",
            "permission_set_id",
        ),
    }
}

pub async fn applications(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Vec<ApplicationRef>> {
    sqlx::query_as::<_, ApplicationRef>(
        "SELECT id, name, is_console FROM applications WHERE org_id = $1 ORDER BY is_console, name",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await
}

pub async fn permissions(
    pool: &PgPool,
    org_id: Uuid,
    application_id: Uuid,
) -> sqlx::Result<Vec<MatrixPermission>> {
    sqlx::query_as::<_, MatrixPermission>(
        "SELECT id, resource, action, risk::text AS risk, high_impact, description FROM permissions \
         WHERE org_id = $1 AND application_id = $2 ORDER BY resource, action",
    )
    .bind(org_id)
    .bind(application_id)
    .fetch_all(pool)
    .await
}

/// The bundles of an application with their member and permission counts.
pub async fn bundles(
    pool: &PgPool,
    org_id: Uuid,
    application_id: Uuid,
    kind: BundleKind,
) -> sqlx::Result<Vec<MatrixBundle>> {
    let (table, link, column) = tables(kind);
    sqlx::query_as::<_, MatrixBundle>(&format!(
        "SELECT b.id, b.name, b.description, \
           (SELECT count(DISTINCT g.principal_id) FROM grants g WHERE g.org_id = b.org_id AND g.{column} = b.id \
              AND g.revoked_at IS NULL AND g.valid_from <= now() AND (g.valid_until IS NULL OR g.valid_until > now())) AS members, \
           coalesce(c.permissions, 0) AS permissions, coalesce(c.high_impact, 0) AS high_impact \
         FROM {table} b \
         LEFT JOIN (SELECT l.{column} AS id, count(*) AS permissions, count(*) FILTER (WHERE p.high_impact) AS high_impact \
                      FROM {link} l JOIN permissions p ON p.org_id = l.org_id AND p.id = l.permission_id \
                     WHERE l.org_id = $1 AND p.application_id = $2 GROUP BY l.{column}) c ON c.id = b.id \
         WHERE b.org_id = $1 AND b.application_id = $2 ORDER BY b.name"
    ))
    .bind(org_id)
    .bind(application_id)
    .fetch_all(pool)
    .await
}

/// The ticked cells among `permissions`: (bundle, permission) pairs.
pub async fn cells(
    pool: &PgPool,
    org_id: Uuid,
    application_id: Uuid,
    kind: BundleKind,
    permissions: &[Uuid],
) -> sqlx::Result<Vec<(Uuid, Uuid)>> {
    let (table, link, column) = tables(kind);
    sqlx::query_as(&format!(
        "SELECT l.{column}, l.permission_id FROM {link} l JOIN {table} b ON b.org_id = l.org_id AND b.id = l.{column} \
         WHERE l.org_id = $1 AND b.application_id = $2 AND l.permission_id = ANY($3)"
    ))
    .bind(org_id)
    .bind(application_id)
    .bind(permissions)
    .fetch_all(pool)
    .await
}

/// Each of `bundles` that is the organisation's, with the key (`resource.action`) of
/// each permission it holds (none, for a bundle that holds nothing).
pub async fn held_keys(
    pool: &PgPool,
    org_id: Uuid,
    kind: BundleKind,
    bundles: &[Uuid],
) -> sqlx::Result<Vec<(Uuid, Option<String>)>> {
    let (table, link, column) = tables(kind);
    sqlx::query_as(&format!(
        "SELECT b.id, p.resource || '.' || p.action FROM {table} b \
         LEFT JOIN {link} l ON l.org_id = b.org_id AND l.{column} = b.id \
         LEFT JOIN permissions p ON p.org_id = l.org_id AND p.id = l.permission_id \
         WHERE b.org_id = $1 AND b.id = ANY($2)"
    ))
    .bind(org_id)
    .bind(bundles)
    .fetch_all(pool)
    .await
}

/// A bundle with the application it belongs to, locked for the transaction.
#[derive(Debug, sqlx::FromRow)]
pub struct BundleRow {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub application_id: Uuid,
    pub is_console: bool,
}

pub async fn bundle_for_update(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    kind: BundleKind,
    id: Uuid,
) -> sqlx::Result<Option<BundleRow>> {
    let (table, _, _) = tables(kind);
    sqlx::query_as::<_, BundleRow>(&format!(
        "SELECT b.id, b.name, b.description, b.application_id, a.is_console FROM {table} b \
         JOIN applications a ON a.org_id = b.org_id AND a.id = b.application_id \
         WHERE b.org_id = $1 AND b.id = $2 FOR UPDATE OF b"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

pub async fn permission_in_application(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    application_id: Uuid,
    permission_id: Uuid,
) -> sqlx::Result<Option<MatrixPermission>> {
    sqlx::query_as::<_, MatrixPermission>(
        "SELECT id, resource, action, risk::text AS risk, high_impact, description FROM permissions \
         WHERE org_id = $1 AND application_id = $2 AND id = $3",
    )
    .bind(org_id)
    .bind(application_id)
    .bind(permission_id)
    .fetch_optional(&mut **tx)
    .await
}

/// Ticks or clears a cell; returns whether anything changed.
pub async fn set_cell(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    kind: BundleKind,
    bundle_id: Uuid,
    permission_id: Uuid,
    granted: bool,
) -> sqlx::Result<bool> {
    let (_, link, column) = tables(kind);
    let sql = if granted {
        format!("INSERT INTO {link} (org_id, {column}, permission_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
    } else {
        format!("DELETE FROM {link} WHERE org_id = $1 AND {column} = $2 AND permission_id = $3")
    };
    let done = sqlx::query(&sql)
        .bind(org_id)
        .bind(bundle_id)
        .bind(permission_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Grants that reference a bundle, in force or kept for the record.
pub async fn grant_count(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    kind: BundleKind,
    id: Uuid,
) -> sqlx::Result<i64> {
    let (_, _, column) = tables(kind);
    sqlx::query_scalar(&format!(
        "SELECT count(*) FROM grants WHERE org_id = $1 AND {column} = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_one(&mut **tx)
    .await
}

/// Whether the application is the console itself (`None`: no such application).
pub async fn application_is_console(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    application_id: Uuid,
) -> sqlx::Result<Option<bool>> {
    sqlx::query_scalar("SELECT is_console FROM applications WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(application_id)
        .fetch_optional(&mut **tx)
        .await
}

/// Adds a role or permission set to an application; `None` when the name is taken there.
pub async fn insert_bundle(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    kind: BundleKind,
    (application_id, name, description): (Uuid, &str, &str),
) -> sqlx::Result<Option<Uuid>> {
    let (table, _, _) = tables(kind);
    sqlx::query_scalar(&format!(
        "INSERT INTO {table} (org_id, id, application_id, name, description) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (org_id, application_id, name) DO NOTHING RETURNING id"
    ))
    .bind(org_id)
    .bind(Uuid::new_v4())
    .bind(application_id)
    .bind(name)
    .bind(description)
    .fetch_optional(&mut **tx)
    .await
}

/// Whether another bundle of the application than `except` has this name.
pub async fn name_taken(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    kind: BundleKind,
    (application_id, name): (Uuid, &str),
    except: Uuid,
) -> sqlx::Result<bool> {
    let (table, _, _) = tables(kind);
    sqlx::query_scalar(&format!(
        "SELECT EXISTS (SELECT 1 FROM {table} WHERE org_id = $1 AND application_id = $2 AND name = $3 AND id <> $4)"
    ))
    .bind(org_id)
    .bind(application_id)
    .bind(name)
    .bind(except)
    .fetch_one(&mut **tx)
    .await
}

pub async fn rename_bundle(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    kind: BundleKind,
    id: Uuid,
    (name, description): (&str, &str),
) -> sqlx::Result<()> {
    let (table, _, _) = tables(kind);
    sqlx::query(&format!(
        "UPDATE {table} SET name = $3, description = $4 WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .bind(name)
    .bind(description)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How many access requests, and how many separation-of-duties rules, name a bundle.
pub async fn requests_and_rules_naming(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM access_requests WHERE org_id = $1 AND (role_id = $2 OR permission_set_id = $2)), \
                (SELECT count(*) FROM sod_rules WHERE org_id = $1 AND conflicting_role_id = $2)",
    )
    .bind(org_id)
    .bind(id)
    .fetch_one(&mut **tx)
    .await
}

pub async fn delete_bundle(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    kind: BundleKind,
    id: Uuid,
) -> sqlx::Result<()> {
    let (table, _, _) = tables(kind);
    sqlx::query(&format!(
        "DELETE FROM {table} WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::effective::GrantedPermission;
use crate::model::principals::{GrantRow, GrantableBundle, PrincipalRow};

/// Filters already checked by the caller.
#[derive(Debug, Clone, Default)]
pub struct PrincipalFilter {
    pub search: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub account: Option<Uuid>,
    pub dormant_before: Option<DateTime<Utc>>,
}

const SELECT_PRINCIPALS: &str = "SELECT p.id, p.kind::text AS kind, p.display_name, p.email, p.external_id, p.status::text AS status, \
       p.employment_type::text AS employment_type, p.job_title, coalesce(m.display_name, o.display_name) AS responsible, \
       (SELECT string_agg(a.name, ', ' ORDER BY a.name) FROM principal_accounts pa \
          JOIN accounts a ON a.org_id = pa.org_id AND a.id = pa.account_id \
          WHERE pa.org_id = p.org_id AND pa.principal_id = p.id) AS accounts, \
       p.last_activity_at, p.end_date \
     FROM principals p \
     LEFT JOIN principals m ON m.org_id = p.org_id AND m.id = p.manager_id \
     LEFT JOIN principals o ON o.org_id = p.org_id AND o.id = p.owner_id \
     WHERE p.org_id = $1";

/// One page of principals; `sort` is one of the known column names.
pub async fn list(
    pool: &PgPool,
    org_id: Uuid,
    filter: &PrincipalFilter,
    sort: &str,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<PrincipalRow>> {
    let order = match sort {
        "last_activity" => "p.last_activity_at DESC NULLS LAST, p.id",
        "end_date" => "p.end_date NULLS LAST, p.id",
        _ => "p.display_name, p.id",
    };
    sqlx::query_as::<_, PrincipalRow>(&format!(
        "{SELECT_PRINCIPALS} \
           AND ($2::text IS NULL OR p.display_name ILIKE '%' || $2 || '%' OR p.email ILIKE '%' || $2 || '%' \
                OR p.external_id ILIKE '%' || $2 || '%') \
           AND ($3::text IS NULL OR p.kind::text = $3) \
           AND ($4::text IS NULL OR p.status::text = $4) \
           AND ($5::uuid IS NULL OR EXISTS (SELECT 1 FROM principal_accounts pa WHERE pa.org_id = p.org_id \
                AND pa.principal_id = p.id AND pa.account_id = $5)) \
           AND ($6::timestamptz IS NULL OR p.last_activity_at IS NULL OR p.last_activity_at < $6) \
         ORDER BY {order} LIMIT $7 OFFSET $8"
    ))
    .bind(org_id)
    .bind(filter.search.as_deref())
    .bind(filter.kind.as_deref())
    .bind(filter.status.as_deref())
    .bind(filter.account)
    .bind(filter.dormant_before)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
}

pub async fn one(pool: &PgPool, org_id: Uuid, id: Uuid) -> sqlx::Result<Option<PrincipalRow>> {
    sqlx::query_as::<_, PrincipalRow>(&format!("{SELECT_PRINCIPALS} AND p.id = $2"))
        .bind(org_id)
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn grants(
    pool: &PgPool,
    org_id: Uuid,
    principal_id: Uuid,
) -> sqlx::Result<Vec<GrantRow>> {
    sqlx::query_as::<_, GrantRow>(
        "SELECT g.id, coalesce(r.name, ps.name) AS bundle, \
                CASE WHEN g.role_id IS NOT NULL THEN 'role' ELSE 'permission set' END AS bundle_kind, \
                ap.name AS application, ac.name AS account, g.valid_from, g.valid_until, g.conditions, \
                gb.display_name AS granted_by, g.reason, g.source_request_id, g.revoked_at, g.revoke_reason \
         FROM grants g \
         LEFT JOIN roles r ON r.org_id = g.org_id AND r.id = g.role_id \
         LEFT JOIN permission_sets ps ON ps.org_id = g.org_id AND ps.id = g.permission_set_id \
         JOIN applications ap ON ap.org_id = g.org_id AND ap.id = coalesce(r.application_id, ps.application_id) \
         LEFT JOIN accounts ac ON ac.org_id = g.org_id AND ac.id = g.account_id \
         LEFT JOIN principals gb ON gb.org_id = g.org_id AND gb.id = g.granted_by \
         WHERE g.org_id = $1 AND g.principal_id = $2 \
         ORDER BY ap.name, bundle, ac.name NULLS FIRST",
    )
    .bind(org_id)
    .bind(principal_id)
    .fetch_all(pool)
    .await
}

/// Every (grant, permission) pair of a principal's unrevoked grants, across applications;
/// the permission is named by its id.
pub async fn granted_permissions(
    pool: &PgPool,
    org_id: Uuid,
    principal_id: Uuid,
) -> sqlx::Result<Vec<GrantedPermission>> {
    sqlx::query_as::<_, GrantedPermission>(
        "SELECT g.id AS grant_id, g.account_id, g.valid_from, g.valid_until, g.revoked_at, \
                p.id::text AS permission \
         FROM grants g \
         LEFT JOIN role_permissions rp ON rp.org_id = g.org_id AND rp.role_id = g.role_id \
         LEFT JOIN permission_set_permissions psp ON psp.org_id = g.org_id AND psp.permission_set_id = g.permission_set_id \
         JOIN permissions p ON p.org_id = g.org_id AND p.id = coalesce(rp.permission_id, psp.permission_id) \
         WHERE g.org_id = $1 AND g.principal_id = $2 AND g.revoked_at IS NULL",
    )
    .bind(org_id)
    .bind(principal_id)
    .fetch_all(pool)
    .await
}

/// Names needed to show effective permissions: permission id → (application, key, high impact).
pub async fn permission_labels(
    pool: &PgPool,
    org_id: Uuid,
    ids: &[Uuid],
) -> sqlx::Result<Vec<(Uuid, String, String, bool)>> {
    sqlx::query_as(
        "SELECT p.id, a.name, p.resource || '.' || p.action, p.high_impact FROM permissions p \
         JOIN applications a ON a.org_id = p.org_id AND a.id = p.application_id \
         WHERE p.org_id = $1 AND p.id = ANY($2)",
    )
    .bind(org_id)
    .bind(ids)
    .fetch_all(pool)
    .await
}

pub async fn grantable(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Vec<GrantableBundle>> {
    sqlx::query_as::<_, GrantableBundle>(
        "SELECT b.id, b.kind, a.name AS application, b.name FROM ( \
           SELECT org_id, id, application_id, name, 'role' AS kind FROM roles WHERE org_id = $1 \
           UNION ALL \
           SELECT org_id, id, application_id, name, 'permission set' FROM permission_sets WHERE org_id = $1) b \
         JOIN applications a ON a.org_id = b.org_id AND a.id = b.application_id \
         ORDER BY a.is_console, a.name, b.kind, b.name",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await
}

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::Tx;
use crate::model::principals::{GrantRow, GrantableBundle, PrincipalRow};
use rules::effective::GrantedPermission;
use rules::principals::PrincipalStatus;

/// Filters already checked by the caller.
#[derive(Debug, Clone, Default)]
pub struct PrincipalFilter {
    pub search: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub account: Option<Uuid>,
    pub dormant_before: Option<DateTime<Utc>>,
    /// Only principals of one of these accounts (`None`: every principal).
    pub within: Option<Vec<Uuid>>,
}

/// The list's columns, over `source`: the principals table or one page of it, as `p`;
/// the accounts named are those in `shown` (an SQL array of ids, NULL for all).
fn select_principals(source: &str, shown: &str) -> String {
    format!(
        "SELECT p.id, p.kind::text AS kind, p.display_name, p.email, p.external_id, p.status::text AS status, \
           p.employment_type::text AS employment_type, p.job_title, coalesce(m.display_name, o.display_name) AS responsible, \
           coalesce(m.email, o.email) AS responsible_email, \
           (SELECT string_agg(a.name, ', ' ORDER BY a.name) FROM principal_accounts pa \
              JOIN accounts a ON a.org_id = pa.org_id AND a.id = pa.account_id \
              WHERE pa.org_id = p.org_id AND pa.principal_id = p.id \
                AND ({shown} IS NULL OR pa.account_id = ANY({shown}))) AS accounts, \
           p.last_activity_at, p.end_date, p.clearance::text AS clearance \
         FROM {source} p \
         LEFT JOIN principals m ON m.org_id = p.org_id AND m.id = p.manager_id \
         LEFT JOIN principals o ON o.org_id = p.org_id AND o.id = p.owner_id"
    )
}

/// One page of principals; `sort` is one of the known column names. Only the filters
/// in use reach the SQL, and the page is chosen first, so that names and accounts are
/// looked up for its rows only.
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
    let mut q = QueryBuilder::<Postgres>::new("WITH shown AS (SELECT ");
    q.push_bind(&filter.within)
        .push("::uuid[] AS ids), page AS (SELECT p.* FROM principals p WHERE p.org_id = ")
        .push_bind(org_id);
    if let Some(search) = &filter.search {
        let pattern = format!("%{}%", super::like_escape(search));
        q.push(" AND p.search_text LIKE lower(")
            .push_bind(pattern)
            .push(")");
    }
    if let Some(kind) = &filter.kind {
        q.push(" AND p.kind = ")
            .push_bind(kind)
            .push("::principal_kind");
    }
    if let Some(status) = &filter.status {
        q.push(" AND p.status = ")
            .push_bind(status)
            .push("::principal_status");
    }
    if let Some(account) = filter.account {
        q.push(" AND EXISTS (SELECT 1 FROM principal_accounts pa WHERE pa.org_id = p.org_id AND pa.principal_id = p.id AND pa.account_id = ")
            .push_bind(account)
            .push(")");
    }
    if let Some(within) = &filter.within {
        q.push(" AND EXISTS (SELECT 1 FROM principal_accounts pa WHERE pa.org_id = p.org_id AND pa.principal_id = p.id AND pa.account_id = ANY(")
            .push_bind(within)
            .push("))");
    }
    if let Some(before) = filter.dormant_before {
        q.push(" AND (p.last_activity_at IS NULL OR p.last_activity_at < ")
            .push_bind(before)
            .push(")");
    }
    q.push(format!(" ORDER BY {order} LIMIT "))
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset)
        .push(format!(
            ") {} ORDER BY {order}",
            select_principals("page", "(SELECT ids FROM shown)::uuid[]")
        ));
    // A search's share of the rows depends on its text: planned once for every text
    // (the plan a prepared statement settles on), the planner takes it for a handful
    // and reads the accounts once per principal. Unprepared, each search is planned
    // for its own text.
    q.build_query_as::<PrincipalRow>()
        .persistent(filter.search.is_none())
        .fetch_all(pool)
        .await
}

/// One principal, naming the accounts of it `within` lists (`None`: all of them).
pub async fn one(
    pool: &PgPool,
    org_id: Uuid,
    id: Uuid,
    within: Option<&[Uuid]>,
) -> sqlx::Result<Option<PrincipalRow>> {
    sqlx::query_as::<_, PrincipalRow>(&format!(
        "{} WHERE p.org_id = $1 AND p.id = $2",
        select_principals("principals", "$3::uuid[]")
    ))
    .bind(org_id)
    .bind(id)
    .bind(within)
    .fetch_optional(pool)
    .await
}

/// A principal's grants; with `within`, only those of every account or of one of these.
pub async fn grants(
    pool: &PgPool,
    org_id: Uuid,
    principal_id: Uuid,
    within: Option<&[Uuid]>,
) -> sqlx::Result<Vec<GrantRow>> {
    sqlx::query_as::<_, GrantRow>(
        "SELECT g.id, coalesce(r.name, ps.name) AS bundle, \
                CASE WHEN g.role_id IS NOT NULL THEN 'role' ELSE 'permission set' END AS bundle_kind, \
                ap.name AS application, ac.name AS account, g.valid_from, g.valid_until, g.conditions, \
                gb.display_name AS granted_by, g.reason, g.source_request_id, g.revoked_at, g.revoke_reason, \
                br.name AS birthright_rule, \
                (SELECT k.name FROM package_assignments pa JOIN access_packages k ON k.org_id = pa.org_id AND k.id = pa.package_id \
                 WHERE pa.org_id = g.org_id AND pa.id = g.package_assignment_id) AS package, \
                (SELECT min(c.due_on) FROM review_items i JOIN review_campaigns c ON c.org_id = i.org_id AND c.id = i.campaign_id \
                 WHERE i.org_id = g.org_id AND i.grant_id = g.id AND c.closed_at IS NULL \
                   AND (c.mover_id IS NOT NULL OR c.package_assignment_id IS NOT NULL)) AS removal_due \
         FROM grants g \
         LEFT JOIN birthright_rules br ON br.org_id = g.org_id AND br.id = g.birthright_rule_id \
         LEFT JOIN roles r ON r.org_id = g.org_id AND r.id = g.role_id \
         LEFT JOIN permission_sets ps ON ps.org_id = g.org_id AND ps.id = g.permission_set_id \
         JOIN applications ap ON ap.org_id = g.org_id AND ap.id = coalesce(r.application_id, ps.application_id) \
         LEFT JOIN accounts ac ON ac.org_id = g.org_id AND ac.id = g.account_id \
         LEFT JOIN principals gb ON gb.org_id = g.org_id AND gb.id = g.granted_by \
         WHERE g.org_id = $1 AND g.principal_id = $2 \
           AND ($3::uuid[] IS NULL OR g.account_id IS NULL OR g.account_id = ANY($3)) \
         ORDER BY ap.name, bundle, ac.name NULLS FIRST",
    )
    .bind(org_id)
    .bind(principal_id)
    .bind(within)
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
    let rows = sqlx::query_as::<_, super::GrantedRow>(
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
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
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

pub async fn assigned_accounts(
    pool: &PgPool,
    org_id: Uuid,
    principal_id: Uuid,
) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as(
        "SELECT a.id, a.name FROM principal_accounts pa JOIN accounts a ON a.org_id = pa.org_id AND a.id = pa.account_id \
         WHERE pa.org_id = $1 AND pa.principal_id = $2 ORDER BY a.name",
    )
    .bind(org_id)
    .bind(principal_id)
    .fetch_all(pool)
    .await
}

/// A principal's editable attributes, locked for the rest of the transaction.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Editable {
    pub kind: String,
    pub display_name: String,
    pub job_title: String,
    pub employment_type: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: PrincipalStatus,
    pub responsible_id: Option<Uuid>,
    pub responsible_email: Option<String>,
    pub end_date: Option<NaiveDate>,
}

pub async fn editable_for_update(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Editable>> {
    sqlx::query_as::<_, Editable>(
        "SELECT p.kind::text AS kind, p.display_name, p.job_title, p.employment_type::text AS employment_type, \
                p.status::text AS status, coalesce(p.manager_id, p.owner_id) AS responsible_id, \
                r.email AS responsible_email, p.end_date \
         FROM principals p LEFT JOIN principals r ON r.org_id = p.org_id AND r.id = coalesce(p.manager_id, p.owner_id) \
         WHERE p.org_id = $1 AND p.id = $2 FOR UPDATE OF p",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// The person with this email (not offboarded): (id, kind).
pub async fn by_email(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    email: &str,
) -> sqlx::Result<Option<(Uuid, String)>> {
    sqlx::query_as(
        "SELECT id, kind::text FROM principals WHERE org_id = $1 AND email = $2 AND status <> 'offboarded'",
    )
        .bind(org_id)
        .bind(email)
        .fetch_optional(&mut **tx)
        .await
}

/// Whether `principal` is `manager` or appears above it in its chain of managers.
pub async fn manages_through(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    principal: Uuid,
    manager: Uuid,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "WITH RECURSIVE chain (id) AS ( \
           SELECT $3::uuid \
           UNION SELECT p.manager_id FROM principals p JOIN chain c ON p.org_id = $1 AND p.id = c.id \
           WHERE p.manager_id IS NOT NULL) \
         SELECT EXISTS (SELECT 1 FROM chain WHERE id = $2)",
    )
    .bind(org_id)
    .bind(principal)
    .bind(manager)
    .fetch_one(&mut **tx)
    .await
}

pub async fn update_attributes(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    edit: &Editable,
) -> sqlx::Result<()> {
    let (manager, owner) = if edit.kind == "human" {
        (edit.responsible_id, None)
    } else {
        (None, edit.responsible_id)
    };
    sqlx::query(
        "UPDATE principals SET display_name = $3, job_title = $4, employment_type = $5::employment_type, \
                manager_id = $6, owner_id = $7, end_date = $8 \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(&edit.display_name)
    .bind(&edit.job_title)
    .bind(edit.employment_type.as_deref())
    .bind(manager)
    .bind(owner)
    .bind(edit.end_date)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sets the status; suspending or offboarding also ends every live console session.
/// Answers how many sessions were ended.
pub async fn set_status(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    status: PrincipalStatus,
) -> sqlx::Result<u64> {
    sqlx::query(
        "UPDATE principals SET status = $3::principal_status WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(status.as_str())
    .execute(&mut **tx)
    .await?;
    if status == PrincipalStatus::Active {
        return Ok(0);
    }
    Ok(sqlx::query(
        "UPDATE console_sessions SET ended_at = now() WHERE org_id = $1 AND principal_id = $2 AND ended_at IS NULL",
    )
    .bind(org_id)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// Assigns or unassigns an account; answers whether anything changed.
pub async fn set_account(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    principal_id: Uuid,
    account_id: Uuid,
    assigned: bool,
) -> sqlx::Result<bool> {
    let sql = if assigned {
        "INSERT INTO principal_accounts (org_id, principal_id, account_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
    } else {
        "DELETE FROM principal_accounts WHERE org_id = $1 AND principal_id = $2 AND account_id = $3"
    };
    Ok(sqlx::query(sql)
        .bind(org_id)
        .bind(principal_id)
        .bind(account_id)
        .execute(&mut **tx)
        .await?
        .rows_affected()
        > 0)
}

/// A principal to write. Kinds and employment types are the database's enum labels;
/// `since` is when it joined (now when `None`).
#[derive(Debug, Clone, Default)]
pub struct NewPrincipal<'a> {
    pub kind: &'a str,
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub employment_type: Option<&'a str>,
    pub job_title: &'a str,
    pub manager_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub end_date: Option<NaiveDate>,
    pub last_activity_at: Option<DateTime<Utc>>,
    pub since: Option<DateTime<Utc>>,
}

pub async fn insert(tx: &mut Tx<'_>, org_id: Uuid, p: &NewPrincipal<'_>) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO principals (org_id, id, kind, display_name, email, external_id, employment_type, job_title, \
                                 manager_id, owner_id, end_date, last_activity_at, created_at) \
         VALUES ($1, $2, $3::principal_kind, $4, $5, $6, $7::employment_type, $8, $9, $10, $11, $12, \
                 coalesce($13, now())) RETURNING id",
    )
    .bind(org_id)
    .bind(Uuid::new_v4())
    .bind(p.kind)
    .bind(p.display_name)
    .bind(p.email)
    .bind(p.external_id)
    .bind(p.employment_type)
    .bind(p.job_title)
    .bind(p.manager_id)
    .bind(p.owner_id)
    .bind(p.end_date)
    .bind(p.last_activity_at)
    .bind(p.since)
    .fetch_one(&mut **tx)
    .await
}

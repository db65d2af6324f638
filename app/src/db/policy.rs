//! What a decision reads: the principals asked about, their grants that hold the asked
//! permissions, the accounts named, and the organisation's policy version.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use rules::principals::PrincipalStatus;

/// A principal as a decision needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Subject {
    pub id: Uuid,
    pub display_name: String,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub kind: String,
    pub employment_type: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: PrincipalStatus,
    pub end_date: Option<NaiveDate>,
    pub attributes: serde_json::Value,
    /// Its own clearance, if it has one.
    pub clearance: Option<String>,
}

const SUBJECTS: &str = "SELECT id, display_name, email, external_id, kind::text AS kind, \
        employment_type::text AS employment_type, status::text AS status, end_date, attributes, \
        clearance::text AS clearance \
     FROM principals";

/// The principals named by id, or by email (any case) or external id: of those, only
/// people not offboarded (an offboarded person's names may be someone's again).
pub async fn principals(
    pool: &PgPool,
    org_id: Uuid,
    ids: &[Uuid],
    names: &[String],
) -> sqlx::Result<Vec<Subject>> {
    sqlx::query_as(&format!(
        "{SUBJECTS} WHERE org_id = $1 AND (id = ANY($2) \
           OR status <> 'offboarded' AND (email = ANY($3) OR external_id = ANY($4)))"
    ))
    .bind(org_id)
    .bind(ids)
    .bind(names.iter().map(|n| n.to_lowercase()).collect::<Vec<_>>())
    .bind(names)
    .fetch_all(pool)
    .await
}

/// The application's permissions among `keys` (`resource.action`): id, key, high impact.
pub async fn permissions(
    pool: &PgPool,
    org_id: Uuid,
    application_id: Uuid,
    keys: &[String],
) -> sqlx::Result<Vec<(Uuid, String, bool)>> {
    sqlx::query_as(
        "SELECT id, resource || '.' || action, high_impact FROM permissions \
         WHERE org_id = $1 AND application_id = $2 AND resource || '.' || action = ANY($3)",
    )
    .bind(org_id)
    .bind(application_id)
    .bind(keys)
    .fetch_all(pool)
    .await
}

/// Every permission of the governed applications: application id, its name, and
/// `resource.action`, by application and key.
pub async fn catalogue(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Vec<(Uuid, String, String)>> {
    sqlx::query_as(
        "SELECT a.id, a.name, p.resource || '.' || p.action AS key FROM permissions p \
           JOIN applications a ON a.org_id = p.org_id AND a.id = p.application_id \
          WHERE p.org_id = $1 AND NOT a.is_console ORDER BY a.name, key",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await
}

/// A grant that holds one or more of the asked permissions.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Grant {
    pub principal_id: Uuid,
    pub id: Uuid,
    /// The application of its role or permission set.
    pub application_id: Uuid,
    pub through: String,
    pub account_id: Option<Uuid>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub conditions: serde_json::Value,
    /// The asked permissions it holds, as `resource.action`; shared by the grants of one
    /// role or set.
    pub permissions: Arc<BTreeSet<String>>,
    /// Its role's or set's clearance, if it names one.
    pub clearance: Option<String>,
}

/// The grants of `principals` whose role or permission set holds one of `permissions`:
/// in force, not yet started, or ended or revoked within the last 30 days (so that a
/// refusal can say which grant came close). Read as two index lookups, the grants and
/// the asked permissions of their roles and sets, joined here: joined in SQL, every
/// grant met every asked permission.
pub async fn grants(
    pool: &PgPool,
    org_id: Uuid,
    principals: &[Uuid],
    permissions: &[Uuid],
) -> sqlx::Result<Vec<Grant>> {
    let grants_sql = format!("{GRANTS} AND g.principal_id = ANY($2) {GRANTS_ORDER}");
    let bundles_sql = format!(
        "{ROLES} AND rp.permission_id = ANY($2) GROUP BY r.org_id, r.id \
         UNION ALL {SETS} AND sp.permission_id = ANY($2) GROUP BY s.org_id, s.id"
    );
    let (rows, bundles) = tokio::try_join!(
        sqlx::query_as::<_, GrantRow>(&grants_sql)
            .bind(org_id)
            .bind(principals)
            .fetch_all(pool),
        sqlx::query_as::<_, Bundle>(&bundles_sql)
            .bind(org_id)
            .bind(permissions)
            .fetch_all(pool),
    )?;
    Ok(joined(rows, bundles))
}

/// Everything the organisation's decisions read, as of one moment: the policy version,
/// every principal, account and permission of the governed applications, and every
/// grant that [`grants`] would read. Read in one repeatable-read transaction, so that
/// the version names exactly this state.
pub struct Everything {
    pub version: i64,
    pub principals: Vec<Subject>,
    pub accounts: Vec<(Uuid, String)>,
    /// Application, id, `resource.action`, high impact.
    pub permissions: Vec<(Uuid, Uuid, String, bool)>,
    pub grants: Vec<Grant>,
}

pub async fn everything(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Everything> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let version = sqlx::query_scalar("SELECT policy_version FROM organisations WHERE id = $1")
        .bind(org_id)
        .fetch_one(&mut *tx)
        .await?;
    let principals = sqlx::query_as(&format!("{SUBJECTS} WHERE org_id = $1"))
        .bind(org_id)
        .fetch_all(&mut *tx)
        .await?;
    let accounts = sqlx::query_as("SELECT id, name FROM accounts WHERE org_id = $1")
        .bind(org_id)
        .fetch_all(&mut *tx)
        .await?;
    let permissions = sqlx::query_as(
        "SELECT p.application_id, p.id, p.resource || '.' || p.action, p.high_impact \
         FROM permissions p JOIN applications a ON a.org_id = p.org_id AND a.id = p.application_id \
         WHERE p.org_id = $1 AND NOT a.is_console",
    )
    .bind(org_id)
    .fetch_all(&mut *tx)
    .await?;
    let rows = sqlx::query_as::<_, GrantRow>(&format!("{GRANTS} {GRANTS_ORDER}"))
        .bind(org_id)
        .fetch_all(&mut *tx)
        .await?;
    let bundles = sqlx::query_as::<_, Bundle>(&format!(
        "{ROLES} GROUP BY r.org_id, r.id UNION ALL {SETS} GROUP BY s.org_id, s.id"
    ))
    .bind(org_id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Everything {
        version,
        principals,
        accounts,
        permissions,
        grants: joined(rows, bundles),
    })
}

const GRANTS: &str =
    "SELECT g.principal_id, g.id, coalesce(g.role_id, g.permission_set_id) AS bundle, \
            g.account_id, g.valid_from, g.valid_until, g.revoked_at, g.conditions \
     FROM grants g \
     WHERE g.org_id = $1 \
       AND (g.revoked_at IS NULL OR g.revoked_at > now() - interval '30 days') \
       AND (g.valid_until IS NULL OR g.valid_until > now() - interval '30 days')";

/// The order reasons name grants in.
const GRANTS_ORDER: &str = "ORDER BY g.principal_id, g.valid_from, g.id";

const ROLES: &str = "SELECT r.id, r.application_id, r.name, r.clearance::text AS clearance, \
            array_agg(pm.resource || '.' || pm.action ORDER BY pm.resource, pm.action) AS keys \
     FROM role_permissions rp \
     JOIN roles r ON r.org_id = rp.org_id AND r.id = rp.role_id \
     JOIN permissions pm ON pm.org_id = rp.org_id AND pm.id = rp.permission_id \
     WHERE rp.org_id = $1";

const SETS: &str = "SELECT s.id, s.application_id, s.name, s.clearance::text AS clearance, \
            array_agg(pm.resource || '.' || pm.action ORDER BY pm.resource, pm.action) AS keys \
     FROM permission_set_permissions sp \
     JOIN permission_sets s ON s.org_id = sp.org_id AND s.id = sp.permission_set_id \
     JOIN permissions pm ON pm.org_id = sp.org_id AND pm.id = sp.permission_id \
     WHERE sp.org_id = $1";

#[derive(sqlx::FromRow)]
struct GrantRow {
    principal_id: Uuid,
    id: Uuid,
    bundle: Uuid,
    account_id: Option<Uuid>,
    valid_from: DateTime<Utc>,
    valid_until: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    conditions: serde_json::Value,
}

/// A role or permission set and its permissions (those asked, or all).
#[derive(sqlx::FromRow)]
struct Bundle {
    id: Uuid,
    application_id: Uuid,
    name: String,
    clearance: Option<String>,
    keys: Vec<String>,
}

/// Each grant with its bundle's application, name and permissions; a grant whose
/// bundle holds none of the permissions read is left out.
fn joined(rows: Vec<GrantRow>, bundles: Vec<Bundle>) -> Vec<Grant> {
    let bundles: std::collections::HashMap<Uuid, (Bundle, Arc<BTreeSet<String>>)> = bundles
        .into_iter()
        .map(|mut b| {
            let keys = Arc::new(std::mem::take(&mut b.keys).into_iter().collect());
            (b.id, (b, keys))
        })
        .collect();
    rows.into_iter()
        .filter_map(|g| {
            let (b, keys) = bundles.get(&g.bundle)?;
            Some(Grant {
                principal_id: g.principal_id,
                id: g.id,
                application_id: b.application_id,
                through: b.name.clone(),
                account_id: g.account_id,
                valid_from: g.valid_from,
                valid_until: g.valid_until,
                revoked_at: g.revoked_at,
                conditions: g.conditions,
                permissions: keys.clone(),
                clearance: b.clearance.clone(),
            })
        })
        .collect()
}

/// The accounts named by id or by name (any case): id, name.
pub async fn accounts(
    pool: &PgPool,
    org_id: Uuid,
    ids: &[Uuid],
    names: &[String],
) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as(
        "SELECT id, name FROM accounts \
         WHERE org_id = $1 AND (id = ANY($2) OR lower(name) = ANY($3))",
    )
    .bind(org_id)
    .bind(ids)
    .bind(names.iter().map(|n| n.to_lowercase()).collect::<Vec<_>>())
    .fetch_all(pool)
    .await
}

pub async fn version(pool: &PgPool, org_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT policy_version FROM organisations WHERE id = $1")
        .bind(org_id)
        .fetch_one(pool)
        .await
}

/// One grant in force and one permission it gives, with where and until when.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Held {
    pub principal_id: Uuid,
    pub principal: String,
    pub permission: String,
    pub grant_id: Uuid,
    pub through: String,
    pub account_id: Option<Uuid>,
    pub account: Option<String>,
    pub valid_until: Option<DateTime<Utc>>,
    pub conditions: serde_json::Value,
}

const HELD: &str = "SELECT g.principal_id, p.display_name AS principal, \
            pm.resource || '.' || pm.action AS permission, g.id AS grant_id, \
            coalesce(ro.name, ps.name) AS through, g.account_id, ac.name AS account, g.valid_until, g.conditions \
     FROM grants g \
     JOIN principals p ON p.org_id = g.org_id AND p.id = g.principal_id \
     LEFT JOIN roles ro ON ro.org_id = g.org_id AND ro.id = g.role_id \
     LEFT JOIN permission_sets ps ON ps.org_id = g.org_id AND ps.id = g.permission_set_id \
     LEFT JOIN role_permissions rp ON rp.org_id = g.org_id AND rp.role_id = g.role_id \
     LEFT JOIN permission_set_permissions psp ON psp.org_id = g.org_id AND psp.permission_set_id = g.permission_set_id \
     JOIN permissions pm ON pm.org_id = g.org_id AND pm.id = coalesce(rp.permission_id, psp.permission_id) \
     LEFT JOIN accounts ac ON ac.org_id = g.org_id AND ac.id = g.account_id \
     WHERE g.org_id = $1 AND pm.application_id = $2 \
       AND g.revoked_at IS NULL AND g.valid_from <= now() AND (g.valid_until IS NULL OR g.valid_until > now()) \
       AND ($3::uuid IS NULL OR g.account_id IS NULL OR g.account_id = $3)";

/// What a principal's grants in force give in the application, on `account` (its own
/// grants and those on every account) or anywhere when `None`.
pub async fn held_by(
    pool: &PgPool,
    org_id: Uuid,
    application_id: Uuid,
    account: Option<Uuid>,
    principal: Uuid,
) -> sqlx::Result<Vec<Held>> {
    sqlx::query_as(&format!(
        "{HELD} AND g.principal_id = $4 ORDER BY permission, g.valid_from, g.id"
    ))
    .bind(org_id)
    .bind(application_id)
    .bind(account)
    .bind(principal)
    .fetch_all(pool)
    .await
}

/// Who holds `permission` (`resource.action`) through a grant in force on `account`:
/// active principals not past their end date, by name; at most `limit` grants.
pub async fn holders(
    pool: &PgPool,
    org_id: Uuid,
    application_id: Uuid,
    account: Option<Uuid>,
    permission: &str,
    limit: i64,
) -> sqlx::Result<Vec<Held>> {
    sqlx::query_as(&format!(
        "{HELD} AND pm.resource || '.' || pm.action = $4 AND p.status = 'active' \
           AND (p.end_date IS NULL OR p.end_date > current_date) \
         ORDER BY p.display_name, p.id, g.id LIMIT $5"
    ))
    .bind(org_id)
    .bind(application_id)
    .bind(account)
    .bind(permission)
    .bind(limit)
    .fetch_all(pool)
    .await
}

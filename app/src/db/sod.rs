use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::Tx;
use crate::model::sod::{SodRuleRow, SodViolation};
use rules::sod::{Holding, Rule, SodMode};

/// Grants in force now, as (principal, account, permission) and (principal, account,
/// role) rows: the relation the rule checks and the violation reports read.
pub(super) const HELD_NOW: &str = "SELECT g.org_id, g.principal_id, g.account_id, coalesce(rp.permission_id, psp.permission_id) AS permission_id, \
              NULL::uuid AS role_id, g.id AS grant_id \
       FROM grants g \
       LEFT JOIN role_permissions rp ON rp.org_id = g.org_id AND rp.role_id = g.role_id \
       LEFT JOIN permission_set_permissions psp ON psp.org_id = g.org_id AND psp.permission_set_id = g.permission_set_id \
       WHERE g.org_id = $1 AND g.revoked_at IS NULL AND g.valid_from <= now() \
         AND (g.valid_until IS NULL OR g.valid_until > now()) \
         AND coalesce(rp.permission_id, psp.permission_id) IS NOT NULL \
       UNION ALL \
       SELECT g.org_id, g.principal_id, g.account_id, NULL, g.role_id, g.id FROM grants g \
       WHERE g.org_id = $1 AND g.role_id IS NOT NULL AND g.revoked_at IS NULL AND g.valid_from <= now() \
         AND (g.valid_until IS NULL OR g.valid_until > now())";

#[derive(sqlx::FromRow)]
struct RuleColumns {
    id: Uuid,
    name: String,
    mode: String,
    permission_id: Uuid,
    conflicting_permission_id: Option<Uuid>,
    conflicting_role_id: Option<Uuid>,
}

/// The organisation's rules, for checking requests.
pub async fn rules(db: impl PgExecutor<'_>, org_id: Uuid) -> sqlx::Result<Vec<Rule>> {
    let rows = sqlx::query_as::<_, RuleColumns>(
        "SELECT id, name, mode::text AS mode, permission_id, conflicting_permission_id, conflicting_role_id \
         FROM sod_rules WHERE org_id = $1 ORDER BY name",
    )
    .bind(org_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Rule {
            id: r.id,
            name: r.name,
            mode: SodMode::parse(&r.mode).unwrap_or(SodMode::Block),
            permission: r.permission_id,
            conflicting: match (r.conflicting_permission_id, r.conflicting_role_id) {
                (Some(p), _) => Holding::Permission(p),
                (None, r) => Holding::Role(r.unwrap_or_default()),
            },
        })
        .collect())
}

/// What a principal holds now, with each holding's account scope; without what
/// `except_grant` gives (the grant a renewal would carry on).
pub async fn held(
    db: impl PgExecutor<'_>,
    org_id: Uuid,
    principal: Uuid,
    except_grant: Option<Uuid>,
) -> sqlx::Result<Vec<(Option<Uuid>, Holding)>> {
    let rows: Vec<(Option<Uuid>, Option<Uuid>, Option<Uuid>)> = sqlx::query_as(&format!(
        "WITH held AS ({HELD_NOW}) SELECT DISTINCT account_id, permission_id, role_id FROM held \
         WHERE principal_id = $2 AND grant_id IS DISTINCT FROM $3"
    ))
    .bind(org_id)
    .bind(principal)
    .bind(except_grant)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().filter_map(holding).collect())
}

/// What granting a role or permission set gives: its permissions, and the role itself.
pub async fn bundle_holdings(
    db: impl PgExecutor<'_>,
    org_id: Uuid,
    bundle: Uuid,
) -> sqlx::Result<Vec<Holding>> {
    let rows: Vec<(Option<Uuid>, Option<Uuid>, Option<Uuid>)> = sqlx::query_as(
        "SELECT NULL::uuid, permission_id, NULL::uuid FROM role_permissions WHERE org_id = $1 AND role_id = $2 \
         UNION ALL SELECT NULL, permission_id, NULL FROM permission_set_permissions WHERE org_id = $1 AND permission_set_id = $2 \
         UNION ALL SELECT NULL, NULL, id FROM roles WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(bundle)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(holding)
        .map(|(_, h)| h)
        .collect())
}

fn holding(
    (account, permission, role): (Option<Uuid>, Option<Uuid>, Option<Uuid>),
) -> Option<(Option<Uuid>, Holding)> {
    match (permission, role) {
        (Some(p), _) => Some((account, Holding::Permission(p))),
        (None, Some(r)) => Some((account, Holding::Role(r))),
        (None, None) => None,
    }
}

/// The rules with their sides named, for the rules page.
pub async fn list(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Vec<SodRuleRow>> {
    sqlx::query_as::<_, SodRuleRow>(
        "SELECT s.id, s.name, s.description, s.mode::text AS mode, \
                a.name || ': ' || p.resource || '.' || p.action AS permission, \
                coalesce(ca.name || ': ' || cp.resource || '.' || cp.action, ra.name || ': role ' || r.name) AS conflicting, \
                s.created_at \
         FROM sod_rules s \
         JOIN permissions p ON p.org_id = s.org_id AND p.id = s.permission_id \
         JOIN applications a ON a.org_id = p.org_id AND a.id = p.application_id \
         LEFT JOIN permissions cp ON cp.org_id = s.org_id AND cp.id = s.conflicting_permission_id \
         LEFT JOIN applications ca ON ca.org_id = cp.org_id AND ca.id = cp.application_id \
         LEFT JOIN roles r ON r.org_id = s.org_id AND r.id = s.conflicting_role_id \
         LEFT JOIN applications ra ON ra.org_id = r.org_id AND ra.id = r.application_id \
         WHERE s.org_id = $1 ORDER BY s.name",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await
}

/// Each (rule, principal, account) broken in `held`: the principal holds the rule's
/// permission and its conflicting permission or role on the same account (or one of
/// them on every account).
pub(super) const BROKEN: &str = "SELECT DISTINCT s.id AS rule_id, x.principal_id, \
       CASE WHEN x.account_id IS NULL THEN y.account_id ELSE x.account_id END AS account_id \
     FROM sod_rules s \
     JOIN held x ON x.permission_id = s.permission_id \
     JOIN held y ON y.principal_id = x.principal_id \
                AND (x.account_id IS NULL OR y.account_id IS NULL OR x.account_id = y.account_id) \
                AND (y.permission_id = s.conflicting_permission_id OR y.role_id = s.conflicting_role_id) \
     WHERE s.org_id = $1";

/// Principals who hold both sides of a rule on the same account right now (the first
/// 500; the hygiene report pages through all of them).
pub async fn violations(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Vec<SodViolation>> {
    sqlx::query_as::<_, SodViolation>(&format!(
        "WITH held AS ({HELD_NOW}), broken AS ({BROKEN}) \
         SELECT b.rule_id, s.name AS rule, s.mode::text AS mode, b.principal_id, p.display_name AS principal, \
                p.kind::text AS principal_kind, ac.name AS account \
         FROM broken b \
         JOIN sod_rules s ON s.org_id = $1 AND s.id = b.rule_id \
         JOIN principals p ON p.org_id = $1 AND p.id = b.principal_id \
         LEFT JOIN accounts ac ON ac.org_id = $1 AND ac.id = b.account_id \
         ORDER BY s.name, p.display_name, ac.name NULLS FIRST LIMIT 500"
    ))
    .bind(org_id)
    .fetch_all(pool)
    .await
}

/// The rules each of `principals` breaks now, as (principal, rule name), by principal.
pub async fn broken_by(
    pool: &PgPool,
    org_id: Uuid,
    principals: &[Uuid],
) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as(&format!(
        "WITH held AS (SELECT * FROM ({HELD_NOW}) h WHERE h.principal_id = ANY($2)), broken AS ({BROKEN}) \
         SELECT DISTINCT b.principal_id, s.name FROM broken b \
         JOIN sod_rules s ON s.org_id = $1 AND s.id = b.rule_id ORDER BY 1, 2"
    ))
    .bind(org_id)
    .bind(principals)
    .fetch_all(pool)
    .await
}

pub struct NewRule<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub permission: Uuid,
    pub conflicting: Holding,
    pub mode: SodMode,
    pub created_by: Option<Uuid>,
}

/// Adds a rule; None when the name is taken.
pub async fn insert(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    rule: &NewRule<'_>,
) -> sqlx::Result<Option<Uuid>> {
    let (permission, role) = match rule.conflicting {
        Holding::Permission(p) => (Some(p), None),
        Holding::Role(r) => (None, Some(r)),
    };
    sqlx::query_scalar(
        "INSERT INTO sod_rules (org_id, id, name, description, permission_id, conflicting_permission_id, \
                                conflicting_role_id, mode, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::sod_mode, $9) \
         ON CONFLICT (org_id, name) DO NOTHING RETURNING id",
    )
    .bind(org_id)
    .bind(Uuid::new_v4())
    .bind(rule.name)
    .bind(rule.description)
    .bind(rule.permission)
    .bind(permission)
    .bind(role)
    .bind(rule.mode.as_str())
    .bind(rule.created_by)
    .fetch_optional(&mut **tx)
    .await
}

/// Removes a rule; answers its name, or None when there is no such rule.
pub async fn delete(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("DELETE FROM sod_rules WHERE org_id = $1 AND id = $2 RETURNING name")
        .bind(org_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// How a rule's side reads ("Application: resource.action" or "role Application: Name"),
/// or None when the organisation has no such permission or role.
pub async fn label(pool: &PgPool, org_id: Uuid, side: Holding) -> sqlx::Result<Option<String>> {
    let (sql, id) = match side {
        Holding::Permission(id) => (
            "SELECT a.name || ': ' || p.resource || '.' || p.action FROM permissions p \
             JOIN applications a ON a.org_id = p.org_id AND a.id = p.application_id \
             WHERE p.org_id = $1 AND p.id = $2",
            id,
        ),
        Holding::Role(id) => (
            "SELECT 'role ' || a.name || ': ' || r.name FROM roles r \
             JOIN applications a ON a.org_id = r.org_id AND a.id = r.application_id \
             WHERE r.org_id = $1 AND r.id = $2",
            id,
        ),
    };
    sqlx::query_scalar(sql)
        .bind(org_id)
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Permissions and roles a rule may name: (id, label) each, by application.
pub async fn choices(
    pool: &PgPool,
    org_id: Uuid,
) -> sqlx::Result<(Vec<(Uuid, String)>, Vec<(Uuid, String)>)> {
    let permissions = sqlx::query_as(
        "SELECT p.id, a.name || ': ' || p.resource || '.' || p.action FROM permissions p \
         JOIN applications a ON a.org_id = p.org_id AND a.id = p.application_id \
         WHERE p.org_id = $1 ORDER BY a.is_console, a.name, p.resource, p.action",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await?;
    let roles = sqlx::query_as(
        "SELECT r.id, a.name || ': ' || r.name FROM roles r \
         JOIN applications a ON a.org_id = r.org_id AND a.id = r.application_id \
         WHERE r.org_id = $1 ORDER BY a.is_console, a.name, r.name",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await?;
    Ok((permissions, roles))
}

//! Applications an organisation governs and the permissions each defines.

use uuid::Uuid;

use super::Tx;

/// An application's grant rules: the longest a grant may run, and whether a grant may
/// have no end.
#[derive(Debug, Clone, Copy)]
pub struct GrantRules {
    pub max_grant_days: Option<i32>,
    pub allow_no_end: bool,
}

pub async fn insert(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    (name, description): (&str, &str),
    rules: GrantRules,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO applications (org_id, id, name, description, max_grant_days, allow_no_end) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(org_id)
    .bind(Uuid::new_v4())
    .bind(name)
    .bind(description)
    .bind(rules.max_grant_days)
    .bind(rules.allow_no_end)
    .fetch_one(&mut **tx)
    .await
}

/// One permission an application defines: `resource.action`, its risk (`low`,
/// `medium`, `high`), whether granting it is high-impact, and what it allows.
#[derive(Debug, Clone, Copy)]
pub struct NewPermission<'a> {
    pub resource: &'a str,
    pub action: &'a str,
    pub risk: &'a str,
    pub high_impact: bool,
    pub description: &'a str,
}

/// Adds a permission to an application; `None` when it defines that one already.
pub async fn insert_permission(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    application_id: Uuid,
    p: &NewPermission<'_>,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "INSERT INTO permissions (org_id, id, application_id, resource, action, risk, high_impact, description) \
         VALUES ($1, $2, $3, $4, $5, $6::risk_level, $7, $8) \
         ON CONFLICT (org_id, application_id, resource, action) DO NOTHING RETURNING id",
    )
    .bind(org_id)
    .bind(Uuid::new_v4())
    .bind(application_id)
    .bind(p.resource)
    .bind(p.action)
    .bind(p.risk)
    .bind(p.high_impact)
    .bind(p.description)
    .fetch_optional(&mut **tx)
    .await
}

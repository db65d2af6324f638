//! Separation-of-duties rules: defining them, listing who breaks them now, and
//! checking what a grant would break before it is made.

use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::error::AppError;
use crate::model::sod::SodOverview;
use rules::audit::AuditAction;
use rules::sod::{new_conflicts, Conflict, Holding, SodMode};
use rules::validation::Name;

pub async fn overview(
    pool: &PgPool,
    org_id: Uuid,
    can_manage: bool,
) -> Result<SodOverview, AppError> {
    let (rules, violations) = tokio::try_join!(
        db::sod::list(pool, org_id),
        db::sod::violations(pool, org_id)
    )?;
    let (permissions, roles) = if can_manage {
        db::sod::choices(pool, org_id).await?
    } else {
        Default::default()
    };
    Ok(SodOverview {
        rules,
        violations,
        permissions,
        roles,
    })
}

/// The rules that granting `bundle` on `account` to `principal` would newly break. For a
/// renewal, `renewing` names the grant it carries on: what that grant gives counts as
/// not yet held, so a renewal is checked like a new request.
/// Takes a connection so that a decision can check again inside its transaction.
pub async fn conflicts(
    conn: &mut PgConnection,
    org_id: Uuid,
    principal: Uuid,
    bundle: Uuid,
    account: Option<Uuid>,
    renewing: Option<Uuid>,
) -> Result<Vec<Conflict>, AppError> {
    let rules = db::sod::rules(&mut *conn, org_id).await?;
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    let held = db::sod::held(&mut *conn, org_id, principal, renewing).await?;
    let adds = db::sod::bundle_holdings(&mut *conn, org_id, bundle).await?;
    Ok(new_conflicts(&rules, &held, account, &adds))
}

/// The form's fields: `conflicting` is `permission:<id>` or `role:<id>`.
pub struct RuleForm<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub permission: &'a str,
    pub conflicting: &'a str,
    pub mode: &'a str,
}

fn parse_conflicting(raw: &str) -> Result<Holding, AppError> {
    let refuse = || {
        AppError::invalid(
            "conflicting",
            "Choose the permission or role that must not go with the first.",
        )
    };
    let (kind, id) = raw.split_once(':').ok_or_else(refuse)?;
    let id = Uuid::parse_str(id).map_err(|_| refuse())?;
    match kind {
        "permission" => Ok(Holding::Permission(id)),
        "role" => Ok(Holding::Role(id)),
        _ => Err(refuse()),
    }
}

pub async fn create(pool: &PgPool, actor: &Actor, form: &RuleForm<'_>) -> Result<Uuid, AppError> {
    let name = Name::parse("name", "Rule name", form.name, 120)?;
    let description: String = form.description.trim().chars().take(1000).collect();
    let permission = Uuid::parse_str(form.permission.trim())
        .map_err(|_| AppError::invalid("permission", "Choose a permission."))?;
    let conflicting = parse_conflicting(form.conflicting.trim())?;
    let mode = SodMode::parse(form.mode.trim())?;
    if conflicting == Holding::Permission(permission) {
        return Err(AppError::invalid(
            "conflicting",
            "A permission cannot conflict with itself: choose another one.",
        ));
    }
    let permission_label = db::sod::label(pool, actor.org_id, Holding::Permission(permission))
        .await?
        .ok_or_else(|| AppError::invalid("permission", "Choose a permission from the list."))?;
    let conflicting_label = db::sod::label(pool, actor.org_id, conflicting)
        .await?
        .ok_or_else(|| {
            AppError::invalid("conflicting", "Choose a permission or role from the list.")
        })?;
    let mut tx = pool.begin().await?;
    let id = db::sod::insert(
        &mut tx,
        actor.org_id,
        &db::sod::NewRule {
            name: name.as_str(),
            description: &description,
            permission,
            conflicting,
            mode,
            created_by: actor.principal_id,
        },
    )
    .await?
    .ok_or_else(|| {
        AppError::invalid(
            "name",
            format!(
                "A rule named \u{201c}{}\u{201d} exists already.",
                name.as_str()
            ),
        )
    })?;
    db::audit::record(
        &mut tx,
        actor,
        Change::on(AuditAction::SodRuleCreated, id, name.as_str().to_string()).after(json!({
            "name": name.as_str(), "description": description, "permission": permission_label,
            "conflicting": conflicting_label, "mode": mode.as_str(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn delete(pool: &PgPool, actor: &Actor, id: Uuid) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let name = db::sod::delete(&mut tx, actor.org_id, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That rule no longer exists.".into()))?;
    db::audit::record(
        &mut tx,
        actor,
        Change::on(AuditAction::SodRuleDeleted, id, name.clone()).before(json!({ "name": name })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

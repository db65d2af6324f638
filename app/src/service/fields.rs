//! The fields of governed resources and their sensitivity, and the clearances of roles,
//! permission sets and principals: what `/api/v1/filter` lets a reader see.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::error::AppError;
use crate::model::access::{FieldRow, FieldsOverview, ResourceFields};
use rules::audit::AuditAction;
use rules::policy::conditions::Sensitivity;
use rules::policy::fields::parse_field_name;

pub async fn overview(pool: &PgPool, org_id: Uuid) -> Result<FieldsOverview, AppError> {
    Ok(FieldsOverview {
        resources: db::fields::list(pool, org_id)
            .await?
            .into_iter()
            .map(
                |(application_id, application, resource, fields)| ResourceFields {
                    application_id,
                    application,
                    resource,
                    fields,
                },
            )
            .collect(),
        bundles: db::fields::bundles(pool, org_id).await?,
    })
}

/// A level as chosen in a form; blank is `None` where `blank` is allowed.
fn level(raw: &str, field: &str, blank: bool) -> Result<Option<Sensitivity>, AppError> {
    match raw.trim() {
        "" if blank => Ok(None),
        raw => Sensitivity::parse(raw).map(Some).ok_or_else(|| {
            AppError::invalid(
                field,
                "Choose public, internal, confidential or restricted.",
            )
        }),
    }
}

/// A resource as the form names it: `<application id>/<resource>`.
fn resource(raw: &str) -> Result<(Uuid, &str), AppError> {
    raw.trim()
        .split_once('/')
        .and_then(|(a, r)| Some((Uuid::parse_str(a).ok()?, r)))
        .ok_or_else(|| {
            AppError::invalid(
                "resource",
                "Choose a resource of a governed application from the list.",
            )
        })
}

/// Declares a field of a resource, or changes its sensitivity.
pub async fn classify(
    pool: &PgPool,
    actor: &Actor,
    chosen: &str,
    field: &str,
    sensitivity: &str,
    special_category: bool,
) -> Result<(), AppError> {
    let field = parse_field_name(field)?;
    let sensitivity = level(sensitivity, "sensitivity", false)?.unwrap_or(Sensitivity::Internal);
    let (application, resource) = resource(chosen)?;
    let mut tx = pool.begin().await?;
    let Some(app) =
        db::fields::resource_exists(&mut tx, actor.org_id, application, resource).await?
    else {
        return Err(AppError::invalid(
            "resource",
            "Choose a resource of a governed application from the list.",
        ));
    };
    let row = FieldRow {
        field: field.clone(),
        sensitivity: sensitivity.as_str().to_string(),
        special_category,
    };
    let before = db::fields::set(&mut tx, actor.org_id, (application, resource), &row).await?;
    let label = format!("{app} \u{2014} {resource}.{field}");
    let change = Change::about(AuditAction::FieldClassified, label).after(
        json!({ "application": app, "resource": resource, "field": field,
                       "sensitivity": row.sensitivity, "special_category": special_category }),
    );
    let change = match before {
        Some(b) => change.before(
            json!({ "sensitivity": b.sensitivity, "special_category": b.special_category }),
        ),
        None => change,
    };
    db::audit::record(&mut tx, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a field's declaration: it counts as internal again.
pub async fn unclassify(
    pool: &PgPool,
    actor: &Actor,
    chosen: &str,
    field: &str,
) -> Result<(), AppError> {
    let field = parse_field_name(field)?;
    let (application, resource) = resource(chosen)?;
    let mut tx = pool.begin().await?;
    let app = db::fields::resource_exists(&mut tx, actor.org_id, application, resource)
        .await?
        .unwrap_or_default();
    let Some(before) =
        db::fields::remove(&mut tx, actor.org_id, (application, resource), &field).await?
    else {
        return Err(AppError::NotFound("That field is not declared.".into()));
    };
    let change = Change::about(
        AuditAction::FieldUnclassified,
        format!("{app} \u{2014} {resource}.{field}"),
    )
    .before(json!({ "application": app, "resource": resource, "field": field,
                    "sensitivity": before.sensitivity, "special_category": before.special_category }));
    db::audit::record(&mut tx, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the clearance a governed role or permission set gives (blank: the default).
pub async fn set_bundle_clearance(
    pool: &PgPool,
    actor: &Actor,
    bundle: Uuid,
    clearance: &str,
) -> Result<(), AppError> {
    let clearance = level(clearance, "clearance", true)?.map(Sensitivity::as_str);
    let mut tx = pool.begin().await?;
    let Some(before) =
        db::fields::set_bundle_clearance(&mut tx, actor.org_id, bundle, clearance).await?
    else {
        return Err(AppError::NotFound(
            "There is no such role or permission set of a governed application.".into(),
        ));
    };
    let change = Change::on(
        AuditAction::BundleClearanceSet,
        bundle,
        format!("{} \u{2014} {}", before.application, before.name),
    )
    .before(json!({ "clearance": before.clearance }))
    .after(json!({ "clearance": clearance }));
    db::audit::record(&mut tx, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a principal's own clearance (blank: no limit of its own).
pub async fn set_principal_clearance(
    pool: &PgPool,
    actor: &Actor,
    principal: Uuid,
    clearance: &str,
) -> Result<(), AppError> {
    let clearance = level(clearance, "clearance", true)?.map(Sensitivity::as_str);
    let mut tx = pool.begin().await?;
    let Some((name, before)) =
        db::fields::set_principal_clearance(&mut tx, actor.org_id, principal, clearance).await?
    else {
        return Err(AppError::NotFound("There is no such principal.".into()));
    };
    let change = Change::on(AuditAction::PrincipalClearanceSet, principal, name)
        .before(json!({ "clearance": before }))
        .after(json!({ "clearance": clearance }));
    db::audit::record(&mut tx, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

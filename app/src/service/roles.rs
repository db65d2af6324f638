//! Shaping the role matrix: roles and permission sets, and which permissions they hold.
//! The console's own bundles are defined by the product and are read-only here.

use std::collections::{BTreeSet, HashMap};

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::roles::BundleRow;
use crate::db::Tx;
use crate::error::AppError;
use crate::model::roles::{
    BundleComparison, BundleKind, MatrixBundle, MatrixPermission, MatrixWindow, RoleMatrix,
};
use rules::audit::{AuditAction, BundleChange};
use rules::role_matrix::{overloaded_roles, RoleLoad};
use rules::validation::Name;

/// What a page of the matrix shows: which application (the first when none), which
/// kind of bundle, which permissions, and which two bundles it compares (the first two
/// when none, or when they are not of this application and kind).
pub struct MatrixChoice {
    pub application: Option<Uuid>,
    pub kind: BundleKind,
    pub window: MatrixWindow,
    pub compared: (Option<Uuid>, Option<Uuid>),
}

pub async fn matrix(
    pool: &PgPool,
    org_id: Uuid,
    choice: &MatrixChoice,
) -> Result<RoleMatrix, AppError> {
    let MatrixChoice {
        application,
        kind,
        ref window,
        compared,
    } = *choice;
    let applications = db::roles::applications(pool, org_id).await?;
    let chosen = match application {
        Some(id) => applications.iter().find(|a| a.id == id),
        None => applications.first(),
    };
    let Some(application) = chosen.cloned() else {
        return Err(AppError::NotFound("There is no such application.".into()));
    };
    // The member counts dominate: they are counted on one connection while the page's
    // permissions and cells are read on another.
    let bundles = db::roles::bundles(pool, org_id, application.id, kind);
    let page = async {
        let all = db::roles::permissions(pool, org_id, application.id).await?;
        let mut resources: Vec<String> = all.iter().map(|p| p.resource.clone()).collect();
        resources.dedup();
        let matching: Vec<MatrixPermission> = all.into_iter().filter(|p| window.shows(p)).collect();
        Ok::<_, sqlx::Error>((resources, matching))
    };
    let (mut bundles, (resources, matching)) = tokio::try_join!(bundles, page)?;
    if kind == BundleKind::Role {
        mark_overloaded(&mut bundles);
    }
    let per_page = MatrixWindow::per_page(bundles.len());
    let pages = matching.len().div_ceil(per_page).max(1);
    let page = (window.page.max(1) as usize).min(pages);
    let first = (page - 1) * per_page;
    let permissions: Vec<MatrixPermission> = matching
        .iter()
        .skip(first)
        .take(per_page)
        .cloned()
        .collect();
    let ids: Vec<Uuid> = permissions.iter().map(|p| p.id).collect();
    let column: HashMap<Uuid, usize> = bundles.iter().zip(0..).map(|(b, i)| (b.id, i)).collect();
    let known = |id: Option<Uuid>| id.filter(|id| column.contains_key(id));
    let pair = match (known(compared.0), known(compared.1)) {
        (Some(left), Some(right)) => Some((left, right)),
        _ => bundles
            .first()
            .zip(bundles.get(1))
            .map(|(l, r)| (l.id, r.id)),
    };
    let comparison = async {
        match pair {
            Some((left, right)) => compare(pool, org_id, kind, left, right).await.map(Some),
            None => Ok(None),
        }
    };
    let held = async {
        db::roles::cells(pool, org_id, application.id, kind, &ids)
            .await
            .map_err(AppError::from)
    };
    let (held, comparison) = tokio::try_join!(held, comparison)?;
    let row: HashMap<Uuid, usize> = ids.iter().zip(0..).map(|(p, i)| (*p, i)).collect();
    let cells = held
        .into_iter()
        .filter_map(|(b, p)| Some((*column.get(&b)?, *row.get(&p)?)))
        .collect();
    Ok(RoleMatrix {
        applications,
        application,
        kind,
        resources,
        bundles,
        permissions,
        cells,
        matching: matching.len(),
        first,
        page: page as u32,
        pages: pages as u32,
        comparison,
    })
}

/// What `left` holds that `right` lacks, what both hold, and the other way round (keys
/// in order). Both must be the organisation's bundles of that kind.
pub async fn compare(
    pool: &PgPool,
    org_id: Uuid,
    kind: BundleKind,
    left: Uuid,
    right: Uuid,
) -> Result<BundleComparison, AppError> {
    let held = db::roles::held_keys(pool, org_id, kind, &[left, right]).await?;
    let keys = |bundle: Uuid| -> Result<BTreeSet<&str>, AppError> {
        let rows: Vec<&Option<String>> = held
            .iter()
            .filter(|(b, _)| *b == bundle)
            .map(|(_, k)| k)
            .collect();
        if rows.is_empty() {
            return Err(AppError::NotFound(format!(
                "There is no such {}.",
                kind.noun()
            )));
        }
        Ok(rows.into_iter().flatten().map(String::as_str).collect())
    };
    let (a, b) = (keys(left)?, keys(right)?);
    let list = |keys: Vec<&&str>| keys.into_iter().map(|k| k.to_string()).collect();
    Ok(BundleComparison {
        left,
        right,
        only_left: list(a.difference(&b).collect()),
        both: list(a.intersection(&b).collect()),
        only_right: list(b.difference(&a).collect()),
    })
}

fn mark_overloaded(roles: &mut [MatrixBundle]) {
    let loads: Vec<RoleLoad> = roles
        .iter()
        .map(|r| RoleLoad {
            permissions: r.permissions,
            high_impact: r.high_impact,
        })
        .collect();
    for (role, overload) in roles.iter_mut().zip(overloaded_roles(&loads)) {
        role.overloaded = overload.map(|o| o.reason);
    }
}

async fn editable_bundle(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    kind: BundleKind,
    id: Uuid,
) -> Result<BundleRow, AppError> {
    let bundle = db::roles::bundle_for_update(tx, org_id, kind, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("That {} no longer exists.", kind.noun())))?;
    if bundle.is_console {
        return Err(AppError::Conflict(
            "The console's own roles are defined by Gatehouse and cannot be edited here.".into(),
        ));
    }
    Ok(bundle)
}

fn name_taken(kind: BundleKind, name: &Name) -> AppError {
    AppError::invalid(
        "name",
        format!(
            "This application already has a {} named \u{201c}{}\u{201d}.",
            kind.noun(),
            name.as_str()
        ),
    )
}

fn bundle_action(kind: BundleKind, change: BundleChange) -> AuditAction {
    AuditAction::bundle(kind == BundleKind::Role, change)
}

/// Ticks (`granted`) or clears one cell of the matrix. Returns the cell's new state.
pub async fn set_permission(
    pool: &PgPool,
    actor: &Actor,
    kind: BundleKind,
    bundle_id: Uuid,
    permission_id: Uuid,
    granted: bool,
) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    let bundle = editable_bundle(&mut tx, actor.org_id, kind, bundle_id).await?;
    let permission = db::roles::permission_in_application(
        &mut tx,
        actor.org_id,
        bundle.application_id,
        permission_id,
    )
    .await?
    .ok_or_else(|| {
        AppError::NotFound(format!(
            "That permission is not part of this {}'s application.",
            kind.noun()
        ))
    })?;
    if db::roles::set_cell(
        &mut tx,
        actor.org_id,
        kind,
        bundle_id,
        permission_id,
        granted,
    )
    .await?
    {
        let verb = if granted {
            BundleChange::PermissionAdded
        } else {
            BundleChange::PermissionRemoved
        };
        db::audit::record(
            &mut tx,
            actor,
            Change::on(bundle_action(kind, verb), bundle_id, format!("{} \u{2192} {}", bundle.name, permission.key())).before(json!({ "permission": permission.key(), "held": !granted })).after(json!({ "permission": permission.key(), "held": granted, "high_impact": permission.high_impact })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(granted)
}

pub async fn create_bundle(
    pool: &PgPool,
    actor: &Actor,
    kind: BundleKind,
    application_id: Uuid,
    name: &str,
    description: &str,
) -> Result<Uuid, AppError> {
    let name = Name::parse("name", &format!("{} name", kind.noun()), name, 80)?;
    let description = description.trim();
    let mut tx = pool.begin().await?;
    match db::roles::application_is_console(&mut tx, actor.org_id, application_id).await? {
        None => return Err(AppError::NotFound("There is no such application.".into())),
        Some(true) => {
            return Err(AppError::Conflict(
                "The console's own roles are defined by Gatehouse.".into(),
            ));
        }
        Some(false) => {}
    }
    let id = db::roles::insert_bundle(
        &mut tx,
        actor.org_id,
        kind,
        (application_id, name.as_str(), description),
    )
    .await?;
    let Some(id) = id else {
        return Err(name_taken(kind, &name));
    };
    db::audit::record(
        &mut tx,
        actor,
        Change::on(
            bundle_action(kind, BundleChange::Created),
            id,
            name.as_str().to_string(),
        )
        .after(json!({ "name": name.as_str(), "description": description })),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update_bundle(
    pool: &PgPool,
    actor: &Actor,
    kind: BundleKind,
    id: Uuid,
    name: &str,
    description: &str,
) -> Result<(), AppError> {
    let name = Name::parse("name", &format!("{} name", kind.noun()), name, 80)?;
    let description = description.trim();
    let mut tx = pool.begin().await?;
    let bundle = editable_bundle(&mut tx, actor.org_id, kind, id).await?;
    if db::roles::name_taken(
        &mut tx,
        actor.org_id,
        kind,
        (bundle.application_id, name.as_str()),
        id,
    )
    .await?
    {
        return Err(name_taken(kind, &name));
    }
    db::roles::rename_bundle(
        &mut tx,
        actor.org_id,
        kind,
        id,
        (name.as_str(), description),
    )
    .await?;
    db::audit::record(
        &mut tx,
        actor,
        Change::on(
            bundle_action(kind, BundleChange::Updated),
            id,
            name.as_str().to_string(),
        )
        .before(json!({ "name": bundle.name, "description": bundle.description }))
        .after(json!({ "name": name.as_str(), "description": description })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a bundle that no grant references; otherwise says how many do.
pub async fn delete_bundle(
    pool: &PgPool,
    actor: &Actor,
    kind: BundleKind,
    id: Uuid,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let bundle = editable_bundle(&mut tx, actor.org_id, kind, id).await?;
    let grants = db::roles::grant_count(&mut tx, actor.org_id, kind, id).await?;
    if grants > 0 {
        return Err(AppError::Conflict(format!(
            "\u{201c}{}\u{201d} cannot be deleted: {grants} grant{} still hold{} it (expired and revoked ones count, as the record of who had it). Revoke and replace them first.",
            bundle.name,
            if grants == 1 { "" } else { "s" },
            if grants == 1 { "s" } else { "" },
        )));
    }
    let (requests, rules) = db::roles::requests_and_rules_naming(&mut tx, actor.org_id, id).await?;
    if requests > 0 || rules > 0 {
        return Err(AppError::Conflict(format!(
            "\u{201c}{}\u{201d} cannot be deleted: {requests} access request(s) and {rules} separation-of-duties rule(s) name it.",
            bundle.name
        )));
    }
    db::roles::delete_bundle(&mut tx, actor.org_id, kind, id).await?;
    db::audit::record(
        &mut tx,
        actor,
        Change::on(
            bundle_action(kind, BundleChange::Deleted),
            id,
            bundle.name.clone(),
        )
        .before(json!({ "name": bundle.name, "description": bundle.description })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

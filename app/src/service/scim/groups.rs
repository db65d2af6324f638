//! Groups: the identity provider's groups of people, with their members. As for users,
//! a PATCH is applied to the group's representation and the result taken as a
//! replacement; members must be people of the organisation that SCIM sees.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use super::listing::{ListQuery, Listing};
use super::query::Resource;
use super::users::{member, text, versioned};
use super::{Provisioner, ScimFailure, GROUP};
use crate::db;
use crate::db::audit::Change;
use crate::db::scim::GroupRow;
use crate::service::birthright;
use rules::audit::AuditAction;

const READ_ONLY: &[&str] = &["id", "meta"];
/// Most members a group may have: beyond, an identity provider sends them in several
/// PATCHes (as the large ones do).
pub const MAX_MEMBERS: usize = 10_000;

pub fn to_json(row: &GroupRow, base: &str) -> Value {
    let mut group = Map::new();
    group.insert("schemas".into(), json!([GROUP]));
    group.insert("id".into(), json!(row.id));
    if let Some(x) = &row.external_id {
        group.insert("externalId".into(), json!(x));
    }
    group.insert("displayName".into(), json!(row.display_name));
    let members: Vec<Value> = row
        .members
        .iter()
        .map(|(id, name)| {
            json!({ "value": id, "display": name, "type": "User", "$ref": format!("{base}/Users/{id}") })
        })
        .collect();
    group.insert("members".into(), Value::Array(members));
    versioned(
        group,
        "Group",
        format!("{base}/Groups/{}", row.id),
        row.created_at,
        row.modified_at,
    )
}

/// What a group's representation asks for: its name, external id and members' ids.
struct GroupFields {
    display_name: String,
    external_id: Option<String>,
    members: BTreeSet<Uuid>,
}

fn fields(body: &Value) -> Result<GroupFields, ScimFailure> {
    let Value::Object(group) = body else {
        return Err(ScimFailure::invalid_syntax(
            "The body must be a JSON object: a Group.",
        ));
    };
    super::users::screened(body)?;
    let schemas_ok = matches!(member(group, "schemas"), Some(Value::Array(s))
        if s.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(GROUP))));
    if !schemas_ok {
        return Err(ScimFailure::invalid_syntax(format!(
            "schemas must list {GROUP}."
        )));
    }
    for key in group.keys() {
        if ![
            "schemas",
            "id",
            "meta",
            "externalId",
            "displayName",
            "members",
        ]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(key))
        {
            return Err(ScimFailure::invalid_syntax(format!(
                "{key} is not an attribute of a Group (displayName, externalId, members)."
            )));
        }
    }
    let display_name = text(group, "displayName", 200)?
        .ok_or_else(|| ScimFailure::invalid_value("displayName is required."))?
        .to_string();
    let external_id = text(group, "externalId", 300)?.map(str::to_string);
    let mut members = BTreeSet::new();
    match member(group, "members") {
        None => {}
        Some(Value::Array(items)) => {
            if items.len() > MAX_MEMBERS {
                return Err(ScimFailure::invalid_value(format!(
                    "A group holds at most {MAX_MEMBERS} members; send them in several PATCHes."
                )));
            }
            for item in items {
                let value = match item {
                    Value::Object(m) => text(m, "value", 100)?,
                    _ => None,
                }
                .ok_or_else(|| {
                    ScimFailure::invalid_value("Each member is {\"value\": \"<user id>\"}.")
                })?;
                let id = Uuid::parse_str(value).map_err(|_| {
                    ScimFailure::invalid_value(format!("member \"{value}\" is not a user's id."))
                })?;
                members.insert(id);
            }
        }
        Some(_) => return Err(ScimFailure::invalid_value("members must be a list.")),
    }
    Ok(GroupFields {
        display_name,
        external_id,
        members,
    })
}

/// Checks every member is a person of the organisation.
async fn check_members(
    tx: &mut db::Tx<'_>,
    org_id: Uuid,
    members: &BTreeSet<Uuid>,
) -> Result<(), ScimFailure> {
    let ids: Vec<Uuid> = members.iter().copied().collect();
    let found: BTreeSet<Uuid> = db::scim::users_among(tx, org_id, &ids)
        .await?
        .into_iter()
        .collect();
    match members.difference(&found).next() {
        Some(missing) => Err(ScimFailure::invalid_value(format!(
            "member {missing} is not a user of the organisation."
        ))),
        None => Ok(()),
    }
}

pub async fn create(
    conn: &mut PgConnection,
    who: &Provisioner,
    body: &Value,
) -> Result<Value, ScimFailure> {
    let f = fields(body)?;
    let mut tx = conn.begin().await?;
    check_members(&mut tx, who.org_id, &f.members).await?;
    let id = db::scim::insert_group(
        &mut tx,
        who.org_id,
        &f.display_name,
        f.external_id.as_deref(),
    )
    .await?;
    let members: Vec<Uuid> = f.members.iter().copied().collect();
    db::scim::change_members(&mut tx, who.org_id, id, &members, &[]).await?;
    db::audit::record(
        &mut tx,
        &who.actor(),
        Change::on(AuditAction::GroupCreated, id, f.display_name.clone())
            .after(json!({ "displayName": f.display_name, "externalId": f.external_id, "members": members.len() }))
            .because("provisioned over SCIM".to_string()),
    )
    .await?;
    let why = format!("joined the group \u{201c}{}\u{201d}", f.display_name);
    birthright::reconcile_except(&mut tx, &who.actor(), (&members, who.maker), &why).await?;
    tx.commit().await?;
    read(conn, who, id).await
}

pub async fn read(
    conn: &mut PgConnection,
    who: &Provisioner,
    id: Uuid,
) -> Result<Value, ScimFailure> {
    let row = db::scim::group(conn, who.org_id, id)
        .await?
        .ok_or_else(|| ScimFailure::new(404, None, "There is no such group."))?;
    Ok(to_json(&row, &who.base))
}

pub async fn list(
    conn: &mut PgConnection,
    who: &Provisioner,
    q: &ListQuery,
) -> Result<Value, ScimFailure> {
    let l = Listing::new(Resource::Group, q)?;
    let members = l.projection.shows("members");
    let (total, rows) = db::scim::groups(conn, who.org_id, &l.page(), members).await?;
    let resources = rows
        .iter()
        .map(|r| l.projection.apply(to_json(r, &who.base)))
        .collect();
    Ok(l.answer(total, resources))
}

pub async fn replace(
    conn: &mut PgConnection,
    who: &Provisioner,
    id: Uuid,
    body: &Value,
    if_match: Option<&str>,
) -> Result<Value, ScimFailure> {
    change(conn, who, id, if_match, |_| Ok(body.clone())).await
}

pub async fn patch(
    conn: &mut PgConnection,
    who: &Provisioner,
    id: Uuid,
    body: &Value,
    if_match: Option<&str>,
) -> Result<Value, ScimFailure> {
    let operations = super::users::patch_operations(body)?;
    change(conn, who, id, if_match, |current| {
        let mut group = current.clone();
        rules::scim::patch::apply(&mut group, &operations, READ_ONLY)?;
        Ok(group)
    })
    .await
}

async fn locked(
    tx: &mut db::Tx<'_>,
    who: &Provisioner,
    id: Uuid,
    if_match: Option<&str>,
) -> Result<(GroupRow, Value), ScimFailure> {
    let row = db::scim::group_locked(tx, who.org_id, id)
        .await?
        .ok_or_else(|| ScimFailure::new(404, None, "There is no such group."))?;
    let current = to_json(&row, &who.base);
    super::users::check_version(&current, if_match)?;
    Ok((row, current))
}

async fn change(
    conn: &mut PgConnection,
    who: &Provisioner,
    id: Uuid,
    if_match: Option<&str>,
    new: impl FnOnce(&Value) -> Result<Value, ScimFailure>,
) -> Result<Value, ScimFailure> {
    let mut tx = conn.begin().await?;
    let (row, current) = locked(&mut tx, who, id, if_match).await?;
    let f = fields(&new(&current)?)?;
    let before: BTreeSet<Uuid> = row.members.iter().map(|(id, _)| *id).collect();
    let added: Vec<Uuid> = f.members.difference(&before).copied().collect();
    let removed: Vec<Uuid> = before.difference(&f.members).copied().collect();
    check_members(&mut tx, who.org_id, &added.iter().copied().collect()).await?;
    db::scim::update_group(
        &mut tx,
        who.org_id,
        id,
        &f.display_name,
        f.external_id.as_deref(),
    )
    .await?;
    db::scim::change_members(&mut tx, who.org_id, id, &added, &removed).await?;
    db::audit::record(
        &mut tx,
        &who.actor(),
        Change::on(AuditAction::GroupUpdated, id, f.display_name.clone())
            .before(json!({ "displayName": row.display_name, "externalId": row.external_id }))
            .after(json!({
                "displayName": f.display_name, "externalId": f.external_id,
                "members_added": added, "members_removed": removed,
            }))
            .because("changed over SCIM".to_string()),
    )
    .await?;
    // Rules read groups by name: a renamed group weighs every member again.
    let touched: Vec<Uuid> = if f.display_name == row.display_name {
        added.iter().chain(&removed).copied().collect()
    } else {
        before.union(&f.members).copied().collect()
    };
    let why = format!("group \u{201c}{}\u{201d} changed over SCIM", f.display_name);
    birthright::reconcile_except(&mut tx, &who.actor(), (&touched, who.maker), &why).await?;
    tx.commit().await?;
    read(conn, who, id).await
}

pub async fn delete(
    conn: &mut PgConnection,
    who: &Provisioner,
    id: Uuid,
    if_match: Option<&str>,
) -> Result<(), ScimFailure> {
    let mut tx = conn.begin().await?;
    let (row, _) = locked(&mut tx, who, id, if_match).await?;
    db::scim::delete_group(&mut tx, who.org_id, id).await?;
    db::audit::record(
        &mut tx,
        &who.actor(),
        Change::on(AuditAction::GroupDeleted, id, row.display_name.clone())
            .before(json!({ "displayName": row.display_name, "members": row.members.len() }))
            .because("deleted over SCIM".to_string()),
    )
    .await?;
    let members: Vec<Uuid> = row.members.iter().map(|(id, _)| *id).collect();
    let why = format!(
        "group \u{201c}{}\u{201d} deleted over SCIM",
        row.display_name
    );
    birthright::reconcile_except(&mut tx, &who.actor(), (&members, who.maker), &why).await?;
    tx.commit().await?;
    Ok(())
}

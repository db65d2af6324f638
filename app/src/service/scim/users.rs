//! Users: a person as SCIM writes and reads them, and each change as one transaction
//! with its audit event. A PATCH is applied to the user's representation and the result
//! is then taken as a replacement, so both check the same things.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

use super::listing::{ListQuery, Listing};
use super::query::Resource;
use super::{Provisioner, ScimFailure, ENTERPRISE, GATEHOUSE, PATCH_OP, USER};
use crate::db;
use crate::db::audit::Change;
use crate::db::scim::{UserFields, UserRow};
use crate::error::AppError;
use crate::service::lifecycle;
use crate::service::{birthright, failsafe};
use rules::audit::AuditAction;
use rules::failsafe::Tally;
use rules::principals::PrincipalStatus;

/// Attributes a request may not change (they are ignored in a replacement, refused in a
/// PATCH).
const READ_ONLY: &[&str] = &["id", "meta", "groups"];
/// Attributes of SCIM's core schema that Gatehouse keeps as sent and answers back
/// without acting on them.
const KEPT: &[&str] = &[
    "name",
    "emails",
    "nickName",
    "profileUrl",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509Certificates",
];
/// The enterprise extension's text attributes, and the principal attribute each becomes
/// (conditions on grants and, later, birthright rules read them).
const ENTERPRISE_TEXT: &[(&str, &str)] = &[
    ("employeeNumber", "employee_number"),
    ("department", "department"),
    ("costCenter", "cost_center"),
    ("organization", "organization"),
    ("division", "division"),
];
const OWNED_ATTRIBUTES: &[&str] = &[
    "employee_number",
    "department",
    "cost_center",
    "organization",
    "division",
];
const EMPLOYMENT_TYPES: &[&str] = &["employee", "contractor", "client_user"];

/// The member of `object` named `name`, whatever its case (SCIM's names are
/// case-insensitive).
pub(super) fn member<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

pub(super) fn text<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    max: usize,
) -> Result<Option<&'a str>, ScimFailure> {
    match member(object, name) {
        None => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.trim())),
        Some(Value::String(_)) => Err(ScimFailure::invalid_value(format!(
            "{name} is longer than {max} characters."
        ))),
        Some(_) => Err(ScimFailure::invalid_value(format!(
            "{name} must be a string."
        ))),
    }
}

/// Refuses a body holding a control character anywhere (PostgreSQL cannot store NUL,
/// and the others only hide what a name says), as every input of the console is.
pub(super) fn screened(body: &Value) -> Result<(), ScimFailure> {
    match rules::validation::forbidden_in_json(body) {
        Some((field, c)) => Err(ScimFailure::invalid_value(
            rules::validation::forbidden_character_message(&field, c),
        )),
        None => Ok(()),
    }
}

/// The user's representation, with `meta` (its `version` is a hash of the rest).
pub fn to_json(row: &UserRow, base: &str) -> Value {
    let mut user = Map::new();
    user.insert("schemas".into(), json!([USER, ENTERPRISE, GATEHOUSE]));
    user.insert("id".into(), json!(row.id));
    if let Some(x) = &row.external_id {
        user.insert("externalId".into(), json!(x));
    }
    user.insert("userName".into(), json!(row.user_name));
    user.insert("displayName".into(), json!(row.display_name));
    if !row.job_title.is_empty() {
        user.insert("title".into(), json!(row.job_title));
    }
    user.insert("active".into(), json!(row.status == "active"));
    if let Some(kept) = row.scim.as_object() {
        for (k, v) in kept {
            if KEPT.contains(&k.as_str()) && k != "emails" {
                user.insert(k.clone(), v.clone());
            }
        }
    }
    // The emails as sent, while the one Gatehouse uses is still theirs; else that one.
    if let Some(email) = &row.email {
        let sent = row
            .scim
            .get("emails")
            .filter(|sent| chosen_email(sent).ok().flatten().as_deref() == Some(email.as_str()));
        let emails = sent
            .cloned()
            .unwrap_or_else(|| json!([{ "value": email, "type": "work", "primary": true }]));
        user.insert("emails".into(), emails);
    }
    if !row.groups.is_empty() {
        let groups: Vec<Value> = row
            .groups
            .iter()
            .map(|(id, name)| json!({ "value": id, "display": name, "$ref": format!("{base}/Groups/{id}") }))
            .collect();
        user.insert("groups".into(), Value::Array(groups));
    }
    let mut enterprise = Map::new();
    for (scim, key) in ENTERPRISE_TEXT {
        if let Some(Value::String(v)) = row.attributes.get(*key) {
            enterprise.insert((*scim).into(), json!(v));
        }
    }
    if let Some(manager) = row.manager_id {
        enterprise.insert(
            "manager".into(),
            json!({ "value": manager, "displayName": row.manager_name, "$ref": format!("{base}/Users/{manager}") }),
        );
    }
    user.insert(ENTERPRISE.into(), Value::Object(enterprise));
    let mut own = Map::new();
    if let Some(t) = &row.employment_type {
        own.insert("employmentType".into(), json!(t));
    }
    if let Some(d) = row.end_date {
        own.insert("endDate".into(), json!(d.to_string()));
    }
    user.insert(GATEHOUSE.into(), Value::Object(own));
    versioned(
        user,
        "User",
        format!("{base}/Users/{}", row.id),
        row.created_at,
        row.modified_at,
    )
}

/// A resource with its `meta`, whose `version` is a hash of the rest.
pub(super) fn versioned(
    mut resource: Map<String, Value>,
    resource_type: &str,
    location: String,
    created: chrono::DateTime<chrono::Utc>,
    modified: chrono::DateTime<chrono::Utc>,
) -> Value {
    let version = version(&resource);
    resource.insert(
        "meta".into(),
        json!({
            "resourceType": resource_type,
            "created": created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "lastModified": modified.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "location": location,
            "version": version,
        }),
    );
    Value::Object(resource)
}

/// A weak entity tag of a representation (without its `meta`).
fn version(user: &Map<String, Value>) -> String {
    let bytes = serde_json::to_vec(user).unwrap_or_default();
    format!("W/\"{}\"", &hex::encode(Sha256::digest(bytes))[..16])
}

/// The version a representation carries.
pub fn version_of(user: &Value) -> String {
    user["meta"]["version"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The email Gatehouse uses from a list of emails: the primary one, else the first of
/// type work, else the first.
fn chosen_email(emails: &Value) -> Result<Option<String>, ScimFailure> {
    let Value::Array(items) = emails else {
        return Err(ScimFailure::invalid_value(
            "emails must be a list of {\"value\": …} objects.",
        ));
    };
    let mut values = vec![];
    for item in items {
        let Value::Object(item) = item else {
            return Err(ScimFailure::invalid_value(
                "Each of emails must be an object with a value.",
            ));
        };
        let Some(value) = text(item, "value", 254)? else {
            continue;
        };
        let (local, domain) = value.split_once('@').unwrap_or_default();
        if local.is_empty() || domain.is_empty() || value.contains(char::is_whitespace) {
            return Err(ScimFailure::invalid_value(format!(
                "\"{value}\" is not an email address."
            )));
        }
        let primary = member(item, "primary") == Some(&Value::Bool(true));
        let work = text(item, "type", 40)?.is_some_and(|t| t.eq_ignore_ascii_case("work"));
        values.push((primary, work, value.to_lowercase()));
    }
    Ok(values
        .iter()
        .find(|(primary, _, _)| *primary)
        .or_else(|| values.iter().find(|(_, work, _)| *work))
        .or(values.first())
        .map(|(_, _, v)| v.clone()))
}

/// What a user's representation asks to write, checked; `current` is the user being
/// replaced, whose Gatehouse-only fields stay when the request leaves them out.
fn fields(body: &Value, current: Option<&UserRow>) -> Result<UserFields, ScimFailure> {
    let Value::Object(user) = body else {
        return Err(ScimFailure::invalid_syntax(
            "The body must be a JSON object: a User.",
        ));
    };
    screened(body)?;
    let schemas_ok = matches!(member(user, "schemas"), Some(Value::Array(s))
        if s.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(USER))));
    if !schemas_ok {
        return Err(ScimFailure::invalid_syntax(format!(
            "schemas must list {USER}."
        )));
    }
    for key in user.keys() {
        let known = [
            "schemas",
            "userName",
            "externalId",
            "displayName",
            "title",
            "active",
            "password",
        ]
        .iter()
        .chain(KEPT)
        .chain(READ_ONLY)
        .chain(&[ENTERPRISE, GATEHOUSE])
        .any(|k| k.eq_ignore_ascii_case(key));
        if !known {
            return Err(ScimFailure::invalid_syntax(format!(
                "{key} is not an attribute of a User here (core, enterprise and {GATEHOUSE} schemas)."
            )));
        }
    }
    let user_name = text(user, "userName", 300)?
        .ok_or_else(|| ScimFailure::invalid_value("userName is required."))?
        .to_string();
    let external_id = text(user, "externalId", 300)?.map(str::to_string);
    let active = match member(user, "active") {
        // A replacement that leaves it out keeps it: it never brings anyone back.
        None => current.is_none_or(|c| c.status == "active"),
        Some(Value::Bool(b)) => *b,
        // Some identity providers (older Entra ID applications) send it as text.
        Some(Value::String(t)) if t.eq_ignore_ascii_case("true") => true,
        Some(Value::String(t)) if t.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err(ScimFailure::invalid_value("active must be true or false.")),
    };
    let name = match member(user, "name") {
        None => None,
        Some(Value::Object(n)) => Some(n),
        Some(_) => return Err(ScimFailure::invalid_value("name must be an object.")),
    };
    let display_name = match text(user, "displayName", 200)? {
        Some(d) => d.to_string(),
        None => {
            let formatted = name
                .map(|n| text(n, "formatted", 200))
                .transpose()?
                .flatten();
            let given = name
                .map(|n| text(n, "givenName", 100))
                .transpose()?
                .flatten();
            let family = name
                .map(|n| text(n, "familyName", 100))
                .transpose()?
                .flatten();
            match (formatted, given, family) {
                (Some(f), _, _) => f.to_string(),
                (None, Some(g), Some(f)) => format!("{g} {f}"),
                (None, Some(one), None) | (None, None, Some(one)) => one.to_string(),
                (None, None, None) => user_name.clone(),
            }
        }
    };
    let email = match member(user, "emails") {
        None => None,
        Some(emails) => chosen_email(emails)?,
    };
    let job_title = text(user, "title", 200)?.unwrap_or_default().to_string();
    let mut scim = Map::new();
    for k in KEPT {
        if let Some(v) = member(user, k) {
            scim.insert((*k).to_string(), v.clone());
        }
    }
    let mut attributes = Map::new();
    let mut manager_id = None;
    match member(user, ENTERPRISE) {
        None => {}
        Some(Value::Object(ext)) => {
            for key in ext.keys() {
                let known = ENTERPRISE_TEXT
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case(key))
                    || key.eq_ignore_ascii_case("manager");
                if !known {
                    return Err(ScimFailure::invalid_syntax(format!(
                        "{key} is not an attribute of the enterprise extension."
                    )));
                }
            }
            for (scim_name, key) in ENTERPRISE_TEXT {
                if let Some(v) = text(ext, scim_name, 200)? {
                    attributes.insert((*key).to_string(), json!(v));
                }
            }
            manager_id = match member(ext, "manager") {
                None => None,
                Some(Value::Object(m)) => match text(m, "value", 100)? {
                    None => None,
                    Some(v) => Some(Uuid::parse_str(v).map_err(|_| {
                        ScimFailure::invalid_value(format!(
                            "manager.value \"{v}\" is not a user's id."
                        ))
                    })?),
                },
                Some(Value::String(v)) => Some(Uuid::parse_str(v).map_err(|_| {
                    ScimFailure::invalid_value(format!("manager \"{v}\" is not a user's id."))
                })?),
                Some(_) => {
                    return Err(ScimFailure::invalid_value(
                        "manager must be {\"value\": \"<user id>\"}.",
                    ))
                }
            };
        }
        Some(_) => {
            return Err(ScimFailure::invalid_value(format!(
                "{ENTERPRISE} must be an object."
            )))
        }
    }
    let mut employment_type = current
        .and_then(|c| c.employment_type.clone())
        .unwrap_or_else(|| "employee".into());
    let mut end_date = current.and_then(|c| c.end_date);
    match member(user, GATEHOUSE) {
        None => {}
        Some(Value::Object(ext)) => {
            for key in ext.keys() {
                if !["employmentType", "endDate"]
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(key))
                {
                    return Err(ScimFailure::invalid_syntax(format!(
                        "{key} is not an attribute of {GATEHOUSE} (employmentType, endDate)."
                    )));
                }
            }
            if let Some(t) = text(ext, "employmentType", 40)? {
                employment_type = EMPLOYMENT_TYPES
                    .iter()
                    .find(|e| e.eq_ignore_ascii_case(t))
                    .ok_or_else(|| {
                        ScimFailure::invalid_value(format!(
                            "employmentType \"{t}\" is not one of {}.",
                            EMPLOYMENT_TYPES.join(", ")
                        ))
                    })?
                    .to_string();
            }
            end_date = match text(ext, "endDate", 10)? {
                None => None,
                Some(d) => Some(chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(
                    |_| {
                        ScimFailure::invalid_value(format!(
                            "endDate \"{d}\" is not a date such as 2026-12-31."
                        ))
                    },
                )?),
            };
        }
        Some(_) => {
            return Err(ScimFailure::invalid_value(format!(
                "{GATEHOUSE} must be an object."
            )))
        }
    }
    Ok(UserFields {
        user_name,
        external_id,
        display_name,
        email,
        job_title,
        active,
        employment_type,
        end_date,
        manager_id,
        attributes,
        owned_attributes: OWNED_ATTRIBUTES,
        scim: Value::Object(scim),
    })
}

async fn check_manager(
    tx: &mut db::Tx<'_>,
    org_id: Uuid,
    user: Option<Uuid>,
    manager: Option<Uuid>,
) -> Result<(), ScimFailure> {
    let Some(manager) = manager else {
        return Ok(());
    };
    if Some(manager) == user {
        return Err(ScimFailure::invalid_value(
            "A user cannot be their own manager.",
        ));
    }
    if !db::scim::may_manage(tx, org_id, manager).await? {
        return Err(ScimFailure::invalid_value(format!(
            "manager {manager} is not a person of the organisation who is still there."
        )));
    }
    // Managers choose who reviews whose access: no chain of managers may come back.
    if let Some(user) = user {
        if db::principals::manages_through(tx, org_id, user, manager).await? {
            return Err(ScimFailure::invalid_value(format!(
                "manager {manager} reports, directly or not, to this user."
            )));
        }
    }
    Ok(())
}

/// The audit record's view of a write: the attributes it sets, no more.
fn audited(f: &UserFields) -> Value {
    json!({
        "userName": f.user_name,
        "externalId": f.external_id,
        "displayName": f.display_name,
        "email": f.email,
        "title": f.job_title,
        "active": f.active,
        "employmentType": f.employment_type,
        "endDate": f.end_date,
        "manager": f.manager_id,
        "attributes": f.attributes,
    })
}

/// Provisions a person, in `conn`'s transaction (the connection the caller's token was
/// checked on).
pub async fn create(
    conn: &mut PgConnection,
    who: &Provisioner,
    body: &Value,
) -> Result<Value, ScimFailure> {
    let fields = fields(body, None)?;
    let mut tx = conn.begin().await?;
    check_manager(&mut tx, who.org_id, None, fields.manager_id).await?;
    let (id, actor) = (Uuid::new_v4(), who.actor());
    let created = Change::on(
        AuditAction::PrincipalCreated,
        id,
        fields.display_name.clone(),
    )
    .after(audited(&fields))
    .because("provisioned over SCIM".to_string());
    let made = db::scim::insert(&mut tx, (who.org_id, id), &fields, (&actor, created)).await?;
    // Birthright access is granted beside the person: their row, and so the answer, stay as
    // inserted. The rules in force were read by the insert.
    let answer = to_json(&made.user, &who.base);
    if !made.rules.is_empty() {
        birthright::reconcile_joiner(&mut tx, &actor, made, "provisioned over SCIM").await?;
    }
    tx.commit().await?;
    Ok(answer)
}

/// The user as SCIM shows them; within a change's transaction, as it leaves them.
pub async fn read<'e>(
    conn: impl sqlx::PgExecutor<'e>,
    who: &Provisioner,
    id: Uuid,
) -> Result<Value, ScimFailure> {
    let row = db::scim::one(conn, who.org_id, id)
        .await?
        .ok_or_else(ScimFailure::not_found)?;
    Ok(to_json(&row, &who.base))
}

/// The user locked for a change, if `if_match` (an `If-Match` header) still names its
/// version.
async fn locked(
    tx: &mut db::Tx<'_>,
    who: &Provisioner,
    id: Uuid,
    if_match: Option<&str>,
) -> Result<(UserRow, Value), ScimFailure> {
    let row = db::scim::locked(tx, who.org_id, id)
        .await?
        .ok_or_else(ScimFailure::not_found)?;
    let current = to_json(&row, &who.base);
    check_version(&current, if_match)?;
    Ok((row, current))
}

/// Refuses a change whose `If-Match` header names another version than `current`'s.
pub(super) fn check_version(current: &Value, if_match: Option<&str>) -> Result<(), ScimFailure> {
    let Some(wanted) = if_match else {
        return Ok(());
    };
    let now = version_of(current);
    let matches = wanted
        .split(',')
        .map(str::trim)
        .any(|w| w == "*" || w == now || format!("W/{w}") == now);
    if matches {
        Ok(())
    } else {
        Err(ScimFailure::new(
            412,
            None,
            format!("It has changed since version {wanted}; it is now {now}. Read it again."),
        ))
    }
}

/// Replaces the user with `body` (PUT), or with the result of its PATCH operations.
pub async fn replace(
    conn: &mut PgConnection,
    who: &Provisioner,
    id: Uuid,
    body: &Value,
    if_match: Option<&str>,
) -> Result<Value, ScimFailure> {
    change(conn, who, (id, "put", body), if_match, |_| Ok(body.clone())).await
}

pub async fn patch(
    conn: &mut PgConnection,
    who: &Provisioner,
    id: Uuid,
    body: &Value,
    if_match: Option<&str>,
) -> Result<Value, ScimFailure> {
    let operations = patch_operations(body)?;
    change(conn, who, (id, "patch", body), if_match, |current| {
        let mut user = current.clone();
        rules::scim::patch::apply(&mut user, &operations, READ_ONLY)?;
        Ok(user)
    })
    .await
}

/// The operations of a PATCH body, checked.
pub(super) fn patch_operations(
    body: &Value,
) -> Result<Vec<rules::scim::patch::Operation>, ScimFailure> {
    let schemas_ok = matches!(body.get("schemas"), Some(Value::Array(s))
        if s.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP))));
    if !schemas_ok {
        return Err(ScimFailure::invalid_syntax(format!(
            "schemas must be [\"{PATCH_OP}\"]."
        )));
    }
    screened(body)?;
    Ok(rules::scim::patch::operations(body)?)
}

/// A PUT or PATCH, in `conn`'s transaction (the connection the caller's token was checked
/// on); when the failsafe stops it, it is held on that connection too.
async fn change(
    conn: &mut PgConnection,
    who: &Provisioner,
    (id, op, body): (Uuid, &str, &Value),
    if_match: Option<&str>,
    new: impl FnOnce(&Value) -> Result<Value, ScimFailure>,
) -> Result<Value, ScimFailure> {
    let mut tx = conn.begin().await?;
    let (row, current) = locked(&mut tx, who, id, if_match).await?;
    let fields = fields(&new(&current)?, Some(&row))?;
    // A manager kept as they were is not weighed again: a change of something else is
    // no reason to refuse it.
    if fields.manager_id != row.manager_id {
        check_manager(&mut tx, who.org_id, Some(id), fields.manager_id).await?;
    }
    if !fields.active && row.status == "active" {
        keep_break_glass(&mut tx, who.org_id, id).await?;
    }
    if fields.active && row.status != "active" && who.maker == Some(id) {
        return Err(ScimFailure::new(
            403,
            None,
            format!(
                "This token was made by {}, and does not reactivate them: another admin reactivates them, on the console or with a token of their own.",
                row.display_name
            ),
        ));
    }
    let actor = who.actor();
    let (before, after) = (fields_of(&row), audited(&fields));
    let updated = (before != after).then(|| {
        Change::on(
            AuditAction::PrincipalUpdated,
            id,
            fields.display_name.clone(),
        )
        .before(before)
        .after(after)
        .because("changed over SCIM".to_string())
    });
    let was_active = row.status == "active";
    let updated = updated.map(|event| (&actor, event));
    // A person whose status stays active is weighed from what their update read.
    let (mut changed, weighed) = if fields.active && was_active {
        let both = db::scim::update_weighed(&mut tx, (who.org_id, id), &fields, updated).await?;
        (both.user, Some(both.weighed))
    } else {
        let user = db::scim::update(&mut tx, (who.org_id, id), &fields, updated).await?;
        (user, None)
    };
    let mut run = Tally::default();
    if fields.active != was_active {
        let (status, action) = if fields.active {
            (PrincipalStatus::Active, AuditAction::PrincipalReactivated)
        } else {
            (PrincipalStatus::Suspended, AuditAction::PrincipalSuspended)
        };
        let ended = db::principals::set_status(&mut tx, who.org_id, id, status).await?;
        db::audit::record(
            &mut tx,
            &actor,
            Change::on(action, id, fields.display_name.clone())
                .before(json!({ "status": row.status }))
                .after(json!({ "status": status, "sessions_ended": ended }))
                .because("active set over SCIM".to_string()),
        )
        .await?;
        if !fields.active {
            let left = lifecycle::leave(
                &mut tx,
                &actor,
                (id, &fields.display_name),
                "deactivated over SCIM",
            )
            .await?;
            run = left.tally(1);
        }
    }
    // A mover's access follows their attributes; someone back gets their birthright.
    let why = "changed over SCIM";
    match weighed {
        Some(weighed) => {
            birthright::reconcile_changed(&mut tx, &actor, (weighed, who.maker), why).await?;
        }
        None if fields.active => {
            birthright::reconcile_except(&mut tx, &actor, (&[id], who.maker), why).await?;
        }
        None => {}
    }
    if let Some(over) = failsafe::admit(&mut tx, who.org_id, run, !who.failsafe).await? {
        drop(tx);
        let held = holding(who, (id, op, body), &fields.display_name, run);
        return Err(failsafe::hold_on(conn, &actor, held, &over).await.into());
    }
    // Birthright access is weighed beside the person, so their row stays as updated, but
    // for a new status.
    if fields.active != was_active {
        changed = db::scim::one(&mut *tx, who.org_id, id)
            .await?
            .ok_or_else(ScimFailure::not_found)?;
    }
    tx.commit().await?;
    Ok(to_json(&changed, &who.base))
}

/// Refuses to deactivate or delete the break-glass admin: the one who signs in when the
/// identity provider is away (or not to be trusted) cannot be shut out by it.
async fn keep_break_glass(tx: &mut db::Tx<'_>, org_id: Uuid, id: Uuid) -> Result<(), ScimFailure> {
    if db::scim::is_break_glass(tx, org_id, id).await? {
        return Err(ScimFailure::new(
            409,
            Some("mutability"),
            "This is the organisation's break-glass admin, who signs in when the identity \
             provider is away; name another on the Sign-in security page first.",
        ));
    }
    Ok(())
}

/// [`audited`] of the user as stored.
fn fields_of(row: &UserRow) -> Value {
    let attributes: Map<String, Value> = OWNED_ATTRIBUTES
        .iter()
        .filter_map(|k| {
            row.attributes
                .get(*k)
                .map(|v| ((*k).to_string(), v.clone()))
        })
        .collect();
    json!({
        "userName": row.user_name,
        "externalId": row.external_id,
        "displayName": row.display_name,
        "email": row.email,
        "title": row.job_title,
        "active": row.status == "active",
        "employmentType": row.employment_type,
        "endDate": row.end_date,
        "manager": row.manager_id,
        "attributes": attributes,
    })
}

/// Deprovisions the user: offboarded for good (their sessions end), no longer seen over
/// SCIM; the principal and its history stay.
pub async fn delete(
    conn: &mut PgConnection,
    who: &Provisioner,
    id: Uuid,
    if_match: Option<&str>,
) -> Result<(), ScimFailure> {
    let mut tx = conn.begin().await?;
    let (row, _) = locked(&mut tx, who, id, if_match).await?;
    keep_break_glass(&mut tx, who.org_id, id).await?;
    db::scim::offboard(&mut tx, who.org_id, id).await?;
    db::audit::record(
        &mut tx,
        &who.actor(),
        Change::on(
            AuditAction::PrincipalOffboarded,
            id,
            row.display_name.clone(),
        )
        .before(json!({ "status": row.status }))
        .after(json!({ "status": "offboarded" }))
        .because("deleted over SCIM".to_string()),
    )
    .await?;
    let left = lifecycle::leave(
        &mut tx,
        &who.actor(),
        (id, &row.display_name),
        "deleted over SCIM",
    )
    .await?;
    let run = left.tally(i64::from(row.status == "active"));
    if let Some(over) = failsafe::admit(&mut tx, who.org_id, run, !who.failsafe).await? {
        drop(tx);
        let held = holding(who, (id, "delete", &Value::Null), &row.display_name, run);
        return Err(failsafe::hold_on(conn, &who.actor(), held, &over)
            .await
            .into());
    }
    tx.commit().await?;
    Ok(())
}

/// A deactivation or deletion the failsafe holds: what the provider asked, to ask again.
fn holding<'a>(
    who: &Provisioner,
    (id, op, body): (Uuid, &'a str, &Value),
    name: &str,
    run: Tally,
) -> failsafe::Holding<'a> {
    let what = if op == "delete" {
        "deleted"
    } else {
        "deactivated"
    };
    failsafe::Holding {
        kind: "scim_user",
        target: format!(
            "scim:{id}:{op}:{}",
            failsafe::fingerprint(&[&body.to_string()])
        ),
        payload: json!({ "token": who.token_id, "op": op, "user": id, "body": body }),
        summary: format!("{name}: {what} by the identity provider"),
        run,
    }
}

/// Does again, past the failsafe, a deactivation or deletion it held: an admin confirmed
/// it. Answered as the provisioning token that asked.
pub async fn replay(pool: &PgPool, org_id: Uuid, payload: &Value) -> Result<(), AppError> {
    let uuid = |key: &str| failsafe::payload_id(payload, key);
    let token_id = uuid("token")?;
    let conn = &mut *pool.acquire().await?;
    let who = Provisioner {
        org_id,
        token_id,
        maker: db::tokens::maker(&mut *conn, org_id, token_id).await?,
        base: String::new(),
        failsafe: false,
    };
    let (user, body) = (uuid("user")?, payload.get("body").unwrap_or(&Value::Null));
    let done = match payload.get("op").and_then(Value::as_str) {
        Some("delete") => delete(conn, &who, user, None).await,
        Some("put") => replace(conn, &who, user, body, None).await.map(|_| ()),
        Some("patch") => patch(conn, &who, user, body, None).await.map(|_| ()),
        _ => return Err(failsafe::unreadable()),
    };
    done.map_err(|f| AppError::Conflict(f.detail))
}

pub async fn list(
    conn: &mut PgConnection,
    who: &Provisioner,
    q: &ListQuery,
) -> Result<Value, ScimFailure> {
    let l = Listing::new(Resource::User, q)?;
    let (total, rows) = db::scim::list(conn, who.org_id, &l.page()).await?;
    let resources = rows
        .iter()
        .map(|r| l.projection.apply(to_json(r, &who.base)))
        .collect();
    Ok(l.answer(total, resources))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(extra: Value) -> Value {
        let mut b = json!({ "schemas": [USER], "userName": "ada@example.com" });
        if let (Value::Object(b), Value::Object(e)) = (&mut b, extra) {
            b.extend(e);
        }
        b
    }

    #[test]
    fn a_minimal_user_takes_its_defaults() {
        let f = fields(&body(json!({})), None).unwrap();
        assert_eq!(f.user_name, "ada@example.com");
        assert_eq!(f.display_name, "ada@example.com");
        assert!(f.active);
        assert_eq!(f.employment_type, "employee");
        assert_eq!(f.email, None);
    }

    #[test]
    fn names_emails_and_extensions_are_read() {
        let f = fields(
            &body(json!({
                "name": { "givenName": "Ada", "familyName": "Lovelace" },
                "emails": [
                    { "value": "ada@home.example", "type": "home" },
                    { "value": "Ada@Work.Example", "type": "work" }
                ],
                "title": "Analyst",
                "active": false,
                ENTERPRISE: { "department": "Sales", "costCenter": "CC-1", "manager": { "value": Uuid::nil() } },
                GATEHOUSE: { "employmentType": "contractor", "endDate": "2027-03-31" }
            })),
            None,
        )
        .unwrap();
        assert_eq!(f.display_name, "Ada Lovelace");
        assert_eq!(f.email.as_deref(), Some("ada@work.example"));
        assert!(!f.active);
        assert_eq!(f.attributes["department"], "Sales");
        assert_eq!(f.attributes["cost_center"], "CC-1");
        assert_eq!(f.manager_id, Some(Uuid::nil()));
        assert_eq!(f.employment_type, "contractor");
        assert_eq!(f.end_date.unwrap().to_string(), "2027-03-31");
        assert_eq!(f.scim["name"]["givenName"], "Ada");
    }

    #[test]
    fn bad_users_are_refused_with_scim_types() {
        let cases = [
            (json!({ "userName": "x" }), "invalidSyntax"),
            (body(json!({ "userName": "" })), "invalidValue"),
            (body(json!({ "userName": 7 })), "invalidValue"),
            (body(json!({ "active": "yes" })), "invalidValue"),
            (body(json!({ "favouriteColour": "blue" })), "invalidSyntax"),
            (
                body(json!({ "emails": [{ "value": "not-an-address" }] })),
                "invalidValue",
            ),
            (body(json!({ "emails": "a@b.c" })), "invalidValue"),
            (
                body(json!({ ENTERPRISE: { "shoeSize": "9" } })),
                "invalidSyntax",
            ),
            (
                body(json!({ ENTERPRISE: { "manager": { "value": "bob" } } })),
                "invalidValue",
            ),
            (
                body(json!({ GATEHOUSE: { "employmentType": "pirate" } })),
                "invalidValue",
            ),
            (
                body(json!({ GATEHOUSE: { "endDate": "31/12/2026" } })),
                "invalidValue",
            ),
            (body(json!({ "displayName": "a\u{0}b" })), "invalidValue"),
        ];
        for (b, scim_type) in cases {
            let e = fields(&b, None).unwrap_err();
            assert_eq!(e.status, 400, "{b}");
            assert_eq!(e.scim_type, Some(scim_type), "{b}: {}", e.detail);
        }
    }
}

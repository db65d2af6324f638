//! SCIM PATCH (RFC 7644 section 3.5.2): reading a request's operations and applying
//! them, in memory, to a resource's JSON. The caller checks the body's "schemas", loads
//! the resource, and validates the result against the resource's schema before storing
//! it; types are not checked here beyond what each operation needs.

use serde_json::{Map, Value};

use super::filter::{
    find_key, get_ci, is_core_uri, is_urn, item_matches, parse_path_parts, AttrPath, CompValue,
    CompareOp, Filter,
};
use super::ScimError;

/// A PATCH path: `name.familyName`, `members[value eq "…"]`, `emails[type eq "work"].value`,
/// or one qualified by a schema URN.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute, with its sub-attribute when there is no value filter.
    pub attr: AttrPath,
    /// The value filter selecting items of a multi-valued attribute.
    pub filter: Option<Filter>,
    /// The sub-attribute after the value filter (`value` in `emails[…].value`).
    pub sub: Option<String>,
}

/// Parses a PATCH path; every refusal is `InvalidPath`, naming the character where the
/// problem is.
pub fn parse_path(input: &str) -> Result<PatchPath, ScimError> {
    let (attr, filter, sub) = parse_path_parts(input)?;
    Ok(PatchPath { attr, filter, sub })
}

/// The kind of a PATCH operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Remove,
    Replace,
}

impl OpKind {
    fn name(self) -> &'static str {
        match self {
            OpKind::Add => "add",
            OpKind::Remove => "remove",
            OpKind::Replace => "replace",
        }
    }
}

/// One item of a PATCH request's "Operations".
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub op: OpKind,
    /// `None`: the resource itself (add and replace only).
    pub path: Option<PatchPath>,
    /// Required for add and replace. On a remove it is kept, because Entra ID removes
    /// group members by naming them here (see [`apply`]).
    pub value: Option<Value>,
}

const USE_OPS: &str = "use add, remove or replace";

/// Reads the request body's "Operations" array (the caller checks the "schemas"
/// member). Each item needs "op" (`add`, `remove` or `replace`, in any case, as Entra ID
/// capitalises them); "path" is optional but for remove, where its absence is
/// `NoTarget`; "value" is required for add and replace (`InvalidValue`). A missing or
/// unknown op, or a body without operations, is `InvalidSyntax`; a bad path is
/// `InvalidPath`. Messages name the operation by its position, from 1.
pub fn operations(body: &Value) -> Result<Vec<Operation>, ScimError> {
    let items = match body.as_object().and_then(|body| get_ci(body, "Operations")) {
        Some(Value::Array(items)) if !items.is_empty() => items,
        _ => {
            return Err(ScimError::InvalidSyntax(
                "the request body needs an \"Operations\" array holding one or more operations"
                    .into(),
            ))
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            operation(item).map_err(|e| e.prefixed(&format!("operation {}: ", index + 1)))
        })
        .collect()
}

fn operation(item: &Value) -> Result<Operation, ScimError> {
    let Value::Object(members) = item else {
        return Err(ScimError::InvalidSyntax(
            "an operation is an object with \"op\", \"path\" and \"value\" members".into(),
        ));
    };
    let op = match get_ci(members, "op") {
        None | Some(Value::Null) => {
            return Err(ScimError::InvalidSyntax(format!(
                "\"op\" is missing: {USE_OPS}"
            )))
        }
        Some(Value::String(name)) => match name.to_ascii_lowercase().as_str() {
            "add" => OpKind::Add,
            "remove" => OpKind::Remove,
            "replace" => OpKind::Replace,
            _ => {
                return Err(ScimError::InvalidSyntax(format!(
                    "unknown op \"{name}\": {USE_OPS}"
                )))
            }
        },
        Some(_) => {
            return Err(ScimError::InvalidSyntax(format!(
                "\"op\" must be a string: {USE_OPS}"
            )))
        }
    };
    let path = match get_ci(members, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(parse_path(text)?),
        Some(_) => {
            return Err(ScimError::InvalidPath(
                "\"path\" must be a string, such as name.familyName".into(),
            ))
        }
    };
    let value = get_ci(members, "value").cloned();
    match op {
        OpKind::Remove if path.is_none() => Err(remove_needs_path()),
        OpKind::Add | OpKind::Replace if value.is_none() => Err(ScimError::InvalidValue(format!(
            "{} needs a \"value\"",
            op.name()
        ))),
        _ => Ok(Operation { op, path, value }),
    }
}

fn remove_needs_path() -> ScimError {
    ScimError::NoTarget("remove needs a \"path\" naming what to remove".into())
}

/// Applies the operations in order to `resource`, a SCIM resource's JSON object (core
/// attributes at the top level, extension attributes in an object keyed by the
/// extension's URN). Either all apply or, on the first refusal, `resource` is left as
/// it was.
///
/// `readonly` lists attribute names, lower-case and dotted for sub-attributes (`id`,
/// `meta`, `groups`, `manager.displayname`), looked up at the top level and in every
/// extension object: an operation that changes one is `Mutability`. Setting one to the
/// value it already has is not a change, since Okta sends a group's `id` back with a
/// rename.
///
/// Semantics follow RFC 7644 sections 3.5.2.1 to 3.5.2.3:
/// - Without a path, each member of the value object is an add or replace of that
///   attribute; a key that is an extension's URN merges into that extension's object,
///   and a key written as a path (`name.givenName`, a URN-qualified name) is that path.
/// - add appends to a multi-valued attribute, skipping items already there (equal, or
///   with the same `value` and, when both have one, the same `type`); it merges the
///   members of an object into a complex attribute, and otherwise sets the attribute.
/// - replace merges into a complex attribute and otherwise sets the attribute (a whole
///   array when there is no filter).
/// - With a value filter, add and replace change the matching items (their
///   sub-attribute, or the whole item; add merges). replace, or remove, matching nothing
///   is `NoTarget`; add matching nothing appends an item built from the filter's `eq`
///   terms when the filter is only those (`emails[type eq "work"].value`), else
///   `NoTarget`.
/// - remove drops the attribute, a sub-attribute, or the matching items (an array left
///   empty is dropped); an absent attribute is no error. A remove with a value on a
///   multi-valued attribute and no filter drops only the items given, as Entra ID
///   removes group members that way.
/// - A null value (RFC 7643 section 2.5: unassigned) on add or replace removes.
/// - When an added or changed item has `primary` true, other items lose it.
/// - A sub-attribute path on an absent complex attribute creates the object, and a new
///   extension object has its URN added to "schemas".
///
/// Keys match case-insensitively; an existing key keeps its spelling and new keys are
/// written as given. A value filter on an attribute that is not multi-valued is
/// `InvalidPath`.
pub fn apply(resource: &mut Value, ops: &[Operation], readonly: &[&str]) -> Result<(), ScimError> {
    let Value::Object(original) = resource else {
        return Err(ScimError::InvalidValue(
            "the resource to patch is not a JSON object".into(),
        ));
    };
    // Work on a copy so a refused operation leaves the resource untouched.
    let mut work = original.clone();
    for (index, op) in ops.iter().enumerate() {
        let prefix = format!("operation {} ({}): ", index + 1, op.op.name());
        let before = readonly_view(&work, readonly);
        apply_one(&mut work, op).map_err(|e| e.prefixed(&prefix))?;
        let after = readonly_view(&work, readonly);
        if let Some(position) = (0..readonly.len()).find(|&i| before[i] != after[i]) {
            return Err(ScimError::Mutability(format!(
                "{prefix}\"{}\" is read-only and cannot be changed",
                readonly[position]
            )));
        }
    }
    *original = work;
    Ok(())
}

type Resource = Map<String, Value>;

/// For each read-only name, its values in each scope (top level, then each extension
/// object by lower-case URN) that holds it.
fn readonly_view(resource: &Resource, readonly: &[&str]) -> Vec<Vec<(String, Value)>> {
    let mut scopes = vec![(String::new(), resource)];
    for (key, value) in resource {
        if let (true, Value::Object(extension)) = (is_urn(key), value) {
            scopes.push((key.to_ascii_lowercase(), extension));
        }
    }
    readonly
        .iter()
        .map(|name| {
            let (attr, sub) = match name.split_once('.') {
                Some((attr, sub)) => (attr, Some(sub)),
                None => (*name, None),
            };
            scopes
                .iter()
                .filter_map(|(scope, members)| {
                    let value = get_ci(members, attr)?;
                    let value = match (sub, value) {
                        (None, value) => value.clone(),
                        (Some(sub), Value::Object(object)) => get_ci(object, sub)?.clone(),
                        (Some(sub), Value::Array(items)) => Value::Array(
                            items
                                .iter()
                                .map(|item| {
                                    item.as_object()
                                        .and_then(|object| get_ci(object, sub))
                                        .cloned()
                                        .unwrap_or(Value::Null)
                                })
                                .collect(),
                        ),
                        (Some(_), _) => return None,
                    };
                    Some((scope.clone(), value))
                })
                .collect()
        })
        .collect()
}

fn apply_one(resource: &mut Resource, op: &Operation) -> Result<(), ScimError> {
    // A path naming the core schema itself stands for the resource, as no path does.
    let path = op
        .path
        .as_ref()
        .filter(|path| !(path.filter.is_none() && is_core_uri(resource, &path.attr.to_string())));
    if let Some(path) = path {
        let target = Target::of_path(resource, path, op.value.as_ref());
        return match op.op {
            OpKind::Remove => remove(resource, &target, op.value.as_ref()),
            kind => write(resource, kind, &target, required_value(op)?),
        };
    }
    if op.op == OpKind::Remove {
        return Err(remove_needs_path());
    }
    let Value::Object(members) = required_value(op)? else {
        return Err(ScimError::InvalidValue(
            "without a \"path\", the value must be an object of the attributes to set".into(),
        ));
    };
    // Members under the core schema's URN are top-level attributes.
    let mut pairs = Vec::new();
    for (key, value) in members {
        match value {
            Value::Object(inner) if is_core_uri(resource, key) => pairs.extend(inner),
            _ => pairs.push((key, value)),
        }
    }
    for (key, value) in pairs {
        let target = Target::of_key(resource, key, value)?;
        write(resource, op.op, &target, value)?;
    }
    Ok(())
}

fn required_value(op: &Operation) -> Result<&Value, ScimError> {
    op.value
        .as_ref()
        .ok_or_else(|| ScimError::InvalidValue(format!("{} needs a \"value\"", op.op.name())))
}

/// The object holding the attribute.
#[derive(Debug, Clone, PartialEq)]
enum Scope {
    Top,
    /// An extension's object, by its key in the resource (or the URN as written, when
    /// the resource has no such object yet).
    Extension(String),
}

/// Where an operation acts, resolved against the resource.
#[derive(Debug)]
struct Target {
    scope: Scope,
    attr: String,
    /// The attribute's sub-attribute, when there is no value filter.
    sub: Option<String>,
    filter: Option<Filter>,
    /// The items' sub-attribute after a value filter.
    item_sub: Option<String>,
}

impl Target {
    fn top(attr: String) -> Self {
        Target {
            scope: Scope::Top,
            attr,
            sub: None,
            filter: None,
            item_sub: None,
        }
    }

    fn of_path(resource: &Resource, path: &PatchPath, value: Option<&Value>) -> Self {
        if path.filter.is_none() {
            if let Some(key) = whole_urn_key(resource, &path.attr, value) {
                return Target::top(key);
            }
        }
        let scope = match &path.attr.uri {
            None => Scope::Top,
            Some(uri) => match find_key(resource, uri) {
                Some(key) => Scope::Extension(key),
                None if is_core_uri(resource, uri) => Scope::Top,
                None => Scope::Extension(uri.clone()),
            },
        };
        Target {
            scope,
            attr: path.attr.attr.clone(),
            sub: path.attr.sub.clone(),
            filter: path.filter.clone(),
            item_sub: path.sub.clone(),
        }
    }

    /// A member of a path-less operation's value: an attribute's name, or a path as some
    /// identity providers write there (`name.givenName`, a URN-qualified name).
    fn of_key(resource: &Resource, key: &str, value: &Value) -> Result<Self, ScimError> {
        let path_like = is_urn(key) || key.contains('.') || key.contains('[');
        if !path_like || find_key(resource, key).is_some() {
            return Ok(Target::top(key.to_string()));
        }
        match parse_path(key) {
            Ok(path) => Ok(Target::of_path(resource, &path, Some(value))),
            // An odd URN is taken as a key; the caller's validation judges it.
            Err(_) if is_urn(key) => Ok(Target::top(key.to_string())),
            Err(e) => Err(e.prefixed(&format!("value member \"{key}\": "))),
        }
    }

    fn no_match(&self) -> ScimError {
        ScimError::NoTarget(format!(
            "no item of \"{}\" matches the value filter",
            self.attr
        ))
    }
}

/// When a URN-qualified path is really a whole extension's URN
/// (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`), the key of that
/// extension's object. Syntax alone cannot tell it from `<schema>:<attribute>`, so the
/// resource decides: an existing key or a listed schema wins; failing those, an object
/// value under a capitalised last name (as schema URNs end, unlike attribute names).
fn whole_urn_key(resource: &Resource, attr: &AttrPath, value: Option<&Value>) -> Option<String> {
    let uri = attr.uri.as_deref()?;
    let whole = attr.to_string();
    if let Some(key) = find_key(resource, &whole) {
        return Some(key);
    }
    if lists_schema(resource, &whole) {
        return Some(whole);
    }
    if find_key(resource, uri).is_some()
        || lists_schema(resource, uri)
        || is_core_uri(resource, uri)
    {
        return None;
    }
    let capitalised = attr.sub.is_none() && attr.attr.starts_with(|c: char| c.is_ascii_uppercase());
    (capitalised && value.is_some_and(Value::is_object)).then_some(whole)
}

fn lists_schema(resource: &Resource, uri: &str) -> bool {
    match get_ci(resource, "schemas") {
        Some(Value::Array(schemas)) => schemas
            .iter()
            .filter_map(Value::as_str)
            .any(|schema| schema.eq_ignore_ascii_case(uri)),
        _ => false,
    }
}

/// Lists a newly added extension in "schemas", as RFC 7643 section 3 asks.
fn declare_schema(resource: &mut Resource, uri: &str) {
    if lists_schema(resource, uri) {
        return;
    }
    if let Some(Value::Array(schemas)) =
        find_key(resource, "schemas").and_then(|key| resource.get_mut(&key))
    {
        schemas.push(Value::String(uri.to_string()));
    }
}

/// The object holding the target's attribute, created when it is a missing extension.
fn container_or_create<'a>(
    resource: &'a mut Resource,
    scope: &Scope,
) -> Result<&'a mut Resource, ScimError> {
    if let Scope::Extension(key) = scope {
        if resource.get(key).is_none_or(Value::is_null) {
            resource.insert(key.clone(), Value::Object(Map::new()));
            declare_schema(resource, key);
        }
    }
    container(resource, scope).map(|found| found.expect("the container was just created"))
}

/// The object holding the target's attribute, if there is one.
fn container<'a>(
    resource: &'a mut Resource,
    scope: &Scope,
) -> Result<Option<&'a mut Resource>, ScimError> {
    let Scope::Extension(key) = scope else {
        return Ok(Some(resource));
    };
    match resource.get_mut(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(extension)) => Ok(Some(extension)),
        Some(_) => Err(ScimError::InvalidPath(format!(
            "\"{key}\" does not hold an object of extension attributes"
        ))),
    }
}

/// add or replace.
fn write(
    resource: &mut Resource,
    kind: OpKind,
    target: &Target,
    value: &Value,
) -> Result<(), ScimError> {
    if value.is_null() {
        return remove(resource, target, None);
    }
    let container = container_or_create(resource, &target.scope)?;
    let key = find_key(container, &target.attr).unwrap_or_else(|| target.attr.clone());
    match (&target.filter, &target.sub) {
        (None, None) => match container.get_mut(&key) {
            Some(current) if !current.is_null() => set_attribute(current, kind, value),
            _ => {
                container.insert(key.clone(), value.clone());
            }
        },
        (None, Some(sub)) => {
            let current = container.entry(key.clone()).or_insert(Value::Null);
            match current {
                Value::Null => {
                    let mut members = Map::new();
                    members.insert(sub.clone(), value.clone());
                    *current = Value::Object(members);
                }
                Value::Object(members) => set_member(members, sub, value),
                // Without a filter, a sub-attribute of a multi-valued attribute is that
                // sub-attribute of every item.
                Value::Array(items) => {
                    for item in items {
                        let Value::Object(members) = item else {
                            return Err(simple_items(&key, sub));
                        };
                        set_member(members, sub, value);
                    }
                }
                _ => return Err(not_complex(&key, sub)),
            }
        }
        (Some(filter), _) => {
            let item_sub = &target.item_sub;
            let items = match container.get_mut(&key) {
                Some(Value::Array(items)) => items,
                None | Some(Value::Null) => {
                    let item = (kind == OpKind::Add)
                        .then(|| item_from_filter(filter, item_sub.as_deref(), value))
                        .flatten()
                        .ok_or_else(|| target.no_match())?;
                    container.insert(key.clone(), Value::Array(vec![item]));
                    return Ok(());
                }
                Some(_) => return Err(not_multi_valued(&key)),
            };
            let hits = matching(items, filter);
            if hits.is_empty() {
                let item = (kind == OpKind::Add)
                    .then(|| item_from_filter(filter, item_sub.as_deref(), value))
                    .flatten()
                    .ok_or_else(|| target.no_match())?;
                items.push(item);
                let added = items.len() - 1;
                one_primary(items, &[added]);
                return Ok(());
            }
            for &index in &hits {
                let item = &mut items[index];
                match item_sub {
                    Some(sub) => {
                        let Value::Object(members) = item else {
                            return Err(simple_items(&key, sub));
                        };
                        set_member(members, sub, value);
                    }
                    None => match (kind, &mut *item, value) {
                        (OpKind::Add, Value::Object(members), Value::Object(new)) => {
                            merge(members, new)
                        }
                        (_, slot, new) => *slot = new.clone(),
                    },
                }
            }
            one_primary(items, &hits);
        }
    }
    if target.scope == Scope::Top && is_urn(&key) && value.is_object() {
        declare_schema(resource, &key);
    }
    Ok(())
}

/// add or replace on a whole attribute that has a value.
fn set_attribute(current: &mut Value, kind: OpKind, value: &Value) {
    match (kind, current, value) {
        (OpKind::Add, Value::Array(items), new) => {
            let added = append(items, new);
            one_primary(items, &added);
        }
        (_, Value::Object(members), Value::Object(new)) => merge(members, new),
        (_, slot, new) => *slot = new.clone(),
    }
}

/// Appends the new items not already present; the indexes of those appended.
fn append(items: &mut Vec<Value>, new: &Value) -> Vec<usize> {
    let new_items = match new {
        Value::Array(new_items) => new_items.iter().collect(),
        one => vec![one],
    };
    let mut added = Vec::new();
    for item in new_items {
        if item.is_null() || items.iter().any(|existing| same_item(existing, item)) {
            continue;
        }
        items.push(item.clone());
        added.push(items.len() - 1);
    }
    added
}

/// Whether two items of a multi-valued attribute are the same value: equal, or
/// objects with the same `value` and (when both say) the same `type`, so a member sent
/// again without its display name is not added twice.
fn same_item(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x == y
                || match (get_ci(x, "value"), get_ci(y, "value")) {
                    (Some(vx), Some(vy)) if !vx.is_null() => {
                        same_scalar(vx, vy)
                            && match (get_ci(x, "type"), get_ci(y, "type")) {
                                (Some(tx), Some(ty)) => same_scalar(tx, ty),
                                _ => true,
                            }
                    }
                    _ => false,
                }
        }
        _ => same_scalar(a, b),
    }
}

/// Strings compare case-insensitively, as SCIM's attributes here are not caseExact.
fn same_scalar(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.to_lowercase() == y.to_lowercase(),
        _ => a == b,
    }
}

/// Sets a member of a complex value, keeping an existing key's spelling; null removes.
fn set_member(members: &mut Resource, name: &str, value: &Value) {
    let key = find_key(members, name).unwrap_or_else(|| name.to_string());
    if value.is_null() {
        members.remove(&key);
    } else {
        members.insert(key, value.clone());
    }
}

fn merge(members: &mut Resource, new: &Resource) {
    for (name, value) in new {
        set_member(members, name, value);
    }
}

fn remove_member(members: &mut Resource, name: &str) {
    if let Some(key) = find_key(members, name) {
        members.remove(&key);
    }
}

fn matching(items: &[Value], filter: &Filter) -> Vec<usize> {
    items
        .iter()
        .enumerate()
        .filter(|(_, item)| item_matches(filter, item))
        .map(|(index, _)| index)
        .collect()
}

/// RFC 7644 section 3.5.2: setting `primary` on one item clears it on the others.
fn one_primary(items: &mut [Value], changed: &[usize]) {
    let is_primary = |item: &Value| {
        item.as_object().and_then(|m| get_ci(m, "primary")) == Some(&Value::Bool(true))
    };
    let Some(&winner) = changed
        .iter()
        .rev()
        .find(|&&index| is_primary(&items[index]))
    else {
        return;
    };
    for (index, item) in items.iter_mut().enumerate() {
        if index != winner && is_primary(item) {
            if let Value::Object(members) = item {
                set_member(members, "primary", &Value::Bool(false));
            }
        }
    }
}

/// The item an add through a value filter creates when nothing matches: the filter's
/// `eq` terms plus the value. Only a filter made of `eq` terms joined by `and` says what
/// such an item is.
fn item_from_filter(filter: &Filter, item_sub: Option<&str>, value: &Value) -> Option<Value> {
    fn terms(filter: &Filter, item: &mut Resource) -> bool {
        match filter {
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value,
            } if path.uri.is_none() && path.sub.is_none() => {
                let value = match value {
                    CompValue::Str(text) => Value::String(text.clone()),
                    CompValue::Number(number) => Value::Number(number.clone()),
                    CompValue::Bool(flag) => Value::Bool(*flag),
                    CompValue::Null => return false,
                };
                item.insert(path.attr.clone(), value);
                true
            }
            Filter::And(left, right) => terms(left, item) && terms(right, item),
            _ => false,
        }
    }
    let mut item = Map::new();
    if !terms(filter, &mut item) {
        return None;
    }
    match (item_sub, value) {
        (Some(sub), value) => set_member(&mut item, sub, value),
        (None, Value::Object(new)) => merge(&mut item, new),
        (None, _) => return None,
    }
    Some(Value::Object(item))
}

fn remove(
    resource: &mut Resource,
    target: &Target,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let absent = || match target.filter {
        Some(_) => Err(target.no_match()),
        None => Ok(()),
    };
    let Some(container) = container(resource, &target.scope)? else {
        return absent();
    };
    let Some(key) = find_key(container, &target.attr) else {
        return absent();
    };
    match (&target.filter, &target.sub) {
        (None, None) => {
            // Entra ID removes group members as {"op": "Remove", "path": "members",
            // "value": [{"value": "<id>"}]}: drop those items, not the whole attribute.
            if let (Some(Value::Array(items)), Some(given)) = (container.get_mut(&key), value) {
                if !given.is_null() {
                    let drop: Vec<&Value> = match given {
                        Value::Array(list) => list.iter().collect(),
                        one => vec![one],
                    };
                    items.retain(|item| !drop.iter().any(|gone| same_item(item, gone)));
                    if items.is_empty() {
                        container.remove(&key);
                    }
                    return Ok(());
                }
            }
            container.remove(&key);
        }
        (None, Some(sub)) => match container.get_mut(&key) {
            Some(Value::Object(members)) => remove_member(members, sub),
            Some(Value::Array(items)) => {
                for item in items {
                    if let Value::Object(members) = item {
                        remove_member(members, sub);
                    }
                }
            }
            Some(Value::Null) | None => {}
            Some(_) => return Err(not_complex(&key, sub)),
        },
        (Some(filter), _) => {
            let item_sub = &target.item_sub;
            let items = match container.get_mut(&key) {
                Some(Value::Array(items)) => items,
                Some(Value::Null) | None => return Err(target.no_match()),
                Some(_) => return Err(not_multi_valued(&key)),
            };
            let hits = matching(items, filter);
            if hits.is_empty() {
                return Err(target.no_match());
            }
            match item_sub {
                Some(sub) => {
                    for &index in &hits {
                        if let Value::Object(members) = &mut items[index] {
                            remove_member(members, sub);
                        }
                    }
                }
                None => {
                    let mut index = 0;
                    items.retain(|_| {
                        let keep = !hits.contains(&index);
                        index += 1;
                        keep
                    });
                    if items.is_empty() {
                        container.remove(&key);
                    }
                }
            }
        }
    }
    Ok(())
}

fn not_multi_valued(key: &str) -> ScimError {
    ScimError::InvalidPath(format!(
        "\"{key}\" is not multi-valued, so a value filter cannot select from it"
    ))
}

fn not_complex(key: &str, sub: &str) -> ScimError {
    ScimError::InvalidPath(format!(
        "\"{key}\" is not a complex attribute, so it has no \"{sub}\""
    ))
}

fn simple_items(key: &str, sub: &str) -> ScimError {
    ScimError::InvalidPath(format!(
        "the items of \"{key}\" are simple values, so they have no \"{sub}\""
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    const READONLY: &[&str] = &["id", "meta", "groups", "manager.displayname"];

    fn user() -> Value {
        json!({
            "schemas": [CORE],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "userName": "bjensen@example.com",
            "name": {"familyName": "Jensen", "givenName": "Barbara", "middleName": "Jane"},
            "active": true,
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "meta": {"resourceType": "User", "version": "W/\"3\""}
        })
    }

    fn group() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
            "displayName": "Tour Guides",
            "members": [
                {"value": "2819c223-7f76-453a-919d-413861904646", "display": "Babs Jensen"},
                {"value": "902c246b-6245-4190-8e05-00816be7344a", "display": "Mandy Pepperidge"}
            ]
        })
    }

    /// Applies a PATCH body's operations to `resource`.
    fn patch(resource: &mut Value, operations_json: Value) -> Result<(), ScimError> {
        let body = json!({"schemas": [PATCH_OP], "Operations": operations_json});
        let ops = operations(&body)?;
        apply(resource, &ops, READONLY)
    }

    fn patched(resource: Value, operations_json: Value) -> Value {
        let mut resource = resource;
        patch(&mut resource, operations_json.clone())
            .unwrap_or_else(|e| panic!("{operations_json}: {e}"));
        resource
    }

    fn attr(uri: Option<&str>, attr: &str, sub: Option<&str>) -> AttrPath {
        AttrPath {
            uri: uri.map(str::to_string),
            attr: attr.to_string(),
            sub: sub.map(str::to_string),
        }
    }

    fn eq(name: &str, value: &str) -> Filter {
        Filter::Compare {
            path: attr(None, name, None),
            op: CompareOp::Eq,
            value: CompValue::Str(value.to_string()),
        }
    }

    #[test]
    fn paths_parse_into_attribute_filter_and_sub_attribute() {
        assert_eq!(
            parse_path("members[value eq \"2819c223-7f76-453a-919d-413861904646\"]"),
            Ok(PatchPath {
                attr: attr(None, "members", None),
                filter: Some(eq("value", "2819c223-7f76-453a-919d-413861904646")),
                sub: None,
            })
        );
        assert_eq!(
            parse_path("emails[type eq \"work\"].value"),
            Ok(PatchPath {
                attr: attr(None, "emails", None),
                filter: Some(eq("type", "work")),
                sub: Some("value".into()),
            })
        );
        assert_eq!(
            parse_path("name.familyName"),
            Ok(PatchPath {
                attr: attr(None, "name", Some("familyName")),
                filter: None,
                sub: None,
            })
        );
        assert_eq!(
            parse_path(&format!("{ENTERPRISE}:manager")),
            Ok(PatchPath {
                attr: attr(Some(ENTERPRISE), "manager", None),
                filter: None,
                sub: None,
            })
        );
        assert_eq!(
            parse_path(&format!("{ENTERPRISE}:manager.value")).map(|p| p.attr),
            Ok(attr(Some(ENTERPRISE), "manager", Some("value")))
        );
        assert_eq!(
            parse_path("  active ").map(|p| p.attr),
            Ok(attr(None, "active", None))
        );
    }

    #[test]
    fn bad_paths_are_invalid_path_with_a_position() {
        let refusal = |input: &str| match parse_path(input) {
            Err(ScimError::InvalidPath(message)) => message,
            other => panic!("{input:?} was not refused as invalidPath: {other:?}"),
        };
        assert!(refusal("").starts_with("the path is empty (character 1)"));
        assert_eq!(
            refusal("emails[type eq \"work\""),
            "unexpected end of path at character 22: expected \"]\" to close the \"[\" at character 7"
        );
        assert_eq!(
            refusal("emails[type xx \"work\"]"),
            "unexpected \"xx\" at character 13: expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)"
        );
        assert_eq!(
            refusal("name familyName"),
            "unexpected \"familyName\" at character 6: expected \"[\" or the end of the path"
        );
        assert_eq!(
            refusal("emails[type eq \"work\"] value"),
            "unexpected \"value\" at character 24: expected \".\" and a sub-attribute, or the end of the path"
        );
        assert_eq!(
            refusal("emails[type eq \"work\"].value.x"),
            "invalid sub-attribute \".value.x\" at character 23: an attribute name starts with a letter and holds only letters, digits, \"-\" and \"_\""
        );
        assert_eq!(
            refusal("emails[type eq \"work\"].value]"),
            "unexpected \"]\" at character 29: expected the end of the path"
        );
        assert!(refusal("name.givenName[value pr]")
            .contains("a value filter follows the attribute's name"));
        assert!(refusal("emails[x[y pr]]").contains("a value filter cannot hold another one"));
        assert!(refusal("(name)")
            .starts_with("unexpected \"(\" at character 1: expected an attribute name"));
        assert!(refusal(&"a".repeat(5000)).contains("past the limit of 4096"));
    }

    #[test]
    fn operations_read_each_item() {
        let body = json!({
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "add", "value": {"active": false}},
                {"op": "Replace", "path": "active", "value": false},
                {"op": "REMOVE", "path": "members[value eq \"x\"]"}
            ]
        });
        let ops = operations(&body).unwrap();
        assert_eq!(ops.len(), 3);
        assert_eq!(
            ops[0],
            Operation {
                op: OpKind::Add,
                path: None,
                value: Some(json!({"active": false}))
            }
        );
        assert_eq!(ops[1].op, OpKind::Replace);
        assert_eq!(
            ops[1].path.as_ref().map(|p| p.attr.clone()),
            Some(attr(None, "active", None))
        );
        assert_eq!(ops[2].op, OpKind::Remove);
        assert_eq!(ops[2].value, None);
        // Member names of the body are case-insensitive too.
        let lower = json!({"operations": [{"OP": "add", "Path": "title", "Value": "Boss"}]});
        assert_eq!(operations(&lower).unwrap()[0].value, Some(json!("Boss")));
        // A null path is no path.
        let null_path =
            json!({"Operations": [{"op": "add", "path": null, "value": {"title": "x"}}]});
        assert_eq!(operations(&null_path).unwrap()[0].path, None);
    }

    #[test]
    fn operations_refuse_malformed_items() {
        let one = |op: Value| {
            operations(&json!({"Operations": [{"op": "add", "path": "title", "value": "x"}, op]}))
        };
        assert_eq!(
            one(json!({"path": "title", "value": "x"})),
            Err(ScimError::InvalidSyntax(
                "operation 2: \"op\" is missing: use add, remove or replace".into()
            ))
        );
        assert_eq!(
            one(json!({"op": "move", "path": "title"})),
            Err(ScimError::InvalidSyntax(
                "operation 2: unknown op \"move\": use add, remove or replace".into()
            ))
        );
        assert_eq!(
            one(json!({"op": 1, "path": "title"})),
            Err(ScimError::InvalidSyntax(
                "operation 2: \"op\" must be a string: use add, remove or replace".into()
            ))
        );
        assert_eq!(
            one(json!("add")),
            Err(ScimError::InvalidSyntax(
                "operation 2: an operation is an object with \"op\", \"path\" and \"value\" members"
                    .into()
            ))
        );
        assert_eq!(
            one(json!({"op": "remove"})),
            Err(ScimError::NoTarget(
                "operation 2: remove needs a \"path\" naming what to remove".into()
            ))
        );
        assert_eq!(
            one(json!({"op": "replace", "path": "title"})),
            Err(ScimError::InvalidValue(
                "operation 2: replace needs a \"value\"".into()
            ))
        );
        assert_eq!(
            one(json!({"op": "add", "path": 7, "value": "x"})),
            Err(ScimError::InvalidPath(
                "operation 2: \"path\" must be a string, such as name.familyName".into()
            ))
        );
        let bad_path = one(json!({"op": "add", "path": "emails[type eq]", "value": "x"}));
        assert!(
            matches!(&bad_path, Err(ScimError::InvalidPath(m)) if m.starts_with("operation 2: unexpected \"]\" at character 15")),
            "{bad_path:?}"
        );
        for body in [
            json!({"schemas": [PATCH_OP]}),
            json!({"Operations": []}),
            json!({"Operations": {"op": "add"}}),
            json!([]),
        ] {
            assert!(
                matches!(operations(&body), Err(ScimError::InvalidSyntax(m)) if m.contains("\"Operations\" array")),
                "{body}"
            );
        }
    }

    #[test]
    fn okta_add_without_path_sets_attributes() {
        let user = patched(user(), json!([{"op": "add", "value": {"active": false}}]));
        assert_eq!(user["active"], json!(false));
        assert_eq!(user["userName"], json!("bjensen@example.com"));
    }

    #[test]
    fn entra_capitalised_replace_with_path() {
        let user = patched(
            user(),
            json!([{"op": "Replace", "path": "active", "value": false}]),
        );
        assert_eq!(user["active"], json!(false));
    }

    #[test]
    fn existing_keys_keep_their_spelling_and_new_keys_are_written_as_given() {
        let user = patched(
            user(),
            json!([
                {"op": "replace", "path": "USERNAME", "value": "babs@example.com"},
                {"op": "add", "path": "displayName", "value": "Babs"},
                {"op": "replace", "path": "NAME.GIVENNAME", "value": "Barb"}
            ]),
        );
        assert_eq!(user["userName"], json!("babs@example.com"));
        assert!(user.get("USERNAME").is_none());
        assert_eq!(user["displayName"], json!("Babs"));
        assert_eq!(user["name"]["givenName"], json!("Barb"));
    }

    #[test]
    fn replace_through_a_filter_changes_the_matching_items_sub_attribute() {
        let user = patched(
            user(),
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "babs@example.com"}]),
        );
        assert_eq!(
            user["emails"],
            json!([
                {"value": "babs@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ])
        );
    }

    #[test]
    fn replace_through_a_filter_without_sub_attribute_replaces_whole_items() {
        let user = patched(
            user(),
            json!([{"op": "replace", "path": "emails[type eq \"home\"]", "value": {"value": "b@home.org", "type": "home", "primary": true}}]),
        );
        assert_eq!(
            user["emails"],
            json!([
                {"value": "bjensen@example.com", "type": "work", "primary": false},
                {"value": "b@home.org", "type": "home", "primary": true}
            ]),
            "the new primary item takes primary from the other"
        );
    }

    #[test]
    fn remove_through_a_filter_drops_matching_items() {
        let user = patched(
            user(),
            json!([{"op": "remove", "path": "emails[type eq \"work\"]"}]),
        );
        assert_eq!(
            user["emails"],
            json!([{"value": "babs@jensen.org", "type": "home"}])
        );
        // Removing the last item removes the attribute.
        let user = patched(
            user,
            json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]),
        );
        assert!(user.get("emails").is_none());
    }

    #[test]
    fn remove_a_group_member_by_filter() {
        let group = patched(
            group(),
            json!([{"op": "remove", "path": "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]"}]),
        );
        assert_eq!(
            group["members"],
            json!([{"value": "902c246b-6245-4190-8e05-00816be7344a", "display": "Mandy Pepperidge"}])
        );
    }

    #[test]
    fn remove_with_a_filter_matching_nothing_is_no_target() {
        let mut group = group();
        let result = patch(
            &mut group,
            json!([{"op": "remove", "path": "members[value eq \"nobody\"]"}]),
        );
        assert_eq!(
            result,
            Err(ScimError::NoTarget(
                "operation 1 (remove): no item of \"members\" matches the value filter".into()
            ))
        );
        let mut user = user();
        let result = patch(
            &mut user,
            json!([{"op": "remove", "path": "ims[type eq \"xmpp\"]"}]),
        );
        assert!(
            matches!(result, Err(ScimError::NoTarget(_))),
            "an absent attribute has no items"
        );
    }

    #[test]
    fn entra_removes_members_named_in_the_value() {
        let group = patched(
            group(),
            json!([{"op": "Remove", "path": "members", "value": [{"value": "902C246B-6245-4190-8E05-00816BE7344A"}]}]),
        );
        assert_eq!(
            group["members"],
            json!([{"value": "2819c223-7f76-453a-919d-413861904646", "display": "Babs Jensen"}])
        );
        // A member already gone is no error.
        let group = patched(
            group,
            json!([{"op": "Remove", "path": "members", "value": [{"value": "902c246b-6245-4190-8e05-00816be7344a"}]}]),
        );
        assert_eq!(group["members"].as_array().map(Vec::len), Some(1));
        // Without a value, remove takes all members.
        let group = patched(group, json!([{"op": "remove", "path": "members"}]));
        assert!(group.get("members").is_none());
    }

    #[test]
    fn add_to_a_multi_valued_attribute_appends_new_items_only() {
        let user = patched(
            user(),
            json!([{"op": "add", "path": "emails", "value": [
                {"value": "babs@jensen.org", "type": "home"},
                {"value": "babs@work.example", "type": "other", "primary": true}
            ]}]),
        );
        assert_eq!(
            user["emails"],
            json!([
                {"value": "bjensen@example.com", "type": "work", "primary": false},
                {"value": "babs@jensen.org", "type": "home"},
                {"value": "babs@work.example", "type": "other", "primary": true}
            ])
        );
        // A member sent again without its display name is the same member.
        let group = patched(
            group(),
            json!([{"op": "add", "path": "members", "value": [
                {"value": "2819c223-7f76-453a-919d-413861904646"},
                {"value": "08e1d05d-121c-4561-8b96-473d93df9210"}
            ]}]),
        );
        assert_eq!(group["members"].as_array().map(Vec::len), Some(3));
        assert_eq!(
            group["members"][2],
            json!({"value": "08e1d05d-121c-4561-8b96-473d93df9210"})
        );
    }

    #[test]
    fn add_to_an_absent_multi_valued_attribute_creates_it() {
        let user = patched(
            user(),
            json!([{"op": "add", "path": "phoneNumbers", "value": [{"value": "555-555-5555", "type": "work"}]}]),
        );
        assert_eq!(
            user["phoneNumbers"],
            json!([{"value": "555-555-5555", "type": "work"}])
        );
    }

    #[test]
    fn add_through_a_filter_matching_nothing_creates_the_item_from_its_terms() {
        let user = patched(
            user(),
            json!([
                {"op": "add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "555-0100"},
                {"op": "add", "path": "emails[type eq \"other\"].value", "value": "b@other.example"}
            ]),
        );
        assert_eq!(
            user["phoneNumbers"],
            json!([{"type": "mobile", "value": "555-0100"}])
        );
        assert_eq!(
            user["emails"][2],
            json!({"type": "other", "value": "b@other.example"})
        );
        // A filter that is not plain equality says nothing about the new item.
        let mut user = user;
        let result = patch(
            &mut user,
            json!([{"op": "add", "path": "emails[type co \"x\"].value", "value": "a@b.c"}]),
        );
        assert!(matches!(result, Err(ScimError::NoTarget(_))));
    }

    #[test]
    fn add_through_a_filter_merges_into_matching_items() {
        let user = patched(
            user(),
            json!([{"op": "add", "path": "emails[type eq \"home\"]", "value": {"display": "Home"}}]),
        );
        assert_eq!(
            user["emails"][1],
            json!({"value": "babs@jensen.org", "type": "home", "display": "Home"})
        );
    }

    #[test]
    fn remove_of_a_sub_attribute_removes_just_that_member() {
        let user = patched(user(), json!([{"op": "remove", "path": "name.middleName"}]));
        assert_eq!(
            user["name"],
            json!({"familyName": "Jensen", "givenName": "Barbara"})
        );
        let user = patched(
            user,
            json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}]),
        );
        assert_eq!(
            user["emails"][0],
            json!({"value": "bjensen@example.com", "type": "work"})
        );
        let user = patched(user, json!([{"op": "remove", "path": "emails.type"}]));
        assert_eq!(
            user["emails"],
            json!([{"value": "bjensen@example.com"}, {"value": "babs@jensen.org"}])
        );
    }

    #[test]
    fn remove_of_an_absent_attribute_is_no_error() {
        let before = user();
        let after = patched(
            before.clone(),
            json!([
                {"op": "remove", "path": "nickName"},
                {"op": "remove", "path": "addresses.locality"},
                {"op": "remove", "path": format!("{ENTERPRISE}:department")}
            ]),
        );
        assert_eq!(after, before);
    }

    #[test]
    fn replace_through_a_filter_matching_nothing_is_no_target_and_changes_nothing() {
        let mut user = user();
        let result = patch(
            &mut user,
            json!([
                {"op": "replace", "path": "active", "value": false},
                {"op": "replace", "path": "emails[type eq \"other\"].value", "value": "x@y.z"}
            ]),
        );
        assert_eq!(
            result,
            Err(ScimError::NoTarget(
                "operation 2 (replace): no item of \"emails\" matches the value filter".into()
            ))
        );
        assert_eq!(result.unwrap_err().scim_type(), "noTarget");
        assert_eq!(user, self::user(), "the first operation is undone too");
    }

    #[test]
    fn changing_a_read_only_attribute_is_refused() {
        let mut user = user();
        let result = patch(
            &mut user,
            json!([{"op": "replace", "path": "id", "value": "other"}]),
        );
        assert_eq!(
            result,
            Err(ScimError::Mutability(
                "operation 1 (replace): \"id\" is read-only and cannot be changed".into()
            ))
        );
        assert_eq!(user, self::user());
        for ops in [
            json!([{"op": "remove", "path": "ID"}]),
            json!([{"op": "add", "value": {"id": "other"}}]),
            json!([{"op": "replace", "path": "meta.version", "value": "W/\"4\""}]),
            json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
            json!([{"op": "add", "path": format!("{ENTERPRISE}:manager.displayName"), "value": "Boss"}]),
        ] {
            let result = patch(&mut user, ops.clone());
            assert!(
                matches!(result, Err(ScimError::Mutability(_))),
                "{ops}: {result:?}"
            );
        }
    }

    #[test]
    fn sending_a_read_only_attribute_unchanged_is_allowed() {
        // Okta renames a group by replacing with its id and new name.
        let group = patched(
            group(),
            json!([{"op": "replace", "value": {"id": "e9e30dba-f08f-4109-8486-d5c6a331660a", "displayName": "Guides"}}]),
        );
        assert_eq!(group["displayName"], json!("Guides"));
    }

    #[test]
    fn remove_without_path_is_no_target() {
        let mut user = user();
        let op = Operation {
            op: OpKind::Remove,
            path: None,
            value: None,
        };
        assert_eq!(
            apply(&mut user, &[op], READONLY),
            Err(ScimError::NoTarget(
                "operation 1 (remove): remove needs a \"path\" naming what to remove".into()
            ))
        );
    }

    #[test]
    fn add_or_replace_without_value_is_invalid_value() {
        let mut user = user();
        let op = Operation {
            op: OpKind::Add,
            path: Some(parse_path("title").unwrap()),
            value: None,
        };
        assert_eq!(
            apply(&mut user, &[op], READONLY),
            Err(ScimError::InvalidValue(
                "operation 1 (add): add needs a \"value\"".into()
            ))
        );
        let result = patch(&mut user, json!([{"op": "replace", "value": "x"}]));
        assert!(
            matches!(&result, Err(ScimError::InvalidValue(m)) if m.contains("must be an object")),
            "{result:?}"
        );
    }

    #[test]
    fn enterprise_attribute_added_by_its_urn_path() {
        let user = patched(
            user(),
            json!([
                {"op": "add", "path": format!("{ENTERPRISE}:department"), "value": "Tour Operations"},
                {"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": {"value": "26118915"}}
            ]),
        );
        assert_eq!(
            user[ENTERPRISE],
            json!({"department": "Tour Operations", "manager": {"value": "26118915"}})
        );
        assert_eq!(
            user["schemas"],
            json!([CORE, ENTERPRISE]),
            "the extension is declared"
        );
        // A later change finds the object whatever the URN's case.
        let user = patched(
            user,
            json!([{"op": "replace", "path": format!("{}:DEPARTMENT", ENTERPRISE.to_lowercase()), "value": "Sales"}]),
        );
        assert_eq!(user[ENTERPRISE]["department"], json!("Sales"));
        assert_eq!(
            user.as_object().map(Map::len),
            Some(8),
            "no second extension object"
        );
    }

    #[test]
    fn replace_without_path_merges_an_extension_keyed_by_its_urn() {
        let mut start = user();
        start[ENTERPRISE] = json!({"employeeNumber": "701984", "department": "Tours"});
        start["schemas"] = json!([CORE, ENTERPRISE]);
        let user = patched(
            start,
            json!([{"op": "replace", "value": {
                "displayName": "Babs",
                ENTERPRISE: {"department": "Sales", "costCenter": "4130"}
            }}]),
        );
        assert_eq!(user["displayName"], json!("Babs"));
        assert_eq!(
            user[ENTERPRISE],
            json!({"employeeNumber": "701984", "department": "Sales", "costCenter": "4130"})
        );
        // With no extension yet, the URN key creates it and declares it.
        let user = patched(
            self::user(),
            json!([{"op": "add", "value": {ENTERPRISE: {"department": "Sales"}}}]),
        );
        assert_eq!(user[ENTERPRISE], json!({"department": "Sales"}));
        assert_eq!(user["schemas"], json!([CORE, ENTERPRISE]));
    }

    #[test]
    fn path_less_keys_written_as_paths_are_followed() {
        let user = patched(
            user(),
            json!([{"op": "replace", "value": {
                "name.givenName": "Barb",
                "emails[type eq \"work\"].value": "barb@example.com",
                format!("{ENTERPRISE}:employeeNumber"): "42"
            }}]),
        );
        assert_eq!(user["name"]["givenName"], json!("Barb"));
        assert_eq!(user["name"]["familyName"], json!("Jensen"));
        assert_eq!(user["emails"][0]["value"], json!("barb@example.com"));
        assert_eq!(user[ENTERPRISE], json!({"employeeNumber": "42"}));
    }

    #[test]
    fn whole_extension_urn_as_a_path_names_its_object() {
        let user = patched(
            user(),
            json!([{"op": "add", "path": ENTERPRISE, "value": {"department": "Sales"}}]),
        );
        assert_eq!(user[ENTERPRISE], json!({"department": "Sales"}));
        let user = patched(user, json!([{"op": "remove", "path": ENTERPRISE}]));
        assert!(user.get(ENTERPRISE).is_none());
    }

    #[test]
    fn core_schema_urn_qualifies_top_level_attributes() {
        let user = patched(
            user(),
            json!([
                {"op": "replace", "path": format!("{CORE}:userName"), "value": "babs"},
                {"op": "replace", "path": CORE, "value": {"title": "Guide"}}
            ]),
        );
        assert_eq!(user["userName"], json!("babs"));
        assert_eq!(user["title"], json!("Guide"));
        assert!(user.get(CORE).is_none());
        let user = patched(
            user,
            json!([{"op": "replace", "value": {CORE: {"nickName": "Babs"}, "active": false}}]),
        );
        assert_eq!(user["nickName"], json!("Babs"));
        assert_eq!(user["active"], json!(false));
        assert!(user.get(CORE).is_none());
    }

    #[test]
    fn replace_merges_complex_attributes_and_sets_the_rest() {
        let user = patched(
            user(),
            json!([
                {"op": "replace", "path": "name", "value": {"givenName": "Barb"}},
                {"op": "replace", "path": "emails", "value": [{"value": "only@example.com"}]}
            ]),
        );
        assert_eq!(
            user["name"],
            json!({"familyName": "Jensen", "givenName": "Barb", "middleName": "Jane"})
        );
        assert_eq!(user["emails"], json!([{"value": "only@example.com"}]));
    }

    #[test]
    fn sub_attribute_of_an_absent_complex_attribute_creates_it() {
        let user = patched(
            json!({"schemas": [CORE], "userName": "x"}),
            json!([
                {"op": "add", "path": "name.givenName", "value": "Ada"},
                {"op": "replace", "path": "name.familyName", "value": "Lovelace"}
            ]),
        );
        assert_eq!(
            user["name"],
            json!({"givenName": "Ada", "familyName": "Lovelace"})
        );
    }

    #[test]
    fn a_null_value_unassigns() {
        let user = patched(
            user(),
            json!([
                {"op": "replace", "path": "name.middleName", "value": null},
                {"op": "replace", "value": {"active": null}}
            ]),
        );
        assert!(user["name"].get("middleName").is_none());
        assert!(user.get("active").is_none());
    }

    #[test]
    fn filters_and_sub_attributes_on_the_wrong_shape_are_invalid_path() {
        let mut user = user();
        for ops in [
            json!([{"op": "replace", "path": "name[givenName eq \"Barbara\"].givenName", "value": "B"}]),
            json!([{"op": "remove", "path": "userName[value eq \"x\"]"}]),
            json!([{"op": "add", "path": "userName.first", "value": "B"}]),
            json!([{"op": "add", "path": "schemas.first", "value": "B"}]),
        ] {
            let result = patch(&mut user, ops.clone());
            assert!(
                matches!(result, Err(ScimError::InvalidPath(_))),
                "{ops}: {result:?}"
            );
        }
        assert_eq!(
            patch(&mut user, json!([{"op": "remove", "path": "userName[value eq \"x\"]"}])),
            Err(ScimError::InvalidPath(
                "operation 1 (remove): \"userName\" is not multi-valued, so a value filter cannot select from it"
                    .into()
            ))
        );
    }

    #[test]
    fn a_resource_that_is_not_an_object_is_refused() {
        let mut resource = json!([]);
        assert!(matches!(
            apply(&mut resource, &[], READONLY),
            Err(ScimError::InvalidValue(_))
        ));
    }
}

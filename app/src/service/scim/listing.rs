//! A list request (`GET /Users`, `GET /Groups`): its paging, sorting and filter made
//! into SQL, and which attributes each resource answers with.

use serde_json::{json, Value};

use super::query::{self, Resource, Sql};
use super::{ScimFailure, ENTERPRISE, GATEHOUSE, LIST_RESPONSE, MAX_RESULTS};
use crate::db::scim::Page;

/// A list request's parameters, as sent.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    pub filter: Option<String>,
    pub start_index: Option<String>,
    pub count: Option<String>,
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

fn number(name: &str, value: Option<&str>, default: i64) -> Result<i64, ScimFailure> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v.parse::<i64>().map_err(|_| {
            ScimFailure::invalid_value(format!("{name} must be a whole number, not \"{v}\"."))
        }),
    }
}

/// A list request, checked.
pub struct Listing {
    /// 1-based, as SCIM counts.
    pub start: i64,
    pub count: i64,
    pub order: String,
    pub condition: Sql,
    pub projection: Projection,
}

impl Listing {
    pub fn new(resource: Resource, q: &ListQuery) -> Result<Self, ScimFailure> {
        // SCIM: a startIndex under 1 counts as 1, a negative count as 0.
        let start = number("startIndex", q.start_index.as_deref(), 1)?.max(1);
        let count = number("count", q.count.as_deref(), MAX_RESULTS)?.clamp(0, MAX_RESULTS);
        let descending = match q
            .sort_order
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("") | Some("ascending") => false,
            Some("descending") => true,
            Some(other) => {
                return Err(ScimFailure::invalid_value(format!(
                    "sortOrder must be ascending or descending, not \"{other}\"."
                )))
            }
        };
        let order = query::order(
            resource,
            q.sort_by.as_deref().filter(|s| !s.trim().is_empty()),
            descending,
        )?;
        let condition = match q.filter.as_deref().filter(|f| !f.trim().is_empty()) {
            None => Sql::everything(),
            Some(f) => query::condition(resource, &rules::scim::filter::parse(f)?, 2)?,
        };
        let projection =
            Projection::new(q.attributes.as_deref(), q.excluded_attributes.as_deref())?;
        Ok(Self {
            start,
            count,
            order,
            condition,
            projection,
        })
    }

    pub fn page(&self) -> Page<'_> {
        Page {
            condition: &self.condition.text,
            params: &self.condition.params,
            order: &self.order,
            offset: self.start - 1,
            limit: self.count,
        }
    }

    /// The list answer of a page of `resources` out of `total`.
    pub fn answer(&self, total: i64, resources: Vec<Value>) -> Value {
        json!({
            "schemas": [LIST_RESPONSE],
            "totalResults": total,
            "startIndex": self.start,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        })
    }
}

/// `attributes` or `excludedAttributes`: which of a resource's attributes to answer.
pub struct Projection {
    only: Option<Vec<(Option<String>, String)>>,
    without: Vec<(Option<String>, String)>,
}

impl Projection {
    pub fn new(attributes: Option<&str>, excluded: Option<&str>) -> Result<Self, ScimFailure> {
        let names = |list: Option<&str>| -> Result<Vec<(Option<String>, String)>, ScimFailure> {
            list.unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| match rules::scim::filter::parse(&format!("{n} pr")) {
                    Ok(rules::scim::filter::Filter::Present(p)) => Ok((p.uri, p.attr)),
                    _ => Err(ScimFailure::invalid_value(format!(
                        "\"{n}\" is not an attribute name."
                    ))),
                })
                .collect()
        };
        let only = names(attributes)?;
        Ok(Self {
            only: (!only.is_empty()).then_some(only),
            without: names(excluded)?,
        })
    }

    /// Whether the attribute `name` (of the core schema) is answered.
    pub fn shows(&self, name: &str) -> bool {
        let named = |list: &[(Option<String>, String)]| {
            list.iter()
                .any(|(uri, attr)| uri.is_none() && attr.eq_ignore_ascii_case(name))
        };
        self.only.as_deref().is_none_or(named) && !named(&self.without)
    }

    /// `user` with only the asked attributes (`id`, `schemas` and `meta` always stay).
    pub fn apply(&self, user: Value) -> Value {
        let Value::Object(mut user) = user else {
            return user;
        };
        let named = |list: &[(Option<String>, String)], key: &str, sub: Option<&str>| {
            list.iter().any(|(uri, attr)| match (uri, sub) {
                (Some(u), Some(s)) => u.eq_ignore_ascii_case(key) && attr.eq_ignore_ascii_case(s),
                (Some(u), None) => u.eq_ignore_ascii_case(key),
                (None, None) => attr.eq_ignore_ascii_case(key),
                (None, Some(_)) => false,
            })
        };
        let always = ["id", "schemas", "meta"];
        let extensions = [ENTERPRISE, GATEHOUSE];
        let keys: Vec<String> = user.keys().cloned().collect();
        for key in keys {
            if always.contains(&key.as_str()) {
                continue;
            }
            if extensions.contains(&key.as_str()) {
                if let Some(Value::Object(ext)) = user.get_mut(&key) {
                    let subs: Vec<String> = ext.keys().cloned().collect();
                    for sub in subs {
                        // An extension's attributes may also be named alone.
                        let keep = match &self.only {
                            Some(only) => {
                                named(only, &key, None)
                                    || named(only, &key, Some(&sub))
                                    || named(only, &sub, None)
                            }
                            None => true,
                        } && !(named(&self.without, &key, Some(&sub))
                            || named(&self.without, &sub, None));
                        if !keep {
                            ext.remove(&sub);
                        }
                    }
                }
                if named(&self.without, &key, None) {
                    user.remove(&key);
                }
                continue;
            }
            let keep = self
                .only
                .as_ref()
                .is_none_or(|only| named(only, &key, None))
                && !named(&self.without, &key, None);
            if !keep {
                user.remove(&key);
            }
        }
        Value::Object(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::scim::USER;

    #[test]
    fn projection_keeps_what_is_asked_and_always_the_id() {
        let user = json!({
            "schemas": [USER], "id": "1", "userName": "a", "displayName": "A", "meta": {},
            ENTERPRISE: { "department": "Sales", "costCenter": "1" }
        });
        let only = Projection::new(Some("userName,department"), None)
            .unwrap()
            .apply(user.clone());
        assert_eq!(only["userName"], "a");
        assert!(only.get("displayName").is_none());
        assert_eq!(only[ENTERPRISE], json!({ "department": "Sales" }));
        assert_eq!(only["id"], "1");
        let without = Projection::new(None, Some("displayName"))
            .unwrap()
            .apply(user);
        assert!(without.get("displayName").is_none());
        assert_eq!(without["userName"], "a");
    }
}

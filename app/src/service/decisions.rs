//! The decision API for the governed systems: may this principal do this, here, to this
//! resource? Each check is answered by `rules::policy::decide` over the principal's
//! grants in the token's application, with its reasons and the organisation's policy
//! version. A check that cannot be read gets an error of its own and never stops the
//! others; unknown principals, permissions and accounts are refusals with the reason.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::tokens::TokenCaller;
use crate::error::AppError;
use crate::model::access::{Explanation, HeldGrant, Holder, Holders};
use crate::model::ConditionsShown;
use rules::audit::AuditAction;
use rules::policy::conditions::Conditions;
use rules::policy::{decide, Decision, Grant, Principal, Question, Why};

/// At most this many checks in one request.
pub const MAX_CHECKS: usize = 1_000;
const MAX_ATTRIBUTES: usize = 50;
const MAX_TEXT: usize = 256;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Check {
    principal: String,
    permission: String,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    resource: Option<Resource>,
    #[serde(default)]
    on_behalf_of: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Resource {
    #[serde(default)]
    attributes: Map<String, Value>,
}

/// One check, read.
struct Asked {
    principal: String,
    permission: String,
    account: Option<String>,
    resource: BTreeMap<String, String>,
    on_behalf_of: Option<String>,
}

fn read_check(value: &Value) -> Result<Asked, String> {
    let check: Check = serde_json::from_value(value.clone())
        .map_err(|e| format!("This check cannot be read: {e}."))?;
    let attributes = check.resource.map(|r| r.attributes).unwrap_or_default();
    if attributes.len() > MAX_ATTRIBUTES {
        return Err(format!(
            "A resource has at most {MAX_ATTRIBUTES} attributes."
        ));
    }
    let mut resource = BTreeMap::new();
    for (name, value) in attributes {
        let text = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                return Err(format!(
                    "The attribute \u{201c}{name}\u{201d} must be a string, a number or true/false."
                ))
            }
        };
        resource.insert(name.to_lowercase(), text);
    }
    let texts = [&check.principal, &check.permission]
        .into_iter()
        .chain(check.account.as_ref())
        .chain(check.on_behalf_of.as_ref())
        .chain(resource.keys())
        .chain(resource.values());
    for t in texts {
        if t.chars().count() > MAX_TEXT {
            return Err(format!(
                "Names and values are at most {MAX_TEXT} characters."
            ));
        }
        if t.contains(char::is_control) {
            return Err(format!(
                "\u{201c}{}\u{201d} holds control characters; names and values are plain text.",
                t.escape_default()
            ));
        }
    }
    Ok(Asked {
        principal: check.principal.trim().to_string(),
        permission: check.permission.trim().to_string(),
        account: check
            .account
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty()),
        resource,
        on_behalf_of: check
            .on_behalf_of
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty()),
    })
}

/// Splits references into ids and other names.
fn ids_and_names<'a>(refs: impl Iterator<Item = &'a String>) -> (Vec<Uuid>, Vec<String>) {
    let mut ids = Vec::new();
    let mut names = Vec::new();
    for r in refs {
        match Uuid::parse_str(r) {
            Ok(id) => ids.push(id),
            Err(_) => names.push(r.clone()),
        }
    }
    ids.sort();
    ids.dedup();
    names.sort();
    names.dedup();
    (ids, names)
}

/// Answers a batch `{"checks": [...]}`.
pub async fn decide_batch(
    pool: &PgPool,
    caller: TokenCaller,
    body: &Value,
) -> Result<Value, AppError> {
    let Some(checks) = body.get("checks").and_then(Value::as_array) else {
        return Err(AppError::invalid(
            "checks",
            "Send {\"checks\": [{\"principal\": …, \"permission\": \"resource.action\", …}]}.",
        ));
    };
    if checks.is_empty() || checks.len() > MAX_CHECKS {
        return Err(AppError::invalid(
            "checks",
            format!(
                "Send between 1 and {MAX_CHECKS} checks; this batch has {}.",
                checks.len()
            ),
        ));
    }
    let org = caller.org_id;
    // The version first: an answer never claims a newer version than the data it read.
    let version = db::policy::version(pool, org).await?;
    let asked: Vec<Result<Asked, String>> = checks.iter().map(read_check).collect();
    let readable: Vec<&Asked> = asked.iter().filter_map(|a| a.as_ref().ok()).collect();
    let found = look_up(pool, org, caller.application_id, &readable).await?;
    let now = Utc::now();
    let mut answers = Vec::with_capacity(asked.len());
    let mut audited = Vec::new();
    let mut activity = db::activity::Decided::default();
    for a in &asked {
        let a = match a {
            Ok(a) => a,
            Err(message) => {
                answers.push(json!({ "error": message }));
                continue;
            }
        };
        let (decision, about) = found.decide(a, now);
        if let Some(about) = about {
            if about.high_impact {
                audited.push((about.principal, a, decision.allowed));
            }
            activity.add(about.principal, about.used.filter(|_| decision.allowed));
        }
        answers.push(answer(&decision, &|id| found.account_name(id)));
    }
    if !audited.is_empty() {
        record_high_impact(pool, &caller, &audited).await?;
    }
    db::activity::decided(pool, org, &activity, now).await?;
    Ok(json!({ "policy_version": version, "decisions": answers }))
}

/// One check asked from the console's explain page: the decision in words, and the
/// principals it is about (for the caller's reach).
pub async fn explain(
    pool: &PgPool,
    org: Uuid,
    application: Uuid,
    check: &Value,
) -> Result<(Explanation, Vec<Uuid>), AppError> {
    let version = db::policy::version(pool, org).await?;
    let a = &read_check(check).map_err(|message| AppError::invalid("attributes", message))?;
    let found = look_up(pool, org, application, &[a]).await?;
    let unknown = |field: &str, r: &str| {
        AppError::invalid(
            field,
            format!("No principal has the email, id or external id \u{201c}{r}\u{201d}."),
        )
    };
    let principal = found
        .principal(&a.principal)
        .ok_or_else(|| unknown("principal", &a.principal))?;
    let mut about = vec![principal.id];
    if let Some(r) = &a.on_behalf_of {
        about.push(
            found
                .principal(r)
                .ok_or_else(|| unknown("on_behalf_of", r))?
                .id,
        );
    }
    let (decision, _) = found.decide(a, Utc::now());
    let name = |id: Uuid| found.account_name(id);
    let explanation = Explanation {
        allowed: decision.allowed,
        principal: principal.name.clone(),
        reasons: decision
            .reasons
            .iter()
            .map(|why| why.words(&name))
            .collect(),
        policy_version: version,
    };
    Ok((explanation, about))
}

/// Reads what the checks name: the principals (and the people they act for), the
/// accounts, the application's permissions asked about, and the grants holding them.
async fn look_up(
    pool: &PgPool,
    org: Uuid,
    application: Uuid,
    asked: &[&Asked],
) -> Result<Found, AppError> {
    let readable = || asked.iter().copied();

    let (principal_ids, principal_names) = ids_and_names(
        readable().flat_map(|a| std::iter::once(&a.principal).chain(a.on_behalf_of.as_ref())),
    );
    let (account_ids, account_names) = ids_and_names(readable().filter_map(|a| a.account.as_ref()));
    let mut keys: Vec<String> = readable().map(|a| a.permission.clone()).collect();
    keys.sort();
    keys.dedup();
    let (subjects, accounts, permissions) = tokio::try_join!(
        db::policy::principals(pool, org, &principal_ids, &principal_names),
        db::policy::accounts(pool, org, &account_ids, &account_names),
        db::policy::permissions(pool, org, application, &keys),
    )?;
    let permission_ids: Vec<Uuid> = permissions.iter().map(|(id, ..)| *id).collect();
    let subject_ids: Vec<Uuid> = subjects.iter().map(|s| s.id).collect();
    let grants = db::policy::grants(pool, org, &subject_ids, &permission_ids).await?;
    Ok(Found::new(subjects, grants, &accounts, &permissions))
}

/// What the batch's references resolved to.
struct Found {
    /// By id, by email (lower case) and by external id (as written): a reference is
    /// looked up in that order, so an email never stands for another principal's
    /// external id.
    principals: [HashMap<String, Principal>; 3],
    accounts: HashMap<String, Uuid>,
    account_names: HashMap<Uuid, String>,
    /// Known permission keys and whether they are high-impact.
    permissions: HashMap<String, (Uuid, bool)>,
}

impl Found {
    fn new(
        subjects: Vec<db::policy::Subject>,
        grants: Vec<db::policy::Grant>,
        accounts: &[(Uuid, String)],
        permissions: &[(Uuid, String, bool)],
    ) -> Self {
        let mut by_principal: HashMap<Uuid, Vec<Grant>> = HashMap::new();
        for g in grants {
            // A grant whose stored conditions cannot be read allows nothing.
            let Ok(conditions) = Conditions::from_json(&g.conditions) else {
                tracing::warn!(grant = %g.id, "a grant's stored conditions cannot be read");
                continue;
            };
            by_principal.entry(g.principal_id).or_default().push(Grant {
                id: g.id,
                through: g.through,
                account_id: g.account_id,
                valid_from: g.valid_from,
                valid_until: g.valid_until,
                revoked_at: g.revoked_at,
                permissions: g.permissions.into_iter().collect(),
                conditions,
            });
        }
        let mut principals: [HashMap<String, Principal>; 3] = Default::default();
        for s in subjects {
            let mut attributes: BTreeMap<String, String> = s
                .attributes
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.to_lowercase(), v.as_str()?.to_string())))
                .collect();
            attributes.insert("kind".into(), s.kind.clone());
            if let Some(t) = &s.employment_type {
                attributes.insert("employment_type".into(), t.clone());
            }
            let principal = Principal {
                id: s.id,
                name: s.display_name.clone(),
                status: s.status,
                ends_at: s
                    .end_date
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|t| t.and_utc()),
                attributes,
                clearance: None,
                grants: by_principal.remove(&s.id).unwrap_or_default(),
            };
            let refs = [
                Some(s.id.to_string()),
                s.email.clone(),
                s.external_id.clone(),
            ];
            for (map, r) in principals.iter_mut().zip(refs) {
                if let Some(r) = r {
                    map.insert(r, principal.clone());
                }
            }
        }
        let mut by_ref = HashMap::new();
        let mut account_names = HashMap::new();
        for (id, name) in accounts {
            by_ref.insert(id.to_string(), *id);
            by_ref.insert(name.to_lowercase(), *id);
            account_names.insert(*id, name.clone());
        }
        Found {
            principals,
            accounts: by_ref,
            account_names,
            permissions: permissions
                .iter()
                .map(|(id, key, high)| (key.clone(), (*id, *high)))
                .collect(),
        }
    }

    /// The principal a reference names: by id, then email, then external id.
    fn principal(&self, r: &str) -> Option<&Principal> {
        let [by_id, by_email, by_external_id] = &self.principals;
        Uuid::parse_str(r)
            .ok()
            .and_then(|id| by_id.get(&id.to_string()))
            .or_else(|| by_email.get(&r.to_lowercase()))
            .or_else(|| by_external_id.get(r))
    }

    fn account_name(&self, id: Uuid) -> String {
        self.account_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("account {id}"))
    }

    /// The decision, and (when the principal is known) what it was about.
    fn decide(&self, a: &Asked, at: DateTime<Utc>) -> (Decision, Option<About>) {
        let Some(p) = self.principal(&a.principal) else {
            let why = Why::UnknownPrincipal {
                principal: a.principal.clone(),
            };
            return (Decision::deny(why), None);
        };
        let Some(&(permission, high_impact)) = self.permissions.get(&a.permission) else {
            let why = Why::UnknownPermission {
                permission: a.permission.clone(),
            };
            let about = About {
                principal: p.id,
                high_impact: false,
                used: None,
            };
            return (Decision::deny(why), Some(about));
        };
        let about = |account| About {
            principal: p.id,
            high_impact,
            used: Some((permission, account)),
        };
        let account = match &a.account {
            None => None,
            Some(r) => match self.accounts.get(&r.to_lowercase()) {
                Some(id) => Some(*id),
                None => {
                    let why = Why::UnknownAccount { account: r.clone() };
                    return (Decision::deny(why), Some(about(None)));
                }
            },
        };
        let on_behalf_of = match &a.on_behalf_of {
            None => None,
            Some(r) => match self.principal(r) {
                Some(human) => Some(human),
                None => {
                    let why = Why::UnknownPrincipal {
                        principal: r.clone(),
                    };
                    return (Decision::deny(why), Some(about(account)));
                }
            },
        };
        let question = Question {
            permission: &a.permission,
            account,
            resource: &a.resource,
            at,
        };
        (decide(p, &question, on_behalf_of), Some(about(account)))
    }
}

/// What a decision was about, once its principal is known.
struct About {
    principal: Uuid,
    high_impact: bool,
    /// The permission asked (when known) and the account.
    used: Option<(Uuid, Option<Uuid>)>,
}

/// A decision as the API answers it: each reason as data, with its words.
fn answer(decision: &Decision, name: &dyn Fn(Uuid) -> String) -> Value {
    let reasons: Vec<Value> = decision
        .reasons
        .iter()
        .map(|why| {
            let mut v = serde_json::to_value(why).unwrap_or_else(|_| json!({}));
            if let Some(o) = v.as_object_mut() {
                o.insert("text".into(), Value::String(why.words(name)));
            }
            v
        })
        .collect();
    json!({ "allowed": decision.allowed, "reasons": reasons })
}

/// Decisions on high-impact permissions go to the audit trail, allowed or not.
async fn record_high_impact(
    pool: &PgPool,
    caller: &TokenCaller,
    decided: &[(Uuid, &Asked, bool)],
) -> Result<(), AppError> {
    let actor = Actor {
        org_id: caller.org_id,
        principal_id: None,
        label: format!("application token {}", caller.token_id),
        source_ip: None,
        user_agent: None,
    };
    let mut tx = pool.begin().await?;
    for (principal, a, allowed) in decided {
        let verdict = if *allowed { "allowed" } else { "denied" };
        let change = Change::on(
            AuditAction::DecisionMade,
            principal,
            format!("{} \u{2192} {}: {verdict}", a.principal, a.permission),
        )
        .after(json!({
            "permission": a.permission, "account": a.account, "allowed": allowed,
            "on_behalf_of": a.on_behalf_of, "resource": a.resource,
        }));
        db::audit::record(&mut tx, &actor, change).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `GET /api/v1/principals/{principal}/permissions?account=`: what the principal may do
/// in the token's application, on the account (or anywhere), each permission with the
/// grants that give it and whether they all carry conditions.
pub async fn permissions_of(
    pool: &PgPool,
    caller: TokenCaller,
    principal: &str,
    account: Option<&str>,
) -> Result<Value, AppError> {
    let org = caller.org_id;
    let version = db::policy::version(pool, org).await?;
    let subject = one_principal(pool, org, principal).await?;
    let account = one_account(pool, org, account).await?;
    let active = subject.status == rules::principals::PrincipalStatus::Active
        && subject.end_date.is_none_or(|d| d > Utc::now().date_naive());
    let held = if active {
        db::policy::held_by(pool, org, caller.application_id, account, subject.id).await?
    } else {
        Vec::new()
    };
    let mut permissions: Vec<Value> = Vec::new();
    for (permission, grants) in group(&held, |h| h.permission.clone()) {
        permissions.push(json!({
            "permission": permission,
            "conditional": grants.iter().all(|h| has_conditions(h)),
            "grants": grants.iter().map(|h| held_grant(h)).collect::<Vec<_>>(),
        }));
    }
    Ok(json!({
        "policy_version": version,
        "principal": {"id": subject.id, "name": subject.display_name, "status": subject.status.as_str()},
        "account": account,
        "permissions": permissions,
    }))
}

/// `GET /api/v1/permissions/{permission}/holders?account=`: who may do it there (active
/// principals, by name, at most 1,000 grants), each with the grants that give it.
pub async fn holders(
    pool: &PgPool,
    caller: TokenCaller,
    permission: &str,
    account: Option<&str>,
) -> Result<Value, AppError> {
    let key = known_permission(pool, caller.org_id, caller.application_id, permission).await?;
    let account = one_account(pool, caller.org_id, account).await?;
    let found = holders_of(pool, caller.org_id, caller.application_id, &key, account).await?;
    let holders: Vec<Value> = found
        .holders
        .iter()
        .map(|h| {
            json!({
                "principal": {"id": h.principal_id, "name": h.principal},
                "conditional": h.conditional,
                "grants": h.grants,
            })
        })
        .collect();
    Ok(json!({
        "policy_version": found.policy_version,
        "permission": key,
        "account": account,
        "holders": holders,
        "truncated": found.truncated,
    }))
}

/// `key` (`resource.action`, trimmed) if the application has that permission.
pub async fn known_permission(
    pool: &PgPool,
    org: Uuid,
    application: Uuid,
    key: &str,
) -> Result<String, AppError> {
    let key = key.trim().to_string();
    let known = db::policy::permissions(pool, org, application, std::slice::from_ref(&key)).await?;
    if known.is_empty() {
        return Err(AppError::NotFound(format!(
            "The application has no permission \u{201c}{key}\u{201d}; write resource.action."
        )));
    }
    Ok(key)
}

/// Who may do `key` (a known permission of the application) on `account` (anywhere
/// when `None`): active principals, by name, at most 1,000 grants.
pub async fn holders_of(
    pool: &PgPool,
    org: Uuid,
    application: Uuid,
    key: &str,
    account: Option<Uuid>,
) -> Result<Holders, AppError> {
    const LIMIT: usize = 1_000;
    let version = db::policy::version(pool, org).await?;
    let rows = db::policy::holders(pool, org, application, account, key, LIMIT as i64 + 1).await?;
    let truncated = rows.len() > LIMIT;
    let held = &rows[..rows.len().min(LIMIT)];
    let holders = group(held, |h| (h.principal_id, h.principal.clone()))
        .into_iter()
        .map(|((principal_id, principal), grants)| Holder {
            principal_id,
            principal,
            conditional: grants.iter().all(|h| has_conditions(h)),
            grants: grants.iter().map(|h| held_grant(h)).collect(),
        })
        .collect();
    Ok(Holders {
        holders,
        truncated,
        policy_version: version,
    })
}

async fn one_principal(
    pool: &PgPool,
    org: Uuid,
    reference: &str,
) -> Result<db::policy::Subject, AppError> {
    let reference = reference.trim().to_string();
    let (ids, names) = ids_and_names(std::iter::once(&reference));
    let found = db::policy::principals(pool, org, &ids, &names).await?;
    // As in a batch: by id, then by email, then by external id.
    let rank = |p: &db::policy::Subject| {
        if ids.contains(&p.id) {
            0
        } else if p.email.as_deref() == Some(reference.to_lowercase().as_str()) {
            1
        } else {
            2
        }
    };
    found.into_iter().min_by_key(rank).ok_or_else(|| {
        AppError::NotFound(format!(
            "No principal has the id, email or external id \u{201c}{reference}\u{201d}."
        ))
    })
}

async fn one_account(
    pool: &PgPool,
    org: Uuid,
    reference: Option<&str>,
) -> Result<Option<Uuid>, AppError> {
    let Some(reference) = reference.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let reference = reference.to_string();
    let (ids, names) = ids_and_names(std::iter::once(&reference));
    let found = db::policy::accounts(pool, org, &ids, &names).await?;
    match found.first() {
        Some((id, _)) => Ok(Some(*id)),
        None => Err(AppError::NotFound(format!(
            "There is no account \u{201c}{reference}\u{201d}."
        ))),
    }
}

/// Consecutive rows with the same key, in order (the queries sort by it).
fn group<K: PartialEq>(
    rows: &[db::policy::Held],
    key: impl Fn(&db::policy::Held) -> K,
) -> Vec<(K, Vec<&db::policy::Held>)> {
    let mut groups: Vec<(K, Vec<&db::policy::Held>)> = Vec::new();
    for row in rows {
        let k = key(row);
        match groups.last_mut() {
            Some((last, members)) if *last == k => members.push(row),
            _ => groups.push((k, vec![row])),
        }
    }
    groups
}

fn has_conditions(h: &db::policy::Held) -> bool {
    !ConditionsShown::from(h.conditions.clone()).is_empty()
}

fn held_grant(h: &db::policy::Held) -> HeldGrant {
    HeldGrant {
        grant: h.grant_id,
        through: h.through.clone(),
        account_id: h.account_id,
        account: h.account.clone().unwrap_or_else(|| "every account".into()),
        valid_until: h.valid_until,
        conditions: ConditionsShown::from(h.conditions.clone()).words,
    }
}

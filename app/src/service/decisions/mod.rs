//! The decision API for the governed systems: may this principal do this, here, to this
//! resource? Each check is answered by `rules::policy::decide` over the principal's
//! grants in the token's application, with its reasons and the organisation's policy
//! version. A check that cannot be read gets an error of its own and never stops the
//! others; unknown principals, permissions and accounts are refusals with the reason.

mod activity;
mod cache;
mod filter;
mod found;

pub use filter::{filter, FilterRequest, Filtered};

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::tokens::TokenCaller;
use crate::error::AppError;
use crate::model::access::{Explanation, HeldGrant, Holder, Holders};
use crate::model::ConditionsShown;
use found::Found;
use rules::audit::AuditAction;
use rules::policy::Decision;

/// A principal's own token is answered about that principal only.
const OWN_PRINCIPAL_ONLY: &str =
    "A principal's token asks only about its own principal (it may name the person it acts for in on_behalf_of).";

/// At most this many checks in one request.
pub const MAX_CHECKS: usize = 1_000;
const MAX_ATTRIBUTES: usize = 50;
const MAX_TEXT: usize = 256;

/// One question: may this principal do this, there, on this resource?
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// An id, email or external id.
    principal: String,
    /// `resource.action` of the token's application.
    permission: String,
    /// An account's name or id; left out: an organisation-wide question.
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    resource: Option<Resource>,
    /// For an agent: the person (id, email or external id) it acts for.
    #[serde(default)]
    on_behalf_of: Option<String>,
}

/// The resource asked about.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// Strings, numbers or true/false that conditions read (at most 50);
    /// `sensitivity` is the resource's sensitivity.
    #[serde(default)]
    attributes: Map<String, Value>,
}

/// The body of `POST /api/v1/decisions`: up to 1,000 checks, each answered in its place
/// (read check by check, so that one that cannot be read does not stop the others).
#[derive(utoipa::ToSchema)]
pub struct Checks {
    #[schema(min_items = 1, max_items = 1000)]
    pub checks: Vec<Check>,
}

/// One check, read.
struct Asked {
    principal: String,
    permission: String,
    account: Option<String>,
    resource: BTreeMap<String, String>,
    on_behalf_of: Option<String>,
}

/// A batch as sent: each check kept as its text, so that one that cannot be read is
/// answered with an error of its own.
#[derive(Deserialize)]
struct Batch<'a> {
    #[serde(borrow)]
    checks: Vec<&'a RawValue>,
}

fn read_check(parsed: Result<Check, serde_json::Error>) -> Result<Asked, String> {
    let check = parsed.map_err(|e| format!("This check cannot be read: {e}."))?;
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

/// Decides for the governed systems: from the instance's copy of the policy when it is
/// current, from the database otherwise; the activity decisions tell of is written in
/// the background.
#[derive(Clone)]
pub struct Decider {
    pool: PgPool,
    cache: Option<Arc<cache::Cache>>,
    activity: Option<Arc<activity::Activity>>,
}

impl Decider {
    /// Keeps a copy of each organisation's policy, used while it is current.
    pub fn cached(pool: PgPool) -> Self {
        Decider {
            cache: Some(cache::Cache::new(pool.clone())),
            activity: Some(activity::Activity::start(pool.clone())),
            pool,
        }
    }

    /// Reads the database for every batch and writes its activity before answering.
    pub fn uncached(pool: PgPool) -> Self {
        Decider {
            pool,
            cache: None,
            activity: None,
        }
    }

    /// Loads the organisation's copy of its policy now, rather than in the background
    /// when decisions first ask for it.
    pub async fn prepare(&self, org: Uuid) {
        if let Some(cache) = &self.cache {
            cache.load_now(org).await;
        }
    }

    /// Whether decisions for the organisation at this policy version are answered from
    /// memory.
    pub fn answers_from_memory(&self, org: Uuid, version: i64) -> bool {
        self.cache.as_ref().is_some_and(|c| c.holds(org, version))
    }

    /// Answers a batch `{"checks": [...]}`, sent as JSON text.
    pub async fn decide_batch(
        &self,
        caller: TokenCaller,
        body: &[u8],
    ) -> Result<Answers, AppError> {
        let shape =
            "Send {\"checks\": [{\"principal\": …, \"permission\": \"resource.action\", …}]}.";
        let checks = match serde_json::from_slice::<Batch>(body) {
            Ok(batch) => batch.checks,
            Err(e) if e.is_data() => return Err(AppError::invalid("checks", shape)),
            Err(e) => return Err(AppError::BadRequest(format!("the body is not JSON: {e}."))),
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
        let asked: Vec<Result<Asked, String>> = checks
            .iter()
            .map(|raw| read_check(serde_json::from_str(raw.get())))
            .collect();
        let snapshot = self
            .cache
            .as_ref()
            .and_then(|c| c.current(org, caller.policy_version));
        let read;
        let (version, found) = match &snapshot {
            Some(s) => (s.version, &s.found),
            None => {
                // The version was read with the token, before the data: an answer never
                // claims a newer version than the data it read.
                let version = caller.policy_version;
                let readable: Vec<&Asked> = asked.iter().filter_map(|a| a.as_ref().ok()).collect();
                read = look_up(&self.pool, org, caller.application_id, &readable).await?;
                (version, &read)
            }
        };
        let now = Utc::now();
        let mut answers = Vec::with_capacity(asked.len());
        let mut audited = Vec::new();
        let mut seen = Vec::with_capacity(asked.len());
        for a in &asked {
            let a = match a {
                Ok(a) => a,
                Err(message) => {
                    answers.push(Answer::Refused {
                        error: message.clone(),
                    });
                    continue;
                }
            };
            if let Some(me) = caller.principal_id {
                if found.principal(&a.principal).map(|p| p.id) != Some(me) {
                    answers.push(Answer::Refused {
                        error: OWN_PRINCIPAL_ONLY.into(),
                    });
                    continue;
                }
            }
            let (mut decision, about) = found.decide(caller.application_id, a, now);
            if caller.principal_id.is_some() {
                decision = for_principal_token(decision);
            }
            if let Some(about) = about {
                if about.high_impact {
                    audited.push((about.principal, a, decision.allowed));
                }
                seen.push((about.principal, about.used.filter(|_| decision.allowed)));
            }
            answers.push(Answer::decided(decision, &|id| found.account_name(id)));
        }
        if !audited.is_empty() {
            record_high_impact(&self.pool, &caller, &audited).await?;
        }
        match &self.activity {
            Some(activity) => activity.add(org, seen),
            None => {
                let mut decided = db::activity::Decided::default();
                for (principal, used) in seen {
                    decided.add(principal, used);
                }
                db::activity::decided(&self.pool, org, &decided, now).await?;
            }
        }
        Ok(Answers {
            policy_version: version,
            decisions: answers,
        })
    }
}

/// The answers to a batch, in the order of its checks.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Answers {
    /// The version of the organisation's policy the checks were decided on.
    pub policy_version: i64,
    pub decisions: Vec<Answer>,
}

/// One check's answer: a decision, or why the check could not be asked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Answer {
    Refused { error: String },
    Decided { allowed: bool, reasons: Vec<Reason> },
}

/// A reason as data, with its words.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Reason {
    #[serde(flatten)]
    why: rules::policy::Why,
    text: String,
}

/// A principal named in an answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Named {
    pub id: Uuid,
    pub name: String,
    /// active, suspended or offboarded (what a principal may do only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
}

/// A permission the principal holds, with the grants in force that give it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PermissionHeld {
    /// `resource.action`.
    pub permission: String,
    /// Every grant that gives it carries conditions.
    pub conditional: bool,
    pub grants: Vec<HeldGrant>,
}

/// `GET /api/v1/principals/{principal}/permissions`: what the principal may do.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PermissionsAnswer {
    pub policy_version: i64,
    pub principal: Named,
    /// The account asked about; none: anywhere.
    pub account: Option<Uuid>,
    pub permissions: Vec<PermissionHeld>,
}

/// One principal who may do it, with the grants that let them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HolderAnswer {
    pub principal: Named,
    /// Every grant that gives it carries conditions.
    pub conditional: bool,
    pub grants: Vec<HeldGrant>,
}

/// `GET /api/v1/permissions/{permission}/holders`: who may do it there.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HoldersAnswer {
    pub policy_version: i64,
    /// `resource.action`.
    pub permission: String,
    /// The account asked about; none: anywhere.
    pub account: Option<Uuid>,
    pub holders: Vec<HolderAnswer>,
    /// More than 1,000 grants give it: not every holder is listed.
    pub truncated: bool,
}

impl Answer {
    fn decided(decision: Decision, name: &dyn Fn(Uuid) -> String) -> Self {
        Answer::Decided {
            allowed: decision.allowed,
            reasons: Reason::all(decision.reasons, name),
        }
    }
}

impl Reason {
    /// Each reason with its words; `name` names an account by its id.
    fn all(reasons: Vec<rules::policy::Why>, name: &dyn Fn(Uuid) -> String) -> Vec<Reason> {
        reasons
            .into_iter()
            .map(|why| Reason {
                text: why.words(name),
                why,
            })
            .collect()
    }
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
    let a = &read_check(Check::deserialize(check))
        .map_err(|message| AppError::invalid("attributes", message))?;
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
    let (decision, _) = found.decide(application, a, Utc::now());
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
    let permissions: Vec<(Uuid, Uuid, String, bool)> = permissions
        .into_iter()
        .map(|(id, key, high)| (application, id, key, high))
        .collect();
    Ok(Found::new(subjects, grants, &accounts, &permissions))
}

/// A decision as a principal's own token may see it: about the person it acts for,
/// only whether they may (neither who they are, their grants, nor whether they exist).
fn for_principal_token(decision: Decision) -> Decision {
    let redacted = |allowed| rules::policy::Why::ActsFor {
        principal: Uuid::nil(),
        name: "the person acted for".into(),
        allowed,
        reasons: Vec::new(),
    };
    let reasons = decision
        .reasons
        .into_iter()
        .map(|why| match why {
            rules::policy::Why::ActsFor { allowed, .. } => redacted(allowed),
            // The principal itself is the token's: an unknown one is the person named.
            rules::policy::Why::UnknownPrincipal { .. } => redacted(false),
            why => why,
        })
        .collect();
    Decision {
        allowed: decision.allowed,
        reasons,
    }
}

/// Decisions on high-impact permissions go to the audit trail, allowed or not.
async fn record_high_impact(
    pool: &PgPool,
    caller: &TokenCaller,
    decided: &[(Uuid, &Asked, bool)],
) -> Result<(), AppError> {
    let actor = Actor {
        org_id: caller.org_id,
        principal_id: caller.principal_id,
        label: match caller.principal_id {
            Some(_) => format!("principal token {}", caller.token_id),
            None => format!("application token {}", caller.token_id),
        },
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
) -> Result<PermissionsAnswer, AppError> {
    let org = caller.org_id;
    let version = db::policy::version(pool, org).await?;
    let subject = match (
        caller.principal_id,
        one_principal(pool, org, principal).await,
    ) {
        (None, found) => found?,
        (Some(me), Ok(subject)) if subject.id == me => subject,
        // Whether another principal exists is not a principal token's business.
        (Some(_), _) => return Err(AppError::Forbidden),
    };
    let account = one_account(pool, org, account).await?;
    let active = subject.status == rules::principals::PrincipalStatus::Active
        && subject.end_date.is_none_or(|d| d > Utc::now().date_naive());
    let held = if active {
        db::policy::held_by(pool, org, caller.application_id, account, subject.id).await?
    } else {
        Vec::new()
    };
    let permissions = group(&held, |h| h.permission.clone())
        .into_iter()
        .map(|(permission, grants)| PermissionHeld {
            permission,
            conditional: grants.iter().all(|h| has_conditions(h)),
            grants: grants.iter().map(|h| held_grant(h)).collect(),
        })
        .collect();
    Ok(PermissionsAnswer {
        policy_version: version,
        principal: Named {
            id: subject.id,
            name: subject.display_name,
            status: Some(subject.status.as_str()),
        },
        account,
        permissions,
    })
}

/// `GET /api/v1/permissions/{permission}/holders?account=`: who may do it there (active
/// principals, by name, at most 1,000 grants), each with the grants that give it.
pub async fn holders(
    pool: &PgPool,
    caller: TokenCaller,
    permission: &str,
    account: Option<&str>,
) -> Result<HoldersAnswer, AppError> {
    let key = known_permission(pool, caller.org_id, caller.application_id, permission).await?;
    let account = one_account(pool, caller.org_id, account).await?;
    let found = holders_of(pool, caller.org_id, caller.application_id, &key, account).await?;
    let holders = found
        .holders
        .into_iter()
        .map(|h| HolderAnswer {
            principal: Named {
                id: h.principal_id,
                name: h.principal,
                status: None,
            },
            conditional: h.conditional,
            grants: h.grants,
        })
        .collect();
    Ok(HoldersAnswer {
        policy_version: found.policy_version,
        permission: key,
        account,
        holders,
        truncated: found.truncated,
    })
}

/// `key` (`resource.action`, trimmed) if the application has that permission.
pub async fn known_permission(
    pool: &PgPool,
    org: Uuid,
    application: Uuid,
    key: &str,
) -> Result<String, AppError> {
    let key = plain(key)?.to_string();
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

/// A reference from a path or query, trimmed: plain text of at most 256 characters.
fn plain(reference: &str) -> Result<&str, AppError> {
    let reference = reference.trim();
    if reference.chars().count() > MAX_TEXT || reference.contains(char::is_control) {
        return Err(AppError::invalid(
            "reference",
            format!("Names and ids are plain text of at most {MAX_TEXT} characters."),
        ));
    }
    Ok(reference)
}

async fn one_principal(
    pool: &PgPool,
    org: Uuid,
    reference: &str,
) -> Result<db::policy::Subject, AppError> {
    let reference = plain(reference)?.to_string();
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

/// The account a reference names (by id or by name, any case), or `None` when no
/// reference is given.
pub(crate) async fn one_account(
    pool: &PgPool,
    org: Uuid,
    reference: Option<&str>,
) -> Result<Option<Uuid>, AppError> {
    let Some(reference) = reference.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let reference = plain(reference)?.to_string();
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

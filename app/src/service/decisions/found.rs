//! What decisions look things up in: principals by reference with their grants per
//! application, accounts by id or name, and permissions by application and key. Built
//! either for one batch (from what its checks name) or for a whole organisation (the
//! cache's copy).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Asked;
use crate::db;
use rules::policy::conditions::{Conditions, Sensitivity};
use rules::policy::fields::{self, ROLE_DEFAULT};
use rules::policy::{decide, Decision, Grant, Principal, Question, Why};

pub(super) struct Found {
    /// A reference is looked up by id, then by email (lower case), then by external id
    /// (as written), so that an email never stands for another principal's external id.
    by_id: HashMap<Uuid, usize>,
    by_email: HashMap<String, usize>,
    by_external_id: HashMap<String, usize>,
    people: Vec<Person>,
    /// By id and by lower-case name.
    accounts: HashMap<String, Uuid>,
    account_names: HashMap<Uuid, String>,
    /// By application, then `resource.action`: its id and whether it is high-impact.
    permissions: HashMap<Uuid, HashMap<String, (Uuid, bool)>>,
}

/// A principal as each application's decisions see it: with that application's grants.
struct Person {
    bare: Principal,
    by_application: Vec<(Uuid, Principal)>,
}

impl Person {
    fn in_application(&self, application: Uuid) -> &Principal {
        self.by_application
            .iter()
            .find(|(a, _)| *a == application)
            .map(|(_, p)| p)
            .unwrap_or(&self.bare)
    }
}

/// What a decision was about, once its principal is known.
pub(super) struct About {
    pub principal: Uuid,
    pub high_impact: bool,
    /// The permission asked (when known) and the account.
    pub used: Option<(Uuid, Option<Uuid>)>,
}

impl Found {
    pub fn new(
        subjects: Vec<db::policy::Subject>,
        grants: Vec<db::policy::Grant>,
        accounts: &[(Uuid, String)],
        permissions: &[(Uuid, Uuid, String, bool)],
    ) -> Self {
        let mut held: HashMap<Uuid, Vec<(Uuid, Grant)>> = HashMap::new();
        for g in grants {
            // A grant whose stored conditions cannot be read allows nothing.
            let Ok(conditions) = Conditions::from_json(&g.conditions) else {
                tracing::warn!(grant = %g.id, "a grant's stored conditions cannot be read");
                continue;
            };
            held.entry(g.principal_id).or_default().push((
                g.application_id,
                Grant {
                    id: g.id,
                    through: g.through,
                    account_id: g.account_id,
                    valid_from: g.valid_from,
                    valid_until: g.valid_until,
                    revoked_at: g.revoked_at,
                    permissions: g.permissions,
                    conditions,
                    clearance: g
                        .clearance
                        .as_deref()
                        .and_then(Sensitivity::parse)
                        .unwrap_or(ROLE_DEFAULT),
                },
            ));
        }
        let mut found = Found {
            by_id: HashMap::with_capacity(subjects.len()),
            by_email: HashMap::with_capacity(subjects.len()),
            by_external_id: HashMap::new(),
            people: Vec::with_capacity(subjects.len()),
            accounts: HashMap::new(),
            account_names: HashMap::new(),
            permissions: HashMap::new(),
        };
        for (application, id, key, high) in permissions {
            found
                .permissions
                .entry(*application)
                .or_default()
                .insert(key.clone(), (*id, *high));
        }
        for s in subjects {
            let index = found.people.len();
            found.by_id.insert(s.id, index);
            if let Some(email) = &s.email {
                found.by_email.insert(email.clone(), index);
            }
            if let Some(external) = &s.external_id {
                found.by_external_id.insert(external.clone(), index);
            }
            let bare = principal(&s);
            let mut by_application: Vec<(Uuid, Principal)> = Vec::new();
            for (application, grant) in held.remove(&s.id).unwrap_or_default() {
                match by_application.iter_mut().find(|(a, _)| *a == application) {
                    Some((_, p)) => p.grants.push(grant),
                    None => {
                        let mut p = bare.clone();
                        p.grants.push(grant);
                        by_application.push((application, p));
                    }
                }
            }
            found.people.push(Person {
                bare,
                by_application,
            });
        }
        for (id, name) in accounts {
            found.accounts.insert(id.to_string(), *id);
            found.accounts.insert(name.to_lowercase(), *id);
            found.account_names.insert(*id, name.clone());
        }
        found
    }

    /// The principal a reference names (without grants): by id, then email, then
    /// external id.
    pub fn principal(&self, r: &str) -> Option<&Principal> {
        self.person(r).map(|p| &p.bare)
    }

    fn person(&self, r: &str) -> Option<&Person> {
        Uuid::parse_str(r)
            .ok()
            .and_then(|id| self.by_id.get(&id))
            .or_else(|| self.by_email.get(r))
            .or_else(|| self.by_email.get(&r.to_lowercase()))
            .or_else(|| self.by_external_id.get(r))
            .map(|&i| &self.people[i])
    }

    /// The clearance a reader has through `grants` of theirs in `application` (those a
    /// decision allowed by): the lower of its own and the highest the grants give.
    pub fn clearance(&self, r: &str, application: Uuid, grants: &[Uuid]) -> Sensitivity {
        let Some(p) = self.person(r).map(|p| p.in_application(application)) else {
            return Sensitivity::Public;
        };
        let given: Vec<Option<Sensitivity>> = p
            .grants
            .iter()
            .filter(|g| grants.contains(&g.id))
            .map(|g| Some(g.clearance))
            .collect();
        fields::clearance(p.clearance, &given)
    }

    /// The account a reference names: by id or by name (any case).
    pub fn account(&self, r: &str) -> Option<Uuid> {
        self.accounts
            .get(r)
            .or_else(|| self.accounts.get(&r.to_lowercase()))
            .copied()
    }

    pub fn account_name(&self, id: Uuid) -> String {
        self.account_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("account {id}"))
    }

    /// The decision in `application`, and (when the principal is known) what it was
    /// about.
    pub fn decide(
        &self,
        application: Uuid,
        a: &Asked,
        at: DateTime<Utc>,
    ) -> (Decision, Option<About>) {
        let Some(p) = self.person(&a.principal) else {
            let why = Why::UnknownPrincipal {
                principal: a.principal.clone(),
            };
            return (Decision::deny(why), None);
        };
        let p = p.in_application(application);
        let Some(&(permission, high_impact)) = self
            .permissions
            .get(&application)
            .and_then(|keys| keys.get(&a.permission))
        else {
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
            Some(r) => match self.account(r) {
                Some(id) => Some(id),
                None => {
                    let why = Why::UnknownAccount { account: r.clone() };
                    return (Decision::deny(why), Some(about(None)));
                }
            },
        };
        let on_behalf_of = match &a.on_behalf_of {
            None => None,
            Some(r) => match self.person(r) {
                Some(human) => Some(human.in_application(application)),
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

/// A principal with no grants yet: its status, end and attributes (its own, its kind
/// and its employment type).
fn principal(s: &db::policy::Subject) -> Principal {
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
    Principal {
        id: s.id,
        name: s.display_name.clone(),
        status: s.status,
        ends_at: s
            .end_date
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc()),
        attributes,
        clearance: s.clearance.as_deref().and_then(Sensitivity::parse),
        grants: Vec::new(),
    }
}

//! The one place access is decided: may this principal do this, on this account, to
//! this resource, now? Deny by default; every answer says why, naming the grants that
//! allow it or, for each grant that came close, what stood in the way.

pub mod conditions;
pub mod fields;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::principals::PrincipalStatus;
use conditions::{Conditions, Facts, Sensitivity, Unmet};

/// A grant as the evaluator sees it: what it gives, where, when and on what conditions.
#[derive(Debug, Clone)]
pub struct Grant {
    pub id: Uuid,
    /// The role's or permission set's name, for the reasons.
    pub through: String,
    /// `None`: every account of the organisation.
    pub account_id: Option<Uuid>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The permissions (`resource.action`) its role or permission set holds; shared by
    /// every grant of that role or set.
    pub permissions: Arc<BTreeSet<String>>,
    pub conditions: Conditions,
    /// The most sensitive resource its role or permission set clears for
    /// (`fields::ROLE_DEFAULT` when the role names none).
    pub clearance: Sensitivity,
}

/// A principal and its grants.
#[derive(Debug, Clone)]
pub struct Principal {
    pub id: Uuid,
    pub name: String,
    pub status: PrincipalStatus,
    /// When its engagement ends (a contractor's last day, an agent's end date).
    pub ends_at: Option<DateTime<Utc>>,
    pub attributes: BTreeMap<String, String>,
    /// The most sensitive data it may see; `None` sets no limit of its own.
    pub clearance: Option<Sensitivity>,
    pub grants: Vec<Grant>,
}

/// What is asked.
#[derive(Debug, Clone)]
pub struct Question<'a> {
    /// `resource.action`.
    pub permission: &'a str,
    /// `None`: organisation-wide, which only a grant on every account allows.
    pub account: Option<Uuid>,
    pub resource: &'a BTreeMap<String, String>,
    pub at: DateTime<Utc>,
}

/// Why a decision went the way it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Why {
    /// This grant allows it.
    Allowed {
        grant: Uuid,
        through: String,
    },
    Suspended,
    Offboarded,
    /// The principal's engagement ended.
    PrincipalEnded {
        at: DateTime<Utc>,
    },
    /// No grant gives this permission at all.
    NoGrant,
    NotYetValid {
        grant: Uuid,
        through: String,
        from: DateTime<Utc>,
    },
    Ended {
        grant: Uuid,
        through: String,
        at: DateTime<Utc>,
    },
    Revoked {
        grant: Uuid,
        through: String,
        at: DateTime<Utc>,
    },
    /// The grant is for another account (or, for an organisation-wide question, for one
    /// account only).
    OtherAccount {
        grant: Uuid,
        through: String,
        account: Uuid,
    },
    ConditionsUnmet {
        grant: Uuid,
        through: String,
        unmet: Vec<Unmet>,
    },
    /// The resource is more sensitive than the principal's clearance.
    AboveClearance {
        sensitivity: Sensitivity,
        clearance: Sensitivity,
    },
    /// The resource is more sensitive than the grant's role or permission set clears
    /// for.
    AboveGrantClearance {
        grant: Uuid,
        through: String,
        sensitivity: Sensitivity,
        clearance: Sensitivity,
    },
    /// The question names a principal, permission or account the organisation does not
    /// have (or, for a principal, one a caller of another organisation cannot see).
    UnknownPrincipal {
        principal: String,
    },
    UnknownPermission {
        permission: String,
    },
    UnknownAccount {
        account: String,
    },
    /// An agent acting for a person may do only what that person may do.
    ActsFor {
        principal: Uuid,
        name: String,
        allowed: bool,
        #[cfg_attr(feature = "openapi", schema(no_recursion))]
        reasons: Vec<Why>,
    },
}

impl Why {
    /// The reason in words; `account` names an account by its id.
    pub fn words(&self, account: &dyn Fn(Uuid) -> String) -> String {
        match self {
            Why::Allowed { through, .. } => format!("allowed by the grant of {through}"),
            Why::Suspended => "the principal is suspended".into(),
            Why::Offboarded => "the principal has been offboarded".into(),
            Why::PrincipalEnded { at } => {
                format!(
                    "the principal's engagement ended on {}",
                    at.format("%Y-%m-%d")
                )
            }
            Why::NoGrant => "no grant gives this permission".into(),
            Why::UnknownPrincipal { principal } => {
                format!("there is no principal \u{201c}{principal}\u{201d}")
            }
            Why::UnknownPermission { permission } => {
                format!("the application has no permission \u{201c}{permission}\u{201d}")
            }
            Why::UnknownAccount { account } => {
                format!("there is no account \u{201c}{account}\u{201d}")
            }
            Why::NotYetValid { through, from, .. } => {
                format!(
                    "the grant of {through} starts on {}",
                    from.format("%Y-%m-%d")
                )
            }
            Why::Ended { through, at, .. } => {
                format!("the grant of {through} ended on {}", at.format("%Y-%m-%d"))
            }
            Why::Revoked { through, at, .. } => {
                format!(
                    "the grant of {through} was revoked on {}",
                    at.format("%Y-%m-%d")
                )
            }
            Why::OtherAccount {
                through,
                account: a,
                ..
            } => format!("the grant of {through} is for {} only", account(*a)),
            Why::ConditionsUnmet { through, unmet, .. } => format!(
                "the grant of {through} needs {}",
                unmet
                    .iter()
                    .map(|u| format!("\u{201c}{}\u{201d} ({})", u.condition, u.found))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            Why::AboveClearance {
                sensitivity,
                clearance,
            } => format!(
                "the resource is {} and the principal is cleared for {} data",
                sensitivity.as_str(),
                clearance.as_str()
            ),
            Why::AboveGrantClearance {
                through,
                sensitivity,
                clearance,
                ..
            } => format!(
                "the resource is {} and the grant of {through} clears for {} data",
                sensitivity.as_str(),
                clearance.as_str()
            ),
            Why::ActsFor {
                name,
                allowed,
                reasons,
                ..
            } => {
                let verdict = if *allowed { "may" } else { "may not" };
                let why = reasons
                    .iter()
                    .map(|r| r.words(account))
                    .collect::<Vec<_>>()
                    .join("; ");
                format!("acting for {name}, who {verdict} do this: {why}")
            }
        }
    }
}

/// An answer: allowed or not, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub allowed: bool,
    pub reasons: Vec<Why>,
}

impl Decision {
    /// A refusal for one reason.
    pub fn deny(why: Why) -> Self {
        Decision {
            allowed: false,
            reasons: vec![why],
        }
    }
}

/// Decides `question` for `principal`, acting for `on_behalf_of` when given: then both
/// must be allowed, each with their own grants, account scope and conditions.
pub fn decide(
    principal: &Principal,
    question: &Question,
    on_behalf_of: Option<&Principal>,
) -> Decision {
    let own = decide_alone(principal, question);
    let Some(human) = on_behalf_of else {
        return own;
    };
    let theirs = decide_alone(human, question);
    let mut reasons = own.reasons;
    reasons.push(Why::ActsFor {
        principal: human.id,
        name: human.name.clone(),
        allowed: theirs.allowed,
        reasons: theirs.reasons,
    });
    Decision {
        allowed: own.allowed && theirs.allowed,
        reasons,
    }
}

fn decide_alone(p: &Principal, q: &Question) -> Decision {
    let deny = Decision::deny;
    match p.status {
        PrincipalStatus::Suspended => return deny(Why::Suspended),
        PrincipalStatus::Offboarded => return deny(Why::Offboarded),
        PrincipalStatus::Active => {}
    }
    if let Some(at) = p.ends_at.filter(|end| *end <= q.at) {
        return deny(Why::PrincipalEnded { at });
    }
    let sensitivity = q
        .resource
        .get("sensitivity")
        .and_then(|s| Sensitivity::parse(s));
    if let (Some(sensitivity), Some(clearance)) = (sensitivity, p.clearance) {
        if sensitivity > clearance {
            return deny(Why::AboveClearance {
                sensitivity,
                clearance,
            });
        }
    }
    let facts = Facts {
        principal: &p.attributes,
        resource: q.resource,
        at: q.at,
    };
    let mut allowed = Vec::new();
    let mut close = Vec::new();
    for g in p
        .grants
        .iter()
        .filter(|g| g.permissions.contains(q.permission))
    {
        let (grant, through) = (g.id, g.through.clone());
        let why = if let Some(at) = g.revoked_at.filter(|at| *at <= q.at) {
            Why::Revoked { grant, through, at }
        } else if g.valid_from > q.at {
            Why::NotYetValid {
                grant,
                through,
                from: g.valid_from,
            }
        } else if let Some(at) = g.valid_until.filter(|until| *until <= q.at) {
            Why::Ended { grant, through, at }
        } else if let Some(account) = g.account_id.filter(|a| Some(*a) != q.account) {
            Why::OtherAccount {
                grant,
                through,
                account,
            }
        } else if let Some(sensitivity) = sensitivity.filter(|s| *s > g.clearance) {
            Why::AboveGrantClearance {
                grant,
                through,
                sensitivity,
                clearance: g.clearance,
            }
        } else {
            let unmet = g.conditions.unmet(&facts);
            if unmet.is_empty() {
                allowed.push(Why::Allowed { grant, through });
                continue;
            }
            Why::ConditionsUnmet {
                grant,
                through,
                unmet,
            }
        };
        close.push(why);
    }
    if !allowed.is_empty() {
        return Decision {
            allowed: true,
            reasons: allowed,
        };
    }
    if close.is_empty() {
        close.push(Why::NoGrant);
    }
    Decision {
        allowed: false,
        reasons: close,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 7, 1, 10, 0, 0).unwrap()
    }

    fn grant(n: u128, account: Option<u128>, permissions: &[&str], conditions: &str) -> Grant {
        Grant {
            id: Uuid::from_u128(n),
            through: format!("Role {n}"),
            account_id: account.map(Uuid::from_u128),
            valid_from: now() - Duration::days(30),
            valid_until: None,
            revoked_at: None,
            permissions: Arc::new(permissions.iter().map(|p| p.to_string()).collect()),
            conditions: Conditions::parse(conditions).unwrap(),
            clearance: Sensitivity::Restricted,
        }
    }

    fn principal(n: u128, grants: Vec<Grant>) -> Principal {
        Principal {
            id: Uuid::from_u128(n),
            name: format!("Principal {n}"),
            status: PrincipalStatus::Active,
            ends_at: None,
            attributes: BTreeMap::new(),
            clearance: None,
            grants,
        }
    }

    fn ask<'a>(
        permission: &'a str,
        account: Option<u128>,
        resource: &'a BTreeMap<String, String>,
    ) -> Question<'a> {
        Question {
            permission,
            account: account.map(Uuid::from_u128),
            resource,
            at: now(),
        }
    }

    fn resource(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn nothing_is_allowed_without_a_grant() {
        let none = resource(&[]);
        let p = principal(1, vec![grant(10, None, &["contacts.view"], "")]);
        let d = decide(&p, &ask("contacts.export", Some(7), &none), None);
        assert!(!d.allowed);
        assert_eq!(d.reasons, vec![Why::NoGrant]);
    }

    #[test]
    fn a_grant_on_one_account_allows_there_only() {
        let none = resource(&[]);
        let p = principal(1, vec![grant(10, Some(7), &["contacts.export"], "")]);
        assert!(decide(&p, &ask("contacts.export", Some(7), &none), None).allowed);
        let elsewhere = decide(&p, &ask("contacts.export", Some(8), &none), None);
        assert!(!elsewhere.allowed);
        assert!(matches!(
            elsewhere.reasons[0],
            Why::OtherAccount { account, .. } if account == Uuid::from_u128(7)
        ));
        // Organisation-wide questions need a grant on every account.
        assert!(!decide(&p, &ask("contacts.export", None, &none), None).allowed);
        let everywhere = principal(2, vec![grant(11, None, &["contacts.export"], "")]);
        assert!(decide(&everywhere, &ask("contacts.export", None, &none), None).allowed);
        assert!(decide(&everywhere, &ask("contacts.export", Some(8), &none), None).allowed);
    }

    #[test]
    fn grants_count_only_inside_their_window_and_unrevoked() {
        let none = resource(&[]);
        let mut ended = grant(10, None, &["x.y"], "");
        ended.valid_until = Some(now() - Duration::days(1));
        let mut later = grant(11, None, &["x.y"], "");
        later.valid_from = now() + Duration::days(1);
        let mut revoked = grant(12, None, &["x.y"], "");
        revoked.revoked_at = Some(now() - Duration::hours(1));
        let p = principal(1, vec![ended, later, revoked]);
        let d = decide(&p, &ask("x.y", Some(7), &none), None);
        assert!(!d.allowed);
        assert!(matches!(d.reasons[0], Why::Ended { .. }));
        assert!(matches!(d.reasons[1], Why::NotYetValid { .. }));
        assert!(matches!(d.reasons[2], Why::Revoked { .. }));
        let words = d.reasons[0].words(&|_| String::new());
        assert_eq!(words, "the grant of Role 10 ended on 2026-06-30");
    }

    #[test]
    fn conditions_decide_and_say_what_was_missing() {
        let p = principal(
            1,
            vec![grant(10, None, &["contacts.export"], "region = EU")],
        );
        let eu = resource(&[("region", "EU")]);
        let us = resource(&[("region", "US")]);
        let d = decide(&p, &ask("contacts.export", Some(7), &eu), None);
        assert!(d.allowed);
        assert_eq!(
            d.reasons,
            vec![Why::Allowed {
                grant: Uuid::from_u128(10),
                through: "Role 10".into()
            }]
        );
        let d = decide(&p, &ask("contacts.export", Some(7), &us), None);
        assert!(!d.allowed);
        assert_eq!(
            d.reasons[0].words(&|_| String::new()),
            "the grant of Role 10 needs \u{201c}region = EU\u{201d} (resource region is US)"
        );
        // One grant without the condition is enough.
        let p = principal(
            1,
            vec![
                grant(10, None, &["contacts.export"], "region = EU"),
                grant(11, Some(7), &["contacts.export"], ""),
            ],
        );
        let d = decide(&p, &ask("contacts.export", Some(7), &us), None);
        assert!(d.allowed);
        assert_eq!(d.reasons.len(), 1);
    }

    #[test]
    fn the_principal_itself_can_stand_in_the_way() {
        let none = resource(&[]);
        let mut p = principal(1, vec![grant(10, None, &["x.y"], "")]);
        p.status = PrincipalStatus::Suspended;
        assert_eq!(
            decide(&p, &ask("x.y", None, &none), None).reasons,
            vec![Why::Suspended]
        );
        p.status = PrincipalStatus::Offboarded;
        assert!(!decide(&p, &ask("x.y", None, &none), None).allowed);
        p.status = PrincipalStatus::Active;
        p.ends_at = Some(now() - Duration::days(2));
        assert!(matches!(
            decide(&p, &ask("x.y", None, &none), None).reasons[0],
            Why::PrincipalEnded { .. }
        ));
        p.ends_at = Some(now() + Duration::days(2));
        assert!(decide(&p, &ask("x.y", None, &none), None).allowed);
        p.clearance = Some(Sensitivity::Internal);
        let secret = resource(&[("sensitivity", "restricted")]);
        assert!(matches!(
            decide(&p, &ask("x.y", None, &secret), None).reasons[0],
            Why::AboveClearance { .. }
        ));
        let internal = resource(&[("sensitivity", "internal")]);
        assert!(decide(&p, &ask("x.y", None, &internal), None).allowed);
    }

    #[test]
    fn a_grant_allows_resources_up_to_its_roles_clearance() {
        let mut internal = grant(10, None, &["x.y"], "");
        internal.clearance = Sensitivity::Internal;
        let p = principal(1, vec![internal.clone()]);
        let confidential = resource(&[("sensitivity", "confidential")]);
        let d = decide(&p, &ask("x.y", None, &confidential), None);
        assert!(!d.allowed);
        assert_eq!(
            d.reasons[0].words(&|_| String::new()),
            "the resource is confidential and the grant of Role 10 clears for internal data"
        );
        // Without a stated sensitivity the role's clearance does not matter.
        assert!(decide(&p, &ask("x.y", None, &resource(&[])), None).allowed);
        let mut wider = grant(11, None, &["x.y"], "");
        wider.clearance = Sensitivity::Confidential;
        let p = principal(1, vec![internal, wider]);
        assert!(decide(&p, &ask("x.y", None, &confidential), None).allowed);
    }

    /// A decision about a resource of a stated sensitivity agrees with the clearance the
    /// record filter gives its reader: the lower of the principal's own and the highest
    /// of its grants'.
    #[test]
    fn decisions_and_the_filter_read_clearance_alike() {
        use Sensitivity::*;
        let levels = [
            None,
            Some(Public),
            Some(Internal),
            Some(Confidential),
            Some(Restricted),
        ];
        for own in levels {
            for a in Sensitivity::ALL {
                for b in Sensitivity::ALL {
                    let mut first = grant(10, None, &["x.y"], "");
                    first.clearance = a;
                    let mut second = grant(11, None, &["x.y"], "");
                    second.clearance = b;
                    let mut p = principal(1, vec![first, second]);
                    p.clearance = own;
                    let reader = fields::clearance(own, &[Some(a), Some(b)]);
                    for s in Sensitivity::ALL {
                        let r = resource(&[("sensitivity", s.as_str())]);
                        let allowed = decide(&p, &ask("x.y", None, &r), None).allowed;
                        assert_eq!(allowed, s <= reader, "{own:?} {a:?} {b:?} {s:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn an_agent_acting_for_a_person_gets_no_more_than_the_person() {
        let eu = resource(&[("region", "EU")]);
        let agent = principal(
            1,
            vec![grant(10, None, &["contacts.view", "contacts.export"], "")],
        );
        let mut member = principal(2, vec![grant(20, Some(7), &["contacts.view"], "")]);
        // The person may view on account 7: so may the agent acting for them.
        assert!(decide(&agent, &ask("contacts.view", Some(7), &eu), Some(&member)).allowed);
        // The person may not view on account 8, nor export at all.
        let d = decide(&agent, &ask("contacts.view", Some(8), &eu), Some(&member));
        assert!(!d.allowed);
        assert!(matches!(
            d.reasons.last(),
            Some(Why::ActsFor { allowed: false, .. })
        ));
        assert!(!decide(&agent, &ask("contacts.export", Some(7), &eu), Some(&member)).allowed);
        // The person's conditions bind the agent too.
        member.grants[0].conditions = Conditions::parse("region = US").unwrap();
        let d = decide(&agent, &ask("contacts.view", Some(7), &eu), Some(&member));
        assert!(!d.allowed);
        let words = d.reasons.last().unwrap().words(&|_| String::new());
        assert!(
            words.starts_with("acting for Principal 2, who may not do this"),
            "{words}"
        );
        // And the agent's own grants still count: it cannot exceed them either.
        let idle = principal(3, vec![]);
        let everything = principal(4, vec![grant(40, None, &["contacts.view"], "")]);
        assert!(
            !decide(
                &idle,
                &ask("contacts.view", Some(7), &eu),
                Some(&everything)
            )
            .allowed
        );
    }
}

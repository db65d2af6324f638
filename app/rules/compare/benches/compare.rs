//! Gatehouse's policy evaluator (`rules::policy::decide`) against the `cedar-policy`
//! crate, in-process, on one synthetic organisation held in memory. No database.
//!
//! # The organisation (seeded, the same on every run)
//!
//! 40 permissions (`contacts.view`, … ten resource kinds × four actions), 20 roles of 8
//! of them each (clearing for public, internal, confidential and restricted data in
//! turn), 50 accounts, a pool of 20,000 resources (nine in ten on one account,
//! the rest organisation-wide; most with a `region`, some in another case or padded
//! with spaces, many with a `sensitivity`, a few with an unknown one), 100,000
//! principals (2% suspended, 1% offboarded, 5% with an engagement end, a quarter with a
//! clearance, most with a `department` and a `country`) and 250,000 grants (2 or 3 a
//! principal, each through one role; a fifth on every account, the rest on one; some
//! starting later, some ended, some revoked; a fifth with conditions: mostly
//! `region = …` and `region in (…)`, some `principal.department = …`, a few
//! `sensitivity <= …`). Time-of-day conditions are not generated: Cedar has no time
//! zones to read them in.
//!
//! # The same organisation in Cedar (translated from the `rules` values)
//!
//! - Entities, one shared store: `User::"<id>"` per principal with the attributes
//!   `status` (string), `ends_at` and `clearance` (longs, when set) and its own
//!   attributes; `Organisation::"org"`; `Account::"<id>"` in the organisation;
//!   `Resource::"<n>"` in its account (or in the organisation when organisation-wide)
//!   with its attributes and, when its `sensitivity` is a known level,
//!   `sensitivity_level` (a long, public 0 … restricted 3). Roles are action groups:
//!   `Action::"contacts.view"` is in `Action::"role: Role 7"` for every role holding it.
//! - One permit per grant:
//!   `permit(principal == User::"<id>", action in Action::"role: <role>",
//!   resource in Account::"<account>")` (or `in Organisation::"org"` for a grant on
//!   every account) `when { <valid_from> <= context.now && context.now < <valid_until>
//!   && context.now < <revoked_at> && <clearance> && <conditions> }`, the bounds present
//!   only when set, the clearance as `(!(resource has sensitivity_level) ||
//!   resource.sensitivity_level <= <the role's level>)`,
//!   times as Unix seconds (every generated time is a whole second). Revoked grants are
//!   kept and guarded, as the evaluator keeps and checks them. A condition becomes
//!   `(resource has "region" && resource["region"] == "eu")`, `[…].contains(…)` for a
//!   list, `principal[…]` for the principal's, and `sensitivity <= internal` becomes
//!   `(resource has sensitivity_level && resource.sensitivity_level <= 1)`.
//! - Three forbids, the evaluator's checks on the principal: not active; engagement
//!   ended (`ends_at <= context.now`); resource above the principal's clearance.
//! - The evaluator compares attribute values without regard to ASCII case and trims
//!   the resource's; Cedar compares strings exactly, so the translation stores
//!   attribute values trimmed and in lower case and writes the conditions' values in
//!   lower case. That work is done once, at setup.
//!
//! # What each engine is given per decision
//!
//! Deployments slice by principal, and so does this: a question names a principal, a
//! permission, a resource from the pool (its account and attributes) and a time.
//! - rules: that principal's `Principal` (its 2–3 grants with their permission sets and
//!   parsed conditions, built at setup) and a `Question` borrowing the resource's
//!   attribute map; `decide` returns the decision with its reasons.
//! - Cedar: that principal's `PolicySet` (its 2–3 permits and the three forbids, built at
//!   setup), the shared `Entities` and a `Request` (principal, action and resource uids
//!   built at setup, a `context` of `{now}` built per decision).
//!
//! Before timing, 20,000 random questions are put to both and every answer must agree
//! (the run panics on the first that does not), and twenty to Cedar with all
//! 250,000 policies in one set, which must agree with the slices. Then 100,000 questions
//! are timed one at a time with `Instant`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hint::black_box;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration as Elapsed, Instant};

use cedar_policy::{
    Authorizer, Context, Decision as Verdict, Entities, Entity, EntityId, EntityTypeName,
    EntityUid, Policy, PolicyId, PolicySet, Request, Response, RestrictedExpression,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rules::policy::conditions::{Condition, Conditions, Holder, Sensitivity};
use rules::policy::{decide, Decision, Grant, Principal, Question};
use rules::principals::PrincipalStatus;
use uuid::Uuid;

const SEED: u64 = 0x6761_7465_686f_7573;
const PRINCIPALS: usize = 100_000;
const GRANTS: usize = 250_000;
const ROLES: usize = 20;
const PERMISSIONS_PER_ROLE: usize = 8;
const ACCOUNTS: usize = 50;
const RESOURCES: usize = 20_000;
const SAMPLE: usize = 20_000;
/// Cedar with all 250,000 policies in one set takes most of a second a decision.
const WHOLE_SET_SAMPLE: usize = 20;
const TIMED: usize = 100_000;
const DAY: i64 = 86_400;

const KINDS: [&str; 10] = [
    "contacts",
    "deals",
    "invoices",
    "tickets",
    "reports",
    "campaigns",
    "contracts",
    "payments",
    "documents",
    "exports",
];
const ACTIONS: [&str; 4] = ["view", "edit", "export", "delete"];
/// Asked about now and then; no role holds it.
const UNKNOWN_PERMISSION: &str = "billing.refund";
const DEPARTMENTS: [&str; 6] = [
    "sales",
    "support",
    "engineering",
    "finance",
    "legal",
    "Sales",
];
const COUNTRIES: [&str; 5] = ["DE", "FR", "GB", "US", "ES"];
/// Attribute names the Cedar translation uses for its own purposes.
const RESERVED: [&str; 4] = ["status", "ends_at", "clearance", "sensitivity_level"];
const ORGANISATION: &str = "org";

/// xorshift64*: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A whole number of seconds in `lo..hi`.
    fn seconds(&mut self, lo: i64, hi: i64) -> Duration {
        Duration::seconds(lo + (self.next() % (hi - lo) as u64) as i64)
    }

    fn uuid(&mut self) -> Uuid {
        Uuid::from_u64_pair(self.next(), self.next())
    }
}

fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 1, 10, 0, 0).unwrap()
}

struct Resource {
    account: Option<Uuid>,
    attributes: BTreeMap<String, String>,
}

/// What both engines are built from: permissions, roles, accounts and resources.
struct Catalogue {
    /// Every permission, then [`UNKNOWN_PERMISSION`] last.
    permissions: Vec<String>,
    /// Name, permissions and the clearance it gives.
    roles: Vec<(String, Arc<BTreeSet<String>>, Sensitivity)>,
    accounts: Vec<Uuid>,
    resources: Vec<Resource>,
    /// The resources of each account, by index.
    by_account: Vec<Vec<usize>>,
}

fn catalogue(rng: &mut Rng) -> Catalogue {
    let mut permissions: Vec<String> = KINDS
        .iter()
        .flat_map(|k| ACTIONS.iter().map(move |a| format!("{k}.{a}")))
        .collect();
    let known = permissions.len();
    let roles = (0..ROLES)
        .map(|r| {
            let mut held = BTreeSet::new();
            while held.len() < PERMISSIONS_PER_ROLE {
                held.insert(permissions[rng.below(known)].clone());
            }
            (format!("Role {r}"), Arc::new(held), Sensitivity::ALL[r % 4])
        })
        .collect();
    permissions.push(UNKNOWN_PERMISSION.to_string());
    let accounts: Vec<Uuid> = (0..ACCOUNTS).map(|_| rng.uuid()).collect();
    let mut by_account = vec![Vec::new(); ACCOUNTS];
    let resources = (0..RESOURCES)
        .map(|n| {
            let account = if rng.percent(10) {
                None
            } else {
                let a = rng.below(ACCOUNTS);
                by_account[a].push(n);
                Some(accounts[a])
            };
            let mut attributes = BTreeMap::new();
            let region = match rng.below(100) {
                0..=39 => Some("EU"),
                40..=54 => Some("UK"),
                55..=74 => Some("US"),
                75..=79 => Some("CH"),
                80..=84 => Some("eu"),
                85..=87 => Some(" uk "),
                _ => None,
            };
            if let Some(region) = region {
                attributes.insert("region".to_string(), region.to_string());
            }
            let sensitivity = match rng.below(100) {
                0..=19 => Some("public"),
                20..=44 => Some("internal"),
                45..=59 => Some("confidential"),
                60..=67 => Some("Restricted"),
                68..=69 => Some("secret"),
                _ => None,
            };
            if let Some(sensitivity) = sensitivity {
                attributes.insert("sensitivity".to_string(), sensitivity.to_string());
            }
            Resource {
                account,
                attributes,
            }
        })
        .collect();
    Catalogue {
        permissions,
        roles,
        accounts,
        resources,
        by_account,
    }
}

fn condition_text(rng: &mut Rng) -> String {
    match rng.below(100) {
        0..=44 => "region = EU".to_string(),
        45..=59 => format!("region = {}", rng.pick(&["UK", "US", "eu", "CH"])),
        60..=74 => rng
            .pick(&[
                "region in (EU, UK)",
                "region in (EU, UK, CH)",
                "region in (US, uk)",
            ])
            .to_string(),
        75..=89 => format!("principal.department = {}", rng.pick(&DEPARTMENTS)),
        90..=95 => format!(
            "region = EU; principal.department = {}",
            rng.pick(&DEPARTMENTS)
        ),
        _ => format!(
            "sensitivity <= {}",
            rng.pick(&["public", "internal", "confidential"])
        ),
    }
}

/// The organisation as the evaluator takes it: every principal with its grants.
fn rules_principals(cat: &Catalogue, rng: &mut Rng) -> Vec<Principal> {
    let base = base_time();
    let mut grants_made = 0;
    let principals: Vec<Principal> = (0..PRINCIPALS)
        .map(|p| {
            let grants = (0..2 + p % 2)
                .map(|_| {
                    let (role, permissions, clearance) = rng.pick(&cat.roles);
                    let account_id = if rng.percent(20) {
                        None
                    } else {
                        Some(*rng.pick(&cat.accounts))
                    };
                    let mut valid_from = base - rng.seconds(DAY, 365 * DAY);
                    let (mut valid_until, mut revoked_at) = (None, None);
                    match rng.below(100) {
                        0..=7 => valid_from = base + rng.seconds(-20 * DAY, 60 * DAY),
                        8..=17 => valid_until = Some(base + rng.seconds(-60 * DAY, 60 * DAY)),
                        18..=22 => revoked_at = Some(base + rng.seconds(-90 * DAY, 20 * DAY)),
                        _ => {}
                    }
                    let conditions = if rng.percent(20) {
                        let text = condition_text(rng);
                        Conditions::parse(&text).expect("generated conditions parse")
                    } else {
                        Conditions::none()
                    };
                    Grant {
                        id: rng.uuid(),
                        through: role.clone(),
                        account_id,
                        valid_from,
                        valid_until,
                        revoked_at,
                        permissions: permissions.clone(),
                        conditions,
                        clearance: *clearance,
                    }
                })
                .collect::<Vec<_>>();
            grants_made += grants.len();
            let status = match rng.below(100) {
                0..=1 => PrincipalStatus::Suspended,
                2 => PrincipalStatus::Offboarded,
                _ => PrincipalStatus::Active,
            };
            let ends_at = rng
                .percent(5)
                .then(|| base + rng.seconds(-30 * DAY, 60 * DAY));
            let clearance = rng.percent(25).then(|| *rng.pick(&Sensitivity::ALL));
            let mut attributes = BTreeMap::new();
            if rng.percent(95) {
                attributes.insert("department".to_string(), rng.pick(&DEPARTMENTS).to_string());
            }
            attributes.insert("country".to_string(), rng.pick(&COUNTRIES).to_string());
            Principal {
                id: rng.uuid(),
                name: format!("Person {p}"),
                status,
                ends_at,
                attributes,
                clearance,
                grants,
            }
        })
        .collect();
    assert_eq!(grants_made, GRANTS);
    principals
}

/// One question: principal, permission and resource by index, and a time.
#[derive(Debug, Clone, Copy)]
struct Ask {
    principal: usize,
    permission: usize,
    resource: usize,
    at: DateTime<Utc>,
}

/// Seven in ten questions are about something one of the principal's grants gives, so
/// that a fair share is allowed and most grants' checks are reached; the rest are any
/// permission (now and then an unknown one) on any resource.
fn questions(n: usize, cat: &Catalogue, principals: &[Principal], rng: &mut Rng) -> Vec<Ask> {
    let index: HashMap<&str, usize> = cat
        .permissions
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i))
        .collect();
    let account_index: HashMap<Uuid, usize> = cat
        .accounts
        .iter()
        .enumerate()
        .map(|(i, a)| (*a, i))
        .collect();
    (0..n)
        .map(|_| {
            let principal = rng.below(principals.len());
            let p = &principals[principal];
            let (permission, resource) = if rng.percent(70) {
                let g = rng.pick(&p.grants);
                let held: Vec<&String> = g.permissions.iter().collect();
                let permission = index[rng.pick(&held).as_str()];
                let resource = match g.account_id {
                    Some(a) if rng.percent(85) => *rng.pick(&cat.by_account[account_index[&a]]),
                    _ => rng.below(cat.resources.len()),
                };
                (permission, resource)
            } else {
                let permission = if rng.percent(2) {
                    cat.permissions.len() - 1
                } else {
                    rng.below(cat.permissions.len() - 1)
                };
                (permission, rng.below(cat.resources.len()))
            };
            Ask {
                principal,
                permission,
                resource,
                at: base_time() + rng.seconds(-30 * DAY, 30 * DAY),
            }
        })
        .collect()
}

fn ask_rules(cat: &Catalogue, principals: &[Principal], a: &Ask) -> Decision {
    let r = &cat.resources[a.resource];
    let question = Question {
        permission: &cat.permissions[a.permission],
        account: r.account,
        resource: &r.attributes,
        at: a.at,
    };
    decide(&principals[a.principal], &question, None)
}

/// The organisation as Cedar takes it.
struct Cedar {
    entities: Entities,
    /// Per principal: its permits and the forbids.
    slices: Vec<PolicySet>,
    principals: Vec<EntityUid>,
    actions: Vec<EntityUid>,
    resources: Vec<EntityUid>,
    authorizer: Authorizer,
    /// Of the setup: parsing the permits, and building the entity store.
    parsing: Elapsed,
    store: Elapsed,
}

impl Cedar {
    fn request(&self, a: &Ask) -> Request {
        let context = Context::from_pairs([(
            "now".to_string(),
            RestrictedExpression::new_long(a.at.timestamp()),
        )])
        .expect("context");
        Request::new(
            self.principals[a.principal].clone(),
            self.actions[a.permission].clone(),
            self.resources[a.resource].clone(),
            context,
            None,
        )
        .expect("request")
    }

    fn ask(&self, a: &Ask) -> Response {
        let request = self.request(a);
        self.authorizer
            .is_authorized(&request, &self.slices[a.principal], &self.entities)
    }
}

struct Types {
    user: EntityTypeName,
    action: EntityTypeName,
    account: EntityTypeName,
    organisation: EntityTypeName,
    resource: EntityTypeName,
}

impl Types {
    fn new() -> Self {
        let name = |n: &str| EntityTypeName::from_str(n).expect("entity type");
        Types {
            user: name("User"),
            action: name("Action"),
            account: name("Account"),
            organisation: name("Organisation"),
            resource: name("Resource"),
        }
    }
}

fn uid(ty: &EntityTypeName, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(ty.clone(), EntityId::new(id))
}

/// How Cedar's exact comparison is made to agree with the evaluator's.
fn normalise(value: &str) -> String {
    value.trim().to_ascii_lowercase()
}

fn level(s: Sensitivity) -> i64 {
    s as i64
}

fn role_group(role: &str) -> String {
    format!("role: {role}")
}

fn cedar_condition(c: &Condition) -> String {
    match c {
        Condition::Attribute {
            holder,
            name,
            values,
        } => {
            assert!(
                !RESERVED.contains(&name.as_str()),
                "attribute {name} clashes with the translation's own"
            );
            let whose = match holder {
                Holder::Principal => "principal",
                Holder::Resource => "resource",
            };
            let value = format!("{whose}[\"{name}\"]");
            let test = match values.as_slice() {
                [one] => format!("{value} == \"{}\"", one.to_ascii_lowercase()),
                many => format!(
                    "[{}].contains({value})",
                    many.iter()
                        .map(|v| format!("\"{}\"", v.to_ascii_lowercase()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            format!("({whose} has \"{name}\" && {test})")
        }
        Condition::MaxSensitivity(max) => format!(
            "(resource has sensitivity_level && resource.sensitivity_level <= {})",
            level(*max)
        ),
        Condition::Time(_) => panic!("time windows are not generated: Cedar cannot read them"),
    }
}

fn seconds(t: DateTime<Utc>) -> i64 {
    assert_eq!(t.timestamp_subsec_nanos(), 0, "times are whole seconds");
    t.timestamp()
}

fn permit_text(p: &Principal, g: &Grant) -> String {
    let scope = match g.account_id {
        Some(a) => format!("resource in Account::\"{a}\""),
        None => format!("resource in Organisation::\"{ORGANISATION}\""),
    };
    let mut when = vec![format!("{} <= context.now", seconds(g.valid_from))];
    if let Some(until) = g.valid_until {
        when.push(format!("context.now < {}", seconds(until)));
    }
    if let Some(revoked) = g.revoked_at {
        when.push(format!("context.now < {}", seconds(revoked)));
    }
    when.push(format!(
        "(!(resource has sensitivity_level) || resource.sensitivity_level <= {})",
        level(g.clearance)
    ));
    when.extend(g.conditions.iter().map(cedar_condition));
    format!(
        "permit(principal == User::\"{}\", action in Action::\"{}\", {scope})\nwhen {{ {} }};",
        p.id,
        role_group(&g.through),
        when.join(" && ")
    )
}

const FORBIDS: [(&str, &str); 3] = [
    (
        "not-active",
        r#"forbid(principal, action, resource) when { principal.status != "active" };"#,
    ),
    (
        "engagement-ended",
        "forbid(principal, action, resource)\n\
         when { principal has ends_at && principal.ends_at <= context.now };",
    ),
    (
        "above-clearance",
        "forbid(principal, action, resource)\n\
         when { principal has clearance && resource has sensitivity_level\n\
         && resource.sensitivity_level > principal.clearance };",
    ),
];

fn string_attributes(
    attributes: &BTreeMap<String, String>,
) -> HashMap<String, RestrictedExpression> {
    attributes
        .iter()
        .map(|(k, v)| {
            assert!(!RESERVED.contains(&k.as_str()), "attribute {k} is reserved");
            (k.clone(), RestrictedExpression::new_string(normalise(v)))
        })
        .collect()
}

fn cedar_organisation(cat: &Catalogue, principals: &[Principal]) -> Cedar {
    let t = Types::new();
    let organisation = uid(&t.organisation, ORGANISATION);
    let mut entities = vec![Entity::new_no_attrs(organisation.clone(), HashSet::new())];
    for a in &cat.accounts {
        entities.push(Entity::new_no_attrs(
            uid(&t.account, &a.to_string()),
            HashSet::from([organisation.clone()]),
        ));
    }
    // Roles are action groups; each permission is in the groups of the roles holding it.
    let mut groups_of: HashMap<&str, HashSet<EntityUid>> = HashMap::new();
    for (role, held, _) in &cat.roles {
        let group = uid(&t.action, &role_group(role));
        entities.push(Entity::new_no_attrs(group.clone(), HashSet::new()));
        for permission in held.iter() {
            groups_of
                .entry(permission.as_str())
                .or_default()
                .insert(group.clone());
        }
    }
    let actions: Vec<EntityUid> = cat.permissions.iter().map(|p| uid(&t.action, p)).collect();
    for (permission, action) in cat.permissions.iter().zip(&actions) {
        if let Some(groups) = groups_of.remove(permission.as_str()) {
            entities.push(Entity::new_no_attrs(action.clone(), groups));
        }
    }
    let mut resources = Vec::with_capacity(cat.resources.len());
    for (n, r) in cat.resources.iter().enumerate() {
        let id = uid(&t.resource, &n.to_string());
        let mut attributes = string_attributes(&r.attributes);
        if let Some(s) = r
            .attributes
            .get("sensitivity")
            .and_then(|s| Sensitivity::parse(s))
        {
            attributes.insert(
                "sensitivity_level".to_string(),
                RestrictedExpression::new_long(level(s)),
            );
        }
        let parent = match r.account {
            Some(a) => uid(&t.account, &a.to_string()),
            None => organisation.clone(),
        };
        entities
            .push(Entity::new(id.clone(), attributes, HashSet::from([parent])).expect("resource"));
        resources.push(id);
    }
    let forbids: Vec<Policy> = FORBIDS
        .iter()
        .map(|(id, text)| Policy::parse(Some(PolicyId::new(id)), text).expect("forbid parses"))
        .collect();
    let roles: HashMap<&str, &Arc<BTreeSet<String>>> =
        cat.roles.iter().map(|(r, h, _)| (r.as_str(), h)).collect();
    let mut users = Vec::with_capacity(principals.len());
    let mut slices = Vec::with_capacity(principals.len());
    let mut parsing = Elapsed::ZERO;
    for p in principals {
        let id = uid(&t.user, &p.id.to_string());
        let mut attributes = string_attributes(&p.attributes);
        attributes.insert(
            "status".to_string(),
            RestrictedExpression::new_string(p.status.as_str().to_string()),
        );
        if let Some(end) = p.ends_at {
            attributes.insert(
                "ends_at".to_string(),
                RestrictedExpression::new_long(seconds(end)),
            );
        }
        if let Some(c) = p.clearance {
            attributes.insert(
                "clearance".to_string(),
                RestrictedExpression::new_long(level(c)),
            );
        }
        entities.push(Entity::new(id.clone(), attributes, HashSet::new()).expect("principal"));
        users.push(id);
        let mut slice = PolicySet::from_policies(forbids.iter().cloned()).expect("forbids");
        for g in &p.grants {
            // The role's action group stands for the grant's permissions: they must match.
            assert_eq!(roles[g.through.as_str()], &g.permissions);
            let text = permit_text(p, g);
            let started = Instant::now();
            let permit = Policy::parse(Some(PolicyId::new(g.id.to_string())), &text)
                .unwrap_or_else(|e| panic!("{e:?}\n{text}"));
            parsing += started.elapsed();
            slice.add(permit).expect("unique policy ids");
        }
        slices.push(slice);
    }
    let started = Instant::now();
    let entities = Entities::from_entities(entities, None).expect("entities");
    let store = started.elapsed();
    Cedar {
        entities,
        parsing,
        store,
        slices,
        principals: users,
        actions,
        resources,
        authorizer: Authorizer::new(),
    }
}

fn explain(cat: &Catalogue, principals: &[Principal], cedar: &Cedar, a: &Ask) -> String {
    let p = &principals[a.principal];
    let r = &cat.resources[a.resource];
    let response = cedar.ask(a);
    let satisfied: Vec<String> = response
        .diagnostics()
        .reason()
        .map(|id| id.to_string())
        .collect();
    format!(
        "principal {} ({:?}, ends {:?}, clearance {:?}, attributes {:?})\n\
         permission {}, account {:?}, resource {:?}, at {}\n\
         grants: {:#?}\n\
         rules: {:?}\n\
         cedar: {:?}, satisfied {satisfied:?}, errors {:?}\n\
         policies: {}",
        p.id,
        p.status,
        p.ends_at,
        p.clearance,
        p.attributes,
        cat.permissions[a.permission],
        r.account,
        r.attributes,
        a.at,
        p.grants,
        ask_rules(cat, principals, a),
        response.decision(),
        response.diagnostics().errors().collect::<Vec<_>>(),
        cedar.slices[a.principal]
    )
}

/// Puts every question to both engines; panics on the first disagreement or on any
/// Cedar evaluation error (an error would silently skip a policy).
fn check_equivalence(
    cat: &Catalogue,
    principals: &[Principal],
    cedar: &Cedar,
    asks: &[Ask],
) -> usize {
    let mut allowed = 0;
    for (i, a) in asks.iter().enumerate() {
        let ours = ask_rules(cat, principals, a).allowed;
        let response = cedar.ask(a);
        let theirs = response.decision() == Verdict::Allow;
        if ours != theirs || response.diagnostics().errors().next().is_some() {
            panic!(
                "the engines disagree on question {i}:\n{}",
                explain(cat, principals, cedar, a)
            );
        }
        allowed += usize::from(ours);
    }
    allowed
}

struct Timing {
    engine: &'static str,
    setup: Elapsed,
    nanos: Vec<u64>,
    total: Elapsed,
    allowed: usize,
}

impl Timing {
    fn run(
        engine: &'static str,
        setup: Elapsed,
        n: usize,
        mut decide: impl FnMut(usize) -> bool,
    ) -> Timing {
        let mut nanos = Vec::with_capacity(n);
        let mut allowed = 0;
        let start = Instant::now();
        for i in 0..n {
            let t = Instant::now();
            let ok = black_box(decide(i));
            nanos.push(t.elapsed().as_nanos() as u64);
            allowed += usize::from(ok);
        }
        let total = start.elapsed();
        nanos.sort_unstable();
        Timing {
            engine,
            setup,
            nanos,
            total,
            allowed,
        }
    }

    fn percentile(&self, p: usize) -> f64 {
        let i = (self.nanos.len() * p / 100).min(self.nanos.len() - 1);
        self.nanos[i] as f64 / 1_000.0
    }

    fn row(&self) -> String {
        let mean = self.nanos.iter().sum::<u64>() as f64 / self.nanos.len() as f64 / 1_000.0;
        let rate = self.nanos.len() as f64 / self.total.as_secs_f64();
        format!(
            "{:<36} | {:>9.2} | {:>8.2} | {:>8.2} | {:>9.2} | {:>11.0}",
            self.engine,
            self.setup.as_secs_f64(),
            self.percentile(50),
            self.percentile(99),
            mean,
            rate
        )
    }
}

fn main() {
    let mut rng = Rng(SEED);
    let cat = catalogue(&mut rng);

    let started = Instant::now();
    let principals = rules_principals(&cat, &mut rng);
    let rules_setup = started.elapsed();
    println!(
        "rules: {} principals, {} grants ({} with conditions) built in {:.2} s",
        principals.len(),
        principals.iter().map(|p| p.grants.len()).sum::<usize>(),
        principals
            .iter()
            .flat_map(|p| &p.grants)
            .filter(|g| !g.conditions.is_empty())
            .count(),
        rules_setup.as_secs_f64()
    );

    let started = Instant::now();
    let cedar = cedar_organisation(&cat, &principals);
    let cedar_setup = started.elapsed();
    println!(
        "cedar: {} entities, {} policy sets ({} policies in all, each 2-3 permits + 3 forbids) \
         built in {:.2} s (parsing the permits {:.2} s, the entity store {:.2} s)",
        cedar.entities.iter().count(),
        cedar.slices.len(),
        cedar
            .slices
            .iter()
            .map(|s| s.policies().count())
            .sum::<usize>(),
        cedar_setup.as_secs_f64(),
        cedar.parsing.as_secs_f64(),
        cedar.store.as_secs_f64()
    );

    let sample = questions(SAMPLE, &cat, &principals, &mut rng);
    let allowed = check_equivalence(&cat, &principals, &cedar, &sample);
    println!(
        "equivalence: {SAMPLE} questions, the same answer from both ({allowed} allowed, {} denied)",
        SAMPLE - allowed
    );

    // The same questions against one set of all 250,000 policies: slicing changes no answer.
    let started = Instant::now();
    let mut whole = PolicySet::new();
    for slice in &cedar.slices {
        for policy in slice.policies() {
            if whole.policy(policy.id()).is_none() {
                whole.add(policy.clone()).expect("policy");
            }
        }
    }
    let whole_setup = started.elapsed();
    let started = Instant::now();
    for a in &sample[..WHOLE_SET_SAMPLE] {
        let response = cedar
            .authorizer
            .is_authorized(&cedar.request(a), &whole, &cedar.entities);
        let ours = ask_rules(&cat, &principals, a).allowed;
        assert_eq!(ours, response.decision() == Verdict::Allow, "{a:?}");
    }
    let whole_each = started.elapsed() / WHOLE_SET_SAMPLE as u32;
    println!(
        "whole set: {} policies in one PolicySet (built in {:.2} s), {WHOLE_SET_SAMPLE} questions agree; {:.1} ms a decision",
        whole.policies().count(),
        whole_setup.as_secs_f64(),
        whole_each.as_secs_f64() * 1_000.0
    );
    drop(whole);

    let timed = questions(TIMED, &cat, &principals, &mut rng);
    let started = Instant::now();
    let requests: Vec<Request> = timed.iter().map(|a| cedar.request(a)).collect();
    let requests_setup = started.elapsed();

    let rows = [
        Timing::run("rules::policy::decide", rules_setup, TIMED, |i| {
            ask_rules(&cat, &principals, &timed[i]).allowed
        }),
        Timing::run(
            "cedar is_authorized + Request::new",
            cedar_setup,
            TIMED,
            |i| cedar.ask(&timed[i]).decision() == Verdict::Allow,
        ),
        Timing::run(
            "cedar is_authorized (Request built)",
            cedar_setup + requests_setup,
            TIMED,
            |i| {
                let a = &timed[i];
                cedar
                    .authorizer
                    .is_authorized(&requests[i], &cedar.slices[a.principal], &cedar.entities)
                    .decision()
                    == Verdict::Allow
            },
        ),
    ];
    for r in &rows[1..] {
        assert_eq!(
            r.allowed, rows[0].allowed,
            "{} allowed a different count",
            r.engine
        );
    }

    println!();
    println!(
        "{TIMED} questions, one at a time ({} allowed), the same for every engine.",
        rows[0].allowed
    );
    println!("Per decision, rules gets the principal's Principal (its 2-3 grants) and a Question");
    println!("borrowing the resource's attributes; Cedar gets the principal's PolicySet (its 2-3");
    println!(
        "permits and 3 forbids), the shared Entities of all principals, accounts, actions and"
    );
    println!("resources, and a Request (uids built at setup; context {{now}} built per decision,");
    println!("or the whole Request built beforehand in the last row).");
    println!();
    println!(
        "{:<36} | {:>9} | {:>8} | {:>8} | {:>9} | {:>11}",
        "engine", "setup (s)", "p50 (µs)", "p99 (µs)", "mean (µs)", "decisions/s"
    );
    println!("{}", "-".repeat(36 + 9 + 8 + 8 + 9 + 11 + 15));
    for r in &rows {
        println!("{}", r.row());
    }
    println!();
    println!(
        "setup: rules = generating the Principal values (grants, permission sets, parsed conditions);"
    );
    println!(
        "cedar = translating them into entities and policy text, parsing {} policies and building",
        GRANTS + 3
    );
    println!(
        "{PRINCIPALS} policy sets and the entity store; the last row adds building {TIMED} Requests ({:.2} s).",
        requests_setup.as_secs_f64()
    );
}

//! Birthright rules: who is given access from the day they join, by what the identity
//! provider says of them. A rule's criteria are written one per line (or separated by
//! `;`), and every one must hold:
//!
//! ```text
//! department = Sales                 an attribute of the person
//! region in EU, UK                   one of several values
//! employment_type = contractor       employee, contractor or intern
//! group = CRM users                  a member of this group
//! ```
//!
//! Values are compared without regard to case or surrounding spaces. Stored as JSON,
//! `{"all": ["<criterion>", …]}` in canonical form.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::RuleError;

/// The form field criteria are typed into.
pub const FIELD: &str = "criteria";
/// At most this many criteria in one rule.
pub const MAX_CRITERIA: usize = 10;
/// At most this many values in one `in` list.
pub const MAX_VALUES: usize = 50;
const MAX_VALUE_LEN: usize = 200;
const MAX_NAME_LEN: usize = 40;

/// What a criterion reads of a person.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// The person's employment type.
    EmploymentType,
    /// The groups the person belongs to (by display name).
    Group,
    /// One of the person's attributes (`department`, `region`, `cost_center`, …).
    Attribute(String),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::EmploymentType => f.write_str("employment_type"),
            Subject::Group => f.write_str("group"),
            Subject::Attribute(name) => f.write_str(name),
        }
    }
}

/// One criterion: what it reads is one of `values` (kept as written, compared folded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    pub subject: Subject,
    pub values: Vec<String>,
}

impl fmt::Display for Criterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.values.as_slice() {
            [one] => write!(f, "{} = {one}", self.subject),
            many => write!(f, "{} in {}", self.subject, many.join(", ")),
        }
    }
}

/// What a rule knows of a person.
#[derive(Debug, Clone, Default)]
pub struct Person<'a> {
    pub employment_type: Option<&'a str>,
    /// The person's attributes; only text values are compared.
    pub attributes: Option<&'a serde_json::Map<String, serde_json::Value>>,
    /// The display names of the person's groups.
    pub groups: &'a [String],
}

fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

impl Criterion {
    fn holds(&self, person: &Person) -> bool {
        let wanted = |have: &str| self.values.iter().any(|v| fold(v) == fold(have));
        match &self.subject {
            Subject::EmploymentType => person.employment_type.is_some_and(wanted),
            Subject::Group => person.groups.iter().any(|g| wanted(g)),
            Subject::Attribute(name) => person
                .attributes
                .and_then(|a| a.get(name))
                .and_then(|v| v.as_str())
                .is_some_and(wanted),
        }
    }
}

/// Every criterion of a rule; a rule has at least one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Stored", into = "Stored")]
pub struct Criteria(Vec<Criterion>);

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    all: Vec<String>,
}

impl TryFrom<Stored> for Criteria {
    type Error = RuleError;
    fn try_from(stored: Stored) -> Result<Self, RuleError> {
        Criteria::parse(&stored.all.join("\n"))
    }
}

impl From<Criteria> for Stored {
    fn from(c: Criteria) -> Self {
        Stored {
            all: c.0.iter().map(|c| c.to_string()).collect(),
        }
    }
}

fn invalid(message: impl Into<String>) -> RuleError {
    RuleError::invalid(FIELD, message)
}

impl Criteria {
    /// Reads criteria as a person writes them (see the module's documentation).
    /// Refusals name the line and say what to write instead.
    pub fn parse(text: &str) -> Result<Self, RuleError> {
        let lines: Vec<&str> = text
            .split(['\n', ';'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if lines.is_empty() {
            return Err(invalid(
                "Say who the rule is for, for example \u{201c}department = Sales\u{201d}.",
            ));
        }
        if lines.len() > MAX_CRITERIA {
            return Err(invalid(format!(
                "At most {MAX_CRITERIA} criteria; these are {}.",
                lines.len()
            )));
        }
        let mut all: Vec<Criterion> = Vec::with_capacity(lines.len());
        for line in lines {
            let criterion = parse_one(line)?;
            if !all.contains(&criterion) {
                all.push(criterion);
            }
        }
        Ok(Criteria(all))
    }

    pub fn from_json(value: &serde_json::Value) -> Result<Self, RuleError> {
        serde_json::from_value(value.clone()).map_err(|e| invalid(e.to_string()))
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_else(|_| serde_json::json!({ "all": [] }))
    }

    /// The canonical text, one criterion per line.
    pub fn text(&self) -> String {
        self.0
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Whether the person meets every criterion.
    pub fn matches(&self, person: &Person) -> bool {
        self.0.iter().all(|c| c.holds(person))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Criterion> {
        self.0.iter()
    }
}

const EMPLOYMENT_TYPES: [&str; 3] = ["employee", "contractor", "intern"];

fn parse_one(line: &str) -> Result<Criterion, RuleError> {
    let (name, rest, many) = if let Some((name, rest)) = line.split_once('=') {
        (name, rest, false)
    } else if let Some((name, rest)) = split_word(line, "in") {
        (name, rest, true)
    } else {
        return Err(invalid(format!(
            "\u{201c}{line}\u{201d}: write \u{201c}attribute = value\u{201d} or \u{201c}attribute in value, value\u{201d}."
        )));
    };
    let name = name.trim().to_lowercase();
    let valid_name = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.starts_with(|c: char| c.is_ascii_lowercase());
    if !valid_name {
        return Err(invalid(format!(
            "\u{201c}{line}\u{201d}: an attribute's name is letters, digits and underscores, such as department or cost_center."
        )));
    }
    let values: Vec<String> = if many {
        rest.split(',').map(|v| v.trim().to_string()).collect()
    } else {
        vec![rest.trim().to_string()]
    };
    if values.iter().any(|v| v.is_empty()) {
        return Err(invalid(format!(
            "\u{201c}{line}\u{201d}: a value is missing."
        )));
    }
    if values.len() > MAX_VALUES {
        return Err(invalid(format!(
            "\u{201c}{line}\u{201d}: at most {MAX_VALUES} values."
        )));
    }
    if let Some(long) = values.iter().find(|v| v.chars().count() > MAX_VALUE_LEN) {
        return Err(invalid(format!(
            "\u{201c}{}…\u{201d}: a value is at most {MAX_VALUE_LEN} characters.",
            long.chars().take(20).collect::<String>()
        )));
    }
    if values.iter().any(|v| v.chars().any(char::is_control)) {
        return Err(invalid("Values may not hold control characters."));
    }
    let subject = match name.as_str() {
        "employment_type" => {
            if let Some(bad) = values
                .iter()
                .find(|v| !EMPLOYMENT_TYPES.contains(&fold(v).as_str()))
            {
                return Err(invalid(format!(
                    "\u{201c}{bad}\u{201d} is not an employment type; use employee, contractor or intern."
                )));
            }
            Subject::EmploymentType
        }
        "group" | "groups" => Subject::Group,
        _ => Subject::Attribute(name),
    };
    let mut seen = BTreeMap::new();
    let values = values
        .into_iter()
        .filter(|v| seen.insert(fold(v), ()).is_none())
        .collect();
    Ok(Criterion { subject, values })
}

/// `name in rest`, where `in` stands as a word.
fn split_word<'a>(line: &'a str, word: &str) -> Option<(&'a str, &'a str)> {
    let lower = line.to_ascii_lowercase();
    let at = lower.find(&format!(" {word} "))?;
    Some((&line[..at], &line[at + word.len() + 2..]))
}

/// A grant a person holds in force, as the plan sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held<G, R, K> {
    pub grant: G,
    /// What it gives, where: the bundle and account.
    pub key: K,
    /// The birthright rule it came from; `None` for access given any other way.
    pub rule: Option<R>,
    /// Already waiting for removal (in an open mover review).
    pub scheduled: bool,
}

/// What to change so that a person holds exactly the birthright access the rules give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan<G, R, K> {
    /// New grants: the rule, and what it gives.
    pub add: Vec<(R, K)>,
    /// Birthright grants whose rule no longer matches but another gives the same: the
    /// grant now comes from that one.
    pub relink: Vec<(G, R)>,
    /// Birthright grants no rule justifies any more, to be removed after the grace
    /// period (unless the manager keeps them).
    pub remove: Vec<G>,
    /// Grants waiting for removal that a rule justifies again.
    pub unschedule: Vec<G>,
}

impl<G, R, K> Default for Plan<G, R, K> {
    fn default() -> Self {
        Self {
            add: Vec::new(),
            relink: Vec::new(),
            remove: Vec::new(),
            unschedule: Vec::new(),
        }
    }
}

impl<G, R, K> Plan<G, R, K> {
    pub fn is_empty(&self) -> bool {
        self.add.is_empty()
            && self.relink.is_empty()
            && self.remove.is_empty()
            && self.unschedule.is_empty()
    }
}

/// The plan for one person: `rules` in their order of precedence (the first that
/// gives a bundle on an account is the one its grant comes from); `held` the grants the
/// person holds in force. Access given another way satisfies a rule and is never
/// removed; a person who is not active gets nothing (`active` false).
pub fn plan<G: Copy, R: Copy + Eq, K: Clone + Eq>(
    rules: &[(R, K, &Criteria)],
    person: &Person,
    active: bool,
    held: &[Held<G, R, K>],
) -> Plan<G, R, K> {
    let matching: Vec<(R, &K)> = if active {
        rules
            .iter()
            .filter(|(_, _, c)| c.matches(person))
            .map(|(r, k, _)| (*r, k))
            .collect()
    } else {
        Vec::new()
    };
    let gives = |rule: R, key: &K| matching.iter().any(|(r, k)| *r == rule && *k == key);
    let mut plan = Plan::default();
    let mut satisfied: Vec<&K> = Vec::new();
    for h in held {
        let wanted = matching.iter().find(|(_, k)| *k == &h.key);
        match (wanted, h.rule) {
            (Some(_), None) => satisfied.push(&h.key),
            (Some((first, _)), Some(rule)) => {
                if !gives(rule, &h.key) {
                    plan.relink.push((h.grant, *first));
                }
                if h.scheduled {
                    plan.unschedule.push(h.grant);
                }
                satisfied.push(&h.key);
            }
            (None, Some(_)) if !h.scheduled => plan.remove.push(h.grant),
            (None, _) => {}
        }
    }
    for (rule, key) in &matching {
        if !satisfied.contains(key) {
            satisfied.push(key);
            plan.add.push((*rule, (*key).clone()));
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    fn attributes(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn reads_each_form_and_writes_it_back_canonically() {
        let c =
            Criteria::parse("Department = Sales; region in EU,  UK\ngroup = CRM users").unwrap();
        assert_eq!(
            c.text(),
            "department = Sales\nregion in EU, UK\ngroup = CRM users"
        );
        assert_eq!(Criteria::from_json(&c.to_json()).unwrap(), c);
    }

    #[test]
    fn matches_attributes_types_and_groups_whatever_their_case() {
        let c = Criteria::parse(
            "department = sales\nemployment_type in Contractor, intern\ngroup = crm users",
        )
        .unwrap();
        let attrs = attributes(json!({ "department": " Sales ", "region": "EU" }));
        let groups = vec!["CRM Users".to_string()];
        let person = Person {
            employment_type: Some("contractor"),
            attributes: Some(&attrs),
            groups: &groups,
        };
        assert!(c.matches(&person));
        let employee = Person {
            employment_type: Some("employee"),
            ..person.clone()
        };
        assert!(!c.matches(&employee));
        let outsider = Person {
            groups: &[],
            ..person.clone()
        };
        assert!(!c.matches(&outsider));
        let elsewhere_attrs = attributes(json!({ "department": "Support" }));
        let elsewhere = Person {
            attributes: Some(&elsewhere_attrs),
            ..person
        };
        assert!(!c.matches(&elsewhere));
    }

    #[test]
    fn a_missing_or_non_text_attribute_never_matches() {
        let c = Criteria::parse("cost_center = 42").unwrap();
        let number = attributes(json!({ "cost_center": 42 }));
        assert!(!c.matches(&Person {
            attributes: Some(&number),
            ..Default::default()
        }));
        assert!(!c.matches(&Person::default()));
    }

    #[test]
    fn refuses_what_cannot_be_read_with_a_message_that_says_what_to_write() {
        for (text, says) in [
            ("", "Say who the rule is for"),
            ("department", "write \u{201c}attribute = value\u{201d}"),
            ("department =", "a value is missing"),
            ("region in EU, ", "a value is missing"),
            ("1dept = x", "letters, digits and underscores"),
            ("dep-t = x", "letters, digits and underscores"),
            ("employment_type = boss", "is not an employment type"),
            ("department = a\u{0}b", "control characters"),
        ] {
            let err = Criteria::parse(text).unwrap_err();
            assert!(
                err.to_string().contains(says),
                "{text:?} answered {err}, not {says:?}"
            );
            assert!(err.field_message(FIELD).is_some());
        }
        let many = (0..11)
            .map(|i| format!("a{i} = x"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(Criteria::parse(&many).is_err());
        let long = format!("department = {}", "x".repeat(201));
        assert!(Criteria::parse(&long).is_err());
        let values = format!(
            "department in {}",
            (0..51).map(|i| i.to_string()).collect::<Vec<_>>().join(",")
        );
        assert!(Criteria::parse(&values).is_err());
    }

    #[test]
    fn the_same_criterion_or_value_twice_counts_once() {
        let c = Criteria::parse("department in Sales, sales\ndepartment in Sales, sales").unwrap();
        assert_eq!(c.text(), "department = Sales");
    }

    #[test]
    fn stored_json_that_is_not_criteria_is_refused() {
        assert!(Criteria::from_json(&json!({ "all": [] })).is_err());
        assert!(Criteria::from_json(&json!({ "any": ["a = b"] })).is_err());
        assert!(Criteria::from_json(&json!({ "all": ["a"] })).is_err());
    }

    fn held(
        grant: u8,
        key: &'static str,
        rule: Option<u8>,
        scheduled: bool,
    ) -> Held<u8, u8, &'static str> {
        Held {
            grant,
            key,
            rule,
            scheduled,
        }
    }

    #[test]
    fn a_joiner_gets_what_each_matching_rule_gives_once() {
        let sales = Criteria::parse("department = Sales").unwrap();
        let contractors = Criteria::parse("employment_type = contractor").unwrap();
        let attrs = attributes(json!({ "department": "Sales" }));
        let person = Person {
            employment_type: Some("employee"),
            attributes: Some(&attrs),
            groups: &[],
        };
        let rules = [
            (1, "crm", &sales),
            (2, "crm", &sales),
            (3, "wiki", &sales),
            (4, "vpn", &contractors),
        ];
        let p = plan(&rules, &person, true, &[] as &[Held<u8, i32, &str>]);
        assert_eq!(p.add, vec![(1, "crm"), (3, "wiki")]);
        assert!(p.remove.is_empty() && p.relink.is_empty());
        let none: &[Held<u8, i32, &str>] = &[];
        assert!(
            plan(&rules, &person, false, none).is_empty(),
            "nothing for someone not active"
        );
    }

    #[test]
    fn a_mover_keeps_what_still_holds_loses_what_does_not_and_gains_the_new() {
        let sales = Criteria::parse("department = Sales").unwrap();
        let support = Criteria::parse("department = Support").unwrap();
        let everyone = Criteria::parse("employment_type in employee, contractor").unwrap();
        let attrs = attributes(json!({ "department": "Support" }));
        let person = Person {
            employment_type: Some("employee"),
            attributes: Some(&attrs),
            groups: &[],
        };
        let rules = [
            (1, "crm", &sales),
            (2, "desk", &support),
            (3, "wiki", &everyone),
        ];
        let held = [
            held(10, "crm", Some(1), false),
            held(11, "wiki", Some(3), false),
            held(12, "billing", None, false),
        ];
        let p = plan(&rules, &person, true, &held);
        assert_eq!(p.add, vec![(2, "desk")]);
        assert_eq!(
            p.remove,
            vec![10],
            "the old department's access goes; wiki stays; a manual grant is never touched"
        );
        assert!(p.relink.is_empty() && p.unschedule.is_empty());
    }

    #[test]
    fn access_waiting_for_removal_is_not_asked_twice_and_is_kept_when_justified_again() {
        let sales = Criteria::parse("department = Sales").unwrap();
        let attrs = attributes(json!({ "department": "Sales" }));
        let person = Person {
            employment_type: Some("employee"),
            attributes: Some(&attrs),
            groups: &[],
        };
        let rules = [(1, "crm", &sales)];
        let p = plan(&rules, &person, true, &[held(10, "crm", Some(1), true)]);
        assert_eq!(p.unschedule, vec![10]);
        assert!(p.add.is_empty() && p.remove.is_empty());
        let elsewhere = Person {
            attributes: None,
            ..person
        };
        let p = plan(&rules, &elsewhere, true, &[held(10, "crm", Some(1), true)]);
        assert!(p.is_empty(), "already waiting: nothing more to do");
    }

    #[test]
    fn a_grant_whose_rule_stopped_matching_passes_to_a_rule_that_gives_the_same() {
        let sales = Criteria::parse("department = Sales").unwrap();
        let revenue = Criteria::parse("department = Revenue").unwrap();
        let attrs = attributes(json!({ "department": "Revenue" }));
        let person = Person {
            employment_type: Some("employee"),
            attributes: Some(&attrs),
            groups: &[],
        };
        let rules = [(1, "crm", &sales), (2, "crm", &revenue)];
        let p = plan(&rules, &person, true, &[held(10, "crm", Some(1), false)]);
        assert_eq!(p.relink, vec![(10, 2)]);
        assert!(p.add.is_empty() && p.remove.is_empty());
    }

    #[test]
    fn access_given_another_way_satisfies_a_rule() {
        let sales = Criteria::parse("department = Sales").unwrap();
        let attrs = attributes(json!({ "department": "Sales" }));
        let person = Person {
            employment_type: Some("employee"),
            attributes: Some(&attrs),
            groups: &[],
        };
        let p = plan(
            &[(1, "crm", &sales)],
            &person,
            true,
            &[held(10, "crm", None, false)],
        );
        assert!(p.is_empty());
    }
}

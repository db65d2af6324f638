//! The conditions a grant (or a request for one) can carry: a small language, written
//! one condition per line (or separated by `;`), every one of which must hold.
//!
//! ```text
//! region = EU                              the resource's region is EU
//! brand in Acme, Zest                      the resource's brand is one of them
//! principal.department = Sales             the principal's own attribute
//! time Mon-Fri 09:00-18:00 Europe/Paris    weekdays and hours, in a time zone
//! sensitivity <= confidential              data up to that sensitivity
//! ```
//!
//! An attribute without `principal.` or `resource.` is the resource's. Stored as JSON,
//! `{"all": ["<condition>", …]}` in its canonical form; `{}` is no condition.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Datelike, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::RuleError;

/// The form field conditions are typed into.
pub const FIELD: &str = "conditions";
/// At most this many conditions on one grant.
pub const MAX_CONDITIONS: usize = 10;
/// At most this many values in one `in` list.
pub const MAX_VALUES: usize = 50;
const MAX_VALUE_LEN: usize = 64;
const MAX_NAME_LEN: usize = 40;

/// How sensitive data is, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    Public,
    Internal,
    Confidential,
    Restricted,
}

impl Sensitivity {
    pub const ALL: [Sensitivity; 4] = [
        Sensitivity::Public,
        Sensitivity::Internal,
        Sensitivity::Confidential,
        Sensitivity::Restricted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sensitivity::Public => "public",
            Sensitivity::Internal => "internal",
            Sensitivity::Confidential => "confidential",
            Sensitivity::Restricted => "restricted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// Whose attribute a condition reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holder {
    Principal,
    Resource,
}

impl Holder {
    fn prefix(self) -> &'static str {
        match self {
            Holder::Principal => "principal",
            Holder::Resource => "resource",
        }
    }
}

/// A weekly time window in a time zone: the days it is open and, on those days, the
/// hours from `from` (included) to `until` (excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeWindow {
    /// Monday first; at least one.
    pub days: [bool; 7],
    pub from: NaiveTime,
    pub until: NaiveTime,
    pub zone: Tz,
}

impl TimeWindow {
    /// The end of the hours as written: the end of the day is 24:00.
    fn until_text(&self) -> String {
        if self.until == end_of_day() {
            "24:00".into()
        } else {
            self.until.format("%H:%M").to_string()
        }
    }
}

fn end_of_day() -> NaiveTime {
    NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN)
}

/// One condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The attribute's value is one of `values` (one value: equality). Compared without
    /// regard to case.
    Attribute {
        holder: Holder,
        name: String,
        values: Vec<String>,
    },
    Time(TimeWindow),
    /// The resource's `sensitivity` attribute is at most this.
    MaxSensitivity(Sensitivity),
}

/// The attributes a decision is asked about.
pub struct Facts<'a> {
    pub principal: &'a BTreeMap<String, String>,
    pub resource: &'a BTreeMap<String, String>,
    pub at: DateTime<Utc>,
}

/// What a condition found when it did not hold, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unmet {
    /// The condition, as written.
    pub condition: String,
    /// What was found instead.
    pub found: String,
}

impl Condition {
    /// Whether the condition holds for `facts`; if not, what was found instead.
    pub fn check(&self, facts: &Facts) -> Result<(), Unmet> {
        let unmet = |found: String| Unmet {
            condition: self.to_string(),
            found,
        };
        match self {
            Condition::Attribute {
                holder,
                name,
                values,
            } => {
                let attributes = match holder {
                    Holder::Principal => facts.principal,
                    Holder::Resource => facts.resource,
                };
                match attributes.get(name) {
                    Some(v) if values.iter().any(|w| w.eq_ignore_ascii_case(v.trim())) => Ok(()),
                    Some(v) => Err(unmet(format!("{} {name} is {v}", holder.prefix()))),
                    None => Err(unmet(format!("{} has no {name}", holder.prefix()))),
                }
            }
            Condition::Time(w) => {
                let local = facts.at.with_timezone(&w.zone);
                let day = local.weekday().num_days_from_monday() as usize;
                let time = local.time().with_nanosecond(0).unwrap_or(local.time());
                if w.days[day] && w.from <= time && time < w.until {
                    Ok(())
                } else {
                    Err(unmet(format!(
                        "it is {} {} in {}",
                        day_name(day),
                        local.format("%H:%M"),
                        w.zone.name()
                    )))
                }
            }
            Condition::MaxSensitivity(max) => match facts.resource.get("sensitivity") {
                None => Err(unmet("the resource's sensitivity was not given".into())),
                Some(s) => match Sensitivity::parse(s) {
                    Some(level) if level <= *max => Ok(()),
                    Some(level) => Err(unmet(format!("the resource is {}", level.as_str()))),
                    None => Err(unmet(format!("the resource's sensitivity is {s}"))),
                },
            },
        }
    }

    /// The condition in words, for pages and decisions.
    pub fn words(&self) -> String {
        match self {
            Condition::Attribute {
                holder,
                name,
                values,
            } => {
                let whose = match holder {
                    Holder::Principal => "the principal's",
                    Holder::Resource => "the resource's",
                };
                let name = name.replace('_', " ");
                match values.as_slice() {
                    [one] => format!("{whose} {name} is {one}"),
                    many => format!("{whose} {name} is one of {}", many.join(", ")),
                }
            }
            Condition::Time(w) => format!(
                "on {}, {}\u{2013}{} ({})",
                days_text(&w.days, "\u{2013}"),
                w.from.format("%H:%M"),
                w.until_text(),
                w.zone.name()
            ),
            Condition::MaxSensitivity(max) => format!("data up to {}", max.as_str()),
        }
    }
}

/// The canonical form, which [`Conditions::parse`] reads back.
impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Attribute {
                holder,
                name,
                values,
            } => {
                let attribute = match holder {
                    Holder::Principal => format!("principal.{name}"),
                    Holder::Resource => name.clone(),
                };
                match values.as_slice() {
                    [one] => write!(f, "{attribute} = {one}"),
                    many => write!(f, "{attribute} in {}", many.join(", ")),
                }
            }
            Condition::Time(w) => write!(
                f,
                "time {} {}-{} {}",
                days_text(&w.days, "-"),
                w.from.format("%H:%M"),
                w.until_text(),
                w.zone.name()
            ),
            Condition::MaxSensitivity(max) => write!(f, "sensitivity <= {}", max.as_str()),
        }
    }
}

/// Every condition on a grant; all must hold. Empty: none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Stored", into = "Stored")]
pub struct Conditions(Vec<Condition>);

/// How conditions are kept in the database and sent over the API.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    all: Vec<String>,
}

impl TryFrom<Stored> for Conditions {
    type Error = RuleError;
    fn try_from(stored: Stored) -> Result<Self, RuleError> {
        Conditions::parse(&stored.all.join("\n"))
    }
}

impl From<Conditions> for Stored {
    fn from(c: Conditions) -> Self {
        Stored {
            all: c.0.iter().map(|c| c.to_string()).collect(),
        }
    }
}

impl Conditions {
    pub fn none() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Condition> {
        self.0.iter()
    }

    /// Reads conditions as a person writes them (see the module's documentation); a
    /// blank text is no condition. Refusals name the line and say what to write instead.
    pub fn parse(text: &str) -> Result<Self, RuleError> {
        let lines: Vec<&str> = text
            .split(['\n', ';'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if lines.len() > MAX_CONDITIONS {
            return Err(invalid(format!(
                "At most {MAX_CONDITIONS} conditions; these are {}.",
                lines.len()
            )));
        }
        let mut all = Vec::with_capacity(lines.len());
        for line in lines {
            let condition = parse_one(line)?;
            if !all.contains(&condition) {
                all.push(condition);
            }
        }
        Ok(Conditions(all))
    }

    /// Reads conditions as stored (`{}` or `{"all": [...]}`).
    pub fn from_json(value: &serde_json::Value) -> Result<Self, RuleError> {
        serde_json::from_value(value.clone()).map_err(|e| invalid(e.to_string()))
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_else(|_| serde_json::json!({}))
    }

    /// The canonical text, one condition per line, for a form to edit.
    pub fn text(&self) -> String {
        self.0
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// All conditions in words, joined by "and"; empty when there are none.
    pub fn words(&self) -> String {
        self.0
            .iter()
            .map(Condition::words)
            .collect::<Vec<_>>()
            .join(" and ")
    }

    /// Every condition that does not hold for `facts`.
    pub fn unmet(&self, facts: &Facts) -> Vec<Unmet> {
        self.0.iter().filter_map(|c| c.check(facts).err()).collect()
    }
}

fn invalid(message: impl Into<String>) -> RuleError {
    RuleError::invalid(FIELD, message)
}

const EXAMPLES: &str = "Write one condition per line, such as \u{201c}region = EU\u{201d}, \
    \u{201c}brand in Acme, Zest\u{201d}, \u{201c}principal.department = Sales\u{201d}, \
    \u{201c}time Mon-Fri 09:00-18:00 Europe/Paris\u{201d} or \
    \u{201c}sensitivity <= confidential\u{201d}.";

fn parse_one(line: &str) -> Result<Condition, RuleError> {
    let unreadable = || {
        invalid(format!(
            "\u{201c}{line}\u{201d} is not a condition. {EXAMPLES}"
        ))
    };
    if let Some(rest) = strip_word(line, "time") {
        return parse_time(line, rest).map(Condition::Time);
    }
    if let Some(rest) = strip_word(line, "sensitivity") {
        let rest = rest.trim_start();
        let level = rest
            .strip_prefix("<=")
            .or_else(|| strip_word(rest, "up to"))
            .ok_or_else(|| {
                invalid(format!(
                    "In \u{201c}{line}\u{201d}: write \u{201c}sensitivity <= confidential\u{201d} \
                     (public, internal, confidential or restricted)."
                ))
            })?;
        return Sensitivity::parse(level)
            .map(Condition::MaxSensitivity)
            .ok_or_else(|| {
                invalid(format!(
                    "\u{201c}{}\u{201d} is not a sensitivity: use public, internal, confidential or restricted.",
                    level.trim()
                ))
            });
    }
    let (attribute, values) = if let Some((a, v)) = line.split_once('=') {
        (a.trim(), vec![v.trim()])
    } else if let Some((a, v)) = split_word(line, "in") {
        let v = v.trim();
        let v = v
            .strip_prefix('(')
            .and_then(|v| v.strip_suffix(')'))
            .unwrap_or(v);
        (a.trim(), v.split(',').map(str::trim).collect())
    } else {
        return Err(unreadable());
    };
    let (holder, name) = match attribute.split_once('.') {
        Some(("principal", n)) => (Holder::Principal, n),
        Some(("resource", n)) => (Holder::Resource, n),
        Some(_) => {
            return Err(invalid(format!(
                "\u{201c}{attribute}\u{201d}: an attribute is the resource's (region) or \
                 the principal's (principal.department)."
            )))
        }
        None => (Holder::Resource, attribute),
    };
    let name = name.to_ascii_lowercase();
    let good_name = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !good_name {
        return Err(invalid(format!(
            "\u{201c}{attribute}\u{201d} is not an attribute name: use letters, digits and \
             underscores, starting with a letter (at most {MAX_NAME_LEN})."
        )));
    }
    if values.len() > MAX_VALUES {
        return Err(invalid(format!(
            "\u{201c}{attribute} in \u{2026}\u{201d} lists {} values; at most {MAX_VALUES}.",
            values.len()
        )));
    }
    let mut kept: Vec<String> = Vec::with_capacity(values.len());
    for v in values {
        let good = !v.is_empty()
            && v.chars().count() <= MAX_VALUE_LEN
            && v.chars()
                .all(|c| c.is_alphanumeric() || " _-./:+@".contains(c));
        if !good {
            return Err(invalid(format!(
                "In \u{201c}{line}\u{201d}: \u{201c}{v}\u{201d} is not a value. Values are \
                 words or codes of letters, digits, spaces and _ - . / : + @ (at most \
                 {MAX_VALUE_LEN} characters), separated by commas."
            )));
        }
        if !kept.iter().any(|k| k.eq_ignore_ascii_case(v)) {
            kept.push(v.to_string());
        }
    }
    Ok(Condition::Attribute {
        holder,
        name,
        values: kept,
    })
}

/// `rest` after a leading keyword (any case) followed by a space, or `None`.
fn strip_word<'a>(line: &'a str, word: &str) -> Option<&'a str> {
    let head = line.get(..word.len())?;
    let rest = &line[word.len()..];
    (head.eq_ignore_ascii_case(word) && rest.starts_with(char::is_whitespace)).then_some(rest)
}

/// The parts around a keyword standing alone between spaces.
fn split_word<'a>(line: &'a str, word: &str) -> Option<(&'a str, &'a str)> {
    let lower = line.to_ascii_lowercase();
    let at = lower.find(&format!(" {word} "))?;
    Some((&line[..at], &line[at + word.len() + 2..]))
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn day_name(i: usize) -> &'static str {
    DAYS[i]
}

/// A day by its name or any abbreviation of three letters or more.
fn parse_day(s: &str) -> Option<usize> {
    const NAMES: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let s = s.trim().to_ascii_lowercase();
    if s.len() < 3 {
        return None;
    }
    NAMES.iter().position(|d| d.starts_with(&s))
}

/// Days as written canonically: runs of three or more as `Mon-Fri`, others by commas.
fn days_text(days: &[bool; 7], dash: &str) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < 7 {
        if !days[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i + 1 < 7 && days[i + 1] {
            i += 1;
        }
        match i - start {
            0 => parts.push(DAYS[start].to_string()),
            1 => {
                parts.push(DAYS[start].to_string());
                parts.push(DAYS[i].to_string());
            }
            _ => parts.push(format!("{}{dash}{}", DAYS[start], DAYS[i])),
        }
        i += 1;
    }
    parts.join(", ")
}

fn parse_time(line: &str, rest: &str) -> Result<TimeWindow, RuleError> {
    let how = || {
        invalid(format!(
            "In \u{201c}{line}\u{201d}: write \u{201c}time <days> <from>-<until> <time zone>\u{201d}, \
             for example \u{201c}time Mon-Fri 09:00-18:00 Europe/Paris\u{201d}."
        ))
    };
    let words: Vec<&str> = rest.split_whitespace().collect();
    let [days @ .., hours, zone] = words.as_slice() else {
        return Err(how());
    };
    if days.is_empty() {
        return Err(how());
    }
    let mut open = [false; 7];
    for part in days.join("").split(',').filter(|p| !p.is_empty()) {
        let bad_day = || {
            invalid(format!(
                "In \u{201c}{line}\u{201d}: \u{201c}{part}\u{201d} is not a day or a range of \
                 days; write days as Mon, Tue, \u{2026} Sun, and ranges as Mon-Fri."
            ))
        };
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (
                    parse_day(a).ok_or_else(bad_day)?,
                    parse_day(b).ok_or_else(bad_day)?,
                );
                if a > b {
                    return Err(bad_day());
                }
                open[a..=b].iter_mut().for_each(|d| *d = true);
            }
            None => open[parse_day(part).ok_or_else(bad_day)?] = true,
        }
    }
    let (from, until) = hours.split_once('-').ok_or_else(how)?;
    let clock = |s: &str| {
        NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| {
            invalid(format!(
                "In \u{201c}{line}\u{201d}: \u{201c}{s}\u{201d} is not a time of day; write \
                 hours and minutes, 09:00 to 24:00."
            ))
        })
    };
    let from = clock(from)?;
    let until = if until == "24:00" {
        end_of_day()
    } else {
        clock(until)?
    };
    if until <= from {
        return Err(invalid(format!(
            "In \u{201c}{line}\u{201d}: the hours must end after they start, on the same day \
             (until 24:00 at the latest)."
        )));
    }
    let zone: Tz = zone.parse().map_err(|_| {
        invalid(format!(
            "In \u{201c}{line}\u{201d}: \u{201c}{zone}\u{201d} is not a time zone; write one \
             such as UTC, Europe/Paris or America/New_York."
        ))
    })?;
    Ok(TimeWindow {
        days: open,
        from,
        until,
        zone,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn facts<'a>(
        principal: &'a BTreeMap<String, String>,
        resource: &'a BTreeMap<String, String>,
        at: DateTime<Utc>,
    ) -> Facts<'a> {
        Facts {
            principal,
            resource,
            at,
        }
    }

    fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn conditions_read_back_as_written() {
        let text = "region = EU; Brand in (Acme, Zest , acme)\nprincipal.department = Sales\n\
                    TIME mon-wed,Fri 09:00-18:00 Europe/Paris\nsensitivity up to Confidential";
        let c = Conditions::parse(text).unwrap();
        assert_eq!(
            c.text(),
            "region = EU\nbrand in Acme, Zest\nprincipal.department = Sales\n\
             time Mon-Wed, Fri 09:00-18:00 Europe/Paris\nsensitivity <= confidential"
        );
        assert_eq!(Conditions::parse(&c.text()).unwrap(), c);
        let late = Conditions::parse("time Sat-Sun 18:00-24:00 UTC").unwrap();
        assert_eq!(late.text(), "time Sat, Sun 18:00-24:00 UTC");
        assert_eq!(Conditions::parse(&late.text()).unwrap(), late);
        let json = c.to_json();
        assert_eq!(json["all"][0], "region = EU");
        assert_eq!(Conditions::from_json(&json).unwrap(), c);
        assert_eq!(
            Conditions::from_json(&serde_json::json!({})).unwrap(),
            Conditions::none()
        );
        assert_eq!(Conditions::none().to_json(), serde_json::json!({}));
        assert!(c.words().starts_with(
            "the resource's region is EU and the resource's brand is one of Acme, Zest and \
             the principal's department is Sales and on Mon\u{2013}Wed, Fri, 09:00\u{2013}18:00 (Europe/Paris)"
        ));
    }

    #[test]
    fn bad_conditions_say_what_to_write() {
        for (text, says) in [
            ("region", "is not a condition"),
            ("account.region = EU", "the principal's"),
            ("1region = EU", "not an attribute name"),
            ("region = <script>", "is not a value"),
            ("region = ", "is not a value"),
            ("time Mon-Fri 09:00-18:00", "write \u{201c}time <days>"),
            ("time Fri-Mon 09:00-18:00 UTC", "range of days"),
            ("time Mon 18:00-09:00 UTC", "end after they start"),
            ("time Mon 9am-5pm UTC", "not a time of day"),
            ("time Mon 09:00-17:00 Mars/Olympus", "not a time zone"),
            ("sensitivity = low", "sensitivity <= confidential"),
            ("sensitivity <= secret", "not a sensitivity"),
        ] {
            let e = Conditions::parse(text).unwrap_err();
            let message = e.field_message(FIELD).unwrap();
            assert!(message.contains(says), "{text}: {message}");
        }
        let many = (0..11).map(|i| format!("a{i} = x")).collect::<Vec<_>>();
        assert!(Conditions::parse(&many.join("\n")).is_err());
        assert!(Conditions::from_json(&serde_json::json!({"all": ["region ="]})).is_err());
        assert!(Conditions::from_json(&serde_json::json!({"any": []})).is_err());
        assert_eq!(Conditions::parse(" \n ; ").unwrap(), Conditions::none());
    }

    #[test]
    fn attributes_match_without_regard_to_case_and_say_what_was_found() {
        let c = Conditions::parse("region = EU\nprincipal.team in Red, Blue").unwrap();
        let at = Utc::now();
        let p = attrs(&[("team", "blue")]);
        assert!(c
            .unmet(&facts(&p, &attrs(&[("region", "eu")]), at))
            .is_empty());
        let unmet = c.unmet(&facts(&p, &attrs(&[("region", "US")]), at));
        assert_eq!(
            unmet,
            vec![Unmet {
                condition: "region = EU".into(),
                found: "resource region is US".into()
            }]
        );
        let unmet = c.unmet(&facts(&attrs(&[]), &attrs(&[]), at));
        assert_eq!(unmet.len(), 2);
        assert_eq!(unmet[1].found, "principal has no team");
    }

    #[test]
    fn time_windows_are_read_in_their_zone() {
        let c = Conditions::parse("time Mon-Fri 09:00-18:00 Europe/Paris").unwrap();
        let none = attrs(&[]);
        // Wednesday 2026-07-01 07:30 UTC is 09:30 in Paris (summer time).
        let wed = Utc.with_ymd_and_hms(2026, 7, 1, 7, 30, 0).unwrap();
        assert!(c.unmet(&facts(&none, &none, wed)).is_empty());
        // 06:59 UTC is 08:59 in Paris: too early.
        let early = Utc.with_ymd_and_hms(2026, 7, 1, 6, 59, 0).unwrap();
        assert_eq!(
            c.unmet(&facts(&none, &none, early))[0].found,
            "it is Wed 08:59 in Europe/Paris"
        );
        // 16:00 UTC on Friday is 18:00 in Paris: the window has closed.
        let fri = Utc.with_ymd_and_hms(2026, 7, 3, 16, 0, 0).unwrap();
        assert_eq!(c.unmet(&facts(&none, &none, fri)).len(), 1);
        // Saturday.
        let sat = Utc.with_ymd_and_hms(2026, 7, 4, 10, 0, 0).unwrap();
        assert_eq!(c.unmet(&facts(&none, &none, sat)).len(), 1);
        // In winter Paris is UTC+1: 08:30 UTC is 09:30 there.
        let winter = Utc.with_ymd_and_hms(2026, 1, 7, 8, 30, 0).unwrap();
        assert!(c.unmet(&facts(&none, &none, winter)).is_empty());
    }

    #[test]
    fn sensitivity_is_compared_in_order() {
        let c = Conditions::parse("sensitivity <= internal").unwrap();
        let none = attrs(&[]);
        let at = Utc::now();
        for (level, ok) in [
            ("public", true),
            ("internal", true),
            ("confidential", false),
            ("restricted", false),
        ] {
            let r = attrs(&[("sensitivity", level)]);
            assert_eq!(c.unmet(&facts(&none, &r, at)).is_empty(), ok, "{level}");
        }
        assert_eq!(
            c.unmet(&facts(&none, &none, at))[0].found,
            "the resource's sensitivity was not given"
        );
    }
}

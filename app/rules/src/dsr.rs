//! Data-subject requests: their kinds and statuses, the steps between statuses, due dates
//! and extensions, and which requests stand out as overdue or due soon.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// Days a request may take, unless the organisation sets otherwise.
pub const DEFAULT_RESPONSE_DAYS: i64 = 30;
/// The most the organisation may set.
pub const MAX_RESPONSE_DAYS: i64 = 90;
/// How much later than first due a request may be extended to (GDPR Article 12(3):
/// two further months).
pub const MAX_EXTENSION_DAYS: i64 = 60;
/// Open requests due within this many days stand out.
pub const DUE_SOON_DAYS: i64 = 7;
/// How a request may reach the organisation.
pub const ARRIVED_BY: [&str; 7] = [
    "email",
    "web_form",
    "letter",
    "phone",
    "in_person",
    "chatbot",
    "preference_centre",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DsrKind {
    Access,
    Rectification,
    Erasure,
    Restriction,
    Objection,
}

impl DsrKind {
    pub const ALL: [DsrKind; 5] = [
        DsrKind::Access,
        DsrKind::Rectification,
        DsrKind::Erasure,
        DsrKind::Restriction,
        DsrKind::Objection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DsrKind::Access => "access",
            DsrKind::Rectification => "rectification",
            DsrKind::Erasure => "erasure",
            DsrKind::Restriction => "restriction",
            DsrKind::Objection => "objection",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            DsrKind::Access => "Access",
            DsrKind::Rectification => "Rectification",
            DsrKind::Erasure => "Erasure",
            DsrKind::Restriction => "Restriction of processing",
            DsrKind::Objection => "Objection",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DsrStatus {
    Received,
    IdentityVerified,
    InProgress,
    Completed,
    Rejected,
}

impl DsrStatus {
    pub const ALL: [DsrStatus; 5] = [
        DsrStatus::Received,
        DsrStatus::IdentityVerified,
        DsrStatus::InProgress,
        DsrStatus::Completed,
        DsrStatus::Rejected,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DsrStatus::Received => "received",
            DsrStatus::IdentityVerified => "identity_verified",
            DsrStatus::InProgress => "in_progress",
            DsrStatus::Completed => "completed",
            DsrStatus::Rejected => "rejected",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DsrStatus::Received => "Received",
            DsrStatus::IdentityVerified => "Identity verified",
            DsrStatus::InProgress => "In progress",
            DsrStatus::Completed => "Completed",
            DsrStatus::Rejected => "Rejected",
        }
    }

    pub fn is_closed(self) -> bool {
        matches!(self, DsrStatus::Completed | DsrStatus::Rejected)
    }
}

/// A step the DPO takes with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DsrStep {
    VerifyIdentity,
    Start,
    /// Done through what the kind asks for (export, correction, erasure, or a note).
    Complete,
    Reject,
}

impl DsrStep {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "verify_identity" => Some(DsrStep::VerifyIdentity),
            "start" => Some(DsrStep::Start),
            "complete" => Some(DsrStep::Complete),
            "reject" => Some(DsrStep::Reject),
            _ => None,
        }
    }
}

/// Where `step` takes a request that is `from`: received → identity verified → in
/// progress → completed; rejected from any open status. Closed requests stay closed.
pub fn next_status(from: DsrStatus, step: DsrStep) -> Result<DsrStatus, String> {
    use DsrStatus::*;
    if from.is_closed() {
        return Err(format!(
            "This request is {} and cannot change any more.",
            from.label().to_lowercase()
        ));
    }
    match (from, step) {
        (Received, DsrStep::VerifyIdentity) => Ok(IdentityVerified),
        (IdentityVerified, DsrStep::Start) => Ok(InProgress),
        (InProgress, DsrStep::Complete) => Ok(Completed),
        (_, DsrStep::Reject) => Ok(Rejected),
        (Received, _) => Err("Verify the requester's identity first.".into()),
        (IdentityVerified, _) => Err("Start work on the request first.".into()),
        (InProgress, _) => Err("Work on this request has started already.".into()),
        (Completed | Rejected, _) => unreachable!("closed requests are refused above"),
    }
}

/// When a request received on `received` must be answered.
pub fn due_on(received: NaiveDate, response_days: i64) -> NaiveDate {
    received + Duration::days(response_days)
}

/// Checks an extension of a request first due on `due` to `to`: later than it is now due
/// (`current`, the first due date or an earlier extension's), and at most
/// `MAX_EXTENSION_DAYS` after the first due date.
pub fn check_extension(due: NaiveDate, current: NaiveDate, to: NaiveDate) -> Result<(), String> {
    if to <= current {
        return Err(format!(
            "An extension must move the due date past {current}."
        ));
    }
    let latest = due + Duration::days(MAX_EXTENSION_DAYS);
    if to > latest {
        return Err(format!(
            "A request may be extended by {MAX_EXTENSION_DAYS} days at most: to {latest} at the latest."
        ));
    }
    Ok(())
}

/// The date a request was received: `YYYY-MM-DD`, not in the future.
pub fn parse_received(raw: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let day: NaiveDate = raw
        .trim()
        .parse()
        .map_err(|_| "Give the date it was received as YYYY-MM-DD.".to_string())?;
    if day > today {
        return Err("A request cannot have been received in the future.".into());
    }
    Ok(day)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Closed,
    Overdue,
    DueSoon,
    #[default]
    OnTime,
}

impl Urgency {
    pub fn label(self) -> &'static str {
        match self {
            Urgency::Closed => "",
            Urgency::Overdue => "overdue",
            Urgency::DueSoon => "due soon",
            Urgency::OnTime => "on time",
        }
    }
}

/// An open request past its due date is overdue (due today is not yet); one due within
/// `DUE_SOON_DAYS` is due soon.
pub fn urgency(status: DsrStatus, due: NaiveDate, today: NaiveDate) -> Urgency {
    if status.is_closed() {
        Urgency::Closed
    } else if due < today {
        Urgency::Overdue
    } else if due <= today + Duration::days(DUE_SOON_DAYS) {
        Urgency::DueSoon
    } else {
        Urgency::OnTime
    }
}

/// What an erased subject is called from then on: random, so nothing about them can be
/// worked back from it.
pub fn pseudonym(random: uuid::Uuid) -> String {
    format!("erased-{}", &random.simple().to_string()[..12])
}

/// Puts a pseudonym wherever a subject's identifying values (email, name, external id,
/// past values) appear, in case, whole words only: never inside a longer word. It
/// reads text and JSON as what they are (strings inside JSON are edited one by one), so
/// no value can break the JSON or hide in its escaping.
#[derive(Debug, Clone)]
pub struct Pseudonymiser {
    /// Lowercased terms, longest first, each at least [`Self::MIN_TERM_CHARS`] long.
    terms: Vec<Vec<char>>,
    pseudonym: String,
}

impl Pseudonymiser {
    /// Shorter values (initials, a two-letter country) name nobody on their own.
    pub const MIN_TERM_CHARS: usize = 3;

    pub fn new<'a>(terms: impl IntoIterator<Item = &'a str>, pseudonym: &str) -> Self {
        let mut terms: Vec<Vec<char>> = terms
            .into_iter()
            .map(|t| {
                t.trim()
                    .chars()
                    .flat_map(char::to_lowercase)
                    .collect::<Vec<_>>()
            })
            .filter(|t| t.len() >= Self::MIN_TERM_CHARS)
            .collect();
        terms.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        terms.dedup();
        Pseudonymiser {
            terms,
            pseudonym: pseudonym.to_string(),
        }
    }

    /// `text` with every term replaced, or `None` when it names none of them.
    pub fn text(&self, text: &str) -> Option<String> {
        let chars: Vec<char> = text.chars().collect();
        let lower: Vec<char> = chars
            .iter()
            .map(|c| {
                let mut l = c.to_lowercase();
                match (l.next(), l.next()) {
                    (Some(one), None) => one,
                    // A letter whose lowercase is longer is compared as itself.
                    _ => *c,
                }
            })
            .collect();
        let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || *c == '_');
        let mut out = String::with_capacity(text.len());
        let mut changed = false;
        let mut i = 0;
        while i < chars.len() {
            let hit = self.terms.iter().find(|t| {
                lower[i..].starts_with(t)
                    && !(i > 0 && word(chars.get(i - 1)))
                    && !word(chars.get(i + t.len()))
            });
            match hit {
                Some(t) => {
                    out.push_str(&self.pseudonym);
                    i += t.len();
                    changed = true;
                }
                None => {
                    out.push(chars[i]);
                    i += 1;
                }
            }
        }
        changed.then_some(out)
    }

    /// `value` with every string in it (keys stay) passed through [`Self::text`], or
    /// `None` when nothing changed.
    pub fn json(&self, value: &serde_json::Value) -> Option<serde_json::Value> {
        use serde_json::Value;
        match value {
            Value::String(s) => self.text(s).map(Value::String),
            Value::Array(items) => {
                let edited: Vec<Option<Value>> = items.iter().map(|v| self.json(v)).collect();
                edited.iter().any(Option::is_some).then(|| {
                    Value::Array(
                        edited
                            .into_iter()
                            .zip(items)
                            .map(|(e, v)| e.unwrap_or_else(|| v.clone()))
                            .collect(),
                    )
                })
            }
            Value::Object(map) => {
                let mut changed = false;
                let out = map
                    .iter()
                    .map(|(k, v)| {
                        let v = match self.json(v) {
                            Some(e) => {
                                changed = true;
                                e
                            }
                            None => v.clone(),
                        };
                        (k.clone(), v)
                    })
                    .collect();
                changed.then_some(Value::Object(out))
            }
            _ => None,
        }
    }
}

/// As the database stores them: the enum's name in snake case.
impl TryFrom<String> for DsrKind {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        DsrKind::parse(&raw).ok_or_else(|| format!("{raw:?} is not a kind of data-subject request"))
    }
}

impl TryFrom<String> for DsrStatus {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        DsrStatus::parse(&raw)
            .ok_or_else(|| format!("{raw:?} is not a status of a data-subject request"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_statuses_read_back_as_the_database_names_them() {
        for kind in DsrKind::ALL {
            assert_eq!(DsrKind::try_from(kind.as_str().to_string()), Ok(kind));
        }
        for status in DsrStatus::ALL {
            assert_eq!(DsrStatus::try_from(status.as_str().to_string()), Ok(status));
        }
        assert!(DsrStatus::try_from("closed".to_string()).is_err());
    }
    use DsrStatus::*;

    #[test]
    fn pseudonyms_replace_whole_words_in_any_case_and_nothing_else() {
        let p = Pseudonymiser::new(["Ana Silva", "ana@example.com", "ab", "  "], "erased-1");
        assert_eq!(
            p.text("Call from ANA SILVA <Ana@Example.com>.").as_deref(),
            Some("Call from erased-1 <erased-1>.")
        );
        assert_eq!(p.text("Ana Silvana"), None, "inside a longer word");
        assert_eq!(p.text("xana@example.com"), None);
        assert_eq!(p.text("ab cd"), None, "too short to name anyone");
    }

    #[test]
    fn json_is_edited_as_json_whatever_the_name() {
        let name = "Null \"O\\Brien\"";
        let p = Pseudonymiser::new([name, "admin@northwind.example"], "erased-2");
        let before = serde_json::json!({
            "name": name, "note": null, "flag": true, "n": 3,
            "list": [format!("Hi {name}"), "Null", "admin@northwind.example"],
            "email": "admin@northwind.example",
        });
        let after = p.json(&before).unwrap();
        assert_eq!(
            after,
            serde_json::json!({
                "name": "erased-2", "note": null, "flag": true, "n": 3,
                "list": ["Hi erased-2", "Null", "erased-2"],
                "email": "erased-2",
            })
        );
        assert!(!after.to_string().contains("Brien"));
        assert_eq!(p.json(&serde_json::json!({"other": "Nullify"})), None);
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn due_dates_count_calendar_days() {
        assert_eq!(
            due_on(day("2026-01-31"), DEFAULT_RESPONSE_DAYS),
            day("2026-03-02")
        );
        assert_eq!(due_on(day("2026-12-20"), 14), day("2027-01-03"));
    }

    #[test]
    fn extensions_move_forward_by_two_months_at_most() {
        let due = day("2026-03-02");
        assert!(check_extension(due, due, day("2026-05-01")).is_ok());
        let err = check_extension(due, due, day("2026-05-02")).unwrap_err();
        assert!(err.contains("2026-05-01"), "{err}");
        assert!(check_extension(due, due, due).is_err(), "not a move");
        assert!(
            check_extension(due, day("2026-04-01"), day("2026-03-20")).is_err(),
            "not back"
        );
        assert!(check_extension(due, day("2026-04-01"), day("2026-04-15")).is_ok());
    }

    #[test]
    fn statuses_move_in_order_and_closed_ones_stay() {
        assert_eq!(
            next_status(Received, DsrStep::VerifyIdentity),
            Ok(IdentityVerified)
        );
        assert_eq!(
            next_status(IdentityVerified, DsrStep::Start),
            Ok(InProgress)
        );
        assert_eq!(next_status(InProgress, DsrStep::Complete), Ok(Completed));
        assert!(next_status(Received, DsrStep::Start).is_err());
        assert!(next_status(Received, DsrStep::Complete).is_err());
        assert!(next_status(IdentityVerified, DsrStep::Complete).is_err());
        assert!(next_status(InProgress, DsrStep::VerifyIdentity).is_err());
        for open in [Received, IdentityVerified, InProgress] {
            assert_eq!(next_status(open, DsrStep::Reject), Ok(Rejected));
        }
        for closed in [Completed, Rejected] {
            for step in [
                DsrStep::VerifyIdentity,
                DsrStep::Start,
                DsrStep::Complete,
                DsrStep::Reject,
            ] {
                assert!(next_status(closed, step).is_err());
            }
        }
    }

    #[test]
    fn overdue_is_after_the_due_day_and_due_soon_within_a_week() {
        let today = day("2026-11-27");
        assert_eq!(
            urgency(InProgress, day("2026-11-26"), today),
            Urgency::Overdue
        );
        assert_eq!(urgency(Received, today, today), Urgency::DueSoon);
        assert_eq!(
            urgency(Received, day("2026-12-04"), today),
            Urgency::DueSoon
        );
        assert_eq!(urgency(Received, day("2026-12-05"), today), Urgency::OnTime);
        assert_eq!(
            urgency(Completed, day("2026-01-01"), today),
            Urgency::Closed
        );
        assert_eq!(urgency(Rejected, day("2026-01-01"), today), Urgency::Closed);
    }

    #[test]
    fn received_dates_are_not_in_the_future() {
        let today = day("2026-11-27");
        assert_eq!(parse_received(" 2026-11-20 ", today), Ok(day("2026-11-20")));
        assert_eq!(parse_received("2026-11-27", today), Ok(today));
        assert!(parse_received("2026-11-28", today).is_err());
        assert!(parse_received("27/11/2026", today).is_err());
    }

    #[test]
    fn kinds_round_trip_and_pseudonyms_carry_nothing_of_the_subject() {
        for k in DsrKind::ALL {
            assert_eq!(DsrKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(DsrKind::parse("deletion"), None);
        let p = pseudonym(uuid::Uuid::from_u128(0xabcdef));
        assert!(p.starts_with("erased-") && p.len() == 19, "{p}");
    }
}

//! Consent: what a consent event carries and how each is checked, and the rule that
//! derives the current state of each channel and purpose from the history.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::activity::{event_id, CLOCK_SKEW_MINUTES, MAX_EVENT_ID};

pub const CHANNELS: [&str; 6] = [
    "email",
    "sms",
    "whatsapp",
    "messenger",
    "instagram_dm",
    "phone",
];
/// Purposes every organisation has; it may add its own.
pub const BUILT_IN_PURPOSES: [&str; 4] =
    ["marketing", "personalisation", "analytics", "ai_processing"];
/// The lawful bases of GDPR Article 6(1).
pub const LAWFUL_BASES: [&str; 6] = [
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interests",
];
pub const METHODS: [&str; 9] = [
    "web_form",
    "chatbot",
    "import",
    "api",
    "double_opt_in",
    "preference_centre",
    "phone_call",
    "in_person",
    "paper_form",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsentStatus {
    Granted,
    Refused,
    Withdrawn,
}

impl ConsentStatus {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "granted" => Some(Self::Granted),
            "refused" => Some(Self::Refused),
            "withdrawn" => Some(Self::Withdrawn),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::Refused => "refused",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Between events at the same instant, the more protective one stands: a withdrawal
    /// over a refusal over a grant.
    pub fn precedence(self) -> i16 {
        match self {
            Self::Granted => 0,
            Self::Refused => 1,
            Self::Withdrawn => 2,
        }
    }
}

/// Where one event stands in its channel and purpose's history: later in time wins; at
/// the same time, the more protective status; then the one recorded last.
pub fn order_key(at: DateTime<Utc>, status: ConsentStatus, seq: i64) -> (DateTime<Utc>, i16, i64) {
    (at, status.precedence(), seq)
}

/// One recorded event, as far as the current state is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub channel: String,
    pub purpose: String,
    pub status: ConsentStatus,
    pub at: DateTime<Utc>,
    /// Order of recording.
    pub seq: i64,
}

/// The current state of each (channel, purpose) that has any history: its standing event.
pub fn current_state(history: &[HistoryEntry]) -> BTreeMap<(String, String), &HistoryEntry> {
    let mut state: BTreeMap<(String, String), &HistoryEntry> = BTreeMap::new();
    for e in history {
        let key = (e.channel.clone(), e.purpose.clone());
        let newer = state
            .get(&key)
            .is_none_or(|s| order_key(e.at, e.status, e.seq) > order_key(s.at, s.status, s.seq));
        if newer {
            state.insert(key, e);
        }
    }
    state
}

/// One consent event that passed the checks of its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentEvent {
    pub id: String,
    /// The subject's id in the sending system, unique within its account.
    pub subject: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub country: Option<String>,
    /// Account name or id.
    pub account: String,
    pub channel: String,
    pub purpose: String,
    pub status: ConsentStatus,
    pub lawful_basis: String,
    pub method: String,
    pub source: String,
    pub notice_version: String,
    /// SHA-256 of the notice text shown, in hex.
    pub notice_sha256: String,
    pub language: String,
    pub jurisdiction: String,
    pub at: DateTime<Utc>,
    pub evidence: Value,
}

fn one_of(field: &str, raw: &str, allowed: &[&str]) -> Result<String, String> {
    if allowed.contains(&raw) {
        Ok(raw.to_string())
    } else {
        Err(format!(
            "\"{field}\" must be one of {}; got \"{raw}\".",
            allowed.join(", ")
        ))
    }
}

/// A purpose key: lower-case letters, digits and underscores, starting with a letter.
pub fn is_purpose_key(key: &str) -> bool {
    key.len() <= 60
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks one consent event's shape; the error says what to mend. Whether its account
/// exists and its purpose is the organisation's is checked against the database.
pub fn parse_event(value: &Value, now: DateTime<Utc>) -> Result<ConsentEvent, String> {
    if !value.is_object() {
        return Err("An event must be a JSON object.".into());
    }
    let id = event_id(value).ok_or("\"id\" is missing: give each event a unique id.")?;
    if id.chars().count() > MAX_EVENT_ID {
        return Err(format!("\"id\" is longer than {MAX_EVENT_ID} characters."));
    }
    let optional = |field: &str| -> Result<Option<String>, String> {
        match value.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) if s.chars().count() <= 300 => Ok(Some(s.trim().to_string())),
            Some(_) => Err(format!(
                "\"{field}\" must be text of at most 300 characters, or left out."
            )),
        }
    };
    let required = |field: &str, hint: &str| -> Result<String, String> {
        optional(field)?.ok_or_else(|| format!("\"{field}\" is missing: {hint}."))
    };
    let subject = required("subject", "give the subject's id in your system")?;
    let email = optional("email")?.map(|e| e.to_lowercase());
    if email.as_deref().is_some_and(|e| !e.contains('@')) {
        return Err("\"email\" is not an email address.".into());
    }
    let country = optional("country")?;
    if let Some(c) = &country {
        if !(c.len() == 2 && c.chars().all(|c| c.is_ascii_uppercase())) {
            return Err(format!(
                "\"country\" must be a two-letter ISO code such as DE; got \"{c}\"."
            ));
        }
    }
    let account = required("account", "give the account's name or id")?;
    let channel = one_of(
        "channel",
        &required("channel", "give the channel, for example email")?,
        &CHANNELS,
    )?;
    let purpose = required("purpose", "give the purpose, for example marketing")?;
    if !is_purpose_key(&purpose) {
        return Err(format!(
            "\"purpose\" must be a key such as marketing or ai_processing; got \"{purpose}\"."
        ));
    }
    let status_raw = required("status", "give granted, withdrawn or refused")?;
    let status = ConsentStatus::parse(&status_raw).ok_or_else(|| {
        format!("\"status\" must be granted, withdrawn or refused; got \"{status_raw}\".")
    })?;
    let lawful_basis = one_of(
        "lawful_basis",
        &required("lawful_basis", "give the lawful basis, for example consent")?,
        &LAWFUL_BASES,
    )?;
    let method = one_of(
        "method",
        &required("method", "say how it was collected, for example web_form")?,
        &METHODS,
    )?;
    let source = required("source", "name the system that collected it")?;
    let notice_version = required("notice_version", "give the version of the notice shown")?;
    let notice_sha256 = required(
        "notice_sha256",
        "give the SHA-256 of the notice text shown, in hex",
    )?
    .to_lowercase();
    if !(notice_sha256.len() == 64 && notice_sha256.chars().all(|c| c.is_ascii_hexdigit())) {
        return Err("\"notice_sha256\" must be 64 hexadecimal characters.".into());
    }
    let language = required(
        "language",
        "give the notice's language, for example de or pt-BR",
    )?;
    let jurisdiction = required(
        "jurisdiction",
        "give the jurisdiction, for example EU or US-CA",
    )?;
    let at_raw = required(
        "at",
        "give the time as RFC 3339, for example 2026-11-24T09:30:00Z",
    )?;
    let at = DateTime::parse_from_rfc3339(&at_raw)
        .map_err(|_| {
            format!(
                "\"at\" must be an RFC 3339 time such as 2026-11-24T09:30:00Z; got \"{at_raw}\"."
            )
        })?
        .with_timezone(&Utc);
    if at > now + Duration::minutes(CLOCK_SKEW_MINUTES) {
        return Err("\"at\" lies in the future; check the sending system's clock.".into());
    }
    let evidence = match value.get("evidence") {
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => return Err("\"evidence\" must be a JSON object, or left out.".into()),
    };
    Ok(ConsentEvent {
        id,
        subject,
        email,
        name: optional("name")?,
        country,
        account,
        channel,
        purpose,
        status,
        lawful_basis,
        method,
        source,
        notice_version,
        notice_sha256,
        language,
        jurisdiction,
        at,
        evidence,
    })
}

/// Actions by which a permission takes contacts' data out of a system or reaches them
/// with messages: whoever holds one is beside the withdrawn subjects on an account's
/// consent page.
pub const CONTACT_ACTIONS: [&str; 5] = ["export", "send", "message", "broadcast", "publish"];

pub fn reaches_contacts(action: &str) -> bool {
    CONTACT_ACTIONS.contains(&action)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn entry(channel: &str, status: ConsentStatus, when: &str, seq: i64) -> HistoryEntry {
        HistoryEntry {
            channel: channel.into(),
            purpose: "marketing".into(),
            status,
            at: at(when),
            seq,
        }
    }

    fn standing(state: &BTreeMap<(String, String), &HistoryEntry>, channel: &str) -> ConsentStatus {
        state[&(channel.to_string(), "marketing".to_string())].status
    }

    #[test]
    fn the_latest_event_stands_whatever_the_order_of_arrival() {
        use ConsentStatus::*;
        let history = [
            entry("email", Withdrawn, "2026-03-01T10:00:00Z", 1),
            entry("email", Granted, "2026-01-01T10:00:00Z", 2),
            entry("sms", Granted, "2026-02-01T10:00:00Z", 3),
        ];
        let state = current_state(&history);
        assert_eq!(
            standing(&state, "email"),
            Withdrawn,
            "a late-arriving older grant does not undo a withdrawal"
        );
        assert_eq!(standing(&state, "sms"), Granted);
        assert_eq!(state.len(), 2);
        let regranted = [
            history[0].clone(),
            entry("email", Granted, "2026-04-01T10:00:00Z", 4),
        ];
        assert_eq!(standing(&current_state(&regranted), "email"), Granted);
    }

    #[test]
    fn at_the_same_instant_the_more_protective_status_stands() {
        use ConsentStatus::*;
        let t = "2026-05-05T05:05:05Z";
        for history in [
            vec![
                entry("email", Granted, t, 1),
                entry("email", Withdrawn, t, 2),
            ],
            vec![
                entry("email", Withdrawn, t, 1),
                entry("email", Granted, t, 2),
            ],
        ] {
            assert_eq!(standing(&current_state(&history), "email"), Withdrawn);
        }
        let refused_or_granted = [entry("email", Refused, t, 1), entry("email", Granted, t, 2)];
        assert_eq!(
            standing(&current_state(&refused_or_granted), "email"),
            Refused
        );
        let same = [entry("email", Granted, t, 7), entry("email", Granted, t, 3)];
        assert_eq!(
            current_state(&same)[&("email".into(), "marketing".into())].seq,
            7,
            "then the one recorded last"
        );
    }

    fn valid() -> Value {
        json!({"id": "c-1", "subject": "crm-77", "email": "Ana@Example.com", "name": "Ana Silva",
               "country": "PT", "account": "Acme Retail", "channel": "whatsapp", "purpose": "marketing",
               "status": "granted", "lawful_basis": "consent", "method": "chatbot", "source": "Chatbot Builder",
               "notice_version": "2026-10", "notice_sha256": "A".repeat(64), "language": "pt-PT",
               "jurisdiction": "EU", "at": "2026-11-24T10:00:00Z", "evidence": {"message_id": "wamid.1"}})
    }

    #[test]
    fn a_complete_event_is_taken_apart() {
        let e = parse_event(&valid(), at("2026-11-24T12:00:00Z")).unwrap();
        assert_eq!(e.email.as_deref(), Some("ana@example.com"));
        assert_eq!(e.status, ConsentStatus::Granted);
        assert_eq!(e.notice_sha256, "a".repeat(64));
        assert_eq!(e.evidence["message_id"], "wamid.1");
    }

    #[test]
    fn each_mistake_is_named() {
        let now = at("2026-11-24T12:00:00Z");
        let with = |field: &str, value: Value| {
            let mut v = valid();
            v[field] = value;
            parse_event(&v, now).unwrap_err()
        };
        assert!(with("channel", json!("fax")).contains("\"channel\" must be one of email"));
        assert!(with("status", json!("maybe")).contains("granted, withdrawn or refused"));
        assert!(with("purpose", json!("Marketing!")).contains("\"purpose\" must be a key"));
        assert!(with("notice_sha256", json!("abc")).contains("64 hexadecimal"));
        assert!(with("country", json!("Portugal")).contains("two-letter"));
        assert!(with("lawful_basis", json!("because")).contains("legitimate_interests"));
        assert!(with("at", json!("2026-11-25T12:00:00Z")).contains("future"));
        assert!(with("evidence", json!("screenshot")).contains("JSON object"));
        assert!(with("subject", json!("")).contains("\"subject\" is missing"));
        assert!(with("email", json!("nobody")).contains("not an email"));
    }

    #[test]
    fn exporting_and_messaging_reach_contacts() {
        for action in ["export", "send", "publish"] {
            assert!(reaches_contacts(action), "{action}");
        }
        for action in ["view", "edit", "draft", "delete", "exports"] {
            assert!(!reaches_contacts(action), "{action}");
        }
    }
}

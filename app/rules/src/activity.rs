//! Activity reported by the governed systems: what a batch may hold and how each event
//! is checked before its principal, permission and account are looked up.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Events per request, at most.
pub const MAX_BATCH: usize = 1_000;
/// Event ids are the sender's; they may be this long.
pub const MAX_EVENT_ID: usize = 200;
/// Clocks differ: an event may be stamped this far ahead of the server's clock.
pub const CLOCK_SKEW_MINUTES: i64 = 5;

/// One event that passed the checks of its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityEvent {
    pub id: String,
    /// Email or external id.
    pub principal: String,
    pub resource: String,
    pub action: String,
    /// Account name or id; `None` for activity outside any account.
    pub account: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    Recorded,
    /// An event with this id was recorded before (or earlier in the same batch).
    Duplicate,
    Rejected,
}

/// What happened to one event of a batch, by its position in the batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventOutcome {
    pub index: usize,
    pub id: Option<String>,
    pub status: EventStatus,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// The answer to a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchReport {
    pub recorded: usize,
    pub duplicates: usize,
    pub rejected: usize,
    pub events: Vec<EventOutcome>,
}

impl BatchReport {
    pub fn new(events: Vec<EventOutcome>) -> Self {
        let count = |s| events.iter().filter(|e| e.status == s).count();
        BatchReport {
            recorded: count(EventStatus::Recorded),
            duplicates: count(EventStatus::Duplicate),
            rejected: count(EventStatus::Rejected),
            events,
        }
    }
}

/// The events of a request body `{"events": [...]}`, each still unchecked, or why the
/// batch as a whole cannot be taken.
pub fn batch(body: &Value) -> Result<&[Value], String> {
    let events = body
        .get("events")
        .and_then(Value::as_array)
        .ok_or("The body must be a JSON object with an \"events\" array.")?;
    if events.is_empty() {
        return Err("The batch holds no events.".into());
    }
    if events.len() > MAX_BATCH {
        return Err(format!(
            "A batch holds at most {MAX_BATCH} events; this one has {}. Send it in smaller batches.",
            events.len()
        ));
    }
    Ok(events)
}

/// Checks each event of a batch with `parse`: answers an outcome for every event
/// (`recorded` until the database says otherwise, `rejected` with the reason, or
/// `duplicate` for an id that came earlier in the batch) and the well-formed events
/// with their positions.
pub fn screen<T>(
    values: &[Value],
    parse: impl Fn(&Value) -> Result<T, String>,
    id: impl Fn(&T) -> &str,
) -> (Vec<EventOutcome>, Vec<(usize, T)>) {
    let mut outcomes = Vec::with_capacity(values.len());
    let mut events = Vec::with_capacity(values.len());
    let mut ids = std::collections::HashSet::with_capacity(values.len());
    for (index, value) in values.iter().enumerate() {
        let outcome = |status, error| EventOutcome {
            index,
            id: event_id(value),
            status,
            error,
        };
        let parsed = match crate::validation::forbidden_in_json(value) {
            Some((field, c)) => Err(crate::validation::forbidden_character_message(&field, c)),
            None => parse(value),
        };
        match parsed {
            Err(error) => outcomes.push(outcome(EventStatus::Rejected, Some(error))),
            Ok(event) if !ids.insert(id(&event).to_string()) => outcomes.push(outcome(
                EventStatus::Duplicate,
                Some("The same id came earlier in this batch.".into()),
            )),
            Ok(event) => {
                outcomes.push(outcome(EventStatus::Recorded, None));
                events.push((index, event));
            }
        }
    }
    (outcomes, events)
}

/// The event's id as reported back, when it has a usable one.
pub fn event_id(value: &Value) -> Option<String> {
    match value.get("id")? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Checks one event's shape; the error says what to mend.
pub fn parse_event(value: &Value, now: DateTime<Utc>) -> Result<ActivityEvent, String> {
    if !value.is_object() {
        return Err("An event must be a JSON object.".into());
    }
    let id = event_id(value).ok_or("\"id\" is missing: give each event a unique id.")?;
    if id.chars().count() > MAX_EVENT_ID {
        return Err(format!("\"id\" is longer than {MAX_EVENT_ID} characters."));
    }
    let text = |field: &str| {
        value
            .get(field)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let principal = text("principal")
        .ok_or("\"principal\" is missing: give the principal's email or external id.")?
        .to_string();
    let permission = text("permission").ok_or(
        "\"permission\" is missing: give it as resource.action, for example contacts.export.",
    )?;
    let (resource, action) = permission
        .split_once('.')
        .filter(|(r, a)| !r.is_empty() && !a.is_empty() && !a.contains('.'))
        .ok_or_else(|| {
            format!("\"permission\" must be resource.action, for example contacts.export; got \"{permission}\".")
        })?;
    let account = match value.get("account") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(_) => return Err("\"account\" must be the account's name or id, or left out.".into()),
    };
    let at = text("at")
        .ok_or("\"at\" is missing: give the time as RFC 3339, for example 2026-11-24T09:30:00Z.")?;
    let at = DateTime::parse_from_rfc3339(at)
        .map_err(|_| {
            format!("\"at\" must be an RFC 3339 time such as 2026-11-24T09:30:00Z; got \"{at}\".")
        })?
        .with_timezone(&Utc);
    if at > now + Duration::minutes(CLOCK_SKEW_MINUTES) {
        return Err("\"at\" lies in the future; check the sending system's clock.".into());
    }
    Ok(ActivityEvent {
        id,
        principal,
        resource: resource.to_string(),
        action: action.to_string(),
        account,
        at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        "2026-11-24T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_complete_event_is_taken_apart() {
        let event = parse_event(
            &json!({"id": "e-1", "principal": "Ana@Example.com", "permission": "contacts.export",
                    "account": " Acme ", "at": "2026-11-24T10:00:00+01:00"}),
            now(),
        )
        .unwrap();
        assert_eq!(event.id, "e-1");
        assert_eq!(
            (event.resource.as_str(), event.action.as_str()),
            ("contacts", "export")
        );
        assert_eq!(event.account.as_deref(), Some("Acme"));
        assert_eq!(
            event.at,
            "2026-11-24T09:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn numeric_ids_and_missing_accounts_are_accepted() {
        let event = parse_event(
            &json!({"id": 42, "principal": "bot-7", "permission": "a.b", "at": "2026-11-24T12:04:00Z"}),
            now(),
        )
        .unwrap();
        assert_eq!(event.id, "42");
        assert_eq!(event.account, None);
    }

    #[test]
    fn each_mistake_is_named() {
        let base =
            json!({"id": "x", "principal": "p", "permission": "a.b", "at": "2026-11-24T10:00:00Z"});
        let with = |field: &str, value: Value| {
            let mut v = base.clone();
            v[field] = value;
            parse_event(&v, now()).unwrap_err()
        };
        assert!(with("id", json!("")).contains("\"id\" is missing"));
        assert!(with("id", json!("x".repeat(201))).contains("longer than 200"));
        assert!(with("principal", json!(null)).contains("\"principal\" is missing"));
        assert!(with("permission", json!("export")).contains("resource.action"));
        assert!(with("permission", json!("a.b.c")).contains("resource.action"));
        assert!(with("account", json!(7)).contains("\"account\""));
        assert!(with("at", json!("yesterday")).contains("RFC 3339"));
        assert!(with("at", json!("2026-11-24T12:06:00Z")).contains("future"));
        assert!(parse_event(&json!([1]), now())
            .unwrap_err()
            .contains("JSON object"));
    }

    #[test]
    fn a_batch_is_bounded() {
        assert!(batch(&json!({"events": []}))
            .unwrap_err()
            .contains("no events"));
        assert!(batch(&json!([])).unwrap_err().contains("\"events\" array"));
        let big = json!({"events": vec![json!({}); MAX_BATCH + 1]});
        assert!(batch(&big).unwrap_err().contains("at most 1000"));
        let full = json!({"events": vec![json!({}); MAX_BATCH]});
        assert_eq!(batch(&full).unwrap().len(), MAX_BATCH);
    }

    #[test]
    fn the_report_counts_each_status() {
        let outcome = |index, status| EventOutcome {
            index,
            id: None,
            status,
            error: None,
        };
        let report = BatchReport::new(vec![
            outcome(0, EventStatus::Recorded),
            outcome(1, EventStatus::Duplicate),
            outcome(2, EventStatus::Rejected),
            outcome(3, EventStatus::Recorded),
        ]);
        assert_eq!(
            (report.recorded, report.duplicates, report.rejected),
            (2, 1, 1)
        );
    }
}

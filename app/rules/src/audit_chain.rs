//! Each organisation's audit events form a hash chain: link `n` covers link `n - 1`'s
//! hash, its own number, the event's fixed facts (who, what, on which target, when,
//! from where) and a digest of its personal text (the target's label, before and
//! after, the reason). That digest is salted per event and the salt is kept apart:
//! erasing a data subject rewrites the personal text of the events about them and
//! discards their salts, so the chain still verifies while nothing left can be tried
//! against it to recover what was erased. Any other change to an event, a missing event
//! or a missing link breaks the chain at that link.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A hash of the chain.
pub type Hash = [u8; 32];

/// The hash before the first link.
pub const GENESIS: Hash = [0; 32];

/// Bytes of each event's salt.
pub const SALT_LEN: usize = 16;

/// What an event says, as the chain reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub id: i64,
    pub org_id: String,
    /// RFC 3339 with microseconds, in UTC.
    pub occurred_at: String,
    pub actor_principal_id: Option<String>,
    pub actor_label: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    // The personal text, which erasure may rewrite.
    pub target_label: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<String>,
}

impl Event {
    /// The facts no erasure changes, in a fixed order.
    fn fixed(&self) -> Vec<u8> {
        let facts = (
            self.id,
            &self.org_id,
            &self.occurred_at,
            &self.actor_principal_id,
            &self.actor_label,
            &self.action,
            &self.target_type,
            &self.target_id,
            &self.source_ip,
            &self.user_agent,
        );
        serde_json::to_vec(&facts).expect("plain values serialise")
    }

    /// The digest of its personal text under `salt`. JSON objects are written with
    /// their keys sorted, so the same values always give the same bytes.
    pub fn personal_digest(&self, salt: &[u8]) -> Hash {
        let (before, after) = (
            self.before.as_ref().map(sorted),
            self.after.as_ref().map(sorted),
        );
        let personal = (&self.target_label, before, after, &self.reason);
        let mut h = Sha256::new();
        h.update(salt);
        h.update(serde_json::to_vec(&personal).expect("plain values serialise"));
        h.finalize().into()
    }

    /// Whether erasure may have rewritten its personal text (and discarded its salt):
    /// events about a data subject or one of their requests.
    pub fn erasable(&self) -> bool {
        matches!(
            self.target_type.as_str(),
            "data_subject" | "data_subject_request"
        )
    }
}

/// `value` with every object's keys in sorted order.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&o[k])))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// The hash of link `seq` for `event`, after `previous`.
pub fn link(previous: &Hash, seq: i64, event: &Event, personal_digest: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update(previous);
    h.update(seq.to_be_bytes());
    h.update(event.fixed());
    h.update(personal_digest);
    h.finalize().into()
}

/// The text a checkpoint of a chain's head signs: the organisation, the link's number,
/// its hash (hex) and when it was made (RFC 3339).
pub fn checkpoint_message(organisation: &str, seq: i64, head: &str, made_at: &str) -> String {
    format!(
        "gatehouse audit checkpoint v1\norganisation {organisation}\nlink {seq}\nhead {head}\nmade {made_at}\n"
    )
}

/// One stored link, with the event and salt it names as they are now.
#[derive(Debug, Clone)]
pub struct Stored {
    pub seq: i64,
    pub event_id: i64,
    pub personal_digest: Hash,
    pub hash: Hash,
    /// `None`: the event is gone.
    pub event: Option<Event>,
    /// `None`: discarded (by an erasure, if the event is about a data subject).
    pub salt: Option<Vec<u8>>,
}

/// Where the chain breaks, the first place only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "broken", rename_all = "snake_case")]
pub enum Broken {
    /// Link numbers jump: links (and perhaps their events) were removed.
    Gap { after: i64, next: i64 },
    /// The link names an event that is no longer there.
    EventMissing { seq: i64, event: i64 },
    /// The event's fixed facts, or the link itself, were changed.
    EventChanged { seq: i64, event: i64 },
    /// The event's personal text was changed (not by an erasure).
    PersonalTextChanged { seq: i64, event: i64 },
    /// The chain holds up to `held`, but no longer runs through the head its latest
    /// signed checkpoint names: its last links were removed or rewritten.
    BehindCheckpoint {
        held: i64,
        checkpoint: i64,
        problem: String,
    },
}

impl Broken {
    /// The last link that held before this break.
    pub fn held_up_to(&self) -> i64 {
        match self {
            Broken::Gap { after, .. } => *after,
            Broken::EventMissing { seq, .. }
            | Broken::EventChanged { seq, .. }
            | Broken::PersonalTextChanged { seq, .. } => seq - 1,
            Broken::BehindCheckpoint { held, .. } => *held,
        }
    }

    pub fn words(&self) -> String {
        match self {
            Broken::Gap { after, next } => format!(
                "links {} to {} are missing: the events they sealed were removed",
                after + 1,
                next - 1
            ),
            Broken::EventMissing { seq, event } => {
                format!("event {event} (link {seq}) was deleted")
            }
            Broken::EventChanged { seq, event } => {
                format!("event {event} (link {seq}) was changed")
            }
            Broken::PersonalTextChanged { seq, event } => format!(
                "the label, before, after or reason of event {event} (link {seq}) was changed"
            ),
            Broken::BehindCheckpoint {
                checkpoint,
                problem,
                ..
            } => format!("the latest signed checkpoint (link {checkpoint}) fails: {problem}"),
        }
    }
}

/// Walks stored links in order from `previous` (the hash before the first of them, and
/// its number): the last link verified, or where the chain breaks.
pub fn verify(
    (mut previous, mut last): (Hash, i64),
    links: impl IntoIterator<Item = Stored>,
) -> Result<(Hash, i64), Broken> {
    for l in links {
        if l.seq != last + 1 {
            return Err(Broken::Gap {
                after: last,
                next: l.seq,
            });
        }
        let (seq, event_id) = (l.seq, l.event_id);
        let Some(event) = l.event else {
            return Err(Broken::EventMissing {
                seq,
                event: event_id,
            });
        };
        let changed = Broken::EventChanged {
            seq,
            event: event_id,
        };
        if event.id != event_id || link(&previous, seq, &event, &l.personal_digest) != l.hash {
            return Err(changed);
        }
        let personal_whole = match &l.salt {
            Some(salt) => event.personal_digest(salt) == l.personal_digest,
            None => event.erasable(),
        };
        if !personal_whole {
            return Err(Broken::PersonalTextChanged {
                seq,
                event: event_id,
            });
        }
        previous = l.hash;
        last = seq;
    }
    Ok((previous, last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(id: i64, target_type: &str) -> Event {
        Event {
            id,
            org_id: "org".into(),
            occurred_at: "2026-12-03T10:00:00.000001Z".into(),
            actor_principal_id: Some("someone".into()),
            actor_label: "Ada Admin".into(),
            action: "grant.created".into(),
            target_type: target_type.into(),
            target_id: Some(format!("t{id}")),
            source_ip: Some("127.0.0.1".into()),
            user_agent: None,
            target_label: format!("Subject {id}"),
            before: None,
            after: Some(json!({"b": 1, "a": "x"})),
            reason: Some("Because".into()),
        }
    }

    fn chain(events: Vec<Event>) -> Vec<Stored> {
        let mut previous = GENESIS;
        events
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                let salt = vec![i as u8; SALT_LEN];
                let digest = e.personal_digest(&salt);
                let seq = i as i64 + 1;
                let hash = link(&previous, seq, &e, &digest);
                previous = hash;
                Stored {
                    seq,
                    event_id: e.id,
                    personal_digest: digest,
                    hash,
                    event: Some(e),
                    salt: Some(salt),
                }
            })
            .collect()
    }

    fn three() -> Vec<Stored> {
        chain(vec![
            event(10, "grant"),
            event(11, "data_subject"),
            event(12, "principal"),
        ])
    }

    #[test]
    fn a_whole_chain_verifies_to_its_last_link() {
        let links = three();
        let head = links[2].hash;
        assert_eq!(verify((GENESIS, 0), links.clone()), Ok((head, 3)));
        // And from a link verified before.
        assert_eq!(
            verify((links[0].hash, 1), links[1..].to_vec()),
            Ok((head, 3))
        );
    }

    #[test]
    fn a_changed_fact_a_changed_text_a_deleted_event_and_a_gap_are_named() {
        let mut links = three();
        links[1].event.as_mut().unwrap().actor_label = "Someone Else".into();
        assert_eq!(
            verify((GENESIS, 0), links),
            Err(Broken::EventChanged { seq: 2, event: 11 })
        );
        assert_eq!(Broken::EventChanged { seq: 2, event: 11 }.held_up_to(), 1);
        let mut links = three();
        links[2].event.as_mut().unwrap().reason = Some("Other".into());
        assert_eq!(
            verify((GENESIS, 0), links),
            Err(Broken::PersonalTextChanged { seq: 3, event: 12 })
        );
        let mut links = three();
        links[0].event = None;
        assert_eq!(
            verify((GENESIS, 0), links),
            Err(Broken::EventMissing { seq: 1, event: 10 })
        );
        let mut links = three();
        links.remove(1);
        let broken = verify((GENESIS, 0), links).unwrap_err();
        assert_eq!(broken, Broken::Gap { after: 1, next: 3 });
        assert_eq!(
            broken.words(),
            "links 2 to 2 are missing: the events they sealed were removed"
        );
    }

    #[test]
    fn an_erased_subjects_events_still_verify_and_nothing_else_may_lose_its_salt() {
        let mut links = three();
        // Erasure rewrites the subject's text and discards the salt.
        let erased = links[1].event.as_mut().unwrap();
        erased.target_label = "Erased subject 7f3a".into();
        erased.after = None;
        links[1].salt = None;
        let head = links[2].hash;
        assert_eq!(verify((GENESIS, 0), links.clone()), Ok((head, 3)));
        // Its fixed facts are still covered.
        links[1].event.as_mut().unwrap().action = "consent.recorded".into();
        assert!(verify((GENESIS, 0), links).is_err());
        // An event about anything else cannot shed its salt to hide a change.
        let mut links = three();
        links[2].salt = None;
        links[2].event.as_mut().unwrap().reason = Some("Rewritten".into());
        assert_eq!(
            verify((GENESIS, 0), links),
            Err(Broken::PersonalTextChanged { seq: 3, event: 12 })
        );
    }

    #[test]
    fn the_personal_digest_does_not_depend_on_key_order_and_does_on_the_salt() {
        let mut e = event(1, "grant");
        let a = e.personal_digest(&[1; SALT_LEN]);
        e.after = Some(serde_json::from_str(r#"{"a": "x", "b": 1}"#).unwrap());
        assert_eq!(e.personal_digest(&[1; SALT_LEN]), a);
        assert_ne!(e.personal_digest(&[2; SALT_LEN]), a);
    }
}

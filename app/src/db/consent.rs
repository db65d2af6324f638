//! Consent histories: recording events and keeping each channel and purpose's current
//! state in step with them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Tx;
use crate::domain::consent::{ConsentEvent, BUILT_IN_PURPOSES};

/// What the database knows of one event of a batch, by its position.
#[derive(Debug, sqlx::FromRow)]
pub struct Resolved {
    pub ord: i64,
    pub account_id: Option<Uuid>,
    pub purpose_known: bool,
    /// An event with this id came from the application before.
    pub seen: bool,
}

/// Looks up each event's account (by id or name) and purpose, and whether it was
/// recorded before.
pub async fn resolve(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    application_id: Uuid,
    events: &[ConsentEvent],
) -> sqlx::Result<Vec<Resolved>> {
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    let accounts: Vec<&str> = events.iter().map(|e| e.account.as_str()).collect();
    let account_ids: Vec<Option<Uuid>> = events
        .iter()
        .map(|e| Uuid::parse_str(&e.account).ok())
        .collect();
    let purposes: Vec<&str> = events.iter().map(|e| e.purpose.as_str()).collect();
    sqlx::query_as(
        "SELECT e.ord, coalesce(ai.id, an.id) AS account_id, \
                (e.purpose = ANY($7) OR EXISTS (SELECT 1 FROM consent_purposes cp \
                                               WHERE cp.org_id = $1 AND cp.key = e.purpose)) AS purpose_known, \
                EXISTS (SELECT 1 FROM consent_events ce WHERE ce.org_id = $1 AND ce.application_id = $2 \
                          AND ce.source_event_id = e.id) AS seen \
         FROM unnest($3::text[], $4::text[], $5::uuid[], $6::text[]) \
           WITH ORDINALITY AS e(id, account, account_uuid, purpose, ord) \
         LEFT JOIN accounts ai ON ai.org_id = $1 AND ai.id = e.account_uuid \
         LEFT JOIN accounts an ON an.org_id = $1 AND an.name = e.account \
         ORDER BY e.ord",
    )
    .bind(org_id)
    .bind(application_id)
    .bind(ids)
    .bind(accounts)
    .bind(account_ids)
    .bind(purposes)
    .bind(&BUILT_IN_PURPOSES[..])
    .fetch_all(&mut **tx)
    .await
}

/// Records events whose account and purpose are known (`accounts[i]` is event `i`'s),
/// in one statement: their subjects are created or brought up to date, the events are
/// stored once per (application, event id), and each channel and purpose's state moves
/// to the standing event. Answers the ids of the events stored by this call.
pub async fn record(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    application_id: Uuid,
    recorded_by: &str,
    events: &[(&ConsentEvent, Uuid)],
) -> sqlx::Result<Vec<String>> {
    let text =
        |f: fn(&ConsentEvent) -> &str| -> Vec<&str> { events.iter().map(|(e, _)| f(e)).collect() };
    let optional = |f: fn(&ConsentEvent) -> Option<&str>| -> Vec<Option<&str>> {
        events.iter().map(|(e, _)| f(e)).collect()
    };
    let accounts: Vec<Uuid> = events.iter().map(|(_, a)| *a).collect();
    let at: Vec<DateTime<Utc>> = events.iter().map(|(e, _)| e.at).collect();
    let evidence: Vec<serde_json::Value> = events.iter().map(|(e, _)| e.evidence.clone()).collect();
    sqlx::query_scalar(
        "WITH e AS ( \
           SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::uuid[], \
                                $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], \
                                $15::text[], $16::text[], $17::text[], $18::text[], $19::timestamptz[], $20::jsonb[]) \
             WITH ORDINALITY AS e(event_id, subject, email, name, country, account_id, channel, purpose, status, \
                                  lawful_basis, method, source, notice_version, notice_sha256, language, \
                                  jurisdiction, at, evidence, ord)), \
         subjects AS ( \
           INSERT INTO data_subjects AS d (org_id, id, account_id, external_id, email, name, country) \
           SELECT DISTINCT ON (account_id, subject) $1, gen_random_uuid(), account_id, subject, email, name, country \
           FROM e ORDER BY account_id, subject, at DESC, ord DESC \
           ON CONFLICT (org_id, account_id, external_id) DO UPDATE \
             SET email = coalesce(excluded.email, d.email), name = coalesce(excluded.name, d.name), \
                 country = coalesce(excluded.country, d.country) \
           RETURNING d.id, d.account_id, d.external_id), \
         inserted AS ( \
           INSERT INTO consent_events (org_id, id, subject_id, application_id, source_event_id, channel, purpose, \
                                       status, lawful_basis, method, source_system, notice_version, notice_sha256, \
                                       language, jurisdiction, occurred_at, recorded_by_label, evidence) \
           SELECT $1, gen_random_uuid(), s.id, $2, e.event_id, e.channel, e.purpose, e.status::consent_status, \
                  e.lawful_basis, e.method, e.source, e.notice_version, e.notice_sha256, e.language, \
                  e.jurisdiction, e.at, $21, e.evidence \
           FROM e JOIN subjects s ON s.account_id = e.account_id AND s.external_id = e.subject \
           ORDER BY e.ord \
           ON CONFLICT DO NOTHING \
           RETURNING id, seq, subject_id, channel, purpose, status, occurred_at, source_event_id), \
         standing AS ( \
           SELECT DISTINCT ON (subject_id, channel, purpose) i.*, \
                  (CASE i.status WHEN 'withdrawn' THEN 2 WHEN 'refused' THEN 1 ELSE 0 END)::smallint AS precedence \
           FROM inserted i \
           ORDER BY subject_id, channel, purpose, occurred_at DESC, precedence DESC, seq DESC), \
         moved AS ( \
           INSERT INTO consent_state AS cs (org_id, subject_id, channel, purpose, status, precedence, occurred_at, seq, event_id) \
           SELECT $1, subject_id, channel, purpose, status, precedence, occurred_at, seq, id FROM standing \
           ON CONFLICT (org_id, subject_id, channel, purpose) DO UPDATE \
             SET status = excluded.status, precedence = excluded.precedence, occurred_at = excluded.occurred_at, \
                 seq = excluded.seq, event_id = excluded.event_id \
             WHERE (excluded.occurred_at, excluded.precedence, excluded.seq) > (cs.occurred_at, cs.precedence, cs.seq)) \
         SELECT source_event_id FROM inserted",
    )
    .bind(org_id)
    .bind(application_id)
    .bind(text(|e| &e.id))
    .bind(text(|e| &e.subject))
    .bind(optional(|e| e.email.as_deref()))
    .bind(optional(|e| e.name.as_deref()))
    .bind(optional(|e| e.country.as_deref()))
    .bind(accounts)
    .bind(text(|e| &e.channel))
    .bind(text(|e| &e.purpose))
    .bind(events.iter().map(|(e, _)| e.status.as_str()).collect::<Vec<_>>())
    .bind(text(|e| &e.lawful_basis))
    .bind(text(|e| &e.method))
    .bind(text(|e| &e.source))
    .bind(text(|e| &e.notice_version))
    .bind(text(|e| &e.notice_sha256))
    .bind(text(|e| &e.language))
    .bind(text(|e| &e.jurisdiction))
    .bind(at)
    .bind(evidence)
    .bind(recorded_by)
    .fetch_all(&mut **tx)
    .await
}

//! Consent histories: recording events and keeping each channel and purpose's current
//! state in step with them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Tx;
use crate::model::consent::{ConsentCell, ConsentEventRow, SubjectAccess, SubjectRow};
use rules::audit::AuditAction;
use rules::consent::{ConsentEvent, BUILT_IN_PURPOSES};

/// A status's weight between events at the same instant (`ConsentStatus::precedence`).
const PRECEDENCE: &str =
    "(CASE status WHEN 'withdrawn' THEN 2 WHEN 'refused' THEN 1 ELSE 0 END)::smallint";

/// Moves each channel and purpose's state to the event in `standing` (one per key, with
/// its `precedence`) when it supersedes the standing one (`rules::consent::order_key`).
const MOVE_STATE: &str = "INSERT INTO consent_state AS cs \
       (org_id, subject_id, channel, purpose, status, precedence, occurred_at, seq, event_id) \
     SELECT $1, subject_id, channel, purpose, status, precedence, occurred_at, seq, id FROM standing \
     ON CONFLICT (org_id, subject_id, channel, purpose) DO UPDATE \
       SET status = excluded.status, precedence = excluded.precedence, occurred_at = excluded.occurred_at, \
           seq = excluded.seq, event_id = excluded.event_id \
       WHERE (excluded.occurred_at, excluded.precedence, excluded.seq) > (cs.occurred_at, cs.precedence, cs.seq)";

/// The accounts and purposes a batch names, as the database knows them.
#[derive(Debug, Default)]
pub struct Known {
    /// Each name or id of an account that exists, with its id.
    pub accounts: std::collections::HashMap<String, Uuid>,
    /// Each purpose that is built in or the organisation's own.
    pub purposes: std::collections::HashSet<String>,
}

/// Looks up each account (by id or name) and purpose the events name, once each.
pub async fn resolve<'a>(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    events: impl Iterator<Item = &'a ConsentEvent> + Clone,
) -> sqlx::Result<Known> {
    let mut named: Vec<&str> = events.clone().map(|e| e.account.as_str()).collect();
    named.sort_unstable();
    named.dedup();
    let ids: Vec<Option<Uuid>> = named.iter().map(|a| Uuid::parse_str(a).ok()).collect();
    let accounts: Vec<(String, Uuid)> = sqlx::query_as(
        "SELECT n.named, coalesce(ai.id, an.id) FROM unnest($2::text[], $3::uuid[]) AS n(named, id) \
         LEFT JOIN accounts ai ON ai.org_id = $1 AND ai.id = n.id \
         LEFT JOIN accounts an ON an.org_id = $1 AND an.name = n.named \
         WHERE coalesce(ai.id, an.id) IS NOT NULL",
    )
    .bind(org_id)
    .bind(&named)
    .bind(ids)
    .fetch_all(&mut **tx)
    .await?;
    let mut purposes: Vec<&str> = events.map(|e| e.purpose.as_str()).collect();
    purposes.sort_unstable();
    purposes.dedup();
    let purposes: Vec<String> = sqlx::query_scalar(
        "SELECT p FROM unnest($2::text[]) AS p \
         WHERE p = ANY($3) OR EXISTS (SELECT 1 FROM consent_purposes cp WHERE cp.org_id = $1 AND cp.key = p)",
    )
    .bind(org_id)
    .bind(purposes)
    .bind(&BUILT_IN_PURPOSES[..])
    .fetch_all(&mut **tx)
    .await?;
    Ok(Known {
        accounts: accounts.into_iter().collect(),
        purposes: purposes.into_iter().collect(),
    })
}

/// Records events whose account and purpose are known (`accounts[i]` is event `i`'s),
/// in one statement: their subjects are created, or brought up to date where the event
/// says something new about them (an unchanged subject's row is left alone; a changed
/// one gets a `data_subject.updated` audit event with the fields before and after,
/// attributed to `recorded_by`), the events are
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
    // Ids that grow with time: each batch's keys go to the end of the key's index, not
    // to a thousand random pages of it.
    let new_ids: Vec<Uuid> = events.iter().map(|_| Uuid::now_v7()).collect();
    sqlx::query_scalar(&format!(
        "WITH e AS ( \
           SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::uuid[], \
                                $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], \
                                $15::text[], $16::text[], $17::text[], $18::text[], $19::timestamptz[], $20::jsonb[], \
                                $22::uuid[]) \
             WITH ORDINALITY AS e(event_id, subject, email, name, country, account_id, channel, purpose, status, \
                                  lawful_basis, method, source, notice_version, notice_sha256, language, \
                                  jurisdiction, at, evidence, new_id, ord)), \
         named AS ( \
           SELECT DISTINCT ON (account_id, subject) account_id, subject, email, name, country \
           FROM e ORDER BY account_id, subject, at DESC, ord DESC), \
         known AS ( \
           SELECT d.id, d.account_id, d.external_id, d.email, d.name, d.country FROM named n \
           JOIN data_subjects d ON d.org_id = $1 AND d.account_id = n.account_id AND d.external_id = n.subject), \
         changed AS ( \
           UPDATE data_subjects d SET email = coalesce(n.email, d.email), name = coalesce(n.name, d.name), \
                  country = coalesce(n.country, d.country) \
           FROM known k JOIN named n ON n.account_id = k.account_id AND n.subject = k.external_id \
           WHERE ((n.email IS NOT NULL AND n.email IS DISTINCT FROM k.email) \
               OR (n.name IS NOT NULL AND n.name IS DISTINCT FROM k.name) \
               OR (n.country IS NOT NULL AND n.country IS DISTINCT FROM k.country)) \
             AND d.org_id = $1 AND d.id = k.id \
             AND ((n.email IS NOT NULL AND n.email IS DISTINCT FROM d.email) \
               OR (n.name IS NOT NULL AND n.name IS DISTINCT FROM d.name) \
               OR (n.country IS NOT NULL AND n.country IS DISTINCT FROM d.country)) \
           RETURNING d.id, d.external_id, d.email, d.name, d.country), \
         audited AS ( \
           INSERT INTO audit_events (org_id, actor_label, action, target_type, target_id, target_label, \
                                     before, after, reason) \
           SELECT $1, $21, {updated}, c.id::text, c.external_id, \
                  {BEFORE}, {AFTER}, 'Details reported with a consent event' \
           FROM changed c JOIN known p ON p.id = c.id), \
         added AS ( \
           INSERT INTO data_subjects AS d (org_id, id, account_id, external_id, email, name, country) \
           SELECT $1, gen_random_uuid(), n.account_id, n.subject, n.email, n.name, n.country FROM named n \
           WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.account_id = n.account_id AND k.external_id = n.subject) \
           ON CONFLICT (org_id, account_id, external_id) DO UPDATE \
             SET email = coalesce(excluded.email, d.email), name = coalesce(excluded.name, d.name), \
                 country = coalesce(excluded.country, d.country) \
           RETURNING d.id, d.account_id, d.external_id), \
         subjects AS (SELECT id, account_id, external_id FROM known UNION ALL SELECT * FROM added), \
         inserted AS ( \
           INSERT INTO consent_events (org_id, id, subject_id, application_id, source_event_id, channel, purpose, \
                                       status, lawful_basis, method, source_system, notice_version, notice_sha256, \
                                       language, jurisdiction, occurred_at, recorded_by_label, evidence) \
           SELECT $1, e.new_id, s.id, $2, e.event_id, e.channel, e.purpose, e.status::consent_status, \
                  e.lawful_basis, e.method, e.source, e.notice_version, e.notice_sha256, e.language, \
                  e.jurisdiction, e.at, $21, e.evidence \
           FROM e JOIN subjects s ON s.account_id = e.account_id AND s.external_id = e.subject \
           ORDER BY e.ord \
           ON CONFLICT (org_id, application_id, source_event_id) DO NOTHING \
           RETURNING id, seq, subject_id, channel, purpose, status, occurred_at, source_event_id), \
         standing AS ( \
           SELECT DISTINCT ON (subject_id, channel, purpose) i.*, {PRECEDENCE} AS precedence \
           FROM inserted i \
           ORDER BY subject_id, channel, purpose, occurred_at DESC, precedence DESC, seq DESC), \
         moved AS ({MOVE_STATE}) \
         SELECT source_event_id FROM inserted",
        updated = super::audit::action_columns(AuditAction::SubjectUpdated)
    ))
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
    .bind(new_ids)
    .fetch_all(&mut **tx)
    .await
}

/// The changed fields of a subject (`c`: after, `p`: before) as JSON objects.
const BEFORE: &str = "(CASE WHEN c.email IS DISTINCT FROM p.email THEN jsonb_build_object('email', p.email) ELSE '{}' END \
     || CASE WHEN c.name IS DISTINCT FROM p.name THEN jsonb_build_object('name', p.name) ELSE '{}' END \
     || CASE WHEN c.country IS DISTINCT FROM p.country THEN jsonb_build_object('country', p.country) ELSE '{}' END)";
const AFTER: &str = "(CASE WHEN c.email IS DISTINCT FROM p.email THEN jsonb_build_object('email', c.email) ELSE '{}' END \
     || CASE WHEN c.name IS DISTINCT FROM p.name THEN jsonb_build_object('name', c.name) ELSE '{}' END \
     || CASE WHEN c.country IS DISTINCT FROM p.country THEN jsonb_build_object('country', c.country) ELSE '{}' END)";

const SUBJECT: &str = "SELECT d.id, d.account_id, a.name AS account, d.external_id, d.email, d.name, d.country, d.pseudonymised_at \
     FROM data_subjects d JOIN accounts a ON a.org_id = d.org_id AND a.id = d.account_id";

/// The latest withdrawals of consent by subjects within `accounts` (`None`: all).
pub async fn recent_withdrawals(
    pool: &sqlx::PgPool,
    org_id: Uuid,
    accounts: Option<&[Uuid]>,
    limit: i64,
) -> sqlx::Result<Vec<crate::model::consent::RecentWithdrawal>> {
    sqlx::query_as(
        "SELECT e.subject_id, coalesce(d.name, d.external_id) AS subject, a.name AS account, \
                e.channel, e.purpose, e.occurred_at \
         FROM consent_events e \
         JOIN data_subjects d ON d.org_id = e.org_id AND d.id = e.subject_id \
         JOIN accounts a ON a.org_id = d.org_id AND a.id = d.account_id \
         WHERE e.org_id = $1 AND e.status = 'withdrawn' AND ($2::uuid[] IS NULL OR d.account_id = ANY($2)) \
         ORDER BY e.occurred_at DESC LIMIT $3",
    )
    .bind(org_id)
    .bind(accounts)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Subjects within `accounts` (`None`: all) whose email or external id is `term`, or
/// whose name starts with it; by name, `limit` from `offset`. The name's start is a range of the index on lower-case
/// names (byte order), which a prepared statement's generic plan can use, unlike LIKE.
pub async fn search(
    pool: &sqlx::PgPool,
    org_id: Uuid,
    accounts: Option<&[Uuid]>,
    term: &str,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<SubjectRow>> {
    let from = term.to_lowercase();
    let to = format!("{from}{}", char::MAX);
    sqlx::query_as(&format!(
        "{SUBJECT} WHERE d.org_id = $1 AND (d.email = lower($2) OR d.external_id = $2 \
           OR (lower(d.name) COLLATE \"C\" >= $3 AND lower(d.name) COLLATE \"C\" < $4)) \
           AND ($7::uuid[] IS NULL OR d.account_id = ANY($7)) \
         ORDER BY d.name, d.external_id, d.id LIMIT $5 OFFSET $6"
    ))
    .bind(org_id)
    .bind(term)
    .bind(from)
    .bind(to)
    .bind(limit)
    .bind(offset)
    .bind(accounts)
    .fetch_all(pool)
    .await
}

pub async fn subject(
    db: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<SubjectRow>> {
    sqlx::query_as(&format!("{SUBJECT} WHERE d.org_id = $1 AND d.id = $2"))
        .bind(org_id)
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The subject, locked until the transaction ends: a change to them is checked against
/// what they are at that moment (not erased meanwhile).
pub async fn subject_for_update(
    tx: &mut super::Tx<'_>,
    org_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<SubjectRow>> {
    sqlx::query_as(&format!(
        "{SUBJECT} WHERE d.org_id = $1 AND d.id = $2 FOR UPDATE OF d"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

pub async fn state(
    db: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
    subject: Uuid,
) -> sqlx::Result<Vec<ConsentCell>> {
    sqlx::query_as(
        "SELECT channel, purpose, status::text AS status, occurred_at FROM consent_state \
         WHERE org_id = $1 AND subject_id = $2 ORDER BY channel, purpose",
    )
    .bind(org_id)
    .bind(subject)
    .fetch_all(db)
    .await
}

/// The subject's whole history, newest first.
pub async fn history(
    db: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
    subject: Uuid,
) -> sqlx::Result<Vec<ConsentEventRow>> {
    sqlx::query_as(
        "SELECT e.id, e.seq, e.channel, e.purpose, e.status::text AS status, e.lawful_basis, e.method, \
                e.source_system, e.notice_version, e.notice_sha256, e.language, e.jurisdiction, e.occurred_at, \
                e.recorded_at, coalesce(a.name, p.display_name, e.recorded_by_label) AS recorded_by, \
                e.source_event_id, e.evidence, e.reason \
         FROM consent_events e \
         LEFT JOIN applications a ON a.org_id = e.org_id AND a.id = e.application_id \
         LEFT JOIN principals p ON p.org_id = e.org_id AND p.id = e.recorded_by \
         WHERE e.org_id = $1 AND e.subject_id = $2 ORDER BY e.occurred_at DESC, e.seq DESC",
    )
    .bind(org_id)
    .bind(subject)
    .fetch_all(db)
    .await
}

/// Console views, exports and changes of the subject, from the audit trail, newest first.
pub async fn accesses(
    db: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
    subject: Uuid,
) -> sqlx::Result<Vec<SubjectAccess>> {
    sqlx::query_as(
        "SELECT occurred_at, actor_label AS actor, action FROM audit_events \
         WHERE org_id = $1 AND target_type = 'data_subject' AND target_id = $2 \
         ORDER BY occurred_at DESC, id DESC LIMIT 200",
    )
    .bind(org_id)
    .bind(subject.to_string())
    .fetch_all(db)
    .await
}

/// A DPO's event, recorded by hand with a reason; the state moves as for reported events.
pub async fn record_by_hand(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    subject: Uuid,
    e: &ConsentEvent,
    recorded_by: (Uuid, &str),
    reason: &str,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(&format!(
        "WITH inserted AS ( \
           INSERT INTO consent_events (org_id, id, subject_id, channel, purpose, status, lawful_basis, method, \
                                       source_system, notice_version, notice_sha256, language, jurisdiction, \
                                       occurred_at, recorded_by, recorded_by_label, evidence, reason) \
           VALUES ($1, gen_random_uuid(), $2, $3, $4, $5::consent_status, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                   $15, $16, $17) \
           RETURNING id, seq, subject_id, channel, purpose, status, occurred_at), \
         standing AS (SELECT i.*, {PRECEDENCE} AS precedence FROM inserted i), \
         moved AS ({MOVE_STATE}) \
         SELECT id FROM inserted"
    ))
    .bind(org_id)
    .bind(subject)
    .bind(&e.channel)
    .bind(&e.purpose)
    .bind(e.status.as_str())
    .bind(&e.lawful_basis)
    .bind(&e.method)
    .bind(&e.source)
    .bind(&e.notice_version)
    .bind(&e.notice_sha256)
    .bind(&e.language)
    .bind(&e.jurisdiction)
    .bind(e.at)
    .bind(recorded_by.0)
    .bind(recorded_by.1)
    .bind(&e.evidence)
    .bind(reason)
    .fetch_one(&mut **tx)
    .await
}

/// The accounts within `accounts` (`None`: all), by name.
pub async fn accounts(
    pool: &sqlx::PgPool,
    org_id: Uuid,
    accounts: Option<&[Uuid]>,
) -> sqlx::Result<Vec<crate::model::consent::AccountRef>> {
    sqlx::query_as(
        "SELECT id, name FROM accounts WHERE org_id = $1 AND ($2::uuid[] IS NULL OR id = ANY($2)) ORDER BY name",
    )
    .bind(org_id)
    .bind(accounts)
    .fetch_all(pool)
    .await
}

/// Opt-ins and withdrawals in the account's history per month since `since`, on one
/// channel and purpose (empty: any), as (first day of the month, granted, withdrawn).
pub async fn monthly(
    pool: &sqlx::PgPool,
    org_id: Uuid,
    account: Uuid,
    since: DateTime<Utc>,
    (channel, purpose): (&str, &str),
) -> sqlx::Result<Vec<(chrono::NaiveDate, i64, i64)>> {
    sqlx::query_as(
        "SELECT (date_trunc('month', e.occurred_at AT TIME ZONE 'UTC'))::date AS month, \
                count(*) FILTER (WHERE e.status = 'granted'), count(*) FILTER (WHERE e.status = 'withdrawn') \
         FROM consent_events e JOIN data_subjects d ON d.org_id = e.org_id AND d.id = e.subject_id \
         WHERE e.org_id = $1 AND d.account_id = $2 AND e.occurred_at >= $3 \
           AND ($4 = '' OR e.channel = $4) AND ($5 = '' OR e.purpose = $5) \
         GROUP BY 1 ORDER BY 1",
    )
    .bind(org_id)
    .bind(account)
    .bind(since)
    .bind(channel)
    .bind(purpose)
    .fetch_all(pool)
    .await
}

/// The account's subjects, and those whose marketing consent stands withdrawn on at
/// least one channel.
pub async fn withdrawn_marketing(
    pool: &sqlx::PgPool,
    org_id: Uuid,
    account: Uuid,
) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE EXISTS ( \
                  SELECT 1 FROM consent_state s WHERE s.org_id = d.org_id AND s.subject_id = d.id \
                    AND s.purpose = 'marketing' AND s.status = 'withdrawn')) \
         FROM data_subjects d WHERE d.org_id = $1 AND d.account_id = $2",
    )
    .bind(org_id)
    .bind(account)
    .fetch_one(pool)
    .await
}

/// Active principals whose grants in force reach the account (or every account) with a
/// permission that exports or messages contacts (`rules::consent::CONTACT_ACTIONS`).
pub async fn contact_holders(
    pool: &sqlx::PgPool,
    org_id: Uuid,
    account: Uuid,
) -> sqlx::Result<Vec<crate::model::consent::ContactHolder>> {
    sqlx::query_as(&format!(
        "WITH held AS ({}) \
         SELECT p.id AS principal_id, p.display_name AS principal, p.kind::text AS kind, \
                array_agg(DISTINCT ap.name || ': ' || pm.resource || '.' || pm.action) AS permissions, \
                bool_or(h.account_id IS NULL) AS organisation_wide \
         FROM held h \
         JOIN permissions pm ON pm.org_id = h.org_id AND pm.id = h.permission_id \
         JOIN applications ap ON ap.org_id = pm.org_id AND ap.id = pm.application_id \
         JOIN principals p ON p.org_id = h.org_id AND p.id = h.principal_id AND p.status = 'active' \
         WHERE (h.account_id IS NULL OR h.account_id = $2) AND pm.action = ANY($3) \
         GROUP BY p.id, p.display_name, p.kind ORDER BY p.kind, p.display_name, p.id",
        super::sod::HELD_NOW
    ))
    .bind(org_id)
    .bind(account)
    .bind(&rules::consent::CONTACT_ACTIONS[..])
    .fetch_all(pool)
    .await
}

/// The organisation's own purposes with their labels.
pub async fn own_purposes(
    pool: &sqlx::PgPool,
    org_id: Uuid,
) -> sqlx::Result<Vec<crate::model::consent::Purpose>> {
    sqlx::query_as(
        "SELECT key, label, false AS built_in FROM consent_purposes WHERE org_id = $1 ORDER BY key",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await
}

/// Adds a purpose; answers false when the organisation has it already.
pub async fn add_purpose(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    key: &str,
    label: &str,
) -> sqlx::Result<bool> {
    let added = sqlx::query(
        "INSERT INTO consent_purposes (org_id, key, label) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(org_id)
    .bind(key)
    .bind(label)
    .execute(&mut **tx)
    .await?;
    Ok(added.rows_affected() == 1)
}

/// The id of the account's data subject known to it as `external_id`.
pub async fn subject_id(
    tx: &mut super::Tx<'_>,
    org_id: Uuid,
    account_id: Uuid,
    external_id: &str,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM data_subjects WHERE org_id = $1 AND account_id = $2 AND external_id = $3",
    )
    .bind(org_id)
    .bind(account_id)
    .bind(external_id)
    .fetch_optional(&mut **tx)
    .await
}

/// Of the data subjects named by external id or email (on `account`, or on any account
/// when `None`), the references of those whose consent for `purpose` stands withdrawn
/// or refused on any channel.
pub async fn withheld_for(
    pool: &sqlx::PgPool,
    org_id: Uuid,
    account: Option<Uuid>,
    references: &[String],
    purpose: &str,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT r FROM unnest($3::text[]) r WHERE EXISTS ( \
           SELECT 1 FROM data_subjects d JOIN consent_state s ON s.org_id = d.org_id AND s.subject_id = d.id \
            WHERE d.org_id = $1 AND ($2::uuid IS NULL OR d.account_id = $2) \
              AND (d.external_id = r OR d.email = lower(r)) \
              AND s.purpose = $4 AND s.status IN ('withdrawn', 'refused'))",
    )
    .bind(org_id)
    .bind(account)
    .bind(references)
    .bind(purpose)
    .fetch_all(pool)
    .await
}

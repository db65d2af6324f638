//! Data-subject requests, and the two changes to a subject they bring about:
//! rectification and erasure.

use chrono::NaiveDate;
use uuid::Uuid;

use super::Tx;
use crate::domain::dsr::{DsrKind, DsrStatus, DUE_SOON_DAYS};
use crate::model::dsr::{DsrFacts, DsrRow};

const ROW: &str = "SELECT r.id, r.number, r.kind, r.status, r.subject_id, \
            coalesce(d.name, d.external_id) AS subject, a.name AS account, r.received_on, r.arrived_by, \
            coalesce(r.extended_to, r.due_on) AS due, r.extended_to IS NOT NULL AS extended \
     FROM data_subject_requests r \
     JOIN data_subjects d ON d.org_id = r.org_id AND d.id = r.subject_id \
     JOIN accounts a ON a.org_id = d.org_id AND a.id = d.account_id";

/// Which requests a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    Open,
    Overdue,
    DueSoon,
    Closed,
    All,
}

impl Show {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "" | "open" => Some(Show::Open),
            "overdue" => Some(Show::Overdue),
            "due_soon" => Some(Show::DueSoon),
            "closed" => Some(Show::Closed),
            "all" => Some(Show::All),
            _ => None,
        }
    }

    fn condition(self) -> &'static str {
        match self {
            Show::Open => "r.closed_at IS NULL",
            Show::Overdue => "r.closed_at IS NULL AND coalesce(r.extended_to, r.due_on) < $3",
            Show::DueSoon => {
                "r.closed_at IS NULL AND coalesce(r.extended_to, r.due_on) BETWEEN $3 AND $3 + $4"
            }
            Show::Closed => "r.closed_at IS NOT NULL",
            Show::All => "TRUE",
        }
    }
}

pub async fn response_days(pool: &sqlx::PgPool, org_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT dsr_response_days::bigint FROM organisations WHERE id = $1")
        .bind(org_id)
        .fetch_one(pool)
        .await
}

/// Sets the days requests may take; answers the earlier setting.
pub async fn set_response_days(tx: &mut Tx<'_>, org_id: Uuid, days: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "UPDATE organisations o SET dsr_response_days = $2 FROM organisations old \
         WHERE o.id = $1 AND old.id = o.id RETURNING old.dsr_response_days::bigint",
    )
    .bind(org_id)
    .bind(days as i16)
    .fetch_one(&mut **tx)
    .await
}

/// The requests `show` picks, most urgent first, within `accounts` (`None`: all).
pub async fn list(
    pool: &sqlx::PgPool,
    org_id: Uuid,
    accounts: Option<&[Uuid]>,
    (show, kind): (Show, Option<DsrKind>),
    today: NaiveDate,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<DsrRow>> {
    sqlx::query_as(&format!(
        "{ROW} WHERE r.org_id = $1 AND ($2::uuid[] IS NULL OR d.account_id = ANY($2)) AND {} \
           AND ($5::dsr_kind IS NULL OR r.kind = $5) \
         ORDER BY r.closed_at IS NOT NULL, coalesce(r.extended_to, r.due_on), r.number LIMIT $6 OFFSET $7",
        show.condition()
    ))
    .bind(org_id)
    .bind(accounts)
    .bind(today)
    .bind(DUE_SOON_DAYS as i32)
    .bind(kind)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
}

/// Open, overdue and due-soon requests within `accounts`.
pub async fn counts(
    pool: &sqlx::PgPool,
    org_id: Uuid,
    accounts: Option<&[Uuid]>,
    today: NaiveDate,
) -> sqlx::Result<(i64, i64, i64)> {
    sqlx::query_as(
        "SELECT count(*), \
                count(*) FILTER (WHERE coalesce(r.extended_to, r.due_on) < $3), \
                count(*) FILTER (WHERE coalesce(r.extended_to, r.due_on) BETWEEN $3 AND $3 + $4) \
         FROM data_subject_requests r JOIN data_subjects d ON d.org_id = r.org_id AND d.id = r.subject_id \
         WHERE r.org_id = $1 AND r.closed_at IS NULL AND ($2::uuid[] IS NULL OR d.account_id = ANY($2))",
    )
    .bind(org_id)
    .bind(accounts)
    .bind(today)
    .bind(DUE_SOON_DAYS as i32)
    .fetch_one(pool)
    .await
}

pub async fn row(pool: &sqlx::PgPool, org_id: Uuid, id: Uuid) -> sqlx::Result<Option<DsrRow>> {
    sqlx::query_as(&format!("{ROW} WHERE r.org_id = $1 AND r.id = $2"))
        .bind(org_id)
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn facts(pool: &sqlx::PgPool, org_id: Uuid, id: Uuid) -> sqlx::Result<DsrFacts> {
    sqlx::query_as(
        "SELECT r.details, r.due_on, r.extended_to, r.extension_reason, r.rejection_reason, r.outcome, \
                coalesce(p.display_name, r.opened_by_label) AS opened_by, r.opened_at, r.closed_at \
         FROM data_subject_requests r LEFT JOIN principals p ON p.org_id = r.org_id AND p.id = r.opened_by \
         WHERE r.org_id = $1 AND r.id = $2",
    )
    .bind(org_id)
    .bind(id)
    .fetch_one(pool)
    .await
}

/// The subject's requests, newest first.
pub async fn for_subject(
    pool: &sqlx::PgPool,
    org_id: Uuid,
    subject: Uuid,
) -> sqlx::Result<Vec<DsrRow>> {
    sqlx::query_as(&format!(
        "{ROW} WHERE r.org_id = $1 AND r.subject_id = $2 ORDER BY r.number DESC"
    ))
    .bind(org_id)
    .bind(subject)
    .fetch_all(pool)
    .await
}

/// A request, locked for a change.
#[derive(Debug, sqlx::FromRow)]
pub struct Locked {
    pub number: i64,
    pub kind: DsrKind,
    pub status: DsrStatus,
    pub subject_id: Uuid,
    pub account_id: Uuid,
    pub due_on: NaiveDate,
    pub extended_to: Option<NaiveDate>,
    pub outcome: Option<serde_json::Value>,
}

pub async fn lock(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> sqlx::Result<Option<Locked>> {
    sqlx::query_as(
        "SELECT r.number, r.kind, r.status, r.subject_id, d.account_id, r.due_on, r.extended_to, r.outcome \
         FROM data_subject_requests r JOIN data_subjects d ON d.org_id = r.org_id AND d.id = r.subject_id \
         WHERE r.org_id = $1 AND r.id = $2 FOR UPDATE OF r",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// A new request.
pub struct NewRequest<'a> {
    pub subject: Uuid,
    pub kind: DsrKind,
    pub received_on: NaiveDate,
    pub due_on: NaiveDate,
    pub arrived_by: &'a str,
    pub details: &'a str,
}

/// Records a request; answers its id and number.
pub async fn open(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    r: &NewRequest<'_>,
    opened_by: (Uuid, &str),
) -> sqlx::Result<(Uuid, i64)> {
    sqlx::query_as(
        "INSERT INTO data_subject_requests (org_id, id, subject_id, kind, received_on, due_on, arrived_by, \
                                            details, opened_by, opened_by_label) \
         VALUES ($1, gen_random_uuid(), $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, number",
    )
    .bind(org_id)
    .bind(r.subject)
    .bind(r.kind)
    .bind(r.received_on)
    .bind(r.due_on)
    .bind(r.arrived_by)
    .bind(r.details)
    .bind(opened_by.0)
    .bind(opened_by.1)
    .fetch_one(&mut **tx)
    .await
}

/// Moves a request to `status`; a closing status stamps the time, a rejection keeps its
/// reason, and `outcome` (when given) replaces what was done.
pub async fn set_status(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    status: DsrStatus,
    rejection_reason: Option<&str>,
    outcome: Option<&serde_json::Value>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE data_subject_requests SET status = $3, rejection_reason = $4, \
                outcome = coalesce($5, outcome), closed_at = CASE WHEN $6 THEN now() END \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(status)
    .bind(rejection_reason)
    .bind(outcome)
    .bind(status.is_closed())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn set_outcome(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    outcome: &serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE data_subject_requests SET outcome = $3 WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .bind(outcome)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn extend(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    to: NaiveDate,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE data_subject_requests SET extended_to = $3, extension_reason = $4 \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(to)
    .bind(reason)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Corrects the subject's details (`None` leaves a field as it is).
pub async fn rectify(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    subject: Uuid,
    (email, name, country): (Option<&str>, Option<&str>, Option<&str>),
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE data_subjects SET email = coalesce($3, email), name = coalesce($4, name), \
                country = coalesce($5, country) \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(subject)
    .bind(email)
    .bind(name)
    .bind(country)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What an erasure changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Erased {
    pub consent_events: u64,
    pub audit_events: u64,
    pub requests: u64,
}

/// `text` as a regular expression matching itself (every character that is not a letter
/// or digit is escaped).
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if !c.is_alphanumeric() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Matches any of `terms` as a whole (not inside a longer word), in any case.
fn any_of(terms: &[String]) -> Option<String> {
    if terms.is_empty() {
        return None;
    }
    let alternatives: Vec<String> = terms.iter().map(|t| literal(t)).collect();
    Some(format!(
        "(?<![[:alnum:]_])({})(?![[:alnum:]_])",
        alternatives.join("|")
    ))
}

/// Replaces the subject's personal data with `pseudonym` everywhere: their email, name
/// and country are cleared and their external id becomes the pseudonym; wherever the
/// audit trail, their requests and their hand-recorded consent reasons name them (by
/// email, name or external id, now or before a rectification) the pseudonym stands
/// instead, and any email of theirs is replaced wherever else the audit trail holds it;
/// their consent events keep every field but the evidence, which becomes its SHA-256.
/// The append-only consent history and audit trail let exactly this through while
/// `gatehouse.erasing_subject` names the subject, for this transaction only.
pub async fn erase(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    subject: Uuid,
    pseudonym: &str,
) -> sqlx::Result<Erased> {
    sqlx::query("SELECT set_config('gatehouse.erasing_subject', $1, true)")
        .bind(subject.to_string())
        .execute(&mut **tx)
        .await?;
    let terms: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT t FROM ( \
           SELECT unnest(ARRAY[email, name, external_id]) AS t FROM data_subjects WHERE org_id = $1 AND id = $2 \
           UNION ALL \
           SELECT v.value FROM data_subject_requests r, \
             jsonb_each_text(r.outcome -> 'before') AS v \
           WHERE r.org_id = $1 AND r.subject_id = $2 AND r.kind = 'rectification' \
           UNION ALL \
           SELECT v.value FROM data_subject_requests r, \
             jsonb_each_text(r.outcome -> 'after') AS v \
           WHERE r.org_id = $1 AND r.subject_id = $2 AND r.kind = 'rectification') x \
         WHERE length(t) >= 3 ORDER BY t",
    )
    .bind(org_id)
    .bind(subject)
    .fetch_all(&mut **tx)
    .await?;
    let emails: Vec<String> = terms.iter().filter(|t| t.contains('@')).cloned().collect();
    let naming = any_of(&terms);
    let emailing = any_of(&emails);
    let requests: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM data_subject_requests WHERE org_id = $1 AND subject_id = $2",
    )
    .bind(org_id)
    .bind(subject)
    .fetch_all(&mut **tx)
    .await?;
    let request_ids: Vec<String> = requests.iter().map(Uuid::to_string).collect();

    let audit_events = match &naming {
        None => 0,
        Some(naming) => sqlx::query(
            "WITH t AS ( \
               SELECT org_id, id, CASE WHEN (target_type = 'data_subject' AND target_id = $2) \
                                         OR (target_type = 'data_subject_request' AND target_id = ANY($3)) \
                                       THEN $4 ELSE $5 END AS pattern \
               FROM audit_events WHERE org_id = $1) \
             UPDATE audit_events a SET \
               target_label = regexp_replace(a.target_label, t.pattern, $6, 'gi'), \
               before = regexp_replace(a.before::text, t.pattern, $6, 'gi')::jsonb, \
               after = regexp_replace(a.after::text, t.pattern, $6, 'gi')::jsonb, \
               reason = regexp_replace(a.reason, t.pattern, $6, 'gi') \
             FROM t WHERE a.org_id = t.org_id AND a.id = t.id AND t.pattern IS NOT NULL \
               AND (a.target_label ~* t.pattern OR a.before::text ~* t.pattern \
                    OR a.after::text ~* t.pattern OR a.reason ~* t.pattern)",
        )
        .bind(org_id)
        .bind(subject.to_string())
        .bind(&request_ids)
        .bind(naming)
        .bind(&emailing)
        .bind(pseudonym)
        .execute(&mut **tx)
        .await?
        .rows_affected(),
    };
    let consent_events = sqlx::query(
        "UPDATE consent_events SET \
           evidence = CASE WHEN evidence = '{}'::jsonb THEN evidence ELSE jsonb_build_object('erased', true, \
             'sha256', encode(sha256(convert_to(evidence::text, 'UTF8')), 'hex')) END, \
           reason = CASE WHEN $3::text IS NULL THEN reason ELSE regexp_replace(reason, $3, $4, 'gi') END \
         WHERE org_id = $1 AND subject_id = $2 \
           AND (evidence <> '{}'::jsonb OR ($3::text IS NOT NULL AND reason ~* $3))",
    )
    .bind(org_id)
    .bind(subject)
    .bind(&naming)
    .bind(pseudonym)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    let requests = match &naming {
        None => 0,
        Some(naming) => sqlx::query(
            "UPDATE data_subject_requests SET \
               details = regexp_replace(details, $3, $4, 'gi'), \
               extension_reason = regexp_replace(extension_reason, $3, $4, 'gi'), \
               rejection_reason = regexp_replace(rejection_reason, $3, $4, 'gi'), \
               outcome = regexp_replace(outcome::text, $3, $4, 'gi')::jsonb \
             WHERE org_id = $1 AND subject_id = $2",
        )
        .bind(org_id)
        .bind(subject)
        .bind(naming)
        .bind(pseudonym)
        .execute(&mut **tx)
        .await?
        .rows_affected(),
    };
    sqlx::query(
        "UPDATE data_subjects SET email = NULL, name = NULL, country = NULL, external_id = $3, \
                pseudonymised_at = now() \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(subject)
    .bind(pseudonym)
    .execute(&mut **tx)
    .await?;
    Ok(Erased {
        consent_events,
        audit_events,
        requests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_match_themselves_only() {
        assert_eq!(
            literal("ana.silva+x@example.com"),
            "ana\\.silva\\+x\\@example\\.com"
        );
        assert_eq!(literal("José"), "José");
        assert_eq!(
            any_of(&["a.b".into(), "cd".into()]).unwrap(),
            "(?<![[:alnum:]_])(a\\.b|cd)(?![[:alnum:]_])"
        );
        assert_eq!(any_of(&[]), None);
    }
}

//! Data-subject requests, and the two changes to a subject they bring about:
//! rectification and erasure.

use chrono::NaiveDate;
use uuid::Uuid;

use super::Tx;
use crate::model::dsr::{DsrFacts, DsrRow};
use rules::dsr::{DsrKind, DsrStatus, Pseudonymiser, DUE_SOON_DAYS};

const ROW: &str = "SELECT r.id, r.number, r.kind::text AS kind, r.status::text AS status, r.subject_id, \
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
           AND ($5::dsr_kind IS NULL OR r.kind = $5::dsr_kind) \
         ORDER BY r.closed_at IS NOT NULL, coalesce(r.extended_to, r.due_on), r.number LIMIT $6 OFFSET $7",
        show.condition()
    ))
    .bind(org_id)
    .bind(accounts)
    .bind(today)
    .bind(DUE_SOON_DAYS as i32)
    .bind(kind.map(DsrKind::as_str))
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
    db: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
    subject: Uuid,
) -> sqlx::Result<Vec<DsrRow>> {
    sqlx::query_as(&format!(
        "{ROW} WHERE r.org_id = $1 AND r.subject_id = $2 ORDER BY r.number DESC"
    ))
    .bind(org_id)
    .bind(subject)
    .fetch_all(db)
    .await
}

/// A request, locked for a change.
#[derive(Debug, sqlx::FromRow)]
pub struct Locked {
    pub number: i64,
    #[sqlx(try_from = "String")]
    pub kind: DsrKind,
    #[sqlx(try_from = "String")]
    pub status: DsrStatus,
    pub subject_id: Uuid,
    pub account_id: Uuid,
    pub due_on: NaiveDate,
    pub extended_to: Option<NaiveDate>,
    pub outcome: Option<serde_json::Value>,
}

pub async fn lock(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> sqlx::Result<Option<Locked>> {
    sqlx::query_as(
        "SELECT r.number, r.kind::text AS kind, r.status::text AS status, r.subject_id, d.account_id, r.due_on, r.extended_to, r.outcome \
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
         VALUES ($1, gen_random_uuid(), $2, $3::dsr_kind, $4, $5, $6, $7, $8, $9) RETURNING id, number",
    )
    .bind(org_id)
    .bind(r.subject)
    .bind(r.kind.as_str())
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
        "UPDATE data_subject_requests SET status = $3::dsr_status, rejection_reason = $4, \
                outcome = coalesce($5, outcome), closed_at = CASE WHEN $6 THEN now() END \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(status.as_str())
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

/// Replaces the subject's personal data with `pseudonym` in the rows that are theirs,
/// and only there: their email, name and country are cleared and their external id
/// becomes the pseudonym; in the audit events about them or their requests, in their
/// requests and in their consent events' reasons, every mention of them (by email, name
/// or external id, now or before a rectification) becomes the pseudonym (see
/// [`Pseudonymiser`]); their consent events keep every field but the evidence, which
/// becomes its SHA-256. Rows are found by id, never by searching text. The append-only
/// consent history and audit trail let exactly this through while
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
         WHERE t IS NOT NULL ORDER BY t",
    )
    .bind(org_id)
    .bind(subject)
    .fetch_all(&mut **tx)
    .await?;
    let naming = Pseudonymiser::new(terms.iter().map(String::as_str), pseudonym);
    let text = |t: &Option<String>| t.as_deref().and_then(|t| naming.text(t));
    let json = |v: &Option<serde_json::Value>| v.as_ref().and_then(|v| naming.json(v));

    type AuditRow = (
        i64,
        String,
        Option<serde_json::Value>,
        Option<serde_json::Value>,
        Option<String>,
    );
    let audit: Vec<AuditRow> = sqlx::query_as(
        "SELECT id, target_label, before, after, reason FROM audit_events \
         WHERE org_id = $1 AND ((target_type = 'data_subject' AND target_id = $2::text) \
            OR (target_type = 'data_subject_request' AND target_id IN ( \
                  SELECT id::text FROM data_subject_requests WHERE org_id = $1 AND subject_id = $2))) \
         ORDER BY id",
    )
    .bind(org_id)
    .bind(subject)
    .fetch_all(&mut **tx)
    .await?;
    let mut rewritten: Vec<i64> = Vec::new();
    for (id, label, before, after, reason) in &audit {
        let new_label = naming.text(label);
        let (new_before, new_after, new_reason) = (json(before), json(after), text(reason));
        if new_label.is_none()
            && new_before.is_none()
            && new_after.is_none()
            && new_reason.is_none()
        {
            continue;
        }
        sqlx::query(
            "UPDATE audit_events SET target_label = $3, before = $4, after = $5, reason = $6 \
             WHERE org_id = $1 AND id = $2",
        )
        .bind(org_id)
        .bind(id)
        .bind(new_label.unwrap_or_else(|| label.clone()))
        .bind(new_before.or_else(|| before.clone()))
        .bind(new_after.or_else(|| after.clone()))
        .bind(new_reason.or_else(|| reason.clone()))
        .execute(&mut **tx)
        .await?;
        rewritten.push(*id);
    }
    // Their sealed digests stay; the salts that would let the erased text be tried
    // against them go.
    sqlx::query("DELETE FROM audit_salts WHERE org_id = $1 AND event_id = ANY($2)")
        .bind(org_id)
        .bind(&rewritten)
        .execute(&mut **tx)
        .await?;
    let audit_events = rewritten.len() as u64;

    let mut consent: std::collections::BTreeSet<Uuid> = sqlx::query_scalar(
        "UPDATE consent_events SET evidence = jsonb_build_object('erased', true, \
             'sha256', encode(sha256(convert_to(evidence::text, 'UTF8')), 'hex')) \
         WHERE org_id = $1 AND subject_id = $2 AND evidence <> '{}'::jsonb RETURNING id",
    )
    .bind(org_id)
    .bind(subject)
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .collect();
    let reasons: Vec<(Uuid, Option<String>)> = sqlx::query_as(
        "SELECT id, reason FROM consent_events WHERE org_id = $1 AND subject_id = $2 AND reason IS NOT NULL",
    )
    .bind(org_id)
    .bind(subject)
    .fetch_all(&mut **tx)
    .await?;
    for (id, reason) in &reasons {
        if let Some(reason) = text(reason) {
            sqlx::query("UPDATE consent_events SET reason = $3 WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(id)
                .bind(reason)
                .execute(&mut **tx)
                .await?;
            consent.insert(*id);
        }
    }

    type RequestRow = (
        Uuid,
        String,
        Option<String>,
        Option<String>,
        Option<serde_json::Value>,
    );
    let rows: Vec<RequestRow> = sqlx::query_as(
        "SELECT id, details, extension_reason, rejection_reason, outcome FROM data_subject_requests \
         WHERE org_id = $1 AND subject_id = $2 ORDER BY id",
    )
    .bind(org_id)
    .bind(subject)
    .fetch_all(&mut **tx)
    .await?;
    let mut requests = 0;
    for (id, details, extension, rejection, outcome) in &rows {
        let new_details = naming.text(details);
        let (new_extension, new_rejection, new_outcome) =
            (text(extension), text(rejection), json(outcome));
        if new_details.is_none()
            && new_extension.is_none()
            && new_rejection.is_none()
            && new_outcome.is_none()
        {
            continue;
        }
        sqlx::query(
            "UPDATE data_subject_requests SET details = $3, extension_reason = $4, rejection_reason = $5, \
                    outcome = $6 WHERE org_id = $1 AND id = $2",
        )
        .bind(org_id)
        .bind(id)
        .bind(new_details.unwrap_or_else(|| details.clone()))
        .bind(new_extension.or_else(|| extension.clone()))
        .bind(new_rejection.or_else(|| rejection.clone()))
        .bind(new_outcome.or_else(|| outcome.clone()))
        .execute(&mut **tx)
        .await?;
        requests += 1;
    }
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
        consent_events: consent.len() as u64,
        audit_events,
        requests,
    })
}

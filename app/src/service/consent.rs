//! Consent histories: events sent with an application token (every event gets an
//! answer — recorded, duplicate, or rejected with the reason — and a bad event never
//! stops the others), and the DPO's console: search, the subject page, the proof export
//! and events recorded by hand, every look and change audited.

use std::collections::HashSet;

use chrono::{Datelike, Utc};
use serde_json::Value;
use sqlx::PgPool;

use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::dsr::Show;
use crate::db::tokens::TokenCaller;
use crate::error::AppError;
use crate::model::consent::{
    AccountConsent, AccountRef, ConsentAttention, ConsentEventRow, Purpose, SubjectDetail,
    SubjectRow, SubjectSearch, SUBJECTS_PAGE_SIZE,
};
use crate::model::dsr::with_urgency;
use crate::service::activity::{is_deadlock, ATTEMPTS};
use crate::service::csv_export::CsvFile;
use crate::service::split_page;
use rules::activity::{batch, screen, BatchReport, EventOutcome, EventStatus};
use rules::consent::{parse_event, ConsentEvent, BUILT_IN_PURPOSES, CHANNELS};
use rules::console::AccountScope;

pub async fn ingest(
    pool: &PgPool,
    caller: TokenCaller,
    body: &Value,
) -> Result<BatchReport, AppError> {
    let values = batch(body).map_err(|m| AppError::invalid("events", m))?;
    let now = Utc::now();
    let (mut outcomes, events) = screen(values, |v| parse_event(v, now), |e| e.id.as_str());
    if !events.is_empty() {
        let mut attempt = 1;
        loop {
            match record(pool, &caller, &events, &mut outcomes).await {
                Ok(()) => break,
                Err(e) if attempt < ATTEMPTS && is_deadlock(&e) => attempt += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(BatchReport::new(outcomes))
}

/// Resolves and records the well-formed events in one transaction, marking in
/// `outcomes` those refused by what the database holds, and those recorded before.
async fn record(
    pool: &PgPool,
    caller: &TokenCaller,
    events: &[(usize, ConsentEvent)],
    outcomes: &mut [EventOutcome],
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let list: Vec<ConsentEvent> = events.iter().map(|(_, e)| e.clone()).collect();
    let resolved =
        db::consent::resolve(&mut tx, caller.org_id, caller.application_id, &list).await?;
    let mut writable = Vec::with_capacity(events.len());
    for row in resolved {
        let (index, event) = &events[(row.ord - 1) as usize];
        let outcome = &mut outcomes[*index];
        match row.account_id {
            None => {
                outcome.status = EventStatus::Rejected;
                outcome.error = Some(format!(
                    "No account is named or has the id \u{201c}{}\u{201d}.",
                    event.account
                ));
            }
            Some(_) if !row.purpose_known => {
                outcome.status = EventStatus::Rejected;
                outcome.error = Some(format!(
                    "\u{201c}{}\u{201d} is not a purpose of this organisation; a DPO may add it.",
                    event.purpose
                ));
            }
            Some(_) if row.seen => {
                outcome.status = EventStatus::Duplicate;
                outcome.error = Some("An event with this id was recorded before.".into());
            }
            Some(account) => writable.push((event, account, *index)),
        }
    }
    if !writable.is_empty() {
        let rows: Vec<(&ConsentEvent, uuid::Uuid)> =
            writable.iter().map(|(e, a, _)| (*e, *a)).collect();
        let label = format!("application token {}", caller.token_id);
        let stored: HashSet<String> =
            db::consent::record(&mut tx, caller.org_id, caller.application_id, &label, &rows)
                .await?
                .into_iter()
                .collect();
        // Recorded meanwhile by a concurrent batch with the same ids.
        for (event, _, index) in &writable {
            if !stored.contains(&event.id) {
                outcomes[*index].status = EventStatus::Duplicate;
                outcomes[*index].error = Some("An event with this id was recorded before.".into());
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The consent console's first screen: the ten latest withdrawals and the five most
/// urgent open data-subject requests within `scope`.
pub async fn attention(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
) -> Result<ConsentAttention, AppError> {
    let org_id = actor.org_id;
    let today = Utc::now().date_naive();
    let (withdrawals, requests, (open, overdue, _)) = tokio::try_join!(
        db::consent::recent_withdrawals(pool, org_id, scope.ids(), 10),
        db::dsr::list(pool, org_id, scope.ids(), (Show::Open, None), today, 5, 0),
        db::dsr::counts(pool, org_id, scope.ids(), today),
    )?;
    // Requests name their subjects: looking at them is on the trail, as on the DSR list.
    let mut tx = pool.begin().await?;
    db::audit::record(
        &mut tx,
        actor,
        Change {
            action: "data_subject_request.listed",
            target_type: "data_subject_request",
            target_id: None,
            target_label: "data-subject requests".into(),
            before: None,
            after: Some(serde_json::json!({ "view": "consent", "rows": requests.len() })),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ConsentAttention {
        withdrawals,
        requests: with_urgency(requests, today),
        open,
        overdue,
    })
}

/// Subjects matching an email, an external id or the start of a name.
pub async fn search(
    pool: &PgPool,
    org_id: Uuid,
    scope: &AccountScope,
    term: &str,
    page: u32,
) -> Result<SubjectSearch, AppError> {
    let term = term.trim();
    if term.chars().count() < 2 {
        return Err(AppError::invalid(
            "q",
            "Type at least two characters: an email, an external id or the start of a name.",
        ));
    }
    let size = i64::from(SUBJECTS_PAGE_SIZE);
    let rows = db::consent::search(
        pool,
        org_id,
        scope.ids(),
        term,
        size + 1,
        i64::from(page) * size,
    )
    .await?;
    let (rows, has_next) = split_page(rows, SUBJECTS_PAGE_SIZE as usize);
    Ok(SubjectSearch {
        rows,
        page,
        has_next,
    })
}

/// The subject as the audit trail names them: their external id in their account.
pub fn subject_label(subject: &SubjectRow) -> String {
    format!("{} in {}", subject.external_id, subject.account)
}

/// Records that `actor` looked at, exported or changed the subject.
async fn audit_subject(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    subject: &SubjectRow,
    action: &'static str,
    after: Option<Value>,
    reason: Option<String>,
) -> Result<(), AppError> {
    db::audit::record(
        tx,
        actor,
        Change {
            action,
            target_type: "data_subject",
            target_id: Some(subject.id.to_string()),
            target_label: subject_label(subject),
            before: None,
            after,
            reason,
        },
    )
    .await?;
    Ok(())
}

/// A subject within the caller's accounts; one outside them is as good as absent.
pub async fn find(
    pool: &PgPool,
    org_id: Uuid,
    scope: &AccountScope,
    id: Uuid,
) -> Result<SubjectRow, AppError> {
    db::consent::subject(pool, org_id, id)
        .await?
        .filter(|s| scope.allows(s.account_id))
        .ok_or_else(|| AppError::NotFound("There is no such data subject.".into()))
}

/// What the caller may do on a subject's page.
#[derive(Debug, Clone, Copy)]
pub struct SubjectRights {
    pub record: bool,
    pub open_request: bool,
}

/// The subject page; the look is audited first, so it shows among the accesses.
pub async fn detail(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
    id: Uuid,
    rights: SubjectRights,
) -> Result<SubjectDetail, AppError> {
    let subject = find(pool, actor.org_id, scope, id).await?;
    let erased = subject.pseudonymised_at.is_some();
    let mut tx = pool.begin().await?;
    audit_subject(&mut tx, actor, &subject, "data_subject.viewed", None, None).await?;
    tx.commit().await?;
    let org = actor.org_id;
    let (state, events, accesses, own, requests) = tokio::try_join!(
        db::consent::state(pool, org, id),
        db::consent::history(pool, org, id),
        db::consent::accesses(pool, org, id),
        db::consent::own_purposes(pool, org),
        db::dsr::for_subject(pool, org, id),
    )?;
    let mut purposes = purpose_keys(own);
    for p in events.iter().map(|e| &e.purpose) {
        if !purposes.contains(p) {
            purposes.push(p.clone());
        }
    }
    Ok(SubjectDetail {
        subject,
        channels: CHANNELS.iter().map(|c| c.to_string()).collect(),
        purposes,
        state,
        events,
        accesses,
        requests: with_urgency(requests, Utc::now().date_naive()),
        can_record: rights.record,
        can_open_request: rights.open_request && !erased,
    })
}

/// The subject's consent proof: the subject and every event with every field, oldest
/// first, as JSON or CSV; the export is audited.
pub async fn proof(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
    id: Uuid,
    format: ProofFormat,
) -> Result<String, AppError> {
    let subject = find(pool, actor.org_id, scope, id).await?;
    let mut events = db::consent::history(pool, actor.org_id, id).await?;
    events.reverse();
    let body = match format {
        ProofFormat::Json => serde_json::to_string_pretty(&serde_json::json!({
            "subject": subject,
            "exported_at": Utc::now(),
            "events": events,
        }))
        .map_err(AppError::internal)?,
        ProofFormat::Csv => proof_csv(&subject, &events)?,
    };
    let mut tx = pool.begin().await?;
    let after = serde_json::json!({ "format": format.name(), "events": events.len() });
    audit_subject(
        &mut tx,
        actor,
        &subject,
        "data_subject.exported",
        Some(after),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(body)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofFormat {
    Json,
    Csv,
}

impl ProofFormat {
    pub fn name(self) -> &'static str {
        match self {
            ProofFormat::Json => "json",
            ProofFormat::Csv => "csv",
        }
    }
}

fn proof_csv(subject: &SubjectRow, events: &[ConsentEventRow]) -> Result<String, AppError> {
    let mut w = CsvFile::new([
        "subject_id",
        "account",
        "subject_external_id",
        "event_id",
        "occurred_at_utc",
        "recorded_at_utc",
        "channel",
        "purpose",
        "status",
        "lawful_basis",
        "method",
        "source_system",
        "notice_version",
        "notice_sha256",
        "language",
        "jurisdiction",
        "recorded_by",
        "source_event_id",
        "reason",
        "evidence",
    ])?;
    for e in events {
        w.row([
            subject.id.to_string(),
            subject.account.clone(),
            subject.external_id.clone(),
            e.id.to_string(),
            e.occurred_at.to_rfc3339(),
            e.recorded_at.to_rfc3339(),
            e.channel.clone(),
            e.purpose.clone(),
            e.status.clone(),
            e.lawful_basis.clone(),
            e.method.clone(),
            e.source_system.clone(),
            e.notice_version.clone(),
            e.notice_sha256.clone(),
            e.language.clone(),
            e.jurisdiction.clone(),
            e.recorded_by.clone(),
            e.source_event_id.clone().unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            e.evidence.to_string(),
        ])?;
    }
    w.finish()
}

/// A DPO's event, as the form sends it.
pub struct HandEvent<'a> {
    pub channel: &'a str,
    pub purpose: &'a str,
    pub status: &'a str,
    pub lawful_basis: &'a str,
    pub method: &'a str,
    pub notice_version: &'a str,
    pub notice_sha256: &'a str,
    pub language: &'a str,
    pub jurisdiction: &'a str,
}

/// Records an event by hand (now, with a reason), the state and the audit event in one
/// transaction.
pub async fn record_by_hand(
    pool: &PgPool,
    actor: &Actor,
    (scope, recorder): (&AccountScope, Uuid),
    subject: Uuid,
    form: &HandEvent<'_>,
    reason: &str,
) -> Result<(), AppError> {
    let found = find(pool, actor.org_id, scope, subject).await?;
    if found.pseudonymised_at.is_some() {
        return Err(erased());
    }
    let reason = crate::service::grants::parse_reason(reason)?;
    let now = Utc::now();
    let value = serde_json::json!({
        "id": "by-hand", "subject": found.external_id, "account": found.account,
        "channel": form.channel, "purpose": form.purpose, "status": form.status,
        "lawful_basis": form.lawful_basis, "method": form.method, "source": "Gatehouse console",
        "notice_version": form.notice_version, "notice_sha256": form.notice_sha256,
        "language": form.language, "jurisdiction": form.jurisdiction, "at": now.to_rfc3339(),
    });
    let event = parse_event(&value, now).map_err(|m| AppError::invalid("event", m))?;
    let known = purpose_keys(db::consent::own_purposes(pool, actor.org_id).await?);
    if !known.contains(&event.purpose) {
        return Err(AppError::invalid(
            "purpose",
            format!(
                "\u{201c}{}\u{201d} is not a purpose of this organisation.",
                event.purpose
            ),
        ));
    }
    let mut tx = pool.begin().await?;
    // Checked on the locked row, so an erasure cannot slip in between.
    let subject = db::consent::subject_for_update(&mut tx, actor.org_id, found.id)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such data subject.".into()))?;
    if subject.pseudonymised_at.is_some() {
        return Err(erased());
    }
    let id = db::consent::record_by_hand(
        &mut tx,
        actor.org_id,
        subject.id,
        &event,
        (recorder, &actor.label),
        &reason,
    )
    .await?;
    let after = serde_json::json!({
        "event": id, "channel": event.channel, "purpose": event.purpose, "status": event.status.as_str(),
    });
    audit_subject(
        &mut tx,
        actor,
        &subject,
        "consent.recorded",
        Some(after),
        Some(reason),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn erased() -> AppError {
    AppError::Conflict(
        "This subject was erased; their history stays as proof and takes no new events.".into(),
    )
}

/// Months the account's chart covers, this one included.
pub const CHART_MONTHS: u32 = 12;

/// The accounts whose consent the caller may see.
pub async fn accounts(
    pool: &PgPool,
    org_id: Uuid,
    scope: &AccountScope,
) -> Result<Vec<AccountRef>, AppError> {
    Ok(db::consent::accounts(pool, org_id, scope.ids()).await?)
}

/// The first day of each of the `n` months up to the one `today` is in, oldest first.
pub fn last_months(today: chrono::NaiveDate, n: u32) -> Vec<chrono::NaiveDate> {
    let this = today.with_day(1).unwrap_or(today);
    (0..n)
        .rev()
        .filter_map(|back| this.checked_sub_months(chrono::Months::new(back)))
        .collect()
}

/// One account's consent: opt-ins and withdrawals per month on a channel and purpose
/// (empty: all), its subjects and those who withdrew marketing, and who may export or
/// message its contacts.
pub async fn account(
    pool: &PgPool,
    org_id: Uuid,
    scope: &AccountScope,
    account_id: Uuid,
    (channel, purpose): (&str, &str),
) -> Result<AccountConsent, AppError> {
    let not_found = || AppError::NotFound("There is no such account.".into());
    if !scope.allows(account_id) {
        return Err(not_found());
    }
    let channel = channel.trim();
    if !(channel.is_empty() || CHANNELS.contains(&channel)) {
        return Err(AppError::invalid("channel", "Choose one of the channels."));
    }
    let account = db::consent::accounts(pool, org_id, Some(&[account_id]))
        .await?
        .pop()
        .ok_or_else(not_found)?;
    let months = last_months(Utc::now().date_naive(), CHART_MONTHS);
    let since = months[0].and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let purpose = purpose.trim();
    let (monthly, (subjects, withdrawn_marketing), holders, own) = tokio::try_join!(
        db::consent::monthly(pool, org_id, account_id, since, (channel, purpose)),
        db::consent::withdrawn_marketing(pool, org_id, account_id),
        db::consent::contact_holders(pool, org_id, account_id),
        db::consent::own_purposes(pool, org_id),
    )?;
    let figure = |pick: fn(&(chrono::NaiveDate, i64, i64)) -> i64| -> Vec<i64> {
        months
            .iter()
            .map(|m| monthly.iter().find(|r| r.0 == *m).map(pick).unwrap_or(0))
            .collect()
    };
    Ok(AccountConsent {
        account_id,
        account: account.name,
        channel: channel.to_string(),
        purpose: purpose.to_string(),
        channels: CHANNELS.iter().map(|c| c.to_string()).collect(),
        purposes: purpose_keys(own),
        opt_ins: figure(|r| r.1),
        withdrawals: figure(|r| r.2),
        months,
        subjects,
        withdrawn_marketing,
        holders,
    })
}

/// The keys of the built-in purposes, then of the organisation's own.
fn purpose_keys(own: Vec<Purpose>) -> Vec<String> {
    BUILT_IN_PURPOSES
        .iter()
        .map(|k| k.to_string())
        .chain(own.into_iter().map(|p| p.key))
        .collect()
}

/// The built-in purposes, then the organisation's own.
pub async fn purposes(pool: &PgPool, org_id: Uuid) -> Result<Vec<Purpose>, AppError> {
    let mut all: Vec<Purpose> = BUILT_IN_PURPOSES
        .iter()
        .map(|k| Purpose {
            key: k.to_string(),
            label: k.replace('_', " "),
            built_in: true,
        })
        .collect();
    all.extend(db::consent::own_purposes(pool, org_id).await?);
    Ok(all)
}

/// Adds a purpose of the organisation's own, audited.
pub async fn add_purpose(
    pool: &PgPool,
    actor: &Actor,
    key: &str,
    label: &str,
) -> Result<(), AppError> {
    let key = key.trim();
    if !rules::consent::is_purpose_key(key) {
        return Err(AppError::invalid(
            "key",
            "A purpose key is lower-case letters, digits and underscores, starting with a letter (60 at most), such as loyalty_programme.",
        ));
    }
    let label = rules::validation::Name::parse("label", "label", label, 120)?;
    if BUILT_IN_PURPOSES.contains(&key) {
        return Err(AppError::invalid(
            "key",
            "That purpose is built in already.",
        ));
    }
    let mut tx = pool.begin().await?;
    if !db::consent::add_purpose(&mut tx, actor.org_id, key, label.as_str()).await? {
        return Err(AppError::invalid(
            "key",
            "The organisation has that purpose already.",
        ));
    }
    db::audit::record(
        &mut tx,
        actor,
        Change {
            action: "consent_purpose.created",
            target_type: "consent_purpose",
            target_id: Some(key.to_string()),
            target_label: label.as_str().to_string(),
            before: None,
            after: Some(serde_json::json!({ "key": key, "label": label.as_str() })),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_covers_the_months_up_to_this_one() {
        let months = last_months("2026-02-14".parse().unwrap(), 12);
        assert_eq!(months.len(), 12);
        assert_eq!(months[0].to_string(), "2025-03-01");
        assert_eq!(months[11].to_string(), "2026-02-01");
    }
}

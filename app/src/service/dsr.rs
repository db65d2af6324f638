//! Data-subject requests: opened from the subject's page, taken through identity check
//! and work to completion or rejection, extended with a reason, and answered by what
//! their kind asks — an export of everything held, a correction with before and after,
//! an erasure that leaves only pseudonymised proof, or the DPO's note. Every look and
//! change is audited, in the change's own transaction.

use chrono::{NaiveDate, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::dsr::{Locked, NewRequest, Show};
use crate::error::AppError;
use crate::model::dsr::{DsrDetail, DsrList, DsrRow, DSR_PAGE_SIZE};
use crate::service::consent::{find, subject_label};
use crate::service::grants::parse_reason;
use crate::service::split_page;
use rules::console::AccountScope;
use rules::dsr::{
    check_extension, due_on, next_status, parse_received, pseudonym, urgency, DsrKind, DsrStatus,
    DsrStep, ARRIVED_BY, MAX_EXTENSION_DAYS, MAX_RESPONSE_DAYS,
};
use rules::validation::{Email, Name};

fn not_found() -> AppError {
    AppError::NotFound("There is no such data-subject request.".into())
}

/// Whether an access request's export was downloaded.
fn exported(outcome: Option<&Value>) -> bool {
    outcome.is_some_and(|o| o.get("exported_at").is_some())
}

/// The request as the audit trail names it: its number and kind, never the subject.
fn label(number: i64, kind: DsrKind) -> String {
    format!("DSR-{number} ({})", kind.as_str())
}

async fn audit(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    (id, number, kind): (Uuid, i64, DsrKind),
    action: &'static str,
    after: Option<Value>,
    reason: Option<String>,
) -> Result<(), AppError> {
    db::audit::record(
        tx,
        actor,
        Change {
            action,
            target_type: "data_subject_request",
            target_id: Some(id.to_string()),
            target_label: label(number, kind),
            before: None,
            after,
            reason,
        },
    )
    .await?;
    Ok(())
}

/// The `/dsr` list; the look is audited.
pub async fn list(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
    (show, kind, page): (&str, &str, u32),
    can_manage: bool,
) -> Result<DsrList, AppError> {
    let show = Show::parse(show).ok_or_else(|| {
        AppError::invalid(
            "show",
            "Choose open, overdue, due soon, closed or all requests.",
        )
    })?;
    let kind = match kind.trim() {
        "" => None,
        k => Some(DsrKind::parse(k).ok_or_else(|| {
            AppError::invalid(
                "kind",
                format!("\u{201c}{k}\u{201d} is not a kind of request."),
            )
        })?),
    };
    let today = Utc::now().date_naive();
    let size = i64::from(DSR_PAGE_SIZE);
    let org = actor.org_id;
    let (rows, (open, overdue, due_soon), response_days) = tokio::try_join!(
        db::dsr::list(
            pool,
            org,
            scope.ids(),
            (show, kind),
            today,
            size + 1,
            i64::from(page) * size
        ),
        db::dsr::counts(pool, org, scope.ids(), today),
        db::dsr::response_days(pool, org),
    )?;
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
            after: Some(json!({ "page": page, "rows": rows.len().min(DSR_PAGE_SIZE as usize) })),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    let (rows, has_next) = split_page(rows, DSR_PAGE_SIZE as usize);
    Ok(DsrList {
        rows: crate::model::dsr::with_urgency(rows, today),
        page,
        has_next,
        open,
        overdue,
        due_soon,
        response_days,
        can_manage,
    })
}

/// One request within the caller's accounts, or not found.
async fn find_request(
    pool: &PgPool,
    org_id: Uuid,
    scope: &AccountScope,
    id: Uuid,
) -> Result<(DsrRow, crate::model::consent::SubjectRow), AppError> {
    let row = db::dsr::row(pool, org_id, id)
        .await?
        .ok_or_else(not_found)?;
    let subject = find(pool, org_id, scope, row.subject_id)
        .await
        .map_err(|_| not_found())?;
    Ok((row, subject))
}

/// The request's page; the look is audited.
pub async fn detail(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
    id: Uuid,
    can_manage: bool,
) -> Result<DsrDetail, AppError> {
    let (row, subject) = find_request(pool, actor.org_id, scope, id).await?;
    let mut tx = pool.begin().await?;
    audit(
        &mut tx,
        actor,
        (row.id, row.number, row.kind),
        "data_subject_request.viewed",
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    let facts = db::dsr::facts(pool, actor.org_id, id).await?;
    let today = Utc::now().date_naive();
    let exported = exported(facts.outcome.as_ref());
    let mut row = row;
    row.urgency = urgency(row.status, row.due, today);
    Ok(DsrDetail {
        latest_extension: facts.due_on + chrono::Duration::days(MAX_EXTENSION_DAYS),
        row,
        facts,
        subject,
        exported,
        can_manage,
    })
}

/// What a DPO writes when opening a request.
pub struct Opening<'a> {
    pub kind: &'a str,
    pub received_on: &'a str,
    pub arrived_by: &'a str,
    pub details: &'a str,
}

/// Opens a request for a subject; due the organisation's response days after it was
/// received. Answers its id.
pub async fn open(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
    opener: Uuid,
    subject: Uuid,
    form: &Opening<'_>,
) -> Result<Uuid, AppError> {
    let subject = find(pool, actor.org_id, scope, subject).await?;
    if subject.pseudonymised_at.is_some() {
        return Err(AppError::Conflict(
            "This subject was erased; nothing more is held about them to request.".into(),
        ));
    }
    let kind = DsrKind::parse(form.kind)
        .ok_or_else(|| AppError::invalid("kind", "Choose the kind of request."))?;
    let today = Utc::now().date_naive();
    let received_on =
        parse_received(form.received_on, today).map_err(|m| AppError::invalid("received_on", m))?;
    let arrived_by = form.arrived_by.trim();
    if !ARRIVED_BY.contains(&arrived_by) {
        return Err(AppError::invalid(
            "arrived_by",
            "Choose how the request arrived.",
        ));
    }
    let details: String = form.details.trim().chars().take(4000).collect();
    let days = db::dsr::response_days(pool, actor.org_id).await?;
    let request = NewRequest {
        subject: subject.id,
        kind,
        received_on,
        due_on: due_on(received_on, days),
        arrived_by,
        details: &details,
    };
    let mut tx = pool.begin().await?;
    let (id, number) =
        db::dsr::open(&mut tx, actor.org_id, &request, (opener, &actor.label)).await?;
    let after = json!({
        "subject": subject.id, "kind": kind.as_str(), "received_on": received_on,
        "due_on": request.due_on, "arrived_by": arrived_by,
    });
    audit(
        &mut tx,
        actor,
        (id, number, kind),
        "data_subject_request.opened",
        Some(after),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Locks a request within the caller's accounts.
async fn lock(
    tx: &mut db::Tx<'_>,
    org_id: Uuid,
    scope: &AccountScope,
    id: Uuid,
) -> Result<Locked, AppError> {
    match db::dsr::lock(tx, org_id, id).await? {
        Some(r) if scope.allows(r.account_id) => Ok(r),
        _ => Err(not_found()),
    }
}

fn step_action(status: DsrStatus) -> &'static str {
    match status {
        DsrStatus::Received => "data_subject_request.received",
        DsrStatus::IdentityVerified => "data_subject_request.identity_verified",
        DsrStatus::InProgress => "data_subject_request.started",
        DsrStatus::Completed => "data_subject_request.completed",
        DsrStatus::Rejected => "data_subject_request.rejected",
    }
}

/// Verify identity, start, reject (with a reason), or complete an access request once
/// its export was downloaded, or a restriction or objection with a note of what was done.
/// Rectification and erasure complete by being carried out.
pub async fn step(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
    id: Uuid,
    step: &str,
    note: &str,
) -> Result<(), AppError> {
    let step = DsrStep::parse(step).ok_or_else(|| AppError::BadRequest("unknown step".into()))?;
    let mut tx = pool.begin().await?;
    let r = lock(&mut tx, actor.org_id, scope, id).await?;
    let status = next_status(r.status, step).map_err(AppError::Conflict)?;
    let (reason, outcome) = match step {
        DsrStep::Reject => (Some(parse_reason(note)?), None),
        DsrStep::Complete => match r.kind {
            DsrKind::Access => {
                if !exported(r.outcome.as_ref()) {
                    return Err(AppError::Conflict(
                        "Download the export first: it is what the subject receives.".into(),
                    ));
                }
                (None, None)
            }
            DsrKind::Restriction | DsrKind::Objection => {
                let note = note.trim();
                if note.chars().count() < 10 {
                    return Err(AppError::invalid(
                        "note",
                        "Say what was done, in at least 10 characters: it is kept with the request.",
                    ));
                }
                let note: String = note.chars().take(2000).collect();
                (None, Some(json!({ "note": note })))
            }
            DsrKind::Rectification => {
                return Err(AppError::Conflict(
                    "Enter the corrected details below: saving them completes the request.".into(),
                ))
            }
            DsrKind::Erasure => {
                return Err(AppError::Conflict(
                    "Carry out the erasure below: it completes the request.".into(),
                ))
            }
        },
        DsrStep::VerifyIdentity | DsrStep::Start => (None, None),
    };
    db::dsr::set_status(
        &mut tx,
        actor.org_id,
        id,
        status,
        reason.as_deref(),
        outcome.as_ref(),
    )
    .await?;
    let after = json!({ "status": status.as_str() });
    audit(
        &mut tx,
        actor,
        (id, r.number, r.kind),
        step_action(status),
        Some(after),
        reason,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Extends an open request's due date, with a reason.
pub async fn extend(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
    id: Uuid,
    to: &str,
    reason: &str,
) -> Result<(), AppError> {
    let to: NaiveDate = to
        .trim()
        .parse()
        .map_err(|_| AppError::invalid("to", "Give the new due date as YYYY-MM-DD."))?;
    let reason = parse_reason(reason)?;
    let mut tx = pool.begin().await?;
    let r = lock(&mut tx, actor.org_id, scope, id).await?;
    if r.status.is_closed() {
        return Err(AppError::Conflict("This request is closed.".into()));
    }
    check_extension(r.due_on, r.extended_to.unwrap_or(r.due_on), to)
        .map_err(|m| AppError::invalid("to", m))?;
    db::dsr::extend(&mut tx, actor.org_id, id, to, &reason).await?;
    let before = json!({ "due": r.extended_to.unwrap_or(r.due_on) });
    db::audit::record(
        &mut tx,
        actor,
        Change {
            action: "data_subject_request.extended",
            target_type: "data_subject_request",
            target_id: Some(id.to_string()),
            target_label: label(r.number, r.kind),
            before: Some(before),
            after: Some(json!({ "due": to })),
            reason: Some(reason),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A request of `kind` that is in progress, locked.
async fn in_progress(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    scope: &AccountScope,
    id: Uuid,
    kind: DsrKind,
) -> Result<Locked, AppError> {
    let r = lock(tx, actor.org_id, scope, id).await?;
    if r.kind != kind {
        return Err(AppError::Conflict(format!(
            "This is {} request, not {}.",
            r.kind.label().to_lowercase(),
            kind.label().to_lowercase()
        )));
    }
    if r.status != DsrStatus::InProgress {
        return Err(AppError::Conflict(match r.status {
            DsrStatus::Received => "Verify the requester's identity and start work first.".into(),
            DsrStatus::IdentityVerified => "Start work on the request first.".into(),
            s => format!("This request is {} already.", s.label().to_lowercase()),
        }));
    }
    Ok(r)
}

/// The subject of a request being carried out, locked in `tx`.
async fn subject_in(
    tx: &mut db::Tx<'_>,
    org_id: Uuid,
    scope: &AccountScope,
    id: Uuid,
) -> Result<crate::model::consent::SubjectRow, AppError> {
    db::consent::subject_for_update(tx, org_id, id)
        .await?
        .filter(|s| scope.allows(s.account_id))
        .ok_or_else(|| AppError::NotFound("There is no such data subject.".into()))
}

/// Everything Gatehouse holds about the subject of an access request, as JSON: the
/// subject, the current consent, every consent event, their requests and every console
/// look at, export of or change to them. The download is audited and noted on the request
/// (with the export's SHA-256), which may then be completed.
pub async fn access_export(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
    id: Uuid,
) -> Result<String, AppError> {
    let org = actor.org_id;
    let mut tx = pool.begin().await?;
    let r = in_progress(&mut tx, actor, scope, id, DsrKind::Access).await?;
    let subject = subject_in(&mut tx, org, scope, r.subject_id).await?;
    // Read on the transaction's own connection: nothing waits for a second one while
    // the request is locked.
    let state = db::consent::state(&mut *tx, org, subject.id).await?;
    let events = db::consent::history(&mut *tx, org, subject.id).await?;
    let requests = db::dsr::for_subject(&mut *tx, org, subject.id).await?;
    let accesses = db::consent::accesses(&mut *tx, org, subject.id).await?;
    let now = Utc::now();
    let body = serde_json::to_string_pretty(&json!({
        "request": label(r.number, r.kind),
        "exported_at": now,
        "subject": subject,
        "current_consent": state,
        "consent_events": events,
        "data_subject_requests": requests,
        "console_access": accesses,
    }))
    .map_err(AppError::internal)?;
    let sha256 = hex::encode(Sha256::digest(body.as_bytes()));
    let outcome = json!({ "exported_at": now, "sha256": sha256, "consent_events": events.len() });
    db::dsr::set_outcome(&mut tx, org, id, &outcome).await?;
    db::audit::record(
        &mut tx,
        actor,
        Change {
            action: "data_subject.exported",
            target_type: "data_subject",
            target_id: Some(subject.id.to_string()),
            target_label: subject_label(&subject),
            before: None,
            after: Some(json!({ "format": "access_export", "request": label(r.number, r.kind), "sha256": sha256 })),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(body)
}

/// The corrected details a DPO enters; blank fields stay as they are.
pub struct Correction<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub country: &'a str,
}

/// Corrects the subject's details and completes the rectification request, keeping
/// each changed field before and after on the request and in the audit trail.
pub async fn rectify(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
    id: Uuid,
    form: &Correction<'_>,
) -> Result<(), AppError> {
    let email = match form.email.trim() {
        "" => None,
        raw => Some(Email::parse("email", raw)?.as_str().to_string()),
    };
    let name = match form.name.trim() {
        "" => None,
        raw => Some(Name::parse("name", "name", raw, 200)?.as_str().to_string()),
    };
    let country = match form.country.trim() {
        "" => None,
        raw => {
            let c = raw.to_uppercase();
            if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
                return Err(AppError::invalid(
                    "country",
                    "Give the country as its two-letter code, such as PT or DE.",
                ));
            }
            Some(c)
        }
    };
    let mut tx = pool.begin().await?;
    let r = in_progress(&mut tx, actor, scope, id, DsrKind::Rectification).await?;
    let subject = subject_in(&mut tx, actor.org_id, scope, r.subject_id).await?;
    if subject.pseudonymised_at.is_some() {
        return Err(AppError::Conflict(
            "This subject was erased: nothing identifies them any more, and rectifying would \
             identify them again. Reject the request with that reason."
                .into(),
        ));
    }
    let mut before = serde_json::Map::new();
    let mut after = serde_json::Map::new();
    for (field, old, new) in [
        ("email", &subject.email, &email),
        ("name", &subject.name, &name),
        ("country", &subject.country, &country),
    ] {
        if let Some(new) = new {
            if old.as_ref() != Some(new) {
                before.insert(field.into(), json!(old));
                after.insert(field.into(), json!(new));
            }
        }
    }
    if after.is_empty() {
        return Err(AppError::invalid(
            "email",
            "Nothing differs from what is held: enter the corrected email, name or country.",
        ));
    }
    let changed = (email.as_deref(), name.as_deref(), country.as_deref());
    db::dsr::rectify(&mut tx, actor.org_id, subject.id, changed).await?;
    let (before, after) = (Value::Object(before), Value::Object(after));
    let outcome = json!({ "before": before, "after": after });
    let change = Change {
        action: "data_subject.rectified",
        target_type: "data_subject",
        target_id: Some(subject.id.to_string()),
        target_label: subject_label(&subject),
        before: Some(before),
        after: Some(after),
        reason: Some(label(r.number, r.kind)),
    };
    finish(tx, actor, (id, &r), outcome, change).await
}

/// Completes a request carried out in `tx` with its outcome, and records what was done
/// to the subject and the completion; commits.
async fn finish(
    mut tx: db::Tx<'_>,
    actor: &Actor,
    (id, r): (Uuid, &Locked),
    outcome: Value,
    done_to_subject: Change<'_>,
) -> Result<(), AppError> {
    let org = actor.org_id;
    db::dsr::set_status(&mut tx, org, id, DsrStatus::Completed, None, Some(&outcome)).await?;
    db::audit::record(&mut tx, actor, done_to_subject).await?;
    let done = json!({ "status": DsrStatus::Completed.as_str() });
    let request = (id, r.number, r.kind);
    audit(
        &mut tx,
        actor,
        request,
        "data_subject_request.completed",
        Some(done),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Erases the subject of an erasure request (`confirm` must be the request's number, as
/// DSR-n) and completes it, in one transaction: see `db::dsr::erase`.
pub async fn erase(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
    id: Uuid,
    confirm: &str,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let r = in_progress(&mut tx, actor, scope, id, DsrKind::Erasure).await?;
    let number = format!("DSR-{}", r.number);
    if !confirm.trim().eq_ignore_ascii_case(&number) {
        return Err(AppError::invalid(
            "confirm",
            format!("Type {number} to confirm: erasure cannot be undone."),
        ));
    }
    let pseudonym = pseudonym(Uuid::new_v4());
    let erased = db::dsr::erase(&mut tx, actor.org_id, r.subject_id, &pseudonym).await?;
    let outcome = json!({ "pseudonym": pseudonym, "erased": erased });
    let change = Change {
        action: "data_subject.erased",
        target_type: "data_subject",
        target_id: Some(r.subject_id.to_string()),
        target_label: pseudonym.clone(),
        before: None,
        after: Some(outcome.clone()),
        reason: Some(label(r.number, r.kind)),
    };
    finish(tx, actor, (id, &r), outcome, change).await
}

/// Sets how many days requests may take (from the next one opened).
pub async fn set_response_days(pool: &PgPool, actor: &Actor, days: &str) -> Result<i64, AppError> {
    let days: i64 = days
        .trim()
        .parse()
        .ok()
        .filter(|d| (1..=MAX_RESPONSE_DAYS).contains(d))
        .ok_or_else(|| {
            AppError::invalid(
                "days",
                format!("Give a whole number of days from 1 to {MAX_RESPONSE_DAYS}."),
            )
        })?;
    let mut tx = pool.begin().await?;
    let before = db::dsr::set_response_days(&mut tx, actor.org_id, days).await?;
    db::audit::record(
        &mut tx,
        actor,
        Change {
            action: "organisation.updated",
            target_type: "organisation",
            target_id: Some(actor.org_id.to_string()),
            target_label: "data-subject request response days".into(),
            before: Some(json!({ "dsr_response_days": before })),
            after: Some(json!({ "dsr_response_days": days })),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(days)
}

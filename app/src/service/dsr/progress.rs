//! Moving a request through its steps, and extending its deadline.

use chrono::NaiveDate;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::error::AppError;
use crate::service::grants::parse_reason;
use rules::audit::AuditAction;
use rules::console::AccountScope;
use rules::dsr::{check_extension, next_status, DsrKind, DsrStatus, DsrStep};

use super::{exported, label, lock, request_event};

fn step_action(status: DsrStatus) -> AuditAction {
    match status {
        DsrStatus::Received => AuditAction::SubjectRequestReceived,
        DsrStatus::IdentityVerified => AuditAction::SubjectRequestIdentityVerified,
        DsrStatus::InProgress => AuditAction::SubjectRequestStarted,
        DsrStatus::Completed => AuditAction::SubjectRequestCompleted,
        DsrStatus::Rejected => AuditAction::SubjectRequestRejected,
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
    db::audit::record(
        &mut tx,
        actor,
        request_event(step_action(status), (id, r.number, r.kind))
            .after(after)
            .because(reason),
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
        Change::on(
            AuditAction::SubjectRequestExtended,
            id,
            label(r.number, r.kind),
        )
        .before(before)
        .after(json!({ "due": to }))
        .because(reason),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

//! Data-subject requests: opened from the subject's page, taken through identity check
//! and work to completion or rejection, extended with a reason, and answered by what
//! their kind asks — an export of everything held, a correction with before and after,
//! an erasure that leaves only pseudonymised proof, or the DPO's note. Every look and
//! change is audited, in the change's own transaction.

mod access;
mod erase;
mod list;
mod open;
mod progress;
mod rectify;
mod settings;

pub use access::access_export;
pub use erase::erase;
pub use list::{detail, list};
pub use open::{open, Opening};
pub use progress::{extend, step};
pub use rectify::{rectify, Correction};
pub use settings::set_response_days;

use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::dsr::Locked;
use crate::error::AppError;
use crate::model::dsr::DsrRow;
use crate::service::consent::find;
use rules::audit::AuditAction;
use rules::console::AccountScope;
use rules::dsr::{DsrKind, DsrStatus};

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

/// An event about the request, named by its number and kind.
fn request_event(action: AuditAction, (id, number, kind): (Uuid, i64, DsrKind)) -> Change {
    Change::on(action, id, label(number, kind))
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

/// Completes a request carried out in `tx` with its outcome, and records what was done
/// to the subject and the completion; commits.
async fn finish(
    mut tx: db::Tx<'_>,
    actor: &Actor,
    (id, r): (Uuid, &Locked),
    outcome: Value,
    done_to_subject: Change,
) -> Result<(), AppError> {
    let org = actor.org_id;
    db::dsr::set_status(&mut tx, org, id, DsrStatus::Completed, None, Some(&outcome)).await?;
    db::audit::record(&mut tx, actor, done_to_subject).await?;
    let done = json!({ "status": DsrStatus::Completed.as_str() });
    let request = (id, r.number, r.kind);
    db::audit::record(
        &mut tx,
        actor,
        request_event(AuditAction::SubjectRequestCompleted, request).after(done),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

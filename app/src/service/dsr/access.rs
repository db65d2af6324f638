//! Answering an access request: the subject's data as an export.

use chrono::Utc;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::error::AppError;
use crate::service::consent::subject_label;
use rules::audit::AuditAction;
use rules::console::AccountScope;
use rules::dsr::DsrKind;

use super::{in_progress, label, subject_in};

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
        Change::on(AuditAction::SubjectExported, subject.id, subject_label(&subject)).after(json!({ "format": "access_export", "request": label(r.number, r.kind), "sha256": sha256 })),
    )
    .await?;
    tx.commit().await?;
    Ok(body)
}

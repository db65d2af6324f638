//! Opening a data-subject request for a subject.

use chrono::Utc;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::Actor;
use crate::db::dsr::NewRequest;
use crate::error::AppError;
use crate::service::consent::find;
use rules::audit::AuditAction;
use rules::console::AccountScope;
use rules::dsr::{due_on, parse_received, DsrKind, ARRIVED_BY};

use super::request_event;

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
    subject: Uuid,
    form: &Opening<'_>,
) -> Result<Uuid, AppError> {
    let opener = crate::service::person(actor)?;
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
    db::audit::record(
        &mut tx,
        actor,
        request_event(AuditAction::SubjectRequestOpened, (id, number, kind)).after(after),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

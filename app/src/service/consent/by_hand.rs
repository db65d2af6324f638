//! A consent event a DPO records by hand, with a reason.

use chrono::Utc;
use sqlx::PgPool;

use crate::db;
use crate::db::audit::Actor;
use crate::error::AppError;
use crate::model::consent::HandEvent;
use rules::audit::AuditAction;
use rules::consent::parse_event;
use rules::console::AccountScope;

use super::{erased, find, purpose_keys, subject_event};

/// Records an event by hand (now, with a reason), the state and the audit event in one
/// transaction.
pub async fn record_by_hand(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
    form: &HandEvent,
) -> Result<(), AppError> {
    let recorder = crate::service::person(actor)?;
    let found = find(pool, actor.org_id, scope, form.subject).await?;
    if found.pseudonymised_at.is_some() {
        return Err(erased());
    }
    let reason = crate::service::grants::parse_reason(&form.reason)?;
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
    db::audit::record(
        &mut tx,
        actor,
        subject_event(AuditAction::ConsentRecorded, &subject)
            .after(after)
            .because(reason),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

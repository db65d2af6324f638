//! One subject's page: their consent per channel and purpose, history and accesses.

use chrono::Utc;
use sqlx::PgPool;

use uuid::Uuid;

use crate::db;
use crate::db::audit::Actor;
use crate::error::AppError;
use crate::model::consent::SubjectDetail;
use crate::model::dsr::with_urgency;
use rules::audit::AuditAction;
use rules::consent::CHANNELS;
use rules::console::AccountScope;

use super::{find, purpose_keys, subject_event};

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
    db::audit::record(
        &mut tx,
        actor,
        subject_event(AuditAction::SubjectViewed, &subject),
    )
    .await?;
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

//! Consent histories: events sent with an application token (every event gets an
//! answer — recorded, duplicate, or rejected with the reason — and a bad event never
//! stops the others), and the DPO's console: search, the subject page, the proof export
//! and events recorded by hand, every look and change audited.

mod attention;
mod by_hand;
mod figures;
mod ingest;
mod proof;
mod purposes;
mod search;
mod subject;

pub use attention::attention;
pub use by_hand::record_by_hand;
pub use figures::{account, accounts, last_months, CHART_MONTHS};
pub use ingest::ingest;
pub use proof::{proof, ProofFormat};
pub use purposes::{add_purpose, purposes};
pub use search::search;
pub use subject::{detail, SubjectRights};

use sqlx::PgPool;

use uuid::Uuid;

use crate::db;
use crate::db::audit::Change;
use crate::error::AppError;
use crate::model::consent::{Purpose, SubjectRow};
use rules::audit::AuditAction;
use rules::consent::BUILT_IN_PURPOSES;
use rules::console::AccountScope;

/// The subject as the audit trail names them: their external id in their account.
pub fn subject_label(subject: &SubjectRow) -> String {
    format!("{} in {}", subject.external_id, subject.account)
}

/// An event about the subject: looked at, exported or changed.
fn subject_event(action: AuditAction, subject: &SubjectRow) -> Change {
    Change::on(action, subject.id, subject_label(subject))
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

fn erased() -> AppError {
    AppError::Conflict(
        "This subject was erased; their history stays as proof and takes no new events.".into(),
    )
}

/// The keys of the built-in purposes, then of the organisation's own.
fn purpose_keys(own: Vec<Purpose>) -> Vec<String> {
    BUILT_IN_PURPOSES
        .iter()
        .map(|k| k.to_string())
        .chain(own.into_iter().map(|p| p.key))
        .collect()
}

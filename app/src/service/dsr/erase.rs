//! Answering an erasure request: the subject pseudonymised everywhere.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::error::AppError;
use rules::audit::AuditAction;
use rules::console::AccountScope;
use rules::dsr::{pseudonym, DsrKind};

use super::{finish, in_progress, label};

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
    let change = Change::on(AuditAction::SubjectErased, r.subject_id, pseudonym.clone())
        .after(outcome.clone())
        .because(label(r.number, r.kind));
    finish(tx, actor, (id, &r), outcome, change).await
}

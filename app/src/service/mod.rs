//! Use cases: each does one thing inside one transaction, writes its audit event in
//! that same transaction, and is called alike from server functions, HTTP handlers
//! and the command line.

pub mod access;
pub mod accounts;
pub mod activity;
pub mod admin;
pub mod audit_chain;
pub mod audit_trail;
pub mod batches;
pub mod birthright;
pub mod consent;
pub mod csv_export;
pub mod dashboard;
pub mod decisions;
pub mod dsr;
pub mod expiry;
pub mod failsafe;
pub mod fields;
pub mod grants;
pub mod hygiene;
pub mod inactivity;
pub mod lifecycle;
pub mod outbound;
pub mod packages;
pub mod passkeys;
pub mod passwords;
pub mod principal_admin;
pub mod principals;
pub mod replica;
pub mod reports;
pub mod requests;
pub mod reviews;
pub mod roles;
pub mod scim;
pub mod second_factor;
pub mod secrets;
pub mod sign_in;
pub mod sign_on;
pub mod sod;
pub mod tokens;
pub mod webhooks;

/// The person an actor is. Use cases only a person may start (requests and their
/// decisions, reviews, data-subject requests, consent recorded by hand) refuse an actor
/// without one, such as a scheduled job.
pub(crate) fn person(
    actor: &crate::db::audit::Actor,
) -> Result<uuid::Uuid, crate::error::AppError> {
    actor
        .principal_id
        .ok_or(crate::error::AppError::Unauthenticated)
}

/// Records, in the caller's transaction, that one of the organisation's settings (`key`,
/// named on the trail as `what`) went from `before` to `after`.
pub(crate) async fn setting_changed<T: serde::Serialize>(
    tx: &mut crate::db::Tx<'_>,
    actor: &crate::db::audit::Actor,
    (what, key): (&str, &str),
    before: T,
    after: T,
) -> Result<(), crate::error::AppError> {
    use crate::db::audit::Change;
    let change = Change::on(
        rules::audit::AuditAction::OrganisationUpdated,
        actor.org_id,
        what,
    )
    .before(serde_json::json!({ key: before }))
    .after(serde_json::json!({ key: after }));
    crate::db::audit::record(tx, actor, change).await?;
    Ok(())
}

/// Pages are read one row longer than they show: the extra row only says whether a
/// next page exists. Returns the rows to show and that answer.
pub fn split_page<T>(mut rows: Vec<T>, size: usize) -> (Vec<T>, bool) {
    let has_next = rows.len() > size;
    rows.truncate(size);
    (rows, has_next)
}

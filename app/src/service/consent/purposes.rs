//! The purposes an organisation asks consent for.

use sqlx::PgPool;

use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::error::AppError;
use crate::model::consent::Purpose;
use rules::audit::AuditAction;
use rules::consent::BUILT_IN_PURPOSES;

/// The built-in purposes, then the organisation's own.
pub async fn purposes(pool: &PgPool, org_id: Uuid) -> Result<Vec<Purpose>, AppError> {
    let mut all: Vec<Purpose> = BUILT_IN_PURPOSES
        .iter()
        .map(|k| Purpose {
            key: k.to_string(),
            label: k.replace('_', " "),
            built_in: true,
        })
        .collect();
    all.extend(db::consent::own_purposes(pool, org_id).await?);
    Ok(all)
}

/// Adds a purpose of the organisation's own, audited.
pub async fn add_purpose(
    pool: &PgPool,
    actor: &Actor,
    key: &str,
    label: &str,
) -> Result<(), AppError> {
    let key = key.trim();
    if !rules::consent::is_purpose_key(key) {
        return Err(AppError::invalid(
            "key",
            "A purpose key is lower-case letters, digits and underscores, starting with a letter (60 at most), such as loyalty_programme.",
        ));
    }
    let label = rules::validation::Name::parse("label", "label", label, 120)?;
    if BUILT_IN_PURPOSES.contains(&key) {
        return Err(AppError::invalid(
            "key",
            "That purpose is built in already.",
        ));
    }
    let mut tx = pool.begin().await?;
    if !db::consent::add_purpose(&mut tx, actor.org_id, key, label.as_str()).await? {
        return Err(AppError::invalid(
            "key",
            "The organisation has that purpose already.",
        ));
    }
    db::audit::record(
        &mut tx,
        actor,
        Change::on(
            AuditAction::ConsentPurposeCreated,
            key,
            label.as_str().to_string(),
        )
        .after(serde_json::json!({ "key": key, "label": label.as_str() })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

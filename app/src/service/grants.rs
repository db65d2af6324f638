//! Granting and revoking access directly (a Governance admin's act, with a reason).
//! Nothing else changes grants.

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::error::AppError;
use crate::model::roles::BundleKind;

/// Shortest reason accepted for a grant or a revocation.
pub const MIN_REASON_CHARS: usize = 10;

pub fn parse_reason(raw: &str) -> Result<String, AppError> {
    let reason = raw.trim();
    if reason.chars().count() < MIN_REASON_CHARS {
        return Err(AppError::invalid(
            "reason",
            format!("Say why, in at least {MIN_REASON_CHARS} characters: it is kept with the grant and in the audit trail."),
        ));
    }
    Ok(reason.chars().take(1000).collect())
}

/// `YYYY-MM-DD` or empty; the grant ends at the start of that day (UTC), which must be in the future.
pub fn parse_end_date(raw: &str, today: NaiveDate) -> Result<Option<NaiveDate>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        AppError::invalid(
            "until",
            format!("\u{201c}{raw}\u{201d} is not a date; use YYYY-MM-DD."),
        )
    })?;
    if date <= today {
        return Err(AppError::invalid(
            "until",
            "The end date must be after today.",
        ));
    }
    Ok(Some(date))
}

pub async fn grant(
    pool: &PgPool,
    actor: &Actor,
    principal_id: Uuid,
    bundle_id: Uuid,
    account: &str,
    until: &str,
    reason: &str,
) -> Result<Uuid, AppError> {
    let reason = parse_reason(reason)?;
    let account_id = super::accounts::parse_choice(account)?;
    let until = parse_end_date(until, Utc::now().date_naive())?;
    let mut tx = pool.begin().await?;
    let principal: Option<(String, String)> =
        sqlx::query_as("SELECT display_name, status::text FROM principals WHERE org_id = $1 AND id = $2 FOR UPDATE")
            .bind(actor.org_id)
            .bind(principal_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((principal_name, status)) = principal else {
        return Err(AppError::NotFound("There is no such principal.".into()));
    };
    if status == "offboarded" {
        return Err(AppError::Conflict(format!(
            "{principal_name} has been offboarded; access cannot be granted."
        )));
    }
    let Some(bundle) = db::grants::bundle(&mut tx, actor.org_id, bundle_id).await? else {
        return Err(AppError::invalid(
            "bundle",
            "Choose a role or permission set from the list.",
        ));
    };
    let (application, max_days, allow_no_end) = (
        &bundle.application,
        bundle.max_grant_days,
        bundle.allow_no_end,
    );
    let kind = if bundle.is_role {
        BundleKind::Role
    } else {
        BundleKind::PermissionSet
    };
    match (until, max_days) {
        (None, _) if !allow_no_end => {
            return Err(AppError::invalid(
                "until",
                format!("{application} needs an end date on every grant."),
            ));
        }
        (Some(date), Some(max)) if (date - Utc::now().date_naive()).num_days() > i64::from(max) => {
            return Err(AppError::invalid(
                "until",
                format!("{application} grants last at most {max} days."),
            ));
        }
        _ => {}
    }
    let account_name = match account_id {
        None => None,
        Some(id) => Some(super::accounts::picked_name(&mut tx, actor.org_id, id).await?),
    };
    let valid_until =
        until.map(|d| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists")));
    let (role_id, permission_set_id) = bundle.columns(bundle_id);
    let id = db::grants::insert(
        &mut tx,
        actor.org_id,
        &db::grants::NewGrant {
            principal_id,
            role_id,
            permission_set_id,
            account_id,
            valid_until,
            granted_by: actor.principal_id,
            reason: &reason,
            source_request_id: None,
        },
    )
    .await?;
    db::audit::record(
        &mut tx,
        actor,
        Change {
            action: "grant.created",
            target_type: "grant",
            target_id: Some(id.to_string()),
            target_label: format!("{principal_name} \u{2192} {}", bundle.name),
            before: None,
            after: Some(json!({
                "principal": principal_name, kind.noun(): bundle.name, "application": application,
                "account": account_name, "valid_until": valid_until,
            })),
            reason: Some(reason),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn revoke(
    pool: &PgPool,
    actor: &Actor,
    grant_id: Uuid,
    reason: &str,
) -> Result<(), AppError> {
    let reason = parse_reason(reason)?;
    let mut tx = pool.begin().await?;
    revoke_in(&mut tx, actor, grant_id, &reason).await?;
    tx.commit().await?;
    Ok(())
}

/// Revokes a grant inside the caller's transaction, with its audit event; `reason` has
/// passed [`parse_reason`].
pub async fn revoke_in(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    grant_id: Uuid,
    reason: &str,
) -> Result<(), AppError> {
    let grant: Option<(String, String, Option<chrono::DateTime<Utc>>)> = sqlx::query_as(
        "SELECT p.display_name, coalesce(r.name, ps.name), g.revoked_at FROM grants g \
         JOIN principals p ON p.org_id = g.org_id AND p.id = g.principal_id \
         LEFT JOIN roles r ON r.org_id = g.org_id AND r.id = g.role_id \
         LEFT JOIN permission_sets ps ON ps.org_id = g.org_id AND ps.id = g.permission_set_id \
         WHERE g.org_id = $1 AND g.id = $2 FOR UPDATE OF g",
    )
    .bind(actor.org_id)
    .bind(grant_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((principal, bundle, revoked_at)) = grant else {
        return Err(AppError::NotFound("There is no such grant.".into()));
    };
    if revoked_at.is_some() {
        return Err(AppError::Conflict(
            "This grant has already been revoked.".into(),
        ));
    }
    sqlx::query("UPDATE grants SET revoked_at = now(), revoked_by = $3, revoke_reason = $4 WHERE org_id = $1 AND id = $2")
        .bind(actor.org_id)
        .bind(grant_id)
        .bind(actor.principal_id)
        .bind(reason)
        .execute(&mut **tx)
        .await?;
    db::audit::record(
        tx,
        actor,
        Change {
            action: "grant.revoked",
            target_type: "grant",
            target_id: Some(grant_id.to_string()),
            target_label: format!("{principal} \u{2192} {bundle}"),
            before: Some(json!({ "revoked": false })),
            after: Some(json!({ "revoked": true })),
            reason: Some(reason.to_string()),
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_must_say_something() {
        assert!(parse_reason("   short  ")
            .unwrap_err()
            .field_message("reason")
            .is_some());
        assert_eq!(
            parse_reason("  Covering the spring campaign ").unwrap(),
            "Covering the spring campaign"
        );
    }

    #[test]
    fn end_dates_are_in_the_future_and_readable() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        assert_eq!(parse_end_date("", today).unwrap(), None);
        assert_eq!(
            parse_end_date("2026-06-02", today).unwrap(),
            NaiveDate::from_ymd_opt(2026, 6, 2)
        );
        assert!(parse_end_date("2026-06-01", today)
            .unwrap_err()
            .field_message("until")
            .is_some());
        assert!(parse_end_date("June", today)
            .unwrap_err()
            .field_message("until")
            .is_some());
    }
}

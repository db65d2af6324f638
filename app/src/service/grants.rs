//! Granting and revoking access directly (a Governance admin's act, with a reason).
//! Nothing else changes grants.

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::error::AppError;
use crate::model::requests::{GrantInput, GrantOutcome, RequestPreview};
use crate::model::roles::BundleKind;
use rules::audit::AuditAction;
use rules::error::RuleError;
use rules::policy::conditions::Conditions;
use rules::principals::PrincipalStatus;
use rules::requests::{parse_justification, RequestedDuration};
use rules::sod::{refusal, SodMode};

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

/// A Governance admin grants access directly, under the rules a request meets: never
/// to themselves; a blocking separation-of-duties rule refuses it; and a console role,
/// a high-impact permission or a rule asking for an extra approval turns it into a
/// request that other approvers decide.
pub async fn grant(
    pool: &PgPool,
    actor: &Actor,
    input: &GrantInput,
) -> Result<GrantOutcome, AppError> {
    let (principal_id, bundle_id) = (input.principal, input.bundle);
    let ask = DirectGrant {
        principal: principal_id,
        bundle: bundle_id,
        account: super::accounts::parse_choice(&input.account)?,
        until: parse_end_date(&input.until, Utc::now().date_naive())?,
        reason: parse_reason(&input.reason)?,
        conditions: Conditions::parse(&input.conditions)?,
    };
    let (account_id, until, reason) = (ask.account, ask.until, ask.reason.clone());
    if actor.principal_id == Some(principal_id) {
        return Err(AppError::invalid(
            "principal",
            "Nobody grants access to themselves: ask for it under Requests, and another approver decides.",
        ));
    }
    let Some(bundle) = db::grants::bundle(pool, actor.org_id, bundle_id).await? else {
        return Err(AppError::invalid(
            "bundle",
            "Choose a role or permission set from the list.",
        ));
    };
    let preview =
        super::requests::preview(pool, actor.org_id, principal_id, bundle_id, account_id).await?;
    if let Some(refused) = refusal(&preview.conflicts) {
        return Err(refused.into());
    }
    if let Some(because) = needs_approval(&bundle, &preview) {
        return request_instead(pool, actor, &ask, (preview, because)).await;
    }

    let mut tx = pool.begin().await?;
    let grantee = grantee(&mut *tx, actor.org_id, principal_id).await?;
    if actor.principal_id.is_some() && grantee.owner_id == actor.principal_id {
        return Err(AppError::invalid(
            "principal",
            "Nobody grants access to an agent, bot or integration they own: ask for it under Requests, and another approver decides.",
        ));
    }
    let principal_name = grantee.display_name;
    let application = &bundle.application;
    let kind = if bundle.is_role {
        BundleKind::Role
    } else {
        BundleKind::PermissionSet
    };
    check_end(until, &bundle)?;
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
            valid_from: None,
            principal_id,
            role_id,
            permission_set_id,
            account_id,
            valid_until,
            granted_by: actor.principal_id,
            reason: &reason,
            source_request_id: None,
            conditions: &ask.conditions.to_json(),
            birthright_rule_id: None,
            package_assignment_id: None,
        },
    )
    .await?;
    let recorded: Vec<&str> = preview.conflicts.iter().map(|c| c.rule.as_str()).collect();
    db::audit::record(
        &mut tx,
        actor,
        Change::on(
            AuditAction::GrantCreated,
            id,
            format!("{principal_name} \u{2192} {}", bundle.name),
        )
        .after(json!({
            "principal": principal_name, kind.noun(): bundle.name, "application": application,
            "account": account_name, "valid_until": valid_until, "sod_conflicts": recorded,
            "conditions": ask.conditions.to_json(),
        }))
        .because(reason),
    )
    .await?;
    tx.commit().await?;
    Ok(GrantOutcome::Granted { grant: id })
}

/// Why a direct grant must go to other approvers, if it must.
fn needs_approval(bundle: &db::grants::Bundle, preview: &RequestPreview) -> Option<String> {
    if bundle.is_console {
        Some(format!(
            "{} is a console role: it is given only through a request another approver decides",
            bundle.name
        ))
    } else if preview.adds.iter().any(|(_, high)| *high) {
        Some(format!("{} adds high-impact permissions", bundle.name))
    } else if preview
        .conflicts
        .iter()
        .any(|c| c.mode == SodMode::ExtraApproval)
    {
        Some("a separation-of-duties rule asks for an extra approval".into())
    } else {
        None
    }
}

/// The application's rules on how long access may last.
fn check_end(until: Option<NaiveDate>, bundle: &db::grants::Bundle) -> Result<(), AppError> {
    let application = &bundle.application;
    match (until, bundle.max_grant_days) {
        (None, _) if !bundle.allow_no_end => Err(AppError::invalid(
            "until",
            format!("{application} needs an end date on every grant."),
        )),
        (Some(date), Some(max)) if (date - Utc::now().date_naive()).num_days() > i64::from(max) => {
            Err(AppError::invalid(
                "until",
                format!("{application} grants last at most {max} days."),
            ))
        }
        _ => Ok(()),
    }
}

/// A direct grant's fields, read and checked.
struct DirectGrant {
    principal: Uuid,
    bundle: Uuid,
    account: Option<Uuid>,
    until: Option<NaiveDate>,
    reason: String,
    conditions: Conditions,
}

/// Files the direct grant as a request from the admin, with their reason as its
/// justification.
async fn request_instead(
    pool: &PgPool,
    actor: &Actor,
    ask: &DirectGrant,
    (preview, because): (RequestPreview, String),
) -> Result<GrantOutcome, AppError> {
    let me = actor.principal_id.ok_or(AppError::Forbidden)?;
    let justification = parse_justification(&ask.reason).map_err(|e| match e {
        RuleError::Invalid { message, .. } => AppError::invalid("reason", message),
        other => other.into(),
    })?;
    let principal_name = grantee(pool, actor.org_id, ask.principal)
        .await?
        .display_name;
    let duration = ask
        .until
        .map_or(RequestedDuration::NoEnd, RequestedDuration::Until);
    // Weighed once, by the caller: the same figures decided that it needs approval.
    let (request, approvals_needed) = super::requests::submit(
        pool,
        actor,
        (me, preview),
        &super::requests::Submission {
            principal: ask.principal,
            principal_name: &principal_name,
            bundle: ask.bundle,
            account: ask.account,
            duration,
            justification: &justification,
            conditions: &ask.conditions,
        },
    )
    .await
    .map_err(|e| match e {
        AppError::Invalid { field, message } if field == "duration" => {
            AppError::invalid("until", message)
        }
        other => other,
    })?;
    Ok(GrantOutcome::Requested {
        request,
        approvals_needed,
        because,
    })
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
/// passed [`parse_reason`]. A grant of an access package takes the package's other
/// grants with it (they end together), each audited: answers every grant revoked, this
/// one first.
pub async fn revoke_in(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    grant_id: Uuid,
    reason: &str,
) -> Result<Vec<Uuid>, AppError> {
    let grant = db::grants::lock_for_revoke(tx, actor.org_id, grant_id).await?;
    let Some((principal, bundle, revoked_at)) = grant else {
        return Err(AppError::NotFound("There is no such grant.".into()));
    };
    if revoked_at.is_some() {
        return Err(AppError::Conflict(
            "This grant has already been revoked.".into(),
        ));
    }
    revoke_one(tx, actor, (grant_id, &principal, &bundle), reason).await?;
    let mut revoked = vec![grant_id];
    for (sibling, sibling_bundle, package) in
        db::packages::siblings_for_revoke(tx, actor.org_id, grant_id).await?
    {
        let why = format!(
            "{reason} (with {bundle}: the access package \u{201c}{package}\u{201d} ends together)"
        );
        revoke_one(tx, actor, (sibling, &principal, &sibling_bundle), &why).await?;
        revoked.push(sibling);
    }
    Ok(revoked)
}

async fn revoke_one(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    (grant_id, principal, bundle): (Uuid, &str, &str),
    reason: &str,
) -> Result<(), AppError> {
    db::grants::revoke(tx, actor.org_id, grant_id, actor.principal_id, reason).await?;
    db::audit::record(
        tx,
        actor,
        Change::on(
            AuditAction::GrantRevoked,
            grant_id,
            format!("{principal} \u{2192} {bundle}"),
        )
        .before(json!({ "revoked": false }))
        .after(json!({ "revoked": true }))
        .because(reason.to_string()),
    )
    .await?;
    Ok(())
}

/// The name of a principal that may be granted access, locked until the transaction
/// ends: not found, or refused once offboarded.
async fn grantee(
    db: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
    id: Uuid,
) -> Result<db::grants::Grantee, AppError> {
    let p = db::grants::principal_for_update(db, org_id, id)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such principal.".into()))?;
    if p.status == PrincipalStatus::Offboarded {
        return Err(AppError::Conflict(format!(
            "{} has been offboarded; access cannot be granted.",
            p.display_name
        )));
    }
    Ok(p)
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

//! Starting a campaign, from its form or from a report's selection.

use chrono::Utc;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::caller::Caller;
use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::reviews::{NewCampaign, Scope};
use crate::error::AppError;
use crate::model::reports::BulkOutcome;
use crate::model::reviews::{CampaignInput, CreatedCampaign};
use crate::service::grants::parse_reason;
use rules::audit::AuditAction;
use rules::principals::PRINCIPAL_KINDS;

use super::parse_due;

pub async fn create(
    pool: &PgPool,
    actor: &Actor,
    form: &CampaignInput,
) -> Result<CreatedCampaign, AppError> {
    let creator = crate::service::person(actor)?;
    let application = match form.application.trim() {
        "" => None,
        raw => Some(
            Uuid::parse_str(raw)
                .map_err(|_| AppError::invalid("application", "Choose from the list."))?,
        ),
    };
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(AppError::invalid(
            "name",
            "Name the campaign (up to 120 characters), for example \u{201c}Q4 CRM access review\u{201d}.",
        ));
    }
    if let Some(kind) = form
        .kinds
        .iter()
        .find(|k| !PRINCIPAL_KINDS.contains(&k.as_str()))
    {
        return Err(AppError::invalid(
            "kinds",
            format!("\u{201c}{kind}\u{201d} is not a kind of principal."),
        ));
    }
    let due_on = parse_due(&form.due_on, Utc::now().date_naive())?;
    let undecided = match form.undecided.as_str() {
        "keep" | "revoke" => form.undecided.as_str(),
        _ => {
            return Err(AppError::invalid(
                "undecided",
                "Choose what happens to items nobody decided: keep or revoke.",
            ))
        }
    };
    let mut reviewers = form.reviewers.to_vec();
    reviewers.sort();
    reviewers.dedup();
    let scope_json = json!({
        "application": application,
        "accounts": form.accounts,
        "roles": form.roles,
        "kinds": form.kinds,
        "principals": form.principals,
        "reviewers": reviewers,
    });
    let campaign = NewCampaign {
        name,
        scope: Scope {
            application,
            accounts: &form.accounts,
            roles: &form.roles,
            kinds: &form.kinds,
            principals: &form.principals,
        },
        scope_json: scope_json.clone(),
        reviewers: &reviewers,
        due_on,
        undecided,
        created_by: creator,
    };
    let mut tx = pool.begin().await?;
    let Some((id, items)) = db::reviews::insert(&mut tx, actor.org_id, &campaign).await? else {
        return Err(AppError::invalid(
            "name",
            "A campaign with this name exists already.",
        ));
    };
    if items == 0 {
        return Err(AppError::invalid(
            "scope",
            "No grant in force matches this scope; widen it to start a campaign.",
        ));
    }
    db::audit::record(
        &mut tx,
        actor,
        Change::on(AuditAction::ReviewStarted, id, name.to_string()).after(json!({ "items": items, "due_on": due_on, "undecided": undecided, "scope": scope_json })),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedCampaign { id, items })
}

/// Days a review opened from a report's selection runs.
const SELECTION_REVIEW_DAYS: i64 = 14;

/// Opens a campaign over the grants of principals selected in a report: reviewed by
/// their managers or owners within two weeks, undecided items kept; `reason` names it.
pub async fn review_selection(
    pool: &PgPool,
    caller: &Caller,
    principals: &[Uuid],
    reason: &str,
) -> Result<BulkOutcome, AppError> {
    crate::service::reports::check_selection(principals)?;
    let reason = parse_reason(reason)?;
    let now = Utc::now();
    let name = format!("{} ({})", reason, now.format("%Y-%m-%d %H:%M"));
    let due_on = (now.date_naive() + chrono::Duration::days(SELECTION_REVIEW_DAYS)).to_string();
    let form = CampaignInput {
        name,
        principals: principals.to_vec(),
        due_on,
        undecided: "keep".into(),
        ..Default::default()
    };
    let made = create(pool, &caller.actor(), &form).await?;
    Ok(BulkOutcome {
        done: made.items as usize,
        skipped: Vec::new(),
        campaign: Some(made.id),
    })
}

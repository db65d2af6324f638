//! Access reviews: a Governance admin starts a campaign over a scope (its grants are
//! frozen as items), reviewers keep or revoke their items, and closing applies every
//! revoke — and the campaign's rule for what nobody decided — in one transaction.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::caller::Caller;
use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::reviews::ChoiceList;
use crate::db::reviews::{NewCampaign, Scope};
use crate::error::AppError;
use crate::model::reports::BulkOutcome;
use crate::model::reviews::{CampaignDetail, ClosedCampaign, CreatedCampaign, ReviewsOverview};
use crate::service::grants::{parse_reason, revoke_in};
use crate::service::split_page;
use rules::console::ConsolePermission;
use rules::principals::PRINCIPAL_KINDS;

pub const PAGE_SIZE: usize = 100;
/// Items one bulk decision may take.
pub const MAX_BULK: usize = 500;

/// Who starts, sees all of and closes campaigns.
fn manages(caller: &Caller) -> bool {
    caller.can(ConsolePermission::GrantsAssign)
}

/// Who may read every campaign without managing them.
fn reads_all(caller: &Caller) -> bool {
    manages(caller) || caller.can(ConsolePermission::AuditView)
}

pub async fn overview(pool: &PgPool, caller: &Caller) -> Result<ReviewsOverview, AppError> {
    let org = caller.org_id;
    let campaigns =
        db::reviews::campaigns(pool, org, caller.principal_id, reads_all(caller)).await?;
    let can_manage = manages(caller);
    let (applications, accounts, roles, people) = if can_manage {
        (
            db::reviews::choices(pool, org, ChoiceList::Applications).await?,
            db::reviews::choices(pool, org, ChoiceList::Accounts).await?,
            db::reviews::choices(pool, org, ChoiceList::Roles).await?,
            db::reviews::choices(pool, org, ChoiceList::ConsoleUsers).await?,
        )
    } else {
        Default::default()
    };
    Ok(ReviewsOverview {
        campaigns,
        can_manage,
        applications,
        accounts,
        roles,
        people,
    })
}

/// A campaign as the browser's form sends it.
pub struct CampaignForm<'a> {
    pub name: &'a str,
    pub application: Option<Uuid>,
    pub accounts: &'a [Uuid],
    pub roles: &'a [Uuid],
    pub kinds: &'a [String],
    pub principals: &'a [Uuid],
    pub reviewers: &'a [Uuid],
    pub due_on: &'a str,
    pub undecided: &'a str,
}

pub async fn create(
    pool: &PgPool,
    actor: &Actor,
    creator: Uuid,
    form: &CampaignForm<'_>,
) -> Result<CreatedCampaign, AppError> {
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
    let due_on = parse_due(form.due_on, Utc::now().date_naive())?;
    let undecided = match form.undecided {
        "keep" | "revoke" => form.undecided,
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
        "application": form.application,
        "accounts": form.accounts,
        "roles": form.roles,
        "kinds": form.kinds,
        "principals": form.principals,
        "reviewers": reviewers,
    });
    let campaign = NewCampaign {
        name,
        scope: Scope {
            application: form.application,
            accounts: form.accounts,
            roles: form.roles,
            kinds: form.kinds,
            principals: form.principals,
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
        Change {
            action: "review.started",
            target_type: "review_campaign",
            target_id: Some(id.to_string()),
            target_label: name.to_string(),
            before: None,
            after: Some(json!({ "items": items, "due_on": due_on, "undecided": undecided, "scope": scope_json })),
            reason: None,
        },
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
    let form = CampaignForm {
        name: &name,
        application: None,
        accounts: &[],
        roles: &[],
        kinds: &[],
        principals,
        reviewers: &[],
        due_on: &due_on,
        undecided: "keep",
    };
    let made = create(pool, &caller.actor(), caller.principal_id, &form).await?;
    Ok(BulkOutcome {
        done: made.items as usize,
        skipped: Vec::new(),
        campaign: Some(made.id),
    })
}

/// `YYYY-MM-DD`, today or later.
fn parse_due(raw: &str, today: NaiveDate) -> Result<NaiveDate, AppError> {
    let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid("due_on", "Give the due date as YYYY-MM-DD."))?;
    if date < today {
        return Err(AppError::invalid(
            "due_on",
            "The due date cannot be in the past.",
        ));
    }
    Ok(date)
}

fn scope_label(scope: &serde_json::Value, names: &HashMap<String, String>) -> String {
    let named = |key: &str| {
        scope[key]
            .as_str()
            .map(|id| names.get(id).cloned().unwrap_or_else(|| id.to_string()))
    };
    let mut parts = Vec::new();
    parts.push(named("application").unwrap_or_else(|| "every application".into()));
    let listed = |key: &str| -> Vec<String> {
        scope[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|id| id.as_str())
            .map(|id| names.get(id).cloned().unwrap_or_else(|| id.to_string()))
            .collect()
    };
    // Campaigns started before several accounts could be chosen name one "account".
    let accounts = match named("account") {
        Some(one) => vec![one],
        None => listed("accounts"),
    };
    parts.push(match accounts.len() {
        0 => "every account".into(),
        1 => format!("account {}", accounts[0]),
        _ => format!("accounts {}", accounts.join(", ")),
    });
    let roles = listed("roles");
    if !roles.is_empty() {
        parts.push(format!(
            "role{} {}",
            if roles.len() > 1 { "s" } else { "" },
            roles.join(", ")
        ));
    }
    let kinds: Vec<&str> = scope["kinds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k.as_str())
        .collect();
    if !kinds.is_empty() {
        parts.push(kinds.join(", ").replace('_', " "));
    }
    let chosen = scope["principals"].as_array().map(|p| p.len()).unwrap_or(0);
    if chosen > 0 {
        parts.push(format!("{chosen} selected principals"));
    }
    parts.join(" \u{b7} ")
}

pub async fn detail(
    pool: &PgPool,
    caller: &Caller,
    id: Uuid,
    page: u32,
    mine_only: bool,
) -> Result<CampaignDetail, AppError> {
    let org = caller.org_id;
    let not_found = || AppError::NotFound("There is no such review campaign.".into());
    let (header, reviewers) = tokio::try_join!(
        db::reviews::campaign(pool, org, id),
        db::reviews::progress(pool, org, id)
    )?;
    let (mut campaign, scope) = header.ok_or_else(not_found)?;
    for r in &reviewers {
        campaign.items += r.items;
        campaign.decided += r.decided;
        campaign.to_revoke += r.to_revoke;
        if r.reviewer_id == caller.principal_id {
            (campaign.mine, campaign.mine_decided) = (r.items, r.decided);
        }
    }
    if !reads_all(caller) && campaign.mine == 0 {
        return Err(not_found());
    }
    let mine_only = mine_only || !reads_all(caller);
    let reviewer = mine_only.then_some(caller.principal_id);
    let offset = i64::from(page) * PAGE_SIZE as i64;
    let (names, rows) = tokio::try_join!(
        db::reviews::choices(pool, org, ChoiceList::ScopeNames,),
        db::reviews::items(pool, org, id, reviewer, PAGE_SIZE as i64 + 1, offset)
    )?;
    let names: HashMap<String, String> = names
        .into_iter()
        .map(|c| (c.id.to_string(), c.name))
        .collect();
    let (mut items, has_next) = split_page(rows, PAGE_SIZE);
    let mut on_page: Vec<Uuid> = items.iter().map(|i| i.principal_id).collect();
    on_page.sort();
    on_page.dedup();
    let mut broken: HashMap<Uuid, Vec<String>> = HashMap::new();
    for (principal, rule) in db::sod::broken_by(pool, org, &on_page).await? {
        broken.entry(principal).or_default().push(rule);
    }
    for item in &mut items {
        if let Some(rules) = broken.get(&item.principal_id) {
            item.sod = rules.clone();
        }
    }
    Ok(CampaignDetail {
        scope: scope_label(&scope, &names),
        reviewers,
        campaign,
        items,
        page,
        has_next,
        mine_only,
        can_manage: manages(caller),
        now: Utc::now(),
    })
}

/// Keeps or revokes the caller's items (a revoke needs a reason); answers how many.
pub async fn decide(
    pool: &PgPool,
    caller: &Caller,
    campaign: Uuid,
    grants: &[Uuid],
    decision: &str,
    reason: &str,
) -> Result<i64, AppError> {
    if grants.is_empty() {
        return Err(AppError::invalid("grants", "Select at least one item."));
    }
    if grants.len() > MAX_BULK {
        return Err(AppError::invalid(
            "grants",
            format!("Decide at most {MAX_BULK} items at once."),
        ));
    }
    let reason = match decision {
        "keep" => Some(reason.trim())
            .filter(|r| !r.is_empty())
            .map(str::to_string),
        "revoke" => Some(parse_reason(reason)?),
        _ => return Err(AppError::invalid("decision", "Choose keep or revoke.")),
    };
    let mut tx = pool.begin().await?;
    let actor = caller.actor();
    let done = db::reviews::decide(
        &mut tx,
        &actor,
        caller.principal_id,
        campaign,
        grants,
        decision,
        reason.as_deref(),
    )
    .await?;
    if done < grants.len() as i64 {
        return Err(AppError::Conflict(
            "Some of these items are not yours to decide, are about your own access, or the campaign is closed; nothing was recorded.".into(),
        ));
    }
    tx.commit().await?;
    Ok(done)
}

/// Closes the campaign: every item decided (or left to the campaign's rule) as revoke
/// whose grant is still in force is revoked, with its audit event, in one transaction.
pub async fn close(
    pool: &PgPool,
    caller: &Caller,
    campaign: Uuid,
) -> Result<ClosedCampaign, AppError> {
    let actor = caller.actor();
    let mut tx = pool.begin().await?;
    let Some((name, _, closed)) =
        db::reviews::open_for_update(&mut tx, actor.org_id, campaign).await?
    else {
        return Err(AppError::NotFound(
            "There is no such review campaign.".into(),
        ));
    };
    if closed {
        return Err(AppError::Conflict(format!(
            "\u{201c}{name}\u{201d} is already closed."
        )));
    }
    let items = db::reviews::closing_items(&mut tx, actor.org_id, campaign).await?;
    let mut closed = ClosedCampaign {
        revoked: 0,
        kept: 0,
        gone: 0,
    };
    let mut grants = Vec::with_capacity(items.len());
    let mut outcomes = Vec::with_capacity(items.len());
    for (grant, decision, in_force, reason) in items {
        let outcome = if !in_force {
            closed.gone += 1;
            "gone"
        } else if decision == "revoke" {
            let why =
                reason.unwrap_or_else(|| "not reviewed by the time the campaign closed".into());
            revoke_in(
                &mut tx,
                &actor,
                grant,
                &format!("Access review \u{201c}{name}\u{201d}: {why}"),
            )
            .await?;
            closed.revoked += 1;
            "revoked"
        } else {
            closed.kept += 1;
            "kept"
        };
        grants.push(grant);
        outcomes.push(outcome);
    }
    db::reviews::close(
        &mut tx,
        actor.org_id,
        campaign,
        caller.principal_id,
        &grants,
        &outcomes,
    )
    .await?;
    db::audit::record(
        &mut tx,
        &actor,
        Change {
            action: "review.closed",
            target_type: "review_campaign",
            target_id: Some(campaign.to_string()),
            target_label: name,
            before: None,
            after: Some(
                json!({ "revoked": closed.revoked, "kept": closed.kept, "gone": closed.gone }),
            ),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(closed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_dates_are_today_or_later() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(parse_due("2026-11-24", today).unwrap(), today);
        assert!(parse_due("2026-11-23", today)
            .unwrap_err()
            .field_message("due_on")
            .unwrap()
            .contains("past"));
        assert!(parse_due("soon", today).is_err());
    }

    #[test]
    fn the_scope_reads_as_chosen() {
        let names = HashMap::from([("a".to_string(), "Acme CRM".to_string())]);
        let scope = json!({"application": "a", "account": null, "kinds": ["ai_agent", "bot"], "principals": []});
        assert_eq!(
            scope_label(&scope, &names),
            "Acme CRM \u{b7} every account \u{b7} ai agent, bot"
        );
    }
}

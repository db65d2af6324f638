//! One campaign's page: its items and the reviewers' progress.

use std::collections::HashMap;

use chrono::Utc;
use sqlx::PgPool;
use uuid::Uuid;

use crate::caller::Caller;
use crate::db;
use crate::db::reviews::ChoiceList;
use crate::error::AppError;
use crate::model::reviews::CampaignDetail;
use crate::service::split_page;

use super::{manages, reads_all, scope_label, PAGE_SIZE};

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

//! The campaigns a person sees: all for those who run reviews or read the audit trail on
//! every account, otherwise those with items for them.

use sqlx::PgPool;

use crate::caller::Caller;
use crate::db;
use crate::db::reviews::ChoiceList;
use crate::error::AppError;
use crate::model::reviews::ReviewsOverview;
use rules::console::{AccountScope, ConsolePermission};

use super::{manages, reads_all};

/// Campaigns listed on a page of `/reviews`.
pub const CAMPAIGNS_PER_PAGE: u32 = 50;

pub async fn overview(
    pool: &PgPool,
    caller: &Caller,
    page: u32,
) -> Result<ReviewsOverview, AppError> {
    let org = caller.org_id;
    let everywhere = caller.scope == AccountScope::Every;
    let mut campaigns = db::reviews::campaigns(
        pool,
        org,
        (caller.principal_id, everywhere && reads_all(caller)),
        (
            i64::from(CAMPAIGNS_PER_PAGE) + 1,
            i64::from(page) * i64::from(CAMPAIGNS_PER_PAGE),
        ),
    )
    .await?;
    let has_next = campaigns.len() > CAMPAIGNS_PER_PAGE as usize;
    campaigns.truncate(CAMPAIGNS_PER_PAGE as usize);
    let can_manage = manages(caller);
    let managed = caller.accounts(ConsolePermission::GrantsAssign);
    let (applications, accounts, roles, people) = if can_manage {
        (
            db::reviews::choices(pool, org, ChoiceList::Applications).await?,
            db::reviews::choices(pool, org, ChoiceList::Accounts)
                .await?
                .into_iter()
                .filter(|choice| managed.allows(choice.id))
                .collect(),
            db::reviews::choices(pool, org, ChoiceList::Roles).await?,
            db::reviews::choices(pool, org, ChoiceList::ConsoleUsers).await?,
        )
    } else {
        Default::default()
    };
    Ok(ReviewsOverview {
        campaigns,
        page,
        has_next,
        can_manage,
        applications,
        accounts,
        roles,
        people,
    })
}

//! The campaigns a person sees: all for those who run reviews, otherwise their own.

use sqlx::PgPool;

use crate::caller::Caller;
use crate::db;
use crate::db::reviews::ChoiceList;
use crate::error::AppError;
use crate::model::reviews::ReviewsOverview;

use super::{manages, reads_all};

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

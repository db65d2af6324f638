// A campaign is started from one form of eight fields, each its own argument.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::reviews::{CampaignDetail, ClosedCampaign, CreatedCampaign, ReviewsOverview};

/// Campaigns: all of them for Governance admins and Auditors, otherwise those with
/// items for the caller to review.
#[server(endpoint = "reviews/overview")]
pub async fn load_reviews() -> Result<ReviewsOverview, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<LoadReviews>().await?;
    crate::service::reviews::overview(&guard::pool()?, &caller).await
}

/// `application` is an id or empty for any; no `accounts` or `roles`: every one.
#[server(endpoint = "reviews/create")]
pub async fn create_review(
    name: String,
    #[server(default)] application: String,
    #[server(default)] accounts: Vec<Uuid>,
    #[server(default)] roles: Vec<Uuid>,
    #[server(default)] kinds: Vec<String>,
    #[server(default)] principals: Vec<Uuid>,
    #[server(default)] reviewers: Vec<Uuid>,
    due_on: String,
    undecided: String,
) -> Result<CreatedCampaign, AppError> {
    use crate::api::guard;
    use crate::service::reviews::{create, CampaignForm};
    let caller = guard::authorize::<CreateReview>().await?;
    let id = |raw: &str, field: &str| match raw.trim() {
        "" => Ok(None),
        raw => Uuid::parse_str(raw)
            .map(Some)
            .map_err(|_| AppError::invalid(field, "Choose from the list.")),
    };
    let form = CampaignForm {
        name: &name,
        application: id(&application, "application")?,
        accounts: &accounts,
        roles: &roles,
        kinds: &kinds,
        principals: &principals,
        reviewers: &reviewers,
        due_on: &due_on,
        undecided: &undecided,
    };
    create(&guard::pool()?, &caller.actor(), caller.principal_id, &form).await
}

#[server(endpoint = "reviews/detail")]
pub async fn load_review(
    campaign: Uuid,
    #[server(default)] page: u32,
    #[server(default)] mine: bool,
) -> Result<CampaignDetail, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<LoadReview>().await?;
    crate::service::reviews::detail(&guard::pool()?, &caller, campaign, page, mine).await
}

/// `decision` is `keep` or `revoke` (with a reason); only the caller's items.
#[server(endpoint = "reviews/decide")]
pub async fn decide_review_items(
    campaign: Uuid,
    decision: String,
    #[server(default)] reason: String,
    #[server(default)] grants: Vec<Uuid>,
) -> Result<i64, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<DecideReviewItems>().await?;
    crate::service::reviews::decide(
        &guard::pool()?,
        &caller,
        campaign,
        &grants,
        &decision,
        &reason,
    )
    .await
}

#[server(endpoint = "reviews/close")]
pub async fn close_review(campaign: Uuid) -> Result<ClosedCampaign, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<CloseReview>().await?;
    crate::service::reviews::close(&guard::pool()?, &caller, campaign).await
}

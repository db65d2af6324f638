use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::reviews::{
    CampaignDetail, CampaignInput, ClosedCampaign, CreatedCampaign, ReviewsOverview,
};

/// Campaigns, a page at a time: all of them for Governance admins and Auditors,
/// otherwise those with items for the caller to review.
#[server(endpoint = "reviews/overview")]
pub async fn load_reviews(#[server(default)] page: u32) -> Result<ReviewsOverview, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<LoadReviews>().await?;
    crate::service::reviews::overview(&guard::pool()?, &caller, page).await
}

#[server(endpoint = "reviews/create")]
pub async fn create_review(
    #[server(flatten)] campaign: CampaignInput,
) -> Result<CreatedCampaign, AppError> {
    use crate::api::guard;
    let caller = guard::authorize_for::<CreateReview>(&campaign.accounts).await?;
    crate::service::reviews::create(&guard::pool()?, &caller.actor(), &campaign).await
}

#[server(endpoint = "reviews/detail")]
pub async fn load_review(
    campaign: Uuid,
    #[server(default)] page: u32,
    #[server(default)] mine: bool,
) -> Result<CampaignDetail, AppError> {
    use crate::api::guard;
    let caller = guard::authorize_on::<LoadReview>(campaign).await?;
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
    let caller = guard::authorize_on::<DecideReviewItems>(campaign).await?;
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
    let caller = guard::authorize_on::<CloseReview>(campaign).await?;
    crate::service::reviews::close(&guard::pool()?, &caller, campaign).await
}

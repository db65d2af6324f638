use leptos::prelude::*;

use crate::error::AppError;
use crate::model::lifecycle::{
    BirthrightRuleInput, BirthrightRun, HeldChange, InactivityPreview, LifecycleSettings,
};
use uuid::Uuid;

#[server(endpoint = "lifecycle/settings")]
pub async fn load_lifecycle() -> Result<LifecycleSettings, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<LoadLifecycle>().await?;
    crate::service::lifecycle::settings(&guard::pool()?, caller.org_id).await
}

/// Names who takes over what a leaver owned when they have no manager (empty: nobody).
#[server(endpoint = "lifecycle/fallback-owner")]
pub async fn set_fallback_owner(#[server(default)] email: String) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<SetFallbackOwner>().await?;
    crate::service::lifecycle::set_fallback_owner(&guard::pool()?, &caller.actor(), &email).await
}

/// Makes a birthright rule; everyone it matches gets what it gives at once.
#[server(endpoint = "lifecycle/birthright-create")]
pub async fn create_birthright_rule(rule: BirthrightRuleInput) -> Result<BirthrightRun, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<CreateBirthrightRule>().await?;
    crate::service::birthright::create_rule(&guard::pool()?, &caller.actor(), &rule).await
}

/// Retires a birthright rule; what it gave goes to the holders' managers to keep or drop.
#[server(endpoint = "lifecycle/birthright-retire")]
pub async fn retire_birthright_rule(rule: Uuid) -> Result<BirthrightRun, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<RetireBirthrightRule>().await?;
    crate::service::birthright::retire_rule(&guard::pool()?, &caller.actor(), rule, false).await
}

/// Sets the movers' grace period, in days (0 to 90).
#[server(endpoint = "lifecycle/grace")]
pub async fn set_mover_grace(#[server(default)] days: String) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<SetMoverGrace>().await?;
    crate::service::birthright::set_grace_days(&guard::pool()?, &caller.actor(), &days).await
}

/// Sets the lifecycle failsafe's limits per hour (empty: no limit).
#[server(endpoint = "lifecycle/failsafe")]
pub async fn set_failsafe(
    #[server(default)] grants: String,
    #[server(default)] principals: String,
) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<SetFailsafe>().await?;
    crate::service::failsafe::set_limits(&guard::pool()?, &caller.actor(), (&grants, &principals))
        .await
}

/// The runs the failsafe holds, waiting for an admin.
#[server(endpoint = "lifecycle/held")]
pub async fn load_held() -> Result<Vec<HeldChange>, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<LoadHeld>().await?;
    crate::service::failsafe::held(&guard::pool()?, caller.org_id).await
}

/// Confirms a held run (it is done, past the limit) or discards it.
#[server(endpoint = "lifecycle/held-decide")]
pub async fn decide_held(held: Uuid, #[server(default)] confirm: bool) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<DecideHeld>().await?;
    crate::service::failsafe::decide(&guard::pool()?, &caller.actor(), held, confirm).await
}

/// Switches suspension after so many days without activity on (days) or off (empty)
/// for one kind of principal.
#[server(endpoint = "lifecycle/inactivity")]
pub async fn set_inactivity(
    #[server(default)] kind: String,
    #[server(default)] days: String,
) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<SetInactivity>().await?;
    crate::service::inactivity::set_rule(&guard::pool()?, &caller.actor(), (&kind, &days)).await
}

/// Who suspension after `days` without activity would reach now.
#[server(endpoint = "lifecycle/inactivity-preview")]
pub async fn preview_inactivity(
    #[server(default)] kind: String,
    #[server(default)] days: String,
) -> Result<InactivityPreview, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<PreviewInactivity>().await?;
    crate::service::inactivity::preview(
        &guard::pool()?,
        caller.org_id,
        (&kind, &days),
        chrono::Utc::now(),
    )
    .await
}

/// Changes who a birthright rule is for; its holders and everyone it may now match are
/// weighed again.
#[server(endpoint = "lifecycle/birthright-change")]
pub async fn change_birthright_rule(
    rule: Uuid,
    #[server(default)] criteria: String,
) -> Result<BirthrightRun, AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<ChangeBirthrightRule>().await?;
    crate::service::birthright::change_criteria(
        &guard::pool()?,
        &caller.actor(),
        (rule, &criteria),
        false,
    )
    .await
}

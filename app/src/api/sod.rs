use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::sod::SodOverview;

/// The rules and who breaks them now; the choices for a new rule only for those who
/// may add one.
#[server(endpoint = "sod/overview")]
pub async fn load_sod_rules() -> Result<SodOverview, AppError> {
    use crate::api::guard;
    use rules::console::ConsolePermission;
    let caller = guard::authorize::<LoadSodRules>().await?;
    let can_manage = caller.can(ConsolePermission::RolesManage);
    crate::service::sod::overview(&guard::pool()?, caller.org_id, can_manage).await
}

/// `conflicting`: `permission:<id>` or `role:<id>`; `mode`: block, extra_approval or record.
#[server(endpoint = "sod/create")]
pub async fn create_sod_rule(
    name: String,
    description: String,
    permission: String,
    conflicting: String,
    mode: String,
) -> Result<Uuid, AppError> {
    use crate::api::guard;
    use crate::service::sod::{create, RuleForm};
    let caller = guard::authorize::<CreateSodRule>().await?;
    let form = RuleForm {
        name: &name,
        description: &description,
        permission: &permission,
        conflicting: &conflicting,
        mode: &mode,
    };
    create(&guard::pool()?, &caller.actor(), &form).await
}

#[server(endpoint = "sod/delete")]
pub async fn delete_sod_rule(rule: Uuid) -> Result<(), AppError> {
    use crate::api::guard;
    let caller = guard::authorize::<DeleteSodRule>().await?;
    crate::service::sod::delete(&guard::pool()?, &caller.actor(), rule).await
}

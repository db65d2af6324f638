use serde_json::json;
use sqlx::PgPool;

use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::Tx;
use crate::error::AppError;
use crate::model::Account;
use rules::audit::AuditAction;
use rules::console::AccountScope;
use rules::validation::Name;

/// The organisation's client accounts that `scope` reaches.
pub async fn list(
    pool: &PgPool,
    org_id: Uuid,
    scope: &AccountScope,
) -> Result<Vec<Account>, AppError> {
    let mut accounts = db::accounts::list(pool, org_id).await?;
    accounts.retain(|a| scope.allows(a.id));
    Ok(accounts)
}

/// (id, name) of the accounts `scope` reaches, by name: for pickers and labels.
pub async fn names_within(
    pool: &PgPool,
    org_id: Uuid,
    scope: &AccountScope,
) -> Result<Vec<(Uuid, String)>, AppError> {
    let mut names = db::accounts::names(pool, org_id).await?;
    names.retain(|(id, _)| scope.allows(*id));
    Ok(names)
}

pub async fn create_account(
    pool: &PgPool,
    actor: &Actor,
    name: &str,
    region: &str,
) -> Result<Account, AppError> {
    let name = Name::parse("name", "account name", name, 100)?;
    let region = Name::parse("region", "region", region, 40)?;
    let mut tx = pool.begin().await?;
    let Some(account) =
        db::accounts::insert(&mut tx, actor.org_id, name.as_str(), region.as_str()).await?
    else {
        return Err(AppError::invalid(
            "name",
            format!(
                "An account named \u{201c}{}\u{201d} already exists.",
                name.as_str()
            ),
        ));
    };
    db::audit::record(
        &mut tx,
        actor,
        Change::on(
            AuditAction::AccountCreated,
            account.id,
            account.name.clone(),
        )
        .after(json!({ "name": account.name, "region": account.region })),
    )
    .await?;
    tx.commit().await?;
    Ok(account)
}

/// An account picked on a form: empty means every account.
pub fn parse_choice(raw: &str) -> Result<Option<Uuid>, AppError> {
    match raw.trim() {
        "" => Ok(None),
        raw => Uuid::parse_str(raw)
            .map(Some)
            .map_err(|_| unknown_account()),
    }
}

/// The name of a picked account, which must belong to the organisation.
pub async fn picked_name(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> Result<String, AppError> {
    db::accounts::name(tx, org_id, id)
        .await?
        .ok_or_else(unknown_account)
}

fn unknown_account() -> AppError {
    AppError::invalid("account", "Choose an account from the list.")
}

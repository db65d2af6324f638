//! The console's access pages: why a principal may or may not do something (the
//! decision API's evaluator, asked from a form), and who may do it on an account.

use serde_json::{json, Map, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::caller::{reach, reach_accounts, Caller};
use crate::db;
use crate::error::AppError;
use crate::model::access::{
    AccessChoices, ExplainQuery, Explanation, Holders, PermissionChoice, WhoQuery,
};
use rules::console::AccountScope;

/// The permissions of the governed applications, and the accounts `scope` reaches.
pub async fn choices(
    pool: &PgPool,
    org_id: Uuid,
    scope: &AccountScope,
) -> Result<AccessChoices, AppError> {
    let permissions = db::policy::catalogue(pool, org_id)
        .await?
        .into_iter()
        .map(|(application_id, application, key)| PermissionChoice {
            value: format!("{application_id}/{key}"),
            label: format!("{application} \u{2014} {key}"),
        })
        .collect();
    Ok(AccessChoices {
        permissions,
        accounts: super::accounts::names_within(pool, org_id, scope).await?,
    })
}

/// `application-id/resource.action` from a picker.
fn parse_permission(raw: &str) -> Result<(Uuid, String), AppError> {
    let refused = || AppError::invalid("permission", "Choose a permission from the list.");
    let (application, key) = raw.trim().split_once('/').ok_or_else(refused)?;
    let application = Uuid::parse_str(application).map_err(|_| refused())?;
    Ok((application, key.to_string()))
}

/// A permission of the application, or the picker's refusal.
async fn known(
    pool: &PgPool,
    org_id: Uuid,
    application: Uuid,
    key: &str,
) -> Result<String, AppError> {
    super::decisions::known_permission(pool, org_id, application, key)
        .await
        .map_err(|_| AppError::invalid("permission", "Choose a permission from the list."))
}

/// An account picked from the list (empty: none), which the caller must reach.
fn parse_account(caller: &Caller, raw: &str) -> Result<Option<Uuid>, AppError> {
    let account = super::accounts::parse_choice(raw)?;
    if let Some(id) = account {
        if !caller.scope.allows(id) {
            return Err(AppError::invalid(
                "account",
                "Choose an account from the list.",
            ));
        }
    }
    Ok(account)
}

/// A resource's attributes written `name = value`, separated by commas or lines.
pub fn parse_attributes(raw: &str) -> Result<Map<String, Value>, AppError> {
    let mut attributes = Map::new();
    for part in raw
        .split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let Some((name, value)) = part.split_once('=') else {
            return Err(AppError::invalid(
                "attributes",
                format!(
                    "\u{201c}{part}\u{201d} has no value: write name = value, for example region = EU."
                ),
            ));
        };
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() || value.is_empty() {
            return Err(AppError::invalid(
                "attributes",
                "Write each attribute as name = value, for example region = EU.",
            ));
        }
        attributes.insert(name.to_string(), Value::String(value.to_string()));
    }
    Ok(attributes)
}

/// The decision on the explain page's question, once a principal and a permission are
/// given. The principals asked about must be ones the caller may read.
pub async fn explain(
    pool: &PgPool,
    caller: &Caller,
    path: &str,
    q: &ExplainQuery,
) -> Result<Option<Explanation>, AppError> {
    if q.principal.trim().is_empty() || q.permission.trim().is_empty() {
        return Ok(None);
    }
    let (application, permission) = parse_permission(&q.permission)?;
    let permission = known(pool, caller.org_id, application, &permission).await?;
    let account = parse_account(caller, &q.account)?;
    let mut check = json!({
        "principal": q.principal.trim(),
        "permission": permission,
        "resource": {"attributes": parse_attributes(&q.attributes)?},
    });
    if let Some(account) = account {
        check["account"] = json!(account);
    }
    if !q.on_behalf_of.trim().is_empty() {
        check["on_behalf_of"] = json!(q.on_behalf_of.trim());
    }
    let (answer, asked_about) =
        super::decisions::explain(pool, caller.org_id, application, &check).await?;
    for principal in asked_about {
        reach(pool, caller, path, principal).await?;
    }
    Ok(Some(answer))
}

/// The holders of the chosen permission on the chosen account, once a permission is
/// chosen. A caller who reaches only some accounts must choose one of them.
pub async fn who(
    pool: &PgPool,
    caller: &Caller,
    q: &WhoQuery,
) -> Result<Option<Holders>, AppError> {
    if q.permission.trim().is_empty() {
        return Ok(None);
    }
    let (application, permission) = parse_permission(&q.permission)?;
    let account = parse_account(caller, &q.account)?;
    if reach_accounts(caller, account.as_slice()).is_err() {
        return Err(AppError::invalid(
            "account",
            "Choose one of your accounts: you may see the holders there.",
        ));
    }
    let key = known(pool, caller.org_id, application, &permission).await?;
    let holders =
        super::decisions::holders_of(pool, caller.org_id, application, &key, account).await?;
    Ok(Some(holders))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_name_value_pairs() {
        let read = parse_attributes("region = EU, brand=Acme\nchannel = email").unwrap();
        assert_eq!(read["region"], "EU");
        assert_eq!(read["brand"], "Acme");
        assert_eq!(read["channel"], "email");
        assert!(parse_attributes("  ").unwrap().is_empty());
        assert!(parse_attributes("region EU").is_err());
        assert!(parse_attributes("region = ").is_err());
    }

    #[test]
    fn a_permission_is_an_application_and_a_key() {
        let app = Uuid::from_u128(7);
        assert_eq!(
            parse_permission(&format!("{app}/contacts.view")).unwrap(),
            (app, "contacts.view".to_string())
        );
        assert!(parse_permission("contacts.view").is_err());
        assert!(parse_permission("not-an-id/contacts.view").is_err());
    }
}

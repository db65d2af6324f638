//! Creating a console administrator from the command line.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::error::AppError;
use rules::audit::AuditAction;
use rules::console::ConsoleRole;
use rules::validation::{Email, Name, NewPassword};

pub struct NewAdmin<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub display_name: Option<&'a str>,
    /// Which organisation, by name: needed only when there are several. With none,
    /// an organisation of this name (or "My organisation") is created.
    pub organisation: Option<&'a str>,
}

#[derive(Debug)]
pub struct CreatedAdmin {
    pub org_id: Uuid,
    pub organisation: String,
    pub principal_id: Uuid,
}

pub async fn create_admin(pool: &PgPool, new: NewAdmin<'_>) -> Result<CreatedAdmin, AppError> {
    let email = Email::parse("email", new.email)?;
    let password = NewPassword::parse("password", new.password)?;
    let display_name = match new.display_name {
        Some(name) => Name::parse("name", "name", name, 100)?,
        None => Name::parse(
            "name",
            "name",
            email.as_str().split('@').next().unwrap_or("Admin"),
            100,
        )?,
    };
    let password_hash = crate::service::passwords::hash(&password).await?;

    let mut tx = pool.begin().await?;
    let orgs = db::organisations::all(&mut tx).await?;
    let (org_id, organisation, created_org) = match (orgs.as_slice(), new.organisation) {
        ([], wanted) => {
            let name = Name::parse(
                "organisation",
                "organisation name",
                wanted.unwrap_or("My organisation"),
                100,
            )?;
            let id = db::organisations::insert(&mut tx, name.as_str()).await?;
            (id, name.as_str().to_string(), true)
        }
        ([(id, name)], None) => (*id, name.clone(), false),
        (orgs, Some(wanted)) => match orgs
            .iter()
            .find(|(_, name)| name.eq_ignore_ascii_case(wanted.trim()))
        {
            Some((id, name)) => (*id, name.clone(), false),
            None => {
                return Err(AppError::invalid(
                    "organisation",
                    format!("No organisation is named \u{201c}{wanted}\u{201d}."),
                ))
            }
        },
        (orgs, None) => {
            let names: Vec<&str> = orgs.iter().map(|(_, n)| n.as_str()).collect();
            return Err(AppError::invalid(
                "organisation",
                format!(
                    "There are several organisations; name one with --organisation ({}).",
                    names.join(", ")
                ),
            ));
        }
    };
    db::console_catalogue::ensure(&mut tx, org_id).await?;

    if db::auth::email_taken(&mut tx, org_id, email.as_str()).await? {
        return Err(AppError::invalid(
            "email",
            format!("{} already has an account.", email.as_str()),
        ));
    }

    let principal_id = db::auth::insert_console_user(
        &mut tx,
        org_id,
        (display_name.as_str(), email.as_str()),
        "Governance admin",
        &password_hash,
    )
    .await?;
    let role_id =
        db::console_catalogue::role_id(&mut tx, org_id, ConsoleRole::GovernanceAdmin).await?;
    let grant_id = db::grants::insert(
        &mut tx,
        org_id,
        &db::grants::NewGrant {
            valid_from: None,
            principal_id,
            role_id: Some(role_id),
            permission_set_id: None,
            account_id: None,
            valid_until: None,
            granted_by: None,
            reason: "Created with gatehouse create-admin",
            source_request_id: None,
            conditions: &serde_json::json!({}),
            birthright_rule_id: None,
            package_assignment_id: None,
        },
    )
    .await?;

    let actor = Actor {
        org_id,
        principal_id: None,
        label: "gatehouse create-admin (command line)".into(),
        source_ip: None,
        user_agent: None,
    };
    if created_org {
        db::audit::record(
            &mut tx,
            &actor,
            Change::on(
                AuditAction::OrganisationCreated,
                org_id,
                organisation.clone(),
            )
            .after(json!({ "name": organisation })),
        )
        .await?;
    }
    db::audit::record(
        &mut tx,
        &actor,
        Change::on(AuditAction::PrincipalCreated, principal_id, email.as_str().to_string()).after(json!({ "kind": "human", "display_name": display_name.as_str(), "email": email.as_str() })).because("console administrator".to_string()),
    )
    .await?;
    db::audit::record(
        &mut tx,
        &actor,
        Change::on(AuditAction::GrantCreated, grant_id, format!("{} \u{2192} {}", email.as_str(), ConsoleRole::GovernanceAdmin.name())).after(json!({ "principal": email.as_str(), "role": ConsoleRole::GovernanceAdmin.name(), "account": null })).because("Created with gatehouse create-admin".to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedAdmin {
        org_id,
        organisation,
        principal_id,
    })
}

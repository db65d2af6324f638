//! Creating a console administrator from the command line.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::error::AppError;
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
    let orgs: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, name FROM organisations ORDER BY name")
            .fetch_all(&mut *tx)
            .await?;
    let (org_id, organisation, created_org) = match (orgs.as_slice(), new.organisation) {
        ([], wanted) => {
            let name = Name::parse(
                "organisation",
                "organisation name",
                wanted.unwrap_or("My organisation"),
                100,
            )?;
            let id = Uuid::new_v4();
            sqlx::query("INSERT INTO organisations (id, name) VALUES ($1, $2)")
                .bind(id)
                .bind(name.as_str())
                .execute(&mut *tx)
                .await?;
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

    let taken: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM console_credentials WHERE email = $1) \
             OR EXISTS (SELECT 1 FROM principals WHERE org_id = $2 AND email = $1)",
    )
    .bind(email.as_str())
    .bind(org_id)
    .fetch_one(&mut *tx)
    .await?;
    if taken {
        return Err(AppError::invalid(
            "email",
            format!("{} already has an account.", email.as_str()),
        ));
    }

    let principal_id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO principals (org_id, id, kind, display_name, email, employment_type, job_title) \
         VALUES ($1, $2, 'human', $3, $4, 'employee', 'Governance admin')",
    )
    .bind(org_id)
    .bind(principal_id)
    .bind(display_name.as_str())
    .bind(email.as_str())
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO console_credentials (org_id, principal_id, email, password_hash) VALUES ($1, $2, $3, $4)")
        .bind(org_id)
        .bind(principal_id)
        .bind(email.as_str())
        .bind(&password_hash)
        .execute(&mut *tx)
        .await?;
    let role_id =
        db::console_catalogue::role_id(&mut tx, org_id, ConsoleRole::GovernanceAdmin).await?;
    let grant_id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO grants (org_id, id, principal_id, role_id, reason) VALUES ($1, $2, $3, $4, 'Created with gatehouse create-admin')",
    )
    .bind(org_id)
    .bind(grant_id)
    .bind(principal_id)
    .bind(role_id)
    .execute(&mut *tx)
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
            Change {
                action: "organisation.created",
                target_type: "organisation",
                target_id: Some(org_id.to_string()),
                target_label: organisation.clone(),
                before: None,
                after: Some(json!({ "name": organisation })),
                reason: None,
            },
        )
        .await?;
    }
    db::audit::record(
        &mut tx,
        &actor,
        Change {
            action: "principal.created",
            target_type: "principal",
            target_id: Some(principal_id.to_string()),
            target_label: email.as_str().to_string(),
            before: None,
            after: Some(json!({ "kind": "human", "display_name": display_name.as_str(), "email": email.as_str() })),
            reason: Some("console administrator".into()),
        },
    )
    .await?;
    db::audit::record(
        &mut tx,
        &actor,
        Change {
            action: "grant.created",
            target_type: "grant",
            target_id: Some(grant_id.to_string()),
            target_label: format!("{} \u{2192} {}", email.as_str(), ConsoleRole::GovernanceAdmin.name()),
            before: None,
            after: Some(json!({ "principal": email.as_str(), "role": ConsoleRole::GovernanceAdmin.name(), "account": null })),
            reason: Some("Created with gatehouse create-admin".into()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedAdmin {
        org_id,
        organisation,
        principal_id,
    })
}

//! Changing a principal: its attributes, the accounts it serves, suspension and
//! reactivation. Each change is one transaction with its audit event.

use chrono::NaiveDate;
use serde_json::{json, Map, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::principals::Editable;
use crate::error::AppError;
use crate::service::grants::parse_reason;
use rules::audit::AuditAction;
use rules::principals::PrincipalStatus;
use rules::validation::{Email, Name};

const EMPLOYMENT_TYPES: [&str; 3] = ["employee", "contractor", "client_user"];

/// The attributes as the edit form sends them.
#[derive(Debug, Clone, Default)]
pub struct RawEdit<'a> {
    pub display_name: &'a str,
    pub job_title: &'a str,
    pub employment_type: &'a str,
    /// Email of the manager (people) or owner (everything else); empty for none.
    pub responsible: &'a str,
    /// `YYYY-MM-DD` or empty.
    pub end_date: &'a str,
}

/// Checked attributes; the responsible person is still an email to look up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEdit {
    pub display_name: String,
    pub job_title: String,
    pub employment_type: Option<String>,
    pub responsible: Option<Email>,
    pub end_date: Option<NaiveDate>,
}

/// Checks the form against the principal's kind: people carry an employment type and
/// may have a manager; bots, agents and integrations have no employment type and must
/// have an owner.
pub fn parse_edit(kind: &str, raw: &RawEdit) -> Result<ParsedEdit, AppError> {
    let human = kind == "human";
    let display_name = Name::parse("display_name", "name", raw.display_name, 120)?;
    let job_title = raw.job_title.trim();
    if job_title.chars().count() > 120 {
        return Err(AppError::invalid(
            "job_title",
            "The job title is too long (120 characters at most).",
        ));
    }
    let employment_type = match (human, raw.employment_type.trim()) {
        (true, t) if EMPLOYMENT_TYPES.contains(&t) => Some(t.to_string()),
        (true, _) => {
            return Err(AppError::invalid(
                "employment_type",
                "Choose employee, contractor or client user.",
            ))
        }
        (false, "") => None,
        (false, _) => {
            return Err(AppError::invalid(
                "employment_type",
                "Only people have an employment type.",
            ))
        }
    };
    let responsible = match raw.responsible.trim() {
        "" if !human => {
            return Err(AppError::invalid(
                "responsible",
                "Bots, AI agents and integrations need an owner: enter the owner's email.",
            ))
        }
        "" => None,
        email => Some(Email::parse("responsible", email)?),
    };
    let end_date = match raw.end_date.trim() {
        "" => None,
        date => Some(NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| {
            AppError::invalid(
                "end_date",
                format!("\u{201c}{date}\u{201d} is not a date; use YYYY-MM-DD."),
            )
        })?),
    };
    Ok(ParsedEdit {
        display_name: display_name.as_str().to_string(),
        job_title: job_title.to_string(),
        employment_type,
        responsible,
        end_date,
    })
}

/// The fields that differ, as (before, after) objects for the audit trail.
fn differences(before: &Editable, after: &Editable) -> Option<(Value, Value)> {
    let fields = [
        (
            "name",
            json!(before.display_name),
            json!(after.display_name),
        ),
        ("job_title", json!(before.job_title), json!(after.job_title)),
        (
            "employment_type",
            json!(before.employment_type),
            json!(after.employment_type),
        ),
        (
            if before.kind == "human" {
                "manager"
            } else {
                "owner"
            },
            json!(before.responsible_email),
            json!(after.responsible_email),
        ),
        ("end_date", json!(before.end_date), json!(after.end_date)),
    ];
    let (mut old, mut new) = (Map::new(), Map::new());
    for (name, b, a) in fields {
        if b != a {
            old.insert(name.into(), b);
            new.insert(name.into(), a);
        }
    }
    (!new.is_empty()).then_some((Value::Object(old), Value::Object(new)))
}

async fn locked(
    tx: &mut db::Tx<'_>,
    org_id: Uuid,
    principal_id: Uuid,
) -> Result<Editable, AppError> {
    db::principals::editable_for_update(tx, org_id, principal_id)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such principal.".into()))
}

/// Saves a principal's attributes. Answers whether anything changed.
pub async fn update(
    pool: &PgPool,
    actor: &Actor,
    principal_id: Uuid,
    raw: &RawEdit<'_>,
) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    let before = locked(&mut tx, actor.org_id, principal_id).await?;
    let edit = parse_edit(&before.kind, raw)?;
    let human = before.kind == "human";
    let responsible_id = match &edit.responsible {
        None => None,
        Some(email) => {
            let role = if human { "manager" } else { "owner" };
            let Some((id, kind)) =
                db::principals::by_email(&mut tx, actor.org_id, email.as_str()).await?
            else {
                return Err(AppError::invalid(
                    "responsible",
                    format!(
                        "No one in the organisation has the email {}.",
                        email.as_str()
                    ),
                ));
            };
            if kind != "human" {
                return Err(AppError::invalid(
                    "responsible",
                    format!("The {role} must be a person, not a bot, agent or integration."),
                ));
            }
            if id == principal_id {
                return Err(AppError::invalid(
                    "responsible",
                    format!("{} cannot be their own {role}.", before.display_name),
                ));
            }
            if human
                && db::principals::manages_through(&mut tx, actor.org_id, principal_id, id).await?
            {
                return Err(AppError::invalid(
                    "responsible",
                    format!(
                        "{} already reports, directly or through others, to {}: that would make a loop.",
                        email.as_str(),
                        before.display_name
                    ),
                ));
            }
            Some(id)
        }
    };
    let after = Editable {
        display_name: edit.display_name,
        job_title: edit.job_title,
        employment_type: edit.employment_type,
        responsible_id,
        responsible_email: edit.responsible.map(|e| e.as_str().to_string()),
        end_date: edit.end_date,
        ..before.clone()
    };
    let Some((old, new)) = differences(&before, &after) else {
        return Ok(false);
    };
    db::principals::update_attributes(&mut tx, actor.org_id, principal_id, &after).await?;
    db::audit::record(
        &mut tx,
        actor,
        Change::on(
            AuditAction::PrincipalUpdated,
            principal_id,
            after.display_name.clone(),
        )
        .before(old)
        .after(new),
    )
    .await?;
    birthright_after(&mut tx, actor, principal_id, "changed on the console").await?;
    tx.commit().await?;
    Ok(true)
}

/// Suspends (`suspended`) or reactivates (`active`) a principal, with a reason.
/// Suspension ends the principal's console sessions at once; grants are kept for review.
pub async fn set_status(
    pool: &PgPool,
    actor: &Actor,
    principal_id: Uuid,
    status: &str,
    reason: &str,
) -> Result<(), AppError> {
    let reason = parse_reason(reason)?;
    let status = match PrincipalStatus::parse(status) {
        Some(s @ (PrincipalStatus::Suspended | PrincipalStatus::Active)) => s,
        _ => return Err(AppError::invalid("status", "Choose suspend or reactivate.")),
    };
    let mut tx = pool.begin().await?;
    set_status_in(&mut tx, actor, principal_id, status, &reason).await?;
    tx.commit().await?;
    Ok(())
}

/// [`set_status`] inside the caller's transaction; `reason` has passed [`parse_reason`].
pub async fn set_status_in(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    principal_id: Uuid,
    status: PrincipalStatus,
    reason: &str,
) -> Result<(), AppError> {
    let action = match status {
        PrincipalStatus::Suspended => AuditAction::PrincipalSuspended,
        PrincipalStatus::Active => AuditAction::PrincipalReactivated,
        PrincipalStatus::Offboarded => {
            return Err(AppError::invalid("status", "Choose suspend or reactivate."))
        }
    };
    let current = locked(tx, actor.org_id, principal_id).await?;
    let name = &current.display_name;
    if current.status == PrincipalStatus::Offboarded {
        return Err(AppError::Conflict(format!(
            "{name} has been offboarded; offboarding is final."
        )));
    }
    if current.status == status {
        return Err(AppError::Conflict(format!("{name} is already {status}.")));
    }
    if status == PrincipalStatus::Suspended && actor.principal_id == Some(principal_id) {
        return Err(AppError::Conflict(
            "You cannot suspend yourself; ask another Governance admin.".into(),
        ));
    }
    let ended = db::principals::set_status(tx, actor.org_id, principal_id, status).await?;
    db::audit::record(
        tx,
        actor,
        Change::on(action, principal_id, name.clone())
            .before(json!({ "status": current.status }))
            .after(json!({ "status": status, "sessions_ended": ended }))
            .because(reason.to_string()),
    )
    .await?;
    if status == PrincipalStatus::Active {
        birthright_after(tx, actor, principal_id, "reactivated on the console").await?;
    }
    Ok(())
}

/// Weighs the principal against the birthright rules after a change on the console;
/// never for the person making it, who gives themselves nothing.
async fn birthright_after(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    principal_id: Uuid,
    why: &str,
) -> Result<(), AppError> {
    if actor.principal_id != Some(principal_id) {
        crate::service::birthright::reconcile(tx, actor, &[principal_id], why).await?;
    }
    Ok(())
}

/// Assigns the principal to serve an account, or takes the assignment away.
pub async fn set_account(
    pool: &PgPool,
    actor: &Actor,
    principal_id: Uuid,
    account_id: Uuid,
    assigned: bool,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let principal = locked(&mut tx, actor.org_id, principal_id).await?;
    let account = super::accounts::picked_name(&mut tx, actor.org_id, account_id).await?;
    if !db::principals::set_account(&mut tx, actor.org_id, principal_id, account_id, assigned)
        .await?
    {
        return Ok(());
    }
    db::audit::record(
        &mut tx,
        actor,
        Change::on(
            if assigned {
                AuditAction::PrincipalAccountAssigned
            } else {
                AuditAction::PrincipalAccountUnassigned
            },
            principal_id,
            principal.display_name,
        )
        .before(json!({ "account": account, "assigned": !assigned }))
        .after(json!({ "account": account, "assigned": assigned })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(employment: &'a str, responsible: &'a str, end: &'a str) -> RawEdit<'a> {
        RawEdit {
            display_name: "  Ada Park ",
            job_title: "Support lead",
            employment_type: employment,
            responsible,
            end_date: end,
        }
    }

    #[test]
    fn people_carry_an_employment_type_and_may_have_no_manager() {
        let edit = parse_edit("human", &raw("contractor", "", "2027-03-31")).unwrap();
        assert_eq!(edit.display_name, "Ada Park");
        assert_eq!(edit.employment_type.as_deref(), Some("contractor"));
        assert_eq!(edit.responsible, None);
        assert_eq!(edit.end_date, NaiveDate::from_ymd_opt(2027, 3, 31));
        let missing = parse_edit("human", &raw("", "", "")).unwrap_err();
        assert!(missing.field_message("employment_type").is_some());
    }

    #[test]
    fn non_human_principals_need_an_owner_and_no_employment_type() {
        let edit = parse_edit("bot", &raw("", " Owner@Northwind.example ", "")).unwrap();
        assert_eq!(
            edit.responsible.as_ref().map(Email::as_str),
            Some("owner@northwind.example")
        );
        assert!(parse_edit("bot", &raw("", "", ""))
            .unwrap_err()
            .field_message("responsible")
            .is_some());
        assert!(parse_edit("ai_agent", &raw("employee", "o@n.example", ""))
            .unwrap_err()
            .field_message("employment_type")
            .is_some());
    }

    #[test]
    fn unreadable_values_name_their_field() {
        assert!(parse_edit("human", &raw("employee", "not an email", ""))
            .unwrap_err()
            .field_message("responsible")
            .is_some());
        assert!(parse_edit("human", &raw("employee", "", "31/03/2027"))
            .unwrap_err()
            .field_message("end_date")
            .is_some());
        let blank = RawEdit {
            display_name: "   ",
            ..raw("employee", "", "")
        };
        assert!(parse_edit("human", &blank)
            .unwrap_err()
            .field_message("display_name")
            .is_some());
    }
}

//! Answering a rectification request: the subject's details corrected.

use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::error::AppError;
use crate::service::consent::subject_label;
use rules::audit::AuditAction;
use rules::console::AccountScope;
use rules::dsr::DsrKind;
use rules::validation::{Email, Name};

use super::{finish, in_progress, label, subject_in};

/// The corrected details a DPO enters; blank fields stay as they are.
pub struct Correction<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub country: &'a str,
}

/// Corrects the subject's details and completes the rectification request, keeping
/// each changed field before and after on the request and in the audit trail.
pub async fn rectify(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
    id: Uuid,
    form: &Correction<'_>,
) -> Result<(), AppError> {
    let email = match form.email.trim() {
        "" => None,
        raw => Some(Email::parse("email", raw)?.as_str().to_string()),
    };
    let name = match form.name.trim() {
        "" => None,
        raw => Some(Name::parse("name", "name", raw, 200)?.as_str().to_string()),
    };
    let country = match form.country.trim() {
        "" => None,
        raw => {
            let c = raw.to_uppercase();
            if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
                return Err(AppError::invalid(
                    "country",
                    "Give the country as its two-letter code, such as PT or DE.",
                ));
            }
            Some(c)
        }
    };
    let mut tx = pool.begin().await?;
    let r = in_progress(&mut tx, actor, scope, id, DsrKind::Rectification).await?;
    let subject = subject_in(&mut tx, actor.org_id, scope, r.subject_id).await?;
    if subject.pseudonymised_at.is_some() {
        return Err(AppError::Conflict(
            "This subject was erased: nothing identifies them any more, and rectifying would \
             identify them again. Reject the request with that reason."
                .into(),
        ));
    }
    let mut before = serde_json::Map::new();
    let mut after = serde_json::Map::new();
    for (field, old, new) in [
        ("email", &subject.email, &email),
        ("name", &subject.name, &name),
        ("country", &subject.country, &country),
    ] {
        if let Some(new) = new {
            if old.as_ref() != Some(new) {
                before.insert(field.into(), json!(old));
                after.insert(field.into(), json!(new));
            }
        }
    }
    if after.is_empty() {
        return Err(AppError::invalid(
            "email",
            "Nothing differs from what is held: enter the corrected email, name or country.",
        ));
    }
    let changed = (email.as_deref(), name.as_deref(), country.as_deref());
    db::dsr::rectify(&mut tx, actor.org_id, subject.id, changed).await?;
    let (before, after) = (Value::Object(before), Value::Object(after));
    let outcome = json!({ "before": before, "after": after });
    let change = Change::on(
        AuditAction::SubjectRectified,
        subject.id,
        subject_label(&subject),
    )
    .before(before)
    .after(after)
    .because(label(r.number, r.kind));
    finish(tx, actor, (id, &r), outcome, change).await
}

//! Proof of a subject's consent, as JSON or CSV.

use chrono::Utc;
use sqlx::PgPool;

use uuid::Uuid;

use crate::db;
use crate::db::audit::Actor;
use crate::error::AppError;
use crate::model::consent::{ConsentEventRow, SubjectRow};
use crate::service::csv_export::CsvFile;
use rules::audit::AuditAction;
use rules::console::AccountScope;

use super::{find, subject_event};

/// The subject's consent proof: the subject and every event with every field, oldest
/// first, as JSON or CSV; the export is audited.
pub async fn proof(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
    id: Uuid,
    format: ProofFormat,
) -> Result<String, AppError> {
    let subject = find(pool, actor.org_id, scope, id).await?;
    let mut events = db::consent::history(pool, actor.org_id, id).await?;
    events.reverse();
    let body = match format {
        ProofFormat::Json => serde_json::to_string_pretty(&serde_json::json!({
            "subject": subject,
            "exported_at": Utc::now(),
            "events": events,
        }))
        .map_err(AppError::internal)?,
        ProofFormat::Csv => proof_csv(&subject, &events)?,
    };
    let mut tx = pool.begin().await?;
    let after = serde_json::json!({ "format": format.name(), "events": events.len() });
    db::audit::record(
        &mut tx,
        actor,
        subject_event(AuditAction::SubjectExported, &subject).after(after),
    )
    .await?;
    tx.commit().await?;
    Ok(body)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofFormat {
    Json,
    Csv,
}

impl ProofFormat {
    pub fn name(self) -> &'static str {
        match self {
            ProofFormat::Json => "json",
            ProofFormat::Csv => "csv",
        }
    }
}

fn proof_csv(subject: &SubjectRow, events: &[ConsentEventRow]) -> Result<String, AppError> {
    let mut w = CsvFile::new([
        "subject_id",
        "account",
        "subject_external_id",
        "event_id",
        "occurred_at_utc",
        "recorded_at_utc",
        "channel",
        "purpose",
        "status",
        "lawful_basis",
        "method",
        "source_system",
        "notice_version",
        "notice_sha256",
        "language",
        "jurisdiction",
        "recorded_by",
        "source_event_id",
        "reason",
        "evidence",
    ])?;
    for e in events {
        w.row([
            subject.id.to_string(),
            subject.account.clone(),
            subject.external_id.clone(),
            e.id.to_string(),
            e.occurred_at.to_rfc3339(),
            e.recorded_at.to_rfc3339(),
            e.channel.clone(),
            e.purpose.clone(),
            e.status.clone(),
            e.lawful_basis.clone(),
            e.method.clone(),
            e.source_system.clone(),
            e.notice_version.clone(),
            e.notice_sha256.clone(),
            e.language.clone(),
            e.jurisdiction.clone(),
            e.recorded_by.clone(),
            e.source_event_id.clone().unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            e.evidence.to_string(),
        ])?;
    }
    w.finish()
}

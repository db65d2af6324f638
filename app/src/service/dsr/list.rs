//! The data-subject requests list and one request's page; each look is audited.

use chrono::Utc;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::dsr::Show;
use crate::error::AppError;
use crate::model::dsr::{DsrDetail, DsrList, DSR_PAGE_SIZE};
use crate::service::split_page;
use rules::audit::AuditAction;
use rules::console::AccountScope;
use rules::dsr::{urgency, DsrKind, MAX_EXTENSION_DAYS};

use super::{exported, find_request, request_event};

/// The `/dsr` list; the look is audited.
pub async fn list(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
    (show, kind, page): (&str, &str, u32),
    can_manage: bool,
) -> Result<DsrList, AppError> {
    let show = Show::parse(show).ok_or_else(|| {
        AppError::invalid(
            "show",
            "Choose open, overdue, due soon, closed or all requests.",
        )
    })?;
    let kind = match kind.trim() {
        "" => None,
        k => Some(DsrKind::parse(k).ok_or_else(|| {
            AppError::invalid(
                "kind",
                format!("\u{201c}{k}\u{201d} is not a kind of request."),
            )
        })?),
    };
    let today = Utc::now().date_naive();
    let size = i64::from(DSR_PAGE_SIZE);
    let org = actor.org_id;
    let (rows, (open, overdue, due_soon), response_days) = tokio::try_join!(
        db::dsr::list(
            pool,
            org,
            scope.ids(),
            (show, kind),
            today,
            size + 1,
            i64::from(page) * size
        ),
        db::dsr::counts(pool, org, scope.ids(), today),
        db::dsr::response_days(pool, org),
    )?;
    db::audit::record_alone(
        pool,
        actor,
        Change::about(AuditAction::SubjectRequestsListed, "data-subject requests")
            .after(json!({ "page": page, "rows": rows.len().min(DSR_PAGE_SIZE as usize) })),
    )
    .await?;
    let (rows, has_next) = split_page(rows, DSR_PAGE_SIZE as usize);
    Ok(DsrList {
        rows: crate::model::dsr::with_urgency(rows, today),
        page,
        has_next,
        open,
        overdue,
        due_soon,
        response_days,
        can_manage,
    })
}

/// The request's page; the look is audited.
pub async fn detail(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
    id: Uuid,
    can_manage: bool,
) -> Result<DsrDetail, AppError> {
    let (row, subject) = find_request(pool, actor.org_id, scope, id).await?;
    let mut tx = pool.begin().await?;
    db::audit::record(
        &mut tx,
        actor,
        request_event(
            AuditAction::SubjectRequestViewed,
            (row.id, row.number, row.kind),
        ),
    )
    .await?;
    tx.commit().await?;
    let facts = db::dsr::facts(pool, actor.org_id, id).await?;
    let today = Utc::now().date_naive();
    let exported = exported(facts.outcome.as_ref());
    let mut row = row;
    row.urgency = urgency(row.status, row.due, today);
    Ok(DsrDetail {
        latest_extension: facts.due_on + chrono::Duration::days(MAX_EXTENSION_DAYS),
        row,
        facts,
        subject,
        exported,
        can_manage,
    })
}

//! Access-hygiene reports: the dormant report (page, CSV of the filtered view) and the
//! actions taken on a selection from it, each selection one transaction.

use chrono::Utc;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::reports::DormantFilter;
use crate::error::AppError;
use crate::model::reports::{BulkOutcome, DormantQuery, DormantReport, DormantRow};
use crate::service::csv_export::{check_size, CsvFile, ROW_LIMIT};
use crate::service::grants::{parse_reason, revoke_in};
use crate::service::principal_admin::set_status_in;
use crate::service::split_page;
use rules::audit::AuditAction;
use rules::console::AccountScope;
use rules::principals::PrincipalStatus;
use rules::principals::PRINCIPAL_KINDS;
use rules::reports::{dormancy, parse_window};

pub const PAGE_SIZE: usize = 50;
/// Principals one action may take at once.
pub const MAX_SELECTION: usize = 200;

/// The report's filter from its query, as of now.
fn filter<'a>(q: &'a DormantQuery, scope: &'a AccountScope) -> Result<DormantFilter<'a>, AppError> {
    let kind = q.kind.trim();
    if !(kind.is_empty() || PRINCIPAL_KINDS.contains(&kind)) {
        return Err(AppError::invalid(
            "kind",
            "Choose a kind of principal from the list.",
        ));
    }
    Ok(DormantFilter {
        now: Utc::now(),
        days: parse_window(&q.days).map_err(|m| AppError::invalid("days", m))?,
        kind,
        within: scope.ids(),
    })
}

/// One page of the report over the principals of the accounts `scope` reaches.
pub async fn dormant(
    pool: &PgPool,
    org_id: Uuid,
    scope: &AccountScope,
    q: &DormantQuery,
) -> Result<DormantReport, AppError> {
    let filter = filter(q, scope)?;
    let days = filter.days;
    let offset = i64::from(q.page) * PAGE_SIZE as i64;
    // Both read every principal; on two connections they run side by side.
    let (by_kind, rows) = tokio::try_join!(
        db::reports::dormant_by_kind(pool, org_id, &filter),
        db::reports::dormant(pool, org_id, &filter, Some(PAGE_SIZE as i64 + 1), offset),
    )?;
    let total = by_kind
        .iter()
        .filter(|(kind, _)| filter.kind.is_empty() || kind == filter.kind)
        .map(|(_, n)| n)
        .sum();
    let (rows, has_next) = split_page(rows, PAGE_SIZE);
    Ok(DormantReport {
        days,
        now: filter.now,
        by_kind,
        total,
        page: q.page,
        rows,
        has_next,
    })
}

/// The whole filtered report as CSV; the export is audited.
pub async fn dormant_csv(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
    q: &DormantQuery,
) -> Result<String, AppError> {
    let filter = filter(q, scope)?;
    let days = filter.days;
    let rows =
        db::reports::dormant(pool, actor.org_id, &filter, Some(ROW_LIMIT as i64 + 1), 0).await?;
    check_size(rows.len())?;
    let csv = dormant_to_csv(&rows, &filter)?;
    audit_export(
        pool,
        actor,
        "dormant",
        "dormant principals",
        json!({ "days": days, "kind": filter.kind, "rows": rows.len() }),
    )
    .await?;
    Ok(csv)
}

/// Records that `actor` exported report `id` (`after`: its filters and row count).
pub async fn audit_export(
    pool: &PgPool,
    actor: &Actor,
    id: &str,
    label: &str,
    after: serde_json::Value,
) -> Result<(), AppError> {
    db::audit::record_alone(
        pool,
        actor,
        Change::on(AuditAction::ReportExported, id, label).after(after),
    )
    .await?;
    Ok(())
}

fn dormant_to_csv(rows: &[DormantRow], filter: &DormantFilter<'_>) -> Result<String, AppError> {
    let mut w = CsvFile::new([
        "principal_id",
        "name",
        "kind",
        "email",
        "external_id",
        "employment_type",
        "why",
        "last_activity_utc",
        "end_date",
        "manager_or_owner",
        "grants_in_force",
        "roles_and_permission_sets",
    ])?;
    for r in rows {
        let why = dormancy(
            filter.now,
            filter.days,
            r.last_activity_at,
            r.created_at,
            r.end_date,
        )
        .map(|d| d.label())
        .unwrap_or_default();
        w.row([
            r.id.to_string(),
            r.display_name.clone(),
            r.kind.clone(),
            r.email.clone().unwrap_or_default(),
            r.external_id.clone().unwrap_or_default(),
            r.employment_type.clone().unwrap_or_default(),
            why.to_string(),
            r.last_activity_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
            r.end_date.map(|d| d.to_string()).unwrap_or_default(),
            r.responsible.clone().unwrap_or_default(),
            r.grants.to_string(),
            r.bundles.join("; "),
        ])?;
    }
    w.finish()
}

/// What may be done to a selection from the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    /// Suspend: sessions end at once, grants stay for review.
    Suspend,
    /// Revoke every grant in force.
    RevokeGrants,
}

impl BulkAction {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw {
            "suspend" => Ok(BulkAction::Suspend),
            "revoke_grants" => Ok(BulkAction::RevokeGrants),
            _ => Err(AppError::invalid(
                "action",
                "Choose suspend or revoke all grants.",
            )),
        }
    }
}

/// A selection from a report: at least one principal, at most [`MAX_SELECTION`].
pub fn check_selection(principals: &[Uuid]) -> Result<(), AppError> {
    if principals.is_empty() {
        return Err(AppError::invalid(
            "principals",
            "Select at least one principal.",
        ));
    }
    if principals.len() > MAX_SELECTION {
        return Err(AppError::invalid(
            "principals",
            format!("Select at most {MAX_SELECTION} principals at once."),
        ));
    }
    Ok(())
}

/// Applies `action` to the selected principals in one transaction, each change with its
/// audit event. Principals already suspended (or offboarded) are skipped with the reason.
pub async fn act(
    pool: &PgPool,
    actor: &Actor,
    action: BulkAction,
    principals: &[Uuid],
    reason: &str,
) -> Result<BulkOutcome, AppError> {
    check_selection(principals)?;
    let reason = parse_reason(reason)?;
    let mut ids = principals.to_vec();
    ids.sort();
    ids.dedup();
    let mut tx = pool.begin().await?;
    let mut outcome = BulkOutcome {
        done: 0,
        skipped: Vec::new(),
        campaign: None,
    };
    match action {
        BulkAction::Suspend => {
            for id in ids {
                match set_status_in(&mut tx, actor, id, PrincipalStatus::Suspended, &reason).await {
                    Ok(()) => outcome.done += 1,
                    Err(AppError::Conflict(why)) => outcome.skipped.push(why),
                    Err(e) => return Err(e),
                }
            }
        }
        BulkAction::RevokeGrants => {
            // Revoking a grant of an access package revokes its other grants too.
            let mut revoked = std::collections::HashSet::new();
            for grant in
                db::reports::grants_in_force_for_update(&mut tx, actor.org_id, &ids).await?
            {
                if !revoked.contains(&grant) {
                    revoked.extend(revoke_in(&mut tx, actor, grant, &reason).await?);
                }
                outcome.done += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(outcome)
}

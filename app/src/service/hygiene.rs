//! The hygiene reports as tables: one page for the browser, or the whole filtered view
//! as CSV (audited); and the organisation's client-account limit.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::Actor;
use crate::db::hygiene::Filter;
use crate::error::AppError;
use crate::model::reports::{Cell, ReportQuery, ReportTable};
use crate::service::csv_export::{check_size, CsvFile, ROW_LIMIT};
use crate::service::reports::audit_export;
use crate::service::split_page;
use rules::console::AccountScope;
use rules::hygiene::{client_bleed, median, overload, parse_account_limit, Hygiene};
use rules::principals::kind_label;
use rules::reports::parse_window;

pub const PAGE_SIZE: usize = 50;

/// The report's filter from its query, as of now, over the grants `scope` is shown;
/// `limit` rows from `offset`.
fn filter(
    report: Hygiene,
    scope: &AccountScope,
    q: &ReportQuery,
    limit: Option<i64>,
    offset: i64,
) -> Result<Filter, AppError> {
    let days = match report.window() {
        Some((_, default)) if q.days.trim().is_empty() => default,
        Some(_) => parse_window(&q.days).map_err(|m| AppError::invalid("days", m))?,
        None => 0,
    };
    let application = match q.application.trim() {
        "" => None,
        _ if !report.filters_by_application() => None,
        id => Some(Uuid::parse_str(id).map_err(|_| {
            AppError::invalid("application", "Choose an application from the list.")
        })?),
    };
    let kind = q.kind.trim();
    if !(kind.is_empty() || report.kinds().contains(&kind)) {
        return Err(AppError::invalid(
            "kind",
            "Choose a kind of principal from the list.",
        ));
    }
    Ok(Filter {
        now: Utc::now(),
        days,
        application,
        kind: kind.to_string(),
        limit,
        offset,
        within: scope.ids().map(<[Uuid]>::to_vec),
    })
}

/// A report's rows with its columns and the number of rows matching.
struct Built {
    columns: &'static [&'static str],
    rows: Vec<Vec<Cell>>,
    total: i64,
    account_limit: Option<i32>,
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn count(n: impl ToString) -> Cell {
    Cell::text(n.to_string())
}

async fn build(
    pool: &PgPool,
    org_id: Uuid,
    report: Hygiene,
    q: &ReportQuery,
    f: &Filter,
) -> Result<Built, AppError> {
    let total_of = |totals: Vec<i64>| totals.first().copied().unwrap_or(0);
    Ok(match report {
        Hygiene::Expiring => {
            let rows = db::hygiene::expiring(pool, org_id, f).await?;
            Built {
                columns: &[
                    "Ends (UTC)",
                    "Principal",
                    "Kind",
                    "Role or permission set",
                    "Application",
                    "Account",
                    "Granted by",
                ],
                total: total_of(rows.iter().map(|r| r.total).collect()),
                rows: rows
                    .into_iter()
                    .map(|r| {
                        vec![
                            Cell::text(r.valid_until.format("%Y-%m-%d %H:%M").to_string()),
                            Cell::principal(r.principal_id, r.principal),
                            Cell::text(kind_label(&r.kind)),
                            Cell::text(r.bundle),
                            Cell::text(r.application),
                            Cell::text(r.account.unwrap_or_else(|| "every account".into())),
                            Cell::text(r.granted_by.unwrap_or_default()),
                        ]
                    })
                    .collect(),
                account_limit: None,
            }
        }
        Hygiene::OverloadedRoles => {
            let roles = db::hygiene::role_loads(pool, org_id, f).await?;
            let mut per_app: HashMap<Uuid, [Vec<i64>; 3]> = HashMap::new();
            for r in &roles {
                let v = per_app.entry(r.application_id).or_default();
                v[0].push(r.permissions);
                v[1].push(r.high_impact);
                v[2].push(r.members);
            }
            let medians: HashMap<Uuid, [f64; 3]> = per_app
                .into_iter()
                .map(|(app, v)| (app, [median(&v[0]), median(&v[1]), median(&v[2])]))
                .collect();
            let every_role = q.show == "all";
            let rows: Vec<Vec<Cell>> = roles
                .into_iter()
                .filter_map(|r| {
                    let m = medians[&r.application_id];
                    let why = overload(r.permissions, r.high_impact, m[0], m[1]);
                    (every_role || !why.is_empty()).then(|| {
                        vec![
                            Cell {
                                text: r.role,
                                href: Some(format!("/roles?app={}", r.application_id)),
                            },
                            Cell::text(r.application),
                            count(r.permissions),
                            count(m[0]),
                            count(r.high_impact),
                            count(m[1]),
                            count(r.members),
                            count(m[2]),
                            Cell::text(why.join("; ")),
                        ]
                    })
                })
                .collect();
            let total = rows.len() as i64;
            let from = usize::try_from(f.offset).unwrap_or(usize::MAX);
            let take = f.limit.map_or(usize::MAX, |l| l as usize);
            Built {
                columns: &[
                    "Role",
                    "Application",
                    "Permissions",
                    "Application median",
                    "High-impact",
                    "Application median (high-impact)",
                    "Members",
                    "Application median (members)",
                    "Overloaded because",
                ],
                rows: rows.into_iter().skip(from).take(take).collect(),
                total,
                account_limit: None,
            }
        }
        Hygiene::Overreach => {
            let rows = db::hygiene::overreach(pool, org_id, f).await?;
            Built {
                columns: &[
                    "Principal",
                    "Kind",
                    "Owner",
                    "Application",
                    "Permission",
                    "High impact",
                    "Granted through",
                    "Held since",
                    "Last used",
                ],
                total: total_of(rows.iter().map(|r| r.total).collect()),
                rows: rows
                    .into_iter()
                    .map(|r| {
                        vec![
                            Cell::principal(r.principal_id, r.principal),
                            Cell::text(kind_label(&r.kind)),
                            Cell::text(r.owner.unwrap_or_default()),
                            Cell::text(r.application),
                            Cell::text(r.permission),
                            Cell::text(if r.high_impact { "yes" } else { "" }),
                            Cell::text(r.via.join(", ")),
                            Cell::text(day(r.granted_since)),
                            Cell::text(r.last_used_at.map(day).unwrap_or_else(|| "never".into())),
                        ]
                    })
                    .collect(),
                account_limit: None,
            }
        }
        Hygiene::ClientBleed => {
            let limit = db::hygiene::account_limit(pool, org_id).await?;
            let rows = db::hygiene::client_bleed(pool, org_id, f, limit).await?;
            Built {
                columns: &[
                    "Principal",
                    "Kind",
                    "Manager or owner",
                    "Client accounts",
                    "Grants",
                    "Why",
                ],
                total: total_of(rows.iter().map(|r| r.total).collect()),
                rows: rows
                    .into_iter()
                    .map(|r| {
                        let why = client_bleed(r.accounts, &r.unassigned, limit);
                        vec![
                            Cell::principal(r.principal_id, r.principal),
                            Cell::text(kind_label(&r.kind)),
                            Cell::text(r.responsible.unwrap_or_default()),
                            count(r.accounts),
                            count(r.grants),
                            Cell::text(why.join("; ")),
                        ]
                    })
                    .collect(),
                account_limit: Some(limit),
            }
        }
        Hygiene::SodViolations => {
            let rows = db::hygiene::sod_violations(pool, org_id, f).await?;
            Built {
                columns: &["Rule", "Mode", "Principal", "Kind", "Account"],
                total: total_of(rows.iter().map(|r| r.total).collect()),
                rows: rows
                    .into_iter()
                    .map(|r| {
                        vec![
                            Cell {
                                text: r.rule,
                                href: Some("/sod".into()),
                            },
                            Cell::text(r.mode.replace('_', " ")),
                            Cell::principal(r.principal_id, r.principal),
                            Cell::text(kind_label(&r.kind)),
                            Cell::text(r.account.unwrap_or_else(|| "every account".into())),
                        ]
                    })
                    .collect(),
                account_limit: None,
            }
        }
    })
}

/// One page of the report.
pub async fn page(
    pool: &PgPool,
    org_id: Uuid,
    scope: &AccountScope,
    report: Hygiene,
    q: &ReportQuery,
) -> Result<ReportTable, AppError> {
    let offset = i64::from(q.page) * PAGE_SIZE as i64;
    let f = filter(report, scope, q, Some(PAGE_SIZE as i64 + 1), offset)?;
    let built = build(pool, org_id, report, q, &f).await?;
    let applications = if report.filters_by_application() {
        db::roles::applications(pool, org_id)
            .await?
            .into_iter()
            .map(|a| (a.id, a.name))
            .collect()
    } else {
        Vec::new()
    };
    let (rows, has_next) = split_page(built.rows, PAGE_SIZE);
    Ok(ReportTable {
        columns: built.columns.iter().map(|c| c.to_string()).collect(),
        rows,
        total: built.total,
        page: q.page,
        has_next,
        days: report.window().map(|_| f.days),
        applications,
        account_limit: built.account_limit,
    })
}

/// The whole filtered report as CSV; the export is audited.
pub async fn csv(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
    report: Hygiene,
    q: &ReportQuery,
) -> Result<String, AppError> {
    let f = filter(report, scope, q, Some(ROW_LIMIT as i64 + 1), 0)?;
    let built = build(pool, actor.org_id, report, q, &f).await?;
    check_size(built.rows.len())?;
    let mut w = CsvFile::new(built.columns.iter().copied())?;
    for row in &built.rows {
        w.row(row.iter().map(|c| c.text.as_str()))?;
    }
    let csv = w.finish()?;
    audit_export(
        pool,
        actor,
        report.slug(),
        &report.title().to_lowercase(),
        json!({
            "days": report.window().map(|_| f.days),
            "application": f.application,
            "kind": f.kind,
            "show": q.show,
            "rows": built.rows.len(),
        }),
    )
    .await?;
    Ok(csv)
}

/// Sets the organisation's limit of client accounts per principal, with its audit event.
pub async fn set_account_limit(pool: &PgPool, actor: &Actor, raw: &str) -> Result<i32, AppError> {
    let limit = parse_account_limit(raw).map_err(|m| AppError::invalid("limit", m))?;
    let mut tx = pool.begin().await?;
    let before = db::hygiene::set_account_limit(&mut tx, actor.org_id, limit).await?;
    let what = ("client account limit", "client_account_limit");
    super::setting_changed(&mut tx, actor, what, before, limit).await?;
    tx.commit().await?;
    Ok(limit)
}

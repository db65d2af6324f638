//! Reading and exporting the audit trail.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use serde_json::json;
use sqlx::PgPool;

use crate::db;
use crate::db::audit::{Actor, AuditFilter, Change};
use crate::error::AppError;
use crate::model::{AuditEvent, AuditPage, AuditQuery, ChainState, AUDIT_PAGE_SIZE};
use crate::service::csv_export::{check_size, CsvFile, ROW_LIMIT};
use rules::audit::AuditAction;
use rules::console::AccountScope;

fn parse_day(field: &str, raw: &str) -> Result<Option<NaiveDate>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            AppError::invalid(
                field,
                format!("\u{201c}{raw}\u{201d} is not a date; use YYYY-MM-DD."),
            )
        })
}

fn text(raw: &str) -> Option<String> {
    let raw = raw.trim();
    (!raw.is_empty()).then(|| raw.chars().take(200).collect())
}

/// Turns the page's filters into a database filter, refusing what cannot be read;
/// `scope`: the accounts the reader's role reaches.
pub fn parse_query(q: &AuditQuery, scope: &AccountScope) -> Result<AuditFilter, AppError> {
    let from = parse_day("from", &q.from)?;
    let to = parse_day("to", &q.to)?;
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(AppError::invalid(
                "to",
                "The end date comes before the start date.",
            ));
        }
    }
    Ok(AuditFilter {
        actor: text(&q.actor),
        action: text(&q.action),
        target: text(&q.target),
        from: from
            .map(|d| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))),
        until: to.map(|d| {
            Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
                + Duration::days(1)
        }),
        accounts: scope.ids().map(<[uuid::Uuid]>::to_vec),
    })
}

pub async fn page(
    pool: &PgPool,
    org_id: uuid::Uuid,
    scope: &AccountScope,
    q: &AuditQuery,
) -> Result<AuditPage, AppError> {
    let filter = parse_query(q, scope)?;
    let size = i64::from(AUDIT_PAGE_SIZE);
    let rows = db::audit::list(pool, org_id, &filter, size + 1, i64::from(q.page) * size).await?;
    let (events, has_next) = super::split_page(rows, size as usize);
    let chain = match scope {
        AccountScope::Every => Some(
            match db::audit_chain::last_verification(pool, org_id).await? {
                Some(v) => ChainState {
                    verified_at: Some(v.verified_at),
                    up_to: v.up_to_seq,
                    unsealed: v.unsealed,
                    broken: v.broken,
                },
                None => ChainState {
                    verified_at: None,
                    up_to: 0,
                    unsealed: 0,
                    broken: None,
                },
            },
        ),
        AccountScope::Only(_) => None,
    };
    Ok(AuditPage {
        events,
        page: q.page,
        has_next,
        chain,
    })
}

/// The filtered trail as CSV (newest first); the export itself is audited.
pub async fn export_csv(
    pool: &PgPool,
    actor: &Actor,
    scope: &AccountScope,
    q: &AuditQuery,
) -> Result<String, AppError> {
    let filter = parse_query(q, scope)?;
    let events = db::audit::list(pool, actor.org_id, &filter, ROW_LIMIT as i64 + 1, 0).await?;
    check_size(events.len())?;
    let csv = to_csv(&events)?;
    db::audit::record_alone(
        pool,
        actor,
        Change::about(AuditAction::AuditExported, "audit trail")
            .after(json!({ "filters": q, "rows": events.len() })),
    )
    .await?;
    Ok(csv)
}

fn to_csv(events: &[AuditEvent]) -> Result<String, AppError> {
    let mut w = CsvFile::new([
        "id",
        "occurred_at_utc",
        "actor",
        "actor_principal_id",
        "action",
        "target_type",
        "target_id",
        "target",
        "before",
        "after",
        "reason",
        "source_ip",
        "user_agent",
    ])?;
    let json =
        |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
    for e in events {
        w.row([
            e.id.to_string(),
            e.occurred_at.to_rfc3339(),
            e.actor_label.clone(),
            e.actor_principal_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            e.action.clone(),
            e.target_type.clone(),
            e.target_id.clone().unwrap_or_default(),
            e.target_label.clone(),
            json(&e.before),
            json(&e.after),
            e.reason.clone().unwrap_or_default(),
            e.source_ip.clone().unwrap_or_default(),
            e.user_agent.clone().unwrap_or_default(),
        ])?;
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked_and_the_end_day_is_included() {
        let q = AuditQuery {
            from: "2026-03-01".into(),
            to: "2026-03-01".into(),
            ..Default::default()
        };
        let f = parse_query(&q, &AccountScope::Every).unwrap();
        assert_eq!(f.until.unwrap() - f.from.unwrap(), Duration::days(1));
    }

    #[test]
    fn unreadable_or_reversed_dates_are_refused_on_their_field() {
        let bad = AuditQuery {
            from: "1 March".into(),
            ..Default::default()
        };
        assert!(parse_query(&bad, &AccountScope::Every)
            .unwrap_err()
            .field_message("from")
            .is_some());
        let reversed = AuditQuery {
            from: "2026-03-02".into(),
            to: "2026-03-01".into(),
            ..Default::default()
        };
        assert!(parse_query(&reversed, &AccountScope::Every)
            .unwrap_err()
            .field_message("to")
            .is_some());
    }
}

//! Reading principals: the list with its filters, and one principal's grants and
//! effective permissions.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::principals::PrincipalFilter;
use crate::error::AppError;
use crate::model::principals::{
    EffectiveRow, GrantRow, PrincipalDetail, PrincipalPage, PrincipalQuery, PRINCIPALS_PAGE_SIZE,
};
use rules::console::AccountScope;
use rules::effective::{effective_permissions, grant_in_force};
use rules::principals::PRINCIPAL_KINDS;

/// Days without activity after which a principal counts as dormant in the list filter.
pub const DORMANT_AFTER_DAYS: i64 = 90;

fn one_of(field: &str, raw: &str, allowed: &[&str]) -> Result<Option<String>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if allowed.contains(&raw) {
        Ok(Some(raw.to_string()))
    } else {
        Err(AppError::invalid(
            field,
            format!("Choose one of: {}.", allowed.join(", ")),
        ))
    }
}

pub fn parse_query(q: &PrincipalQuery, scope: &AccountScope) -> Result<PrincipalFilter, AppError> {
    let search = q.search.trim();
    // Names, emails and external ids are searched as one text, a line each.
    if search.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "search",
            "Search for text on one line, without tabs or line breaks.",
        ));
    }
    Ok(PrincipalFilter {
        search: (!search.is_empty()).then(|| search.chars().take(100).collect()),
        kind: one_of("kind", &q.kind, &PRINCIPAL_KINDS)?,
        status: one_of("status", &q.status, &["active", "suspended", "offboarded"])?,
        account: match q.account.trim() {
            "" => None,
            raw => Some(
                Uuid::parse_str(raw)
                    .ok()
                    .filter(|id| scope.allows(*id))
                    .ok_or_else(|| {
                        AppError::invalid("account", "Choose an account from the list.")
                    })?,
            ),
        },
        dormant_before: match q.dormant.trim() {
            "" => None,
            "yes" => Some(Utc::now() - Duration::days(DORMANT_AFTER_DAYS)),
            _ => return Err(AppError::invalid("dormant", "Use yes or leave it empty.")),
        },
        within: scope.ids().map(<[Uuid]>::to_vec),
    })
}

/// One page of the principals of the accounts `scope` reaches.
pub async fn list(
    pool: &PgPool,
    org_id: Uuid,
    scope: &AccountScope,
    q: &PrincipalQuery,
) -> Result<PrincipalPage, AppError> {
    let filter = parse_query(q, scope)?;
    let sort = one_of("sort", &q.sort, &["name", "last_activity", "end_date"])?.unwrap_or_default();
    let size = i64::from(PRINCIPALS_PAGE_SIZE);
    let rows = db::principals::list(
        pool,
        org_id,
        &filter,
        &sort,
        size + 1,
        i64::from(q.page) * size,
    )
    .await?;
    let (rows, has_next) = super::split_page(rows, size as usize);
    Ok(PrincipalPage {
        rows,
        page: q.page,
        has_next,
        accounts: super::accounts::names_within(pool, org_id, scope).await?,
    })
}

/// A principal as `scope` sees it: grants, permissions and accounts of other accounts
/// are left out.
pub async fn detail(
    pool: &PgPool,
    org_id: Uuid,
    scope: &AccountScope,
    id: Uuid,
) -> Result<PrincipalDetail, AppError> {
    let principal = db::principals::one(pool, org_id, id, scope.ids())
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such principal.".into()))?;
    let now = Utc::now();
    let grants = db::principals::grants(pool, org_id, id, scope.ids()).await?;
    let (current_grants, other_grants): (Vec<GrantRow>, Vec<GrantRow>) = grants
        .into_iter()
        .partition(|g| grant_in_force(g.valid_from, g.valid_until, g.revoked_at, now));

    let granted = db::principals::granted_permissions(pool, org_id, id).await?;
    let mut effective = effective_permissions(&granted, now);
    effective.retain(|e| scope.shows(e.account_id));
    let ids: Vec<Uuid> = effective
        .iter()
        .filter_map(|e| Uuid::parse_str(&e.permission).ok())
        .collect();
    let labels: HashMap<Uuid, (String, String, bool)> =
        db::principals::permission_labels(pool, org_id, &ids)
            .await?
            .into_iter()
            .map(|(id, app, key, high)| (id, (app, key, high)))
            .collect();
    let account_list = super::accounts::names_within(pool, org_id, scope).await?;
    let accounts: HashMap<Uuid, String> = account_list.iter().cloned().collect();
    let bundles: HashMap<Uuid, &GrantRow> = current_grants.iter().map(|g| (g.id, g)).collect();
    let mut rows: Vec<EffectiveRow> = effective
        .into_iter()
        .filter_map(|e| {
            let (application, permission, high_impact) =
                labels.get(&Uuid::parse_str(&e.permission).ok()?)?.clone();
            let giving: Vec<&GrantRow> = e
                .grant_ids
                .iter()
                .filter_map(|g| bundles.get(g).copied())
                .collect();
            Some(EffectiveRow {
                application,
                account: e.account_id.and_then(|a| accounts.get(&a).cloned()),
                permission,
                high_impact,
                sources: giving.iter().map(|g| g.bundle.clone()).collect(),
                only_when: if giving.iter().all(|g| !g.conditions.is_empty()) {
                    giving.iter().map(|g| g.conditions.words.clone()).collect()
                } else {
                    Vec::new()
                },
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        (&a.application, &a.account, &a.permission).cmp(&(
            &b.application,
            &b.account,
            &b.permission,
        ))
    });
    Ok(PrincipalDetail {
        principal,
        current_grants,
        other_grants,
        effective: rows,
        grantable: db::principals::grantable(pool, org_id).await?,
        accounts: account_list,
        assigned_accounts: db::principals::assigned_accounts(pool, org_id, id)
            .await?
            .into_iter()
            .filter(|(account, _)| scope.allows(*account))
            .collect(),
        second_factor_since: db::second_factor::overview(pool, org_id, id)
            .await?
            .and_then(|f| f.confirmed_at),
        passkeys: db::passkeys::count(pool, org_id, id).await?,
        packages: db::packages::assignments_of(pool, org_id, id).await?,
    })
}

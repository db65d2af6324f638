//! Asking for access: what may be asked for, the preview of what a request would give, and the request itself.

use std::collections::HashSet;

use chrono::Utc;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::Actor;
use crate::db::tokens::TokenCaller;
use crate::error::AppError;
use crate::model::requests::{AccessAsk, RequestOptions, RequestPreview, RequestRow};
use rules::console::AccountScope;
use rules::effective::effective_permissions;
use rules::policy::conditions::Conditions;
use rules::requests::{approvals_needed, highest_risk, parse_justification, RequestedDuration};
use rules::sod::{refusal, SodMode};

use super::{announce_created, conflicts_json};

/// What `me` may choose from, with the accounts `scope` reaches.
pub async fn options(
    pool: &PgPool,
    org_id: Uuid,
    me: Uuid,
    scope: &AccountScope,
) -> Result<RequestOptions, AppError> {
    Ok(RequestOptions {
        principals: db::requests::requestable_principals(pool, org_id, me).await?,
        bundles: db::principals::grantable(pool, org_id).await?,
        accounts: crate::service::accounts::names_within(pool, org_id, scope).await?,
    })
}

/// The requests `me` made, newest first.
pub async fn mine(pool: &PgPool, org_id: Uuid, me: Uuid) -> Result<Vec<RequestRow>, AppError> {
    Ok(db::requests::mine(pool, org_id, me).await?)
}

/// The name of a principal `me` may ask for: themselves, or one they manage or own.
pub async fn requestable(
    pool: &PgPool,
    org_id: Uuid,
    me: Uuid,
    principal: Uuid,
) -> Result<String, AppError> {
    db::requests::requestable_principals(pool, org_id, me)
        .await?
        .into_iter()
        .find(|(id, _)| *id == principal)
        .map(|(_, name)| name)
        .ok_or_else(|| {
            AppError::invalid(
                "principal",
                "You can ask only for yourself or for people and bots you manage or own.",
            )
        })
}

/// What granting `bundle` on `account` would add to the principal's permissions now,
/// and the separation-of-duties rules it would break.
pub async fn preview(
    pool: &PgPool,
    org_id: Uuid,
    principal: Uuid,
    bundle: Uuid,
    account: Option<Uuid>,
) -> Result<RequestPreview, AppError> {
    let wanted = db::requests::bundle_permissions(pool, org_id, bundle).await?;
    let granted = db::principals::granted_permissions(pool, org_id, principal).await?;
    let conflicts = {
        let mut conn = pool.acquire().await?;
        crate::service::sod::conflicts(&mut conn, org_id, principal, bundle, account, None).await?
    };
    let held: HashSet<String> = effective_permissions(&granted, Utc::now())
        .into_iter()
        .filter(|e| e.account_id.is_none() || (account.is_some() && e.account_id == account))
        .map(|e| e.permission)
        .collect();
    let adding: Vec<_> = wanted
        .iter()
        .filter(|p| !held.contains(&p.id.to_string()))
        .collect();
    // A console role that can change access or personal data always takes two people.
    let high_impact =
        adding.iter().any(|p| p.high_impact) || wanted.iter().any(|p| p.console && p.high_impact);
    let extra = conflicts.iter().any(|c| c.mode == SodMode::ExtraApproval);
    Ok(RequestPreview {
        already_held: wanted.len() - adding.len(),
        approvals_needed: approvals_needed(high_impact, extra),
        risk: highest_risk(adding.iter().map(|p| p.risk.as_str())).to_string(),
        adds: adding
            .iter()
            .map(|p| (p.key.clone(), p.high_impact))
            .collect(),
        conflicts,
    })
}

/// A person asks for access for someone they may ask for (themselves, or their staff).
pub async fn create(pool: &PgPool, actor: &Actor, new: &AccessAsk) -> Result<Uuid, AppError> {
    let me = crate::service::person(actor)?;
    let justification = parse_justification(&new.justification)?;
    let account = crate::service::accounts::parse_choice(&new.account)?;
    let today = Utc::now().date_naive();
    let duration = RequestedDuration::parse(&new.duration, &new.until, today)?;
    let conditions = Conditions::parse(&new.conditions)?;
    let principal_name = requestable(pool, actor.org_id, me, new.principal).await?;
    let weighed = preview(pool, actor.org_id, new.principal, new.bundle, account).await?;
    submit(
        pool,
        actor,
        (me, weighed),
        &Submission {
            principal: new.principal,
            principal_name: &principal_name,
            bundle: new.bundle,
            account,
            duration,
            justification: &justification,
            conditions: &conditions,
        },
    )
    .await
    .map(|(id, _)| id)
}

/// A request whose fields are read and checked, from someone who may ask for it.
pub struct Submission<'a> {
    pub principal: Uuid,
    pub principal_name: &'a str,
    pub bundle: Uuid,
    pub account: Option<Uuid>,
    pub duration: RequestedDuration,
    /// Passed [`parse_justification`].
    pub justification: &'a str,
    pub conditions: &'a Conditions,
}

/// Stores a new pending request from `requester`, weighed by [`preview`], with its audit
/// and webhook events; answers its id and how many approvals it needs. Refused when it
/// would add nothing or break a blocking separation-of-duties rule.
pub async fn submit(
    pool: &PgPool,
    actor: &Actor,
    (requester, preview): (Uuid, RequestPreview),
    new: &Submission<'_>,
) -> Result<(Uuid, i16), AppError> {
    let org_id = actor.org_id;
    let today = Utc::now().date_naive();
    let (principal_name, account, duration, justification) = (
        new.principal_name,
        new.account,
        new.duration,
        new.justification,
    );
    let mut tx = pool.begin().await?;
    let (kind, waiting) = db::requests::requester_waiting(&mut tx, org_id, requester)
        .await?
        .ok_or(AppError::Forbidden)?;
    rules::principals::non_human::may_ask(&kind, waiting)?;
    let Some(bundle) = db::grants::bundle(&mut *tx, org_id, new.bundle).await? else {
        return Err(AppError::invalid(
            "bundle",
            "Choose a role or permission set from the list.",
        ));
    };
    let duration = duration.check(
        today,
        bundle.max_grant_days,
        bundle.allow_no_end,
        &bundle.application,
    )?;
    let account_name = match account {
        None => None,
        Some(id) => Some(crate::service::accounts::picked_name(&mut tx, org_id, id).await?),
    };
    if preview.adds.is_empty() {
        return Err(AppError::Conflict(format!(
            "{principal_name} already holds everything {} gives there.",
            bundle.name
        )));
    }
    if let Some(refused) = refusal(&preview.conflicts) {
        return Err(refused.into());
    }
    let conflicts = conflicts_json(&preview.conflicts);
    let conditions = new.conditions.to_json();
    let id = Uuid::new_v4();
    let (role_id, permission_set_id) = bundle.columns(new.bundle);
    let (duration_days, valid_until) = duration.columns();
    db::requests::insert(
        &mut tx,
        org_id,
        &db::requests::NewRequest {
            id,
            requester,
            principal: new.principal,
            role_id,
            permission_set_id,
            account,
            justification,
            duration_days,
            valid_until,
            approvals_needed: preview.approvals_needed,
            risk: &preview.risk,
            high_impact: preview.adds.iter().any(|(_, high)| *high),
            sod_conflicts: &conflicts,
            renews_grant: None,
            adds: preview.adds.iter().map(|(k, _)| k.clone()).collect(),
            conditions: &conditions,
        },
    )
    .await?;
    announce_created(
        &mut tx,
        actor,
        id,
        json!({
            "principal_id": new.principal, "principal": principal_name, "bundle": bundle.name,
            "application": bundle.application, "account_id": account, "account": account_name,
            "duration_days": duration_days, "valid_until": valid_until,
            "adds": preview.adds.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            "approvals_needed": preview.approvals_needed, "risk": preview.risk,
            "sod_conflicts": conflicts, "conditions": conditions,
        }),
        justification,
    )
    .await?;
    tx.commit().await?;
    Ok((id, preview.approvals_needed))
}

/// The body of `POST /api/v1/requests`: what an AI agent, bot or integration asks for.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenAsk {
    /// A role or permission set of the token's application, by name or id.
    bundle: String,
    /// An account's name or id; left out: every account.
    #[serde(default)]
    account: Option<String>,
    /// Days, as on the request form (30 unless given).
    #[serde(default = "default_duration")]
    duration: String,
    /// An end date (YYYY-MM-DD) instead of a duration.
    #[serde(default)]
    until: String,
    justification: String,
    /// Conditions, as on the request form (`region = EU`).
    #[serde(default)]
    conditions: String,
}

fn default_duration() -> String {
    "30".into()
}

/// The answer of `POST /api/v1/requests`: the request filed, waiting for people.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Filed {
    pub request: Uuid,
    /// Always `pending`.
    pub status: &'static str,
    /// The role or permission set asked for.
    pub bundle: String,
}

/// `POST /api/v1/requests` with an AI agent's, bot's or integration's own token: it asks
/// for access for itself, in its token's application, as a person would on the request
/// form (`bundle` and `account` by name or id; `duration`, `until`, `justification`,
/// `conditions` as there). The request waits for people to decide it.
pub async fn from_principal_token(
    pool: &PgPool,
    caller: &TokenCaller,
    body: &serde_json::Value,
) -> Result<Filed, AppError> {
    let me = caller.principal_id.ok_or(AppError::Forbidden)?;
    if let Some((field, c)) = rules::validation::forbidden_in_json(body) {
        return Err(AppError::invalid(
            &field,
            rules::validation::forbidden_character_message(&field, c),
        ));
    }
    let ask: TokenAsk = serde_json::from_value(body.clone())
        .map_err(|e| AppError::BadRequest(format!("{e}; send bundle, justification and optionally account, duration, until and conditions")))?;
    let org_id = caller.org_id;
    let application = db::tokens::applications(pool, org_id)
        .await?
        .into_iter()
        .find(|a| a.id == caller.application_id)
        .ok_or(AppError::Forbidden)?;
    let wanted = ask.bundle.trim();
    let bundle = db::principals::grantable(pool, org_id)
        .await?
        .into_iter()
        .filter(|b| b.application == application.name)
        .find(|b| b.id.to_string() == wanted || b.name.eq_ignore_ascii_case(wanted))
        .ok_or_else(|| {
            AppError::invalid(
                "bundle",
                format!(
                    "{} has no role or permission set \u{201c}{wanted}\u{201d}.",
                    application.name
                ),
            )
        })?;
    let account = crate::service::decisions::one_account(pool, org_id, ask.account.as_deref())
        .await
        .map_err(|e| match e {
            AppError::NotFound(message) => AppError::invalid("account", message),
            other => other,
        })?
        .map(|id| id.to_string())
        .unwrap_or_default();
    let actor = Actor {
        org_id,
        principal_id: Some(me),
        label: format!("principal token {}", caller.token_id),
        source_ip: None,
        user_agent: None,
    };
    let id = create(
        pool,
        &actor,
        &AccessAsk {
            principal: me,
            bundle: bundle.id,
            account,
            duration: ask.duration,
            until: ask.until,
            justification: ask.justification,
            conditions: ask.conditions,
        },
    )
    .await?;
    Ok(Filed {
        request: id,
        status: "pending",
        bundle: bundle.name,
    })
}

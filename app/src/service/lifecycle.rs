//! Joiners, movers and leavers. A person who leaves (deactivated or deleted by the
//! identity provider) loses every grant at once, and whatever they owned (AI agents,
//! bots, integrations) goes to their manager, else to the organisation's fallback
//! owner; with nobody to take it over it is suspended, so that no agent acts without a
//! person answering for it.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::PgPool;

use super::failsafe::Holding;
use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::reviews::ChoiceList;
use crate::error::AppError;
use crate::model::lifecycle::LifecycleSettings;
use rules::audit::AuditAction;
use rules::failsafe::Tally;
use rules::principals::PrincipalStatus;
use rules::requests::RequestStatus;
use uuid::Uuid;

/// What a leaving did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Left {
    pub grants_revoked: usize,
    pub requests_cancelled: usize,
    /// Who took over what the person owned.
    pub heir: Option<String>,
    pub handed_over: Vec<String>,
    /// What they owned that nobody could take over, now suspended.
    pub suspended: Vec<String>,
}

impl Left {
    /// What it took away, for the failsafe: its grants, and the principals suspended
    /// (`leaver` of them the leaver themselves, 1 or 0).
    pub fn tally(&self, leaver: i64) -> Tally {
        Tally {
            grants: self.grants_revoked as i64,
            principals: leaver + self.suspended.len() as i64,
        }
    }
}

/// Inside the caller's transaction (the one that suspended or offboarded `leaver`):
/// revokes the leaver's grants in force, cancels the requests pending for them, hands
/// over or suspends what they owned, each
/// with its audit event, and queues the `principal.left` webhook.
pub async fn leave(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    (leaver, name): (Uuid, &str),
    why: &str,
) -> Result<Left, AppError> {
    let org_id = actor.org_id;
    let reason = format!("{name} left ({why})");
    let mut left = Left::default();
    for (grant, bundle) in db::lifecycle::grants_in_force(tx, org_id, leaver).await? {
        db::grants::revoke(tx, org_id, grant, actor.principal_id, &reason).await?;
        db::audit::record(
            tx,
            actor,
            Change::on(
                AuditAction::GrantRevoked,
                grant,
                format!("{name} \u{2192} {bundle}"),
            )
            .before(json!({ "revoked": false }))
            .after(json!({ "revoked": true }))
            .because(reason.clone()),
        )
        .await?;
        left.grants_revoked += 1;
    }
    // Nothing pending may grant them access again after they have gone.
    for (request, bundle) in db::lifecycle::pending_requests(tx, org_id, leaver).await? {
        db::requests::close(tx, org_id, request, RequestStatus::Cancelled, &reason, None).await?;
        db::audit::record(
            tx,
            actor,
            Change::on(
                AuditAction::RequestCancelled,
                request,
                format!("{name} \u{2192} {bundle}"),
            )
            .before(json!({ "status": RequestStatus::Pending }))
            .after(json!({ "status": RequestStatus::Cancelled }))
            .because(reason.clone()),
        )
        .await?;
        left.requests_cancelled += 1;
    }
    let owned = db::lifecycle::owned(tx, org_id, leaver).await?;
    let heir = if owned.is_empty() {
        None
    } else {
        db::lifecycle::heir(tx, org_id, leaver).await?
    };
    for (id, owned_name, status) in owned {
        match &heir {
            Some((heir_id, heir_name)) => {
                db::lifecycle::set_owner(tx, org_id, id, *heir_id).await?;
                db::audit::record(
                    tx,
                    actor,
                    Change::on(AuditAction::PrincipalUpdated, id, owned_name.clone())
                        .before(json!({ "owner": name, "owner_id": leaver }))
                        .after(json!({ "owner": heir_name, "owner_id": heir_id }))
                        .because(reason.clone()),
                )
                .await?;
                left.handed_over.push(owned_name);
            }
            None => {
                if status == PrincipalStatus::Active.as_str() {
                    db::principals::set_status(tx, org_id, id, PrincipalStatus::Suspended).await?;
                    db::audit::record(
                        tx,
                        actor,
                        Change::on(AuditAction::PrincipalSuspended, id, owned_name.clone())
                            .before(json!({ "status": status }))
                            .after(json!({ "status": "suspended" }))
                            .because(format!(
                                "{reason}; nobody could take it over (no active manager, no fallback owner)"
                            )),
                    )
                    .await?;
                }
                left.suspended.push(owned_name);
            }
        }
    }
    left.heir = heir.map(|(_, n)| n);
    db::webhooks::enqueue(
        tx,
        org_id,
        "principal.left",
        json!({
            "principal_id": leaver,
            "principal": name,
            "why": why,
            "grants_revoked": left.grants_revoked,
            "requests_cancelled": left.requests_cancelled,
            "handed_to": left.heir,
            "handed_over": left.handed_over,
            "suspended": left.suspended,
        }),
    )
    .await?;
    Ok(left)
}

pub async fn settings(pool: &PgPool, org_id: Uuid) -> Result<LifecycleSettings, AppError> {
    let fallback = db::lifecycle::fallback_owner(pool, org_id).await?;
    let (failsafe_grants, failsafe_principals) = db::failsafe::limits(pool, org_id).await?;
    Ok(LifecycleSettings {
        fallback_owner: fallback.as_ref().map(|(_, name, _)| name.clone()),
        fallback_email: fallback.and_then(|(_, _, email)| email),
        grace_days: db::birthright::grace_days(pool, org_id).await?,
        rules: super::birthright::rules(pool, org_id).await?,
        bundles: db::birthright::givable(pool, org_id).await?,
        accounts: db::reviews::choices(pool, org_id, ChoiceList::Accounts).await?,
        failsafe_grants,
        failsafe_principals,
        held: db::failsafe::pending_count(pool, org_id).await? as usize,
        inactivity: super::inactivity::rules(pool, org_id).await?,
    })
}

/// Movers' reviews and leavers looked at per round.
const ROUND_BATCH: i64 = 200;

/// What one lifecycle round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LifecycleRound {
    /// Movers' and package reviews closed when due.
    pub reviews_closed: usize,
    /// Package assignments whose scheduled review was opened.
    pub package_reviews_opened: usize,
    pub grants_revoked: usize,
    pub leavers: usize,
    /// Runs the failsafe held.
    pub held: usize,
    /// Principals told their suspension for inactivity is near, and suspended.
    pub dormant_noticed: usize,
    pub dormant_suspended: usize,
}

/// Lets go a person still active past their end date, as a deactivation would, in one
/// transaction; past the failsafe's limits (unless `confirmed`), holds it instead and
/// answers the refusal. None: nothing to do (no longer active, or no end date passed).
async fn end_date_leaver(
    pool: &PgPool,
    org_id: Uuid,
    id: Uuid,
    today: chrono::NaiveDate,
    confirmed: bool,
) -> Result<Option<Left>, AppError> {
    let mut tx = pool.begin().await?;
    let Some((name, end_date)) =
        db::birthright::lock_past_end_date(&mut tx, org_id, id, today).await?
    else {
        return Ok(None);
    };
    let actor = round_actor(org_id);
    let ended = db::principals::set_status(&mut tx, org_id, id, PrincipalStatus::Suspended).await?;
    db::audit::record(
        &mut tx,
        &actor,
        Change::on(AuditAction::PrincipalSuspended, id, name.clone())
            .before(json!({ "status": "active" }))
            .after(json!({ "status": "suspended", "sessions_ended": ended }))
            .because("their end date has passed".to_string()),
    )
    .await?;
    let left = leave(&mut tx, &actor, (id, &name), "end date passed").await?;
    let run = left.tally(1);
    if let Some(over) = super::failsafe::admit(&mut tx, org_id, run, confirmed).await? {
        drop(tx);
        let held = Holding {
            kind: "end_date",
            target: format!("end_date:{id}:{end_date}"),
            payload: json!({ "principal": id }),
            summary: format!("{name} leaves: their end date ({end_date}) has passed"),
            run,
        };
        return Err(super::failsafe::hold(pool, &actor, held, &over).await);
    }
    tx.commit().await?;
    Ok(Some(left))
}

/// Does again a change the failsafe held, past its limits: an admin confirmed it.
pub async fn replay(
    pool: &PgPool,
    actor: &Actor,
    kind: &str,
    payload: &Value,
) -> Result<(), AppError> {
    let id = |key: &str| super::failsafe::payload_id(payload, key);
    match kind {
        "end_date" => {
            let today = Utc::now().date_naive();
            end_date_leaver(pool, actor.org_id, id("principal")?, today, true).await?;
        }
        "rule_retire" => {
            super::birthright::retire_rule(pool, actor, id("rule")?, true).await?;
        }
        "rule_change" => {
            let criteria = payload
                .get("criteria")
                .and_then(Value::as_str)
                .unwrap_or_default();
            super::birthright::change_criteria(pool, actor, (id("rule")?, criteria), true).await?;
        }
        "scim_user" => super::scim::users::replay(pool, actor.org_id, payload).await?,
        "inactivity" => {
            let kind = payload
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let days = payload
                .get("days")
                .and_then(Value::as_i64)
                .unwrap_or_default() as i32;
            let ids: Vec<Uuid> = payload
                .get("principals")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|v| v.as_str()?.parse().ok()).collect())
                .unwrap_or_default();
            super::inactivity::suspend(pool, actor.org_id, (kind, days), Utc::now(), Some(&ids))
                .await?;
        }
        _ => return Err(super::failsafe::unreadable()),
    }
    Ok(())
}

/// The round's name on the audit trail.
pub(crate) fn round_actor(org_id: Uuid) -> Actor {
    Actor {
        org_id,
        principal_id: None,
        label: "lifecycle round".into(),
        source_ip: None,
        user_agent: None,
    }
}

/// Closes the movers' reviews that fell due (undecided access is revoked), lets go the
/// people whose end date has passed, as a deactivation would, and applies the
/// inactivity rules. Each is its own
/// transaction; another instance running the round at once finds the work done.
pub async fn run(pool: &PgPool, now: DateTime<Utc>) -> Result<LifecycleRound, AppError> {
    let today = now.date_naive();
    let mut round = LifecycleRound::default();
    for (org_id, campaign) in db::reviews::due_person_reviews(pool, today, ROUND_BATCH).await? {
        let mut tx = pool.begin().await?;
        match super::reviews::close_in(&mut tx, &round_actor(org_id), campaign).await {
            Ok(closed) => {
                tx.commit().await?;
                round.reviews_closed += 1;
                round.grants_revoked += closed.revoked as usize;
            }
            Err(AppError::Conflict(_) | AppError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    for (org_id, id) in db::birthright::past_end_date(pool, today, ROUND_BATCH).await? {
        match end_date_leaver(pool, org_id, id, today, false).await {
            Ok(Some(left)) => {
                round.leavers += 1;
                round.grants_revoked += left.grants_revoked;
            }
            Ok(None) => {}
            Err(AppError::Conflict(_)) => round.held += 1,
            Err(e) => return Err(e),
        }
    }
    round.package_reviews_opened = super::packages::review_round(pool, today).await?;
    let dormant = super::inactivity::run(pool, now).await?;
    round.dormant_noticed = dormant.noticed;
    round.dormant_suspended = dormant.suspended;
    round.held += dormant.held;
    Ok(round)
}

/// Names the fallback owner by email (empty: nobody).
pub async fn set_fallback_owner(pool: &PgPool, actor: &Actor, email: &str) -> Result<(), AppError> {
    let email = email.trim();
    let owner = if email.is_empty() {
        None
    } else {
        Some(
            db::lifecycle::active_person_by_email(pool, actor.org_id, email)
                .await?
                .ok_or_else(|| {
                    AppError::invalid(
                        "email",
                        "Nobody active in the organisation has this email; give the email of a person.",
                    )
                })?,
        )
    };
    let mut tx = pool.begin().await?;
    let before =
        db::lifecycle::set_fallback_owner(&mut tx, actor.org_id, owner.as_ref().map(|(id, _)| *id))
            .await?;
    db::audit::record(
        &mut tx,
        actor,
        Change::on(AuditAction::OrganisationUpdated, actor.org_id, "leavers' fallback owner")
            .before(json!({ "leaver_fallback_owner_id": before }))
            .after(json!({ "leaver_fallback_owner_id": owner.as_ref().map(|(id, _)| id), "name": owner.map(|(_, n)| n) })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

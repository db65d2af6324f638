//! Inactivity: an organisation may suspend the principals of a kind after so many days
//! without activity. Seven days before, the `principal.dormant_soon` webhook says who is
//! near it; nobody is suspended sooner than seven days after being told, so a rule
//! switched on suspends nobody that day. The lifecycle round suspends them (grants
//! kept, for a review or a reactivation), counted by the failsafe. A preview says who a
//! rule would reach before it is switched on.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::error::AppError;
use crate::model::lifecycle::{InactivityPreview, InactivityRuleView};
use rules::audit::AuditAction;
use rules::failsafe::Tally;
use rules::principals::{PrincipalStatus, PRINCIPAL_KINDS};

/// The fewest days a rule may give.
pub const MIN_DAYS: i32 = 14;
/// Days before the suspension that the notice goes out.
pub const NOTICE_DAYS: i64 = 7;
/// Principals suspended per transaction.
const BATCH: i64 = 200;

fn parse(kind: &str, days: &str) -> Result<(String, Option<i32>), AppError> {
    let kind = kind.trim();
    if !PRINCIPAL_KINDS.contains(&kind) {
        return Err(AppError::invalid("kind", "Choose a kind of principal."));
    }
    let days = match days.trim() {
        "" => None,
        raw => Some(
            raw.parse::<i32>()
                .ok()
                .filter(|d| (MIN_DAYS..=3650).contains(d))
                .ok_or_else(|| {
                    AppError::invalid(
                        "days",
                        format!("Give a whole number of days from {MIN_DAYS} to 3650, or leave it empty to switch it off."),
                    )
                })?,
        ),
    };
    Ok((kind.to_string(), days))
}

/// Who a rule of `days` would suspend now, and who would be told it is near.
pub async fn preview(
    pool: &PgPool,
    org_id: Uuid,
    (kind, days): (&str, &str),
    now: DateTime<Utc>,
) -> Result<InactivityPreview, AppError> {
    let (kind, days) = parse(kind, days)?;
    let days =
        days.ok_or_else(|| AppError::invalid("days", "Give the number of days to preview."))?;
    let since = now - Duration::days(i64::from(days));
    let (would_suspend, names) = db::inactivity::quiet(pool, org_id, &kind, since).await?;
    let (near, _) =
        db::inactivity::quiet(pool, org_id, &kind, since + Duration::days(NOTICE_DAYS)).await?;
    Ok(InactivityPreview {
        kind,
        days,
        would_suspend,
        names,
        noticed: near - would_suspend,
    })
}

pub async fn rules(pool: &PgPool, org_id: Uuid) -> Result<Vec<InactivityRuleView>, AppError> {
    Ok(db::inactivity::rules(pool, org_id)
        .await?
        .into_iter()
        .map(|(kind, days)| InactivityRuleView { kind, days })
        .collect())
}

/// Switches the rule for a kind on (days) or off (empty), with the audit event.
pub async fn set_rule(
    pool: &PgPool,
    actor: &Actor,
    (kind, days): (&str, &str),
) -> Result<(), AppError> {
    let (kind, days) = parse(kind, days)?;
    let mut tx = pool.begin().await?;
    let before = db::inactivity::set_rule(&mut tx, actor.org_id, &kind, days).await?;
    let what = ("inactivity suspension", "inactivity");
    let label = |d: Option<i32>| json!({ "kind": kind, "days": d });
    super::setting_changed(&mut tx, actor, what, label(before), label(days)).await?;
    tx.commit().await?;
    Ok(())
}

/// What a round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InactivityRound {
    pub noticed: usize,
    pub suspended: usize,
    pub held: usize,
}

fn round_actor(org_id: Uuid) -> Actor {
    Actor {
        org_id,
        principal_id: None,
        label: "inactivity rule".into(),
        source_ip: None,
        user_agent: None,
    }
}

/// Sends the notices that are due and suspends who has been quiet too long, every
/// organisation's; a batch past the failsafe's limits is held (once a day per kind).
pub async fn run(pool: &PgPool, now: DateTime<Utc>) -> Result<InactivityRound, AppError> {
    let mut round = InactivityRound::default();
    for (org_id, kind, days) in db::inactivity::every_rule(pool).await? {
        let since = now - Duration::days(i64::from(days));
        let mut tx = pool.begin().await?;
        let notice_since = since + Duration::days(NOTICE_DAYS);
        let told =
            db::inactivity::to_notice(&mut tx, org_id, &kind, (notice_since, now), BATCH).await?;
        for (id, name, last) in &told {
            let quiet_enough = last.map_or(now, |l| l + Duration::days(i64::from(days)));
            let from = quiet_enough.max(now + Duration::days(NOTICE_DAYS));
            db::webhooks::enqueue(
                &mut tx,
                org_id,
                "principal.dormant_soon",
                json!({ "principal_id": id, "principal": name, "kind": kind, "last_activity_at": last,
                        "days": days, "suspended_from": from }),
            )
            .await?;
        }
        tx.commit().await?;
        round.noticed += told.len();
        let target = format!("inactivity:{kind}:{}", now.date_naive());
        if db::failsafe::for_target(pool, org_id, &target)
            .await?
            .is_some_and(|h| h.decision.is_none())
        {
            continue;
        }
        match suspend(pool, org_id, (&kind, days), now, None).await {
            Ok(n) => round.suspended += n,
            Err(AppError::Conflict(_)) => round.held += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(round)
}

/// Suspends a batch of the kind's quiet principals (`only`: just these, still quiet:
/// an admin confirmed them past the failsafe). Answers how many.
pub async fn suspend(
    pool: &PgPool,
    org_id: Uuid,
    (kind, days): (&str, i32),
    now: DateTime<Utc>,
    only: Option<&[Uuid]>,
) -> Result<usize, AppError> {
    let since = now - Duration::days(i64::from(days));
    let actor = round_actor(org_id);
    let mut tx = pool.begin().await?;
    let quiet = match only {
        None => {
            let told_by = now - Duration::days(NOTICE_DAYS);
            db::inactivity::quiet_for_update(&mut tx, org_id, kind, (since, told_by), BATCH).await?
        }
        Some(ids) => db::inactivity::still_quiet(&mut tx, org_id, kind, since, ids).await?,
    };
    if quiet.is_empty() {
        return Ok(0);
    }
    let because = format!("no activity for {days} days (the organisation's inactivity rule)");
    for (id, name) in &quiet {
        let ended =
            db::principals::set_status(&mut tx, org_id, *id, PrincipalStatus::Suspended).await?;
        db::audit::record(
            &mut tx,
            &actor,
            Change::on(AuditAction::PrincipalSuspended, id, name.clone())
                .before(json!({ "status": "active" }))
                .after(json!({ "status": "suspended", "sessions_ended": ended }))
                .because(because.clone()),
        )
        .await?;
    }
    let run = Tally {
        grants: 0,
        principals: quiet.len() as i64,
    };
    if let Some(over) = super::failsafe::admit(&mut tx, org_id, run, only.is_some()).await? {
        drop(tx);
        let ids: Vec<Uuid> = quiet.iter().map(|(id, _)| *id).collect();
        let held = super::failsafe::Holding {
            kind: "inactivity",
            target: format!("inactivity:{kind}:{}", now.date_naive()),
            payload: json!({ "kind": kind, "days": days, "principals": ids }),
            summary: format!(
                "{} {} without activity for {days} days suspended",
                quiet.len(),
                kind.replace('_', " ")
            ),
            run,
        };
        return Err(super::failsafe::hold(pool, &actor, held, &over).await);
    }
    tx.commit().await?;
    Ok(quiet.len())
}

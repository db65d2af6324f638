//! The lifecycle failsafe (see `rules::failsafe`): automation's runs are counted, and
//! one that would take away more than the organisation allows within an hour is rolled
//! back and held, for an admin to confirm (it is then done again, past the limit) or
//! discard.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::failsafe::NewHeld;
use crate::error::AppError;
use crate::model::lifecycle::HeldChange;
use rules::audit::AuditAction;
use rules::failsafe::{crossed, parse_limit, Crossed, Tally};

/// After a run did its work in `tx`: counts it and answers None, or, past a limit and
/// not already confirmed by an admin, answers the limit it crosses (the caller then
/// drops `tx` and calls [`hold`]).
pub async fn admit(
    tx: &mut db::Tx<'_>,
    org_id: Uuid,
    run: Tally,
    confirmed: bool,
) -> Result<Option<Crossed>, AppError> {
    if run == Tally::default() {
        return Ok(None);
    }
    let (limits, hour) = db::failsafe::hour(tx, org_id).await?;
    if !confirmed {
        if let Some(over) = crossed(limits, hour, run) {
            return Ok(Some(over));
        }
    }
    db::failsafe::count(tx, org_id, run).await?;
    Ok(None)
}

/// What to do again, and how to know it when it is asked again.
pub struct Holding<'a> {
    pub kind: &'a str,
    pub target: String,
    pub payload: Value,
    pub summary: String,
    pub run: Tally,
}

/// Holds a run the failsafe stopped (once: the same change asked again while held is
/// not held twice), with its audit event and the `lifecycle.held` webhook. Answers the
/// refusal to give whoever asked: the limit crossed while it waits, or a conflict when
/// an admin discarded the very same change.
pub async fn hold(pool: &PgPool, actor: &Actor, h: Holding<'_>, over: &Crossed) -> AppError {
    match pool.acquire().await {
        Ok(mut conn) => hold_on(&mut conn, actor, h, over).await,
        Err(e) => e.into(),
    }
}

/// [`hold`], on a connection the caller already has (and whose transaction it dropped):
/// no second connection is taken while one is held.
pub async fn hold_on(
    conn: &mut PgConnection,
    actor: &Actor,
    h: Holding<'_>,
    over: &Crossed,
) -> AppError {
    hold_in(conn, actor, &h, over).await.unwrap_or_else(|e| e)
}

async fn hold_in(
    conn: &mut PgConnection,
    actor: &Actor,
    h: &Holding<'_>,
    over: &Crossed,
) -> Result<AppError, AppError> {
    let held = NewHeld {
        kind: h.kind,
        target: &h.target,
        payload: &h.payload,
        summary: &h.summary,
        run: h.run,
    };
    let mut tx = conn.begin().await?;
    let Some(id) = db::failsafe::hold(&mut tx, actor.org_id, &held).await? else {
        drop(tx);
        let before = db::failsafe::for_target(&mut *conn, actor.org_id, &h.target).await?;
        return Ok(match before.and_then(|b| b.decision) {
            Some(d) if d == "discarded" => AppError::Conflict(
                "An admin discarded this very change on the Lifecycle page; change it at the identity provider instead.".into(),
            ),
            _ => AppError::Conflict(over.message()),
        });
    };
    db::audit::record(
        &mut tx,
        actor,
        Change::on(AuditAction::LifecycleHeld, id, h.summary.clone())
            .after(json!({ "grants": h.run.grants, "principals": h.run.principals, "limit": over.limit, "what": over.what }))
            .because(over.message()),
    )
    .await?;
    db::webhooks::enqueue(
        &mut tx,
        actor.org_id,
        "lifecycle.held",
        json!({ "held": id, "summary": h.summary, "grants": h.run.grants, "principals": h.run.principals,
                "limit": over.limit, "what": over.what }),
    )
    .await?;
    tx.commit().await?;
    Ok(AppError::Conflict(over.message()))
}

/// The id a held change's payload names under `key`.
pub fn payload_id(payload: &Value, key: &str) -> Result<Uuid, AppError> {
    payload
        .get(key)
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(unreadable)
}

/// A held change whose payload cannot be read (it can only be discarded).
pub fn unreadable() -> AppError {
    AppError::Conflict("This held change cannot be read; discard it.".into())
}

/// A short fingerprint of what was asked, so that the same change asked again is known.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for p in parts {
        hash.update(p.as_bytes());
        hash.update([0]);
    }
    hex::encode(&hash.finalize()[..12])
}

/// The changes waiting for an admin.
pub async fn held(pool: &PgPool, org_id: Uuid) -> Result<Vec<HeldChange>, AppError> {
    Ok(db::failsafe::pending(pool, org_id)
        .await?
        .into_iter()
        .map(|h| HeldChange {
            id: h.id,
            kind: h.kind,
            summary: h.summary,
            grants: h.grants,
            principals: h.principals,
            held_at: h.held_at,
        })
        .collect())
}

/// Sets the limits (empty: none), with the audit event.
pub async fn set_limits(
    pool: &PgPool,
    actor: &Actor,
    (grants, principals): (&str, &str),
) -> Result<(), AppError> {
    let grants = parse_limit(grants).map_err(|m| AppError::invalid("grants", m))?;
    let principals = parse_limit(principals).map_err(|m| AppError::invalid("principals", m))?;
    let mut tx = pool.begin().await?;
    let before = db::failsafe::set_limits(&mut tx, actor.org_id, grants, principals).await?;
    let what = ("lifecycle failsafe (per hour)", "failsafe");
    let after = (grants.map(|g| g as i32), principals.map(|p| p as i32));
    super::setting_changed(&mut tx, actor, what, before, after).await?;
    tx.commit().await?;
    Ok(())
}

/// An admin confirms a held change (it is done again, past the limit) or discards it.
pub async fn decide(pool: &PgPool, actor: &Actor, id: Uuid, confirm: bool) -> Result<(), AppError> {
    let pending = {
        let mut look = pool.begin().await?;
        db::failsafe::pending_for_update(&mut look, actor.org_id, id).await?
    }
    .ok_or_else(|| AppError::NotFound("There is no such held change waiting.".into()))?;
    if confirm {
        super::lifecycle::replay(pool, actor, &pending.kind, &pending.payload).await?;
    }
    let mut tx = pool.begin().await?;
    if db::failsafe::pending_for_update(&mut tx, actor.org_id, id)
        .await?
        .is_none()
    {
        return Err(AppError::Conflict(
            "Another admin decided this held change meanwhile.".into(),
        ));
    }
    let (decision, action) = if confirm {
        ("confirmed", AuditAction::LifecycleHeldConfirmed)
    } else {
        ("discarded", AuditAction::LifecycleHeldDiscarded)
    };
    db::failsafe::decide(&mut tx, actor.org_id, id, decision, actor.principal_id).await?;
    db::audit::record(
        &mut tx,
        actor,
        Change::on(action, id, pending.summary)
            .before(json!({ "decision": null }))
            .after(json!({ "decision": decision, "grants": pending.grants, "principals": pending.principals })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

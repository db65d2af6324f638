//! Birthright access: the rules that give people access by what the identity provider
//! says of them, applied when they join, move (attributes or groups change), come back,
//! or a rule is made, changed or retired. Access no rule justifies any more waits a grace
//! period in a mover's review, where the manager keeps or drops it.

use std::collections::HashMap;

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;
use sqlx::types::Json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::birthright::{HeldRow, PersonRow, RuleRow};
use crate::error::AppError;
use crate::model::lifecycle::{BirthrightRuleInput, BirthrightRuleView, BirthrightRun};
use rules::audit::AuditAction;
use rules::birthright::{plan, Criteria, Held, Person};
use rules::failsafe::Tally;
use rules::sod::SodMode;

/// What a bundle on an account is, for the plan.
type Key = (Uuid, Option<Uuid>);

/// Brings the birthright access of the people `ids` in line with the rules, inside the
/// caller's transaction, each change with its audit event. `why` says what moved them
/// ("provisioned over SCIM", "rule … made", …). People not active are left alone: a
/// leaver's access has gone already, and a suspended person gets nothing new.
pub async fn reconcile(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    ids: &[Uuid],
    why: &str,
) -> Result<BirthrightRun, AppError> {
    weigh(tx, actor, (ids, None), why).await
}

/// [`reconcile`] for someone who has just joined (`made`, with the rules in force and
/// whether a separation-of-duties rule exists, read by their insert): they hold nothing
/// yet, so nothing is read again.
pub async fn reconcile_joiner(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    made: db::scim::Inserted,
    why: &str,
) -> Result<BirthrightRun, AppError> {
    let weighed = db::birthright::Weighed {
        people: Json(vec![joiner(&made.user)]),
        rules: made.rules,
        held: Json(Vec::new()),
        sod_rules: made.sod_rules,
    };
    apply(tx, actor, weighed, None, why).await
}

/// [`reconcile_except`] for one person just changed over SCIM, their status as it was
/// (`changed`, with what the change's statement read for the weighing).
pub async fn reconcile_changed(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    (changed, maker): (db::birthright::Weighed, Option<Uuid>),
    why: &str,
) -> Result<BirthrightRun, AppError> {
    apply(tx, actor, changed, maker, why).await
}

/// A person just inserted (`row`), as the rules weigh them. Nobody is asked about a
/// joiner's access (they hold nothing the rules could take back), so no reviewer is
/// looked up.
fn joiner(row: &db::scim::UserRow) -> PersonRow {
    PersonRow {
        id: row.id,
        display_name: row.display_name.clone(),
        active: row.status == "active",
        employment_type: row.employment_type.clone(),
        attributes: row.attributes.clone(),
        end_date: row.end_date,
        groups: row.groups.iter().map(|(_, name)| name.clone()).collect(),
        mover_reviewer: None,
        mover_grace_days: 0,
    }
}

/// [`reconcile`], but `maker` (the one who made the provisioning token acting) is given
/// nothing: what the rules would add is withheld, with its audit event, and access
/// waiting to be removed stays so; what the rules no longer justify still goes.
pub async fn reconcile_except(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    (ids, maker): (&[Uuid], Option<Uuid>),
    why: &str,
) -> Result<BirthrightRun, AppError> {
    weigh(tx, actor, (ids, maker), why).await
}

/// The people `ids`, the token maker among them given nothing.
async fn weigh(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    (ids, maker): (&[Uuid], Option<Uuid>),
    why: &str,
) -> Result<BirthrightRun, AppError> {
    let weighed = db::birthright::weighed(tx, actor.org_id, ids).await?;
    apply(tx, actor, weighed, maker, why).await
}

/// Brings the people `weighed` in line with its rules, `maker` given nothing.
async fn apply(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    weighed: db::birthright::Weighed,
    maker: Option<Uuid>,
    why: &str,
) -> Result<BirthrightRun, AppError> {
    let org_id = actor.org_id;
    let db::birthright::Weighed {
        rules: Json(rules),
        people: Json(people),
        held: Json(holding),
        sod_rules,
    } = weighed;
    if rules.is_empty() && holding.is_empty() {
        return Ok(BirthrightRun::default());
    }
    let parsed: Vec<(Uuid, Key, Criteria)> = rules
        .iter()
        .filter_map(|r| {
            let criteria = Criteria::from_json(&r.criteria).ok()?;
            Some((r.id, (r.bundle_id(), r.account_id), criteria))
        })
        .collect();
    let by_id: HashMap<Uuid, &RuleRow> = rules.iter().map(|r| (r.id, r)).collect();
    let mut held: HashMap<Uuid, Vec<HeldRow>> = HashMap::new();
    for h in holding {
        held.entry(h.principal_id).or_default().push(h);
    }
    let refs: Vec<(Uuid, Key, &Criteria)> = parsed.iter().map(|(r, k, c)| (*r, *k, c)).collect();
    let mut done = BirthrightRun::default();
    for person in people.iter().filter(|p| p.active) {
        let mine = held.remove(&person.id).unwrap_or_default();
        if refs.is_empty() && mine.iter().all(|h| h.birthright_rule_id.is_none()) {
            continue;
        }
        let facts = Person {
            employment_type: person.employment_type.as_deref(),
            attributes: person.attributes.as_object(),
            groups: &person.groups,
        };
        let as_held: Vec<Held<Uuid, Uuid, Key>> = mine
            .iter()
            .map(|h| Held {
                grant: h.id,
                key: (h.bundle_id, h.account_id),
                rule: h.birthright_rule_id,
                scheduled: h.scheduled,
            })
            .collect();
        let p = plan(&refs, &facts, true, &as_held);
        let own = maker == Some(person.id);
        for (rule, _) in &p.add {
            if own {
                withhold_from_maker(tx, actor, person, by_id[rule], &mut done).await?;
            } else {
                give(tx, actor, (person, by_id[rule]), sod_rules, &mut done).await?;
            }
        }
        let held_by_id: HashMap<Uuid, &HeldRow> = mine.iter().map(|h| (h.id, h)).collect();
        let label = |grant: Uuid| {
            held_by_id
                .get(&grant)
                .map(|h| format!("{} \u{2192} {}", person.display_name, h.bundle))
                .unwrap_or_default()
        };
        let mut now_from: HashMap<Uuid, Uuid> = mine
            .iter()
            .filter_map(|h| h.birthright_rule_id.map(|r| (h.id, r)))
            .collect();
        for (grant, rule) in &p.relink {
            db::birthright::relink(tx, org_id, *grant, *rule).await?;
            let before = now_from
                .insert(*grant, *rule)
                .and_then(|r| by_id.get(&r).map(|r| r.name.clone()));
            db::audit::record(
                tx,
                actor,
                Change::on(AuditAction::GrantBirthrightChanged, grant, label(*grant))
                    .before(json!({ "birthright_rule": before }))
                    .after(json!({ "birthright_rule": by_id[rule].name }))
                    .because(why.to_string()),
            )
            .await?;
            done.changed += 1;
        }
        for grant in p.unschedule.iter().filter(|_| !own) {
            db::birthright::unschedule(tx, org_id, *grant).await?;
            db::audit::record(
                tx,
                actor,
                Change::on(AuditAction::GrantBirthrightChanged, grant, label(*grant))
                    .before(json!({ "removal": "waiting in a mover's review" }))
                    .after(json!({ "removal": null }))
                    .because(format!("{why}; a birthright rule gives it again")),
            )
            .await?;
            done.changed += 1;
        }
        for h in &mine {
            let Some(rule) = now_from.get(&h.id).and_then(|r| by_id.get(r)) else {
                continue;
            };
            if !rule.until_end_date || p.remove.contains(&h.id) {
                continue;
            }
            let Some(until) = ends_with(person) else {
                continue;
            };
            // Later (or no end) is more: not for the token's maker.
            let later = match (until, h.valid_until) {
                (None, Some(_)) => true,
                (Some(new), Some(old)) => new > old,
                _ => false,
            };
            if until != h.valid_until && !(own && later) {
                db::birthright::retime(tx, org_id, h.id, until).await?;
                db::audit::record(
                    tx,
                    actor,
                    Change::on(AuditAction::GrantBirthrightChanged, h.id, label(h.id))
                        .before(json!({ "valid_until": h.valid_until }))
                        .after(json!({ "valid_until": until }))
                        .because(format!("{why}; it ends with the person's end date")),
                )
                .await?;
                done.changed += 1;
            }
        }
        if !p.remove.is_empty() {
            let going: Vec<(Uuid, String)> = p
                .remove
                .iter()
                .map(|g| (*g, held_by_id[g].bundle.clone()))
                .collect();
            remove(tx, actor, person, &going, why, &mut done).await?;
        }
    }
    Ok(done)
}

/// When a grant ending with the person's end date ends: the start of the day after it
/// (`None` without an end date, or one already past: the leavers' round takes those).
fn ends_with(person: &PersonRow) -> Option<Option<chrono::DateTime<Utc>>> {
    match person.end_date {
        None => Some(None),
        Some(day) if day >= Utc::now().date_naive() => {
            let next = day.succ_opt()?.and_hms_opt(0, 0, 0)?;
            Some(Some(Utc.from_utc_datetime(&next)))
        }
        Some(_) => None,
    }
}

/// Withholds what `rule` would give the person who made the provisioning token acting,
/// and says so in the trail.
async fn withhold_from_maker(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    person: &PersonRow,
    rule: &RuleRow,
    done: &mut BirthrightRun,
) -> Result<(), AppError> {
    db::audit::record(
        tx,
        actor,
        Change::on(
            AuditAction::BirthrightWithheld,
            person.id,
            format!("{} \u{2192} {}", person.display_name, rule.bundle),
        )
        .after(json!({ "birthright_rule": rule.name, "token_maker": true }))
        .because(
            "the provisioning token acting was made by this person, who gives themselves nothing; another admin's change weighs them again"
                .to_string(),
        ),
    )
    .await?;
    done.withheld += 1;
    Ok(())
}

/// Gives the person what `rule` gives, unless a separation-of-duties rule that blocks
/// or asks for another approver stands in the way (looked for when the organisation has
/// `sod_rules`): then it is withheld, and the trail says so.
async fn give(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    (person, rule): (&PersonRow, &RuleRow),
    sod_rules: bool,
    done: &mut BirthrightRun,
) -> Result<(), AppError> {
    let org_id = actor.org_id;
    let bundle = rule.bundle_id();
    let conflicts = if sod_rules {
        crate::service::sod::conflicts(tx, org_id, person.id, bundle, rule.account_id, None).await?
    } else {
        Vec::new()
    };
    let label = format!("{} \u{2192} {}", person.display_name, rule.bundle);
    if let Some(c) = conflicts.iter().find(|c| c.mode != SodMode::Record) {
        db::audit::record(
            tx,
            actor,
            Change::on(AuditAction::BirthrightWithheld, person.id, label)
                .after(json!({ "birthright_rule": rule.name, "sod_rule": c.rule }))
                .because(format!(
                    "the separation-of-duties rule \u{201c}{}\u{201d} stands in the way; ask for it under Requests",
                    c.rule
                )),
        )
        .await?;
        done.withheld += 1;
        return Ok(());
    }
    let valid_until = if rule.until_end_date {
        match ends_with(person) {
            Some(until) => until,
            None => return Ok(()),
        }
    } else {
        None
    };
    let reason = format!("Birthright rule \u{201c}{}\u{201d}", rule.name);
    let id = Uuid::new_v4();
    let recorded: Vec<&str> = conflicts.iter().map(|c| c.rule.as_str()).collect();
    let created = Change::on(AuditAction::GrantCreated, id, label)
        .after(json!({
            "principal": person.display_name, "bundle": rule.bundle, "application": rule.application,
            "account": rule.account, "valid_until": valid_until, "birthright_rule": rule.name,
            "sod_conflicts": recorded,
        }))
        .because(reason.clone());
    db::grants::insert_recorded(
        tx,
        (org_id, id),
        &db::grants::NewGrant {
            principal_id: person.id,
            role_id: rule.role_id,
            permission_set_id: rule.permission_set_id,
            account_id: rule.account_id,
            valid_from: None,
            valid_until,
            granted_by: None,
            reason: &reason,
            source_request_id: None,
            conditions: &json!({}),
            birthright_rule_id: Some(rule.id),
            package_assignment_id: None,
        },
        (actor, created),
    )
    .await?;
    done.granted += 1;
    Ok(())
}

/// Access the rules no longer justify: into a mover's review asked of the manager (or
/// the fallback owner), due after the grace period, undecided items revoked. With no
/// grace period, or nobody to ask, it is revoked at once.
async fn remove(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    person: &PersonRow,
    going: &[(Uuid, String)],
    why: &str,
    done: &mut BirthrightRun,
) -> Result<(), AppError> {
    let org_id = actor.org_id;
    let grace = person.mover_grace_days;
    match person.mover_reviewer {
        Some(reviewer) if grace > 0 => {
            let now = Utc::now();
            let due_on = now.date_naive() + Duration::days(i64::from(grace));
            let name = format!(
                "{} moved ({} UTC, {})",
                person.display_name,
                now.format("%Y-%m-%d %H:%M:%S"),
                &Uuid::new_v4().simple().to_string()[..8]
            );
            let campaign = Uuid::new_v4();
            let bundles: Vec<&str> = going.iter().map(|(_, b)| b.as_str()).collect();
            let started = Change::on(AuditAction::ReviewStarted, campaign, name.clone())
                .after(
                    json!({ "mover": person.display_name, "items": going.len(), "due_on": due_on,
                               "undecided": "revoke", "access": bundles }),
                )
                .because(format!(
                    "{why}; no birthright rule justifies this access any more"
                ));
            db::reviews::open_person_review(
                tx,
                org_id,
                (person.id, &person.display_name),
                (campaign, &name, db::reviews::PersonReview::Mover),
                (due_on, reviewer),
                going,
                (actor, started),
            )
            .await?;
            done.scheduled += going.len();
        }
        _ => {
            let because = if grace > 0 {
                "nobody to ask (no active manager, no fallback owner)"
            } else {
                "the organisation gives movers no grace period"
            };
            for (grant, _) in going {
                crate::service::grants::revoke_in(
                    tx,
                    actor,
                    *grant,
                    &format!("{why}; no birthright rule justifies it any more and {because}"),
                )
                .await?;
                done.revoked += 1;
            }
        }
    }
    Ok(())
}

/// The rules in force, for the lifecycle page.
pub async fn rules(pool: &PgPool, org_id: Uuid) -> Result<Vec<BirthrightRuleView>, AppError> {
    let mut conn = pool.acquire().await?;
    let rows = db::birthright::rules(&mut conn, org_id).await?;
    let counts: HashMap<Uuid, i64> = db::birthright::holder_counts(pool, org_id)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| BirthrightRuleView {
            holders: counts.get(&r.id).copied().unwrap_or(0),
            criteria: Criteria::from_json(&r.criteria)
                .map(|c| c.text())
                .unwrap_or_default(),
            id: r.id,
            name: r.name,
            bundle: r.bundle,
            application: r.application,
            account: r.account,
            until_end_date: r.until_end_date,
        })
        .collect())
}

/// Makes a rule and gives what it gives to everyone it matches, in one transaction.
/// A rule may not give a console role or high-impact permissions (those take a request
/// another approver decides), nor access to an application that wants an end on every
/// grant, nor anything to the person making it.
pub async fn create_rule(
    pool: &PgPool,
    actor: &Actor,
    input: &BirthrightRuleInput,
) -> Result<BirthrightRun, AppError> {
    let org_id = actor.org_id;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(AppError::invalid(
            "name",
            "Name the rule (up to 120 characters), for example \u{201c}Sales: CRM editor\u{201d}.",
        ));
    }
    let criteria = Criteria::parse(&input.criteria)?;
    let account = crate::service::accounts::parse_choice(&input.account)?;
    let bundle_id = Uuid::parse_str(input.bundle.trim()).map_err(|_| {
        AppError::invalid("bundle", "Choose a role or permission set from the list.")
    })?;
    let Some(bundle) = db::grants::bundle(pool, org_id, bundle_id).await? else {
        return Err(AppError::invalid(
            "bundle",
            "Choose a role or permission set from the list.",
        ));
    };
    if bundle.is_console {
        return Err(AppError::invalid(
            "bundle",
            format!("{} is a console role: it is given only through a request another approver decides.", bundle.name),
        ));
    }
    if db::requests::bundle_permissions(pool, org_id, bundle_id)
        .await?
        .iter()
        .any(|p| p.high_impact)
    {
        return Err(AppError::invalid(
            "bundle",
            format!("{} holds high-impact permissions: it is given only through a request another approver decides.", bundle.name),
        ));
    }
    if !bundle.allow_no_end {
        return Err(AppError::invalid(
            "bundle",
            format!(
                "{} wants an end on every grant: give it by request, not from birth.",
                bundle.application
            ),
        ));
    }
    if let (true, Some(max)) = (input.until_end_date, bundle.max_grant_days) {
        return Err(AppError::invalid(
            "bundle",
            format!("{} grants with an end last at most {max} days, and an end date may be further: give it without an end.", bundle.application),
        ));
    }
    let mut tx = pool.begin().await?;
    let account_name = match account {
        None => None,
        Some(id) => Some(crate::service::accounts::picked_name(&mut tx, org_id, id).await?),
    };
    refuse_own(&mut tx, actor, &criteria).await?;
    let (role_id, permission_set_id) = bundle.columns(bundle_id);
    let Some(id) = db::birthright::insert(
        &mut tx,
        org_id,
        &db::birthright::NewRule {
            name,
            criteria: &criteria.to_json(),
            role_id,
            permission_set_id,
            account_id: account,
            until_end_date: input.until_end_date,
            created_by: actor.principal_id,
        },
    )
    .await?
    else {
        return Err(AppError::invalid(
            "name",
            "A rule with this name exists already.",
        ));
    };
    db::audit::record(
        &mut tx,
        actor,
        Change::on(AuditAction::BirthrightRuleCreated, id, name.to_string()).after(json!({
            "criteria": criteria.text(), "bundle": bundle.name, "application": bundle.application,
            "account": account_name, "until_end_date": input.until_end_date,
        })),
    )
    .await?;
    // A new rule takes nothing away: only those it may match are weighed.
    let matched = db::birthright::candidates(&mut tx, org_id, &criteria).await?;
    let why = format!("birthright rule \u{201c}{name}\u{201d} made");
    let done = reconcile(&mut tx, actor, &matched, &why).await?;
    tx.commit().await?;
    Ok(done)
}

/// Refuses criteria that the person making the rule meets: nobody gives themselves
/// access.
async fn refuse_own(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    criteria: &Criteria,
) -> Result<(), AppError> {
    let Some(me) = actor.principal_id else {
        return Ok(());
    };
    let mine = db::birthright::people(tx, actor.org_id, &[me]).await?;
    let matches_me = mine.iter().any(|p| {
        criteria.matches(&Person {
            employment_type: p.employment_type.as_deref(),
            attributes: p.attributes.as_object(),
            groups: &p.groups,
        })
    });
    if matches_me {
        return Err(AppError::invalid(
            rules::birthright::FIELD,
            "This rule would give you access too: nobody gives themselves access, so another admin makes it.",
        ));
    }
    Ok(())
}

/// Changes who a rule is for (a department renamed, a group added): its holders and
/// everyone it may now match are weighed again in one run; what it no longer gives goes
/// as a mover's access does, and access waiting for removal that it gives again stays.
pub async fn change_criteria(
    pool: &PgPool,
    actor: &Actor,
    (id, text): (Uuid, &str),
    confirmed: bool,
) -> Result<BirthrightRun, AppError> {
    let criteria = Criteria::parse(text)?;
    let mut tx = pool.begin().await?;
    let Some((name, before)) = db::birthright::lock(&mut tx, actor.org_id, id).await? else {
        return Err(AppError::NotFound(
            "There is no such birthright rule.".into(),
        ));
    };
    refuse_own(&mut tx, actor, &criteria).await?;
    let before = Criteria::from_json(&before)
        .map(|c| c.text())
        .unwrap_or_default();
    if before == criteria.text() {
        return Ok(BirthrightRun::default());
    }
    db::birthright::set_criteria(&mut tx, actor.org_id, id, &criteria.to_json()).await?;
    db::audit::record(
        &mut tx,
        actor,
        Change::on(AuditAction::BirthrightRuleChanged, id, name.clone())
            .before(json!({ "criteria": before }))
            .after(json!({ "criteria": criteria.text() })),
    )
    .await?;
    let mut weighed = db::birthright::holders(&mut tx, actor.org_id, id).await?;
    weighed.extend(db::birthright::candidates(&mut tx, actor.org_id, &criteria).await?);
    weighed.sort();
    weighed.dedup();
    let why = format!("birthright rule \u{201c}{name}\u{201d} changed");
    let held = super::failsafe::Holding {
        kind: "rule_change",
        target: format!(
            "rule:{id}:{}",
            super::failsafe::fingerprint(&[&criteria.text()])
        ),
        payload: json!({ "rule": id, "criteria": criteria.text() }),
        summary: format!(
            "Birthright rule \u{201c}{name}\u{201d} changed to {}",
            criteria.text().replace('\n', "; ")
        ),
        run: Tally::default(),
    };
    weigh_for_rule(pool, (tx, actor), (&weighed, &why), held, confirmed).await
}

/// The end of a rule's change or retirement, in its transaction: `ids` weighed again;
/// what that revokes at once passes the failsafe (or the run is held as `held` says);
/// committed.
async fn weigh_for_rule(
    pool: &PgPool,
    (mut tx, actor): (db::Tx<'_>, &Actor),
    (ids, why): (&[Uuid], &str),
    mut held: super::failsafe::Holding<'_>,
    confirmed: bool,
) -> Result<BirthrightRun, AppError> {
    let done = reconcile(&mut tx, actor, ids, why).await?;
    let run = Tally {
        grants: done.revoked as i64,
        principals: 0,
    };
    if let Some(over) = super::failsafe::admit(&mut tx, actor.org_id, run, confirmed).await? {
        drop(tx);
        held.run = run;
        return Err(super::failsafe::hold(pool, actor, held, &over).await);
    }
    tx.commit().await?;
    Ok(done)
}

/// Retires a rule: what it gave goes as a mover's access does (to the manager's review,
/// unless another rule gives the same).
pub async fn retire_rule(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    confirmed: bool,
) -> Result<BirthrightRun, AppError> {
    let mut tx = pool.begin().await?;
    let Some(name) = db::birthright::retire(&mut tx, actor.org_id, id, actor.principal_id).await?
    else {
        return Err(AppError::NotFound(
            "There is no such birthright rule.".into(),
        ));
    };
    db::audit::record(
        &mut tx,
        actor,
        Change::on(AuditAction::BirthrightRuleRetired, id, name.clone())
            .before(json!({ "retired": false }))
            .after(json!({ "retired": true })),
    )
    .await?;
    let holders = db::birthright::holders(&mut tx, actor.org_id, id).await?;
    let why = format!("birthright rule \u{201c}{name}\u{201d} retired");
    let held = super::failsafe::Holding {
        kind: "rule_retire",
        target: format!("rule:{id}"),
        payload: json!({ "rule": id }),
        summary: format!(
            "Birthright rule \u{201c}{name}\u{201d} retired, its grants revoked at once"
        ),
        run: Tally::default(),
    };
    weigh_for_rule(pool, (tx, actor), (&holders, &why), held, confirmed).await
}

/// Sets how many days a mover keeps access the rules no longer justify (0 to 90).
pub async fn set_grace_days(pool: &PgPool, actor: &Actor, raw: &str) -> Result<(), AppError> {
    let days: i32 = raw
        .trim()
        .parse()
        .ok()
        .filter(|d| (0..=90).contains(d))
        .ok_or_else(|| AppError::invalid("grace_days", "Give a number of days from 0 to 90."))?;
    let mut tx = pool.begin().await?;
    let before = db::birthright::set_grace_days(&mut tx, actor.org_id, days).await?;
    let what = ("movers' grace period", "mover_grace_days");
    super::setting_changed(&mut tx, actor, what, before, days).await?;
    tx.commit().await?;
    Ok(())
}

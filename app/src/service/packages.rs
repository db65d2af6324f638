//! Access packages: made and retired by admins, asked for by people for themselves or
//! for those they manage or own, approved in one or two steps by whom the package's
//! policy names, and given as a set of grants that end together (revoking one revokes
//! them all). Each assignment is reviewed every so many months when the policy says so.

use chrono::{Duration, Months, NaiveDate, Utc};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::caller::{Caller, StepUp};
use crate::db;
use crate::db::audit::{Actor, Change};
use crate::error::AppError;
use crate::model::packages::{PackageInput, PackageView, PackagesOverview};
use rules::audit::AuditAction;
use rules::birthright::{Criteria, Person};
use rules::console::{AccountScope, ConsolePermission};
use rules::packages::{self as policy, Approver};
use rules::principals::kind_label;
use rules::requests::{decide as rule, parse_justification, DecisionContext, Outcome};
use rules::sod::refusal;

/// Days a package's scheduled review stays open before undecided grants are revoked.
const REVIEW_DAYS: i64 = 14;
/// Assignments whose review is opened in one round.
const REVIEW_BATCH: i64 = 200;

/// The `/packages` page for the caller.
pub async fn overview(pool: &PgPool, caller: &Caller) -> Result<PackagesOverview, AppError> {
    let (org_id, me) = (caller.org_id, caller.principal_id);
    let packages = db::packages::list(pool, org_id)
        .await?
        .into_iter()
        .map(view)
        .collect();
    Ok(PackagesOverview {
        packages,
        for_whom: db::requests::requestable_principals(pool, org_id, me).await?,
        waiting: if caller.may_decide {
            db::packages::waiting_for(pool, org_id, me).await?
        } else {
            vec![]
        },
        mine: db::packages::mine(pool, org_id, me).await?,
        can_manage: matches!(
            caller.accounts(ConsolePermission::GrantsAssign),
            AccountScope::Every
        ),
    })
}

fn view(row: db::packages::PackageRow) -> PackageView {
    let kinds: Vec<&str> = row.for_kinds.iter().map(|k| kind_label(k)).collect();
    let criteria = Criteria::from_json(&row.for_criteria)
        .map(|c| c.text())
        .unwrap_or_default();
    let for_whom = if criteria.is_empty() {
        kinds.join(", ")
    } else {
        format!(
            "{} where {}",
            kinds.join(", "),
            criteria.replace('\n', "; ")
        )
    };
    let step = |approver: &str, named: &[String]| match Approver::parse(approver) {
        Some(Approver::Named) => format!("one of {}", named.join(", ")),
        Some(a) => a.label().to_string(),
        None => approver.to_string(),
    };
    let mut approvers = vec![step(&row.first_approver, &row.first_named)];
    if let Some(second) = &row.second_approver {
        approvers.push(step(second, &row.second_named));
    }
    PackageView {
        id: row.id,
        name: row.name,
        description: row.description,
        items: row.items,
        for_whom,
        approvers,
        max_days: row.max_days,
        review_months: row.review_months,
        holders: row.holders,
    }
}

/// The named approvers of one step, by email: active people of the organisation.
async fn named(
    pool: &PgPool,
    org_id: Uuid,
    (field, approver, emails): (&str, Approver, &str),
) -> Result<Vec<Uuid>, AppError> {
    let wanted: Vec<String> = emails
        .split([',', '\n', ';'])
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty())
        .collect();
    if approver != Approver::Named {
        if !wanted.is_empty() {
            return Err(AppError::invalid(
                field,
                "Name people only when this step is approved by named people.",
            ));
        }
        return Ok(vec![]);
    }
    if wanted.is_empty() || wanted.len() > 20 {
        return Err(AppError::invalid(
            field,
            "Give the emails of 1 to 20 people who may approve this step.",
        ));
    }
    let found = db::packages::people_by_email(pool, org_id, &wanted).await?;
    if let Some(missing) = wanted.iter().find(|e| !found.iter().any(|(_, f)| f == *e)) {
        return Err(AppError::invalid(
            field,
            format!("Nobody active in the organisation has the email {missing}."),
        ));
    }
    Ok(found.into_iter().map(|(id, _)| id).collect())
}

/// Makes a package. A package giving high-impact or console access needs two steps.
pub async fn create(pool: &PgPool, actor: &Actor, input: &PackageInput) -> Result<Uuid, AppError> {
    let org_id = actor.org_id;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(AppError::invalid(
            "name",
            "Name the package in 1 to 120 characters.",
        ));
    }
    let description = input.description.trim();
    if description.chars().count() > 1000 {
        return Err(AppError::invalid(
            "description",
            "Describe the package in at most 1,000 characters.",
        ));
    }
    let lines = policy::parse_items(&input.items)?;
    let kinds = policy::parse_kinds(&input.for_kinds)?;
    let criteria = if input.for_criteria.trim().is_empty() {
        json!({ "all": [] })
    } else {
        Criteria::parse(&input.for_criteria)
            .map_err(|e| match e {
                rules::error::RuleError::Invalid { message, .. } => {
                    AppError::invalid("for_criteria", message)
                }
                other => other.into(),
            })?
            .to_json()
    };
    let approvers = policy::parse_steps(&input.first_approver, &input.second_approver)?;
    let max_days = policy::parse_max_days(&input.max_days)?;
    let review_months = policy::parse_review_months(&input.review_months)?;
    let bundles = db::principals::grantable(pool, org_id).await?;
    let accounts =
        crate::service::accounts::names_within(pool, org_id, &AccountScope::Every).await?;
    let mut items = Vec::with_capacity(lines.len());
    let mut weighty = None;
    for line in &lines {
        let bundle = bundles
            .iter()
            .find(|b| {
                b.application.eq_ignore_ascii_case(&line.application)
                    && b.name.eq_ignore_ascii_case(&line.bundle)
            })
            .ok_or_else(|| {
                AppError::invalid(
                    "items",
                    format!(
                        "Line {}: there is no role or permission set \u{201c}{}\u{201d} in \u{201c}{}\u{201d}.",
                        line.line, line.bundle, line.application
                    ),
                )
            })?;
        let account = match &line.account {
            None => None,
            Some(wanted) => Some(
                accounts
                    .iter()
                    .find(|(_, n)| n.eq_ignore_ascii_case(wanted))
                    .map(|(id, _)| *id)
                    .ok_or_else(|| {
                        AppError::invalid(
                            "items",
                            format!(
                                "Line {}: there is no account \u{201c}{wanted}\u{201d}.",
                                line.line
                            ),
                        )
                    })?,
            ),
        };
        if let Some(cap) = db::grants::bundle(pool, org_id, bundle.id)
            .await?
            .and_then(|b| b.max_grant_days)
            .filter(|cap| max_days > *cap)
        {
            return Err(AppError::invalid(
                "max_days",
                format!(
                    "{} grants last at most {cap} days: so does a package that gives {}.",
                    bundle.application, bundle.name
                ),
            ));
        }
        let permissions = db::requests::bundle_permissions(pool, org_id, bundle.id).await?;
        if weighty.is_none() && permissions.iter().any(|p| p.high_impact || p.console) {
            weighty = Some(bundle.name.clone());
        }
        let is_role = bundle.kind == "role";
        items.push((
            is_role.then_some(bundle.id),
            (!is_role).then_some(bundle.id),
            account,
        ));
    }
    if let (Some(what), 1) = (&weighty, approvers.len()) {
        return Err(AppError::invalid(
            "second_approver",
            format!("{what} gives high-impact or console access: the package needs a second approval step."),
        ));
    }
    if approvers.contains(&Approver::AccountManagers) && items.iter().all(|(_, _, a)| a.is_none()) {
        return Err(AppError::invalid(
            "first_approver",
            "Account managers approve only packages that give access on a named account.",
        ));
    }
    let mut steps: Vec<(&'static str, Vec<Uuid>)> = vec![];
    for (n, approver) in approvers.iter().enumerate() {
        let (field, emails) = if n == 0 {
            ("first_named", input.first_named.as_str())
        } else {
            ("second_named", input.second_named.as_str())
        };
        steps.push((
            approver.as_str(),
            named(pool, org_id, (field, *approver, emails)).await?,
        ));
    }
    let mut tx = pool.begin().await?;
    let Some(id) = db::packages::insert(
        &mut tx,
        org_id,
        &db::packages::NewPackage {
            name,
            description,
            for_kinds: &kinds,
            for_criteria: &criteria,
            steps: &steps,
            max_days,
            review_months,
            created_by: actor.principal_id,
            items: &items,
        },
    )
    .await?
    else {
        return Err(AppError::invalid(
            "name",
            "A package with this name exists already.",
        ));
    };
    db::audit::record(
        &mut tx,
        actor,
        Change::on(AuditAction::PackageCreated, id, name).after(json!({
            "items": lines.iter().map(|l| format!("{} / {} / {}", l.application, l.bundle,
                l.account.as_deref().unwrap_or("all accounts"))).collect::<Vec<_>>(),
            "for_kinds": kinds, "for_criteria": criteria,
            "approvers": steps.iter().map(|(a, named)| json!({ "approver": a, "named": named })).collect::<Vec<_>>(),
            "max_days": max_days, "review_months": review_months,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Retires a package: nobody may ask for it any more, and the requests waiting for it
/// are withdrawn. Assignments already made keep their grants until they end.
pub async fn retire(pool: &PgPool, actor: &Actor, package: Uuid) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let Some((name, withdrawn)) =
        db::packages::retire(&mut tx, actor.org_id, package, actor.principal_id).await?
    else {
        return Err(AppError::NotFound(
            "There is no such package in force.".into(),
        ));
    };
    db::audit::record(
        &mut tx,
        actor,
        Change::on(AuditAction::PackageRetired, package, name)
            .after(json!({ "requests_withdrawn": withdrawn })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Refused unless the principal is one the package may be asked for.
fn fits(package: &db::packages::PackageRow, who: &db::packages::Facts) -> Result<(), AppError> {
    let kind_fits = package.for_kinds.contains(&who.kind);
    let criteria = Criteria::from_json(&package.for_criteria).ok();
    let person = Person {
        employment_type: who.employment_type.as_deref(),
        attributes: who.attributes.as_object(),
        groups: &who.groups,
    };
    if kind_fits && criteria.is_none_or(|c| c.matches(&person)) {
        return Ok(());
    }
    Err(AppError::invalid(
        "principal",
        format!(
            "\u{201c}{}\u{201d} is only for {}: {} is not among them.",
            package.name,
            view(package.clone()).for_whom,
            who.display_name
        ),
    ))
}

/// Asks for a package for `principal` (the caller, or someone they manage or own) for
/// `days`: one request, decided step by step by whom the package names.
pub async fn request(
    pool: &PgPool,
    actor: &Actor,
    (package, principal): (Uuid, Uuid),
    days: &str,
    justification: &str,
) -> Result<Uuid, AppError> {
    let me = crate::service::person(actor)?;
    let org_id = actor.org_id;
    let justification = parse_justification(justification)?;
    let principal_name = crate::service::requests::requestable(pool, org_id, me, principal).await?;
    let mut tx = pool.begin().await?;
    let (kind, waiting) = db::requests::requester_waiting(&mut tx, org_id, me)
        .await?
        .ok_or(AppError::Forbidden)?;
    rules::principals::non_human::may_ask(&kind, waiting)?;
    let Some(found) = db::packages::lock(&mut tx, org_id, package).await? else {
        return Err(AppError::invalid(
            "package",
            "Choose a package from the list.",
        ));
    };
    if found.retired {
        return Err(AppError::invalid(
            "package",
            "This package has been retired.",
        ));
    }
    let days = policy::parse_days(days, found.max_days)?;
    let Some(who) = db::packages::facts(&mut tx, org_id, principal).await? else {
        return Err(AppError::NotFound("There is no such principal.".into()));
    };
    if who.status != "active" {
        return Err(AppError::Conflict(format!(
            "{principal_name} is {}: a package is asked for active principals only.",
            who.status
        )));
    }
    fits(&found, &who)?;
    if let Some(until) = db::packages::held_until(&mut tx, org_id, (package, principal)).await? {
        return Err(AppError::Conflict(format!(
            "{principal_name} holds \u{201c}{}\u{201d} until {}.",
            found.name,
            until.format("%Y-%m-%d")
        )));
    }
    if db::packages::waiting_for_package(&mut tx, org_id, (package, principal)).await? {
        return Err(AppError::Conflict(format!(
            "A request for \u{201c}{}\u{201d} for {principal_name} is already waiting.",
            found.name
        )));
    }
    let steps = 1 + found.second_approver.is_some() as i16;
    for step in 1..=steps {
        let people =
            db::packages::step_candidates(&mut tx, org_id, (package, step), (me, principal))
                .await?;
        if people == 0 {
            let approver = if step == 1 {
                Some(found.first_approver.as_str())
            } else {
                found.second_approver.as_deref()
            };
            let who = approver
                .and_then(Approver::parse)
                .map_or("its approvers", |a| a.label());
            return Err(AppError::Conflict(format!(
                "Nobody could approve step {step} of this request: it is for {who}, and nobody decides a request they made or one for themselves. Ask someone else to ask, or an admin to grant it."
            )));
        }
    }
    let id = db::packages::insert_request(
        &mut tx,
        org_id,
        &db::packages::NewRequest {
            package,
            requester: me,
            principal,
            justification: &justification,
            days,
            steps,
        },
    )
    .await?;
    db::audit::record(
        &mut tx,
        actor,
        Change::on(
            AuditAction::PackageRequested,
            id,
            format!("{principal_name} \u{2192} {}", found.name),
        )
        .after(
            json!({ "package": found.name, "principal": principal_name, "days": days,
                       "steps": steps, "items": found.items }),
        )
        .because(justification.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Decides the current step of a package request; the last approval gives the package:
/// one grant per role or permission set, all ending together, in the same transaction.
/// Answers the request's status.
pub async fn decide(
    pool: &PgPool,
    actor: &Actor,
    request_id: Uuid,
    (approve, comment): (bool, &str),
    step_up: StepUp,
) -> Result<String, AppError> {
    let me = crate::service::person(actor)?;
    let org_id = actor.org_id;
    let comment: String = comment.trim().chars().take(1000).collect();
    let mut tx = pool.begin().await?;
    let request = db::packages::lock_request(&mut tx, org_id, me, request_id)
        .await?
        // Only whom it concerns learns that it exists.
        .filter(|r| r.may_decide || r.requester_id == me || r.principal_id == me)
        .ok_or_else(|| {
            AppError::NotFound("There is no such package request waiting for you.".into())
        })?;
    if request.status != "pending" {
        return Err(AppError::Conflict(format!(
            "This request is already {}.",
            request.status
        )));
    }
    let approved_by = db::packages::approvers(&mut tx, org_id, request_id).await?;
    let outcome = rule(
        &DecisionContext {
            approver: me,
            requester: request.requester_id,
            principal: request.principal_id,
            owner: request.principal_owner,
            covered: request.may_decide,
            approved_by,
            approvals_needed: request.steps,
        },
        approve,
        &comment,
    )
    .map_err(|e| match e {
        rules::error::RuleError::Forbidden => {
            AppError::NotFound("There is no such package request waiting for you.".into())
        }
        other => other.into(),
    })?;
    // Approving high-impact or console access takes a recent second factor, at every step.
    if approve {
        for item in db::packages::items(&mut *tx, org_id, request.package_id).await? {
            let permissions =
                db::requests::bundle_permissions(&mut *tx, org_id, item.bundle_id()).await?;
            if permissions.iter().any(|p| p.high_impact || p.console) {
                step_up.check()?;
            }
        }
    }
    let step = request.step as i16;
    db::packages::record_decision(&mut tx, org_id, request_id, (step, me), (approve, &comment))
        .await?;
    let label = format!("{} \u{2192} {}", request.principal, request.package);
    let (action, status) = match outcome {
        Outcome::AwaitsNextApprover => (AuditAction::PackageApprovedStep, "pending"),
        Outcome::Denied => (AuditAction::PackageDenied, "denied"),
        Outcome::Approved => {
            give(&mut tx, actor, (request_id, &request)).await?;
            (AuditAction::PackageApproved, "approved")
        }
    };
    if status != "pending" {
        db::packages::close_request(&mut tx, org_id, request_id, status, &comment).await?;
    }
    db::audit::record(
        &mut tx,
        actor,
        Change::on(action, request_id, label)
            .before(json!({ "status": "pending" }))
            .after(json!({ "status": status, "step": step }))
            .because((!comment.is_empty()).then_some(comment.clone())),
    )
    .await?;
    tx.commit().await?;
    Ok(status.to_string())
}

/// The grants an approved package request makes, all ending together, each audited:
/// checked once more against the principal's status, who the package is for and the
/// separation-of-duties rules, which may have changed since the request was made.
async fn give(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    (request_id, request): (Uuid, &db::packages::Locked),
) -> Result<(), AppError> {
    let org_id = actor.org_id;
    let Some(package) = db::packages::lock(tx, org_id, request.package_id).await? else {
        return Err(AppError::NotFound("That package is gone.".into()));
    };
    if package.retired {
        return Err(AppError::Conflict("This package has been retired.".into()));
    }
    let Some(who) = db::packages::facts(tx, org_id, request.principal_id).await? else {
        return Err(AppError::NotFound("There is no such principal.".into()));
    };
    if who.status == "offboarded" {
        return Err(AppError::Conflict(format!(
            "{} has been offboarded; access cannot be granted.",
            who.display_name
        )));
    }
    fits(&package, &who).map_err(|e| AppError::Conflict(e.to_string()))?;
    let items = db::packages::items(&mut **tx, org_id, request.package_id).await?;
    let now = Utc::now();
    let ends_at = now + Duration::days(request.days as i64);
    let next_review = request
        .review_months
        .and_then(|m| now.date_naive().checked_add_months(Months::new(m as u32)))
        .filter(|on| {
            on.and_hms_opt(0, 0, 0)
                .is_some_and(|t| t.and_utc() < ends_at)
        });
    let assignment = db::packages::insert_assignment(
        tx,
        org_id,
        (request.package_id, request.principal_id, request_id),
        ends_at,
        next_review,
    )
    .await?;
    let reason = format!(
        "Access package \u{201c}{}\u{201d}: {}",
        request.package, request.justification
    );
    for item in &items {
        let conflicts = crate::service::sod::conflicts(
            tx,
            org_id,
            request.principal_id,
            item.bundle_id(),
            item.account_id,
            None,
        )
        .await?;
        if let Some(refused) = refusal(&conflicts) {
            return Err(refused.into());
        }
        let grant = db::grants::insert(
            tx,
            org_id,
            &db::grants::NewGrant {
                valid_from: Some(now),
                principal_id: request.principal_id,
                role_id: item.role_id,
                permission_set_id: item.permission_set_id,
                account_id: item.account_id,
                valid_until: Some(ends_at),
                granted_by: actor.principal_id,
                reason: &reason,
                source_request_id: None,
                conditions: &json!({}),
                birthright_rule_id: None,
                package_assignment_id: Some(assignment),
            },
        )
        .await?;
        db::audit::record(
            tx,
            actor,
            Change::on(
                AuditAction::GrantCreated,
                grant,
                format!("{} \u{2192} {}", request.principal, item.bundle),
            )
            .after(json!({
                "principal": request.principal, "bundle": item.bundle, "account_id": item.account_id,
                "valid_until": ends_at, "package": request.package, "package_request": request_id,
            }))
            .because(reason.clone()),
        )
        .await?;
    }
    Ok(())
}

/// Opens the scheduled reviews that are due: each assignment's grants in force, asked
/// of the holder's manager (an agent's owner, else the fallback owner), revoked when due
/// unless kept. Answers how many were opened.
pub async fn review_round(pool: &PgPool, today: NaiveDate) -> Result<usize, AppError> {
    let mut tx = pool.begin().await?;
    let due = db::packages::due_reviews(&mut tx, today, REVIEW_BATCH).await?;
    let mut opened = 0;
    for review in due {
        let grants = db::packages::assignment_grants(&mut tx, review.org_id, review.id).await?;
        let next = review.review_months.and_then(|m| {
            review
                .next_review_on
                .checked_add_months(Months::new(m as u32))
        });
        let (Some(reviewer), false) = (review.reviewer, grants.is_empty()) else {
            // Nothing left to review, or nobody to ask: try again at the next date.
            db::packages::set_next_review(
                &mut tx,
                review.org_id,
                review.id,
                next.filter(|_| !grants.is_empty()),
            )
            .await?;
            continue;
        };
        let name = format!(
            "Package review: {} \u{2014} {} ({})",
            review.principal, review.package, review.next_review_on
        );
        let due_on = today + Duration::days(REVIEW_DAYS);
        let campaign = Uuid::new_v4();
        let started = Change::on(AuditAction::ReviewStarted, campaign, name.clone())
            .after(
                json!({ "package": review.package, "principal": review.principal,
                           "items": grants.len(), "due_on": due_on, "undecided": "revoke" }),
            )
            .because(format!(
                "\u{201c}{}\u{201d} is reviewed on a schedule",
                review.package
            ));
        db::reviews::open_person_review(
            &mut tx,
            review.org_id,
            (review.principal_id, &review.principal),
            (
                campaign,
                &name,
                db::reviews::PersonReview::Package(review.id),
            ),
            (due_on, reviewer),
            &grants,
            (
                &crate::service::lifecycle::round_actor(review.org_id),
                started,
            ),
        )
        .await?;
        db::packages::set_next_review(&mut tx, review.org_id, review.id, next).await?;
        opened += 1;
    }
    tx.commit().await?;
    Ok(opened)
}

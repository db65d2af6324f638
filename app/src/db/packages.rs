//! Access packages, what they give, the requests for them, their decisions and the
//! assignments approved requests made.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use super::Tx;
use crate::model::packages::{PackageAssignmentView, PackageRequestView};

/// A package in force, with its policy.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PackageRow {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub for_kinds: Vec<String>,
    pub for_criteria: Value,
    pub first_approver: String,
    pub second_approver: Option<String>,
    /// The named approvers' names, per step.
    pub first_named: Vec<String>,
    pub second_named: Vec<String>,
    pub max_days: i32,
    pub review_months: Option<i16>,
    /// "Application — Role on Account", in the package's order.
    pub items: Vec<String>,
    pub holders: i64,
    pub retired: bool,
}

const PACKAGES: &str = "SELECT k.id, k.name, k.description, k.for_kinds, k.for_criteria, k.first_approver, \
        k.second_approver, \
        array(SELECT n.display_name FROM principals n WHERE n.org_id = k.org_id AND n.id = ANY(k.first_named) ORDER BY 1) AS first_named, \
        array(SELECT n.display_name FROM principals n WHERE n.org_id = k.org_id AND n.id = ANY(k.second_named) ORDER BY 1) AS second_named, \
        k.max_days, k.review_months, \
        array(SELECT ap.name || ' \u{2014} ' || coalesce(r.name, ps.name) || ' on ' || coalesce(ac.name, 'all accounts') \
              FROM package_items i \
              LEFT JOIN roles r ON r.org_id = i.org_id AND r.id = i.role_id \
              LEFT JOIN permission_sets ps ON ps.org_id = i.org_id AND ps.id = i.permission_set_id \
              JOIN applications ap ON ap.org_id = i.org_id AND ap.id = coalesce(r.application_id, ps.application_id) \
              LEFT JOIN accounts ac ON ac.org_id = i.org_id AND ac.id = i.account_id \
              WHERE i.org_id = k.org_id AND i.package_id = k.id ORDER BY i.position) AS items, \
        (SELECT count(DISTINCT a.principal_id) FROM package_assignments a \
         WHERE a.org_id = k.org_id AND a.package_id = k.id AND EXISTS ( \
           SELECT 1 FROM grants g WHERE g.org_id = a.org_id AND g.package_assignment_id = a.id \
             AND g.revoked_at IS NULL AND g.valid_until > now())) AS holders, \
        k.retired_at IS NOT NULL AS retired \
     FROM access_packages k";

/// The packages in force, by name.
pub async fn list(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Vec<PackageRow>> {
    sqlx::query_as(&format!(
        "{PACKAGES} WHERE k.org_id = $1 AND k.retired_at IS NULL ORDER BY lower(k.name)"
    ))
    .bind(org_id)
    .fetch_all(pool)
    .await
}

/// One package (retired or not), locked against retirement until the transaction ends.
pub async fn lock(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> sqlx::Result<Option<PackageRow>> {
    sqlx::query_as(&format!(
        "{PACKAGES} WHERE k.org_id = $1 AND k.id = $2 FOR SHARE OF k"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// A package to write.
pub struct NewPackage<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub for_kinds: &'a [String],
    pub for_criteria: &'a Value,
    pub steps: &'a [(&'static str, Vec<Uuid>)],
    pub max_days: i32,
    pub review_months: Option<i16>,
    pub created_by: Option<Uuid>,
    /// (role, permission set, account), in order.
    pub items: &'a [(Option<Uuid>, Option<Uuid>, Option<Uuid>)],
}

/// Writes a package and what it gives; None when the name is taken.
pub async fn insert(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    new: &NewPackage<'_>,
) -> sqlx::Result<Option<Uuid>> {
    let taken: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM access_packages WHERE org_id = $1 AND lower(name) = lower($2) AND retired_at IS NULL)",
    )
    .bind(org_id)
    .bind(new.name)
    .fetch_one(&mut **tx)
    .await?;
    if taken {
        return Ok(None);
    }
    let id = Uuid::new_v4();
    let (first, first_named) = &new.steps[0];
    let (second, second_named) = match new.steps.get(1) {
        Some((a, named)) => (Some(*a), named.clone()),
        None => (None, vec![]),
    };
    sqlx::query(
        "INSERT INTO access_packages (org_id, id, name, description, for_kinds, for_criteria, first_approver, first_named, \
                                      second_approver, second_named, max_days, review_months, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(org_id)
    .bind(id)
    .bind(new.name)
    .bind(new.description)
    .bind(new.for_kinds)
    .bind(new.for_criteria)
    .bind(*first)
    .bind(first_named)
    .bind(second)
    .bind(&second_named)
    .bind(new.max_days)
    .bind(new.review_months)
    .bind(new.created_by)
    .execute(&mut **tx)
    .await?;
    let (roles, sets, accounts): (Vec<_>, Vec<_>, Vec<_>) = new.items.iter().fold(
        (vec![], vec![], vec![]),
        |(mut r, mut s, mut a), (role, set, account)| {
            r.push(*role);
            s.push(*set);
            a.push(*account);
            (r, s, a)
        },
    );
    sqlx::query(
        "INSERT INTO package_items (org_id, package_id, position, role_id, permission_set_id, account_id) \
         SELECT $1, $2, n, r, s, a FROM unnest($3::uuid[], $4::uuid[], $5::uuid[]) WITH ORDINALITY AS t(r, s, a, n)",
    )
    .bind(org_id)
    .bind(id)
    .bind(&roles)
    .bind(&sets)
    .bind(&accounts)
    .execute(&mut **tx)
    .await?;
    Ok(Some(id))
}

/// Retires a package and withdraws the requests waiting for it; answers its name and
/// how many requests were withdrawn, or None if it is not in force.
pub async fn retire(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    by: Option<Uuid>,
) -> sqlx::Result<Option<(String, i64)>> {
    let Some(name): Option<String> = sqlx::query_scalar(
        "UPDATE access_packages SET retired_at = now(), retired_by = $3 \
         WHERE org_id = $1 AND id = $2 AND retired_at IS NULL RETURNING name",
    )
    .bind(org_id)
    .bind(id)
    .bind(by)
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(None);
    };
    let withdrawn = sqlx::query(
        "UPDATE package_requests SET status = 'cancelled', decided_at = now(), \
                decision_comment = 'The package was retired.' \
         WHERE org_id = $1 AND package_id = $2 AND status = 'pending'",
    )
    .bind(org_id)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(Some((name, withdrawn as i64)))
}

/// One role or permission set a package gives.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub role_id: Option<Uuid>,
    pub permission_set_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub bundle: String,
    pub account: Option<String>,
}

impl ItemRow {
    pub fn bundle_id(&self) -> Uuid {
        self.role_id.or(self.permission_set_id).unwrap_or_default()
    }
}

pub async fn items(
    db: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
    package: Uuid,
) -> sqlx::Result<Vec<ItemRow>> {
    sqlx::query_as(
        "SELECT i.role_id, i.permission_set_id, i.account_id, coalesce(r.name, ps.name) AS bundle, ac.name AS account \
         FROM package_items i \
         LEFT JOIN roles r ON r.org_id = i.org_id AND r.id = i.role_id \
         LEFT JOIN permission_sets ps ON ps.org_id = i.org_id AND ps.id = i.permission_set_id \
         LEFT JOIN accounts ac ON ac.org_id = i.org_id AND ac.id = i.account_id \
         WHERE i.org_id = $1 AND i.package_id = $2 ORDER BY i.position",
    )
    .bind(org_id)
    .bind(package)
    .fetch_all(db)
    .await
}

/// Active people of the organisation by email: (id, email).
pub async fn people_by_email(
    pool: &PgPool,
    org_id: Uuid,
    emails: &[String],
) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as(
        "SELECT id, email FROM principals WHERE org_id = $1 AND email = ANY($2) \
           AND kind = 'human' AND status = 'active'",
    )
    .bind(org_id)
    .bind(emails)
    .fetch_all(pool)
    .await
}

/// What a package's conditions read of a principal.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Facts {
    pub display_name: String,
    pub kind: String,
    pub status: String,
    pub employment_type: Option<String>,
    pub attributes: Value,
    pub groups: Vec<String>,
}

/// A principal's facts, locked until the transaction ends.
pub async fn facts(tx: &mut Tx<'_>, org_id: Uuid, principal: Uuid) -> sqlx::Result<Option<Facts>> {
    sqlx::query_as(
        "SELECT p.display_name, p.kind::text AS kind, p.status::text AS status, p.employment_type::text AS employment_type, \
                p.attributes, \
                array(SELECT g.display_name FROM group_members m \
                      JOIN principal_groups g ON g.org_id = m.org_id AND g.id = m.group_id \
                      WHERE m.org_id = p.org_id AND m.principal_id = p.id) AS groups \
         FROM principals p WHERE p.org_id = $1 AND p.id = $2 FOR UPDATE OF p",
    )
    .bind(org_id)
    .bind(principal)
    .fetch_optional(&mut **tx)
    .await
}

/// When the principal's assignment of the package in force ends, if they hold it.
pub async fn held_until(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    (package, principal): (Uuid, Uuid),
) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar(
        "SELECT max(a.ends_at) FROM package_assignments a \
         WHERE a.org_id = $1 AND a.package_id = $2 AND a.principal_id = $3 AND a.ends_at > now() \
           AND EXISTS (SELECT 1 FROM grants g WHERE g.org_id = a.org_id AND g.package_assignment_id = a.id \
                       AND g.revoked_at IS NULL)",
    )
    .bind(org_id)
    .bind(package)
    .bind(principal)
    .fetch_one(&mut **tx)
    .await
}

/// Whether a request for the package and principal already waits.
pub async fn waiting_for_package(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    (package, principal): (Uuid, Uuid),
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM package_requests WHERE org_id = $1 AND package_id = $2 \
                        AND principal_id = $3 AND status = 'pending')",
    )
    .bind(org_id)
    .bind(package)
    .bind(principal)
    .fetch_one(&mut **tx)
    .await
}

/// A request to write.
pub struct NewRequest<'a> {
    pub package: Uuid,
    pub requester: Uuid,
    pub principal: Uuid,
    pub justification: &'a str,
    pub days: i32,
    pub steps: i16,
}

pub async fn insert_request(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    new: &NewRequest<'_>,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO package_requests (org_id, id, package_id, requester_id, principal_id, justification, days, steps) \
         VALUES ($1, gen_random_uuid(), $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(org_id)
    .bind(new.package)
    .bind(new.requester)
    .bind(new.principal)
    .bind(new.justification)
    .bind(new.days)
    .bind(new.steps)
    .fetch_one(&mut **tx)
    .await
}

/// Whether person `who` approves step `step` of package `k` for principal `p`: the
/// step's approver kind names them, and they are not the principal's owner (nobody
/// approves access for an agent they answer for). Read by the waiting list, the
/// decision and the check that a request can be approved at all. Never NULL: a
/// principal without a manager, or a step without named people, is approved by nobody.
fn approves_step(who: &str, step: &str) -> String {
    format!(
        "p.owner_id IS DISTINCT FROM {who} \
         AND coalesce(CASE (CASE WHEN {step} = 1 THEN k.first_approver ELSE k.second_approver END) \
           WHEN 'manager' THEN {who} = (CASE WHEN p.kind = 'human' THEN p.manager_id \
                ELSE (SELECT o.manager_id FROM principals o WHERE o.org_id = p.org_id AND o.id = p.owner_id) END) \
           WHEN 'account_managers' THEN EXISTS (SELECT 1 FROM package_items i \
                JOIN account_managers am ON am.org_id = i.org_id AND am.account_id = i.account_id \
                WHERE i.org_id = k.org_id AND i.package_id = k.id AND am.principal_id = {who}) \
           WHEN 'named' THEN {who} = ANY(CASE WHEN {step} = 1 THEN k.first_named ELSE k.second_named END) \
           ELSE false END, false)"
    )
}

/// Whether `$2` may decide the current step `s.step` of request `r`: they approve that
/// step, and nobody decides their own request, one for themselves, or two steps of one
/// request.
fn may_decide() -> String {
    format!(
        "r.requester_id <> $2 AND r.principal_id <> $2 \
         AND NOT EXISTS (SELECT 1 FROM package_decisions d WHERE d.org_id = r.org_id AND d.request_id = r.id AND d.approver_id = $2) \
         AND {}",
        approves_step("$2", "s.step")
    )
}

const REQUESTS: &str = "SELECT r.id, k.name AS package, p.display_name AS principal, rq.display_name AS requester, \
        r.justification, r.days, r.steps, r.status::text AS status, r.created_at, r.decision_comment, \
        array(SELECT coalesce(ap.name || ' \u{2014} ', '') || coalesce(ro.name, ps.name) || ' on ' || coalesce(ac.name, 'all accounts') \
              FROM package_items i \
              LEFT JOIN roles ro ON ro.org_id = i.org_id AND ro.id = i.role_id \
              LEFT JOIN permission_sets ps ON ps.org_id = i.org_id AND ps.id = i.permission_set_id \
              LEFT JOIN applications ap ON ap.org_id = i.org_id AND ap.id = coalesce(ro.application_id, ps.application_id) \
              LEFT JOIN accounts ac ON ac.org_id = i.org_id AND ac.id = i.account_id \
              WHERE i.org_id = k.org_id AND i.package_id = k.id ORDER BY i.position) AS items, \
        array(SELECT dp.display_name || ': ' || CASE WHEN d.approved THEN 'approved' ELSE 'denied' END \
                     || CASE WHEN d.comment <> '' THEN ' \u{2014} ' || d.comment ELSE '' END \
              FROM package_decisions d JOIN principals dp ON dp.org_id = d.org_id AND dp.id = d.approver_id \
              WHERE d.org_id = r.org_id AND d.request_id = r.id ORDER BY d.step) AS decisions \
     FROM package_requests r \
     CROSS JOIN LATERAL (SELECT count(*)::int + 1 AS step FROM package_decisions d \
                         WHERE d.org_id = r.org_id AND d.request_id = r.id) s \
     JOIN access_packages k ON k.org_id = r.org_id AND k.id = r.package_id \
     JOIN principals p ON p.org_id = r.org_id AND p.id = r.principal_id \
     JOIN principals rq ON rq.org_id = r.org_id AND rq.id = r.requester_id";

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: Uuid,
    package: String,
    principal: String,
    requester: String,
    justification: String,
    days: i32,
    steps: i16,
    status: String,
    created_at: DateTime<Utc>,
    decision_comment: Option<String>,
    items: Vec<String>,
    decisions: Vec<String>,
}

impl From<RequestRow> for PackageRequestView {
    fn from(r: RequestRow) -> Self {
        PackageRequestView {
            id: r.id,
            package: r.package,
            items: r.items,
            principal: r.principal,
            requester: r.requester,
            justification: r.justification,
            days: r.days,
            steps: r.steps,
            status: r.status,
            created_at: r.created_at,
            decisions: r.decisions,
            decision_comment: r.decision_comment,
        }
    }
}

/// Pending requests whose current step `approver` may decide, oldest first.
pub async fn waiting_for(
    pool: &PgPool,
    org_id: Uuid,
    approver: Uuid,
) -> sqlx::Result<Vec<PackageRequestView>> {
    let rows: Vec<RequestRow> = sqlx::query_as(&format!(
        "{REQUESTS} WHERE r.org_id = $1 AND r.status = 'pending' AND {} \
         ORDER BY r.created_at, r.id LIMIT 200",
        may_decide()
    ))
    .bind(org_id)
    .bind(approver)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Requests made by or for `person`, newest first.
pub async fn mine(
    pool: &PgPool,
    org_id: Uuid,
    person: Uuid,
) -> sqlx::Result<Vec<PackageRequestView>> {
    let rows: Vec<RequestRow> = sqlx::query_as(&format!(
        "{REQUESTS} WHERE r.org_id = $1 AND (r.requester_id = $2 OR r.principal_id = $2) \
         ORDER BY r.created_at DESC, r.id LIMIT 100"
    ))
    .bind(org_id)
    .bind(person)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// A request locked for its decision.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Locked {
    pub package_id: Uuid,
    pub package: String,
    pub requester_id: Uuid,
    pub principal_id: Uuid,
    pub principal: String,
    pub principal_owner: Option<Uuid>,
    pub justification: String,
    pub days: i32,
    pub steps: i16,
    pub status: String,
    pub step: i32,
    pub review_months: Option<i16>,
    /// Whether the deciding person may decide the current step.
    pub may_decide: bool,
}

/// Request `id`, locked, as `approver` sees it.
pub async fn lock_request(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    approver: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Locked>> {
    sqlx::query_as(&format!(
        "SELECT r.package_id, k.name AS package, r.requester_id, r.principal_id, p.display_name AS principal, \
                p.owner_id AS principal_owner, r.justification, r.days, r.steps, r.status::text AS status, s.step, \
                k.review_months, ({}) AS may_decide \
         FROM package_requests r \
         CROSS JOIN LATERAL (SELECT count(*)::int + 1 AS step FROM package_decisions d \
                             WHERE d.org_id = r.org_id AND d.request_id = r.id) s \
         JOIN access_packages k ON k.org_id = r.org_id AND k.id = r.package_id \
         JOIN principals p ON p.org_id = r.org_id AND p.id = r.principal_id \
         WHERE r.org_id = $1 AND r.id = $3 FOR UPDATE OF r",
        may_decide()
    ))
    .bind(org_id)
    .bind(approver)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// The approvers of the steps decided so far, in order.
pub async fn approvers(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT approver_id FROM package_decisions WHERE org_id = $1 AND request_id = $2 ORDER BY step",
    )
    .bind(org_id)
    .bind(id)
    .fetch_all(&mut **tx)
    .await
}

pub async fn record_decision(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    (step, approver): (i16, Uuid),
    (approved, comment): (bool, &str),
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO package_decisions (org_id, request_id, step, approver_id, approved, comment) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(org_id)
    .bind(id)
    .bind(step)
    .bind(approver)
    .bind(approved)
    .bind(comment)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn close_request(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    status: &str,
    comment: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE package_requests SET status = $3::request_status, decided_at = now(), decision_comment = $4 \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(status)
    .bind(comment)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes the assignment an approved request makes.
pub async fn insert_assignment(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    (package, principal, request): (Uuid, Uuid, Uuid),
    ends_at: DateTime<Utc>,
    next_review_on: Option<NaiveDate>,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO package_assignments (org_id, id, package_id, principal_id, request_id, ends_at, next_review_on) \
         VALUES ($1, gen_random_uuid(), $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(org_id)
    .bind(package)
    .bind(principal)
    .bind(request)
    .bind(ends_at)
    .bind(next_review_on)
    .fetch_one(&mut **tx)
    .await
}

/// The packages a principal holds or held, newest first.
pub async fn assignments_of(
    pool: &PgPool,
    org_id: Uuid,
    principal: Uuid,
) -> sqlx::Result<Vec<PackageAssignmentView>> {
    sqlx::query_as(
        "SELECT k.name AS package, a.granted_at, a.ends_at, a.next_review_on, \
                count(g.id) FILTER (WHERE g.revoked_at IS NULL AND g.valid_until > now()) AS grants_in_force, \
                count(g.id) AS grants \
         FROM package_assignments a \
         JOIN access_packages k ON k.org_id = a.org_id AND k.id = a.package_id \
         LEFT JOIN grants g ON g.org_id = a.org_id AND g.package_assignment_id = a.id \
         WHERE a.org_id = $1 AND a.principal_id = $2 \
         GROUP BY a.org_id, a.id, k.name ORDER BY a.granted_at DESC LIMIT 50",
    )
    .bind(org_id)
    .bind(principal)
    .fetch_all(pool)
    .await
}

/// The other unrevoked grants of the package assignment `grant` belongs to, locked:
/// (grant, its role or permission set, the package). Empty for a grant of no package.
pub async fn siblings_for_revoke(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    grant: Uuid,
) -> sqlx::Result<Vec<(Uuid, String, String)>> {
    sqlx::query_as(
        "SELECT o.id, coalesce(r.name, ps.name), k.name FROM grants g \
         JOIN package_assignments a ON a.org_id = g.org_id AND a.id = g.package_assignment_id \
         JOIN access_packages k ON k.org_id = a.org_id AND k.id = a.package_id \
         JOIN grants o ON o.org_id = g.org_id AND o.package_assignment_id = a.id AND o.id <> g.id \
         LEFT JOIN roles r ON r.org_id = o.org_id AND r.id = o.role_id \
         LEFT JOIN permission_sets ps ON ps.org_id = o.org_id AND ps.id = o.permission_set_id \
         WHERE g.org_id = $1 AND g.id = $2 AND o.revoked_at IS NULL \
         ORDER BY o.id FOR UPDATE OF o",
    )
    .bind(org_id)
    .bind(grant)
    .fetch_all(&mut **tx)
    .await
}

/// Whether a grant came from a package: its name.
pub async fn package_of_grant(
    db: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
    grant: Uuid,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT k.name FROM grants g \
         JOIN package_assignments a ON a.org_id = g.org_id AND a.id = g.package_assignment_id \
         JOIN access_packages k ON k.org_id = a.org_id AND k.id = a.package_id \
         WHERE g.org_id = $1 AND g.id = $2",
    )
    .bind(org_id)
    .bind(grant)
    .fetch_optional(db)
    .await
}

/// An assignment whose review is due.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueReview {
    pub org_id: Uuid,
    pub id: Uuid,
    pub package: String,
    pub principal_id: Uuid,
    pub principal: String,
    pub review_months: Option<i16>,
    pub next_review_on: NaiveDate,
    /// The holder's manager (an agent's owner), or the organisation's fallback owner,
    /// if active.
    pub reviewer: Option<Uuid>,
}

/// Assignments due for review by `today`, every organisation's, locked (others skip them).
pub async fn due_reviews(
    tx: &mut Tx<'_>,
    today: NaiveDate,
    limit: i64,
) -> sqlx::Result<Vec<DueReview>> {
    sqlx::query_as(
        "SELECT a.org_id, a.id, k.name AS package, a.principal_id, p.display_name AS principal, k.review_months, \
                a.next_review_on, \
                (SELECT h.id FROM principals h \
                 WHERE h.org_id = p.org_id AND h.id IN (coalesce(p.manager_id, p.owner_id), o.leaver_fallback_owner_id) \
                   AND h.id <> p.id AND h.kind = 'human' AND h.status = 'active' \
                 ORDER BY h.id = coalesce(p.manager_id, p.owner_id) DESC LIMIT 1) AS reviewer \
         FROM package_assignments a \
         JOIN access_packages k ON k.org_id = a.org_id AND k.id = a.package_id \
         JOIN principals p ON p.org_id = a.org_id AND p.id = a.principal_id \
         JOIN organisations o ON o.id = a.org_id \
         WHERE a.next_review_on <= $1 \
         ORDER BY a.next_review_on, a.id LIMIT $2 FOR UPDATE OF a SKIP LOCKED",
    )
    .bind(today)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// The grants in force of an assignment, with what each gives.
pub async fn assignment_grants(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    assignment: Uuid,
) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as(
        "SELECT g.id, coalesce(r.name, ps.name) || ' on ' || coalesce(ac.name, 'all accounts') FROM grants g \
         LEFT JOIN roles r ON r.org_id = g.org_id AND r.id = g.role_id \
         LEFT JOIN permission_sets ps ON ps.org_id = g.org_id AND ps.id = g.permission_set_id \
         LEFT JOIN accounts ac ON ac.org_id = g.org_id AND ac.id = g.account_id \
         WHERE g.org_id = $1 AND g.package_assignment_id = $2 AND g.revoked_at IS NULL AND g.valid_until > now() \
         ORDER BY g.id",
    )
    .bind(org_id)
    .bind(assignment)
    .fetch_all(&mut **tx)
    .await
}

/// Sets (or clears) an assignment's next review.
pub async fn set_next_review(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    assignment: Uuid,
    next: Option<NaiveDate>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE package_assignments SET next_review_on = $3 WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(assignment)
        .bind(next)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// How many people could approve step `step` (1 or 2) of a request for `principal`
/// made by `requester`: active people the step names, neither of them.
pub async fn step_candidates(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    (package, step): (Uuid, i16),
    (requester, principal): (Uuid, Uuid),
) -> sqlx::Result<i64> {
    sqlx::query_scalar(&format!(
        "SELECT count(*) FROM principals c, access_packages k, principals p \
         WHERE k.org_id = $1 AND k.id = $2 AND p.org_id = $1 AND p.id = $5 \
           AND c.org_id = $1 AND c.kind = 'human' AND c.status = 'active' AND c.id NOT IN ($4, $5) \
           AND {}",
        approves_step("c.id", "$3")
    ))
    .bind(org_id)
    .bind(package)
    .bind(step)
    .bind(requester)
    .bind(principal)
    .fetch_one(&mut **tx)
    .await
}

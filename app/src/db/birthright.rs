//! Birthright rules, the people they are weighed against, the grants they gave, and
//! movers' reviews.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::Tx;
use crate::model::principals::GrantableBundle;
use rules::birthright::{Criteria, Subject};

/// A rule in force, with what it gives named.
#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct RuleRow {
    pub id: Uuid,
    pub name: String,
    pub criteria: Value,
    pub role_id: Option<Uuid>,
    pub permission_set_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub until_end_date: bool,
    pub bundle: String,
    pub application: String,
    pub account: Option<String>,
}

impl RuleRow {
    /// The role or permission set it gives.
    pub fn bundle_id(&self) -> Uuid {
        self.role_id.or(self.permission_set_id).unwrap_or_default()
    }
}

const RULES: &str = "SELECT b.id, b.name, b.criteria, b.role_id, b.permission_set_id, b.account_id, b.until_end_date, \
            coalesce(r.name, ps.name) AS bundle, ap.name AS application, ac.name AS account, b.created_at \
     FROM birthright_rules b \
     LEFT JOIN roles r ON r.org_id = b.org_id AND r.id = b.role_id \
     LEFT JOIN permission_sets ps ON ps.org_id = b.org_id AND ps.id = b.permission_set_id \
     JOIN applications ap ON ap.org_id = b.org_id AND ap.id = coalesce(r.application_id, ps.application_id) \
     LEFT JOIN accounts ac ON ac.org_id = b.org_id AND ac.id = b.account_id \
     WHERE b.org_id = $1 AND b.retired_at IS NULL ORDER BY b.created_at, b.id";

/// The rules `from` (a subquery or CTE of [`RULES`]) as one JSON array, in their order of
/// precedence: how a statement that also does something else reads them.
fn rules_as_json(from: &str) -> String {
    format!("(SELECT coalesce(json_agg(b ORDER BY b.created_at, b.id), '[]') FROM {from} b)")
}

/// The rules in force as a column of a statement whose `$1` is the organisation
/// ([`rules_as_json`]), for a person's insert to read them.
pub(super) fn rules_in_force_column() -> String {
    rules_as_json(&format!("({RULES})"))
}

/// Whether the organisation `$1` has a separation-of-duties rule, as a column.
pub(super) const SOD_RULES_EXIST: &str = "EXISTS (SELECT 1 FROM sod_rules s WHERE s.org_id = $1)";

/// The rules in force, oldest first (the order of precedence).
pub async fn rules(conn: &mut PgConnection, org_id: Uuid) -> sqlx::Result<Vec<RuleRow>> {
    sqlx::query_as(RULES).bind(org_id).fetch_all(conn).await
}

/// How many grants in force came from each rule in force.
pub async fn holder_counts(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Vec<(Uuid, i64)>> {
    sqlx::query_as(
        "SELECT g.birthright_rule_id, count(*) FROM grants g \
         JOIN birthright_rules b ON b.org_id = g.org_id AND b.id = g.birthright_rule_id AND b.retired_at IS NULL \
         WHERE g.org_id = $1 AND g.revoked_at IS NULL AND (g.valid_until IS NULL OR g.valid_until > now()) \
         GROUP BY g.birthright_rule_id",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await
}

pub struct NewRule<'a> {
    pub name: &'a str,
    pub criteria: &'a Value,
    pub role_id: Option<Uuid>,
    pub permission_set_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub until_end_date: bool,
    pub created_by: Option<Uuid>,
}

/// Saves the rule; None when a rule in force has this name.
pub async fn insert(tx: &mut Tx<'_>, org_id: Uuid, r: &NewRule<'_>) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "INSERT INTO birthright_rules (org_id, id, name, criteria, role_id, permission_set_id, account_id, \
                                       until_end_date, created_by) \
         VALUES ($1, gen_random_uuid(), $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (org_id, lower(name)) WHERE retired_at IS NULL DO NOTHING RETURNING id",
    )
    .bind(org_id)
    .bind(r.name)
    .bind(r.criteria)
    .bind(r.role_id)
    .bind(r.permission_set_id)
    .bind(r.account_id)
    .bind(r.until_end_date)
    .bind(r.created_by)
    .fetch_optional(&mut **tx)
    .await
}

/// The rule in force, locked: its name and criteria.
pub async fn lock(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<(String, Value)>> {
    sqlx::query_as(
        "SELECT name, criteria FROM birthright_rules WHERE org_id = $1 AND id = $2 AND retired_at IS NULL FOR UPDATE",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

pub async fn set_criteria(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    criteria: &Value,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE birthright_rules SET criteria = $3 WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .bind(criteria)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Retires the rule in force; answers its name, or None when there is none.
pub async fn retire(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    by: Option<Uuid>,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "UPDATE birthright_rules SET retired_at = now(), retired_by = $3 \
         WHERE org_id = $1 AND id = $2 AND retired_at IS NULL RETURNING name",
    )
    .bind(org_id)
    .bind(id)
    .bind(by)
    .fetch_optional(&mut **tx)
    .await
}

/// A person as the rules weigh them.
#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct PersonRow {
    pub id: Uuid,
    pub display_name: String,
    pub active: bool,
    pub employment_type: Option<String>,
    pub attributes: Value,
    pub end_date: Option<NaiveDate>,
    pub groups: Vec<String>,
    /// Who is asked about their access when they move: their manager, else the
    /// organisation's fallback owner; an active person other than them.
    pub mover_reviewer: Option<Uuid>,
    /// The organisation's grace period for a mover's access, in days.
    pub mover_grace_days: i32,
}

/// [`PersonRow`] columns of the people `p`, with their organisation `o`.
const PERSON_COLUMNS: &str = "p.id, p.display_name, p.status = 'active' AS active, \
        p.employment_type::text AS employment_type, p.attributes, p.end_date, \
        array(SELECT g.display_name FROM group_members m \
              JOIN principal_groups g ON g.org_id = m.org_id AND g.id = m.group_id \
              WHERE m.org_id = p.org_id AND m.principal_id = p.id) AS groups, \
        (SELECT h.id FROM principals h \
         WHERE h.org_id = p.org_id AND h.id IN (p.manager_id, o.leaver_fallback_owner_id) \
           AND h.id <> p.id AND h.kind = 'human' AND h.status = 'active' \
         ORDER BY h.id = p.manager_id DESC LIMIT 1) AS mover_reviewer, o.mover_grace_days";

/// The people among `ids` (humans not offboarded), locked for the change: [`PersonRow`]
/// columns, with the organisation as `$1` and the ids as `$2`.
fn people_sql(ids: &[Uuid]) -> String {
    format!(
        "SELECT {PERSON_COLUMNS} FROM principals p JOIN organisations o ON o.id = p.org_id \
         WHERE p.org_id = $1 AND {} AND p.kind = 'human' \
           AND p.status <> 'offboarded' ORDER BY p.id FOR UPDATE OF p",
        one_of("p.id", ids)
    )
}

/// The people among `ids` (humans not offboarded), locked for the change.
pub async fn people(tx: &mut Tx<'_>, org_id: Uuid, ids: &[Uuid]) -> sqlx::Result<Vec<PersonRow>> {
    sqlx::query_as(&people_sql(ids))
        .bind(org_id)
        .bind(ids)
        .fetch_all(&mut **tx)
        .await
}

/// The active people `criteria` may match: each criterion narrows them in SQL, values
/// compared folded as the rule compares them (the rule itself decides, person by person).
pub async fn candidates(
    conn: &mut PgConnection,
    org_id: Uuid,
    criteria: &Criteria,
) -> sqlx::Result<Vec<Uuid>> {
    let mut sql = String::from(
        "SELECT p.id FROM principals p WHERE p.org_id = $1 AND p.kind = 'human' AND p.status = 'active'",
    );
    let mut binds: Vec<(Option<String>, Vec<String>)> = Vec::new();
    for c in criteria.iter() {
        let values: Vec<String> = c.values.iter().map(|v| v.trim().to_lowercase()).collect();
        let n = 2 + binds.len() * 2;
        match &c.subject {
            Subject::EmploymentType => {
                sql.push_str(&format!(
                    " AND p.employment_type::text = ANY(${}) AND ${n}::text IS NULL",
                    n + 1
                ));
                binds.push((None, values));
            }
            Subject::Group => {
                sql.push_str(&format!(
                    " AND ${n}::text IS NULL AND EXISTS (SELECT 1 FROM group_members m \
                       JOIN principal_groups g ON g.org_id = m.org_id AND g.id = m.group_id \
                       WHERE m.org_id = p.org_id AND m.principal_id = p.id \
                         AND lower(btrim(g.display_name)) = ANY(${}))",
                    n + 1
                ));
                binds.push((None, values));
            }
            Subject::Attribute(name) => {
                sql.push_str(&format!(
                    " AND lower(btrim(p.attributes ->> ${n})) = ANY(${})",
                    n + 1
                ));
                binds.push((Some(name.clone()), values));
            }
        }
    }
    sql.push_str(" ORDER BY p.id");
    let mut query = sqlx::query_scalar(&sql).bind(org_id);
    for (name, values) in binds {
        query = query.bind(name).bind(values);
    }
    query.fetch_all(conn).await
}

/// The people holding a grant in force that came from `rule`.
pub async fn holders(conn: &mut PgConnection, org_id: Uuid, rule: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT DISTINCT principal_id FROM grants WHERE org_id = $1 AND birthright_rule_id = $2 \
           AND revoked_at IS NULL AND (valid_until IS NULL OR valid_until > now()) ORDER BY principal_id",
    )
    .bind(org_id)
    .bind(rule)
    .fetch_all(conn)
    .await
}

/// A grant in force of one of the people.
#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct HeldRow {
    pub principal_id: Uuid,
    pub id: Uuid,
    pub bundle_id: Uuid,
    pub account_id: Option<Uuid>,
    pub birthright_rule_id: Option<Uuid>,
    pub valid_until: Option<DateTime<Utc>>,
    pub bundle: String,
    /// Waiting for removal in an open mover's review.
    pub scheduled: bool,
}

/// `column` is one of the ids bound as `$2`. For one id (a change over SCIM) the
/// condition compares with its single element: PostgreSQL then keeps one plan per
/// connection, where an array of unknown length would be planned again at every call.
fn one_of(column: &str, ids: &[Uuid]) -> String {
    if ids.len() == 1 {
        format!("{column} = ($2::uuid[])[1]")
    } else {
        format!("{column} = ANY($2)")
    }
}

/// What weighing people against the rules reads, in one round trip.
#[derive(Debug, sqlx::FromRow)]
pub struct Weighed {
    /// The rules in force, oldest first (the order of precedence).
    pub rules: Json<Vec<RuleRow>>,
    /// The people, locked.
    pub people: Json<Vec<PersonRow>>,
    /// The grants in force the people hold, locked, each person's oldest first. Only
    /// those that came from a rule when no rule is in force (the others then change
    /// nothing).
    pub held: Json<Vec<HeldRow>>,
    /// Whether the organisation has a separation-of-duties rule (else no access given
    /// needs checking against one).
    pub sod_rules: bool,
}

/// The common table expressions of a weighing (see [`Weighed`]), to follow `WITH` or a
/// comma, with the organisation as `$1`: `b` the rules in force, `w` the `people` (a
/// query of [`PERSON_COLUMNS`]), `g` the grants in force of those `holding` names
/// (a condition on `g.principal_id`), locked.
fn weighing(people: &str, holding: &str) -> String {
    format!(
        "b AS ({RULES}), w AS ({people}), g AS ( \
           SELECT g.principal_id, g.id, coalesce(g.role_id, g.permission_set_id) AS bundle_id, g.account_id, \
                  g.birthright_rule_id, g.valid_until, coalesce(r.name, ps.name) AS bundle, g.created_at, \
                  EXISTS (SELECT 1 FROM review_items i JOIN review_campaigns c \
                            ON c.org_id = i.org_id AND c.id = i.campaign_id \
                          WHERE i.org_id = g.org_id AND i.grant_id = g.id \
                            AND c.mover_id IS NOT NULL AND c.closed_at IS NULL) AS scheduled \
           FROM grants g \
           LEFT JOIN roles r ON r.org_id = g.org_id AND r.id = g.role_id \
           LEFT JOIN permission_sets ps ON ps.org_id = g.org_id AND ps.id = g.permission_set_id \
           WHERE g.org_id = $1 AND {holding} AND g.revoked_at IS NULL \
             AND (g.valid_until IS NULL OR g.valid_until > now()) \
             AND (g.birthright_rule_id IS NOT NULL OR EXISTS (SELECT 1 FROM b)) \
           ORDER BY g.principal_id, g.created_at, g.id FOR UPDATE OF g)"
    )
}

/// The columns of [`Weighed`], each set of a [`weighing`] aggregated as JSON.
fn weighed_columns() -> String {
    format!(
        "{} AS rules, (SELECT coalesce(json_agg(w ORDER BY w.id), '[]') FROM w) AS people, \
         (SELECT coalesce(json_agg(g ORDER BY g.principal_id, g.created_at, g.id), '[]') FROM g) AS held, \
         {SOD_RULES_EXIST} AS sod_rules",
        rules_as_json("b")
    )
}

/// A [`weighing`] of the person `p` as a statement changing them leaves them (`p` its
/// `RETURNING *`; their id `$2`), and its [`Weighed`] columns: for a change and its
/// weighing to be one round trip. The person is weighed with the status they had.
pub(super) fn weighing_of_changed() -> (String, String) {
    let person = format!("SELECT {PERSON_COLUMNS} FROM p JOIN organisations o ON o.id = p.org_id");
    (weighing(&person, "g.principal_id = $2"), weighed_columns())
}

/// The rules in force, the people `ids`, what they hold, and whether a
/// separation-of-duties rule exists ([`Weighed`]): one statement, each set aggregated as
/// JSON.
pub async fn weighed(tx: &mut Tx<'_>, org_id: Uuid, ids: &[Uuid]) -> sqlx::Result<Weighed> {
    sqlx::query_as(&format!(
        "WITH {} SELECT {}",
        weighing(&people_sql(ids), &one_of("g.principal_id", ids)),
        weighed_columns()
    ))
    .bind(org_id)
    .bind(ids)
    .fetch_one(&mut **tx)
    .await
}

/// The grant now comes from `rule`.
pub async fn relink(tx: &mut Tx<'_>, org_id: Uuid, grant: Uuid, rule: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE grants SET birthright_rule_id = $3 WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(grant)
        .bind(rule)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The grant's end moves with the person's end date.
pub async fn retime(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    grant: Uuid,
    until: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE grants SET valid_until = $3 WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(grant)
        .bind(until)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Takes the grant out of the open movers' reviews it waits in; a review left empty
/// closes.
pub async fn unschedule(tx: &mut Tx<'_>, org_id: Uuid, grant: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "WITH gone AS ( \
           DELETE FROM review_items i USING review_campaigns c \
           WHERE i.org_id = $1 AND i.grant_id = $2 AND c.org_id = i.org_id AND c.id = i.campaign_id \
             AND c.mover_id IS NOT NULL AND c.closed_at IS NULL \
           RETURNING i.campaign_id) \
         UPDATE review_campaigns c SET closed_at = now() FROM gone \
         WHERE c.org_id = $1 AND c.id = gone.campaign_id \
           AND NOT EXISTS (SELECT 1 FROM review_items i WHERE i.org_id = c.org_id AND i.campaign_id = c.id \
                             AND i.grant_id <> $2)",
    )
    .bind(org_id)
    .bind(grant)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Grants a mover's review kept: they no longer come from a rule, the manager answers
/// for them now.
pub async fn detach_kept(tx: &mut Tx<'_>, org_id: Uuid, grants: &[Uuid]) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE grants SET birthright_rule_id = NULL \
         WHERE org_id = $1 AND id = ANY($2) AND birthright_rule_id IS NOT NULL",
    )
    .bind(org_id)
    .bind(grants)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// People still active whose end date has passed, every organisation's (the
/// break-glass admin aside, and those whose leaving the failsafe holds or an admin
/// discarded): (organisation, person).
pub async fn past_end_date(
    pool: &PgPool,
    today: NaiveDate,
    limit: i64,
) -> sqlx::Result<Vec<(Uuid, Uuid)>> {
    sqlx::query_as(
        "SELECT p.org_id, p.id FROM principals p JOIN organisations o ON o.id = p.org_id \
         WHERE p.end_date IS NOT NULL AND p.end_date < $1 AND p.kind = 'human' AND p.status = 'active' \
           AND o.break_glass_principal IS DISTINCT FROM p.id \
           AND NOT EXISTS (SELECT 1 FROM held_changes h WHERE h.org_id = p.org_id \
                             AND h.target = 'end_date:' || p.id || ':' || p.end_date \
                             AND h.decision IS DISTINCT FROM 'confirmed') \
         ORDER BY p.end_date, p.id LIMIT $2",
    )
    .bind(today)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The person, locked, if they are still active past their end date: their name and
/// end date.
pub async fn lock_past_end_date(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    today: NaiveDate,
) -> sqlx::Result<Option<(String, NaiveDate)>> {
    sqlx::query_as(
        "SELECT display_name, end_date FROM principals WHERE org_id = $1 AND id = $2 AND end_date < $3 \
           AND kind = 'human' AND status = 'active' FOR UPDATE",
    )
    .bind(org_id)
    .bind(id)
    .bind(today)
    .fetch_optional(&mut **tx)
    .await
}

/// What a rule may give: roles and permission sets of applications other than the
/// console that take grants without an end.
pub async fn givable(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Vec<GrantableBundle>> {
    sqlx::query_as(
        "SELECT b.id, b.kind, a.name AS application, b.name FROM ( \
           SELECT org_id, id, application_id, name, 'role' AS kind FROM roles WHERE org_id = $1 \
           UNION ALL \
           SELECT org_id, id, application_id, name, 'permission set' FROM permission_sets WHERE org_id = $1) b \
         JOIN applications a ON a.org_id = b.org_id AND a.id = b.application_id \
         WHERE NOT a.is_console AND a.allow_no_end \
         ORDER BY a.name, b.kind, b.name",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await
}

/// The grace period in days.
pub async fn grace_days(pool: &PgPool, org_id: Uuid) -> sqlx::Result<i32> {
    sqlx::query_scalar("SELECT mover_grace_days FROM organisations WHERE id = $1")
        .bind(org_id)
        .fetch_one(pool)
        .await
}

/// Sets the grace period; answers the one before.
pub async fn set_grace_days(tx: &mut Tx<'_>, org_id: Uuid, days: i32) -> sqlx::Result<i32> {
    sqlx::query_scalar(
        "UPDATE organisations o SET mover_grace_days = $2 FROM organisations old \
         WHERE o.id = $1 AND old.id = o.id RETURNING old.mover_grace_days",
    )
    .bind(org_id)
    .bind(days)
    .fetch_one(&mut **tx)
    .await
}

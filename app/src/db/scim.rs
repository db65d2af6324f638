//! People as SCIM sees them: the organisation's human principals that are not offboarded.
//! Filters arrive here already translated to SQL by `service::scim::query`, whose text
//! holds only fixed column expressions and numbered parameters.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::audit::{bind_event, Recorded};
use super::Tx;

/// A person with what SCIM answers about them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    /// The userName set over SCIM, else the email, else the external id.
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: String,
    pub email: Option<String>,
    pub job_title: String,
    pub status: String,
    pub employment_type: Option<String>,
    pub end_date: Option<NaiveDate>,
    pub manager_id: Option<Uuid>,
    pub manager_name: Option<String>,
    pub attributes: serde_json::Value,
    pub scim: serde_json::Value,
    /// The groups the person is in: id and name of each.
    pub groups: sqlx::types::Json<Vec<(Uuid, String)>>,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
}

/// What SCIM answers about a person `p`, whose manager is `m`.
const USER_COLUMNS: &str = "p.id, coalesce(p.user_name, p.email, p.external_id) AS user_name, p.external_id, \
        p.display_name, p.email, p.job_title, p.status::text AS status, p.employment_type::text AS employment_type, \
        p.end_date, p.manager_id, m.display_name AS manager_name, p.attributes, p.scim, \
        (SELECT coalesce(json_agg(json_build_array(g.id, g.display_name) ORDER BY g.display_name, g.id), '[]') \
         FROM group_members gm JOIN principal_groups g ON g.org_id = gm.org_id AND g.id = gm.group_id \
         WHERE gm.org_id = p.org_id AND gm.principal_id = p.id) AS groups, \
        p.created_at, p.modified_at";

/// Whom SCIM sees, with the organisation as `$1`.
const SEEN: &str = "p.org_id = $1 AND p.kind = 'human' AND p.status <> 'offboarded'";

/// [`USER_COLUMNS`] of the people `p` of `from`, and the columns `also` (empty, or
/// starting with a comma).
fn users_of(from: &str, also: &str) -> String {
    format!(
        "SELECT {USER_COLUMNS}{also} FROM {from} \
         LEFT JOIN principals m ON m.org_id = p.org_id AND m.id = p.manager_id"
    )
}

/// Everyone SCIM sees, with [`USER_COLUMNS`]; conditions follow with `AND`.
fn seen_users() -> String {
    format!("{} WHERE {SEEN}", users_of("principals p", ""))
}

/// The SCIM answer about the person a data-changing statement `changed` returns
/// (`RETURNING *`): the row as the statement leaves it, read in the same round trip,
/// and, with `event` (its first parameter's number), the audit event recording it;
/// `with`, more common table expressions (empty, or starting with a comma), and `also`
/// as in [`users_of`].
fn answered(changed: &str, event: Option<usize>, (with, also): (&str, &str)) -> String {
    let recorded = event
        .map(|first| format!(", e AS ({})", super::audit::insert_event(first)))
        .unwrap_or_default();
    format!(
        "WITH p AS ({changed} RETURNING *){recorded}{with} {}",
        users_of("p", also)
    )
}

/// The person with this id, if SCIM sees them.
pub async fn one<'e>(
    conn: impl sqlx::PgExecutor<'e>,
    org_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as::<_, UserRow>(&format!("{} AND p.id = $2", seen_users()))
        .bind(org_id)
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// [`one`], locked for a change within `tx`.
pub async fn locked(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as::<_, UserRow>(&format!("{} AND p.id = $2 FOR UPDATE OF p", seen_users()))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// A filtered page: `condition` and `order` are SQL made by the service from fixed
/// expressions, with `$2…` placeholders for `params` (all text, cast where compared).
pub struct Page<'a> {
    pub condition: &'a str,
    pub params: &'a [String],
    pub order: &'a str,
    /// 0-based.
    pub offset: i64,
    pub limit: i64,
}

/// How many people match, and the page of them.
pub async fn list(
    conn: &mut PgConnection,
    org_id: Uuid,
    page: &Page<'_>,
) -> sqlx::Result<(i64, Vec<UserRow>)> {
    paged(
        conn,
        org_id,
        (&format!("FROM principals p WHERE {SEEN}"), "p.id"),
        &seen_users(),
        page,
        |u: &UserRow| u.id,
    )
    .await
}

/// How many rows of `keys` (a `FROM … WHERE` whose only parameter is the organisation,
/// `$1`, and the key column) meet the page's condition, and the page of them read with
/// `select`. The page's keys are found first and only their rows are read whole, so
/// that rows skipped by an offset cost no more than their key.
async fn paged<T>(
    conn: &mut PgConnection,
    org_id: Uuid,
    (keys, key): (&str, &str),
    select: &str,
    page: &Page<'_>,
    id: fn(&T) -> Uuid,
) -> sqlx::Result<(i64, Vec<T>)>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    let count_sql = format!("SELECT count(*) {keys} AND ({})", page.condition);
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql).bind(org_id);
    for p in page.params {
        count = count.bind(p);
    }
    let total = count.fetch_one(&mut *conn).await?;
    if page.limit == 0 || total <= page.offset {
        return Ok((total, vec![]));
    }
    let n = page.params.len();
    let ids_sql = format!(
        "SELECT {key} {keys} AND ({}) ORDER BY {}, {key} LIMIT ${} OFFSET ${}",
        page.condition,
        page.order,
        n + 2,
        n + 3
    );
    let mut ids = sqlx::query_scalar::<_, Uuid>(&ids_sql).bind(org_id);
    for p in page.params {
        ids = ids.bind(p);
    }
    let ids: Vec<Uuid> = ids
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&mut *conn)
        .await?;
    let mut rows: Vec<T> = sqlx::query_as::<_, T>(&format!("{select} AND {key} = ANY($2)"))
        .bind(org_id)
        .bind(&ids)
        .fetch_all(conn)
        .await?;
    rows.sort_by_key(|row| ids.iter().position(|i| *i == id(row)));
    Ok((total, rows))
}

/// What SCIM writes of a person.
#[derive(Debug, Clone)]
pub struct UserFields {
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: String,
    pub email: Option<String>,
    pub job_title: String,
    pub active: bool,
    pub employment_type: String,
    pub end_date: Option<NaiveDate>,
    pub manager_id: Option<Uuid>,
    /// The attributes SCIM sets (department, cost centre, …); others are kept.
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Keys of `attributes` SCIM owns: absent from `attributes`, they are removed.
    pub owned_attributes: &'static [&'static str],
    pub scim: serde_json::Value,
}

/// A person just inserted, with what they are weighed against as they join.
#[derive(Debug, sqlx::FromRow)]
pub struct Inserted {
    #[sqlx(flatten)]
    pub user: UserRow,
    /// The birthright rules in force, in their order of precedence.
    pub rules: sqlx::types::Json<Vec<super::birthright::RuleRow>>,
    /// Whether the organisation has a separation-of-duties rule.
    pub sod_rules: bool,
}

/// Adds the person `id`, with the audit event recording it; answers them as SCIM sees
/// them, with the birthright rules in force and whether a separation-of-duties rule
/// exists (the same statement reads them).
pub async fn insert(
    tx: &mut Tx<'_>,
    (org_id, id): (Uuid, Uuid),
    u: &UserFields,
    (actor, event): Recorded<'_>,
) -> sqlx::Result<Inserted> {
    let sql = answered(
        "INSERT INTO principals (org_id, id, kind, display_name, email, external_id, employment_type, job_title, \
                                 manager_id, end_date, user_name, attributes, scim, status) \
         VALUES ($1, $13, 'human', $2, $3, $4, $5::employment_type, $6, $7, $8, $9, $10, $11, \
                 CASE WHEN $12 THEN 'active' ELSE 'suspended' END::principal_status)",
        Some(14),
        (
            "",
            &format!(
                ", {} AS rules, {} AS sod_rules",
                super::birthright::rules_in_force_column(),
                super::birthright::SOD_RULES_EXIST
            ),
        ),
    );
    let query = sqlx::query_as(&sql)
        .bind(org_id)
        .bind(&u.display_name)
        .bind(&u.email)
        .bind(&u.external_id)
        .bind(&u.employment_type)
        .bind(&u.job_title)
        .bind(u.manager_id)
        .bind(u.end_date)
        .bind(&u.user_name)
        .bind(serde_json::Value::Object(u.attributes.clone()))
        .bind(&u.scim)
        .bind(u.active)
        .bind(id);
    bind_event(query, actor, event).fetch_one(&mut **tx).await
}

/// A person just changed, with what the birthright rules weigh them against, read by
/// the same statement.
#[derive(Debug, sqlx::FromRow)]
pub struct Updated {
    #[sqlx(flatten)]
    pub user: UserRow,
    /// The person as the change leaves them (with the status they had), the rules in
    /// force, and the grants in force they hold, locked.
    #[sqlx(flatten)]
    pub weighed: super::birthright::Weighed,
}

/// Writes the person's SCIM fields (status aside: see `principals::set_status`), with
/// the audit event recording it if there is one; answers them as SCIM then sees them.
pub async fn update(
    tx: &mut Tx<'_>,
    (org_id, id): (Uuid, Uuid),
    u: &UserFields,
    event: Option<Recorded<'_>>,
) -> sqlx::Result<UserRow> {
    update_answering(tx, (org_id, id), u, event, ("", "")).await
}

/// [`update`], answering also what the birthright rules weigh the person against (see
/// [`Updated`]): for a change that leaves the person's status as it was.
pub async fn update_weighed(
    tx: &mut Tx<'_>,
    (org_id, id): (Uuid, Uuid),
    u: &UserFields,
    event: Option<Recorded<'_>>,
) -> sqlx::Result<Updated> {
    let (with, columns) = super::birthright::weighing_of_changed();
    let (with, also) = (format!(", {with}"), format!(", {columns}"));
    update_answering(tx, (org_id, id), u, event, (&with, &also)).await
}

/// [`update`] with the common table expressions `with` and the columns `also` of
/// [`answered`].
async fn update_answering<O>(
    tx: &mut Tx<'_>,
    (org_id, id): (Uuid, Uuid),
    u: &UserFields,
    event: Option<Recorded<'_>>,
    with_also: (&str, &str),
) -> sqlx::Result<O>
where
    O: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    let sql = answered(
        "UPDATE principals SET display_name = $3, email = $4, external_id = $5, employment_type = $6::employment_type, \
             job_title = $7, manager_id = $8, end_date = $9, user_name = $10, \
             attributes = (attributes - $11::text[]) || $12, scim = $13 \
         WHERE org_id = $1 AND id = $2",
        event.as_ref().map(|_| 14),
        with_also,
    );
    let query = sqlx::query_as(&sql)
        .bind(org_id)
        .bind(id)
        .bind(&u.display_name)
        .bind(&u.email)
        .bind(&u.external_id)
        .bind(&u.employment_type)
        .bind(&u.job_title)
        .bind(u.manager_id)
        .bind(u.end_date)
        .bind(&u.user_name)
        .bind(u.owned_attributes)
        .bind(serde_json::Value::Object(u.attributes.clone()))
        .bind(&u.scim);
    match event {
        Some((actor, event)) => bind_event(query, actor, event).fetch_one(&mut **tx).await,
        None => query.fetch_one(&mut **tx).await,
    }
}

/// Whether `id` is a person of the organisation who is not offboarded (a manager must
/// be).
pub async fn may_manage(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM principals WHERE org_id = $1 AND id = $2 AND kind = 'human' AND status <> 'offboarded')",
    )
    .bind(org_id)
    .bind(id)
    .fetch_one(&mut **tx)
    .await
}

/// Whether `id` is the organisation's break-glass admin (who signs in with a password
/// when the identity provider is away).
pub async fn is_break_glass(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM organisations WHERE id = $1 AND break_glass_principal = $2)",
    )
    .bind(org_id)
    .bind(id)
    .fetch_one(&mut **tx)
    .await
}

/// Offboards the person: their status is final, their sessions end.
pub async fn offboard(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE principals SET status = 'offboarded' WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE console_sessions SET ended_at = now() WHERE org_id = $1 AND principal_id = $2 AND ended_at IS NULL",
    )
    .bind(org_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    // SCIM no longer sees them, so no group may still list them.
    sqlx::query("DELETE FROM group_members WHERE org_id = $1 AND principal_id = $2")
        .bind(org_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A group with its members (id and name of each).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupRow {
    pub id: Uuid,
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: sqlx::types::Json<Vec<(Uuid, String)>>,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
}

const GROUPS: &str = "SELECT g.id, g.display_name, g.external_id, \
        (SELECT coalesce(json_agg(json_build_array(p.id, p.display_name) ORDER BY p.display_name, p.id), '[]') \
         FROM group_members m JOIN principals p ON p.org_id = m.org_id AND p.id = m.principal_id \
         WHERE m.org_id = g.org_id AND m.group_id = g.id) AS members, \
        g.created_at, g.modified_at \
     FROM principal_groups g WHERE g.org_id = $1";

const GROUPS_WITHOUT_MEMBERS: &str =
    "SELECT g.id, g.display_name, g.external_id, '[]'::json AS members, \
        g.created_at, g.modified_at \
     FROM principal_groups g WHERE g.org_id = $1";

pub async fn group<'e>(
    conn: impl sqlx::PgExecutor<'e>,
    org_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<GroupRow>> {
    sqlx::query_as::<_, GroupRow>(&format!("{GROUPS} AND g.id = $2"))
        .bind(org_id)
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn group_locked(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<GroupRow>> {
    sqlx::query_as::<_, GroupRow>(&format!("{GROUPS} AND g.id = $2 FOR UPDATE OF g"))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// A page of groups; with `members` false, their members are not read (a list that
/// leaves them out, as identity providers ask when they only look groups up).
pub async fn groups(
    conn: &mut PgConnection,
    org_id: Uuid,
    page: &Page<'_>,
    members: bool,
) -> sqlx::Result<(i64, Vec<GroupRow>)> {
    paged(
        conn,
        org_id,
        ("FROM principal_groups g WHERE g.org_id = $1", "g.id"),
        if members {
            GROUPS
        } else {
            GROUPS_WITHOUT_MEMBERS
        },
        page,
        |g: &GroupRow| g.id,
    )
    .await
}

pub async fn insert_group(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    display_name: &str,
    external_id: Option<&str>,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO principal_groups (org_id, id, display_name, external_id) \
         VALUES ($1, gen_random_uuid(), $2, $3) RETURNING id",
    )
    .bind(org_id)
    .bind(display_name)
    .bind(external_id)
    .fetch_one(&mut **tx)
    .await
}

pub async fn update_group(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    display_name: &str,
    external_id: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE principal_groups SET display_name = $3, external_id = $4, modified_at = now() \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(display_name)
    .bind(external_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Of `ids`, those that are people SCIM sees (human, not offboarded).
pub async fn users_among(tx: &mut Tx<'_>, org_id: Uuid, ids: &[Uuid]) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM principals WHERE org_id = $1 AND id = ANY($2) AND kind = 'human' AND status <> 'offboarded'",
    )
    .bind(org_id)
    .bind(ids)
    .fetch_all(&mut **tx)
    .await
}

/// Adds and removes members.
pub async fn change_members(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    group: Uuid,
    added: &[Uuid],
    removed: &[Uuid],
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO group_members (org_id, group_id, principal_id) SELECT $1, $2, unnest($3::uuid[]) \
         ON CONFLICT DO NOTHING",
    )
    .bind(org_id)
    .bind(group)
    .bind(added)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "DELETE FROM group_members WHERE org_id = $1 AND group_id = $2 AND principal_id = ANY($3)",
    )
    .bind(org_id)
    .bind(group)
    .bind(removed)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn delete_group(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM principal_groups WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

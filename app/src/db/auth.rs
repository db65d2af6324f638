use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::Tx;
use rules::effective::GrantedPermission;
use rules::sign_in_throttle::ThrottleState;

#[derive(Debug, sqlx::FromRow)]
pub struct Credential {
    pub org_id: Uuid,
    pub principal_id: Uuid,
    pub display_name: String,
    pub password_hash: String,
    pub active: bool,
}

pub async fn credential_by_email(pool: &PgPool, email: &str) -> sqlx::Result<Option<Credential>> {
    sqlx::query_as::<_, Credential>(
        "SELECT c.org_id, c.principal_id, p.display_name, c.password_hash, p.status = 'active' AS active \
         FROM console_credentials c JOIN principals p ON p.org_id = c.org_id AND p.id = c.principal_id \
         WHERE c.email = $1",
    )
    .bind(email)
    .fetch_optional(pool)
    .await
}

/// The console sign-in of an active principal: its display name and email.
pub async fn active_sign_in(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    principal_id: Uuid,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as(
        "SELECT p.display_name, c.email \
         FROM console_credentials c JOIN principals p ON p.org_id = c.org_id AND p.id = c.principal_id \
         WHERE c.org_id = $1 AND c.principal_id = $2 AND p.status = 'active'",
    )
    .bind(org_id)
    .bind(principal_id)
    .fetch_optional(&mut **tx)
    .await
}

/// Reads the throttle rows of `keys` (made if missing) and locks them until the
/// transaction ends, so that concurrent attempts are counted one after another. Keys are
/// locked in sorted order, so two attempts never wait for each other in a circle.
/// Answers each key's state in the order given (`None`: no failure recorded).
pub async fn throttles_for_update(
    tx: &mut Tx<'_>,
    keys: &[String],
) -> sqlx::Result<Vec<Option<ThrottleState>>> {
    let mut sorted = keys.to_vec();
    sorted.sort();
    sorted.dedup();
    sqlx::query(
        "INSERT INTO sign_in_throttle (throttle_key) SELECT k FROM unnest($1::text[]) k ORDER BY k \
         ON CONFLICT DO NOTHING",
    )
    .bind(&sorted)
    .execute(&mut **tx)
    .await?;
    type Row = (String, i32, DateTime<Utc>, Option<DateTime<Utc>>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT throttle_key, failures, last_failure_at, locked_until FROM sign_in_throttle \
         WHERE throttle_key = ANY($1) ORDER BY throttle_key FOR UPDATE",
    )
    .bind(&sorted)
    .fetch_all(&mut **tx)
    .await?;
    Ok(keys
        .iter()
        .map(|key| {
            rows.iter()
                .find(|r| &r.0 == key)
                .filter(|r| r.1 > 0)
                .map(|r| ThrottleState {
                    failures: r.1,
                    last_failure_at: r.2,
                    locked_until: r.3,
                })
        })
        .collect())
}

pub async fn save_throttle(tx: &mut Tx<'_>, key: &str, state: &ThrottleState) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE sign_in_throttle SET failures = $2, last_failure_at = $3, locked_until = $4 WHERE throttle_key = $1",
    )
    .bind(key)
    .bind(state.failures)
    .bind(state.last_failure_at)
    .bind(state.locked_until)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Takes back one counted failure (an attempt that turned out to succeed).
pub async fn take_back_failure(tx: &mut Tx<'_>, key: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE sign_in_throttle SET failures = greatest(failures - 1, 0) WHERE throttle_key = $1",
    )
    .bind(key)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn clear_throttles(tx: &mut Tx<'_>, keys: &[String]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sign_in_throttle WHERE throttle_key = ANY($1)")
        .bind(keys)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn start_session(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    session_ref: &str,
    principal_id: Uuid,
    origin: (Option<&str>, Option<&str>),
    second_factor: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO console_sessions (org_id, session_id, principal_id, source_ip, user_agent, second_factor_at) \
         VALUES ($1, $2, $3, $4::inet, $5, CASE WHEN $6 THEN now() END)",
    )
    .bind(org_id)
    .bind(session_ref)
    .bind(principal_id)
    .bind(origin.0)
    .bind(origin.1)
    .bind(second_factor)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE console_credentials SET last_sign_in_at = now() WHERE org_id = $1 AND principal_id = $2")
        .bind(org_id)
        .bind(principal_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE principals SET last_activity_at = now() WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(principal_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Whether the principal is still active.
pub async fn is_active(tx: &mut Tx<'_>, org_id: Uuid, principal_id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM principals WHERE org_id = $1 AND id = $2 AND status = 'active')",
    )
    .bind(org_id)
    .bind(principal_id)
    .fetch_one(&mut **tx)
    .await
}

/// Records that the live session `session_ref` has just proved a second factor.
pub async fn prove_session(tx: &mut Tx<'_>, org_id: Uuid, session_ref: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE console_sessions SET second_factor_at = now() \
         WHERE org_id = $1 AND session_id = $2 AND ended_at IS NULL",
    )
    .bind(org_id)
    .bind(session_ref)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn end_session(tx: &mut Tx<'_>, org_id: Uuid, session_ref: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE console_sessions SET ended_at = now() WHERE org_id = $1 AND session_id = $2 AND ended_at IS NULL",
    )
    .bind(org_id)
    .bind(session_ref)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The signed-in principal as the console knows them, if the session is still live
/// and the principal still active.
#[derive(Debug, sqlx::FromRow)]
pub struct SessionPrincipal {
    pub display_name: String,
    pub kind: String,
    pub email: String,
    pub organisation: String,
    /// The organisation's second-factor policy, and whether the principal has one.
    pub second_factor_roles: Vec<String>,
    pub second_factor_policy_since: DateTime<Utc>,
    pub second_factor_grace_days: i32,
    pub has_second_factor: bool,
    /// When the session last proved a second factor.
    pub second_factor_at: Option<DateTime<Utc>>,
}

/// A principal's unrevoked grants in the console application, one row per permission
/// reached; `$1` is the organisation, `$2` the principal.
const CONSOLE_GRANTS: &str = "FROM grants g \
     LEFT JOIN roles r ON r.org_id = g.org_id AND r.id = g.role_id \
     LEFT JOIN permission_sets ps ON ps.org_id = g.org_id AND ps.id = g.permission_set_id \
     LEFT JOIN role_permissions rp ON rp.org_id = g.org_id AND rp.role_id = g.role_id \
     LEFT JOIN permission_set_permissions psp ON psp.org_id = g.org_id AND psp.permission_set_id = g.permission_set_id \
     JOIN permissions p ON p.org_id = g.org_id AND p.id = coalesce(rp.permission_id, psp.permission_id) \
     JOIN applications a ON a.org_id = p.org_id AND a.id = p.application_id AND a.is_console \
     WHERE g.org_id = $1 AND g.principal_id = $2 AND g.revoked_at IS NULL";

/// One permission of the console reached through one grant, with the role or
/// permission set that carries it.
#[derive(Debug, sqlx::FromRow, serde::Deserialize)]
struct ConsoleGrantRow {
    #[sqlx(flatten)]
    #[serde(flatten)]
    granted: super::GrantedRow,
    bundle: String,
}

/// A live session's principal and every permission of the console application reached
/// through its unrevoked grants (with the role or permission-set names that carry them),
/// read in one statement: this is what every server function asks first.
pub async fn session_caller(
    pool: &PgPool,
    org_id: Uuid,
    session_ref: &str,
    principal_id: Uuid,
) -> sqlx::Result<Option<(SessionPrincipal, Vec<(GrantedPermission, String)>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        who: SessionPrincipal,
        grants: sqlx::types::Json<Vec<ConsoleGrantRow>>,
    }
    let row = sqlx::query_as::<_, Row>(&format!(
        "SELECT who.display_name, who.kind::text AS kind, c.email, o.name AS organisation, \
                o.second_factor_roles, o.second_factor_policy_since, o.second_factor_grace_days, \
                {has_second_factor} AS has_second_factor, \
                s.second_factor_at, \
                coalesce((SELECT json_agg(json_build_object( \
                    'grant_id', g.id, 'account_id', g.account_id, 'valid_from', g.valid_from, \
                    'valid_until', g.valid_until, 'revoked_at', g.revoked_at, \
                    'permission', p.resource || '.' || p.action, 'bundle', coalesce(r.name, ps.name))) \
                  {CONSOLE_GRANTS}), '[]') AS grants \
         FROM console_sessions s \
         JOIN principals who ON who.org_id = s.org_id AND who.id = s.principal_id \
         JOIN console_credentials c ON c.org_id = who.org_id AND c.principal_id = who.id \
         JOIN organisations o ON o.id = s.org_id \
         WHERE s.org_id = $1 AND s.principal_id = $2 AND s.session_id = $3 \
           AND s.ended_at IS NULL AND who.status = 'active'",
        has_second_factor = super::second_factor::has_second_factor("s.org_id", "s.principal_id"),
    ))
    .bind(org_id)
    .bind(principal_id)
    .bind(session_ref)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| {
        let grants = r.grants.0.into_iter().map(|g| (g.granted.into(), g.bundle));
        (r.who, grants.collect())
    }))
}

/// Every permission of the console application reached through the principal's
/// unrevoked grants, with the role or permission-set names that carry them.
pub async fn console_grants(
    pool: &PgPool,
    org_id: Uuid,
    principal_id: Uuid,
) -> sqlx::Result<Vec<(GrantedPermission, String)>> {
    let rows = sqlx::query_as::<_, ConsoleGrantRow>(&format!(
        "SELECT g.id AS grant_id, g.account_id, g.valid_from, g.valid_until, g.revoked_at, \
                p.resource || '.' || p.action AS permission, coalesce(r.name, ps.name) AS bundle \
         {CONSOLE_GRANTS}"
    ))
    .bind(org_id)
    .bind(principal_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.granted.into(), r.bundle))
        .collect())
}

/// Whether `email` signs in to any organisation's console, or names a principal of this
/// one who is not offboarded.
pub async fn email_taken(tx: &mut Tx<'_>, org_id: Uuid, email: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM console_credentials WHERE email = $1) \
             OR EXISTS (SELECT 1 FROM principals WHERE org_id = $2 AND email = $1 AND status <> 'offboarded')",
    )
    .bind(email)
    .bind(org_id)
    .fetch_one(&mut **tx)
    .await
}

/// A person who signs in to the console: an employee principal with credentials.
pub async fn insert_console_user(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    (display_name, email): (&str, &str),
    job_title: &str,
    password_hash: &str,
) -> sqlx::Result<Uuid> {
    let person = super::principals::NewPrincipal {
        kind: "human",
        display_name,
        email: Some(email),
        employment_type: Some("employee"),
        job_title,
        ..Default::default()
    };
    let principal_id = super::principals::insert(tx, org_id, &person).await?;
    insert_credential(tx, org_id, principal_id, email, password_hash).await?;
    Ok(principal_id)
}

/// Lets a principal sign in to the console with `email` and a password of this hash.
pub async fn insert_credential(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    principal_id: Uuid,
    email: &str,
    password_hash: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO console_credentials (org_id, principal_id, email, password_hash) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(org_id)
    .bind(principal_id)
    .bind(email)
    .bind(password_hash)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use super::Tx;
use crate::model::AuditEvent;
use rules::audit::AuditAction;

/// Who is acting, and from where: attached to every audit event.
#[derive(Debug, Clone)]
pub struct Actor {
    pub org_id: Uuid,
    pub principal_id: Option<Uuid>,
    pub label: String,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// One change to record; its action names the kind of target too.
#[derive(Debug, Clone)]
pub struct Change {
    pub action: AuditAction,
    pub target_id: Option<String>,
    pub target_label: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<String>,
}

/// The action and target type columns of an event written by a statement, as SQL text:
/// `'name', 'target'` (names are lower-case letters, dots and underscores only).
impl Change {
    /// A change to one target, named on the trail by `label`; nothing before or after yet.
    pub fn on(action: AuditAction, target: impl ToString, label: impl Into<String>) -> Self {
        Self {
            target_id: Some(target.to_string()),
            ..Self::about(action, label)
        }
    }

    /// An event about no single row: a list looked at, a report, a batch.
    pub fn about(action: AuditAction, label: impl Into<String>) -> Self {
        Self {
            action,
            target_id: None,
            target_label: label.into(),
            before: None,
            after: None,
            reason: None,
        }
    }

    pub fn before(mut self, before: impl Into<Option<Value>>) -> Self {
        self.before = before.into();
        self
    }

    pub fn after(mut self, after: impl Into<Option<Value>>) -> Self {
        self.after = after.into();
        self
    }

    pub fn because(mut self, reason: impl Into<Option<String>>) -> Self {
        self.reason = reason.into();
        self
    }
}

pub fn action_columns(action: AuditAction) -> String {
    format!("'{}', '{}'", action.name(), action.target())
}

/// Records one event in a transaction of its own: a look at data, an export.
pub async fn record_alone(pool: &PgPool, actor: &Actor, change: Change) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    record(&mut tx, actor, change).await?;
    tx.commit().await
}

pub async fn record(tx: &mut Tx<'_>, actor: &Actor, change: Change) -> sqlx::Result<()> {
    bind_event(sqlx::query(&insert_event(1)), actor, change)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The statement that records one event, its twelve parameters numbered from `$first`
/// (bound by [`bind_event`]); also written as a data-changing `WITH` beside the change
/// it records, so that both take one round trip.
pub fn insert_event(first: usize) -> String {
    let p: Vec<String> = (first..first + 12).map(|n| format!("${n}")).collect();
    format!(
        "INSERT INTO audit_events (org_id, actor_principal_id, actor_label, action, target_type, \
         target_id, target_label, before, after, reason, source_ip, user_agent) \
         VALUES ({}, {}::inet, {})",
        p[..10].join(", "),
        p[10],
        p[11]
    )
}

/// An audit event written by the statement that makes the change it records.
pub type Recorded<'a> = (&'a Actor, Change);

/// Binds the parameters of [`insert_event`], after those bound already.
pub fn bind_event<'q, Q: Bind<'q>>(query: Q, actor: &'q Actor, change: Change) -> Q {
    query
        .bind_value(actor.org_id)
        .bind_value(actor.principal_id)
        .bind_value(actor.label.as_str())
        .bind_value(change.action.name())
        .bind_value(change.action.target())
        .bind_value(change.target_id)
        .bind_value(change.target_label)
        .bind_value(change.before)
        .bind_value(change.after)
        .bind_value(change.reason)
        .bind_value(actor.source_ip.as_deref())
        .bind_value(actor.user_agent.as_deref())
}

/// A query that takes one more parameter: sqlx's plain and typed queries alike.
pub trait Bind<'q>: Sized {
    fn bind_value<T>(self, value: T) -> Self
    where
        T: 'q + sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>;
}

impl<'q> Bind<'q> for sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    fn bind_value<T>(self, value: T) -> Self
    where
        T: 'q + sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        self.bind(value)
    }
}

impl<'q, O> Bind<'q> for sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    fn bind_value<T>(self, value: T) -> Self
    where
        T: 'q + sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        self.bind(value)
    }
}

/// Filters already parsed and checked by the caller.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// For a reader whose role reaches some accounts only: just the events about those
    /// accounts (their data subjects and requests, grants, access requests and the
    /// accounts themselves). `None`: every event.
    pub accounts: Option<Vec<Uuid>>,
}

const SELECT_EVENTS: &str = "SELECT id, occurred_at, actor_principal_id, actor_label, action, target_type, \
     target_id, target_label, before, after, reason, host(source_ip) AS source_ip, user_agent \
     FROM audit_events \
     WHERE org_id = $1 \
       AND ($2::text IS NULL OR actor_label ILIKE '%' || $2 || '%') \
       AND ($3::text IS NULL OR action ILIKE $3 || '%') \
       AND ($4::text IS NULL OR target_label ILIKE '%' || $4 || '%' OR target_type = $4 OR target_id = $4) \
       AND ($5::timestamptz IS NULL OR occurred_at >= $5) \
       AND ($6::timestamptz IS NULL OR occurred_at < $6) \
       AND ($9::uuid[] IS NULL OR CASE target_type \
             WHEN 'data_subject' THEN target_id IN ( \
               SELECT d.id::text FROM data_subjects d WHERE d.org_id = $1 AND d.account_id = ANY($9)) \
             WHEN 'data_subject_request' THEN target_id IN ( \
               SELECT r.id::text FROM data_subject_requests r \
               JOIN data_subjects d ON d.org_id = r.org_id AND d.id = r.subject_id \
               WHERE r.org_id = $1 AND d.account_id = ANY($9)) \
             WHEN 'grant' THEN target_id IN ( \
               SELECT g.id::text FROM grants g WHERE g.org_id = $1 AND g.account_id = ANY($9)) \
             WHEN 'access_request' THEN target_id IN ( \
               SELECT q.id::text FROM access_requests q WHERE q.org_id = $1 AND q.account_id = ANY($9)) \
             WHEN 'account' THEN target_id = ANY($9::text[]) \
             ELSE false END) \
     ORDER BY occurred_at DESC, id DESC \
     LIMIT $7 OFFSET $8";

/// Newest first; `limit` rows after skipping `offset`.
pub async fn list(
    pool: &PgPool,
    org_id: Uuid,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<AuditEvent>> {
    sqlx::query_as::<_, AuditEvent>(SELECT_EVENTS)
        .bind(org_id)
        .bind(filter.actor.as_deref())
        .bind(filter.action.as_deref())
        .bind(filter.target.as_deref())
        .bind(filter.from)
        .bind(filter.until)
        .bind(limit)
        .bind(offset)
        .bind(filter.accounts.as_deref())
        .fetch_all(pool)
        .await
}

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use super::Tx;
use crate::model::webhooks::{DeliveryRow, WebhookRow};

/// Queues `event` for every active endpoint of the organisation that subscribed to it,
/// inside the transaction of the change it reports.
pub async fn enqueue(tx: &mut Tx<'_>, org_id: Uuid, event: &str, data: Value) -> sqlx::Result<()> {
    sqlx::query("SELECT enqueue_webhook($1, $2, $3)")
        .bind(org_id)
        .bind(event)
        .bind(data)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn list(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Vec<WebhookRow>> {
    sqlx::query_as::<_, WebhookRow>(
        "SELECT w.id, w.url, w.events, w.active, w.created_at, \
                count(*) FILTER (WHERE d.status = 'pending') AS pending, \
                count(*) FILTER (WHERE d.status = 'failed') AS failed, \
                count(*) FILTER (WHERE d.status = 'delivered') AS delivered \
         FROM webhooks w LEFT JOIN webhook_deliveries d ON d.org_id = w.org_id AND d.webhook_id = w.id \
         WHERE w.org_id = $1 GROUP BY w.org_id, w.id ORDER BY w.created_at",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await
}

pub async fn recent_deliveries(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Vec<DeliveryRow>> {
    sqlx::query_as::<_, DeliveryRow>(
        "SELECT d.id, w.url, d.event, d.status::text AS status, d.attempts, d.next_attempt_at, \
                d.last_attempt_at, d.last_response, d.created_at \
         FROM webhook_deliveries d JOIN webhooks w ON w.org_id = d.org_id AND w.id = d.webhook_id \
         WHERE d.org_id = $1 ORDER BY d.created_at DESC, d.id LIMIT 100",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await
}

pub async fn insert(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    url: &str,
    secret: &str,
    events: &[String],
    created_by: Option<Uuid>,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO webhooks (org_id, id, url, secret, events, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(org_id)
    .bind(Uuid::new_v4())
    .bind(url)
    .bind(secret)
    .bind(events)
    .bind(created_by)
    .fetch_one(&mut **tx)
    .await
}

/// Turns an endpoint on or off; answers its address, or None when there is no such
/// endpoint or it is already so.
pub async fn set_active(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    active: bool,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "UPDATE webhooks SET active = $3 WHERE org_id = $1 AND id = $2 AND active <> $3 RETURNING url",
    )
    .bind(org_id)
    .bind(id)
    .bind(active)
    .fetch_optional(&mut **tx)
    .await
}

/// Puts a delivery that was given up back in line; answers (event, address), or None
/// when there is no such failed delivery.
pub async fn retry(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as(
        "UPDATE webhook_deliveries d SET status = 'pending', attempts = 0, next_attempt_at = now() \
         FROM webhooks w \
         WHERE d.org_id = $1 AND d.id = $2 AND d.status = 'failed' AND w.org_id = d.org_id AND w.id = d.webhook_id \
         RETURNING d.event, w.url",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// Every endpoint's stored secret, locked until the transaction ends.
pub async fn secrets_for_update(tx: &mut Tx<'_>) -> sqlx::Result<Vec<(Uuid, Uuid, String)>> {
    sqlx::query_as("SELECT org_id, id, secret FROM webhooks ORDER BY org_id, id FOR UPDATE")
        .fetch_all(&mut **tx)
        .await
}

pub async fn set_secret(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid, sealed: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE webhooks SET secret = $3 WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .bind(sealed)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A delivery taken to be sent now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub org_id: Uuid,
    pub id: Uuid,
    pub event: String,
    pub payload: Value,
    pub attempts: i32,
    pub url: String,
    pub secret: String,
}

/// Takes up to `limit` due deliveries of active endpoints and holds them for `lease`:
/// another instance skips them meanwhile, and gets them back if this one stops midway.
/// Each taken delivery counts one attempt.
pub async fn claim_due(
    pool: &PgPool,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    limit: i64,
) -> sqlx::Result<Vec<Due>> {
    sqlx::query_as::<_, Due>(
        "WITH due AS ( \
           SELECT d.org_id, d.id FROM webhook_deliveries d \
           JOIN webhooks w ON w.org_id = d.org_id AND w.id = d.webhook_id AND w.active \
           WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
           ORDER BY d.next_attempt_at LIMIT $3 FOR UPDATE OF d SKIP LOCKED) \
         UPDATE webhook_deliveries d SET attempts = d.attempts + 1, last_attempt_at = $1, next_attempt_at = $1 + $2 \
         FROM due, webhooks w \
         WHERE d.org_id = due.org_id AND d.id = due.id AND w.org_id = d.org_id AND w.id = d.webhook_id \
         RETURNING d.org_id, d.id, d.event, d.payload, d.attempts, w.url, w.secret",
    )
    .bind(now)
    .bind(lease)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Records the answer of one attempt: delivered, to be tried again at `retry_at`, or
/// given up (`retry_at` None).
pub async fn record_attempt(
    pool: &PgPool,
    due: &Due,
    delivered: bool,
    response: &str,
    retry_at: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE webhook_deliveries SET last_response = $3, \
                status = CASE WHEN $4 THEN 'delivered' WHEN $5::timestamptz IS NULL THEN 'failed' ELSE 'pending' END::delivery_status, \
                delivered_at = CASE WHEN $4 THEN now() END, \
                next_attempt_at = coalesce($5, next_attempt_at) \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(due.org_id)
    .bind(due.id)
    .bind(response)
    .bind(delivered)
    .bind(retry_at)
    .execute(pool)
    .await?;
    Ok(())
}

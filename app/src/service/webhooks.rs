//! Outbound webhooks: endpoints a Governance admin configures, and the delivery of the
//! events queued for them (signed, retried with backoff, given up after a while).

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit::{Actor, Change};
use crate::db::webhooks::Due;
use crate::error::AppError;
use crate::model::webhooks::{CreatedWebhook, WebhooksOverview};
use crate::service::outbound::{self, check_destination};
use crate::service::secrets::SecretKeys;
use rules::audit::AuditAction;
use rules::webhooks::{
    parse_events, parse_url, retry_delay, signature, Destinations, MAX_ATTEMPTS,
};

/// How long one delivery may take before it counts as failed.
pub const DELIVERY_TIMEOUT: StdDuration = StdDuration::from_secs(10);

pub async fn overview(pool: &PgPool, org_id: Uuid) -> Result<WebhooksOverview, AppError> {
    let (webhooks, deliveries) = tokio::try_join!(
        db::webhooks::list(pool, org_id),
        db::webhooks::recent_deliveries(pool, org_id)
    )?;
    Ok(WebhooksOverview {
        webhooks,
        deliveries,
    })
}

pub async fn create(
    pool: &PgPool,
    actor: &Actor,
    destinations: Destinations,
    keys: &SecretKeys,
    url: &str,
    events: &[String],
) -> Result<CreatedWebhook, AppError> {
    let url = parse_url(url)?;
    check_destination(&url, destinations)
        .await
        .map_err(|why| AppError::invalid("url", why))?;
    let events = parse_events(events)?;
    let secret = crate::service::tokens::random_secret("whsec_");
    let sealed = keys.seal(&secret)?;
    let mut tx = pool.begin().await?;
    let id = db::webhooks::insert(
        &mut tx,
        actor.org_id,
        &url,
        &sealed,
        &events,
        actor.principal_id,
    )
    .await?;
    db::audit::record(
        &mut tx,
        actor,
        Change::on(AuditAction::WebhookCreated, id, url.clone())
            .after(json!({ "url": url, "events": events })),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedWebhook { id, secret })
}

pub async fn set_active(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    active: bool,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let url = db::webhooks::set_active(&mut tx, actor.org_id, id, active)
        .await?
        .ok_or_else(|| {
            AppError::Conflict(format!(
                "That endpoint is gone or already {}.",
                if active { "on" } else { "off" }
            ))
        })?;
    db::audit::record(
        &mut tx,
        actor,
        Change::on(
            if active {
                AuditAction::WebhookEnabled
            } else {
                AuditAction::WebhookDisabled
            },
            id,
            url,
        )
        .before(json!({ "active": !active }))
        .after(json!({ "active": active })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sends a delivery that was given up once more, from its first attempt.
pub async fn retry(pool: &PgPool, actor: &Actor, delivery: Uuid) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let (event, url) = db::webhooks::retry(&mut tx, actor.org_id, delivery)
        .await?
        .ok_or_else(|| {
            AppError::Conflict("Only a delivery that was given up can be sent again.".into())
        })?;
    db::audit::record(
        &mut tx,
        actor,
        Change::on(
            AuditAction::WebhookDeliveryRetried,
            delivery,
            format!("{event} \u{2192} {url}"),
        )
        .before(json!({ "status": "failed" }))
        .after(json!({ "status": "pending" })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The HTTP client deliveries are sent with: no redirects, only to `destinations`.
pub fn client(destinations: Destinations) -> reqwest::Client {
    outbound::client(
        destinations,
        DELIVERY_TIMEOUT,
        concat!("Gatehouse-Webhooks/", env!("CARGO_PKG_VERSION")),
    )
}

/// Seals every webhook secret that is stored plain or under a previous key with the
/// current key; answers how many were sealed again. Run at start, so that rotating the
/// key is: set the new key, keep the old one as the previous key, restart.
pub async fn reseal_secrets(pool: &PgPool, keys: &SecretKeys) -> Result<usize, AppError> {
    let mut tx = pool.begin().await?;
    let stored = db::webhooks::secrets_for_update(&mut tx).await?;
    let mut resealed = 0;
    for (org_id, id, secret) in stored {
        if keys.needs_resealing(&secret) {
            let sealed = keys.seal(&keys.open(&secret)?)?;
            db::webhooks::set_secret(&mut tx, org_id, id, &sealed).await?;
            resealed += 1;
        }
    }
    tx.commit().await?;
    Ok(resealed)
}

/// What one round of delivery did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryRound {
    pub delivered: usize,
    pub failed_attempts: usize,
    pub given_up: usize,
}

/// Sends the deliveries due at `now` (at most `limit`), all at once.
pub async fn deliver_due(
    pool: &PgPool,
    client: &reqwest::Client,
    (destinations, keys): (Destinations, &SecretKeys),
    now: DateTime<Utc>,
    limit: i64,
) -> Result<DeliveryRound, AppError> {
    let lease = Duration::from_std(DELIVERY_TIMEOUT).unwrap_or_default() * 6;
    let due = db::webhooks::claim_due(pool, now, lease, limit).await?;
    let mut sending = tokio::task::JoinSet::new();
    for mut delivery in due {
        let client = client.clone();
        let opened = keys.open(&delivery.secret);
        sending.spawn(async move {
            let answer = match opened {
                Err(_) => {
                    Err("not sent: its signing secret cannot be read with the current keys".into())
                }
                Ok(secret) => {
                    delivery.secret = secret;
                    match check_destination(&delivery.url, destinations).await {
                        Ok(()) => send(&client, &delivery).await.map_err(|e| describe(&e)),
                        Err(why) => Err(format!("not sent: {why}")),
                    }
                }
            };
            (delivery, answer)
        });
    }
    let mut round = DeliveryRound::default();
    while let Some(sent) = sending.join_next().await {
        let Ok((delivery, answer)) = sent else {
            continue;
        };
        let (delivered, response) = match answer {
            Ok(status) => (status.is_success(), format!("HTTP {}", status.as_u16())),
            Err(why) => (false, why),
        };
        let retry_at = (!delivered && delivery.attempts < MAX_ATTEMPTS)
            .then(|| Utc::now() + retry_delay(delivery.attempts));
        db::webhooks::record_attempt(pool, &delivery, delivered, &response, retry_at).await?;
        match (delivered, retry_at) {
            (true, _) => round.delivered += 1,
            (false, Some(_)) => round.failed_attempts += 1,
            (false, None) => round.given_up += 1,
        }
    }
    Ok(round)
}

async fn send(client: &reqwest::Client, delivery: &Due) -> reqwest::Result<reqwest::StatusCode> {
    let body = serde_json::to_vec(&delivery.payload).unwrap_or_default();
    let timestamp = Utc::now().timestamp();
    let response = client
        .post(&delivery.url)
        .header("content-type", "application/json")
        .header("x-gatehouse-event", &delivery.event)
        .header("x-gatehouse-delivery", delivery.id.to_string())
        .header("x-gatehouse-timestamp", timestamp.to_string())
        .header(
            "x-gatehouse-signature",
            signature(&delivery.secret, timestamp, &body),
        )
        .body(body)
        .send()
        .await?;
    Ok(response.status())
}

/// Why an endpoint could not be reached, in words an admin can act on.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!("no answer within {} seconds", DELIVERY_TIMEOUT.as_secs())
    } else if e.is_connect() {
        "could not connect to the endpoint".into()
    } else {
        "the request failed before an answer came".into()
    }
}

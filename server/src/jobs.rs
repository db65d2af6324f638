//! Work the server does on its own, on a timer: the expiry round every minute, the
//! webhook deliveries every few seconds and the home page's daily snapshots (looked for
//! at start and every hour). All are safe with several instances running.

use std::time::Duration;

use app::service::secrets::SecretKeys;
use app::service::{dashboard, expiry, webhooks};
use chrono::Utc;
use sqlx::PgPool;
use tokio::time::{interval, MissedTickBehavior};

use crate::config::Config;

const EXPIRY_EVERY: Duration = Duration::from_secs(60);
const DELIVERIES_EVERY: Duration = Duration::from_secs(5);
const SNAPSHOTS_EVERY: Duration = Duration::from_secs(3600);
/// Deliveries sent at once per round.
const DELIVERIES_PER_ROUND: i64 = 50;

pub fn spawn(pool: &PgPool, config: &Config, keys: SecretKeys) {
    let max_age = chrono::Duration::days(i64::from(config.request_expiry_days));
    tokio::spawn(expiry_rounds(pool.clone(), max_age));
    tokio::spawn(delivery_rounds(
        pool.clone(),
        config.webhook_destinations(),
        keys,
    ));
    tokio::spawn(snapshot_rounds(pool.clone()));
}

async fn expiry_rounds(pool: PgPool, request_max_age: chrono::Duration) {
    let mut tick = interval(EXPIRY_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match expiry::run(&pool, Utc::now(), request_max_age).await {
            Ok(round) if round != expiry::ExpiryRound::default() => tracing::info!(
                grants_expired = round.grants_expired,
                requests_expired = round.requests_expired,
                grants_announced = round.grants_announced,
                "expiry round"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "expiry round failed; trying again next minute"),
        }
    }
}

async fn delivery_rounds(
    pool: PgPool,
    destinations: rules::webhooks::Destinations,
    keys: SecretKeys,
) {
    let client = webhooks::client(destinations);
    let mut tick = interval(DELIVERIES_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match webhooks::deliver_due(
            &pool,
            &client,
            (destinations, &keys),
            Utc::now(),
            DELIVERIES_PER_ROUND,
        )
        .await
        {
            Ok(round) if round != webhooks::DeliveryRound::default() => tracing::info!(
                delivered = round.delivered,
                failed = round.failed_attempts,
                given_up = round.given_up,
                "webhook deliveries"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "webhook delivery round failed"),
        }
    }
}

async fn snapshot_rounds(pool: PgPool) {
    let mut tick = interval(SNAPSHOTS_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match dashboard::take_snapshots(&pool, Utc::now()).await {
            Ok(0) => {}
            Ok(taken) => tracing::info!(organisations = taken, "daily snapshots taken"),
            Err(e) => tracing::warn!(error = %e, "daily snapshots failed; trying again next hour"),
        }
    }
}

//! Work the server does on its own, on a timer: the expiry round every minute, the
//! webhook deliveries every few seconds, the home page's daily snapshots (looked for
//! at start and every hour), sealing audit events into their chain every two seconds
//! (walking each chain once a day), and the lifecycle round every minute (movers'
//! reviews that fell due, people past their end date, inactivity rules). All are safe
//! with several instances running.

use std::time::Duration;

use app::service::secrets::SecretKeys;
use app::service::{audit_chain, dashboard, expiry, lifecycle, webhooks};
use chrono::Utc;
use sqlx::PgPool;
use tokio::time::{interval, MissedTickBehavior};

use crate::config::Config;

const EXPIRY_EVERY: Duration = Duration::from_secs(60);
const LIFECYCLE_EVERY: Duration = Duration::from_secs(60);
const DELIVERIES_EVERY: Duration = Duration::from_secs(5);
const SNAPSHOTS_EVERY: Duration = Duration::from_secs(3600);
const SEALING_EVERY: Duration = Duration::from_secs(2);
/// Rounds between the sealer's long looks back (about an hour) for events committed
/// long after they were written.
const LATE_SEALING_EVERY: u32 = 1800;
/// How old an organisation's last verification may be before the chain is walked again.
const VERIFY_EVERY: chrono::Duration = chrono::Duration::hours(24);
/// Deliveries sent at once per round.
const DELIVERIES_PER_ROUND: i64 = 50;

pub fn spawn(pool: &PgPool, config: &Config, keys: SecretKeys) {
    let max_age = chrono::Duration::days(i64::from(config.request_expiry_days));
    tokio::spawn(expiry_rounds(pool.clone(), max_age));
    tokio::spawn(delivery_rounds(
        pool.clone(),
        config.webhook_destinations(),
        keys.clone(),
    ));
    tokio::spawn(snapshot_rounds(pool.clone()));
    tokio::spawn(lifecycle_rounds(pool.clone()));
    tokio::spawn(sealing_rounds(pool.clone(), keys));
}

/// Seals new audit events into their organisation's chain every two seconds, and walks
/// each chain once a day (the audit page shows the last walk), signing a checkpoint of
/// its head when it holds.
async fn sealing_rounds(pool: PgPool, keys: SecretKeys) {
    let mut tick = interval(SEALING_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut round: u32 = 0;
    loop {
        tick.tick().await;
        let hourly = round.is_multiple_of(LATE_SEALING_EVERY);
        round = round.wrapping_add(1);
        let look_back = if hourly {
            audit_chain::LATE
        } else {
            audit_chain::RECENT
        };
        let started = std::time::Instant::now();
        let sealed = audit_chain::seal_everyone(&pool, look_back).await;
        ran("audit_sealing", started, sealed.is_ok());
        if let Err(e) = sealed {
            tracing::warn!(error = %e, "sealing the audit trail failed; trying again shortly");
            continue;
        }
        if hourly {
            match audit_chain::verify_when_due(&pool, Utc::now() - VERIFY_EVERY, &keys).await {
                Ok(broken) => {
                    for org in broken {
                        tracing::error!(%org, "the audit chain is broken; run `gatehouse audit verify`");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "verifying the audit trail failed"),
            }
        }
    }
}

async fn expiry_rounds(pool: PgPool, request_max_age: chrono::Duration) {
    let mut tick = interval(EXPIRY_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let started = std::time::Instant::now();
        let round = expiry::run(&pool, Utc::now(), request_max_age).await;
        ran("expiry", started, round.is_ok());
        match round {
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

/// Every minute: movers' and package reviews that fell due are closed, package reviews
/// are opened on schedule, people past their end date leave, inactivity rules notice and
/// suspend.
async fn lifecycle_rounds(pool: PgPool) {
    let mut tick = interval(LIFECYCLE_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let started = std::time::Instant::now();
        let round = lifecycle::run(&pool, Utc::now()).await;
        ran("lifecycle", started, round.is_ok());
        match round {
            Ok(round) if round != lifecycle::LifecycleRound::default() => tracing::info!(
                reviews_closed = round.reviews_closed,
                package_reviews_opened = round.package_reviews_opened,
                leavers = round.leavers,
                grants_revoked = round.grants_revoked,
                held = round.held,
                dormant_noticed = round.dormant_noticed,
                dormant_suspended = round.dormant_suspended,
                "lifecycle round"
            ),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "lifecycle round failed; trying again next minute")
            }
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
        let started = std::time::Instant::now();
        let round = webhooks::deliver_due(
            &pool,
            &client,
            (destinations, &keys),
            Utc::now(),
            DELIVERIES_PER_ROUND,
        )
        .await;
        ran("webhook_deliveries", started, round.is_ok());
        if let Ok(round) = &round {
            for (result, count) in [
                ("delivered", round.delivered),
                ("failed", round.failed_attempts),
                ("given_up", round.given_up),
            ] {
                metrics::counter!("gatehouse_webhook_deliveries_total", "result" => result)
                    .increment(count as u64);
            }
        }
        match round {
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
        let started = std::time::Instant::now();
        let taken = dashboard::take_snapshots(&pool, Utc::now()).await;
        ran("snapshots", started, taken.is_ok());
        match taken {
            Ok(0) => {}
            Ok(taken) => tracing::info!(organisations = taken, "daily snapshots taken"),
            Err(e) => tracing::warn!(error = %e, "daily snapshots failed; trying again next hour"),
        }
    }
}

/// Counts and times one round of a job.
fn ran(job: &'static str, started: std::time::Instant, ok: bool) {
    let result = if ok { "ok" } else { "failed" };
    metrics::counter!("gatehouse_job_runs_total", "job" => job, "result" => result).increment(1);
    metrics::histogram!("gatehouse_job_duration_seconds", "job" => job)
        .record(started.elapsed().as_secs_f64());
}

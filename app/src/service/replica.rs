//! Reads that may come from a hot standby. With a standby configured, the read-heavy
//! pages (reports, the audit trail, the dashboard, consent figures) read from it while
//! it answers; everything that writes, every sign-in and every authorization decision
//! reads the primary. A watcher asks the standby every second how far behind it is; a
//! standby that does not answer (or is no standby) is not read from until it answers
//! again, so a lost standby costs nothing but load on the primary.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;

/// A standby further behind than this is named on the pages that read from it.
pub const LAG_NOTICE_SECONDS: i64 = 5;

/// The watcher's finding: the standby's lag in seconds, or not answering.
const NOT_ANSWERING: i64 = -1;

#[derive(Clone)]
pub struct Reads {
    standby: Option<Arc<Standby>>,
}

struct Standby {
    pool: PgPool,
    lag: AtomicI64,
}

impl Reads {
    /// No standby: every read goes to the primary.
    pub fn primary_only() -> Self {
        Reads { standby: None }
    }

    /// Reads from `standby` while it answers as one; starts its watcher.
    pub fn standby(pool: PgPool) -> Self {
        let standby = Arc::new(Standby {
            pool,
            lag: AtomicI64::new(NOT_ANSWERING),
        });
        let watched = Arc::downgrade(&standby);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(standby) = watched.upgrade() else {
                    return;
                };
                let asked = tokio::time::timeout(
                    Duration::from_secs(2),
                    crate::db::replica::standby_lag(&standby.pool),
                )
                .await;
                let lag = match asked {
                    Ok(Ok(Some(seconds))) => seconds.max(0.0).floor() as i64,
                    Ok(Ok(None)) => {
                        tracing::warn!("GATEHOUSE_READ_DATABASE_URL is not a standby; reading from the primary");
                        NOT_ANSWERING
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "the standby does not answer; reading from the primary");
                        NOT_ANSWERING
                    }
                    Err(_) => NOT_ANSWERING,
                };
                standby.lag.store(lag, Ordering::Relaxed);
            }
        });
        Reads {
            standby: Some(standby),
        }
    }

    /// The pool the read-heavy pages read: the standby while it answers, else `primary`.
    pub fn pool(&self, primary: &PgPool) -> PgPool {
        match &self.standby {
            Some(standby) if standby.lag.load(Ordering::Relaxed) != NOT_ANSWERING => {
                standby.pool.clone()
            }
            _ => primary.clone(),
        }
    }

    /// How many seconds behind the figures read now may be, when the standby serving
    /// them is more than [`LAG_NOTICE_SECONDS`] behind.
    pub fn lag_to_tell(&self) -> Option<i64> {
        let lag = self.standby.as_ref()?.lag.load(Ordering::Relaxed);
        (lag > LAG_NOTICE_SECONDS).then_some(lag)
    }
}

//! Decisions count as activity, written off the path of the answers: each instance
//! gathers whom it decided about and which permissions it allowed, and writes them once
//! a second. What it wrote within the hour it does not write again (the database would
//! skip it too, a query later).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use chrono::Utc;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;

const EVERY: Duration = Duration::from_secs(1);
const REMEMBERED_FOR: Duration = Duration::from_secs(3600);
const MOST_REMEMBERED: usize = 1_000_000;

/// A principal decided about, with the permission and account allowed to it (if any).
type Seen = (Uuid, Option<(Uuid, Option<Uuid>)>);

pub(super) struct Activity {
    pool: PgPool,
    waiting: Mutex<HashMap<Uuid, HashSet<Seen>>>,
    /// When each was last written, per organisation.
    written: Mutex<HashMap<(Uuid, Seen), Instant>>,
}

impl Activity {
    /// Starts the writer; it stops when the buffer is dropped.
    pub fn start(pool: PgPool) -> Arc<Activity> {
        let activity = Arc::new(Activity {
            pool,
            waiting: Mutex::default(),
            written: Mutex::default(),
        });
        tokio::spawn(write_every_second(Arc::downgrade(&activity)));
        activity
    }

    pub fn add(&self, org: Uuid, seen: impl IntoIterator<Item = Seen>) {
        let written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        let fresh: Vec<Seen> = seen
            .into_iter()
            .filter(|s| {
                written
                    .get(&(org, *s))
                    .is_none_or(|at| at.elapsed() > REMEMBERED_FOR)
            })
            .collect();
        drop(written);
        if fresh.is_empty() {
            return;
        }
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        waiting.entry(org).or_default().extend(fresh);
    }

    /// Writes what is waiting; what cannot be written is dropped (activity is a hint
    /// for the dormant report, not a record).
    async fn write(&self) {
        let waiting = std::mem::take(&mut *self.waiting.lock().unwrap_or_else(|e| e.into_inner()));
        let now = Instant::now();
        {
            let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
            written.retain(|_, at| now.duration_since(*at) < REMEMBERED_FOR);
            // A bound on memory: forgetting only means writing again.
            if written.len() > MOST_REMEMBERED {
                written.clear();
            }
        }
        for (org, seen) in waiting {
            let mut decided = db::activity::Decided::default();
            for (principal, used) in &seen {
                decided.add(*principal, *used);
            }
            match db::activity::decided(&self.pool, org, &decided, Utc::now()).await {
                Ok(()) => {
                    let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
                    written.extend(seen.into_iter().map(|s| ((org, s), now)));
                }
                Err(e) => tracing::warn!(error = %e, "decisions' activity could not be written"),
            }
        }
    }
}

async fn write_every_second(activity: Weak<Activity>) {
    let mut ticks = tokio::time::interval(EVERY);
    loop {
        ticks.tick().await;
        let Some(a) = activity.upgrade() else { return };
        a.write().await;
    }
}

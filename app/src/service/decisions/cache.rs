//! Each instance's copy of its organisations' policy, so that a decision reads nothing
//! but the organisation's policy version (which the token check reads with the token,
//! in the same query). A copy is used only when its version is that current one: every
//! change to grants, roles, sets, principals, accounts or permissions grows the version
//! when it commits (migrations 0014 and 0015), so a copy on any instance stops being used
//! the moment the change is visible, and a caller reads its own writes. Until a fresh
//! copy is loaded (in the background, one load at a time per organisation) decisions
//! read the database as they would without a cache: nobody waits for a load.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use uuid::Uuid;

use super::found::Found;
use crate::db;

/// A copy is loaded again after this long even when nothing changed, so that grants
/// that ended long ago leave it (decisions compare every date with the time of the
/// question, so an older copy still answers rightly).
const FRESH_FOR: Duration = Duration::from_secs(600);

/// One organisation's policy as of one version.
pub(super) struct Snapshot {
    pub version: i64,
    pub found: Found,
    loaded: Instant,
}

#[derive(Default)]
struct Entry {
    snapshot: Option<Arc<Snapshot>>,
    loading: bool,
    /// When the last load failed: the next waits a while.
    failed: Option<Instant>,
}

/// How long after a failed load the next one waits.
const RETRY_AFTER: Duration = Duration::from_secs(5);

pub(super) struct Cache {
    pool: PgPool,
    organisations: Mutex<HashMap<Uuid, Entry>>,
}

impl Cache {
    pub fn new(pool: PgPool) -> Arc<Cache> {
        Arc::new(Cache {
            pool,
            organisations: Mutex::default(),
        })
    }

    /// The organisation's copy if it is of `version` (the current one, read just now) or
    /// newer;
    /// otherwise `None`, and a fresh copy is being loaded.
    pub fn current(self: &Arc<Self>, org: Uuid, version: i64) -> Option<Arc<Snapshot>> {
        // A panic while the lock was held leaves plain data behind; carry on with it.
        let mut organisations = self.organisations.lock().unwrap_or_else(|e| e.into_inner());
        let entry = organisations.entry(org).or_default();
        let usable = entry
            .snapshot
            .as_ref()
            .filter(|s| s.version >= version)
            .cloned();
        let outdated = entry
            .snapshot
            .as_ref()
            .is_none_or(|s| s.version < version || s.loaded.elapsed() > FRESH_FOR);
        let resting = entry.failed.is_some_and(|at| at.elapsed() < RETRY_AFTER);
        if outdated && !entry.loading && !resting {
            entry.loading = true;
            tokio::spawn(load(self.clone(), org));
        }
        usable
    }
}

impl Cache {
    /// Loads the organisation's copy now.
    pub async fn load_now(self: &Arc<Self>, org: Uuid) {
        self.organisations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(org)
            .or_default()
            .loading = true;
        load(self.clone(), org).await;
    }

    /// Whether a copy of this version (or newer) is held.
    pub fn holds(&self, org: Uuid, version: i64) -> bool {
        self.organisations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&org)
            .and_then(|e| e.snapshot.as_ref())
            .is_some_and(|s| s.version >= version)
    }
}

async fn load(cache: Arc<Cache>, org: Uuid) {
    let started = Instant::now();
    let loaded = match db::policy::everything(&cache.pool, org).await {
        // Building the copy is a few hundred milliseconds of work for a large
        // organisation: kept off the threads that answer requests.
        Ok(all) => tokio::task::spawn_blocking(move || Snapshot {
            version: all.version,
            found: Found::new(all.principals, all.grants, &all.accounts, &all.permissions),
            loaded: Instant::now(),
        })
        .await
        .ok(),
        Err(e) => {
            tracing::warn!(error = %e, "the policy could not be loaded; decisions read the database");
            None
        }
    };
    let mut organisations = cache
        .organisations
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let entry = organisations.entry(org).or_default();
    entry.loading = false;
    entry.failed = loaded.is_none().then(Instant::now);
    if let Some(snapshot) = loaded {
        tracing::debug!(%org, version = snapshot.version, ms = started.elapsed().as_millis() as u64, "policy loaded");
        // Loads may finish out of order after a failure; keep the newest.
        if entry
            .snapshot
            .as_ref()
            .is_none_or(|s| s.version <= snapshot.version)
        {
            entry.snapshot = Some(Arc::new(snapshot));
        }
    }
}

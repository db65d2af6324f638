//! Recording a batch of events from a governed system in parts, side by side.
//!
//! A batch of 1,000 events is one client waiting for one answer. Recorded in one
//! transaction, it keeps one of the database's processes busy while the others wait;
//! split into parts by who the events are about, each part is recorded in a transaction
//! of its own on a connection of its own, and the parts run at once. Events about the
//! same principal (or data subject) stay in one part, so that the parts rarely want the
//! same rows; when they do, they take them in the same order and one waits for the other.
//!
//! A batch is not one transaction then: should one part fail, the others may have been
//! recorded. The answer is an error, and since recording is idempotent, sending the batch
//! again records only what is missing.

use std::future::Future;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;

use futures::future::try_join_all;
use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres};

/// Concurrent batches touching the same rows may deadlock; PostgreSQL then aborts one,
/// which is tried again this many times.
pub(crate) const ATTEMPTS: usize = 3;

/// The fewest events worth a part of their own: below this, a second transaction costs
/// more than it saves.
const PART_AT_LEAST: usize = 250;

/// The longest a batch waits for a new connection for another part.
const CONNECTING: Duration = Duration::from_millis(100);

pub(crate) fn is_deadlock(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "40P01")
}

/// The positions `0..len`, in as many parts as the machine has cores (at most four, and
/// each of at least `PART_AT_LEAST` positions); the positions whose `key` is the same
/// share a part.
pub(crate) fn parts<K: Hash>(len: usize, key: impl Fn(usize) -> K) -> Vec<Vec<usize>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let count = cores.min(4).min(len / PART_AT_LEAST).max(1);
    let mut parts = vec![Vec::with_capacity(len / count + 1); count];
    for i in 0..len {
        let mut hasher = DefaultHasher::new();
        key(i).hash(&mut hasher);
        parts[(hasher.finish() % count as u64) as usize].push(i);
    }
    parts.retain(|part| !part.is_empty());
    parts
}

/// A part of a batch, recorded in a transaction of its own.
pub(crate) trait Part {
    type Recorded: Send;
    /// Records the part on `conn`, in one transaction.
    fn record(
        &self,
        conn: &mut PgConnection,
    ) -> impl Future<Output = Result<Self::Recorded, sqlx::Error>> + Send;
}

/// Records each part with a connection of its own, at once. The first part has a
/// connection waited for; each other part one the pool has idle or opens for it, or else
/// it waits for the first part's, after it (a batch never holds one connection while
/// waiting long for another).
/// Answers what each part recorded, in order.
pub(crate) async fn side_by_side<P: Part + Sync>(
    pool: &PgPool,
    parts: &[P],
) -> Result<Vec<P::Recorded>, sqlx::Error> {
    let Some((first, rest)) = parts.split_first() else {
        return Ok(Vec::new());
    };
    let mut own = pool.acquire().await?;
    let mut idle = Vec::with_capacity(rest.len());
    for _ in rest {
        match another(pool).await {
            Some(conn) => idle.push(conn),
            None => break,
        }
    }
    let (alone, waiting) = rest.split_at(idle.len());
    let mut recorded = try_join_all(
        std::iter::once(retried(first, &mut own)).chain(
            idle.iter_mut()
                .zip(alone)
                .map(|(conn, part)| retried(part, conn)),
        ),
    )
    .await?;
    for part in waiting {
        recorded.push(retried(part, &mut own).await?);
    }
    Ok(recorded)
}

/// A connection the pool has idle, or a new one if it has room for it (waiting no
/// longer than it takes to connect); else none.
async fn another(pool: &PgPool) -> Option<PoolConnection<Postgres>> {
    if let Some(conn) = pool.try_acquire() {
        return Some(conn);
    }
    if pool.size() >= pool.options().get_max_connections() {
        return None;
    }
    tokio::time::timeout(CONNECTING, pool.acquire())
        .await
        .ok()?
        .ok()
}

/// Records `part`, again after a deadlock, at most `ATTEMPTS` times.
async fn retried<P: Part>(part: &P, conn: &mut PgConnection) -> Result<P::Recorded, sqlx::Error> {
    let mut attempt = 1;
    loop {
        match part.record(conn).await {
            Err(e) if attempt < ATTEMPTS && is_deadlock(&e) => attempt += 1,
            result => return result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_position_is_in_one_part_and_a_key_in_one_only() {
        let keys: Vec<usize> = (0..1_000).map(|i| i % 37).collect();
        let parts = parts(keys.len(), |i| keys[i]);
        let mut seen: Vec<usize> = parts.concat();
        seen.sort_unstable();
        assert_eq!(seen, (0..1_000).collect::<Vec<_>>());
        for (n, part) in parts.iter().enumerate() {
            for other in &parts[n + 1..] {
                assert!(part
                    .iter()
                    .all(|&i| other.iter().all(|&j| keys[i] != keys[j])));
            }
        }
        assert!(parts.len() <= 4);
    }

    #[test]
    fn a_small_batch_is_one_part() {
        assert_eq!(parts(PART_AT_LEAST * 2 - 1, |i| i).len(), 1);
        assert!(parts(0, |i| i).is_empty());
    }
}

//! A hot standby's view of itself.

/// How far a hot standby is behind its primary, in seconds: none when everything it
/// has received is replayed, else the time since the last transaction it replayed.
/// `None` when the database is not a standby.
pub async fn standby_lag(pool: &sqlx::PgPool) -> sqlx::Result<Option<f64>> {
    sqlx::query_scalar(
        "SELECT CASE WHEN NOT pg_is_in_recovery() THEN NULL \
                     WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
                     ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) \
                END::float8",
    )
    .fetch_one(pool)
    .await
}

//! The audit chain's links, salts and last verification (migration 0019).

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::Tx;
use rules::audit_chain::{Event, Hash, Stored};

/// An event's columns as the chain reads them: times and addresses as fixed text.
const EVENT_COLUMNS: &str = "e.id, e.org_id::text AS org_id, \
     to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS occurred_at, \
     e.actor_principal_id::text AS actor_principal_id, e.actor_label, e.action, e.target_type, \
     e.target_id, host(e.source_ip) AS source_ip, e.user_agent, e.target_label, e.before, e.after, \
     e.reason";

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    org_id: String,
    occurred_at: String,
    actor_principal_id: Option<String>,
    actor_label: String,
    action: String,
    target_type: String,
    target_id: Option<String>,
    source_ip: Option<String>,
    user_agent: Option<String>,
    target_label: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    reason: Option<String>,
}

impl From<EventRow> for Event {
    fn from(r: EventRow) -> Self {
        Event {
            id: r.id,
            org_id: r.org_id,
            occurred_at: r.occurred_at,
            actor_principal_id: r.actor_principal_id,
            actor_label: r.actor_label,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            source_ip: r.source_ip,
            user_agent: r.user_agent,
            target_label: r.target_label,
            before: r.before,
            after: r.after,
            reason: r.reason,
        }
    }
}

fn hash(bytes: &[u8]) -> Hash {
    bytes.try_into().unwrap_or([0; 32])
}

/// Holds the organisation's chain until the transaction ends, so that one sealer at a
/// time extends it.
pub async fn lock(tx: &mut Tx<'_>, org_id: Uuid) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(('x' || substr(md5('audit-chain:' || $1::text), 1, 16))::bit(64)::bigint)")
        .bind(org_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The last link of a chain.
pub struct Head {
    pub seq: i64,
    pub hash: Hash,
    pub event_id: i64,
    /// When its event occurred (none once the event is gone).
    pub occurred_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct HeadRow {
    seq: i64,
    hash: Vec<u8>,
    event_id: i64,
    occurred_at: Option<DateTime<Utc>>,
}

pub async fn head(tx: &mut Tx<'_>, org_id: Uuid) -> sqlx::Result<Option<Head>> {
    let row: Option<HeadRow> = sqlx::query_as(
        "SELECT c.seq, c.hash, c.event_id, e.occurred_at FROM audit_chain c \
         LEFT JOIN audit_events e ON e.org_id = c.org_id AND e.id = c.event_id \
         WHERE c.org_id = $1 ORDER BY c.seq DESC LIMIT 1",
    )
    .bind(org_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| Head {
        seq: r.seq,
        hash: hash(&r.hash),
        event_id: r.event_id,
        occurred_at: r.occurred_at,
    }))
}

/// Events not sealed yet, oldest first, at most `limit`: those numbered after
/// `after_id` or that occurred at or after `since`, so that the search stays near the
/// head however long the trail grows.
pub async fn unsealed(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    after_id: i64,
    since: Option<DateTime<Utc>>,
    limit: i64,
) -> sqlx::Result<Vec<Event>> {
    let rows: Vec<EventRow> = sqlx::query_as(&format!(
        "SELECT {EVENT_COLUMNS} FROM audit_events e \
         WHERE e.org_id = $1 AND (e.id > $2 OR e.occurred_at >= $3) \
           AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.org_id = e.org_id AND c.event_id = e.id) \
         ORDER BY e.id LIMIT $4"
    ))
    .bind(org_id)
    .bind(after_id)
    .bind(since)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(Event::from).collect())
}

/// How many of the organisation's events are not sealed yet.
pub async fn unsealed_count(pool: &PgPool, org_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM audit_events e WHERE e.org_id = $1 \
           AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.org_id = e.org_id AND c.event_id = e.id)",
    )
    .bind(org_id)
    .fetch_one(pool)
    .await
}

/// A new link and its event's salt.
pub struct NewLink {
    pub seq: i64,
    pub event_id: i64,
    pub salt: Vec<u8>,
    pub personal_digest: Hash,
    pub hash: Hash,
}

pub async fn insert(tx: &mut Tx<'_>, org_id: Uuid, links: &[NewLink]) -> sqlx::Result<()> {
    let seqs: Vec<i64> = links.iter().map(|l| l.seq).collect();
    let events: Vec<i64> = links.iter().map(|l| l.event_id).collect();
    let salts: Vec<Vec<u8>> = links.iter().map(|l| l.salt.clone()).collect();
    let digests: Vec<Vec<u8>> = links.iter().map(|l| l.personal_digest.to_vec()).collect();
    let hashes: Vec<Vec<u8>> = links.iter().map(|l| l.hash.to_vec()).collect();
    sqlx::query(
        "INSERT INTO audit_salts (org_id, event_id, salt) \
         SELECT $1, e, s FROM unnest($2::bigint[], $3::bytea[]) AS x (e, s)",
    )
    .bind(org_id)
    .bind(&events)
    .bind(&salts)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO audit_chain (org_id, seq, event_id, personal_digest, hash) \
         SELECT $1, q, e, d, h FROM unnest($2::bigint[], $3::bigint[], $4::bytea[], $5::bytea[]) AS x (q, e, d, h)",
    )
    .bind(org_id)
    .bind(&seqs)
    .bind(&events)
    .bind(&digests)
    .bind(&hashes)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    seq: i64,
    event_id: i64,
    personal_digest: Vec<u8>,
    hash: Vec<u8>,
    salt: Option<Vec<u8>>,
}

/// Links after `after`, in order, at most `limit`, each with its event and salt as they
/// are now.
pub async fn links(
    pool: &PgPool,
    org_id: Uuid,
    after: i64,
    limit: i64,
) -> sqlx::Result<Vec<Stored>> {
    let rows: Vec<LinkRow> = sqlx::query_as(
        "SELECT c.seq, c.event_id, c.personal_digest, c.hash, s.salt \
         FROM audit_chain c \
         LEFT JOIN audit_salts s ON s.org_id = c.org_id AND s.event_id = c.event_id \
         WHERE c.org_id = $1 AND c.seq > $2 ORDER BY c.seq LIMIT $3",
    )
    .bind(org_id)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.event_id).collect();
    let events: Vec<EventRow> = sqlx::query_as(&format!(
        "SELECT {EVENT_COLUMNS} FROM audit_events e WHERE e.org_id = $1 AND e.id = ANY($2)"
    ))
    .bind(org_id)
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    let mut events: std::collections::HashMap<i64, Event> =
        events.into_iter().map(|e| (e.id, Event::from(e))).collect();
    Ok(rows
        .into_iter()
        .map(|r| Stored {
            seq: r.seq,
            event_id: r.event_id,
            personal_digest: hash(&r.personal_digest),
            hash: hash(&r.hash),
            event: events.remove(&r.event_id),
            salt: r.salt,
        })
        .collect())
}

/// The last verification of an organisation's chain.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Verification {
    pub verified_at: DateTime<Utc>,
    pub up_to_seq: i64,
    pub unsealed: i64,
    pub broken: Option<String>,
}

pub async fn record_verification(
    pool: &PgPool,
    org_id: Uuid,
    v: &Verification,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_verifications (org_id, verified_at, up_to_seq, unsealed, broken) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (org_id) DO UPDATE SET verified_at = $2, up_to_seq = $3, unsealed = $4, broken = $5",
    )
    .bind(org_id)
    .bind(v.verified_at)
    .bind(v.up_to_seq)
    .bind(v.unsealed)
    .bind(&v.broken)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn last_verification(pool: &PgPool, org_id: Uuid) -> sqlx::Result<Option<Verification>> {
    sqlx::query_as(
        "SELECT verified_at, up_to_seq, unsealed, broken FROM audit_verifications WHERE org_id = $1",
    )
    .bind(org_id)
    .fetch_optional(pool)
    .await
}

/// A signed checkpoint of a chain's head, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredCheckpoint {
    pub org_id: Uuid,
    pub made_at: DateTime<Utc>,
    pub seq: i64,
    pub head: Vec<u8>,
    pub public_key: Vec<u8>,
    pub signature: Vec<u8>,
}

pub async fn insert_checkpoint(pool: &PgPool, c: &StoredCheckpoint) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_checkpoints (org_id, made_at, seq, head, public_key, signature) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(c.org_id)
    .bind(c.made_at)
    .bind(c.seq)
    .bind(&c.head)
    .bind(&c.public_key)
    .bind(&c.signature)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn latest_checkpoint(
    pool: &PgPool,
    org_id: Uuid,
) -> sqlx::Result<Option<StoredCheckpoint>> {
    sqlx::query_as(
        "SELECT org_id, made_at, seq, head, public_key, signature FROM audit_checkpoints \
         WHERE org_id = $1 ORDER BY made_at DESC LIMIT 1",
    )
    .bind(org_id)
    .fetch_optional(pool)
    .await
}

/// The hash of link `seq`, if it is there.
pub async fn link_hash(pool: &PgPool, org_id: Uuid, seq: i64) -> sqlx::Result<Option<Hash>> {
    let found: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT hash FROM audit_chain WHERE org_id = $1 AND seq = $2")
            .bind(org_id)
            .bind(seq)
            .fetch_optional(pool)
            .await?;
    Ok(found.map(|h| hash(&h)))
}

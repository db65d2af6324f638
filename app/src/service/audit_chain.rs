//! Sealing audit events into each organisation's hash chain, and verifying it (see
//! `rules::audit_chain`). Events are sealed shortly after they commit, by whichever
//! instance gets to an organisation first; the chain never waits on a write.

use chrono::{Duration, SecondsFormat, SubsecRound, Utc};
use ed25519_dalek::{Signature, Signer, VerifyingKey};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::audit_chain::{NewLink, Verification};
use crate::error::AppError;
use crate::service::secrets::SecretKeys;
use rules::audit_chain::{checkpoint_message, link, verify as walk, Broken, GENESIS};

/// Events sealed at once.
const BATCH: i64 = 5_000;
/// How far before the newest event sealed the sealer looks for events whose
/// transaction committed late: every round looks back `RECENT`, an hourly round (and
/// the command line) `LATE`.
pub const RECENT: Duration = Duration::minutes(10);
pub const LATE: Duration = Duration::hours(24);
/// Links read at once while verifying.
const WALK: i64 = 10_000;

/// Seals the organisation's events not sealed yet: those after the chain's head, and
/// those that occurred up to `look_back` before it; answers how many.
pub async fn seal(pool: &PgPool, org_id: Uuid, look_back: Duration) -> Result<usize, AppError> {
    let mut sealed = 0;
    loop {
        let mut tx = pool.begin().await?;
        db::audit_chain::lock(&mut tx, org_id).await?;
        let head = db::audit_chain::head(&mut tx, org_id).await?;
        let (mut seq, mut previous) = head.as_ref().map_or((0, GENESIS), |h| (h.seq, h.hash));
        let after_id = head.as_ref().map_or(0, |h| h.event_id);
        let since = head.and_then(|h| h.occurred_at).map(|t| t - look_back);
        let events = db::audit_chain::unsealed(&mut tx, org_id, after_id, since, BATCH).await?;
        if events.is_empty() {
            return Ok(sealed);
        }
        let links: Vec<NewLink> = events
            .iter()
            .map(|event| {
                seq += 1;
                let salt = Uuid::new_v4().into_bytes().to_vec();
                let personal_digest = event.personal_digest(&salt);
                previous = link(&previous, seq, event, &personal_digest);
                NewLink {
                    seq,
                    event_id: event.id,
                    salt,
                    personal_digest,
                    hash: previous,
                }
            })
            .collect();
        db::audit_chain::insert(&mut tx, org_id, &links).await?;
        tx.commit().await?;
        sealed += links.len();
        if (links.len() as i64) < BATCH {
            return Ok(sealed);
        }
    }
}

/// Seals every organisation's new events.
pub async fn seal_everyone(pool: &PgPool, look_back: Duration) -> Result<usize, AppError> {
    let mut sealed = 0;
    let everyone = db::organisations::every(pool).await?;
    for (org, _) in everyone {
        sealed += seal(pool, org, look_back).await?;
    }
    Ok(sealed)
}

/// What a walk of the chain found.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The last link verified (0: none).
    pub up_to: i64,
    /// The head's hash, hex, when the whole chain held.
    pub head: Option<String>,
    /// Events not sealed yet.
    pub unsealed: i64,
    pub broken: Option<Broken>,
}

/// Walks the organisation's chain from its first link and records the result for the
/// audit page.
pub async fn verify(pool: &PgPool, org_id: Uuid) -> Result<Verified, AppError> {
    let (mut previous, mut last) = (GENESIS, 0);
    let broken = loop {
        let links = db::audit_chain::links(pool, org_id, last, WALK).await?;
        if links.is_empty() {
            break None;
        }
        match walk((previous, last), links) {
            Ok((hash, seq)) => (previous, last) = (hash, seq),
            Err(broken) => break Some(broken),
        }
    };
    // Links cut from the end leave a chain that holds: its latest checkpoint does not.
    let broken = match broken {
        Some(b) => Some(b),
        None => match db::audit_chain::latest_checkpoint(pool, org_id).await? {
            Some(stored) => {
                let c = Checkpoint::from(stored);
                check_checkpoint(pool, &c)
                    .await?
                    .err()
                    .map(|problem| Broken::BehindCheckpoint {
                        held: last,
                        checkpoint: c.link,
                        problem,
                    })
            }
            None => None,
        },
    };
    let unsealed = db::audit_chain::unsealed_count(pool, org_id).await?;
    let verified = Verified {
        up_to: broken.as_ref().map_or(last, Broken::held_up_to),
        head: broken.is_none().then(|| hex::encode(previous)),
        unsealed,
        broken,
    };
    db::audit_chain::record_verification(
        pool,
        org_id,
        &Verification {
            verified_at: Utc::now(),
            up_to_seq: verified.up_to,
            unsealed,
            broken: verified.broken.as_ref().map(Broken::words),
        },
    )
    .await?;
    Ok(verified)
}

/// Walks the chain of every organisation last verified before `older_than` (or never),
/// signing a checkpoint of each that holds; answers those whose chain is broken.
pub async fn verify_when_due(
    pool: &PgPool,
    older_than: chrono::DateTime<Utc>,
    keys: &SecretKeys,
) -> Result<Vec<Uuid>, AppError> {
    let everyone = db::organisations::every(pool).await?;
    let mut broken = Vec::new();
    for (org, _) in everyone {
        let due = db::audit_chain::last_verification(pool, org)
            .await?
            .is_none_or(|v| v.verified_at < older_than);
        if !due {
            continue;
        }
        let verified = verify(pool, org).await?;
        if verified.broken.is_some() {
            broken.push(org);
        } else if verified.up_to > 0 {
            sign_head(pool, org, keys, verified).await?;
        }
    }
    Ok(broken)
}

/// A signed checkpoint of a chain's head, as exported: anyone holding it (and the
/// public key, which they should keep from the first one they take) can later check
/// that the chain still runs through that head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub organisation: Uuid,
    pub link: i64,
    /// The link's hash, hex.
    pub head: String,
    /// RFC 3339, microseconds, UTC.
    pub made_at: String,
    /// Ed25519, hex.
    pub public_key: String,
    pub signature: String,
}

impl From<db::audit_chain::StoredCheckpoint> for Checkpoint {
    fn from(c: db::audit_chain::StoredCheckpoint) -> Self {
        Checkpoint {
            organisation: c.org_id,
            link: c.seq,
            head: hex::encode(c.head),
            made_at: c.made_at.to_rfc3339_opts(SecondsFormat::Micros, true),
            public_key: hex::encode(c.public_key),
            signature: hex::encode(c.signature),
        }
    }
}

/// Walks the chain and, when it holds, signs its head and keeps the checkpoint.
pub async fn make_checkpoint(
    pool: &PgPool,
    org_id: Uuid,
    keys: &SecretKeys,
) -> Result<Checkpoint, AppError> {
    let verified = verify(pool, org_id).await?;
    sign_head(pool, org_id, keys, verified).await
}

/// Signs the head of a chain just walked and keeps the checkpoint.
async fn sign_head(
    pool: &PgPool,
    org_id: Uuid,
    keys: &SecretKeys,
    verified: Verified,
) -> Result<Checkpoint, AppError> {
    if let Some(broken) = verified.broken {
        return Err(AppError::Conflict(format!(
            "The audit chain is broken ({}); no checkpoint is signed.",
            broken.words()
        )));
    }
    let Some(head) = verified.head.filter(|_| verified.up_to > 0) else {
        return Err(AppError::Conflict(
            "Nothing is sealed yet; a checkpoint follows the first sealed event.".into(),
        ));
    };
    let made_at = Utc::now().trunc_subsecs(6);
    let message = checkpoint_message(
        &org_id.to_string(),
        verified.up_to,
        &head,
        &made_at.to_rfc3339_opts(SecondsFormat::Micros, true),
    );
    let key = keys.checkpoint_key();
    let stored = db::audit_chain::StoredCheckpoint {
        org_id,
        made_at,
        seq: verified.up_to,
        head: hex::decode(&head).map_err(AppError::internal)?,
        public_key: key.verifying_key().to_bytes().to_vec(),
        signature: key.sign(message.as_bytes()).to_bytes().to_vec(),
    };
    db::audit_chain::insert_checkpoint(pool, &stored).await?;
    Ok(stored.into())
}

pub async fn latest_checkpoint(pool: &PgPool, org_id: Uuid) -> Result<Checkpoint, AppError> {
    db::audit_chain::latest_checkpoint(pool, org_id)
        .await?
        .map(Checkpoint::from)
        .ok_or_else(|| {
            AppError::NotFound(
                "No checkpoint has been signed yet: one is made each day the chain holds, or with `gatehouse audit checkpoint`.".into(),
            )
        })
}

/// Whether `c` is signed by its key and the chain still runs through its head; the
/// problem in words if not.
pub async fn check_checkpoint(
    pool: &PgPool,
    c: &Checkpoint,
) -> Result<Result<(), String>, AppError> {
    let bytes = |hex_text: &str| hex::decode(hex_text).unwrap_or_default();
    let Ok(key) = <[u8; 32]>::try_from(bytes(&c.public_key))
        .map_err(|_| ())
        .and_then(|k| VerifyingKey::from_bytes(&k).map_err(|_| ()))
    else {
        return Ok(Err("its public key cannot be read".into()));
    };
    let Ok(signature) = <[u8; 64]>::try_from(bytes(&c.signature)) else {
        return Ok(Err("its signature cannot be read".into()));
    };
    let message = checkpoint_message(&c.organisation.to_string(), c.link, &c.head, &c.made_at);
    if key
        .verify_strict(message.as_bytes(), &Signature::from_bytes(&signature))
        .is_err()
    {
        return Ok(Err("its signature does not match what it says".into()));
    }
    match db::audit_chain::link_hash(pool, c.organisation, c.link).await? {
        Some(hash) if hex::encode(hash) == c.head.to_lowercase() => Ok(Ok(())),
        Some(_) => Ok(Err(format!(
            "link {} no longer has the hash it was signed with: the trail was rewritten",
            c.link
        ))),
        None => Ok(Err(format!("link {} is gone", c.link))),
    }
}

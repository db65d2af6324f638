//! The audit trail's hash chain: the demo's trail verifies; an event changed or
//! deleted behind the console's back (as the database owner, with the append-only
//! trigger switched off) is named, by `gatehouse audit verify` too, which then exits
//! non-zero; the runtime role cannot rewrite links or salts; the audit page shows the
//! last walk to readers of every account.

use std::process::Command;

use crate::common::spawn_demo;

/// A secret key for the command line's signing (32 bytes, base64).
const KEY: &str = "Z2F0ZWhvdXNlIGF1ZGl0IGNoYWluIHRlc3Qga2V5ISE=";
use app::service::audit_chain::{seal, verify};
use rules::audit_chain::Broken;

/// `gatehouse audit verify` against the test's database: exit status and output.
fn cli_verify(pool: &sqlx::PgPool) -> (bool, String) {
    cli(pool, &["audit", "verify"])
}

/// The binary with `args` against the test's database, with a fixed secret key.
fn cli(pool: &sqlx::PgPool, args: &[&str]) -> (bool, String) {
    let options = pool.connect_options();
    let base = std::env::var("DATABASE_URL").expect("the test command sets DATABASE_URL");
    let (server, query) = base.split_once('?').unwrap_or((base.as_str(), ""));
    let server = server.rsplit_once('/').map_or(server, |(s, _)| s);
    let url = format!(
        "{server}/{}?{query}",
        options.get_database().expect("a test database")
    );
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("GATEHOUSE_SECRET_KEY", KEY)
        .env_remove("GATEHOUSE_APP_DATABASE_URL")
        .output()
        .expect("the binary runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    (out.status.success(), text)
}

async fn behind_its_back(pool: &sqlx::PgPool, table: &str, trigger: &str, sql: &str) {
    let mut tx = pool.begin().await.unwrap();
    for statement in [
        format!("ALTER TABLE {table} DISABLE TRIGGER {trigger}"),
        sql.to_string(),
        format!("ALTER TABLE {table} ENABLE TRIGGER {trigger}"),
    ] {
        sqlx::query(&statement).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn the_chain_names_an_event_changed_or_deleted_behind_its_back(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let org: uuid::Uuid = sqlx::query_scalar("SELECT id FROM organisations")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    // A few sign-ins, each on the trail.
    let admin = app.demo_client("admin@northwind.example").await;
    for who in ["member", "approver", "auditor", "dpo"] {
        app.demo_client(&format!("{who}@northwind.example")).await;
    }
    let (whole, said) = cli_verify(&app.pool);
    assert!(whole, "{said}");
    assert!(said.contains("the chain holds"), "{said}");
    let links: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_chain")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(links, events, "the CLI sealed every event first");

    // A signed checkpoint of the head, made from the command line, exported to whoever
    // may export the trail, and checked against the chain.
    let (made, printed) = cli(&app.pool, &["audit", "checkpoint"]);
    assert!(made, "{printed}");
    let checkpoint: app::service::audit_chain::Checkpoint = serde_json::from_str(&printed).unwrap();
    assert_eq!(checkpoint.link, links);
    let exported = admin
        .get(app.url("/audit/checkpoint.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(exported.status().as_u16(), 200);
    let exported: app::service::audit_chain::Checkpoint = exported.json().await.unwrap();
    assert_eq!(exported, checkpoint);
    let file = std::env::temp_dir().join(format!("checkpoint-{org}.json"));
    std::fs::write(&file, &printed).unwrap();
    let file = file.to_string_lossy().to_string();
    let (whole, said) = cli(&app.pool, &["audit", "verify", "--checkpoint", &file]);
    assert!(
        whole && said.contains(&format!("the checkpoint of link {links} made")),
        "{said}"
    );
    let mut forged = checkpoint.clone();
    forged.link -= 1;
    assert_eq!(
        app::service::audit_chain::check_checkpoint(&app.pool, &forged)
            .await
            .unwrap(),
        Err("its signature does not match what it says".into())
    );

    // The runtime role may add links, never rewrite or drop them or their salts.
    let runtime =
        gatehouse_server::database::runtime_pool((*app.pool.connect_options()).clone(), true)
            .await
            .unwrap();
    for refused in [
        "UPDATE audit_chain SET hash = hash",
        "DELETE FROM audit_chain",
        "DELETE FROM audit_salts",
        "UPDATE audit_salts SET salt = salt",
    ] {
        assert!(
            sqlx::query(refused).execute(&runtime).await.is_err(),
            "{refused}"
        );
    }

    // One event changed: verify names it, the CLI too, and fails.
    let (event, seq): (i64, i64) = sqlx::query_as(
        "SELECT event_id, seq FROM audit_chain WHERE org_id = $1 ORDER BY seq OFFSET 2 LIMIT 1",
    )
    .bind(org)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (label, reason): (String, Option<String>) =
        sqlx::query_as("SELECT actor_label, reason FROM audit_events WHERE id = $1")
            .bind(event)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let trigger = "audit_events_no_update_or_delete";
    let set = |column: &str, value: &str| {
        format!("UPDATE audit_events SET {column} = {value} WHERE id = {event}")
    };
    behind_its_back(
        &app.pool,
        "audit_events",
        trigger,
        &set("actor_label", "'Nobody at all'"),
    )
    .await;
    let found = verify(&app.pool, org).await.unwrap();
    assert_eq!(found.broken, Some(Broken::EventChanged { seq, event }));
    assert_eq!(found.up_to, seq - 1);
    let (whole, said) = cli_verify(&app.pool);
    assert!(!whole);
    assert!(
        said.contains(&format!("event {event} (link {seq}) was changed")),
        "{said}"
    );

    // The audit page shows the broken chain to a reader of every account.
    let (status, page) = app.json(&admin, "/api/audit/events", "query[page]=0").await;
    assert_eq!(status, 200);
    let broken = page["chain"]["broken"].as_str().unwrap_or_default();
    assert!(broken.contains(&format!("event {event}")), "{page}");

    // Put back, it holds again; its reason changed instead, that is named.
    let quoted = |t: &str| format!("'{}'", t.replace('\'', "''"));
    behind_its_back(
        &app.pool,
        "audit_events",
        trigger,
        &set("actor_label", &quoted(&label)),
    )
    .await;
    assert_eq!(verify(&app.pool, org).await.unwrap().broken, None);
    behind_its_back(
        &app.pool,
        "audit_events",
        trigger,
        &set("reason", "'Edited later'"),
    )
    .await;
    assert_eq!(
        verify(&app.pool, org).await.unwrap().broken,
        Some(Broken::PersonalTextChanged { seq, event })
    );
    let original = reason.as_deref().map_or("NULL".to_string(), quoted);
    behind_its_back(
        &app.pool,
        "audit_events",
        trigger,
        &set("reason", &original),
    )
    .await;
    assert_eq!(verify(&app.pool, org).await.unwrap().broken, None);

    // An event deleted: named; its link deleted too: the gap is named.
    behind_its_back(
        &app.pool,
        "audit_events",
        trigger,
        &format!("DELETE FROM audit_events WHERE id = {event}"),
    )
    .await;
    assert_eq!(
        verify(&app.pool, org).await.unwrap().broken,
        Some(Broken::EventMissing { seq, event })
    );
    behind_its_back(
        &app.pool,
        "audit_chain",
        "audit_chain_no_update_or_delete",
        &format!("DELETE FROM audit_chain WHERE org_id = '{org}' AND seq = {seq}"),
    )
    .await;
    let broken = verify(&app.pool, org).await.unwrap().broken.unwrap();
    assert_eq!(
        broken,
        Broken::Gap {
            after: seq - 1,
            next: seq + 1
        }
    );
    let (whole, said) = cli_verify(&app.pool);
    assert!(!whole);
    assert!(said.contains(&broken.words()), "{said}");

    // The chain rewritten through the checkpoint's head: the checkpoint says so.
    behind_its_back(
        &app.pool,
        "audit_chain",
        "audit_chain_no_update_or_delete",
        &format!(
            "UPDATE audit_chain SET hash = sha256(hash) WHERE org_id = '{org}' AND seq = {}",
            checkpoint.link
        ),
    )
    .await;
    let (whole, said) = cli(&app.pool, &["audit", "verify", "--checkpoint", &file]);
    assert!(!whole);
    assert!(said.contains("the trail was rewritten"), "{said}");
    // Sealing again neither repairs nor hides anything.
    seal(&app.pool, org, app::service::audit_chain::LATE)
        .await
        .unwrap();
    assert!(verify(&app.pool, org).await.unwrap().broken.is_some());
}

/// The server's daily round: every organisation's chain is sealed, walked and, when it
/// holds, its head signed; a chain walked within the day is left until the next.
#[sqlx::test(migrations = "../migrations")]
async fn the_daily_round_walks_each_chain_and_signs_its_head(pool: sqlx::PgPool) {
    use app::service::audit_chain::{latest_checkpoint, seal_everyone, verify_when_due};
    let app = spawn_demo(pool).await;
    let keys = app::service::secrets::SecretKeys::from_base64(KEY, None).unwrap();
    let org: uuid::Uuid = sqlx::query_scalar("SELECT id FROM organisations")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(latest_checkpoint(&app.pool, org).await.is_err());
    assert!(
        seal_everyone(&app.pool, app::service::audit_chain::LATE)
            .await
            .unwrap()
            > 0
    );
    let day_ago = chrono::Utc::now() - chrono::Duration::hours(24);
    let broken = verify_when_due(&app.pool, day_ago, &keys).await.unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    let first = latest_checkpoint(&app.pool, org).await.unwrap();
    assert_eq!(
        app::service::audit_chain::check_checkpoint(&app.pool, &first)
            .await
            .unwrap(),
        Ok(())
    );
    assert_eq!(
        first.public_key,
        hex::encode(keys.checkpoint_key().verifying_key().to_bytes())
    );
    verify_when_due(&app.pool, day_ago, &keys).await.unwrap();
    let checkpoints: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_checkpoints")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(checkpoints, 1, "walked within the day: not again");

    // The last event and its link cut away: what is left holds, but not through the
    // signed head.
    for (table, trigger, sql) in [
        (
            "audit_events",
            "audit_events_no_update_or_delete",
            format!("DELETE FROM audit_events WHERE id = (SELECT event_id FROM audit_chain WHERE seq = {})", first.link),
        ),
        (
            "audit_chain",
            "audit_chain_no_update_or_delete",
            format!("DELETE FROM audit_chain WHERE seq = {}", first.link),
        ),
    ] {
        behind_its_back(&app.pool, table, trigger, &sql).await;
    }
    let found = app::service::audit_chain::verify(&app.pool, org)
        .await
        .unwrap();
    assert_eq!(found.up_to, first.link - 1);
    assert_eq!(
        found.broken,
        Some(Broken::BehindCheckpoint {
            held: first.link - 1,
            checkpoint: first.link,
            problem: format!("link {} is gone", first.link),
        })
    );
}

/// An event whose transaction committed after later ones were sealed (a smaller id, an
/// earlier time) is still sealed: by the next round when it is minutes old, by the
/// hourly look back when it is older; and the chain holds.
#[sqlx::test(migrations = "../migrations")]
async fn events_committed_late_are_sealed_all_the_same(pool: sqlx::PgPool) {
    use app::service::audit_chain::{LATE, RECENT};
    let app = spawn_demo(pool).await;
    let org: uuid::Uuid = sqlx::query_scalar("SELECT id FROM organisations")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(seal(&app.pool, org, RECENT).await.unwrap() > 0);
    // Written as if by transactions that began 5 minutes and 3 hours before the head's
    // event and committed only now, numbered below every sealed event.
    for (minutes, id) in [(5, -1), (180, -2)] {
        sqlx::query(
            "INSERT INTO audit_events (org_id, id, occurred_at, actor_label, action, target_type) \
             OVERRIDING SYSTEM VALUE \
             SELECT $1, $2, max(occurred_at) - make_interval(mins => $3), 'late', 'late.commit', 'test' \
             FROM audit_events WHERE org_id = $1",
        )
        .bind(org)
        .bind(id)
        .bind(minutes)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    let sealed_at = |id: i64| {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM audit_chain WHERE event_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
    };
    assert_eq!(seal(&app.pool, org, RECENT).await.unwrap(), 1);
    assert_eq!(
        sealed_at(-1).await.unwrap(),
        1,
        "minutes late: the next round"
    );
    assert_eq!(
        sealed_at(-2).await.unwrap(),
        0,
        "hours late: not every round"
    );
    assert_eq!(seal(&app.pool, org, LATE).await.unwrap(), 1);
    assert_eq!(
        sealed_at(-2).await.unwrap(),
        1,
        "the hourly look back finds it"
    );
    let verified = verify(&app.pool, org).await.unwrap();
    assert_eq!(verified.broken, None);
    assert_eq!(verified.unsealed, 0);
}

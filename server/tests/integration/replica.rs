//! A hot standby for the read-heavy pages, made by PostgreSQL's own streaming
//! replication (`pg_basebackup` from a primary, both on this machine): the reports and
//! the audit trail read from it while writes, sign-ins and decisions go to the primary;
//! a standby held back is named on the page, and one that stops answering is not read
//! from.

use std::time::{Duration, Instant};

use gatehouse_server::embedded_pg::EmbeddedPostgres;
use gatehouse_server::{database, demo};
use serde_json::Value;

use crate::common::{client, serve, test_config};

async fn call(c: &reqwest::Client, base: &str, path: &str, body: &str) -> (u16, Value) {
    let response = c
        .post(format!("{base}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The actions on the first page of the audit trail, as the page reads them.
async fn audit_actions(c: &reqwest::Client, base: &str) -> Vec<String> {
    let (status, page) = call(c, base, "/api/audit/events", "query[page]=0").await;
    assert_eq!(status, 200, "{page}");
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

/// Asks `until` every 100 ms for up to `within`; panics with `what` if it never holds.
async fn eventually<F, Fut>(within: Duration, what: &str, mut until: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !until().await {
        assert!(start.elapsed() < within, "{what} within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_read_heavy_pages_read_from_a_standby_and_say_when_it_lags() {
    let dir = std::env::temp_dir().join(format!("gatehouse-replica-{}", uuid::Uuid::new_v4()));
    let mut config = test_config();
    config.data_dir = dir.clone();
    let db = database::open(&config).await.expect("the primary starts");
    demo::load(&db.pool).await.expect("the demo loads");
    let primary = EmbeddedPostgres::new(&dir.join("postgres")).unwrap();
    let standby = EmbeddedPostgres::new(&dir.join("standby")).unwrap();
    assert!(
        standby.start_standby_of(&primary).unwrap(),
        "the standby starts"
    );
    let superuser = sqlx::PgPool::connect(&standby.url("gatehouse"))
        .await
        .unwrap();
    let in_recovery: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(&superuser)
        .await
        .unwrap();
    assert!(in_recovery, "a hot standby, read-only");

    config.read_database_url = Some(standby.url("gatehouse"));
    let keys = config.secret_keys().unwrap();
    let base = serve(db.pool.clone(), &config, keys).await;
    let admin = client();
    let body = serde_urlencoded::to_string([
        ("email", demo::CONSOLE_USERS[0].0),
        ("password", demo::PASSWORD),
    ])
    .unwrap();
    let (status, said) = call(&admin, &base, "/api/auth/login", &body).await;
    assert!(status < 400, "the sign-in writes to the primary: {said}");

    // The standby replays the sign-in; the audit trail, read from it, shows it.
    eventually(Duration::from_secs(10), "the sign-in shows", || async {
        audit_actions(&admin, &base)
            .await
            .contains(&"auth.sign_in".to_string())
    })
    .await;

    // Replay held back: a change made now is on the primary only.
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&superuser)
        .await
        .unwrap();
    let before = audit_actions(&admin, &base).await;
    let (status, made) = call(
        &admin,
        &base,
        "/api/accounts/create",
        "name=Standby+Test+Ltd&region=EU",
    )
    .await;
    assert_eq!(status, 200, "a write goes to the primary: {made}");
    let created: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'account.created' AND target_label = 'Standby Test Ltd'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(created, 1, "the primary has it");
    // The accounts list reads the primary (it is no report): the new account is there.
    let (_, accounts) = call(&admin, &base, "/api/accounts/list", "").await;
    assert!(
        accounts.to_string().contains("Standby Test Ltd"),
        "{accounts}"
    );
    // The audit trail reads the standby, which has not replayed it.
    assert_eq!(audit_actions(&admin, &base).await, before);
    // More than a few seconds behind, the page says so.
    eventually(Duration::from_secs(15), "the lag is told", || async {
        let (_, lag) = call(&admin, &base, "/api/reads/lag", "").await;
        lag.as_i64().is_some_and(|s| s > 5)
    })
    .await;

    // Replay resumed: the standby catches up, and the notice goes.
    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(&superuser)
        .await
        .unwrap();
    eventually(
        Duration::from_secs(10),
        "the standby catches up",
        || async {
            audit_actions(&admin, &base)
                .await
                .contains(&"account.created".to_string())
        },
    )
    .await;
    eventually(Duration::from_secs(5), "the notice goes", || async {
        call(&admin, &base, "/api/reads/lag", "").await.1 == Value::Null
    })
    .await;

    // A standby that stops answering is not read from: the primary serves the pages.
    superuser.close().await;
    standby.stop().unwrap();
    eventually(
        Duration::from_secs(5),
        "the primary serves the audit trail",
        || async {
            call(&admin, &base, "/api/audit/events", "query[page]=0")
                .await
                .0
                == 200
        },
    )
    .await;
    let (status, _) = call(&admin, &base, "/api/reports/dormant", "query[page]=0").await;
    assert_eq!(status, 200);

    db.pool.close().await;
    primary.stop().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

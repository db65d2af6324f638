//! Faults: the database going away under the running server, on a PostgreSQL cluster of
//! the test's own (the other tests share theirs).

use std::time::{Duration, Instant};

use gatehouse_server::database;
use gatehouse_server::embedded_pg::EmbeddedPostgres;

use crate::common::{client, serve, test_config};

/// A server function, a page and an `/api/v1` call: what each answers, and how fast.
async fn answers(c: &reqwest::Client, base: &str) -> Vec<(u16, Duration)> {
    let mut out = vec![];
    for request in [
        c.post(format!("{base}/api/auth/me"))
            .header("content-type", "application/x-www-form-urlencoded"),
        c.get(format!("{base}/login")),
        c.post(format!("{base}/api/v1/decisions"))
            .header("content-type", "application/json")
            .body("{}"),
    ] {
        let started = Instant::now();
        let status = request.send().await.unwrap().status().as_u16();
        out.push((status, started.elapsed()));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_away_requests_get_503_at_once_and_are_served_again_soon_after() {
    let dir = std::env::temp_dir().join(format!("gatehouse-faults-{}", uuid::Uuid::new_v4()));
    let mut config = test_config();
    config.data_dir = dir.clone();
    let db = database::open(&config)
        .await
        .expect("the private cluster starts");
    let cluster = EmbeddedPostgres::new(&dir.join("postgres")).unwrap();
    let keys = config.secret_keys().unwrap();
    let base = serve(db.pool.clone(), &config, keys).await;
    let c = client();

    let up = answers(&c, &base).await;
    assert_eq!(
        up.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [200, 200, 401],
        "{up:?}"
    );

    cluster.stop().unwrap();
    // The first requests after it went may find that out themselves; within a second
    // or two every request is answered 503 at once.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    for _ in 0..3 {
        let away = answers(&c, &base).await;
        for (status, took) in &away {
            assert_eq!(*status, 503, "{away:?}");
            assert!(*took < Duration::from_secs(1), "{away:?}");
        }
    }
    let health = c.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "the process is up");
    let ready = c.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let said = c
        .post(format!("{base}/api/auth/me"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(said.contains("Unavailable"), "{said}");

    cluster.start().unwrap();
    let back = Instant::now();
    loop {
        let now = answers(&c, &base).await;
        if now.iter().map(|(s, _)| *s).collect::<Vec<_>>() == [200, 200, 401] {
            eprintln!(
                "served again {:?} after the database returned",
                back.elapsed()
            );
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "still not served 5 s after the database returned: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    db.pool.close().await;
    cluster.stop().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The server binary, on its own port, against the test's database.
async fn server_process(database_url: &str, port: u16) -> tokio::process::Child {
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("serve")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env("DATABASE_URL", database_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env(
            "GATEHOUSE_SECRET_KEY",
            app::service::secrets::SecretKeys::generate_base64(),
        )
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the server binary starts");
    let c = client();
    for _ in 0..200 {
        if c.get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok()
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not start");
}

/// The URL of the test's own database (`DATABASE_URL` names the cluster).
fn url_of(pool: &sqlx::PgPool) -> String {
    let cluster = std::env::var("DATABASE_URL").expect("DATABASE_URL names the test cluster");
    let (base, query) = cluster.split_once('?').unwrap_or((&cluster, ""));
    let (server, _) = base.rsplit_once('/').unwrap();
    let database = pool.connect_options().get_database().unwrap().to_string();
    format!("{server}/{database}?{query}")
}

const BATCH: usize = 200;

#[sqlx::test(migrations = "../migrations")]
async fn a_server_killed_in_the_middle_of_ingestion_keeps_every_acknowledged_batch_whole(
    pool: sqlx::PgPool,
) {
    let app = crate::common::spawn_demo(pool.clone()).await;
    let token = crate::activity::crm_token(&app).await;
    let url = url_of(&pool);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = server_process(&url, port).await;

    // Two senders post batches back to back; each remembers what was acknowledged.
    let at = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    let senders: Vec<_> = (0..2)
        .map(|sender| {
            let (token, at) = (token.clone(), at.clone());
            tokio::spawn(async move {
                let c = client();
                let mut acknowledged = vec![];
                for batch in 0.. {
                    let events: Vec<_> = (0..BATCH)
                        .map(|i| {
                            serde_json::json!({
                                "id": format!("s{sender}-b{batch}-e{i}"),
                                "principal": "member@northwind.example",
                                "permission": "contacts.view",
                                "at": at,
                            })
                        })
                        .collect();
                    let answer = c
                        .post(format!("http://127.0.0.1:{port}/api/v1/activity"))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({ "events": events }))
                        .send()
                        .await;
                    let Ok(answer) = answer else { break };
                    let Ok(report) = answer.json::<serde_json::Value>().await else {
                        break;
                    };
                    assert_eq!(report["recorded"], BATCH, "{report}");
                    acknowledged.push(format!("s{sender}-b{batch}"));
                }
                acknowledged
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(2000)).await;
    server.kill().await.unwrap(); // SIGKILL: no chance to finish anything
    let mut acknowledged = vec![];
    for sender in senders {
        acknowledged.extend(sender.await.unwrap());
    }
    assert!(acknowledged.len() >= 2, "{acknowledged:?}");

    // After a restart, every acknowledged batch is there whole, and no batch is there
    // in part.
    let mut again = server_process(&url, port).await;
    let batches: Vec<(String, i64)> = sqlx::query_as(
        "SELECT substring(event_id from '^(s[0-9]+-b[0-9]+)-'), count(*) FROM activity_events \
         WHERE event_id LIKE 's%-b%-e%' GROUP BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for (batch, count) in &batches {
        assert_eq!(*count, BATCH as i64, "batch {batch} is there in part");
    }
    for batch in &acknowledged {
        assert!(
            batches.iter().any(|(b, _)| b == batch),
            "acknowledged batch {batch} was lost"
        );
    }
    eprintln!(
        "{} batches acknowledged before the kill, {} in the database after the restart",
        acknowledged.len(),
        batches.len()
    );
    again.kill().await.unwrap();
}

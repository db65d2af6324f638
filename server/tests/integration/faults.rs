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

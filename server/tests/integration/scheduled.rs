//! The scheduled job: grants past their end are marked expired once with an audit
//! event, stale requests expire, grants nearing their end are announced once; two
//! instances running it at the same moment do each row exactly once.

use chrono::{Duration, Utc};
use uuid::Uuid;

use crate::common::{spawn_demo, TestApp};
use crate::requests::{acme, ask, principal, request_id, role, status_of};

/// A direct grant of `bundle` to `who` that ran from `from_days` to `until_days` from now.
async fn grant(app: &TestApp, who: Uuid, bundle: Uuid, from_days: i64, until_days: i64) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO grants (org_id, id, principal_id, role_id, valid_from, valid_until, reason) \
         SELECT org_id, gen_random_uuid(), id, $2, now() + make_interval(days => $3), \
                now() + make_interval(days => $4), 'Scheduled-job test' \
         FROM principals WHERE id = $1 RETURNING id",
    )
    .bind(who)
    .bind(bundle)
    .bind(from_days as i32)
    .bind(until_days as i32)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn two_instances_expire_each_grant_and_request_once(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let member = app.demo_client("member@northwind.example").await;
    let me = principal(&app, "member@northwind.example").await;
    let bundle = role(&app, false).await;
    let (status, created) = ask(&app, &member, me, bundle, acme(&app).await).await;
    assert_eq!(status, 200, "{created}");
    let stale = request_id(&created);
    let mut ended = Vec::new();
    for _ in 0..300 {
        ended.push(grant(&app, me, bundle, -10, -1).await);
    }
    let ending = grant(&app, me, bundle, -1, 3).await;
    let later = grant(&app, me, bundle, -1, 20).await;
    sqlx::query("UPDATE access_requests SET created_at = now() - interval '31 days' WHERE id = $1")
        .bind(stale)
        .execute(&app.pool)
        .await
        .unwrap();

    let now = Utc::now();
    // The demo organisation has ended and ending grants of its own.
    let (due, ending_soon): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE valid_until <= $1), \
                count(*) FILTER (WHERE valid_until > $1 AND valid_until <= $1 + interval '7 days') \
         FROM grants WHERE expired_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(due >= 300 && ending_soon >= 1);
    let max_age = Duration::days(30);
    let (a, b) = tokio::join!(
        app::service::expiry::run(&app.pool, now, max_age),
        app::service::expiry::run(&app.pool, now, max_age),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.grants_expired + b.grants_expired) as i64, due);
    assert_eq!(a.requests_expired + b.requests_expired, 1);
    assert_eq!((a.grants_announced + b.grants_announced) as i64, ending_soon);

    let audited: Vec<(String, i64)> = sqlx::query_as(
        "SELECT target_id, count(*) FROM audit_events WHERE action = 'grant.expired' GROUP BY target_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited.len() as i64, due);
    assert!(audited.iter().all(|(_, n)| *n == 1), "one event per grant");
    let unmarked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM grants WHERE id = ANY($1) AND expired_at IS NULL")
            .bind(&ended)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(unmarked, 0);
    let (actor, label): (String, String) = sqlx::query_as(
        "SELECT actor_label, target_label FROM audit_events WHERE action = 'grant.expired' LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(actor, "Gatehouse (scheduled job)");
    assert!(label.contains('\u{2192}'), "{label}");
    assert_eq!(status_of(&app, stale).await, "expired");
    let notified: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM grants WHERE ending_notified_at IS NOT NULL")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(notified.len() as i64, ending_soon);
    assert!(notified.contains(&ending));
    assert!(!notified.contains(&later));

    // Nothing left for the next round.
    let again = app::service::expiry::run(&app.pool, Utc::now(), max_age)
        .await
        .unwrap();
    assert_eq!(
        (
            again.grants_expired,
            again.requests_expired,
            again.grants_announced
        ),
        (0, 0, 0)
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_ended_grant_stops_counting_before_the_job_runs(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let me = principal(&app, "member@northwind.example").await;
    let bundle = role(&app, false).await;
    let gone = grant(&app, me, bundle, -3, -1).await;
    let (status, detail) = app
        .json(&admin, "/api/principals/detail", &format!("principal={me}"))
        .await;
    assert_eq!(status, 200);
    let has = |list: &str| {
        detail[list]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["id"] == gone.to_string())
    };
    assert!(!has("current_grants"), "an ended grant is not in force");
    assert!(has("other_grants"), "it is shown apart");
}

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
    let revoked = grant(&app, me, bundle, -10, -1).await;
    sqlx::query(
        "UPDATE grants SET revoked_at = valid_until - interval '1 day', revoke_reason = 'Left early' \
         WHERE id = $1",
    )
    .bind(revoked)
    .execute(&app.pool)
    .await
    .unwrap();
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
         FROM grants WHERE revoked_at IS NULL",
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
    assert_eq!(
        (a.grants_announced + b.grants_announced) as i64,
        ending_soon
    );

    let audited: Vec<(String, i64)> = sqlx::query_as(
        "SELECT target_id, count(*) FROM audit_events WHERE action = 'grant.expired' GROUP BY target_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited.len() as i64, due);
    assert!(audited.iter().all(|(_, n)| *n == 1), "one event per grant");
    let ours = ended.iter().map(Uuid::to_string).collect::<Vec<_>>();
    let marked = audited.iter().filter(|(id, _)| ours.contains(id)).count();
    assert_eq!(marked, ended.len(), "each of our ended grants is marked");
    let revoked = revoked.to_string();
    assert!(
        !audited.iter().any(|(id, _)| *id == revoked),
        "a grant revoked before its end did not expire"
    );
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

/// A grant of `role` on `account`, in force for 20 days now and ending in 5.
pub(crate) async fn ending_soon(app: &TestApp, principal: Uuid, role: Uuid, account: Uuid) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO grants (org_id, id, principal_id, role_id, account_id, valid_from, valid_until, reason) \
         SELECT org_id, gen_random_uuid(), id, $2, $3, now() - interval '20 days', now() + interval '5 days', \
                'Quarterly reporting for Acme' FROM principals WHERE id = $1 RETURNING id",
    )
    .bind(principal)
    .bind(role)
    .bind(account)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn an_approver_sees_grants_ending_and_asks_for_one_renewal(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let approver = app.demo_client("approver@northwind.example").await;
    let admin = app.demo_client("admin@northwind.example").await;
    let me = principal(&app, "member@northwind.example").await;
    let bundle = role(&app, false).await;
    let acme = acme(&app).await;
    let ending = ending_soon(&app, me, bundle, acme).await;
    let later = grant(&app, me, bundle, -1, 20).await;
    // On Acme, which the approver manages: a grant for every account is its owner's to renew.
    sqlx::query("UPDATE grants SET account_id = $1 WHERE id = $2")
        .bind(acme)
        .bind(later)
        .execute(&app.pool)
        .await
        .unwrap();

    let (status, week) = app.json(&approver, "/api/access/expiring", "days=7").await;
    assert_eq!(status, 200, "{week}");
    let listed = |list: &serde_json::Value, id: Uuid| {
        list.as_array()
            .unwrap()
            .iter()
            .any(|g| g["id"] == id.to_string())
    };
    assert!(listed(&week, ending));
    assert!(!listed(&week, later), "ends in 20 days");
    let (_, month) = app.json(&approver, "/api/access/expiring", "days=30").await;
    assert!(listed(&month, later));
    let (status, _) = app.json(&approver, "/api/access/expiring", "days=9").await;
    assert_eq!(status, 422);

    let (status, renewal) = app
        .json(&approver, "/api/access/renew", &format!("grant={ending}"))
        .await;
    assert_eq!(status, 200, "{renewal}");
    let request = request_id(&renewal);
    let (renews, days, justification): (Option<Uuid>, Option<i32>, String) = sqlx::query_as(
        "SELECT renews_grant_id, duration_days, justification FROM access_requests WHERE id = $1",
    )
    .bind(request)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(renews, Some(ending));
    assert!(days.is_some_and(|d| (1..=30).contains(&d)));
    assert!(justification.contains("Quarterly reporting for Acme"));
    let (status, again) = app
        .json(&approver, "/api/access/renew", &format!("grant={ending}"))
        .await;
    assert_eq!(status, 409, "one renewal at a time: {again}");
    let (_, week) = app.json(&approver, "/api/access/expiring", "days=7").await;
    let row = week
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == ending.to_string())
        .cloned()
        .unwrap();
    assert_eq!(row["renewal_pending"], true);
    // The one who asked does not decide it; another approver does.
    let (status, _) = crate::requests::decide(&app, &approver, request, true, "").await;
    assert_eq!(status, 409);
    let (status, outcome) = crate::requests::decide(&app, &admin, request, true, "").await;
    assert_eq!((status, outcome.as_str()), (200, Some("approved")));
}

//! Access packages: made by an admin, asked for once, approved step by step by whom the
//! package names (nobody else), given as grants that end together and are revoked
//! together, reviewed on schedule; and what a package may not be made to do.

use serde_json::Value;
use uuid::Uuid;

use crate::common::{spawn_demo, TestApp};
use app::service::lifecycle;

const ADMIN: &str = "admin@northwind.example";
const APPROVER: &str = "approver@northwind.example";
const DPO: &str = "dpo@northwind.example";
const MEMBER: &str = "member@northwind.example";

/// Two roles of two governed applications, nothing high-impact, no cap under 30 days:
/// "Application / Role" lines.
async fn plain_roles(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT DISTINCT ON (a.name) a.name || ' / ' || r.name FROM roles r \
         JOIN applications a ON a.org_id = r.org_id AND a.id = r.application_id \
         WHERE NOT a.is_console AND (a.max_grant_days IS NULL OR a.max_grant_days >= 30) \
           AND EXISTS (SELECT 1 FROM role_permissions rp WHERE rp.role_id = r.id) \
           AND NOT EXISTS (SELECT 1 FROM role_permissions rp JOIN permissions p ON p.org_id = rp.org_id AND p.id = rp.permission_id \
                           WHERE rp.role_id = r.id AND p.high_impact) \
         ORDER BY a.name, r.name LIMIT 2",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

async fn person(app: &TestApp, email: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM principals WHERE email = $1")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

/// Makes a package as the admin; answers (status, answer).
async fn make(app: &TestApp, who: &reqwest::Client, fields: &[(&str, &str)]) -> (u16, Value) {
    let mut pairs = vec![
        ("name", "Support starter"),
        ("for_kinds[]", "human"),
        ("first_approver", "manager"),
        ("max_days", "30"),
    ];
    for (key, value) in fields {
        pairs.retain(|(k, _)| k != key);
        pairs.push((key, value));
    }
    let named: Vec<(String, &str)> = pairs
        .iter()
        .map(|(k, v)| match k.strip_suffix("[]") {
            Some(list) => (format!("package[{list}][]"), *v),
            None => (format!("package[{k}]"), *v),
        })
        .collect();
    app.json(
        who,
        "/api/packages/create",
        &serde_urlencoded::to_string(&named).unwrap(),
    )
    .await
}

async fn ask(
    app: &TestApp,
    who: &reqwest::Client,
    package: Uuid,
    principal: Uuid,
    days: &str,
) -> (u16, Value) {
    let body = form(&[
        ("package", &package.to_string()),
        ("principal", &principal.to_string()),
        ("days", days),
        ("justification", "Joining the support rota next week"),
    ]);
    app.json(who, "/api/packages/request", &body).await
}

async fn decide(
    app: &TestApp,
    who: &reqwest::Client,
    request: Uuid,
    approve: bool,
    comment: &str,
) -> (u16, Value) {
    let body = form(&[
        ("request", &request.to_string()),
        ("approve", if approve { "true" } else { "false" }),
        ("comment", comment),
    ]);
    app.json(who, "/api/packages/decide", &body).await
}

/// The package's grants of a principal: (grant, ends, revoked).
async fn package_grants(
    app: &TestApp,
    principal: Uuid,
) -> Vec<(Uuid, chrono::DateTime<chrono::Utc>, bool)> {
    sqlx::query_as(
        "SELECT id, valid_until, revoked_at IS NOT NULL FROM grants \
         WHERE principal_id = $1 AND package_assignment_id IS NOT NULL ORDER BY id",
    )
    .bind(principal)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

fn uuid(answer: &Value) -> Uuid {
    answer.as_str().unwrap().parse().unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_package_is_asked_for_once_approved_in_two_steps_and_ends_together(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let (admin, approver, dpo, member) = (
        app.demo_client(ADMIN).await,
        app.demo_client(APPROVER).await,
        app.demo_client(DPO).await,
        app.demo_client(MEMBER).await,
    );
    let roles = plain_roles(&app).await;
    assert_eq!(
        roles.len(),
        2,
        "the demo has two plain roles in two applications"
    );
    let items = format!("{}\n{} / Acme Retail", roles[0], roles[1]);
    let (status, made) = make(
        &app,
        &admin,
        &[
            ("items", &items),
            ("second_approver", "named"),
            ("second_named", DPO),
            ("review_months", "1"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{made}");
    let package = uuid(&made);
    let (member_id, admin_id) = (person(&app, MEMBER).await, person(&app, ADMIN).await);

    // Longer than the package allows is refused next to the field.
    let (status, refused) = ask(&app, &member, package, member_id, "31").await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["Invalid"]["field"], "days");
    let (status, asked) = ask(&app, &member, package, member_id, "10").await;
    assert_eq!(status, 200, "{asked}");
    let request = uuid(&asked);
    let (status, again) = ask(&app, &member, package, member_id, "10").await;
    assert_eq!(status, 409, "one request waits at a time: {again}");

    // Only the step's approver sees and decides it: not another approver, not the
    // requester, not the second step's approver before the first.
    let (_, overview) = app.json(&approver, "/api/packages/overview", "").await;
    assert_eq!(overview["waiting"], serde_json::json!([]), "{overview}");
    let (status, _) = decide(&app, &approver, request, true, "").await;
    assert_eq!(status, 404);
    let (status, _) = decide(&app, &dpo, request, true, "").await;
    assert_eq!(status, 404, "the second step waits for the first");
    let (status, own) = decide(&app, &member, request, true, "").await;
    assert_eq!(status, 409, "{own}");
    let (_, overview) = app.json(&admin, "/api/packages/overview", "").await;
    assert_eq!(
        overview["waiting"][0]["id"],
        request.to_string(),
        "{overview}"
    );

    let (status, first) = decide(&app, &admin, request, true, "Fine by me").await;
    assert_eq!((status, first.as_str()), (200, Some("pending")), "{first}");
    assert!(
        package_grants(&app, member_id).await.is_empty(),
        "nothing given after one step"
    );
    let (status, _) = decide(&app, &admin, request, true, "").await;
    assert_eq!(status, 404, "the same person does not decide both steps");
    let (status, second) = decide(&app, &dpo, request, true, "").await;
    assert_eq!(
        (status, second.as_str()),
        (200, Some("approved")),
        "{second}"
    );
    let (status, _) = decide(&app, &approver, request, false, "Too late").await;
    assert_eq!(
        status, 404,
        "a decided request stays unknown to whom it does not concern"
    );
    let (status, _) = decide(&app, &member, request, true, "").await;
    assert_eq!(status, 409, "the requester learns it is decided");

    // One grant per role, ending together, with the package's name in the reason.
    let grants = package_grants(&app, member_id).await;
    assert_eq!(grants.len(), 2);
    assert_eq!(grants[0].1, grants[1].1, "they end together");
    let days = (grants[0].1 - chrono::Utc::now()).num_hours();
    assert!((239..=240).contains(&days), "ten days: {days} hours");
    let reason: String = sqlx::query_scalar("SELECT reason FROM grants WHERE id = $1")
        .bind(grants[0].0)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(
        reason.starts_with("Access package \u{201c}Support starter\u{201d}"),
        "{reason}"
    );
    let (status, held) = ask(&app, &member, package, member_id, "5").await;
    assert_eq!(status, 409, "{held}");
    assert!(held.to_string().contains("holds"), "{held}");
    let (_, detail) = app
        .json(
            &admin,
            "/api/principals/detail",
            &format!("principal={member_id}"),
        )
        .await;
    assert_eq!(
        detail["packages"][0]["package"], "Support starter",
        "{detail}"
    );
    assert_eq!(detail["packages"][0]["grants_in_force"], 2);
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_events WHERE target_id = $1 ORDER BY id")
            .bind(request.to_string())
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        actions,
        [
            "package_request.created",
            "package_request.approved_step",
            "package_request.approved"
        ]
    );

    // The scheduled review opens when due, asked of the member's manager.
    sqlx::query(
        "UPDATE package_assignments SET next_review_on = current_date WHERE principal_id = $1",
    )
    .bind(member_id)
    .execute(&app.pool)
    .await
    .unwrap();
    let round = lifecycle::run(&app.pool, chrono::Utc::now()).await.unwrap();
    assert_eq!(round.package_reviews_opened, 1);
    let (items, reviewer): (i64, Uuid) = sqlx::query_as(
        "SELECT count(*), min(i.reviewer_id::text)::uuid FROM review_campaigns c \
         JOIN review_items i ON i.org_id = c.org_id AND i.campaign_id = c.id \
         WHERE c.package_assignment_id IS NOT NULL AND c.closed_at IS NULL",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((items, reviewer), (2, admin_id));
    let next: Option<chrono::NaiveDate> = sqlx::query_scalar(
        "SELECT next_review_on FROM package_assignments WHERE principal_id = $1",
    )
    .bind(member_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(
        next.is_none_or(|d| d > chrono::Utc::now().date_naive()),
        "{next:?}"
    );

    // Revoking one grant revokes the package's other grant too.
    let body = form(&[
        ("grant", &grants[0].0.to_string()),
        ("reason", "Left the support rota"),
    ]);
    let (status, answer) = app.json(&admin, "/api/grants/revoke", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert!(package_grants(&app, member_id)
        .await
        .iter()
        .all(|(_, _, revoked)| *revoked));
    let sibling_reason: String =
        sqlx::query_scalar("SELECT revoke_reason FROM grants WHERE id = $1")
            .bind(grants[1].0)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(sibling_reason.contains("ends together"), "{sibling_reason}");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_package_is_checked_when_made_asked_for_and_retired(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let (admin, member, approver) = (
        app.demo_client(ADMIN).await,
        app.demo_client(MEMBER).await,
        app.demo_client(APPROVER).await,
    );
    let roles = plain_roles(&app).await;

    // Refused, each next to its field, and nothing written.
    let console_role = "Gatehouse Console / Governance admin";
    for (fields, field, words) in [
        (
            vec![("items", "Acme CRM / No such role")],
            "items",
            "Line 1",
        ),
        (
            vec![("items", roles[0].as_str()), ("max_days", "0")],
            "max_days",
            "from 1 to 366",
        ),
        (
            vec![("items", console_role)],
            "second_approver",
            "second approval step",
        ),
        (
            vec![
                ("items", roles[0].as_str()),
                ("first_approver", "named"),
                ("first_named", "nobody@nowhere.example"),
            ],
            "first_named",
            "nobody@nowhere.example",
        ),
        (
            vec![
                ("items", roles[0].as_str()),
                ("first_approver", "account_managers"),
            ],
            "first_approver",
            "named account",
        ),
        (
            vec![("items", roles[0].as_str()), ("for_criteria", "department")],
            "for_criteria",
            "",
        ),
    ] {
        let (status, refused) = make(&app, &admin, &fields).await;
        assert_eq!(status, 422, "{fields:?}: {refused}");
        assert_eq!(refused["Invalid"]["field"], field, "{refused}");
        assert!(
            refused["Invalid"]["message"]
                .as_str()
                .unwrap()
                .contains(words),
            "{refused}"
        );
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM access_packages")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
    // A member may not make one.
    let (status, _) = make(&app, &member, &[("items", roles[0].as_str())]).await;
    assert_eq!(status, 403);

    // Only for the Support department: the member is not in it.
    let (status, made) = make(
        &app,
        &admin,
        &[
            ("items", roles[0].as_str()),
            ("for_criteria", "department = Support"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{made}");
    let package = uuid(&made);
    let member_id = person(&app, MEMBER).await;
    let (status, refused) = ask(&app, &member, package, member_id, "7").await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["Invalid"]["field"], "principal");
    // Nor for someone they neither manage nor own.
    let (status, refused) = ask(&app, &member, package, person(&app, ADMIN).await, "7").await;
    assert_eq!(status, 422, "{refused}");
    sqlx::query("UPDATE principals SET attributes = attributes || '{\"department\": \"support\"}' WHERE id = $1")
        .bind(member_id)
        .execute(&app.pool)
        .await
        .unwrap();
    let (status, asked) = ask(&app, &member, package, member_id, "7").await;
    assert_eq!(status, 200, "{asked}");
    let request = uuid(&asked);

    // With no manager left to approve it, the request waits for nobody: a decision is
    // refused as for a request one may not see, not failed.
    let manager: Option<Uuid> =
        sqlx::query_scalar("UPDATE principals p SET manager_id = NULL FROM principals o WHERE p.id = $1 AND o.id = $1 RETURNING o.manager_id")
            .bind(member_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(manager.is_some(), "the member had a manager");
    let (status, refused) = decide(&app, &approver, request, true, "").await;
    assert_eq!(status, 404, "{refused}");
    sqlx::query("UPDATE principals SET manager_id = $2 WHERE id = $1")
        .bind(member_id)
        .bind(manager)
        .execute(&app.pool)
        .await
        .unwrap();

    // Retiring withdraws the waiting request; the package is no longer offered.
    let (status, _) = app
        .json(
            &approver,
            "/api/packages/retire",
            &format!("package={package}"),
        )
        .await;
    assert_eq!(status, 403, "an Approver does not retire packages");
    let (status, _) = app
        .json(
            &admin,
            "/api/packages/retire",
            &format!("package={package}"),
        )
        .await;
    assert_eq!(status, 200);
    let status: String =
        sqlx::query_scalar("SELECT status::text FROM package_requests WHERE id = $1")
            .bind(request)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(status, "cancelled");
    let (_, overview) = app.json(&member, "/api/packages/overview", "").await;
    assert_eq!(overview["packages"], serde_json::json!([]), "{overview}");
    assert_eq!(overview["mine"][0]["status"], "cancelled", "{overview}");
    let (status, _) = ask(&app, &member, package, member_id, "7").await;
    assert_eq!(status, 422);
}

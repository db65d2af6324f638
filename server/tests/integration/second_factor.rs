//! A second factor at sign-in: an authenticator app is set up with a code read back;
//! from then on a password alone does not sign in; a code is accepted once; a recovery
//! code stands in once; wrong codes are throttled; removing the app takes a code; each
//! step is on the trail.

use serde_json::Value;
use totp_rs::{Algorithm, Secret, Totp};

use crate::common::{client, spawn_demo, TestApp};
use gatehouse_server::demo;

const ADMIN: &str = "admin@northwind.example";

fn authenticator(secret: &str) -> Totp {
    let bytes = Secret::try_from_base32(secret).unwrap();
    totp_rs::Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_secret(bytes.as_ref().to_vec())
        .build()
        .unwrap()
}

fn now() -> u64 {
    chrono::Utc::now().timestamp() as u64
}

/// Six digits that are none of the codes good around now.
fn not_a_code(totp: &Totp) -> String {
    let good: Vec<String> = (0..=4)
        .map(|i| totp.generate(now() + i * 30 - 60).to_string())
        .collect();
    (0..)
        .map(|n| format!("{n:06}"))
        .find(|c| !good.contains(c))
        .unwrap()
}

/// The signed-in user's email, or null.
async fn me(app: &TestApp, c: &reqwest::Client) -> Value {
    app.json(c, "/api/auth/me", "").await.1
}

/// Signs in with the password: answers the client and where it was sent.
async fn password_step(app: &TestApp) -> (reqwest::Client, String) {
    let c = client();
    let response = app.sign_in(&c, ADMIN, demo::PASSWORD).await;
    let to = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (c, to)
}

async fn code_step(app: &TestApp, c: &reqwest::Client, code: &str) -> (u16, Value) {
    let body = serde_urlencoded::to_string([("code", code), ("next", "/audit")]).unwrap();
    app.json(c, "/api/auth/code", &body).await
}

/// Sets up an authenticator for the admin: answers its generator, recovery codes and
/// the time its code was confirmed at (that step's code is used up).
async fn enrol(app: &TestApp, admin: &reqwest::Client) -> (Totp, Vec<String>, u64) {
    let (status, enrolment) = app.json(admin, "/api/security/totp/start", "").await;
    assert_eq!(status, 200, "{enrolment}");
    let uri = enrolment["uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Gatehouse:admin%40northwind.example?"),
        "{uri}"
    );
    assert!(enrolment["qr_svg"].as_str().unwrap().contains("<svg"));
    let totp = authenticator(enrolment["secret"].as_str().unwrap());

    // Not on before a code is read back; a wrong code is refused on its field.
    let (status, body) = app
        .json(
            admin,
            "/api/security/totp/confirm",
            &format!("code={}", not_a_code(&totp)),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["Invalid"]["field"], "code");
    let at = now();
    let (status, codes) = app
        .json(
            admin,
            "/api/security/totp/confirm",
            &format!("code={}", totp.generate(at)),
        )
        .await;
    assert_eq!(status, 200, "{codes}");
    let codes: Vec<String> = serde_json::from_value(codes).unwrap();
    assert_eq!(codes.len(), 10);
    (totp, codes, at)
}

#[sqlx::test(migrations = "../migrations")]
async fn with_an_authenticator_a_password_alone_does_not_sign_in(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client(ADMIN).await;
    let (status, state) = app.json(&admin, "/api/security/state", "").await;
    assert_eq!(status, 200);
    assert!(state["enrolled_at"].is_null());
    let (totp, recovery, confirmed_at) = enrol(&app, &admin).await;
    let (_, state) = app.json(&admin, "/api/security/state", "").await;
    assert!(state["enrolled_at"].is_string());
    assert_eq!(state["recovery_codes_left"], 10);
    // A second set-up is refused while one is on.
    let (status, _) = app.json(&admin, "/api/security/totp/start", "").await;
    assert_eq!(status, 409);

    // The password alone leads to the code page, signed in to nothing.
    let (c, to) = password_step(&app).await;
    assert!(to.starts_with("/login/code"), "{to}");
    assert!(
        me(&app, &c).await.is_null(),
        "not signed in before the code"
    );
    let (status, _) = app.json(&c, "/api/audit/events", "query[page]=0").await;
    assert_eq!(status, 401);
    let (status, body) = code_step(&app, &c, "12345").await;
    assert_eq!(status, 422, "{body}");
    // The code the set-up was confirmed with is used up: refused.
    let (status, _) = code_step(&app, &c, &totp.generate(confirmed_at).to_string()).await;
    assert_eq!(status, 422);
    // The next step's code signs in (a step early is allowed), and goes where the
    // sign-in was going.
    let code = totp.generate(confirmed_at + 30).to_string();
    let response = app
        .call(&c, "/api/auth/code", &format!("code={code}&next=%2Faudit"))
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(response.headers()["location"], "/audit");
    assert_eq!(me(&app, &c).await["email"], ADMIN);

    // The same code again, after another password: refused.
    let (again, _) = password_step(&app).await;
    let (status, body) = code_step(&app, &again, &code).await;
    assert_eq!(status, 422, "a code is accepted once: {body}");
    assert!(me(&app, &again).await.is_null());

    // A recovery code stands in once, written with spaces and capitals or not.
    let spaced = recovery[0].to_uppercase().replace('-', " ");
    let (status, body) = code_step(&app, &again, &spaced).await;
    assert!(status == 200 || status == 302, "{status} {body}");
    assert_eq!(me(&app, &again).await["email"], ADMIN);
    let (third, _) = password_step(&app).await;
    let (status, _) = code_step(&app, &third, &recovery[0]).await;
    assert_eq!(status, 422, "a recovery code is used once");
    let (_, state) = app.json(&admin, "/api/security/state", "").await;
    assert_eq!(state["recovery_codes_left"], 9);

    // On the trail: the set-up, each sign-in with its factor, the wrong codes.
    let actions: Vec<(String, Option<Value>, Option<String>)> = sqlx::query_as(
        "SELECT action, after, reason FROM audit_events WHERE action LIKE 'second_factor.%' \
           OR (action LIKE 'auth.sign_in%' AND (after ? 'second_factor' OR reason LIKE '%second-factor%')) \
         ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let names: Vec<&str> = actions.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(names[0], "second_factor.enrolled");
    assert!(actions.iter().any(|a| a
        .1
        .as_ref()
        .is_some_and(|v| v["second_factor"] == "authenticator app")));
    assert!(actions.iter().any(|a| a
        .1
        .as_ref()
        .is_some_and(|v| v["second_factor"] == "recovery code")));
    assert!(
        names
            .iter()
            .filter(|n| **n == "auth.sign_in_failed")
            .count()
            >= 3,
        "{names:?}"
    );

    // Removing the app takes a code; then the password alone signs in again.
    let (status, _) = app.json(&admin, "/api/security/totp/remove", "code=").await;
    assert_eq!(status, 422);
    let (status, body) = app
        .json(
            &admin,
            "/api/security/totp/remove",
            &format!("code={}", recovery[1]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (plain, to) = password_step(&app).await;
    assert_eq!(to, "/");
    assert_eq!(me(&app, &plain).await["email"], ADMIN);
    let removed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'second_factor.removed'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(removed, 1);
    // Nothing of the secret or the codes is left.
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM console_totp) + (SELECT count(*) FROM console_recovery_codes)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(left, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_code_without_a_password_or_too_many_wrong_codes_are_refused(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    // No password first: nothing to finish.
    let (status, body) = code_step(&app, &client(), "123456").await;
    assert_eq!(status, 401, "{body}");

    let admin = app.demo_client(ADMIN).await;
    let (totp, _, confirmed_at) = enrol(&app, &admin).await;
    // The secret is kept sealed: the database alone does not give it away.
    let stored: String = sqlx::query_scalar("SELECT secret FROM console_totp")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(stored.starts_with("sealed:v1:"));
    let (c, _) = password_step(&app).await;
    let right = totp.generate(confirmed_at + 30).to_string();
    let wrong = if right == "111111" {
        "222222"
    } else {
        "111111"
    };
    let mut locked = None;
    for attempt in 1..=11 {
        let (status, body) = code_step(&app, &c, wrong).await;
        if status == 401 {
            locked = Some((attempt, body));
            break;
        }
        assert_eq!(status, 422, "{body}");
    }
    let (attempt, body) = locked.expect("wrong codes are locked out");
    assert_eq!(attempt, 11, "locked after ten wrong codes");
    assert!(
        body["SignInRefused"]
            .as_str()
            .unwrap()
            .contains("Too many wrong codes"),
        "{body}"
    );
    // Even the right code waits for the lock to end.
    let (status, _) = code_step(&app, &c, &right).await;
    assert_eq!(status, 401);
    assert!(me(&app, &c).await.is_null());
}

/// A lost phone: another admin resets the user's second factor, for a reason kept on the
/// trail; nobody resets their own that way, and someone who may not manage principals
/// cannot at all.
#[sqlx::test(migrations = "../migrations")]
async fn an_admin_resets_another_users_second_factor_never_their_own(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client(ADMIN).await;
    enrol(&app, &admin).await;
    let me_id = me(&app, &admin).await["principal_id"]
        .as_str()
        .unwrap()
        .to_string();
    let reset = |principal: &str| {
        serde_urlencoded::to_string([
            ("principal", principal),
            ("reason", "Lost her phone on a train"),
        ])
        .unwrap()
    };
    let path = "/api/principals/second-factor/reset";
    let (status, body) = app.json(&admin, path, &reset(&me_id)).await;
    assert_eq!(status, 409, "not one's own: {body}");
    let approver = app.demo_client("approver@northwind.example").await;
    let (status, _) = app.json(&approver, path, &reset(&me_id)).await;
    assert_eq!(status, 403, "an approver may not manage principals");
    let (status, _) = app.json(&admin, path, "principal=&reason=x").await;
    assert!(status == 400 || status == 422, "{status}");

    // Another Governance admin resets it; the admin signs in with the password alone.
    app::service::admin::create_admin(
        &app.pool,
        app::service::admin::NewAdmin {
            email: "second.admin@northwind.example",
            password: "another long password",
            display_name: None,
            organisation: Some("Northwind Agency"),
        },
    )
    .await
    .unwrap();
    let other = client();
    app.sign_in(
        &other,
        "second.admin@northwind.example",
        "another long password",
    )
    .await;
    assert!(me(&app, &other).await["email"].is_string());
    let short =
        serde_urlencoded::to_string([("principal", me_id.as_str()), ("reason", "x")]).unwrap();
    let (status, body) = app.json(&other, path, &short).await;
    assert_eq!(status, 422, "a reason is needed: {body}");
    // A sign-in waiting for its code when the reset comes is told to start again.
    let (midway, to) = password_step(&app).await;
    assert!(to.starts_with("/login/code"), "{to}");
    let (status, body) = app.json(&other, path, &reset(&me_id)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = code_step(&app, &midway, "123456").await;
    assert_eq!(status, 401);
    assert!(
        body["SignInRefused"]
            .as_str()
            .unwrap()
            .contains("Sign in again with your password"),
        "{body}"
    );
    let (_, to) = password_step(&app).await;
    assert_eq!(to, "/");
    let (status, _) = app.json(&other, path, &reset(&me_id)).await;
    assert_eq!(status, 409, "nothing left to reset");
    let reason: String = sqlx::query_scalar(
        "SELECT reason FROM audit_events WHERE action = 'second_factor.reset' AND target_id = $1",
    )
    .bind(&me_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(reason, "Lost her phone on a train");
}

/// The organisation's policy: holders of the chosen console roles (by default Governance
/// admin and DPO) have a grace period to set up a second factor; past it, one without
/// may only set one up. The policy is changed by an admin, on the trail, and cannot be
/// changed by one who owes a factor.
#[sqlx::test(migrations = "../migrations")]
async fn past_the_grace_period_a_required_role_without_a_factor_may_only_set_one_up(
    pool: sqlx::PgPool,
) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client(ADMIN).await;
    let approver = app.demo_client("approver@northwind.example").await;
    assert!(
        me(&app, &admin).await["second_factor_due"].is_string(),
        "owed, not yet due"
    );
    assert!(
        me(&app, &approver).await["second_factor_due"].is_null(),
        "not the approver's role"
    );
    let (status, _) = app.json(&admin, "/api/audit/events", "query[page]=0").await;
    assert_eq!(status, 200, "within the grace period");

    sqlx::query("UPDATE organisations SET second_factor_policy_since = now() - interval '15 days'")
        .execute(&app.pool)
        .await
        .unwrap();
    let (status, body) = app.json(&admin, "/api/audit/events", "query[page]=0").await;
    assert_eq!((status, body), (403, Value::from("SecondFactorRequired")));
    let exempt = "roles[0]=Approver&grace_days=14";
    let (status, _) = app
        .json(&admin, "/api/settings/second-factor", exempt)
        .await;
    assert_eq!(status, 403, "no changing the policy while owing a factor");
    let (status, state) = app.json(&admin, "/api/security/state", "").await;
    assert_eq!(status, 200, "setting one up stays open");
    assert!(state["due"].is_string());
    let (status, _) = app.json(&approver, "/api/approvals/queue", "").await;
    assert_eq!(status, 200, "other roles carry on");

    enrol(&app, &admin).await;
    assert!(me(&app, &admin).await["second_factor_due"].is_null());
    let (status, _) = app.json(&admin, "/api/audit/events", "query[page]=0").await;
    assert_eq!(status, 200, "with a factor, the console is open again");

    // Bad choices are refused on their fields; a good one is kept and on the trail.
    let (status, body) = app
        .json(
            &admin,
            "/api/settings/second-factor",
            "roles[0]=Root&grace_days=14",
        )
        .await;
    assert_eq!(
        (status, body["Invalid"]["field"].clone()),
        (422, Value::from("roles"))
    );
    let (status, body) = app
        .json(
            &admin,
            "/api/settings/second-factor",
            "roles[0]=Approver&grace_days=91",
        )
        .await;
    assert_eq!(
        (status, body["Invalid"]["field"].clone()),
        (422, Value::from("grace_days"))
    );
    let (status, _) = app
        .json(
            &admin,
            "/api/settings/second-factor",
            "roles[0]=Approver&roles[2]=Governance+admin&grace_days=0",
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = app.json(&approver, "/api/approvals/queue", "").await;
    assert_eq!((status, body), (403, Value::from("SecondFactorRequired")));
    let (_, state) = app.json(&admin, "/api/security/state", "").await;
    assert_eq!(
        state["policy"]["roles"],
        serde_json::json!(["Governance admin", "Approver"])
    );
    let (before, after): (Value, Value) = sqlx::query_as(
        "SELECT before, after FROM audit_events WHERE action = 'organisation.second_factor_policy_changed'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        before["roles"],
        serde_json::json!(["Governance admin", "Data Protection Officer"])
    );
    assert_eq!(after["grace_days"], 0);
    // No role at all: nobody owes one.
    let (status, _) = app
        .json(&admin, "/api/settings/second-factor", "grace_days=0")
        .await;
    assert_eq!(status, 200);
    let (status, _) = app.json(&approver, "/api/approvals/queue", "").await;
    assert_eq!(status, 200);
}

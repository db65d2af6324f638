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

/// Sets up an authenticator for the signed-in user (the admin unless said): answers its
/// generator, recovery codes and the time its code was confirmed at (that step's code is
/// used up).
async fn enrol(app: &TestApp, user: &reqwest::Client) -> (Totp, Vec<String>, u64) {
    let email = me(app, user).await["email"].as_str().unwrap().to_string();
    let admin = user;
    let (status, enrolment) = app.json(admin, "/api/security/totp/start", "").await;
    assert_eq!(status, 200, "{enrolment}");
    let uri = enrolment["uri"].as_str().unwrap();
    let account: String = serde_urlencoded::to_string([("", email.as_str())]).unwrap()[1..].into();
    assert!(
        uri.starts_with(&format!("otpauth://totp/Gatehouse:{account}?")),
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

    let (totp, _, confirmed_at) = enrol(&app, &admin).await;
    assert!(me(&app, &admin).await["second_factor_due"].is_null());
    let (status, _) = app.json(&admin, "/api/audit/events", "query[page]=0").await;
    assert_eq!(status, 200, "with a factor, the console is open again");
    step_up(&app, &admin, &totp.generate(confirmed_at + 30).to_string()).await;

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

async fn step_up(app: &TestApp, user: &reqwest::Client, code: &str) {
    let (status, body) = app
        .json(user, "/api/security/step-up", &format!("code={code}"))
        .await;
    assert_eq!(status, 200, "{body}");
}

fn asked_again(answer: (u16, Value)) -> bool {
    answer == (403, Value::from("StepUpRequired"))
}

/// Risky actions ask again for the second factor of those who have one, unless their
/// session proved it in the last fifteen minutes: a code signing in counts, setting the
/// app up from a password-only session does not.
#[sqlx::test(migrations = "../migrations")]
async fn risky_actions_ask_again_for_a_second_factor_after_fifteen_minutes(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client(ADMIN).await;
    let application = crate::requests::id_of(
        &app,
        "SELECT id FROM applications WHERE NOT is_console ORDER BY name LIMIT 1",
    )
    .await;
    let token = format!("application={application}&name=Reporting+export&until=");
    let policy = "roles[0]=Governance+admin&grace_days=30";
    let tokens = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM application_tokens")
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    // Without a factor nothing is asked (the policy says who must have one).
    let (status, body) = app.json(&admin, "/api/tokens/create", &token).await;
    assert_eq!(status, 200, "{body}");
    let made = tokens().await;

    let (totp, recovery, confirmed_at) = enrol(&app, &admin).await;
    assert!(asked_again(
        app.json(&admin, "/api/tokens/create", &token).await
    ));
    assert!(asked_again(
        app.json(&admin, "/api/settings/second-factor", policy)
            .await
    ));
    assert_eq!(tokens().await, made, "nothing was made");
    let (status, body) = app
        .json(
            &admin,
            "/api/security/step-up",
            &format!("code={}", not_a_code(&totp)),
        )
        .await;
    assert_eq!(
        (status, body["Invalid"]["field"].clone()),
        (422, Value::from("code"))
    );
    let (status, _) = app
        .json(
            &admin,
            "/api/security/step-up",
            &format!("code={}", totp.generate(confirmed_at)),
        )
        .await;
    assert_eq!(status, 422, "the code the app was set up with is used up");
    assert!(asked_again(
        app.json(&admin, "/api/tokens/create", &token).await
    ));

    step_up(&app, &admin, &totp.generate(confirmed_at + 30).to_string()).await;
    let (status, body) = app.json(&admin, "/api/tokens/create", &token).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .json(&admin, "/api/settings/second-factor", policy)
        .await;
    assert_eq!(status, 200, "{body}");

    // Fifteen minutes on, it asks again.
    sqlx::query(
        "UPDATE console_sessions SET second_factor_at = second_factor_at - interval '15 minutes' \
         WHERE second_factor_at IS NOT NULL",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    assert!(asked_again(
        app.json(&admin, "/api/tokens/create", &token).await
    ));
    // A recovery code proves it as well; so does signing in with a code.
    step_up(&app, &admin, &recovery[0]).await;
    let (status, _) = app.json(&admin, "/api/tokens/create", &token).await;
    assert_eq!(status, 200);
    let (fresh, _) = password_step(&app).await;
    let (status, body) = code_step(&app, &fresh, &recovery[1]).await;
    assert!(status == 200 || status == 302, "{status} {body}");
    let (status, _) = app.json(&fresh, "/api/tokens/create", &token).await;
    assert_eq!(status, 200);
    assert_eq!(tokens().await, made + 3);
    // Each proof is on the trail with the factor that gave it; a refused one is not.
    let proofs: Vec<Value> = sqlx::query_scalar(
        "SELECT after FROM audit_events WHERE action = 'second_factor.proved' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        proofs,
        vec![
            serde_json::json!({ "factor": "authenticator app" }),
            serde_json::json!({ "factor": "recovery code" }),
        ]
    );
}

/// Approving high-impact or console access and erasing a data subject ask an approver
/// or DPO with a second factor for it again; denying does not.
#[sqlx::test(migrations = "../migrations")]
async fn approving_high_impact_or_console_access_and_erasing_ask_again(pool: sqlx::PgPool) {
    use crate::requests::{acme, ask, decide, principal, request_id, role, status_of};
    let app = spawn_demo(pool).await;
    let admin = app.demo_client(ADMIN).await;
    let approver = app.demo_client("approver@northwind.example").await;
    let dpo = app.demo_client("dpo@northwind.example").await;
    let priya = principal(&app, "member@northwind.example").await;
    let acme = acme(&app).await;
    let (status, high) = ask(&app, &admin, priya, role(&app, true).await, acme).await;
    assert_eq!(status, 200, "{high}");
    let high = request_id(&high);
    let (status, low) = ask(&app, &admin, priya, role(&app, false).await, acme).await;
    assert_eq!(status, 200, "{low}");
    let low = request_id(&low);
    let auditor = crate::requests::id_of(
        &app,
        "SELECT r.id FROM roles r JOIN applications a ON a.org_id = r.org_id AND a.id = r.application_id \
         WHERE a.is_console AND r.name = 'Auditor'",
    )
    .await;
    let body = format!(
        "principal={priya}&bundle={auditor}&account=&duration=7&until=&justification=Checking+the+trail+for+the+spring+audit"
    );
    let (status, console) = app.json(&admin, "/api/requests/create", &body).await;
    assert_eq!(status, 200, "{console}");
    let console = request_id(&console);

    let (totp, _, confirmed_at) = enrol(&app, &approver).await;
    assert!(asked_again(decide(&app, &approver, high, true, "").await));
    assert!(asked_again(
        decide(&app, &approver, console, true, "").await
    ));
    assert_eq!(status_of(&app, high).await, "pending");
    let decisions: i64 = sqlx::query_scalar("SELECT count(*) FROM request_decisions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(decisions, 0, "nothing recorded");
    // Low-impact access, and denials, go ahead.
    assert_eq!(decide(&app, &approver, low, true, "").await.0, 200);
    assert_eq!(
        decide(&app, &approver, console, false, "Not needed for this audit")
            .await
            .0,
        200
    );
    step_up(
        &app,
        &approver,
        &totp.generate(confirmed_at + 30).to_string(),
    )
    .await;
    let (status, outcome) = decide(&app, &approver, high, true, "").await;
    assert_eq!(
        (status, outcome),
        (200, Value::from("pending")),
        "first of two"
    );

    // The DPO with a factor is asked before an erasure is even looked at; without one,
    // the erasure's own checks answer.
    let erase = format!("id={}&confirm=DSR-1", uuid::Uuid::new_v4());
    assert_eq!(app.json(&dpo, "/api/dsr/erase", &erase).await.0, 404);
    let (totp, _, confirmed_at) = enrol(&app, &dpo).await;
    assert!(asked_again(app.json(&dpo, "/api/dsr/erase", &erase).await));
    step_up(&app, &dpo, &totp.generate(confirmed_at + 30).to_string()).await;
    assert_eq!(app.json(&dpo, "/api/dsr/erase", &erase).await.0, 404);
}

//! Passkeys over HTTP, short of an authenticator (Chromium's virtual one signs in with
//! one in `end2end/tests/passkeys.spec.ts`): every way a ceremony can be refused, and
//! the second factor a passkey counts as.

use base64::Engine;
use serde_json::{json, Value};

use crate::common::{client, spawn_demo, TestApp};

const ADMIN: &str = "admin@northwind.example";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A well-formed answer from a passkey the site does not know, naming `user`.
fn unknown_passkey(user: uuid::Uuid) -> String {
    let id = b64(b"a passkey nobody stored");
    let answer = json!({
        "id": id,
        "rawId": id,
        "response": {
            "authenticatorData": b64(&[0u8; 37]),
            "clientDataJSON": b64(br#"{"type":"webauthn.get","challenge":"AAAA","origin":"http://localhost"}"#),
            "signature": b64(&[1u8; 64]),
            "userHandle": b64(user.as_bytes()),
        },
        "extensions": {},
        "type": "public-key",
    });
    serde_urlencoded::to_string([("credential", answer.to_string())]).unwrap()
}

async fn challenge(app: &TestApp, c: &reqwest::Client) -> Value {
    let (status, options) = app.json(c, "/api/auth/passkey/challenge", "").await;
    assert_eq!(status, 200, "{options}");
    options
}

#[sqlx::test(migrations = "../migrations")]
async fn a_passkey_sign_in_is_refused_without_its_challenge_or_with_an_unknown_passkey(
    pool: sqlx::PgPool,
) {
    let app = spawn_demo(pool).await;
    let c = client();
    let admin_id: uuid::Uuid =
        sqlx::query_scalar("SELECT principal_id FROM console_credentials WHERE email = $1")
            .bind(ADMIN)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    // No challenge asked for: nothing to answer.
    let (status, body) = app
        .json(&c, "/api/auth/passkey", &unknown_passkey(admin_id))
        .await;
    assert_eq!(status, 401, "{body}");
    assert!(body.to_string().contains("Start again"), "{body}");

    // The challenge asks for a user-verified passkey of this site, chosen with a click.
    let options = challenge(&app, &c).await;
    assert_eq!(options["publicKey"]["rpId"], "localhost");
    assert_eq!(options["publicKey"]["userVerification"], "required");
    assert!(options["mediation"].is_null(), "{options}");
    let (status, body) = app
        .json(&c, "/api/auth/passkey", "credential=not+json")
        .await;
    assert_eq!(status, 400, "{body}");
    // Used once: a second answer to the same challenge finds none.
    let (status, _) = app
        .json(&c, "/api/auth/passkey", &unknown_passkey(admin_id))
        .await;
    assert_eq!(status, 401);

    challenge(&app, &c).await;
    let (status, body) = app
        .json(&c, "/api/auth/passkey", &unknown_passkey(admin_id))
        .await;
    assert_eq!(status, 401, "{body}");
    assert!(body.to_string().contains("could not be checked"), "{body}");
    let (_, me) = app.json(&c, "/api/auth/me", "").await;
    assert!(me.is_null(), "not signed in");
}

#[sqlx::test(migrations = "../migrations")]
async fn adding_a_passkey_takes_a_name_a_challenge_and_a_recent_second_factor(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client(ADMIN).await;
    let path = "/api/security/passkeys/challenge";
    for bad in ["name=", &format!("name={}", "x".repeat(61))] {
        let (status, body) = app.json(&admin, path, bad).await;
        assert_eq!(
            (status, body["Invalid"]["field"].clone()),
            (422, Value::from("name")),
            "{body}"
        );
    }
    // Nothing was started: there is nothing to finish.
    let (status, _) = app
        .json(&admin, "/api/security/passkeys/add", "credential=%7B%7D")
        .await;
    assert_eq!(status, 409);

    let (status, options) = app.json(&admin, path, "name=Work+laptop").await;
    assert_eq!(status, 200, "{options}");
    let public_key = &options["publicKey"];
    assert_eq!(public_key["rp"]["id"], "localhost");
    assert_eq!(public_key["user"]["name"], ADMIN);
    assert_eq!(
        public_key["authenticatorSelection"]["residentKey"],
        "required"
    );
    let (status, body) = app
        .json(&admin, "/api/security/passkeys/add", "credential=not+json")
        .await;
    assert_eq!(status, 400, "{body}");
    // Someone else's passkey, or none, is not removed.
    let (status, _) = app
        .json(
            &admin,
            "/api/security/passkeys/remove",
            &format!("passkey={}", uuid::Uuid::new_v4()),
        )
        .await;
    assert_eq!(status, 404);

    // With an authenticator app set up, a new passkey waits for a recent code.
    let (status, enrolment) = app.json(&admin, "/api/security/totp/start", "").await;
    assert_eq!(status, 200);
    let secret = totp_rs::Secret::try_from_base32(enrolment["secret"].as_str().unwrap()).unwrap();
    let totp = totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_secret(secret.as_ref().to_vec())
        .build()
        .unwrap();
    let at = chrono::Utc::now().timestamp() as u64;
    let (status, _) = app
        .json(
            &admin,
            "/api/security/totp/confirm",
            &format!("code={}", totp.generate(at)),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = app.json(&admin, path, "name=Work+laptop").await;
    assert_eq!((status, body), (403, Value::from("StepUpRequired")));
    let (status, body) = app
        .json(
            &admin,
            "/api/security/step-up",
            &format!("code={}", totp.generate(at + 30)),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app.json(&admin, path, "name=Work+laptop").await;
    assert_eq!(status, 200);
    // A step-up by passkey needs a challenge too.
    let (status, _) = app
        .json(&admin, "/api/security/step-up/passkey", "credential=%7B%7D")
        .await;
    assert_eq!(status, 409);
}

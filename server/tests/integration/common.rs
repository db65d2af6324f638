//! Starts the real application on a free port against the test's own database.

use std::net::SocketAddr;

use app::service::secrets::SecretKeys;
use gatehouse_server::config::Config;
use gatehouse_server::{database, demo, http};
use leptos::config::LeptosOptions;
use reqwest::header::{HeaderMap, HeaderValue, SET_COOKIE};
use serde_json::Value;
use sqlx::PgPool;

pub struct TestApp {
    pub base: String,
    pub pool: PgPool,
    /// The keys the app seals secrets with.
    pub keys: SecretKeys,
}

pub async fn spawn(pool: PgPool) -> TestApp {
    spawn_with(pool, None).await
}

pub async fn spawn_with(pool: PgPool, public_url: Option<&str>) -> TestApp {
    spawn_configured(pool, |c| c.public_url = public_url.map(str::to_string)).await
}

/// Spawns the app with the default settings changed by `edit`.
pub async fn spawn_configured(pool: PgPool, edit: impl FnOnce(&mut Config)) -> TestApp {
    // The server's warnings and errors go to the test's captured output, shown when it
    // fails (a benchmark has installed its own listener by then).
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_test_writer()
        .try_init();
    database::migrate(&pool).await.expect("migrations apply");
    let mut config = test_config();
    edit(&mut config);
    // The server works as the runtime role, as in production; the tests' own pool
    // keeps the owner's rights for setting up and checking.
    let served = database::runtime_pool((*pool.connect_options()).clone(), true)
        .await
        .expect("the runtime role connects");
    let keys = config.secret_keys().expect("the test key is valid");
    TestApp {
        base: serve(served, &config, keys.clone()).await,
        pool,
        keys,
    }
}

/// The settings the tests start from: nothing set but a fresh secret key.
pub fn test_config() -> Config {
    Config {
        database_url: None,
        app_database_url: None,
        read_database_url: None,
        data_dir: ".data".into(),
        public_url: None,
        request_expiry_days: gatehouse_server::config::DEFAULT_REQUEST_EXPIRY_DAYS,
        allow_private_webhooks: false,
        allow_private_sign_on: false,
        metrics_token: None,
        secret_key: Some(SecretKeys::generate_base64()),
        secret_key_previous: None,
    }
}

/// Serves the application on a free port with the server's pool `served`; answers
/// its base URL.
pub async fn serve(served: PgPool, config: &Config, keys: SecretKeys) -> String {
    let options = LeptosOptions::builder()
        .output_name("gatehouse")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .build();
    let router = http::router(served, config, keys, options);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            http::without_nagle(listener),
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    format!("http://{addr}")
}

/// Spawns the app with the demo organisation loaded.
pub async fn spawn_demo(pool: PgPool) -> TestApp {
    let app = spawn(pool).await;
    demo::load_organisation(&app.pool)
        .await
        .expect("demo loads");
    app
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("gatehouse-tests")
        // A request that is never answered fails its test rather than stalling the run.
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Calls a server function with a form-encoded body, as the browser does.
    pub async fn call(
        &self,
        client: &reqwest::Client,
        path: &str,
        body: &str,
    ) -> reqwest::Response {
        client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_in(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let body = serde_urlencoded::to_string([("email", email), ("password", password)]).unwrap();
        self.call(client, "/api/auth/login", &body).await
    }

    /// A client signed in as one of the demo's console users.
    pub async fn demo_client(&self, email: &str) -> reqwest::Client {
        let client = client();
        let response = self.sign_in(&client, email, demo::PASSWORD).await;
        assert!(
            response.status().is_success() || response.status().is_redirection(),
            "sign-in as {email}: {}",
            response.status()
        );
        client
    }

    pub async fn json(&self, client: &reqwest::Client, path: &str, body: &str) -> (u16, Value) {
        let response = self.call(client, path, body).await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// A client signed in as the Governance admin of another organisation, "Rival
    /// Agency", made for the purpose.
    pub async fn rival_admin(&self) -> reqwest::Client {
        sqlx::query(
            "INSERT INTO organisations (id, name) VALUES (gen_random_uuid(), 'Rival Agency')",
        )
        .execute(&self.pool)
        .await
        .unwrap();
        app::service::admin::create_admin(
            &self.pool,
            app::service::admin::NewAdmin {
                email: "admin@rival.example",
                password: "a long test password",
                display_name: None,
                organisation: Some("Rival Agency"),
            },
        )
        .await
        .unwrap();
        let rival = client();
        assert!(self
            .sign_in(&rival, "admin@rival.example", "a long test password")
            .await
            .status()
            .is_success());
        rival
    }

    /// A principal who may sign in but holds no console role at all.
    pub async fn user_without_roles(&self, email: &str, password: &str) -> reqwest::Client {
        app::service::admin::create_admin(
            &self.pool,
            app::service::admin::NewAdmin {
                email,
                password,
                display_name: Some("No Roles"),
                organisation: None,
            },
        )
        .await
        .unwrap();
        sqlx::query(
            "UPDATE grants SET revoked_at = now(), revoke_reason = 'test: no console role' \
             WHERE principal_id = (SELECT principal_id FROM console_credentials WHERE email = $1)",
        )
        .bind(email)
        .execute(&self.pool)
        .await
        .unwrap();
        let client = client();
        assert!(self
            .sign_in(&client, email, password)
            .await
            .status()
            .is_success());
        client
    }

    /// The reviewers' tallies are the counts of their items, in every campaign.
    pub async fn assert_review_tallies_hold(&self) {
        let wrong: Vec<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(
            "WITH counted AS ( \
               SELECT org_id, campaign_id, reviewer_id, count(*) AS items, count(decision) AS decided, \
                      count(*) FILTER (WHERE decision = 'revoke') AS to_revoke \
               FROM review_items GROUP BY 1, 2, 3) \
             SELECT coalesce(c.campaign_id, t.campaign_id), coalesce(c.reviewer_id, t.reviewer_id) \
             FROM counted c FULL JOIN (SELECT * FROM review_tallies WHERE items > 0) t \
               ON t.org_id = c.org_id AND t.campaign_id = c.campaign_id AND t.reviewer_id = c.reviewer_id \
             WHERE (c.items, c.decided, c.to_revoke) IS DISTINCT FROM (t.items, t.decided, t.to_revoke)",
        )
        .fetch_all(&self.pool)
        .await
        .unwrap();
        assert_eq!(wrong, [], "tallies that differ from the items");
    }

    /// Count and content hash of every application table, to prove nothing changed.
    pub async fn snapshot(&self, except: &[&str]) -> Vec<(String, i64, String)> {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations' ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await
        .unwrap();
        let mut out = vec![];
        for table in tables.into_iter().filter(|t| !except.contains(&t.as_str())) {
            let (count, hash): (i64, Option<String>) = sqlx::query_as(&format!(
                "SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} t"
            ))
            .fetch_one(&self.pool)
            .await
            .unwrap();
            out.push((table, count, hash.unwrap_or_default()));
        }
        out
    }
}

/// The value of the session cookie a response sets, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v: &HeaderValue| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{}=", http::SESSION_COOKIE)))
        .map(str::to_string)
}

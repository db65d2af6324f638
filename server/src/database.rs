//! Opening the database: the configured server, or the embedded one.

use std::time::Duration;

use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, Executor, PgPool, Postgres};
use tower_sessions_sqlx_store::PostgresStore;

use crate::config::Config;
use crate::embedded_pg::EmbeddedPostgres;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// The role the server works as: it owns nothing, so it cannot alter a table or switch
/// a trigger off; it may not update or delete the audit trail and the consent history
/// (but for the columns an erasure pseudonymises, which their triggers still guard).
pub const RUNTIME_ROLE: &str = "gatehouse_app";

/// No statement may run longer than this; a transaction may not sit idle longer than
/// `IDLE_IN_TRANSACTION`.
pub const STATEMENT_TIMEOUT: &str = "30s";
pub const IDLE_IN_TRANSACTION: &str = "60s";

/// The runtime role's rights, granted by the owner after every migration (so new
/// tables are covered). Creating the role is left to a database administrator when the
/// owner may not create roles; see the README.
const RUNTIME_GRANTS: &str = r#"
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gatehouse_app') THEN
        CREATE ROLE gatehouse_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM gatehouse_app;
GRANT USAGE ON SCHEMA public, tower_sessions TO gatehouse_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO gatehouse_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA tower_sessions TO gatehouse_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO gatehouse_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON _sqlx_migrations FROM gatehouse_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events, consent_events FROM gatehouse_app;
GRANT UPDATE (target_label, before, after, reason) ON audit_events TO gatehouse_app;
GRANT UPDATE (evidence, reason) ON consent_events TO gatehouse_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_chain, audit_checkpoints FROM gatehouse_app;
REVOKE UPDATE, TRUNCATE ON audit_salts FROM gatehouse_app;
"#;

pub struct Database {
    /// Connected as [`RUNTIME_ROLE`].
    pub pool: PgPool,
    /// The embedded cluster, when this process started it (so it stops it on exit).
    pub started_embedded: Option<EmbeddedPostgres>,
}

/// Connects to `DATABASE_URL`, or starts the embedded cluster; creates the database
/// when it does not exist yet and applies the migrations.
pub async fn open(config: &Config) -> anyhow::Result<Database> {
    if let Some(url) = &config.read_database_url {
        standby_options(url)?;
    }
    let (url, embedded) = match &config.database_url {
        Some(url) => (url.clone(), None),
        None => {
            let embedded = EmbeddedPostgres::new(&config.data_dir.join("postgres"))?;
            let started = embedded.start()?;
            (embedded.url("gatehouse"), Some((embedded, started)))
        }
    };
    if !Postgres::database_exists(&url).await? {
        Postgres::create_database(&url).await?;
    }
    // The owner applies the migrations and grants, then steps aside.
    let owner = PgPoolOptions::new()
        .max_connections(2)
        .connect(&url)
        .await?;
    migrate(&owner).await?;
    if embedded.is_some() {
        owner.execute("ALTER ROLE gatehouse_app LOGIN").await?;
    }
    owner.close().await;
    let pool = match (&config.app_database_url, &embedded) {
        (Some(app_url), _) => runtime_pool(app_url.parse()?, false).await?,
        (None, Some((cluster, _))) => {
            runtime_pool(cluster.url_as(RUNTIME_ROLE, "gatehouse").parse()?, false).await?
        }
        (None, None) => runtime_pool(url.parse()?, true).await?,
    };
    Ok(Database {
        pool,
        started_embedded: embedded.and_then(|(cluster, started)| started.then_some(cluster)),
    })
}

/// A pool working as [`RUNTIME_ROLE`], with the statement and idle-transaction
/// timeouts. `set_role`: the connection's user is the owner (or a superuser), which
/// switches to the runtime role on connecting; otherwise the user is that role. Fails
/// when the connection does not end up as the runtime role.
pub async fn runtime_pool(options: PgConnectOptions, set_role: bool) -> anyhow::Result<PgPool> {
    let pool = runtime_pool_options(set_role)
        .connect_with(with_timeouts(options))
        .await?;
    let role: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&pool)
        .await?;
    anyhow::ensure!(
        role == RUNTIME_ROLE,
        "the server must work as the role {RUNTIME_ROLE}, not {role}: see the README on databases"
    );
    Ok(pool)
}

/// A pool of the hot standby at `url`, working as [`RUNTIME_ROLE`] (switching to it
/// when the URL's user is another), connected on first use: a standby that is away
/// when the server starts is read from once it answers.
pub fn standby_pool(url: &str) -> anyhow::Result<PgPool> {
    let options = standby_options(url)?;
    let set_role = options.get_username() != RUNTIME_ROLE;
    Ok(runtime_pool_options(set_role).connect_lazy_with(with_timeouts(options)))
}

fn standby_options(url: &str) -> anyhow::Result<PgConnectOptions> {
    url.parse()
        .map_err(|e| anyhow::anyhow!("GATEHOUSE_READ_DATABASE_URL cannot be read: {e}"))
}

fn with_timeouts(options: PgConnectOptions) -> PgConnectOptions {
    options.options([
        ("statement_timeout", STATEMENT_TIMEOUT),
        ("idle_in_transaction_session_timeout", IDLE_IN_TRANSACTION),
    ])
}

/// A connection idle this long is tested before it is used again.
const TESTED_AFTER_IDLE: Duration = Duration::from_secs(1);

fn runtime_pool_options(set_role: bool) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(20)
        .acquire_timeout(Duration::from_secs(5))
        // Every connection is tested as it goes back to the pool. Testing it again when
        // it is taken would cost a busy server one more round trip per query; only one
        // left idle for a while (the database may have restarted since) is tested.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= TESTED_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if set_role {
                    conn.execute("SET ROLE gatehouse_app").await?;
                }
                Ok(())
            })
        })
}

/// Applies the migrations, then brings every organisation's console catalogue up to
/// the permissions this version of Gatehouse defines.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await?;
    PostgresStore::new(pool.clone()).migrate().await?;
    sqlx::raw_sql(RUNTIME_GRANTS).execute(pool).await?;
    let organisations: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM organisations")
        .fetch_all(pool)
        .await?;
    for org in organisations {
        let mut tx = pool.begin().await?;
        app::db::console_catalogue::ensure(&mut tx, org).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Whether the database holds no organisation yet.
pub async fn is_empty(pool: &PgPool) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM organisations)")
        .fetch_one(pool)
        .await
}

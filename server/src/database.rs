//! Opening the database: the configured server, or the embedded one.

use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres};
use tower_sessions_sqlx_store::PostgresStore;

use crate::config::Config;
use crate::embedded_pg::EmbeddedPostgres;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

pub struct Database {
    pub pool: PgPool,
    /// The embedded cluster, when this process started it (so it stops it on exit).
    pub started_embedded: Option<EmbeddedPostgres>,
}

/// Connects to `DATABASE_URL`, or starts the embedded cluster; creates the database
/// when it does not exist yet and applies the migrations.
pub async fn open(config: &Config) -> anyhow::Result<Database> {
    let (url, started_embedded) = match &config.database_url {
        Some(url) => (url.clone(), None),
        None => {
            let embedded = EmbeddedPostgres::new(&config.data_dir.join("postgres"))?;
            let started = embedded.start()?;
            (embedded.url("gatehouse"), started.then_some(embedded))
        }
    };
    if !Postgres::database_exists(&url).await? {
        Postgres::create_database(&url).await?;
    }
    let pool = PgPoolOptions::new()
        .max_connections(20)
        .connect(&url)
        .await?;
    migrate(&pool).await?;
    Ok(Database {
        pool,
        started_embedded,
    })
}

/// Applies the migrations, then brings every organisation's console catalogue up to
/// the permissions this version of Gatehouse defines.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await?;
    PostgresStore::new(pool.clone()).migrate().await?;
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

use std::io::Read;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use gatehouse_server::config::{leptos_options, Config};
use gatehouse_server::embedded_pg::EmbeddedPostgres;
use gatehouse_server::{database, demo, http};

/// Gatehouse: the access-governance console.
#[derive(Parser)]
#[command(name = "gatehouse", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the console (the default).
    Serve {
        /// Load the demo organisation first when the database is empty.
        #[arg(long)]
        demo_if_empty: bool,
    },
    /// Apply the database migrations, then exit.
    Migrate,
    /// Load the demo organisation into an empty database.
    Demo,
    /// Create a console user with the Governance admin role; the password is read from
    /// standard input.
    CreateAdmin {
        #[arg(long)]
        email: String,
        /// Display name (default: the part of the email before the @).
        #[arg(long)]
        name: Option<String>,
        /// The organisation: created with this name when there is none yet, required
        /// when there are several.
        #[arg(long)]
        organisation: Option<String>,
    },
    /// Manage a private PostgreSQL cluster run from the system's binaries.
    Database {
        #[command(subcommand)]
        action: DatabaseAction,
        /// Where the cluster keeps its files.
        #[arg(long, default_value = ".data/postgres", global = true)]
        data_dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum DatabaseAction {
    /// Start the cluster (creating it on first use) and print a connection URL.
    Start,
    /// Stop the cluster.
    Stop,
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_sessions=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("gatehouse: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_env();
    match cli.command.unwrap_or(Command::Serve {
        demo_if_empty: false,
    }) {
        Command::Serve { demo_if_empty } => {
            let db = database::open(&config).await?;
            if demo_if_empty && database::is_empty(&db.pool).await? {
                let summary = demo::load(&db.pool).await?;
                eprintln!(
                    "Loaded the demo organisation ({} principals). Sign in as {} with the password {}.",
                    summary.principals,
                    demo::CONSOLE_USERS[0].0,
                    demo::PASSWORD
                );
            }
            let keys = config.secret_keys()?;
            let resealed = app::service::webhooks::reseal_secrets(&db.pool, &keys).await?;
            if resealed > 0 {
                eprintln!("Sealed {resealed} webhook secrets with the current key.");
            }
            let options = leptos_options();
            let addr = options.site_addr;
            tokio::spawn(tower_sessions_sqlx_store_cleanup(db.pool.clone()));
            gatehouse_server::jobs::spawn(&db.pool, &config, keys.clone());
            let router = http::router(db.pool.clone(), &config, keys, options);
            let served = http::serve(router, addr).await;
            db.pool.close().await;
            if let Some(embedded) = db.started_embedded {
                embedded.stop()?;
            }
            served
        }
        Command::Migrate => {
            database::open(&config).await?;
            eprintln!("The database is up to date.");
            Ok(())
        }
        Command::Demo => {
            let db = database::open(&config).await?;
            let summary = demo::load(&db.pool).await?;
            eprintln!(
                "Loaded {}: {} accounts, {} principals, {} grants. Sign in as {} with the password {}.",
                demo::ORGANISATION,
                summary.accounts,
                summary.principals,
                summary.grants,
                demo::CONSOLE_USERS[0].0,
                demo::PASSWORD
            );
            Ok(())
        }
        Command::CreateAdmin {
            email,
            name,
            organisation,
        } => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\n', '\r']);
            let db = database::open(&config).await?;
            let created = app::service::admin::create_admin(
                &db.pool,
                app::service::admin::NewAdmin {
                    email: &email,
                    password,
                    display_name: name.as_deref(),
                    organisation: organisation.as_deref(),
                },
            )
            .await?;
            eprintln!(
                "{email} is now a Governance admin of {}.",
                created.organisation
            );
            Ok(())
        }
        Command::Database { action, data_dir } => {
            let embedded = EmbeddedPostgres::new(&data_dir)?;
            match action {
                DatabaseAction::Start => {
                    embedded.start()?;
                    println!("{}", embedded.url("postgres"));
                }
                DatabaseAction::Stop => embedded.stop()?,
            }
            Ok(())
        }
    }
}

/// Removes expired sessions from the store once an hour.
async fn tower_sessions_sqlx_store_cleanup(pool: sqlx::PgPool) {
    use tower_sessions::ExpiredDeletion;
    let store = tower_sessions_sqlx_store::PostgresStore::new(pool);
    if let Err(e) = store
        .continuously_delete_expired(tokio::time::Duration::from_secs(3600))
        .await
    {
        tracing::warn!(error = %e, "expired-session cleanup stopped");
    }
}

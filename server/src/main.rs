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
    /// Print the OpenAPI document of `/api/v1`, as served at `/api/v1/openapi.json`.
    Openapi,
    /// The audit trail's hash chain.
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
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
enum AuditCommand {
    /// Seal the events not sealed yet, then walk each organisation's chain from its
    /// first link: exits non-zero and names the first broken link if one is.
    Verify {
        /// One organisation, by name or id (default: every one).
        #[arg(long)]
        organisation: Option<String>,
        /// A checkpoint file (from /audit/checkpoint.json): check its signature and that
        /// the chain still runs through its head.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
    },
    /// Walk each organisation's chain and, where it holds, sign a checkpoint of its
    /// head (kept, and printed as JSON).
    Checkpoint {
        /// One organisation, by name or id (default: every one).
        #[arg(long)]
        organisation: Option<String>,
    },
}

#[derive(Subcommand)]
enum DatabaseAction {
    /// Start the cluster (creating it on first use) and print a connection URL.
    Start,
    /// Stop the cluster.
    Stop,
    /// Make the cluster a hot standby of another one (copied with `pg_basebackup`, on
    /// first use), start it and print a connection URL: for GATEHOUSE_READ_DATABASE_URL.
    Standby {
        /// The primary's folder (it must run).
        #[arg(long)]
        of: PathBuf,
    },
}

#[tokio::main]
async fn main() {
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_sessions=warn".into()),
        )
        .with_writer(std::io::stderr);
    // `GATEHOUSE_LOG_FORMAT=json`: one JSON object per line, with the request's id.
    if std::env::var("GATEHOUSE_LOG_FORMAT").is_ok_and(|f| f.trim() == "json") {
        logs.json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        logs.init();
    }
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
            let resealed = app::service::second_factor::reseal_secrets(&db.pool, &keys).await?;
            if resealed > 0 {
                eprintln!("Sealed {resealed} authenticator secrets with the current key.");
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
        Command::Audit { action } => audit(&config, action).await,
        Command::Openapi => {
            println!("{}", gatehouse_server::api_v1::document_json());
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
                DatabaseAction::Standby { of } => {
                    embedded.start_standby_of(&EmbeddedPostgres::new(&of)?)?;
                    println!("{}", embedded.url("postgres"));
                }
            }
            Ok(())
        }
    }
}

/// `gatehouse audit …`: sealing what is not sealed yet, then verifying or signing.
async fn audit(config: &Config, action: AuditCommand) -> anyhow::Result<()> {
    let (organisation, checkpoint) = match &action {
        AuditCommand::Verify {
            organisation,
            checkpoint,
        } => (organisation, checkpoint.as_ref()),
        AuditCommand::Checkpoint { organisation } => (organisation, None),
    };
    let checkpoint: Option<app::service::audit_chain::Checkpoint> = checkpoint
        .map(|path| -> anyhow::Result<_> { Ok(serde_json::from_slice(&std::fs::read(path)?)?) })
        .transpose()?;
    let db = database::open(config).await?;
    let chosen: Vec<_> = app::db::organisations::every(&db.pool)
        .await?
        .into_iter()
        .filter(|(id, name)| {
            organisation
                .as_deref()
                .is_none_or(|o| o == id.to_string() || o.eq_ignore_ascii_case(name))
        })
        .collect();
    if chosen.is_empty() {
        anyhow::bail!("there is no such organisation");
    }
    // Only signing needs the key (reading it may make one).
    let signing_keys = match action {
        AuditCommand::Checkpoint { .. } => Some(config.secret_keys()?),
        AuditCommand::Verify { .. } => None,
    };
    let mut whole = true;
    for (id, name) in chosen {
        app::service::audit_chain::seal(&db.pool, id, app::service::audit_chain::LATE).await?;
        if let Some(keys) = &signing_keys {
            let made = app::service::audit_chain::make_checkpoint(&db.pool, id, keys).await?;
            println!("{}", serde_json::to_string_pretty(&made)?);
            continue;
        }
        let v = app::service::audit_chain::verify(&db.pool, id).await?;
        match &v.broken {
            None => println!(
                "{name}: the chain holds, {} links, head {}; {} events not sealed yet",
                v.up_to,
                v.head.as_deref().unwrap_or(""),
                v.unsealed
            ),
            Some(broken) => {
                whole = false;
                println!("{name}: BROKEN after link {}: {}", v.up_to, broken.words());
            }
        }
        if let Some(c) = checkpoint.as_ref().filter(|c| c.organisation == id) {
            match app::service::audit_chain::check_checkpoint(&db.pool, c).await? {
                // The signature is checked against the key the file carries: whoever
                // kept the checkpoint compares that key with the one they kept.
                Ok(()) => println!(
                    "{name}: the checkpoint of link {} made {} holds; it was signed by the key {}",
                    c.link, c.made_at, c.public_key
                ),
                Err(problem) => {
                    whole = false;
                    println!("{name}: the checkpoint of link {} fails: {problem}", c.link);
                }
            }
        }
    }
    if !whole {
        anyhow::bail!("the audit chain is broken");
    }
    Ok(())
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

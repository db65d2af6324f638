use std::net::SocketAddr;
use std::path::PathBuf;

use leptos::config::LeptosOptions;

/// Settings read from the environment. None is required.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`; without it a private PostgreSQL runs under `data_dir`.
    pub database_url: Option<String>,
    /// `GATEHOUSE_DATA_DIR`, default `.data` in the working directory.
    pub data_dir: PathBuf,
    /// `GATEHOUSE_PUBLIC_URL`, the address people use (e.g. `https://gatehouse.example.com`).
    /// Cookies are marked Secure when it is https, and its origin is accepted on writes.
    pub public_url: Option<String>,
    /// `GATEHOUSE_REQUEST_EXPIRY_DAYS`, default 30: pending requests older than this
    /// expire.
    pub request_expiry_days: u32,
}

/// Pending requests expire after this many days unless configured otherwise.
pub const DEFAULT_REQUEST_EXPIRY_DAYS: u32 = 30;

impl Config {
    pub fn from_env() -> Self {
        let non_empty = |key: &str| std::env::var(key).ok().filter(|v| !v.trim().is_empty());
        Config {
            database_url: non_empty("DATABASE_URL"),
            data_dir: non_empty("GATEHOUSE_DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(".data")),
            public_url: non_empty("GATEHOUSE_PUBLIC_URL")
                .map(|u| u.trim_end_matches('/').to_string()),
            request_expiry_days: non_empty("GATEHOUSE_REQUEST_EXPIRY_DAYS")
                .map(|v| match v.trim().parse::<u32>() {
                    Ok(days) if (1..=3650).contains(&days) => days,
                    _ => {
                        tracing::warn!(
                            value = %v,
                            "GATEHOUSE_REQUEST_EXPIRY_DAYS must be a number of days from 1 to 3650; using {DEFAULT_REQUEST_EXPIRY_DAYS}"
                        );
                        DEFAULT_REQUEST_EXPIRY_DAYS
                    }
                })
                .unwrap_or(DEFAULT_REQUEST_EXPIRY_DAYS),
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

/// Leptos' site settings: from `LEPTOS_*` variables when cargo-leptos sets them, else
/// from `Cargo.toml` in the working directory, else the built-in defaults (which match
/// that file), so that `target/release/gatehouse serve` needs no environment.
pub fn leptos_options() -> LeptosOptions {
    if std::env::var_os("LEPTOS_OUTPUT_NAME").is_some() {
        if let Ok(conf) = leptos::config::get_configuration(None) {
            return conf.leptos_options;
        }
    }
    let mut options = match leptos::config::get_configuration(Some("Cargo.toml")) {
        Ok(conf) => conf.leptos_options,
        Err(_) => LeptosOptions::builder()
            .output_name("gatehouse")
            .site_root("target/site")
            .site_pkg_dir("pkg")
            .site_addr(SocketAddr::from(([127, 0, 0, 1], 3000)))
            .build(),
    };
    if let Ok(addr) = std::env::var("LEPTOS_SITE_ADDR")
        .unwrap_or_default()
        .parse()
    {
        options.site_addr = addr;
    }
    options
}

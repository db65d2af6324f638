use std::net::SocketAddr;
use std::path::PathBuf;

use app::service::secrets::SecretKeys;
use leptos::config::LeptosOptions;

/// Settings read from the environment. None is required.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`; without it a private PostgreSQL runs under `data_dir`. Its user
    /// owns the schema: it applies the migrations.
    pub database_url: Option<String>,
    /// `GATEHOUSE_APP_DATABASE_URL`: how the server connects as the runtime role
    /// `gatehouse_app` to serve. Without it, the owner's connections switch to that role.
    pub app_database_url: Option<String>,
    /// `GATEHOUSE_READ_DATABASE_URL`: a hot standby of the database (PostgreSQL's own
    /// streaming replication) that the read-heavy pages read from; see the README.
    pub read_database_url: Option<String>,
    /// `GATEHOUSE_DATA_DIR`, default `.data` in the working directory.
    pub data_dir: PathBuf,
    /// `GATEHOUSE_PUBLIC_URL`, the address people use (e.g. `https://gatehouse.example.com`).
    /// Cookies are marked Secure when it is https, and its origin is accepted on writes.
    pub public_url: Option<String>,
    /// `GATEHOUSE_REQUEST_EXPIRY_DAYS`, default 30: pending requests older than this
    /// expire.
    pub request_expiry_days: u32,
    /// `GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE=true` lets webhooks go to private, loopback and
    /// link-local addresses (a receiver on the organisation's own network). Off by default.
    pub allow_private_webhooks: bool,
    /// `GATEHOUSE_SIGN_ON_ALLOW_PRIVATE=true` lets an organisation's OpenID provider be on
    /// a private, loopback or link-local address. Off by default.
    pub allow_private_sign_on: bool,
    /// `GATEHOUSE_METRICS_TOKEN`: the bearer token `/metrics` answers to (at least 16
    /// characters); without it there is no `/metrics`.
    pub metrics_token: Option<String>,
    /// `GATEHOUSE_SECRET_KEY`: 32 bytes in base64, the key webhook secrets are sealed
    /// with. Without it, the key kept in `data_dir/secret.key` (made on first start).
    pub secret_key: Option<String>,
    /// `GATEHOUSE_SECRET_KEY_PREVIOUS`: the key being rotated away from, still read.
    pub secret_key_previous: Option<String>,
}

/// Pending requests expire after this many days unless configured otherwise.
pub const DEFAULT_REQUEST_EXPIRY_DAYS: u32 = 30;

impl Config {
    pub fn from_env() -> Self {
        let non_empty = |key: &str| std::env::var(key).ok().filter(|v| !v.trim().is_empty());
        Config {
            database_url: non_empty("DATABASE_URL"),
            app_database_url: non_empty("GATEHOUSE_APP_DATABASE_URL"),
            read_database_url: non_empty("GATEHOUSE_READ_DATABASE_URL"),
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
            allow_private_webhooks: non_empty("GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE")
                .is_some_and(|v| matches!(v.trim(), "1" | "true" | "yes")),
            allow_private_sign_on: non_empty("GATEHOUSE_SIGN_ON_ALLOW_PRIVATE")
                .is_some_and(|v| matches!(v.trim(), "1" | "true" | "yes")),
            metrics_token: non_empty("GATEHOUSE_METRICS_TOKEN").and_then(|t| {
                let t = t.trim().to_string();
                if t.len() < 16 {
                    tracing::warn!("GATEHOUSE_METRICS_TOKEN has fewer than 16 characters; /metrics stays off");
                    return None;
                }
                Some(t)
            }),
            secret_key: non_empty("GATEHOUSE_SECRET_KEY"),
            secret_key_previous: non_empty("GATEHOUSE_SECRET_KEY_PREVIOUS"),
        }
    }

    /// The keys secrets are sealed with: from the environment, or else the data
    /// folder's key file, made (readable by its owner only) when missing.
    pub fn secret_keys(&self) -> anyhow::Result<SecretKeys> {
        let current = match &self.secret_key {
            Some(key) => key.clone(),
            None => {
                let path = self.data_dir.join("secret.key");
                if !path.exists() {
                    use std::io::Write;
                    use std::os::unix::fs::OpenOptionsExt;
                    std::fs::create_dir_all(&self.data_dir)?;
                    let mut file = std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .mode(0o600)
                        .open(&path)?;
                    writeln!(file, "{}", SecretKeys::generate_base64())?;
                    tracing::info!(path = %path.display(), "made the key that seals webhook secrets");
                }
                std::fs::read_to_string(&path)?
            }
        };
        SecretKeys::from_base64(&current, self.secret_key_previous.as_deref())
            .map_err(anyhow::Error::msg)
    }

    pub fn webhook_destinations(&self) -> rules::webhooks::Destinations {
        rules::webhooks::Destinations::webhooks(self.allow_private_webhooks)
    }

    pub fn sign_on_destinations(&self) -> rules::webhooks::Destinations {
        rules::webhooks::Destinations::sign_on(self.allow_private_sign_on)
    }

    /// People reach the console over https.
    pub fn is_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    /// Cookies are `Secure` unless the console serves plain http on loopback (a
    /// developer's machine), where browsers would not send them back.
    pub fn secure_cookies(&self, listening: SocketAddr) -> bool {
        match self.public_url.as_deref() {
            Some(url) if url.starts_with("https://") => true,
            Some(url) => !is_loopback_url(url),
            None => !listening.ip().is_loopback(),
        }
    }
}

/// `http://localhost…`, `http://127.…` or `http://[::1]…`.
fn is_loopback_url(url: &str) -> bool {
    let host = url
        .trim_start_matches("http://")
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let host = host
        .rsplit_once(':')
        .filter(|(h, port)| !h.is_empty() && port.chars().all(|c| c.is_ascii_digit()))
        .map_or(host, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config(public_url: Option<&str>) -> Config {
        Config {
            database_url: None,
            app_database_url: None,
            read_database_url: None,
            data_dir: ".data".into(),
            public_url: public_url.map(str::to_string),
            request_expiry_days: DEFAULT_REQUEST_EXPIRY_DAYS,
            allow_private_webhooks: false,
            allow_private_sign_on: false,
            metrics_token: None,
            secret_key: None,
            secret_key_previous: None,
        }
    }

    #[test]
    fn cookies_are_secure_unless_plain_http_on_loopback() {
        let loopback: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let everywhere: SocketAddr = "0.0.0.0:3000".parse().unwrap();
        assert!(!config(None).secure_cookies(loopback));
        assert!(config(None).secure_cookies(everywhere));
        assert!(config(Some("https://gatehouse.example.com")).secure_cookies(loopback));
        assert!(config(Some("http://gatehouse.example.com")).secure_cookies(everywhere));
        for local in [
            "http://localhost:3000",
            "http://127.0.0.1:3000/",
            "http://[::1]:3000",
        ] {
            assert!(!config(Some(local)).secure_cookies(everywhere), "{local}");
        }
    }
}

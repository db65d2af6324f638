//! The embedded default database: a private PostgreSQL cluster run from the system's
//! binaries, its data under the project folder, reachable only through a Unix socket
//! in that folder, so it never clashes with a system PostgreSQL.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedPgError {
    #[error(
        "PostgreSQL's server programs (initdb, pg_ctl) were not found under /usr/lib/postgresql. \
         Install them (apt-get install postgresql) or set DATABASE_URL to a PostgreSQL server."
    )]
    NoBinaries,
    #[error("running as root, the database must run as the 'postgres' user, which does not exist; create it or set DATABASE_URL")]
    NoPostgresUser,
    #[error("could not prepare {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{command}` failed: {output}")]
    Command { command: String, output: String },
}

pub struct EmbeddedPostgres {
    root: PathBuf,
    bin: PathBuf,
    as_postgres_user: bool,
}

impl EmbeddedPostgres {
    /// A cluster kept in `dir` (created when missing).
    pub fn new(dir: &Path) -> Result<Self, EmbeddedPgError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| EmbeddedPgError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let root = dir.canonicalize().map_err(io(dir))?;
        let as_postgres_user = std::fs::metadata("/proc/self")
            .map(|m| m.uid() == 0)
            .unwrap_or(false);
        if as_postgres_user
            && !Command::new("id")
                .arg("postgres")
                .output()
                .is_ok_and(|o| o.status.success())
        {
            return Err(EmbeddedPgError::NoPostgresUser);
        }
        Ok(EmbeddedPostgres {
            bin: find_binaries()?,
            root,
            as_postgres_user,
        })
    }

    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    fn socket_dir(&self) -> PathBuf {
        self.root.join("run")
    }

    /// The connection URL of a database in this cluster.
    pub fn url(&self, database: &str) -> String {
        self.url_as("postgres", database)
    }

    /// The connection URL of a database in this cluster, as `user`.
    pub fn url_as(&self, user: &str, database: &str) -> String {
        format!(
            "postgres://{user}@localhost/{database}?host={}",
            self.socket_dir().display()
        )
    }

    /// Makes this cluster, on first use, a hot standby of `primary` (which must run):
    /// a copy taken with `pg_basebackup` that streams and replays the primary's WAL and
    /// answers read-only queries. Then starts it as [`Self::start`] does.
    pub fn start_standby_of(&self, primary: &EmbeddedPostgres) -> Result<bool, EmbeddedPgError> {
        self.prepare()?;
        if !self.data_dir().join("PG_VERSION").exists() {
            tracing::info!(dir = %self.data_dir().display(), "copying the primary for a standby");
            let source = format!("host={} user=postgres", primary.socket_dir().display());
            // -R: the copy starts as a standby of `source`; -X stream: with the WAL
            // written while it was taken; -c fast: without waiting for a checkpoint.
            run(self
                .pg("pg_basebackup")
                .arg("-D")
                .arg(self.data_dir())
                .args(["-d", &source, "-R", "-X", "stream", "-c", "fast"]))?;
        }
        self.run_server()
    }

    /// Creates the cluster on first use and starts it unless it already runs. Returns
    /// whether this call started it.
    pub fn start(&self) -> Result<bool, EmbeddedPgError> {
        self.prepare()?;
        if !self.data_dir().join("PG_VERSION").exists() {
            tracing::info!(dir = %self.data_dir().display(), "creating the embedded PostgreSQL cluster");
            run(self.pg("initdb").arg("-D").arg(self.data_dir()).args([
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                // Text in code point order, as C.UTF-8 sorts it, but compared byte by
                // byte rather than through the C library: every text key of an index
                // is compared on each insert and lookup.
                "--lc-collate=C",
            ]))?;
        }
        self.run_server()
    }

    /// The socket directory, owned by whoever runs the server programs.
    fn prepare(&self) -> Result<(), EmbeddedPgError> {
        let socket = self.socket_dir();
        std::fs::create_dir_all(&socket).map_err(|source| EmbeddedPgError::Io {
            path: socket.clone(),
            source,
        })?;
        if self.as_postgres_user {
            run(Command::new("chown")
                .arg("-R")
                .arg("postgres:postgres")
                .arg(&self.root))?;
        }
        run(Command::new("chmod").arg("700").arg(&socket))
    }

    /// Starts the server on the data directory unless it already runs.
    fn run_server(&self) -> Result<bool, EmbeddedPgError> {
        let socket = self.socket_dir();
        if self.is_running() {
            return Ok(false);
        }
        let options = format!(
            "-c listen_addresses= -k {} -c unix_socket_permissions=0700 -c max_connections=200 \
             -c shared_buffers={}MB",
            socket.display(),
            shared_buffers_mb(memory_mb())
        );
        run(self
            .pg("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.root.join("postgres.log"))
            .args(["-w", "-t", "60", "-o", &options, "start"]))?;
        tracing::info!(socket = %socket.display(), "embedded PostgreSQL started");
        Ok(true)
    }

    pub fn is_running(&self) -> bool {
        self.pg("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .arg("status")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    pub fn stop(&self) -> Result<(), EmbeddedPgError> {
        if self.is_running() {
            run(self
                .pg("pg_ctl")
                .arg("-D")
                .arg(self.data_dir())
                .args(["-m", "fast", "-w", "stop"]))?;
        }
        Ok(())
    }

    /// A command for one of the server programs, run as `postgres` when we are root
    /// (PostgreSQL refuses to run as root).
    fn pg(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }
}

fn find_binaries() -> Result<PathBuf, EmbeddedPgError> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| EmbeddedPgError::NoBinaries)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").exists() && bin.join("pg_ctl").exists()).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or(EmbeddedPgError::NoBinaries)
}

fn run(command: &mut Command) -> Result<(), EmbeddedPgError> {
    let output = command.output().map_err(|e| EmbeddedPgError::Command {
        command: format!("{command:?}"),
        output: e.to_string(),
    })?;
    if output.status.success() {
        Ok(())
    } else {
        let text = String::from_utf8_lossy(&output.stderr).to_string()
            + &String::from_utf8_lossy(&output.stdout);
        Err(EmbeddedPgError::Command {
            command: format!("{command:?}"),
            output: text
                .lines()
                .rev()
                .take(12)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n"),
        })
    }
}

/// The machine's memory in MiB, from `/proc/meminfo`; none where it cannot be read.
fn memory_mb() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb = info
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(kb / 1024)
}

/// PostgreSQL's own cache: a quarter of the machine's memory, as its documentation
/// advises for a dedicated server, between its default (128 MiB) and 4 GiB. Ingestion
/// writes into indexes many times larger than the default; each block outside the cache
/// is read back from the system's on every batch.
fn shared_buffers_mb(memory_mb: Option<u64>) -> u64 {
    memory_mb.map_or(128, |mb| (mb / 4).clamp(128, 4096))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_a_quarter_of_memory_within_bounds() {
        assert_eq!(shared_buffers_mb(None), 128);
        assert_eq!(shared_buffers_mb(Some(256)), 128);
        assert_eq!(shared_buffers_mb(Some(8192)), 2048);
        assert_eq!(shared_buffers_mb(Some(24 * 1024)), 4096);
    }

    #[test]
    fn this_machine_says_how_much_memory_it_has() {
        assert!(memory_mb().is_some_and(|mb| mb > 0));
    }
}

//! A throwaway PostgreSQL cluster for the tests, benches and a first try of the PostgreSQL
//! store: `initdb` in a temporary directory, the server on 127.0.0.1 at a free port (and a unix
//! socket in that directory), a template database with PostGIS from which each caller gets its
//! own database. The cluster stops and its directory is removed when the process that started
//! it ends, however it ends (a detached watcher waits for it).
//!
//! PostgreSQL refuses to run as root: run as root, the server runs as the system user
//! `postgres` (Debian's packages create it) through `runuser`. The server binaries are looked
//! up in `JZPLAN_PG_BINDIR`, then `/usr/lib/postgresql/<version>/bin` (Debian), then
//! `pg_config --bindir`. A missing server is an error, never a silent skip.

use jzplan_core::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

/// A running throwaway cluster.
#[derive(Debug)]
pub struct TempCluster {
    dir: PathBuf,
    port: u16,
    bindir: PathBuf,
    run_as: Option<String>,
}

/// The template database (with PostGIS) every new database is copied from.
const TEMPLATE: &str = "jzplan_template";

fn fail(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Store(format!("throwaway PostgreSQL cluster: {what}: {e}"))
}

/// The directory of `initdb`, `pg_ctl` and `postgres`.
pub fn server_bindir() -> Result<PathBuf> {
    if let Some(d) = std::env::var_os("JZPLAN_PG_BINDIR") {
        let d = PathBuf::from(d);
        if d.join("initdb").exists() {
            return Ok(d);
        }
        return Err(fail(
            "JZPLAN_PG_BINDIR",
            format!("{} has no initdb", d.display()),
        ));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    if let Some((_, d)) = found.pop() {
        return Ok(d);
    }
    if let Ok(o) = Command::new("pg_config").arg("--bindir").output() {
        let d = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
        if d.join("initdb").exists() {
            return Ok(d);
        }
    }
    Err(fail(
        "no PostgreSQL server found",
        "initdb is missing: run scripts/setup.sh (installs postgresql-15 and \
         postgresql-15-postgis-3) or set JZPLAN_PG_BINDIR",
    ))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl TempCluster {
    /// Creates and starts a cluster (a second or two), with the PostGIS template database.
    pub fn start() -> Result<TempCluster> {
        let bindir = server_bindir()?;
        let run_as = is_root().then(|| "postgres".to_string());
        let dir = std::env::temp_dir().join(format!(
            "jzplan-pg-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| fail("temporary directory", e))?;
        if let Some(u) = &run_as {
            let ok = Command::new("chown")
                .arg(u)
                .arg(&dir)
                .status()
                .map_err(|e| fail("chown", e))?;
            if !ok.success() {
                return Err(fail(
                    "chown",
                    format!("cannot give {} to the user {u}", dir.display()),
                ));
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| fail("free port", e))?
            .port();
        let c = TempCluster {
            dir,
            port,
            bindir,
            run_as,
        };
        c.watch_owner()?;
        let data = c.dir.join("data");
        c.tool(
            "initdb",
            &[
                "-D",
                path_str(&data)?,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )?;
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c max_connections=300 \
             -c fsync=on -c synchronous_commit=on",
            c.port,
            path_str(&c.dir)?
        );
        c.tool(
            "pg_ctl",
            &[
                "-D",
                path_str(&data)?,
                "-o",
                &opts,
                "-l",
                path_str(&c.dir.join("server.log"))?,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )?;
        c.sql("postgres", &[&format!("CREATE DATABASE {TEMPLATE}")])?;
        c.sql(TEMPLATE, &["CREATE EXTENSION postgis"])?;
        Ok(c)
    }

    /// Runs a server tool as the cluster's owner; its output goes to `tools.log`.
    fn tool(&self, name: &str, args: &[&str]) -> Result<()> {
        let exe = self.bindir.join(name);
        let mut cmd = match &self.run_as {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.args(["-u", u, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("tools.log"))
            .map_err(|e| fail("tools.log", e))?;
        let log2 = log.try_clone().map_err(|e| fail("tools.log", e))?;
        let st = cmd
            .args(args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .status()
            .map_err(|e| fail(name, e))?;
        if !st.success() {
            let tail = std::fs::read_to_string(self.dir.join("tools.log")).unwrap_or_default();
            let server = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
            return Err(fail(
                name,
                format!(
                    "{st}\n{}\n{}",
                    last_lines(&tail, 15),
                    last_lines(&server, 15)
                ),
            ));
        }
        Ok(())
    }

    /// A detached watcher that stops the server (immediate shutdown) and removes the directory
    /// once this process is gone.
    fn watch_owner(&self) -> Result<()> {
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             if [ -f {dir}/data/postmaster.pid ]; then kill -QUIT $(head -1 {dir}/data/postmaster.pid) 2>/dev/null; sleep 2; fi; \
             rm -rf {dir}",
            pid = std::process::id(),
            dir = path_str(&self.dir)?
        );
        Command::new("setsid")
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| fail("watcher", e))?;
        Ok(())
    }

    /// Runs statements on database `db` as the superuser (on a thread of its own, so that it
    /// may be called from async code).
    pub fn sql(&self, db: &str, statements: &[&str]) -> Result<()> {
        let url = self.url(db);
        let statements: Vec<String> = statements.iter().map(|s| s.to_string()).collect();
        std::thread::spawn(move || -> Result<()> {
            let mut c = ::postgres::Client::connect(&url, ::postgres::NoTls)
                .map_err(|e| fail("connect", e))?;
            for s in &statements {
                c.batch_execute(s).map_err(|e| {
                    fail(
                        s,
                        e.as_db_error()
                            .map(|d| d.message().to_string())
                            .unwrap_or_else(|| e.to_string()),
                    )
                })?;
            }
            Ok(())
        })
        .join()
        .map_err(|_| fail("sql", "panicked"))?
    }

    /// The URL of database `db` (superuser `postgres`, no password, TCP on 127.0.0.1).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A new empty database with PostGIS; returns its URL.
    pub fn new_database(&self) -> Result<String> {
        let name = format!(
            "jz_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        self.sql(
            "postgres",
            &[&format!(
                "CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY"
            )],
        )?;
        Ok(self.url(&name))
    }

    /// Stops the server now (immediate shutdown) and removes its directory.
    pub fn stop(&self) {
        let data = self.dir.join("data");
        if let Some(d) = data.to_str() {
            let _ = self.tool("pg_ctl", &["-D", d, "-m", "immediate", "-w", "stop"]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn path_str(p: &Path) -> Result<&str> {
    p.to_str()
        .ok_or_else(|| fail("path", format!("{} is not UTF-8", p.display())))
}

fn last_lines(s: &str, n: usize) -> String {
    let v: Vec<&str> = s.lines().collect();
    v[v.len().saturating_sub(n)..].join("\n")
}

//! Test harness: a throwaway PostgreSQL cluster from the machine's server binaries (initdb and
//! postgres in a temp dir, as the `postgres` user when running as root, on a loopback port),
//! with a fresh database per test, and a hot standby of a cluster (`pg_basebackup -R`, streaming
//! from it). It stops when dropped or, for the shared cluster, when the test process exits
//! (parent-death signal), and removes its directory.
//!
//! Binaries come from `PG_BIN` or the newest `/usr/lib/postgresql/*/bin`. When they are missing
//! the PostgreSQL tests print a notice and skip, unless `BRANCHLINE_REQUIRE_POSTGRES=1`, which
//! makes them fail instead (CI sets it).

use crate::process::{keep_tmp, TempDir};
use anyhow::{bail, Context};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, OnceLock};
use std::time::Duration;

/// How long a cluster may take to initialize and start.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs postgres, then on SIGTERM stops it at once (SIGQUIT) and removes the cluster dir.
const SUPERVISOR_SCRIPT: &str = r#"
dir=$1; keep=$2; shift 2
pid=
cleanup() {
    [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    [ "$keep" = 1 ] || rm -rf "$dir"
    exit 0
}
trap cleanup TERM INT HUP
"$@" &
pid=$!
wait "$pid"
status=$?
[ "$keep" = 1 ] || rm -rf "$dir"
exit $status
"#;

/// A running PostgreSQL cluster.
pub struct PgCluster {
    port: u16,
    supervisor: Option<Child>,
    _dir: TempDir,
    next_database: AtomicU32,
}

/// What a new cluster's data directory is made from.
#[derive(Debug, Clone, Copy)]
enum Origin {
    /// `initdb`.
    Init,
    /// `pg_basebackup -R` of the cluster on this port: a hot standby streaming from it.
    StandbyOf(u16),
}

/// The directory holding `initdb`, `postgres` and `psql`, if the machine has them.
pub fn postgres_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PG_BIN").map(PathBuf::from) {
        return dir.join("initdb").is_file().then_some(dir);
    }
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    candidates.sort();
    candidates.pop().map(|(_, bin)| bin)
}

fn postgres_required() -> bool {
    std::env::var("BRANCHLINE_REQUIRE_POSTGRES").is_ok_and(|value| value == "1")
}

/// The cluster shared by every test of this process, started on first use; `None` (after a
/// printed notice) when PostgreSQL is not installed and not required.
///
/// # Panics
/// When PostgreSQL is required but missing, or fails to start.
pub fn shared_cluster(test: &str) -> Option<&'static PgCluster> {
    static SHARED: OnceLock<Option<PgCluster>> = OnceLock::new();
    let cluster = SHARED.get_or_init(|| {
        if postgres_bin_dir().is_none() {
            if postgres_required() {
                panic!(
                    "BRANCHLINE_REQUIRE_POSTGRES=1 but no PostgreSQL server binaries were found: \
                     install Debian's `postgresql` package (or set PG_BIN to the dir holding initdb)"
                );
            }
            return None;
        }
        // The parent-death signal fires when the spawning *thread* ends, so the shared
        // cluster is spawned by a thread that lives as long as the process.
        let (started, receiver) = mpsc::channel();
        std::thread::Builder::new()
            .name("pg-cluster-owner".into())
            .spawn(move || {
                let _ = started.send(PgCluster::start(false));
                loop {
                    std::thread::park();
                }
            })
            .expect("spawning the cluster owner thread");
        let cluster = receiver.recv().expect("cluster owner thread answers");
        Some(cluster.unwrap_or_else(|error| panic!("starting the test PostgreSQL cluster: {error:#}")))
    });
    if cluster.is_none() {
        eprintln!(
            "NOTICE: skipping {test}: PostgreSQL server binaries not found (install Debian's `postgresql` \
             package or set PG_BIN; set BRANCHLINE_REQUIRE_POSTGRES=1 to fail instead)"
        );
    }
    cluster.as_ref()
}

/// Whether `test`, which starts clusters of its own, can run: `false` (after the same notice as
/// `shared_cluster`) when PostgreSQL is not installed and not required.
///
/// # Panics
/// When PostgreSQL is required but missing.
pub fn postgres_available(test: &str) -> bool {
    if postgres_bin_dir().is_some() {
        return true;
    }
    assert!(
        !postgres_required(),
        "BRANCHLINE_REQUIRE_POSTGRES=1 but no PostgreSQL server binaries were found: install \
         Debian's `postgresql` package (or set PG_BIN to the dir holding initdb)"
    );
    eprintln!(
        "NOTICE: skipping {test}: PostgreSQL server binaries not found (install Debian's `postgresql` \
         package or set PG_BIN; set BRANCHLINE_REQUIRE_POSTGRES=1 to fail instead)"
    );
    false
}

/// Runs the command as the `postgres` user when we are root (PostgreSQL refuses to run as root).
fn as_cluster_owner(bin: &Path, program: &str) -> Command {
    if rustix::process::geteuid().is_root() {
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid=postgres", "--regid=postgres", "--init-groups", "--"])
            .arg(bin.join(program));
        command
    } else {
        Command::new(bin.join(program))
    }
}

fn chown_to_postgres(path: &Path) -> anyhow::Result<()> {
    // SAFETY: geteuid has no preconditions; getpwnam gets a NUL-terminated name and its result
    // is read before any other call that could overwrite it.
    unsafe {
        if libc::geteuid() != 0 {
            return Ok(());
        }
        let user = libc::getpwnam(c"postgres".as_ptr());
        if user.is_null() {
            bail!("running as root but there is no `postgres` user to run the cluster as");
        }
        std::os::unix::fs::chown(path, Some((*user).pw_uid), Some((*user).pw_gid))
            .with_context(|| format!("chown {} to postgres", path.display()))
    }
}

/// `initdb` of a new cluster in `data`: trust authentication, UTF-8, no fsync.
fn init_cluster(bin: &Path, data: &Path) -> anyhow::Result<()> {
    let init = as_cluster_owner(bin, "initdb")
        .args([
            "--auth=trust",
            "--username=postgres",
            "--encoding=UTF8",
            "--no-sync",
            "--pgdata",
        ])
        .arg(data)
        .stdin(Stdio::null())
        .output()
        .context("running initdb")?;
    if !init.status.success() {
        bail!("initdb failed: {}", String::from_utf8_lossy(&init.stderr).trim());
    }
    Ok(())
}

/// `pg_basebackup` of the cluster on `primary_port` into `data`, written as a standby of it
/// (`-R`: `standby.signal` and its `primary_conninfo`), its WAL streamed alongside.
fn base_backup(bin: &Path, data: &Path, primary_port: u16) -> anyhow::Result<()> {
    let backup = as_cluster_owner(bin, "pg_basebackup")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &primary_port.to_string(),
            "-U",
            "postgres",
        ])
        .args(["-R", "-X", "stream", "--checkpoint=fast", "--no-sync", "-D"])
        .arg(data)
        .stdin(Stdio::null())
        .output()
        .context("running pg_basebackup")?;
    if !backup.status.success() {
        bail!(
            "pg_basebackup failed: {}",
            String::from_utf8_lossy(&backup.stderr).trim()
        );
    }
    Ok(())
}

/// `postgres` on 127.0.0.1:`port` (its socket in `dir`) under the supervisor script, which
/// stops it and removes `dir` when we die; stderr piped, to wait for readiness.
fn supervised_postgres(bin: &Path, dir: &Path, data: &Path, port: u16, durable: bool) -> Command {
    let mut postgres = as_cluster_owner(bin, "postgres");
    postgres
        .arg("-D")
        .arg(data)
        .args([
            "-p",
            &port.to_string(),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=200",
            // What a standby's base backup and streaming need (the defaults, said out loud).
            "-c",
            "wal_level=replica",
            "-c",
            "max_wal_senders=10",
        ])
        .arg("-k")
        .arg(dir);
    if !durable {
        postgres.args([
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ]);
    }
    let mut supervisor = Command::new("sh");
    supervisor
        .args(["-c", SUPERVISOR_SCRIPT, "pg-supervisor"])
        .arg(dir)
        .arg(if keep_tmp() { "1" } else { "0" })
        .arg(postgres.get_program())
        .args(postgres.get_args())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: prctl is async-signal-safe; the supervisor stops postgres when we die.
    unsafe {
        supervisor.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    supervisor
}

/// The ports a cluster is started on lie below the kernel's ephemeral range (32768 and up), so
/// servers that other tests start on port 0 never get one. PostgreSQL cannot start on port 0
/// and report the port it bound, so a port is picked at random and, when something holds it
/// already (postgres then cannot bind it and exits), the cluster is started again on another.
const CLUSTER_PORTS: std::ops::Range<u16> = 20_000..32_000;
/// How many ports a start tries before giving up.
const CLUSTER_PORT_ATTEMPTS: u32 = 20;

fn random_cluster_port(attempt: u32) -> u16 {
    use std::hash::BuildHasher;
    let random = std::collections::hash_map::RandomState::new().hash_one((std::process::id(), attempt));
    let span = u64::from(CLUSTER_PORTS.end - CLUSTER_PORTS.start);
    CLUSTER_PORTS.start + u16::try_from(random % span).expect("the span fits a port")
}

/// The log line with which postgres gives up for want of its port.
fn port_in_use(log: &str) -> bool {
    log.contains("Address already in use") || log.contains("could not create any TCP/IP sockets")
}

impl PgCluster {
    /// Initializes and starts a new cluster. `durable` keeps PostgreSQL's default fsync and
    /// synchronous commit (benchmarks); otherwise both are off (tests).
    pub fn start(durable: bool) -> anyhow::Result<PgCluster> {
        PgCluster::start_from(Origin::Init, durable)
    }

    /// A hot standby of this cluster on another port: a base backup of it (`pg_basebackup -R`),
    /// started read-only and streaming what this cluster writes. fsync is off, as in `start`.
    pub fn start_standby(&self) -> anyhow::Result<PgCluster> {
        PgCluster::start_from(Origin::StandbyOf(self.port), false)
    }

    fn start_from(origin: Origin, durable: bool) -> anyhow::Result<PgCluster> {
        for attempt in 1..=CLUSTER_PORT_ATTEMPTS {
            if let Some(cluster) = PgCluster::start_on(origin, durable, random_cluster_port(attempt))? {
                return Ok(cluster);
            }
        }
        bail!("postgres found no free port in {CLUSTER_PORT_ATTEMPTS} tries")
    }

    /// A new cluster on `port`; `None` when something else holds the port.
    fn start_on(origin: Origin, durable: bool, port: u16) -> anyhow::Result<Option<PgCluster>> {
        let bin = postgres_bin_dir()
            .context("PostgreSQL server binaries not found (PG_BIN or /usr/lib/postgresql)")?;
        let dir = TempDir::new("pg")?;
        chown_to_postgres(dir.path())?;
        let data = dir.join("data");
        match origin {
            Origin::Init => init_cluster(&bin, &data)?,
            Origin::StandbyOf(primary_port) => base_backup(&bin, &data, primary_port)?,
        }
        let mut supervisor = supervised_postgres(&bin, dir.path(), &data, port, durable)
            .spawn()
            .context("starting postgres")?;
        let stderr = supervisor.stderr.take().context("postgres stderr")?;
        let (ready, ready_receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut log = Vec::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                // A standby is "ready to accept read-only connections".
                if line.contains("ready to accept") {
                    let _ = ready.send(Ok(()));
                } else if log.len() < 50 {
                    log.push(line);
                }
            }
            let _ = ready.send(Err(log.join("\n")));
        });
        let mut cluster = PgCluster {
            port,
            supervisor: Some(supervisor),
            _dir: dir,
            next_database: AtomicU32::new(0),
        };
        match ready_receiver.recv_timeout(START_TIMEOUT) {
            Ok(Ok(())) => Ok(Some(cluster)),
            Ok(Err(log)) if port_in_use(&log) => {
                cluster.stop();
                Ok(None)
            }
            Ok(Err(log)) => {
                cluster.stop();
                bail!("postgres exited before accepting connections:\n{log}")
            }
            Err(_) => {
                cluster.stop();
                bail!("postgres did not accept connections within {START_TIMEOUT:?}")
            }
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of the cluster's `postgres` database.
    pub fn url(&self) -> String {
        self.database_url("postgres")
    }

    /// The URL of database `name` in this cluster.
    pub fn database_url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates a fresh database named after `label` and returns its URL.
    pub async fn database(&self, label: &str) -> anyhow::Result<String> {
        use sqlx::Connection;
        let n = self.next_database.fetch_add(1, Ordering::Relaxed);
        let clean: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        let name = format!("t{}_{n}_{clean}", std::process::id());
        let mut connection = sqlx::PgConnection::connect(&self.url())
            .await
            .context("connecting to the test cluster")?;
        sqlx::Executor::execute(&mut connection, format!("CREATE DATABASE {name}").as_str())
            .await
            .with_context(|| format!("creating database {name}"))?;
        connection.close().await.ok();
        Ok(self.database_url(&name))
    }

    /// Stops the server as an operator would (`pg_ctl stop -m fast`) and waits until it has
    /// exited; its directory goes with it (the supervisor removes it, so pg_ctl does not wait).
    pub fn stop_server(&mut self) -> anyhow::Result<()> {
        let bin = postgres_bin_dir().context("PostgreSQL server binaries not found")?;
        let stopped = as_cluster_owner(&bin, "pg_ctl")
            .args(["stop", "-m", "fast", "-W", "-D"])
            .arg(self._dir.join("data"))
            .stdin(Stdio::null())
            .output()
            .context("running pg_ctl stop")?;
        if !stopped.status.success() {
            bail!(
                "pg_ctl stop failed: {}",
                String::from_utf8_lossy(&stopped.stderr).trim()
            );
        }
        if let Some(mut supervisor) = self.supervisor.take() {
            let _ = supervisor.wait();
        }
        Ok(())
    }

    fn stop(&mut self) {
        if let Some(mut supervisor) = self.supervisor.take() {
            // The supervisor stops postgres and cleans up.
            crate::process::send_signal(&supervisor, rustix::process::Signal::TERM);
            let _ = supervisor.wait();
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

//! `hq-server serve` refusing to start: a database URL that is not a file on disk, a store it
//! cannot use (missing directory, not a database, read-only, unreachable PostgreSQL), a port in
//! use, a blank admin token, a config value of the wrong type, health thresholds out of order.
//! Each refusal is one stderr line naming the path, URL or key and the cause, comes at once,
//! and leaves nothing behind.

use anyhow::{bail, Context};
use branchline_tests::hq::{HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::net::RefusingPort;
use branchline_tests::process::{binary, TempDir};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Far longer than any refusal takes; only there so that a server that does start (or hangs)
/// fails the test instead of blocking it.
const EXIT_WAIT: Duration = Duration::from_secs(120);

/// The unprivileged user a read-only check runs as when the test runs as root (root writes
/// through any permission bit).
const NOBODY: u32 = 65_534;

/// How one `hq-server serve` that was expected to refuse ended.
struct Refusal {
    code: Option<i32>,
    stderr: String,
}

impl Refusal {
    /// The single stderr line, which must say `hq-server: error: ...`.
    #[track_caller]
    fn line(&self) -> &str {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|line| !line.trim().is_empty())
            .collect();
        assert_eq!(lines.len(), 1, "expected one stderr line, got:\n{}", self.stderr);
        assert!(lines[0].starts_with("hq-server: error: "), "{}", lines[0]);
        assert_eq!(self.code, Some(1), "exit code; stderr: {}", self.stderr);
        lines[0]
    }
}

/// Runs `hq-server serve` with `args` in `cwd` and waits for it to exit; an error if it
/// started serving instead, or did not exit within `EXIT_WAIT`.
fn serve_expecting_refusal(
    cwd: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    as_nobody: bool,
) -> anyhow::Result<Refusal> {
    let log_dir = TempDir::new("hq-startup-log")?;
    let stderr_path = log_dir.join("stderr");
    let mut command = Command::new(binary("hq-server"));
    command
        .arg("serve")
        .args(args)
        .current_dir(cwd)
        .env("BRANCHLINE_ADMIN_TOKEN", TEST_ADMIN_TOKEN)
        .env_remove("BRANCHLINE_DB")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path)?);
    for (key, value) in env {
        command.env(key, value);
    }
    if as_nobody {
        command.uid(NOBODY).gid(NOBODY);
    }
    let mut child = command.spawn().context("starting hq-server serve")?;
    let stdout = child.stdout.take().context("hq-server stdout")?;
    let (line_sender, first_line) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = line_sender.send(line);
    });
    let outcome = first_line.recv_timeout(EXIT_WAIT);
    let stderr = || std::fs::read_to_string(&stderr_path).unwrap_or_default();
    match outcome {
        Ok(line) if line.is_empty() => {
            let status = child.wait().context("waiting for hq-server")?;
            Ok(Refusal {
                code: status.code(),
                stderr: stderr(),
            })
        }
        Ok(line) => {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "hq-server started instead of refusing: {line:?}; stderr: {}",
                stderr()
            )
        }
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            bail!("hq-server neither served nor exited; stderr: {}", stderr())
        }
    }
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Whether the read-only checks must run the server as `NOBODY` (the test runs as root).
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|metadata| {
        use std::os::unix::fs::MetadataExt;
        metadata.uid() == 0
    })
}

/// A temp dir the server can use whichever user it runs as.
fn open_dir(label: &str) -> anyhow::Result<TempDir> {
    let dir = TempDir::new(label)?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))?;
    Ok(dir)
}

#[test]
fn serve_refuses_a_database_url_that_is_not_a_file_on_disk() -> anyhow::Result<()> {
    let refused_urls = [
        ("sqlite://", "names no file"),
        ("sqlite::memory:", "expected sqlite://PATH"),
        ("sqlite://:memory:", "in-memory"),
        ("sqlite://hq.db?mode=memory", "in-memory"),
        ("sqlite:hq.db", "expected sqlite://PATH"),
        ("mysql://localhost/hq", "expected sqlite://PATH"),
        ("hq.db", "expected sqlite://PATH"),
    ];
    for (url, cause) in refused_urls {
        let cwd = TempDir::new("hq-startup-url")?;
        let line = serve_expecting_refusal(cwd.path(), &["--listen", "127.0.0.1:0", "--db", url], &[], false)
            .with_context(|| format!("--db {url}"))?
            .line()
            .to_owned();
        assert!(
            line.contains(&format!("{url:?}")) && line.contains(cause),
            "--db {url}: {line}"
        );
        assert_eq!(
            listing(cwd.path()),
            Vec::<String>::new(),
            "--db {url} created files"
        );
    }

    // The environment override and the config file key go through the same check.
    let cwd = TempDir::new("hq-startup-url-env")?;
    let env = [("BRANCHLINE_DB", "sqlite://:memory:")];
    let line = serve_expecting_refusal(cwd.path(), &["--listen", "127.0.0.1:0"], &env, false)?
        .line()
        .to_owned();
    assert!(
        line.contains("\"sqlite://:memory:\"") && line.contains("in-memory"),
        "{line}"
    );
    assert_eq!(listing(cwd.path()), Vec::<String>::new());

    let config_dir = TempDir::new("hq-startup-url-config")?;
    let config = config_dir.join("hq.toml");
    std::fs::write(&config, "db = \"sqlite://\"\n")?;
    let config_arg = config.display().to_string();
    let line = serve_expecting_refusal(
        cwd.path(),
        &["--config", &config_arg, "--listen", "127.0.0.1:0"],
        &[],
        false,
    )?
    .line()
    .to_owned();
    assert!(
        line.contains("\"sqlite://\"") && line.contains("names no file"),
        "{line}"
    );
    assert_eq!(listing(cwd.path()), Vec::<String>::new());
    Ok(())
}

#[test]
fn serve_names_a_missing_store_directory_and_creates_nothing() -> anyhow::Result<()> {
    let dir = TempDir::new("hq-startup-missing-dir")?;
    let missing = dir.join("no-such-dir");
    let db = missing.join("hq.db");
    let url = format!("sqlite://{}", db.display());
    let refusal =
        serve_expecting_refusal(dir.path(), &["--listen", "127.0.0.1:0", "--db", &url], &[], false)?;
    let line = refusal.line();
    assert!(
        line.contains(&db.display().to_string())
            && line.contains(&format!("directory {} does not exist", missing.display())),
        "{line}"
    );
    assert_eq!(listing(dir.path()), Vec::<String>::new());
    Ok(())
}

#[test]
fn serve_refuses_a_file_that_is_not_a_database_and_leaves_it_untouched() -> anyhow::Result<()> {
    let dir = TempDir::new("hq-startup-not-a-db")?;
    let db = dir.join("hq.db");
    let garbage = "these are an operator's notes, not a database\n".repeat(200);
    std::fs::write(&db, &garbage)?;
    let url = format!("sqlite://{}", db.display());
    let refusal =
        serve_expecting_refusal(dir.path(), &["--listen", "127.0.0.1:0", "--db", &url], &[], false)?;
    let line = refusal.line();
    assert!(
        line.contains(&db.display().to_string()) && line.contains("is not an SQLite database"),
        "{line}"
    );
    assert_eq!(std::fs::read_to_string(&db)?, garbage, "the file was changed");
    assert_eq!(listing(dir.path()), vec!["hq.db".to_owned()]);
    Ok(())
}

/// A store left by an earlier, clean run, in a directory anyone may enter.
async fn existing_store(dir: &Path) -> anyhow::Result<PathBuf> {
    let db = dir.join("hq.db");
    let store = hq_server::store::Store::open(&format!("sqlite://{}", db.display()), 2).await?;
    store.close().await;
    Ok(db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_a_read_only_store_file_or_directory() -> anyhow::Result<()> {
    let as_nobody = running_as_root();

    let dir = open_dir("hq-startup-read-only-file")?;
    let db = existing_store(dir.path()).await?;
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444))?;
    let before = (listing(dir.path()), std::fs::read(&db)?);
    let url = format!("sqlite://{}", db.display());
    let refusal = serve_expecting_refusal(
        dir.path(),
        &["--listen", "127.0.0.1:0", "--db", &url],
        &[],
        as_nobody,
    )?;
    let line = refusal.line();
    assert!(
        line.contains(&db.display().to_string()) && line.contains("read-only"),
        "{line}"
    );
    assert_eq!(
        (listing(dir.path()), std::fs::read(&db)?),
        before,
        "the store was touched"
    );

    let parent = open_dir("hq-startup-read-only-dir")?;
    let locked = parent.join("locked");
    std::fs::create_dir(&locked)?;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555))?;
    let db = locked.join("hq.db");
    let url = format!("sqlite://{}", db.display());
    let refusal = serve_expecting_refusal(
        parent.path(),
        &["--listen", "127.0.0.1:0", "--db", &url],
        &[],
        as_nobody,
    )?;
    let line = refusal.line();
    assert!(
        line.contains(&db.display().to_string())
            && line.contains(&format!("directory {} is not writable", locked.display())),
        "{line}"
    );
    assert_eq!(listing(&locked), Vec::<String>::new());
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755))?;
    Ok(())
}

#[test]
fn serve_names_an_unreachable_postgres_without_its_password() -> anyhow::Result<()> {
    let cwd = TempDir::new("hq-startup-pg-down")?;
    let refusing = RefusingPort::bind()?;
    let port = refusing.port();
    let url = format!("postgres://branchline:s3cret-pw@127.0.0.1:{port}/hq");
    let refusal =
        serve_expecting_refusal(cwd.path(), &["--listen", "127.0.0.1:0", "--db", &url], &[], false)?;
    let line = refusal.line();
    assert!(
        line.contains(&format!("postgres://branchline:***@127.0.0.1:{port}/hq"))
            && line.to_lowercase().contains("connection refused"),
        "{line}"
    );
    assert!(!line.contains("s3cret-pw"), "the password was printed: {line}");
    assert_eq!(listing(cwd.path()), Vec::<String>::new());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_names_a_missing_postgres_database() -> anyhow::Result<()> {
    // A running cluster that lacks the database: the same one-line refusal naming the URL.
    let Some(HqStoreKind::Url(existing)) = HqStoreKind::postgres("hq_startup_missing_db").await else {
        return Ok(());
    };
    let (base, _) = existing.rsplit_once('/').context("database URL")?;
    let url = format!("{base}/no_such_database");
    let cwd = TempDir::new("hq-startup-pg-missing")?;
    let refusal =
        serve_expecting_refusal(cwd.path(), &["--listen", "127.0.0.1:0", "--db", &url], &[], false)?;
    let line = refusal.line();
    assert!(
        line.contains(&url) && line.contains("\"no_such_database\" does not exist"),
        "{line}"
    );
    Ok(())
}

#[test]
fn serve_finds_a_port_in_use_before_touching_the_store() -> anyhow::Result<()> {
    let dir = TempDir::new("hq-startup-port")?;
    let taken = std::net::TcpListener::bind("127.0.0.1:0")?;
    let listen = taken.local_addr()?.to_string();
    let url = format!("sqlite://{}", dir.join("hq.db").display());
    let refusal = serve_expecting_refusal(dir.path(), &["--listen", &listen, "--db", &url], &[], false)?;
    let line = refusal.line();
    assert!(line.contains(&format!("cannot listen on {listen}")), "{line}");
    assert_eq!(listing(dir.path()), Vec::<String>::new(), "the store was created");
    Ok(())
}

#[test]
fn serve_refuses_a_blank_or_padded_admin_token() -> anyhow::Result<()> {
    let dir = TempDir::new("hq-startup-token")?;
    let url = format!("sqlite://{}", dir.join("hq.db").display());
    let args = ["--listen", "127.0.0.1:0", "--db", url.as_str()];
    for (token, cause) in [
        ("            ", "only whitespace"),
        ("\t\n  \t  \n", "only whitespace"),
        (" padded-admin-token-0123 ", "leading or trailing whitespace"),
    ] {
        let refusal =
            serve_expecting_refusal(dir.path(), &args, &[("BRANCHLINE_ADMIN_TOKEN", token)], false)?;
        let line = refusal.line();
        assert!(
            line.contains("BRANCHLINE_ADMIN_TOKEN") && line.contains(cause),
            "{token:?}: {line}"
        );
        assert!(
            !line.contains("padded-admin-token"),
            "the token was printed: {line}"
        );
    }
    let config_dir = TempDir::new("hq-startup-token-config")?;
    let config = config_dir.join("hq.toml");
    std::fs::write(&config, "admin_token = \"          \"\n")?;
    let config_arg = config.display().to_string();
    let mut with_config = vec!["--config", config_arg.as_str()];
    with_config.extend_from_slice(&args);
    let refusal =
        serve_expecting_refusal(dir.path(), &with_config, &[("BRANCHLINE_ADMIN_TOKEN", "")], false)?;
    let line = refusal.line();
    assert!(
        line.contains("admin_token") && line.contains("only whitespace"),
        "{line}"
    );
    assert_eq!(listing(dir.path()), Vec::<String>::new());
    Ok(())
}

#[test]
fn serve_names_the_key_of_a_config_value_of_the_wrong_type() -> anyhow::Result<()> {
    let dir = TempDir::new("hq-startup-config-type")?;
    let config = dir.join("hq.toml");
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:0\"\n\n[limits]\nmax_batch_entries = \"many\"\n",
    )?;
    let config_arg = config.display().to_string();
    let refusal = serve_expecting_refusal(dir.path(), &["--config", &config_arg], &[], false)?;
    let line = refusal.line();
    assert!(
        line.contains(&config_arg) && line.contains("limits.max_batch_entries") && line.contains("line 4"),
        "{line}"
    );
    assert_eq!(listing(dir.path()), vec!["hq.toml".to_owned()]);
    Ok(())
}

#[test]
fn serve_refuses_health_thresholds_out_of_order_or_unknown() -> anyhow::Result<()> {
    let dir = TempDir::new("hq-startup-health")?;
    let config = dir.join("hq.toml");
    let config_arg = config.display().to_string();
    for (health, expected) in [
        (
            "amber_silence_seconds = 600\nred_silence_seconds = 60\n",
            "health.amber_silence_seconds (600) must not exceed health.red_silence_seconds (60)",
        ),
        ("red_backlog = 0\n", "health.red_backlog must be at least 1"),
        (
            "red_after = 60\n",
            "key health.red_after: unknown field `red_after`",
        ),
    ] {
        std::fs::write(&config, format!("listen = \"127.0.0.1:0\"\n\n[health]\n{health}"))?;
        let refusal = serve_expecting_refusal(dir.path(), &["--config", &config_arg], &[], false)?;
        let line = refusal.line();
        assert!(line.contains(expected), "{line}");
    }
    assert_eq!(listing(dir.path()), vec!["hq.toml".to_owned()]);
    Ok(())
}

//! The agent's TOML config (README, "The transfer agent"): ledger, HQ address, credential, watched
//! inbox folder, transfer tasks and the limits on everything that grows.

use crate::schedule::{Schedule, ScheduleError};
use crate::window::{TimeWindow, WindowError};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Environment variable that supplies the branch's transfer token.
pub const TOKEN_ENV: &str = "BRANCHLINE_TOKEN";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("config {path}: {reason}")]
    Malformed { path: PathBuf, reason: String },
    #[error("config: no ledger given (set `ledger` or pass --ledger)")]
    MissingLedger,
    #[error("config: no HQ address given (set `hq` or pass --hq)")]
    MissingHq,
    #[error("config: no token given (set `token`, `token_file`, pass --token or set {TOKEN_ENV})")]
    MissingToken,
    #[error("config: both `token` and `token_file` are set; keep one")]
    TwoTokens,
    #[error("cannot read token file {path}: {source}")]
    TokenFileUnreadable { path: PathBuf, source: std::io::Error },
    #[error("token file {path} is empty")]
    TokenFileEmpty { path: PathBuf },
    #[error("config: HQ address {hq:?} must start with http:// or https://")]
    BadHqAddress { hq: String },
    #[error("config: `{field}` needs an https:// HQ address, found {hq:?}")]
    TlsWithoutHttps { field: &'static str, hq: String },
    #[error("config: `cert` and `key` go together (the branch's client certificate and its key)")]
    CertWithoutKey,
    #[error("config: task {task:?}: {reason}")]
    BadTask { task: String, reason: String },
    #[error("config: task {task:?}: {source}")]
    BadSchedule { task: String, source: ScheduleError },
    #[error("config: task {task:?}: {source}")]
    BadWindow { task: String, source: WindowError },
    #[error("config: two tasks are named {task:?}")]
    DuplicateTask { task: String },
    #[error("config: inbox_dir {dir} does not exist (create it, or fix the path)")]
    MissingInboxDir { dir: PathBuf },
    #[error("config: inbox_dir {dir} is not a directory")]
    InboxDirNotADirectory { dir: PathBuf },
    #[error("config: limits.{field} must be between {min} and {max}, found {found}")]
    LimitOutOfRange {
        field: &'static str,
        min: u64,
        max: u64,
        found: u64,
    },
}

/// What a task moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    Push,
    Pull,
    Both,
}

impl Direction {
    pub fn pushes(self) -> bool {
        matches!(self, Direction::Push | Direction::Both)
    }

    pub fn pulls(self) -> bool {
        matches!(self, Direction::Pull | Direction::Both)
    }
}

/// One `[[task]]` as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskConfig {
    pub name: String,
    pub direction: Direction,
    #[serde(default)]
    pub every: Option<String>,
    #[serde(default)]
    pub cron: Option<String>,
    #[serde(default)]
    pub window: Option<String>,
}

/// Bounds on batches, channels, retries and waits. Every field has a `default_*`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Outbox entries per pushed batch.
    #[serde(default = "default_batch_entries_max")]
    pub batch_entries_max: usize,
    /// Approximate JSON bytes per pushed batch (kept well under HQ's message size limit).
    #[serde(default = "default_batch_bytes_max")]
    pub batch_bytes_max: usize,
    /// Batches read ahead of HQ's acknowledgements (the push pipeline depth).
    #[serde(default = "default_batches_in_flight")]
    pub batches_in_flight: usize,
    /// Inbox entries asked for per pull.
    #[serde(default = "default_pull_entries_max")]
    pub pull_entries_max: u32,
    /// Largest gRPC message accepted from HQ.
    #[serde(default = "default_message_bytes_max")]
    pub message_bytes_max: usize,
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Longest wait for any single answer from HQ (an ack, a pull, a hello).
    #[serde(default = "default_reply_timeout_ms")]
    pub reply_timeout_ms: u64,
    #[serde(default = "default_backoff_initial_ms")]
    pub backoff_initial_ms: u64,
    #[serde(default = "default_backoff_max_ms")]
    pub backoff_max_ms: u64,
    /// A dropped file is taken once its size and mtime stayed unchanged this long.
    #[serde(default = "default_settle_ms")]
    pub settle_ms: u64,
    /// How long a stop request waits for the running transfer to finish its batch.
    #[serde(default = "default_shutdown_grace_ms")]
    pub shutdown_grace_ms: u64,
}

pub fn default_batch_entries_max() -> usize {
    500
}
pub fn default_batch_bytes_max() -> usize {
    1 << 20
}
pub fn default_batches_in_flight() -> usize {
    4
}
pub fn default_pull_entries_max() -> u32 {
    500
}
pub fn default_message_bytes_max() -> usize {
    16 << 20
}
pub fn default_connect_timeout_ms() -> u64 {
    5_000
}
pub fn default_reply_timeout_ms() -> u64 {
    60_000
}
pub fn default_backoff_initial_ms() -> u64 {
    1_000
}
pub fn default_backoff_max_ms() -> u64 {
    300_000
}
pub fn default_settle_ms() -> u64 {
    1_000
}
pub fn default_shutdown_grace_ms() -> u64 {
    15_000
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            batch_entries_max: default_batch_entries_max(),
            batch_bytes_max: default_batch_bytes_max(),
            batches_in_flight: default_batches_in_flight(),
            pull_entries_max: default_pull_entries_max(),
            message_bytes_max: default_message_bytes_max(),
            connect_timeout_ms: default_connect_timeout_ms(),
            reply_timeout_ms: default_reply_timeout_ms(),
            backoff_initial_ms: default_backoff_initial_ms(),
            backoff_max_ms: default_backoff_max_ms(),
            settle_ms: default_settle_ms(),
            shutdown_grace_ms: default_shutdown_grace_ms(),
        }
    }
}

impl Limits {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let checks: [(&'static str, u64, u64, u64); 11] = [
            ("batch_entries_max", self.batch_entries_max as u64, 1, 100_000),
            ("batch_bytes_max", self.batch_bytes_max as u64, 1_024, 64 << 20),
            ("batches_in_flight", self.batches_in_flight as u64, 1, 64),
            ("pull_entries_max", u64::from(self.pull_entries_max), 1, 100_000),
            (
                "message_bytes_max",
                self.message_bytes_max as u64,
                64 << 10,
                256 << 20,
            ),
            ("connect_timeout_ms", self.connect_timeout_ms, 10, 600_000),
            ("reply_timeout_ms", self.reply_timeout_ms, 10, 3_600_000),
            ("backoff_initial_ms", self.backoff_initial_ms, 1, 3_600_000),
            (
                "backoff_max_ms",
                self.backoff_max_ms,
                self.backoff_initial_ms,
                86_400_000,
            ),
            ("settle_ms", self.settle_ms, 10, 600_000),
            ("shutdown_grace_ms", self.shutdown_grace_ms, 0, 3_600_000),
        ];
        for (field, found, min, max) in checks {
            if found < min || found > max {
                return Err(ConfigError::LimitOutOfRange {
                    field,
                    min,
                    max,
                    found,
                });
            }
        }
        Ok(())
    }
}

/// The file as written. Relative paths are relative to the file's folder.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub ledger: Option<PathBuf>,
    pub hq: Option<String>,
    pub token: Option<String>,
    pub token_file: Option<PathBuf>,
    pub inbox_dir: Option<PathBuf>,
    /// PEM CA certificate that signed HQ's certificate (https:// only).
    pub ca: Option<PathBuf>,
    /// PEM client certificate naming the branch code (mutual TLS) and its key.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    #[serde(default, rename = "task")]
    pub tasks: Vec<TaskConfig>,
    #[serde(default)]
    pub limits: Limits,
}

impl ConfigFile {
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Unreadable {
            path: path.to_owned(),
            source,
        })?;
        let mut file: ConfigFile =
            serde_path_to_error::deserialize(toml::Deserializer::new(&text)).map_err(|error| {
                ConfigError::Malformed {
                    path: path.to_owned(),
                    reason: keyed_reason(&text, &error),
                }
            })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for relative in [
            &mut file.ledger,
            &mut file.token_file,
            &mut file.inbox_dir,
            &mut file.ca,
            &mut file.cert,
            &mut file.key,
        ]
        .into_iter()
        .flatten()
        {
            if relative.is_relative() {
                *relative = base.join(&*relative);
            }
        }
        Ok(file)
    }
}

/// A config error naming the key it is about (`limits.batch_entries_max: invalid type ...`) and
/// its line.
fn keyed_reason(text: &str, error: &serde_path_to_error::Error<toml::de::Error>) -> String {
    let key = error.path().to_string();
    let inner = error.inner();
    let reason = inner.message().to_owned() + &span_suffix(text, inner.span());
    if key.is_empty() || key == "." {
        reason
    } else {
        format!("key {key}: {reason}")
    }
}

fn span_suffix(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(span) => format!(
            " (line {})",
            text[..span.start.min(text.len())].lines().count().max(1)
        ),
        None => String::new(),
    }
}

/// A task ready to run: parsed schedule and window.
#[derive(Debug, Clone)]
pub struct Task {
    pub name: String,
    pub direction: Direction,
    pub schedule: Schedule,
    pub window: Option<TimeWindow>,
}

impl TaskConfig {
    pub fn resolve(&self) -> Result<Task, ConfigError> {
        let bad = |reason: &str| ConfigError::BadTask {
            task: self.name.clone(),
            reason: reason.to_owned(),
        };
        if self.name.trim().is_empty() {
            return Err(bad("the name is empty"));
        }
        let schedule = match (&self.every, &self.cron) {
            (Some(every), None) => Schedule::parse_every(every),
            (None, Some(cron)) => Schedule::parse_cron(cron),
            (Some(_), Some(_)) => return Err(bad("set either `every` or `cron`, not both")),
            (None, None) => return Err(bad("needs `every` or `cron`")),
        }
        .map_err(|source| ConfigError::BadSchedule {
            task: self.name.clone(),
            source,
        })?;
        let window = self
            .window
            .as_deref()
            .map(TimeWindow::parse)
            .transpose()
            .map_err(|source| ConfigError::BadWindow {
                task: self.name.clone(),
                source,
            })?;
        Ok(Task {
            name: self.name.clone(),
            direction: self.direction,
            schedule,
            window,
        })
    }
}

/// Where and how to reach HQ; the token is kept out of `Debug` output.
#[derive(Clone)]
pub struct HqTarget {
    pub url: String,
    pub token: String,
    pub tls: TlsFiles,
}

/// PEM files for an https:// HQ: the CA to trust and, for mutual TLS, the branch's certificate.
#[derive(Debug, Clone, Default)]
pub struct TlsFiles {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

impl std::fmt::Debug for HqTarget {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("HqTarget")
            .field("url", &self.url)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl HqTarget {
    pub fn new(url: &str, token: String) -> Result<HqTarget, ConfigError> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ConfigError::BadHqAddress { hq: url.to_owned() });
        }
        Ok(HqTarget {
            url: url.to_owned(),
            token,
            tls: TlsFiles::default(),
        })
    }

    /// Adds TLS files; they need an https:// address, and `cert` and `key` go together.
    pub fn with_tls(mut self, tls: TlsFiles) -> Result<HqTarget, ConfigError> {
        if !self.url.starts_with("https://") {
            let field = match (&tls.ca, &tls.cert, &tls.key) {
                (Some(_), _, _) => Some("ca"),
                (None, Some(_), _) => Some("cert"),
                (None, None, Some(_)) => Some("key"),
                (None, None, None) => None,
            };
            if let Some(field) = field {
                return Err(ConfigError::TlsWithoutHttps {
                    field,
                    hq: self.url.clone(),
                });
            }
        }
        if tls.cert.is_some() != tls.key.is_some() {
            return Err(ConfigError::CertWithoutKey);
        }
        self.tls = tls;
        Ok(self)
    }
}

/// Picks the token: the explicit one, else the file's `token`/`token_file`, else the environment.
pub fn resolve_token(
    explicit: Option<&str>,
    in_file: Option<&str>,
    token_file: Option<&Path>,
) -> Result<String, ConfigError> {
    if let Some(token) = explicit.filter(|token| !token.is_empty()) {
        return Ok(token.to_owned());
    }
    match (in_file, token_file) {
        (Some(_), Some(_)) => return Err(ConfigError::TwoTokens),
        (Some(token), None) if !token.is_empty() => return Ok(token.to_owned()),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::TokenFileUnreadable {
                path: path.to_owned(),
                source,
            })?;
            let token = text.trim();
            if token.is_empty() {
                return Err(ConfigError::TokenFileEmpty {
                    path: path.to_owned(),
                });
            }
            return Ok(token.to_owned());
        }
        _ => {}
    }
    match std::env::var(TOKEN_ENV) {
        Ok(token) if !token.trim().is_empty() => Ok(token.trim().to_owned()),
        _ => Err(ConfigError::MissingToken),
    }
}

/// Checks every task and limit; returns the resolved tasks.
pub fn validate_tasks(file: &ConfigFile) -> Result<Vec<Task>, ConfigError> {
    file.limits.validate()?;
    if let Some(dir) = &file.inbox_dir {
        // Never created behind the operator's back: a typo would watch a folder nobody fills.
        match std::fs::metadata(dir) {
            Err(_) => return Err(ConfigError::MissingInboxDir { dir: dir.clone() }),
            Ok(metadata) if !metadata.is_dir() => {
                return Err(ConfigError::InboxDirNotADirectory { dir: dir.clone() })
            }
            Ok(_) => {}
        }
    }
    let mut tasks: Vec<Task> = Vec::with_capacity(file.tasks.len());
    for task_config in &file.tasks {
        if tasks.iter().any(|task| task.name == task_config.name) {
            return Err(ConfigError::DuplicateTask {
                task: task_config.name.clone(),
            });
        }
        tasks.push(task_config.resolve()?);
    }
    Ok(tasks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
        let dir = tempfile_dir();
        let path = dir.join("agent.toml");
        std::fs::write(&path, text).unwrap();
        ConfigFile::load(&path)
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "agent-config-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn spec_example_parses() {
        let file = parse(
            r#"
ledger = "sz.db"
hq = "http://127.0.0.1:50051"
token = "secret"
inbox_dir = "inbox"

[[task]]
name = "push-documents"
direction = "push"
every = "5m"
window = "08:00-22:00"

[[task]]
name = "pull"
direction = "pull"
cron = "0 */5 * * * *"
"#,
        )
        .unwrap();
        assert!(file.ledger.as_ref().unwrap().ends_with("sz.db"));
        assert!(file.ledger.as_ref().unwrap().is_absolute());
        std::fs::create_dir_all(file.inbox_dir.as_ref().unwrap()).unwrap();
        let tasks = validate_tasks(&file).unwrap();
        assert_eq!(tasks.len(), 2);
        assert!(tasks[0].window.is_some());
        assert_eq!(tasks[1].direction, Direction::Pull);
    }

    #[test]
    fn bad_inputs_are_named() {
        let error = parse("ledger = 3").unwrap_err().to_string();
        assert!(error.contains("line 1"), "{error}");
        let file = parse("[[task]]\nname = \"t\"\ndirection = \"push\"\n").unwrap();
        let error = validate_tasks(&file).unwrap_err().to_string();
        assert!(error.contains("needs `every` or `cron`"), "{error}");
        let file = parse("[[task]]\nname = \"t\"\ndirection = \"push\"\nevery = \"5 parsecs\"\n").unwrap();
        assert!(validate_tasks(&file).unwrap_err().to_string().contains("\"t\""));
        let file = parse("[limits]\nbatch_entries_max = 0\n").unwrap();
        assert!(validate_tasks(&file)
            .unwrap_err()
            .to_string()
            .contains("limits.batch_entries_max"));
        assert!(parse("[[task]]\nname = \"t\"\ndirection = \"sideways\"\nevery = \"1s\"\n").is_err());
    }

    #[test]
    fn tls_files_need_https_and_go_together() {
        let file = parse("hq = \"https://hq:1\"\nca = \"ca.pem\"\ncert = \"sz.pem\"\nkey = \"sz-key.pem\"\n")
            .unwrap();
        assert!(
            file.ca.as_ref().unwrap().is_absolute(),
            "relative to the config file"
        );
        let files = |ca: bool, cert: bool, key: bool| TlsFiles {
            ca: ca.then(|| PathBuf::from("ca.pem")),
            cert: cert.then(|| PathBuf::from("sz.pem")),
            key: key.then(|| PathBuf::from("sz-key.pem")),
        };
        let https = || HqTarget::new("https://hq:1", "t".into()).unwrap();
        let http = || HqTarget::new("http://hq:1", "t".into()).unwrap();
        assert!(https().with_tls(files(true, true, true)).is_ok());
        assert!(https().with_tls(files(false, false, false)).is_ok());
        assert!(http().with_tls(files(false, false, false)).is_ok());
        let error = http()
            .with_tls(files(true, false, false))
            .unwrap_err()
            .to_string();
        assert!(error.contains("`ca`") && error.contains("https://"), "{error}");
        assert!(matches!(
            https().with_tls(files(true, true, false)),
            Err(ConfigError::CertWithoutKey)
        ));
    }

    #[test]
    fn token_debug_is_redacted() {
        let target = HqTarget::new("http://127.0.0.1:1", "very-secret".into()).unwrap();
        assert!(!format!("{target:?}").contains("very-secret"));
        assert!(HqTarget::new("127.0.0.1:1", "x".into()).is_err());
    }
}

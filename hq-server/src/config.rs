//! `hq-server serve` configuration: a TOML file, environment overrides
//! (`BRANCHLINE_ADMIN_TOKEN`, `BRANCHLINE_DB`), command-line overrides, then `validate()`.

use crate::alert::rule::{check_rules, AlertConfigError, AlertRuleConfig, AlertTimings};
use crate::health::HealthThresholds;
pub use crate::secret::Secret;
use crate::tls::{TlsConfig, TlsFileError};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("config file {path}: {reason}")]
    Parse { path: String, reason: String },
    #[error("no admin credential: set BRANCHLINE_ADMIN_TOKEN or admin_token in the config file")]
    MissingAdminToken,
    #[error("admin token is shorter than {ADMIN_TOKEN_MIN_CHARS} characters")]
    ShortAdminToken,
    #[error("admin token ({source_name}) is only whitespace")]
    BlankAdminToken { source_name: &'static str },
    #[error("admin token ({source_name}) has leading or trailing whitespace (a stray space or newline?)")]
    PaddedAdminToken { source_name: &'static str },
    #[error(transparent)]
    Db(#[from] crate::store::db::url::DbUrlError),
    #[error(transparent)]
    ReportDb(#[from] crate::store::db::standby::StandbyError),
    #[error("invalid {field} address {listen:?}: expected HOST:PORT")]
    BadListen { field: &'static str, listen: String },
    #[error("limits.{name} must be at least 1")]
    ZeroLimit { name: &'static str },
    #[error(transparent)]
    Health(#[from] crate::health::HealthConfigError),
    #[error(transparent)]
    Tls(#[from] TlsFileError),
    #[error(transparent)]
    Alert(#[from] AlertConfigError),
}

const ADMIN_TOKEN_MIN_CHARS: usize = 8;

/// A config error naming the key it is about (`limits.max_batch_entries: invalid type ...`) and
/// its line.
fn keyed_reason(text: &str, error: &serde_path_to_error::Error<toml::de::Error>) -> String {
    let inner = error.inner();
    let line = inner
        .span()
        .map(|span| {
            format!(
                " (line {})",
                text[..span.start.min(text.len())].lines().count().max(1)
            )
        })
        .unwrap_or_default();
    let key = error.path().to_string();
    match key.as_str() {
        "" | "." => format!("{}{line}", inner.message()),
        _ => format!("key {key}: {}{line}", inner.message()),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    #[serde(default = "default_listen")]
    pub listen: String,
    #[serde(default = "default_db")]
    pub db: String,
    /// A PostgreSQL hot standby of `db` that answers reports (`--report-db`); absent: the
    /// store answers them. Writes always go to `db`.
    #[serde(default)]
    pub report_db: Option<String>,
    #[serde(default)]
    pub admin_token: Option<Secret>,
    /// Where the web console listens (`console on http://HOST:PORT`); absent: no console.
    #[serde(default)]
    pub console_listen: Option<String>,
    /// Where `/metrics` is served for Prometheus (`metrics on http://HOST:PORT/metrics`), plain
    /// HTTP even under `[tls]`; absent: no metrics endpoint.
    #[serde(default)]
    pub metrics_listen: Option<String>,
    #[serde(default)]
    pub limits: Limits,
    /// TLS for every endpoint; absent: plain HTTP/2 (loopback and tests only).
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// When a branch turns amber and red in status (README "HQ administrator's guide").
    #[serde(default)]
    pub health: HealthThresholds,
    /// When HQ judges its alert rules, and how it retries a webhook (README "Alerts").
    #[serde(default)]
    pub alerts: AlertTimings,
    /// HQ's own alert rules, `[[alert]]` tables, each with its webhook.
    #[serde(default, rename = "alert")]
    pub alert_rules: Vec<AlertRuleConfig>,
    /// Where `admin_token` came from, for messages about it.
    #[serde(skip, default = "default_admin_token_source")]
    pub admin_token_source: &'static str,
}

fn default_admin_token_source() -> &'static str {
    "admin_token"
}

/// Bounds on everything that grows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Largest gRPC message accepted (a push batch, a bundle upload).
    #[serde(default = "default_max_message_bytes")]
    pub max_message_bytes: usize,
    /// Most entries in one push batch or bundle.
    #[serde(default = "default_max_batch_entries")]
    pub max_batch_entries: usize,
    /// Most inbox entries returned by one pull.
    #[serde(default = "default_max_pull_entries")]
    pub max_pull_entries: u32,
    /// Most bytes of inbox entries one pull returns (at least one entry, however large), well
    /// under the agents' message limit (16 MiB by default).
    #[serde(default = "default_max_pull_bytes")]
    pub max_pull_bytes: usize,
    /// A template whose records take more bytes than this is published in parts of at most this
    /// size (at least one record each), each its own inbox entry.
    #[serde(default = "default_template_part_bytes")]
    pub template_part_bytes: usize,
    /// Most concurrent requests per client connection.
    #[serde(default = "default_max_concurrent_requests")]
    pub max_concurrent_requests: usize,
    /// HTTP/2 receive window per stream: how much of a push a client may send ahead.
    #[serde(default = "default_stream_window_bytes")]
    pub stream_window_bytes: u32,
    /// HTTP/2 receive window per connection.
    #[serde(default = "default_connection_window_bytes")]
    pub connection_window_bytes: u32,
    /// Most database connections of this replica.
    #[serde(default = "default_db_max_connections")]
    pub db_max_connections: u32,
    /// Most rows a listing (quarantine, audit) returns.
    #[serde(default = "default_max_list_rows")]
    pub max_list_rows: u32,
    /// Sustained transfer calls per second per branch (token bucket, per replica).
    #[serde(default = "default_branch_requests_per_second")]
    pub branch_requests_per_second: u32,
    /// Transfer calls a branch may make at once above its sustained rate (the bucket's size).
    #[serde(default = "default_branch_request_burst")]
    pub branch_request_burst: u32,
    /// Sustained calls per second from one IP address (an IPv6 /64 counting as one) that carry
    /// no token or one HQ does not know (token bucket per address, per replica); past it,
    /// RESOURCE_EXHAUSTED without a store lookup.
    #[serde(default = "default_unauthenticated_requests_per_second")]
    pub unauthenticated_requests_per_second: u32,
    /// Such calls one address may make at once above that rate (the bucket's size).
    #[serde(default = "default_unauthenticated_request_burst")]
    pub unauthenticated_request_burst: u32,
    /// Most concurrent HTTP/2 streams (calls) per client connection.
    #[serde(default = "default_max_concurrent_streams")]
    pub max_concurrent_streams: u32,
    /// Identical refusals (same actor, status code and call) within this many seconds share one
    /// audit row plus one "N more ... suppressed" row (per replica).
    #[serde(default = "default_audit_refusal_window_seconds")]
    pub audit_refusal_window_seconds: u64,
    /// A branch's pending roll-up rows (one per ingested batch) are folded into the report
    /// roll-ups once it has this many: more makes ingestion cheaper and reports read more rows.
    #[serde(default = "default_rollup_fold_batches")]
    pub rollup_fold_batches: u32,
    /// After this many seconds without an ingestion commit, every branch's pending roll-up rows
    /// are folded, so that reports read the roll-up blocks alone.
    #[serde(default = "default_rollup_idle_fold_seconds")]
    pub rollup_idle_fold_seconds: u64,
    /// Failed logins in a row after which an account is locked for `login_lockout_seconds`.
    #[serde(default = "default_login_failures_per_account")]
    pub login_failures_per_account: u32,
    /// Failed logins from one address (an IPv6 /64 counting as one) within
    /// `login_lockout_seconds` after which the address is refused logins until that much time
    /// has passed since its first failure (per replica).
    #[serde(default = "default_login_failures_per_address")]
    pub login_failures_per_address: u32,
    /// How long a lock-out lasts.
    #[serde(default = "default_login_lockout_seconds")]
    pub login_lockout_seconds: u64,
    /// A console session unused this long is ended and its login token revoked.
    #[serde(default = "default_console_session_idle_seconds")]
    pub console_session_idle_seconds: u64,
}

fn default_listen() -> String {
    "127.0.0.1:50051".to_owned()
}
fn default_db() -> String {
    "sqlite://hq.db".to_owned()
}
fn default_max_message_bytes() -> usize {
    64 * 1024 * 1024
}
fn default_max_batch_entries() -> usize {
    50_000
}
fn default_max_pull_entries() -> u32 {
    1_000
}
fn default_max_pull_bytes() -> usize {
    4 << 20
}
fn default_template_part_bytes() -> usize {
    1 << 20
}
fn default_max_concurrent_requests() -> usize {
    64
}
fn default_stream_window_bytes() -> u32 {
    4 * 1024 * 1024
}
fn default_connection_window_bytes() -> u32 {
    16 * 1024 * 1024
}
fn default_db_max_connections() -> u32 {
    8
}
fn default_max_list_rows() -> u32 {
    10_000
}
fn default_branch_requests_per_second() -> u32 {
    50
}
fn default_branch_request_burst() -> u32 {
    200
}
fn default_unauthenticated_requests_per_second() -> u32 {
    20
}
fn default_unauthenticated_request_burst() -> u32 {
    100
}
fn default_max_concurrent_streams() -> u32 {
    128
}
fn default_audit_refusal_window_seconds() -> u64 {
    60
}
fn default_rollup_fold_batches() -> u32 {
    crate::store::DEFAULT_ROLLUP_FOLD_BATCHES
}
fn default_rollup_idle_fold_seconds() -> u64 {
    2
}
fn default_login_failures_per_account() -> u32 {
    5
}
fn default_login_failures_per_address() -> u32 {
    20
}
fn default_login_lockout_seconds() -> u64 {
    900
}
fn default_console_session_idle_seconds() -> u64 {
    1800
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_message_bytes: default_max_message_bytes(),
            max_batch_entries: default_max_batch_entries(),
            max_pull_entries: default_max_pull_entries(),
            max_pull_bytes: default_max_pull_bytes(),
            template_part_bytes: default_template_part_bytes(),
            max_concurrent_requests: default_max_concurrent_requests(),
            stream_window_bytes: default_stream_window_bytes(),
            connection_window_bytes: default_connection_window_bytes(),
            db_max_connections: default_db_max_connections(),
            max_list_rows: default_max_list_rows(),
            branch_requests_per_second: default_branch_requests_per_second(),
            branch_request_burst: default_branch_request_burst(),
            unauthenticated_requests_per_second: default_unauthenticated_requests_per_second(),
            unauthenticated_request_burst: default_unauthenticated_request_burst(),
            max_concurrent_streams: default_max_concurrent_streams(),
            audit_refusal_window_seconds: default_audit_refusal_window_seconds(),
            rollup_fold_batches: default_rollup_fold_batches(),
            rollup_idle_fold_seconds: default_rollup_idle_fold_seconds(),
            login_failures_per_account: default_login_failures_per_account(),
            login_failures_per_address: default_login_failures_per_address(),
            login_lockout_seconds: default_login_lockout_seconds(),
            console_session_idle_seconds: default_console_session_idle_seconds(),
        }
    }
}

impl Default for ServeConfig {
    fn default() -> ServeConfig {
        ServeConfig {
            listen: default_listen(),
            db: default_db(),
            report_db: None,
            admin_token: None,
            console_listen: None,
            metrics_listen: None,
            limits: Limits::default(),
            tls: None,
            health: HealthThresholds::default(),
            alerts: AlertTimings::default(),
            alert_rules: Vec::new(),
            admin_token_source: default_admin_token_source(),
        }
    }
}

impl ServeConfig {
    /// A config for `db` with `admin_token`, everything else default (tests, embedding).
    pub fn new(db: &str, admin_token: &str) -> ServeConfig {
        ServeConfig {
            db: db.to_owned(),
            admin_token: Some(Secret(admin_token.to_owned())),
            ..ServeConfig::default()
        }
    }

    /// Reads a TOML file (or the defaults without one), then applies environment overrides.
    pub fn load(path: Option<&Path>) -> Result<ServeConfig, ConfigError> {
        let mut config = match path {
            None => ServeConfig::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                serde_path_to_error::deserialize(toml::Deserializer::new(&text)).map_err(|error| {
                    ConfigError::Parse {
                        path: path.display().to_string(),
                        reason: keyed_reason(&text, &error),
                    }
                })?
            }
        };
        config.apply_env();
        Ok(config)
    }

    /// `BRANCHLINE_ADMIN_TOKEN` and `BRANCHLINE_DB` override the file.
    pub fn apply_env(&mut self) {
        if let Some(token) = std::env::var("BRANCHLINE_ADMIN_TOKEN")
            .ok()
            .filter(|token| !token.is_empty())
        {
            self.admin_token = Some(Secret(token));
            self.admin_token_source = "BRANCHLINE_ADMIN_TOKEN";
        }
        if let Some(db) = std::env::var("BRANCHLINE_DB").ok().filter(|db| !db.is_empty()) {
            self.db = db;
        }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let token = self.admin_token.as_ref().ok_or(ConfigError::MissingAdminToken)?;
        let source_name = self.admin_token_source;
        if token.0.trim().is_empty() {
            return Err(ConfigError::BlankAdminToken { source_name });
        }
        if token.0.trim() != token.0 {
            return Err(ConfigError::PaddedAdminToken { source_name });
        }
        if token.0.chars().count() < ADMIN_TOKEN_MIN_CHARS {
            return Err(ConfigError::ShortAdminToken);
        }
        crate::store::db::url::parse_db_url(&self.db)?;
        if let Some(report_db) = &self.report_db {
            crate::store::db::standby::check_report_db_url(&self.db, report_db)?;
        }
        let listens = [
            ("listen", Some(&self.listen)),
            ("console_listen", self.console_listen.as_ref()),
            ("metrics_listen", self.metrics_listen.as_ref()),
        ];
        for (field, listen) in listens {
            let Some(listen) = listen else { continue };
            if listen
                .rsplit_once(':')
                .is_none_or(|(_, port)| port.parse::<u16>().is_err())
            {
                return Err(ConfigError::BadListen {
                    field,
                    listen: listen.clone(),
                });
            }
        }
        self.limits.validate()?;
        self.health.validate()?;
        check_rules(&self.alert_rules, &self.alerts)?;
        Ok(())
    }
}

impl Limits {
    /// Every limit is at least 1.
    fn validate(&self) -> Result<(), ConfigError> {
        let limits = self;
        for (name, value) in [
            ("max_message_bytes", limits.max_message_bytes),
            ("max_batch_entries", limits.max_batch_entries),
            ("max_pull_entries", limits.max_pull_entries as usize),
            ("max_pull_bytes", limits.max_pull_bytes),
            ("template_part_bytes", limits.template_part_bytes),
            ("max_concurrent_requests", limits.max_concurrent_requests),
            ("stream_window_bytes", limits.stream_window_bytes as usize),
            ("connection_window_bytes", limits.connection_window_bytes as usize),
            ("db_max_connections", limits.db_max_connections as usize),
            ("max_list_rows", limits.max_list_rows as usize),
            (
                "branch_requests_per_second",
                limits.branch_requests_per_second as usize,
            ),
            ("branch_request_burst", limits.branch_request_burst as usize),
            (
                "unauthenticated_requests_per_second",
                limits.unauthenticated_requests_per_second as usize,
            ),
            (
                "unauthenticated_request_burst",
                limits.unauthenticated_request_burst as usize,
            ),
            ("max_concurrent_streams", limits.max_concurrent_streams as usize),
            (
                "audit_refusal_window_seconds",
                usize::try_from(limits.audit_refusal_window_seconds).unwrap_or(usize::MAX),
            ),
            ("rollup_fold_batches", limits.rollup_fold_batches as usize),
            (
                "login_failures_per_account",
                limits.login_failures_per_account as usize,
            ),
            (
                "login_failures_per_address",
                limits.login_failures_per_address as usize,
            ),
            (
                "login_lockout_seconds",
                usize::try_from(limits.login_lockout_seconds).unwrap_or(usize::MAX),
            ),
            (
                "console_session_idle_seconds",
                usize::try_from(limits.console_session_idle_seconds).unwrap_or(usize::MAX),
            ),
            (
                "rollup_idle_fold_seconds",
                usize::try_from(limits.rollup_idle_fold_seconds).unwrap_or(usize::MAX),
            ),
        ] {
            if value == 0 {
                return Err(ConfigError::ZeroLimit { name });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_section_and_new_limits_parse_and_validate() {
        let text = "admin_token = \"0123456789\"\n[tls]\ncert = \"hq.pem\"\nkey = \"hq-key.pem\"\n\
                    client_ca = \"ca.pem\"\n[limits]\nbranch_requests_per_second = 5\n";
        let config: ServeConfig = toml::from_str(text).unwrap();
        let tls = config.tls.as_ref().unwrap();
        assert_eq!(tls.client_ca.as_deref(), Some(Path::new("ca.pem")));
        assert_eq!(config.limits.branch_requests_per_second, 5);
        config.validate().unwrap();
        let error = tls.read().err().unwrap().to_string();
        assert!(error.starts_with("tls.cert: cannot read hq.pem"), "{error}");
        let mut zero = config.clone();
        zero.limits.max_concurrent_streams = 0;
        assert!(zero
            .validate()
            .unwrap_err()
            .to_string()
            .contains("max_concurrent_streams"));
        assert!(toml::from_str::<ServeConfig>("[tls]\ncert = \"a\"\nkey = \"b\"\nca = \"c\"\n").is_err());
    }
}

//! The config file as written: loading it (a value of the wrong type named by its key path
//! and line, relative paths taken from the file's folder) and checking its tasks and limits.

use super::error::ConfigError;
use super::limits::Limits;
use super::task::{Task, TaskConfig};
use serde::Deserialize;
use std::path::{Path, PathBuf};

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
    /// Where `run` serves `/metrics` for Prometheus (`metrics on http://HOST:PORT/metrics`).
    pub metrics_listen: Option<String>,
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
    use crate::config::task::Direction;

    fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.toml");
        std::fs::write(&path, text).unwrap();
        ConfigFile::load(&path)
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
    fn tls_paths_are_relative_to_the_file() {
        let file = parse("hq = \"https://hq:1\"\nca = \"ca.pem\"\ncert = \"sz.pem\"\nkey = \"sz-key.pem\"\n")
            .unwrap();
        assert!(
            file.ca.as_ref().unwrap().is_absolute(),
            "relative to the config file"
        );
    }
}

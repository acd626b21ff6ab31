//! `transfer-agent run`: every configured task on its schedule and window, with capped
//! exponential backoff and jitter after failures, the watched inbox folder beside them, until a
//! stop is asked for; then the running batch is finished (up to a grace period) and it returns.

use crate::backoff::Backoff;
use crate::client::{connect, ClientError, Hq};
use crate::config::limits::Limits;
use crate::config::target::HqTarget;
use crate::config::task::Task;
use crate::metrics::AgentMetrics;
use crate::send_now::{wake_channel, watch_requests};
use crate::shutdown::StopSignal;
use crate::state::{record_failure, record_success, state_path};
use crate::transfer::transfer_once;
use crate::watch::{watch_inbox, FileOutcome, WatchError};
use crate::window::{may_run, Clock};
use branch_node::agent_files::send_now_path;
use chrono::{DateTime, Local};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Watch(#[from] WatchError),
    #[error("nothing to run: the config has no [[task]] and no inbox_dir")]
    NothingToRun,
}

/// Everything `run` needs, already validated.
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub ledger: PathBuf,
    pub hq: HqTarget,
    pub inbox_dir: Option<PathBuf>,
    pub tasks: Vec<Task>,
    pub limits: Limits,
    /// What the tasks count for `/metrics` (counted whether or not it is served).
    pub metrics: AgentMetrics,
}

/// The name under which the watched folder's imports appear in `status`.
pub const INBOX_FOLDER_TASK: &str = "inbox-folder";

/// Serializes transfers of one direction inside the agent (two push tasks never race).
#[derive(Clone, Default)]
struct DirectionLocks {
    push: Arc<tokio::sync::Mutex<()>>,
    pull: Arc<tokio::sync::Mutex<()>>,
}

pub async fn run(settings: RunSettings, clock: Arc<dyn Clock>, stop: StopSignal) -> Result<(), RunError> {
    if settings.tasks.is_empty() && settings.inbox_dir.is_none() {
        return Err(RunError::NothingToRun);
    }
    let hq = connect(&settings.hq, &settings.limits)?;
    let locks = DirectionLocks::default();
    let (wake, woken) = wake_channel();
    let mut handles = Vec::new();
    for task in settings.tasks.clone() {
        let context = TaskContext {
            settings: settings.clone(),
            hq: hq.clone(),
            clock: clock.clone(),
            locks: locks.clone(),
            woken: woken.clone(),
        };
        handles.push(tokio::spawn(run_task(context, task, stop.clone())));
    }
    let requests = tokio::spawn(watch_requests(
        send_now_path(&settings.ledger),
        wake,
        stop.clone(),
    ));
    let watcher = settings.inbox_dir.clone().map(|dir| {
        let state_file = state_path(&settings.ledger);
        let on_outcome = move |outcome: &Result<FileOutcome, WatchError>| {
            let recorded = match outcome {
                Ok(FileOutcome::Imported { file, .. }) => record_success(
                    &state_file,
                    INBOX_FOLDER_TASK,
                    &format!("imported {}", file.display()),
                ),
                Ok(FileOutcome::Rejected { file, reason, .. }) => record_failure(
                    &state_file,
                    INBOX_FOLDER_TASK,
                    &format!("rejected {}: {reason}", file.display()),
                ),
                Err(error) => record_failure(&state_file, INBOX_FOLDER_TASK, &error.to_string()),
            };
            if let Err(error) = recorded {
                tracing::warn!(%error, "cannot record agent state");
            }
        };
        tokio::spawn(watch_inbox(
            settings.ledger.clone(),
            hq.clone(),
            dir,
            Duration::from_millis(settings.limits.settle_ms),
            stop.clone(),
            on_outcome,
        ))
    });
    tracing::info!(tasks = settings.tasks.len(), ledger = %settings.ledger.display(), hq = %settings.hq.url, "agent running");

    let mut stop_wait = stop.clone();
    stop_wait.stopped().await;
    tracing::info!("stop requested: finishing the running batches");
    let grace = Duration::from_millis(settings.limits.shutdown_grace_ms);
    let finished = tokio::time::timeout(grace, async {
        for handle in handles {
            let _ = handle.await;
        }
        if let Some(watcher) = watcher {
            if let Ok(Err(error)) = watcher.await {
                tracing::error!(%error, "inbox folder watcher failed");
            }
        }
        let _ = requests.await;
    })
    .await;
    if finished.is_err() {
        tracing::warn!(
            grace_ms = grace.as_millis() as u64,
            "stopping without waiting any longer; every ledger write is atomic"
        );
    }
    tracing::info!("agent stopped");
    Ok(())
}

struct TaskContext {
    settings: RunSettings,
    hq: Hq,
    clock: Arc<dyn Clock>,
    locks: DirectionLocks,
    /// Changes when the workbench asks for a run now (`send_now`).
    woken: tokio::sync::watch::Receiver<u64>,
}

/// When a task fires first.
fn first_fire(task: &Task, now: DateTime<Local>) -> Option<DateTime<Local>> {
    if task.schedule.fires_at_start() {
        Some(now)
    } else {
        task.schedule.next_after(now)
    }
}

async fn run_task(mut context: TaskContext, task: Task, mut stop: StopSignal) {
    let limits = &context.settings.limits;
    let state_file = state_path(&context.settings.ledger);
    let mut backoff = Backoff::new(limits.backoff_initial_ms, limits.backoff_max_ms);
    let mut next_fire = first_fire(&task, context.clock.now());
    tracing::info!(task = %task.name, window = ?task.window.map(|window| window.to_string()), "task scheduled");
    while let Some(fire_at) = next_fire {
        let wait = (fire_at - context.clock.now()).to_std().unwrap_or(Duration::ZERO);
        tokio::select! {
            // A stop first: the request watcher's end (its sender dropped) is no request.
            biased;
            _ = stop.stopped() => return,
            _ = tokio::time::sleep(wait) => {}
            _ = context.woken.changed() => {}
        }
        let started = context.clock.now();
        if !may_run(task.window.as_ref(), started) {
            tracing::debug!(task = %task.name, "outside its window: idle");
            next_fire = task.schedule.next_after(started);
            continue;
        }
        let result = {
            let _push_guard = match task.direction.pushes() {
                true => Some(context.locks.push.lock().await),
                false => None,
            };
            let _pull_guard = match task.direction.pulls() {
                true => Some(context.locks.pull.lock().await),
                false => None,
            };
            transfer_once(
                &context.settings.ledger,
                &context.hq,
                limits,
                task.direction,
                &stop,
            )
            .await
        };
        let recorded = match &result {
            Ok(outcome) => {
                backoff.record_success();
                let pushed = outcome.push.as_ref().map_or(0, |push| push.applied);
                let pulled = outcome.pull.as_ref().map_or(0, |pull| pull.entries_received);
                context.settings.metrics.transferred(&task.name, pushed, pulled);
                tracing::info!(task = %task.name, %outcome, "task succeeded");
                next_fire = task
                    .schedule
                    .next_after(started)
                    .map(|next| next.max(context.clock.now()));
                record_success(&state_file, &task.name, &outcome.to_string())
            }
            Err(error) => {
                let delay = backoff.record_failure(&mut rand::rng());
                if error.is_transient() {
                    tracing::warn!(task = %task.name, %error, retry_in_ms = delay.as_millis() as u64, failures = backoff.failures(), "task failed");
                } else {
                    tracing::error!(task = %task.name, %error, retry_in_ms = delay.as_millis() as u64, failures = backoff.failures(), "task failed");
                }
                next_fire = Some(context.clock.now() + chrono::Duration::from_std(delay).unwrap_or_default());
                record_failure(&state_file, &task.name, &error.to_string())
            }
        };
        if let Err(error) = recorded {
            tracing::warn!(%error, "cannot record agent state");
        }
    }
    tracing::warn!(task = %task.name, "schedule never fires again");
}

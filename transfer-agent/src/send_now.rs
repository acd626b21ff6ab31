//! The send-now request: the workbench's "send now" button writes `<ledger>.send-now`; a running
//! agent looks for it twice a second, removes it and wakes every task, which runs at once (inside
//! its window) and then keeps its schedule. An agent that is not running leaves the file for
//! the next start, which runs its tasks anyway.

use crate::shutdown::StopSignal;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::watch;

/// How often the agent looks for the request.
const LOOK_EVERY: Duration = Duration::from_millis(500);

/// Counts the requests taken; every task holds a receiver and runs when it changes.
pub fn wake_channel() -> (watch::Sender<u64>, watch::Receiver<u64>) {
    watch::channel(0)
}

/// Takes each request at `path` until `stop`, waking the tasks through `wake`.
pub async fn watch_requests(path: PathBuf, wake: watch::Sender<u64>, mut stop: StopSignal) {
    loop {
        tokio::select! {
            _ = stop.stopped() => return,
            _ = tokio::time::sleep(LOOK_EVERY) => {}
        }
        match std::fs::remove_file(&path) {
            Ok(()) => {
                tracing::info!(request = %path.display(), "send-now requested: running every task");
                wake.send_modify(|taken| *taken += 1);
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                tracing::warn!(request = %path.display(), %error, "cannot take the send-now request")
            }
        }
    }
}

//! A stop request shared by every task of the agent: set once (SIGTERM, Ctrl-C, or a test),
//! observed between batches so that no batch is left half-applied.

use tokio::sync::watch;

/// The sending side: asks everything holding a [`StopSignal`] to stop.
#[derive(Debug)]
pub struct StopHandle {
    sender: watch::Sender<bool>,
}

/// The receiving side, cheap to clone and to check from blocking threads.
#[derive(Debug, Clone)]
pub struct StopSignal {
    receiver: watch::Receiver<bool>,
}

pub fn stop_pair() -> (StopHandle, StopSignal) {
    let (sender, receiver) = watch::channel(false);
    (StopHandle { sender }, StopSignal { receiver })
}

impl StopHandle {
    pub fn stop(&self) {
        self.sender.send_replace(true);
    }

    pub fn signal(&self) -> StopSignal {
        StopSignal {
            receiver: self.sender.subscribe(),
        }
    }
}

impl StopSignal {
    pub fn is_stopping(&self) -> bool {
        *self.receiver.borrow()
    }

    /// Resolves once a stop was asked for.
    pub async fn stopped(&mut self) {
        // An error means the handle is gone: nobody can ask to stop any more, so wait forever.
        if self.receiver.wait_for(|stopping| *stopping).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT).
pub async fn termination_requested() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(terminate) => terminate,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

//! The console's state, shared by every request: the way into HQ, the sessions, and what the
//! serving settings decide (Secure cookies, the largest form, how often sessions are swept).

use super::api::Api;
use super::session::Sessions;
use crate::config::Limits;
use std::sync::Arc;
use std::time::Duration;

/// The console's state, shared by every request.
#[derive(Clone)]
pub struct Console {
    inner: Arc<Shared>,
}

struct Shared {
    api: Api,
    sessions: Sessions,
    sweep_interval: Duration,
    secure_cookies: bool,
    form_bytes_max: usize,
}

/// Most time between two sweeps of expired sessions (a shorter idle time sweeps as often).
const SWEEP_INTERVAL: Duration = Duration::from_secs(30);

impl Console {
    pub fn new(api: Api, limits: &Limits, tls: bool) -> Console {
        let idle = Duration::from_secs(limits.console_session_idle_seconds);
        Console {
            inner: Arc::new(Shared {
                api,
                sessions: Sessions::new(idle),
                sweep_interval: idle.min(SWEEP_INTERVAL),
                secure_cookies: tls,
                form_bytes_max: limits.max_message_bytes,
            }),
        }
    }

    pub fn api(&self) -> &Api {
        &self.inner.api
    }

    pub fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }

    /// Whether cookies are marked Secure (the console is served over TLS).
    pub fn secure_cookies(&self) -> bool {
        self.inner.secure_cookies
    }

    /// How often idle sessions are swept.
    pub fn sweep_interval(&self) -> Duration {
        self.inner.sweep_interval
    }

    /// The largest form or upload a page reads (HQ's `limits.max_message_bytes`).
    pub fn form_bytes_max(&self) -> usize {
        self.inner.form_bytes_max
    }
}

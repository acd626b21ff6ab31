//! The workbench's login, for a workbench served beyond this machine (`serve --allow-network`):
//! one password per ledger, set with `branch-node user password` and kept as an Argon2id hash in
//! `<ledger>.workbench-password` (mode 0600); a login opens a session (a random cookie,
//! HttpOnly, SameSite=Strict) that ends after 30 minutes unused or at logout. Every page but the
//! login page and the assets asks for one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A session unused this long is over.
const SESSION_IDLE: Duration = Duration::from_secs(30 * 60);
/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "wb_session";
/// The shortest password `user password` takes.
pub(crate) const PASSWORD_MIN_CHARS: usize = 8;

/// The password file of `ledger`.
pub(crate) fn password_path(ledger: &Path) -> PathBuf {
    let mut name = ledger.file_name().unwrap_or_default().to_os_string();
    name.push(".workbench-password");
    ledger.with_file_name(name)
}

/// The stored hash and the open sessions.
#[derive(Debug)]
pub(crate) struct Login {
    hash: String,
    sessions: Mutex<HashMap<String, Instant>>,
}

impl Login {
    pub(crate) fn new(hash: String) -> Login {
        Login {
            hash,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `password` is the ledger's (Argon2 is slow on purpose: call off the async threads).
    pub(crate) fn verify(&self, password: &str) -> bool {
        branchline_shared::password::verify_password(password, &self.hash).unwrap_or(false)
    }

    /// A new session's token.
    pub(crate) fn open(&self) -> String {
        let token = hex::encode(rand::random::<[u8; 32]>());
        self.sessions().insert(token.clone(), Instant::now());
        token
    }

    /// Whether `token` is a live session (its idle time restarts).
    pub(crate) fn check(&self, token: &str) -> bool {
        let mut sessions = self.sessions();
        sessions.retain(|_, used| used.elapsed() < SESSION_IDLE);
        match sessions.get_mut(token) {
            Some(used) => {
                *used = Instant::now();
                true
            }
            None => false,
        }
    }

    pub(crate) fn close(&self, token: &str) {
        self.sessions().remove(token);
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

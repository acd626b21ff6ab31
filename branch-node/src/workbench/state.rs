//! What every request of one workbench shares: the ledger's path and its open handles, the form
//! token and, when it is served beyond this machine, the login.

use super::login::Login;
use super::notice::Notices;
use crate::error::LedgerError;
use crate::ledger::Ledger;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Mutex;

/// Open handles kept for the next requests (opening checks the whole file, `quick_check`).
const IDLE_LEDGERS_MAX: usize = 4;

pub(crate) struct Workbench {
    pub(super) ledger: PathBuf,
    /// The token every form carries back (a page of another site cannot read it).
    pub(super) csrf: String,
    /// `Some` when served with `--allow-network`: every page asks for a session.
    pub(super) login: Option<Login>,
    /// What the last forms did, for the pages they return to.
    pub(super) notices: Notices,
    /// Handles of the ledger file, with the file's (device, inode) they were opened on.
    idle: Mutex<Vec<(Ledger, (u64, u64))>>,
}

impl Workbench {
    pub(super) fn new(ledger: PathBuf, login: Option<Login>) -> Workbench {
        Workbench {
            ledger,
            csrf: hex::encode(rand::random::<[u8; 16]>()),
            login,
            notices: Notices::default(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// The form token when every page asks for a session (the frame's logout button posts it).
    pub(super) fn signed_in_csrf(&self) -> Option<&str> {
        self.login.as_ref().map(|_| self.csrf.as_str())
    }

    /// An open handle of the ledger: an idle one when the file at the path is still the one it
    /// was opened on (a ledger restored from a backup is a new file, opened and checked anew).
    pub(super) fn take_ledger(&self) -> Result<(Ledger, (u64, u64)), LedgerError> {
        let file = std::fs::metadata(&self.ledger)
            .map(|meta| (meta.dev(), meta.ino()))
            .ok();
        let mut idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        idle.retain(|(_, opened_on)| Some(*opened_on) == file);
        if let Some(found) = idle.pop() {
            return Ok(found);
        }
        drop(idle);
        let ledger = Ledger::open(&self.ledger)?;
        Ok((ledger, file.unwrap_or_default()))
    }

    /// Keeps `ledger` for the next request.
    pub(super) fn give_back(&self, ledger: (Ledger, (u64, u64))) {
        let mut idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if idle.len() < IDLE_LEDGERS_MAX {
            idle.push(ledger);
        }
    }
}

//! What every request of one workbench shares: the ledger's path, the form token and, when it
//! is served beyond this machine, the login.

use super::login::Login;
use std::path::PathBuf;

#[derive(Debug)]
pub(crate) struct Workbench {
    pub(super) ledger: PathBuf,
    /// The token every form carries back (a page of another site cannot read it).
    pub(super) csrf: String,
    /// `Some` when served with `--allow-network`: every page asks for a session.
    pub(super) login: Option<Login>,
}

impl Workbench {
    pub(super) fn new(ledger: PathBuf, login: Option<Login>) -> Workbench {
        Workbench {
            ledger,
            csrf: hex::encode(rand::random::<[u8; 16]>()),
            login,
        }
    }
}

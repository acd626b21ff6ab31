//! What every request of one workbench shares: the ledger's path and the form token.

use std::path::PathBuf;

#[derive(Debug)]
pub(crate) struct Workbench {
    pub(super) ledger: PathBuf,
    /// The token every form carries back (a page of another site cannot read it).
    pub(super) csrf: String,
}

impl Workbench {
    pub(super) fn new(ledger: PathBuf) -> Workbench {
        Workbench {
            ledger,
            csrf: hex::encode(rand::random::<[u8; 16]>()),
        }
    }
}

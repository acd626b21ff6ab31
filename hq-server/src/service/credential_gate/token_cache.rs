//! The credential gate's cache of token digests: whose token (a branch's, a person's, or
//! nobody's) a token's SHA-256 was when last looked up, bounded in size. It only ever lets the
//! gate refuse.

use crate::store::registry::branches::BranchRef;
use std::collections::HashMap;
use std::sync::Mutex;

/// Most token digests the cache remembers. Known tokens are bounded by the registry; unknown
/// ones by the callers, so when the cache is full its unknown entries are dropped first, then
/// everything (it is only a cache: the next call looks the token up again). 65,536 entries of
/// about 100 bytes is a few megabytes.
pub(super) const CREDENTIAL_CACHE_ENTRIES_MAX: usize = 65_536;

/// Whose a known token is.
#[derive(Debug, Clone)]
pub(super) enum Holder {
    Branch(BranchRef),
    Person,
}

/// Token digest -> its holder (None: nobody's) when last looked up.
pub(super) struct CredentialCache {
    entries: Mutex<HashMap<[u8; 32], Option<Holder>>>,
}

impl CredentialCache {
    pub(super) fn new() -> CredentialCache {
        CredentialCache {
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub(super) fn get(&self, digest: &[u8; 32]) -> Option<Option<Holder>> {
        self.lock().get(digest).cloned()
    }

    pub(super) fn put(&self, digest: [u8; 32], holder: Option<Holder>) {
        let mut entries = self.lock();
        if entries.len() >= CREDENTIAL_CACHE_ENTRIES_MAX && !entries.contains_key(&digest) {
            entries.retain(|_, holder| holder.is_some());
            if entries.len() >= CREDENTIAL_CACHE_ENTRIES_MAX {
                entries.clear();
            }
        }
        entries.insert(digest, holder);
    }

    /// Forgets every known token (after a credential change through this replica).
    pub(super) fn forget_known(&self) {
        self.lock().retain(|_, holder| holder.is_none());
    }

    /// Records the digests of live tokens as known (up to the cache's size).
    pub(super) fn put_known(&self, known: Vec<([u8; 32], Holder)>) {
        let mut entries = self.lock();
        for (digest, holder) in known {
            if entries.len() >= CREDENTIAL_CACHE_ENTRIES_MAX {
                break;
            }
            entries.insert(digest, Some(holder));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Option<Holder>>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

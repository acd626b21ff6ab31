//! Failed logins per caller address (an IPv6 /64 counting as one, as the credential gate keys
//! them): past `limits.login_failures_per_address` within `limits.login_lockout_seconds`, the
//! address is refused logins until that long after its first failure. Per replica and in memory
//! (like the request rates); the per-account lock-out is in the store.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most addresses remembered at once; past it, expired ones are forgotten first, and failures
/// of new addresses are not counted until there is room (the account lock-out still holds).
const ADDRESSES_MAX: usize = 65_536;

struct Failures {
    first: Instant,
    /// When the address's lock-out ends, RFC 3339 UTC, fixed at its first failure.
    until: String,
    count: u32,
}

pub(super) struct AddressGuard {
    failures_max: u32,
    window: Duration,
    addresses: Mutex<HashMap<String, Failures>>,
}

impl AddressGuard {
    pub(super) fn new(failures_max: u32, window: Duration) -> AddressGuard {
        AddressGuard {
            failures_max,
            window,
            addresses: Mutex::new(HashMap::new()),
        }
    }

    /// When the lock-out of `address` ends, if it is locked out now.
    pub(super) fn locked_until(&self, address: &str) -> Option<String> {
        let addresses = self.lock();
        let failures = addresses.get(address)?;
        let locked = failures.count >= self.failures_max && failures.first.elapsed() < self.window;
        locked.then(|| failures.until.clone())
    }

    /// Counts a failed login from `address`.
    pub(super) fn failed(&self, address: &str) {
        let mut addresses = self.lock();
        let window = self.window;
        if let Some(failures) = addresses.get_mut(address) {
            if failures.first.elapsed() < window {
                failures.count += 1;
                return;
            }
        }
        if addresses.len() >= ADDRESSES_MAX {
            addresses.retain(|_, failures| failures.first.elapsed() < window);
            if addresses.len() >= ADDRESSES_MAX {
                return;
            }
        }
        addresses.insert(
            address.to_owned(),
            Failures {
                first: Instant::now(),
                until: time_after(window),
                count: 1,
            },
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        self.addresses
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Longest lock-out shown: a century, so that its end is a four-digit year, which the store
/// compares as text.
const SPAN_MAX: Duration = Duration::from_secs(100 * 365 * 86_400);

/// The time `span` (at most a century) from now, RFC 3339 UTC in whole seconds, rounded up so
/// that a lock-out is never shown ending before it does.
pub(super) fn time_after(span: Duration) -> String {
    let span = span.min(SPAN_MAX) + Duration::from_millis(999);
    let span = chrono::Duration::from_std(span).unwrap_or(chrono::Duration::zero());
    (chrono::Utc::now() + span).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_locked_after_its_failures_until_the_window_passes() {
        let guard = AddressGuard::new(3, Duration::from_millis(200));
        for _ in 0..2 {
            guard.failed("10.0.0.1");
        }
        assert_eq!(guard.locked_until("10.0.0.1"), None);
        guard.failed("10.0.0.1");
        assert!(guard.locked_until("10.0.0.1").is_some());
        assert_eq!(guard.locked_until("10.0.0.2"), None);
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(guard.locked_until("10.0.0.1"), None);
        guard.failed("10.0.0.1");
        assert_eq!(guard.locked_until("10.0.0.1"), None, "a new window starts");
    }
}

//! Request rate limits: a token bucket per key (a branch code, or a caller's IP address), in
//! memory, per replica. Every map has a most number of keys; past it, buckets that have refilled
//! (indistinguishable from a new one) are dropped, and a new key that still finds no room is
//! refused rather than let the map grow.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often a full map may be scanned for refilled buckets: scanning is O(keys), so a caller
/// with many addresses must not be able to make every call pay for it.
const PRUNE_INTERVAL: Duration = Duration::from_secs(1);

struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

struct Buckets {
    by_key: HashMap<String, Bucket>,
    pruned_at: Option<Instant>,
}

/// Token buckets keyed by branch code or address.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    keys_max: usize,
    buckets: Mutex<Buckets>,
}

impl RateLimiter {
    /// Buckets of `burst` calls refilled at `per_second`, for at most `keys_max` keys at once.
    pub fn new(per_second: u32, burst: u32, keys_max: usize) -> RateLimiter {
        RateLimiter {
            per_second: f64::from(per_second),
            burst: f64::from(burst.max(1)),
            keys_max: keys_max.max(1),
            buckets: Mutex::new(Buckets {
                by_key: HashMap::new(),
                pruned_at: None,
            }),
        }
    }

    /// Takes one token from `key`'s bucket; false when it is empty (the call is refused).
    pub fn admit(&self, key: &str) -> bool {
        self.admit_at(key, Instant::now())
    }

    /// Whether `key`'s bucket holds a token, without taking it.
    pub fn has_room(&self, key: &str) -> bool {
        self.has_room_at(key, Instant::now())
    }

    fn has_room_at(&self, key: &str, now: Instant) -> bool {
        let buckets = self.lock();
        match buckets.by_key.get(key) {
            Some(bucket) => self.refilled(bucket, now) >= 1.0,
            None => {
                buckets.by_key.len() < self.keys_max
                    || buckets.pruned_at.is_none_or(|at| now >= at + PRUNE_INTERVAL)
            }
        }
    }

    fn admit_at(&self, key: &str, now: Instant) -> bool {
        let mut buckets = self.lock();
        if !buckets.by_key.contains_key(key) && buckets.by_key.len() >= self.keys_max {
            if buckets.pruned_at.is_some_and(|at| now < at + PRUNE_INTERVAL) {
                return false;
            }
            buckets.pruned_at = Some(now);
            buckets
                .by_key
                .retain(|_, bucket| self.refilled(bucket, now) < self.burst);
            if buckets.by_key.len() >= self.keys_max {
                return false;
            }
        }
        let bucket = buckets.by_key.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            refilled_at: now,
        });
        bucket.tokens = self.refilled(bucket, now);
        bucket.refilled_at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// The tokens `bucket` holds at `now`.
    fn refilled(&self, bucket: &Bucket, now: Instant) -> f64 {
        let elapsed_s = now.saturating_duration_since(bucket.refilled_at).as_secs_f64();
        (bucket.tokens + elapsed_s * self.per_second).min(self.burst)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Buckets> {
        self.buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refill_per_key() {
        let limiter = RateLimiter::new(2, 3, 100);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.has_room_at("SZ", start));
            assert!(limiter.admit_at("SZ", start));
        }
        assert!(!limiter.has_room_at("SZ", start));
        assert!(!limiter.admit_at("SZ", start));
        assert!(limiter.admit_at("GZ", start), "buckets are per key");
        assert!(limiter.admit_at("SZ", start + Duration::from_millis(500)));
        assert!(!limiter.admit_at("SZ", start + Duration::from_millis(500)));
    }

    #[test]
    fn a_full_map_drops_refilled_buckets_and_refuses_new_keys_otherwise() {
        let limiter = RateLimiter::new(1, 2, 2);
        let start = Instant::now();
        assert!(limiter.admit_at("a", start));
        assert!(limiter.admit_at("b", start));
        assert!(!limiter.admit_at("c", start), "no room: a and b are not refilled");
        assert!(!limiter.has_room_at("c", start + Duration::from_millis(10)));
        // After a and b refilled (and the prune interval passed), c takes a's place.
        let later = start + Duration::from_secs(2);
        assert!(limiter.has_room_at("c", later));
        assert!(limiter.admit_at("c", later));
        assert_eq!(limiter.lock().by_key.len(), 1);
    }
}

//! Per-branch request rate limit: a token bucket per branch, in memory, per replica. The map
//! holds one small entry per registered branch that called, so it is bounded by the registry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

/// Token buckets keyed by branch code.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub fn new(per_second: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            per_second: f64::from(per_second),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token from `branch`'s bucket; false when it is empty (the call is refused).
    pub fn admit(&self, branch: &str) -> bool {
        self.admit_at(branch, Instant::now())
    }

    fn admit_at(&self, branch: &str, now: Instant) -> bool {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = buckets.entry(branch.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            refilled_at: now,
        });
        let elapsed_s = now.saturating_duration_since(bucket.refilled_at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed_s * self.per_second).min(self.burst);
        bucket.refilled_at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_refill_per_branch() {
        let limiter = RateLimiter::new(2, 3);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.admit_at("SZ", start));
        }
        assert!(!limiter.admit_at("SZ", start));
        assert!(limiter.admit_at("GZ", start), "buckets are per branch");
        assert!(limiter.admit_at("SZ", start + Duration::from_millis(500)));
        assert!(!limiter.admit_at("SZ", start + Duration::from_millis(500)));
    }
}

//! Exponential backoff with jitter after failed transfers, capped, reset by a success.

use rand::Rng;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    initial_ms: u64,
    max_ms: u64,
    failures: u32,
}

impl Backoff {
    pub fn new(initial_ms: u64, max_ms: u64) -> Backoff {
        Backoff {
            initial_ms: initial_ms.max(1),
            max_ms: max_ms.max(initial_ms.max(1)),
            failures: 0,
        }
    }

    /// Consecutive failures since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    pub fn record_success(&mut self) {
        self.failures = 0;
    }

    /// Records a failure and returns how long to wait before the next attempt: the capped
    /// exponential ceiling `initial × 2^(failures−1)`, then "equal jitter" (half fixed, half random)
    /// so that many agents do not retry in step after an HQ outage.
    pub fn record_failure(&mut self, rng: &mut impl Rng) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let ceiling_ms = self.ceiling_ms();
        let half_ms = ceiling_ms / 2;
        Duration::from_millis(half_ms + rng.random_range(0..=ceiling_ms - half_ms))
    }

    /// The upper bound of the current delay.
    pub fn ceiling_ms(&self) -> u64 {
        let doublings = self.failures.saturating_sub(1).min(40);
        self.initial_ms.saturating_mul(1u64 << doublings).min(self.max_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn grows_caps_and_resets() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut backoff = Backoff::new(100, 1_000);
        let mut ceilings = Vec::new();
        for _ in 0..8 {
            let delay = backoff.record_failure(&mut rng);
            let ceiling = backoff.ceiling_ms();
            assert!(delay.as_millis() as u64 <= ceiling);
            assert!(delay.as_millis() as u64 >= ceiling / 2);
            ceilings.push(ceiling);
        }
        assert_eq!(ceilings, [100, 200, 400, 800, 1000, 1000, 1000, 1000]);
        backoff.record_success();
        assert_eq!(backoff.failures(), 0);
        backoff.record_failure(&mut rng);
        assert_eq!(backoff.ceiling_ms(), 100);
    }

    #[test]
    fn many_failures_do_not_overflow() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut backoff = Backoff::new(1_000, 300_000);
        for _ in 0..10_000 {
            backoff.record_failure(&mut rng);
        }
        assert_eq!(backoff.ceiling_ms(), 300_000);
    }
}

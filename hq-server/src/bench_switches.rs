//! Benchmark switches: process-wide flags that turn a cost off so a benchmark can measure it.
//! They exist only with the `bench-switches` feature, which only the `bench` binary of
//! `branchline-tests` enables; in any other build (the shipped `hq-server` included) the flags
//! read as constants `true` and cannot be changed.

#[cfg(feature = "bench-switches")]
use std::sync::atomic::{AtomicBool, Ordering};

#[cfg(feature = "bench-switches")]
static ROLLUPS: AtomicBool = AtomicBool::new(true);

#[cfg(feature = "bench-switches")]
static REFUSAL_COALESCING: AtomicBool = AtomicBool::new(true);

/// Turns roll-up maintenance off (or back on) for this process, to compare ingestion throughput
/// with and without it. Reports are wrong while it is off.
#[cfg(feature = "bench-switches")]
pub fn set_rollups(enabled: bool) {
    ROLLUPS.store(enabled, Ordering::SeqCst);
}

/// Turns refusal coalescing off (every refusal its own audit row, written before the call is
/// answered, as before coalescing existed) or back on, for this process.
#[cfg(feature = "bench-switches")]
pub fn set_refusal_coalescing(enabled: bool) {
    REFUSAL_COALESCING.store(enabled, Ordering::SeqCst);
}

/// Whether ingestion maintains the report roll-ups: always, but in a benchmark that turned it off.
pub(crate) fn rollups() -> bool {
    #[cfg(feature = "bench-switches")]
    return ROLLUPS.load(Ordering::Relaxed);
    #[cfg(not(feature = "bench-switches"))]
    true
}

/// Whether identical refusals are coalesced per window: always, but in a benchmark that turned
/// it off.
pub(crate) fn refusal_coalescing() -> bool {
    #[cfg(feature = "bench-switches")]
    return REFUSAL_COALESCING.load(Ordering::Relaxed);
    #[cfg(not(feature = "bench-switches"))]
    true
}

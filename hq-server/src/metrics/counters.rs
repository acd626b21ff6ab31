//! What an HQ node counts while it runs — ingestion, report latency, refusals by gRPC code and
//! roll-up folds — kept with its store (`Store::counters`) and encoded on every scrape beside
//! what the store holds (`scrape`).

use prometheus_client::encoding::text::encode_registry;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use std::sync::Arc;

/// Seconds from 1 ms up, doubling: a batch or a report from 1 ms to about 16 s.
fn seconds_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

/// The running counts of one HQ node (one store); cloning shares them.
#[derive(Clone)]
pub struct Counters {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    entries: Counter,
    lines: Counter,
    batches: Histogram,
    reports: Family<KindLabels, Histogram, fn() -> Histogram>,
    refusals: Family<CodeLabels, Counter>,
    folds: Counter,
}

impl std::fmt::Debug for Counters {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Counters")
    }
}

impl Default for Counters {
    fn default() -> Counters {
        let mut registry = Registry::with_prefix("branchline_hq");
        let entries = Counter::default();
        registry.register(
            "ingested_entries",
            "Outbox entries HQ applied (documents, base records, confirmations)",
            entries.clone(),
        );
        let lines = Counter::default();
        registry.register("ingested_lines", "Document lines HQ applied", lines.clone());
        let batches = seconds_histogram();
        registry.register_with_unit(
            "batch_duration",
            "Time to apply one pushed or uploaded batch, in its transaction",
            Unit::Seconds,
            batches.clone(),
        );
        let reports: Family<KindLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(seconds_histogram);
        registry.register_with_unit(
            "report_duration",
            "Time to answer a report call, by kind (sales, inventory, ranking)",
            Unit::Seconds,
            reports.clone(),
        );
        let refusals = Family::<CodeLabels, Counter>::default();
        registry.register(
            "refusals",
            "Calls HQ answered with an error, by gRPC status code",
            refusals.clone(),
        );
        let folds = Counter::default();
        registry.register(
            "rollup_folds",
            "Folds of a branch's pending roll-up rows into the blocks",
            folds.clone(),
        );
        Counters {
            inner: Arc::new(Inner {
                registry,
                entries,
                lines,
                batches,
                reports,
                refusals,
                folds,
            }),
        }
    }
}

impl Counters {
    /// One batch applied: its applied entries, their document lines, and how long it took.
    pub fn batch_applied(&self, entries: u64, lines: u64, seconds: f64) {
        self.inner.entries.inc_by(entries);
        self.inner.lines.inc_by(lines);
        self.inner.batches.observe(seconds);
    }

    /// One report call of `kind` answered in `seconds`.
    pub fn report_answered(&self, kind: &str, seconds: f64) {
        let labels = KindLabels {
            kind: kind.to_owned(),
        };
        self.inner.reports.get_or_create(&labels).observe(seconds);
    }

    /// One call answered with the gRPC status `code` (its name, e.g. `PermissionDenied`).
    pub fn refused(&self, code: &str) {
        let labels = CodeLabels {
            code: code.to_owned(),
        };
        self.inner.refusals.get_or_create(&labels).inc();
    }

    /// One branch's pending rows folded.
    pub fn folded(&self) {
        self.inner.folds.inc();
    }

    /// The counts in the OpenMetrics text format, without the closing `# EOF`.
    pub fn encode(&self, out: &mut String) -> std::fmt::Result {
        encode_registry(out, &self.inner.registry)
    }
}

//! `bench hq-ingest`'s figures: the sizes of a run, one measured pass, and the table printed at
//! the end with each round's ratios to its baseline and their medians.

use super::median;
use std::time::Duration;

/// How many documents, of how many lines, and how many documents per batch.
pub(super) struct Sizes {
    pub(super) docs: usize,
    pub(super) lines: usize,
    pub(super) batch_docs: usize,
}

/// One measured figure.
pub(super) struct Figure {
    pub(super) round: usize,
    pub(super) store: &'static str,
    /// HQ figures: whether roll-ups were maintained; `None` for a baseline.
    pub(super) rollups: Option<bool>,
    pub(super) method: String,
    pub(super) lines: usize,
    pub(super) elapsed: Duration,
    /// CPU time of the whole bench process over `elapsed` (HQ, its client, SQLite), HQ runs only.
    pub(super) cpu_seconds: Option<f64>,
}

impl Figure {
    fn lines_per_second(&self) -> f64 {
        self.lines as f64 / self.elapsed.as_secs_f64()
    }
}

pub(super) fn print_table(sizes: &Sizes, rounds: usize, figures: &[Figure]) {
    println!(
        "hq-ingest: {} documents x {} lines, {} documents per batch, {rounds} round(s) of interleaved passes",
        sizes.docs, sizes.lines, sizes.batch_docs
    );
    println!(
        "{:<11} {:>5} {:<48} {:>9} {:>10} {:>12} {:>12} {:>11}",
        "store", "round", "method", "lines", "seconds", "lines/s", "x baseline", "cores busy"
    );
    for store in ["SQLite", "PostgreSQL"] {
        let of_store: Vec<&Figure> = figures.iter().filter(|figure| figure.store == store).collect();
        if of_store.is_empty() {
            continue;
        }
        let rate = |round: usize, rollups: Option<bool>| {
            of_store
                .iter()
                .find(|figure| figure.round == round && figure.rollups == rollups)
                .map(|figure| figure.lines_per_second())
        };
        for figure in &of_store {
            let ratio = rate(figure.round, None).map_or("-".to_owned(), |baseline| {
                format!("{:.2}", figure.lines_per_second() / baseline)
            });
            let cores_busy = figure.cpu_seconds.map_or("-".to_owned(), |cpu_seconds| {
                format!("{:.2}", cpu_seconds / figure.elapsed.as_secs_f64())
            });
            println!(
                "{:<11} {:>5} {:<48} {:>9} {:>10.2} {:>12.0} {:>12} {:>11}",
                figure.store,
                figure.round + 1,
                figure.method,
                figure.lines,
                figure.elapsed.as_secs_f64(),
                figure.lines_per_second(),
                ratio,
                cores_busy
            );
        }
        // Ratios are taken within a round (passes minutes apart at most), then the median.
        let median_ratio = |numerator: Option<bool>, denominator: Option<bool>| {
            let ratios: Vec<f64> = (0..rounds)
                .filter_map(|round| Some(rate(round, numerator)? / rate(round, denominator)?))
                .collect();
            median(ratios)
        };
        let target = if store == "SQLite" { "0.5" } else { "0.3" };
        for (rollups, name) in [(Some(true), "on"), (Some(false), "off")] {
            if let Some(ratio) = median_ratio(rollups, None) {
                println!(
                    "{store}: roll-ups {name} x baseline, median of rounds = {ratio:.2} (target >= {target} with roll-ups on)"
                );
            }
        }
        if let Some(ratio) = median_ratio(Some(true), Some(false)) {
            println!("{store}: roll-ups on / off, median of rounds = {ratio:.2} (target >= 0.8)");
        }
    }
}

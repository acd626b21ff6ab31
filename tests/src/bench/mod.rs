//! Benchmarks: each prints a table of figures next to a baseline measured in the same run.

// The benchmarks build only with the `bench` feature (the `bench` binary), as two of them switch
// HQ's roll-ups off through `hq_server::bench_switches`; `flooder` is also a test helper.
#[cfg(feature = "bench")]
pub mod catch_up;
#[cfg(feature = "bench")]
pub mod console;
#[cfg(feature = "bench")]
pub mod fairness;
#[cfg(feature = "bench")]
pub mod fleet;
#[cfg(feature = "bench")]
mod fleet_ledgers;
pub mod flooder;
#[cfg(feature = "bench")]
pub mod hq_ingest;
#[cfg(feature = "bench")]
mod hq_ingest_baseline;
#[cfg(feature = "bench")]
mod hq_ingest_table;
#[cfg(feature = "bench")]
pub mod ledger;
#[cfg(feature = "bench")]
mod report_data;
#[cfg(feature = "bench")]
pub mod reports;
#[cfg(feature = "bench")]
pub mod standby;

/// A size from the environment (`BENCH_*`), or `default` when unset or not a number.
#[cfg(feature = "bench")]
pub(crate) fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Writes back what earlier passes left dirty in the page cache, so that the kernel's
/// writeback does not land on the pass that is about to be timed.
#[cfg(feature = "bench")]
pub(crate) fn settle_disk() {
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
}

/// A sales-out `BRANCH-NNNNNNN` dated `date` of `lines` lines, each over one of `products`
/// products (`P0000`…) with a quantity and price made from its number.
#[cfg(feature = "bench")]
pub(crate) fn sales_out(
    branch: &str,
    number: usize,
    lines: usize,
    products: usize,
    date: &str,
) -> branchline_shared::Document {
    use branchline_shared::{parse_date, DocLine, DocType, Document};
    use rust_decimal::Decimal;
    Document {
        number: format!("{branch}-{number:07}"),
        doc_type: DocType::SalesOut,
        date: parse_date(date).expect("a bench document's date"),
        partner: "C001".into(),
        warehouse: format!("{branch}-W"),
        to_warehouse: String::new(),
        red_of: None,
        lines: (0..lines)
            .map(|line_idx| DocLine {
                product: format!("P{:04}", (number * 7 + line_idx * 13) % products),
                qty: Decimal::new((number % 50 + line_idx + 1) as i64 * 25, 2),
                price: Decimal::new(2150 + line_idx as i64, 2),
                discount: Decimal::new(4, 2),
                tax_rate: Decimal::new(13, 2),
            })
            .collect(),
        link: None,
    }
}

/// The median of `values`, `None` when there are none.
#[cfg(feature = "bench")]
pub(crate) fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        len if len % 2 == 0 => Some((values[middle - 1] + values[middle]) / 2.0),
        _ => Some(values[middle]),
    }
}

/// A `kB` field of /proc/PID/status (`VmRSS`, `VmHWM`).
#[cfg(feature = "bench")]
pub(crate) fn proc_status_kb(pid: u32, field: &str) -> anyhow::Result<u64> {
    use anyhow::Context;
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).context("reading /proc/PID/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {field} in /proc/{pid}/status"))
}

//! `cargo run --release -p branchline-tests --features bench --bin bench -- <name>`: runs one benchmark and prints its table.

fn main() -> anyhow::Result<()> {
    let name = std::env::args().nth(1).unwrap_or_default();
    match name.as_str() {
        "hq-ingest" => branchline_tests::bench::hq_ingest::run(),
        "ledger" => branchline_tests::bench::ledger::run(),
        "catch-up" => branchline_tests::bench::catch_up::run(),
        "reports" => branchline_tests::bench::reports::run(),
        "console" => branchline_tests::bench::console::run(),
        "fairness" => branchline_tests::bench::fairness::run(),
        "fleet" => branchline_tests::bench::fleet::run(),
        "standby" => branchline_tests::bench::standby::run(),
        other => anyhow::bail!("unknown benchmark {other:?}"),
    }
}

//! `cargo run --release -p branchline-tests --bin bench -- <name>`: runs one benchmark and prints its table.

fn main() -> anyhow::Result<()> {
    let name = std::env::args().nth(1).unwrap_or_default();
    match name.as_str() {
        other => anyhow::bail!("unknown benchmark {other:?}"),
    }
}

//! `branch-node`: the branch operator's command line over the local ledger (README).

fn main() -> std::process::ExitCode {
    branch_node::cli::main()
}

//! `branch-node`: the branch operator's command line over the local ledger (SPEC 7).

fn main() -> std::process::ExitCode {
    branch_node::cli::main()
}

//! `transfer-agent`: parses the command line and runs it (see `transfer_agent::cli`).

fn main() -> std::process::ExitCode {
    transfer_agent::cli::main()
}

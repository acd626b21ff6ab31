//! `hq-server`: parses the command line and runs it (see `hq_server::cli`).

fn main() -> std::process::ExitCode {
    hq_server::memory::keep_freed_memory();
    hq_server::cli::main()
}

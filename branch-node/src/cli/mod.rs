//! The `branch-node` command line (README): `main` parses the arguments and runs one function
//! per command (`args` defines them; `record_commands`, `doc_commands` and `ledger_commands`
//! run them).
//!
//! Errors surface as one line on stderr (`error: ...`) and exit status 1 (see `main`).

mod args;
mod doc_commands;
mod ledger_commands;
mod line_arg;
mod record_commands;
mod serve_command;

pub use line_arg::parse_line_arg;

use crate::ledger::Ledger;
use crate::stock_limits::LimitFilter;
use args::{BundleAction, Cli, Command, EpochAction, ProductAction, RecordAction, TemplateAction};
use branchline_shared::{BaseKind, BaseRecord};
use clap::Parser;
use std::path::Path;

/// Parses the arguments and runs the command; on failure prints one `error: ...` line to
/// stderr and returns status 1 (2 for a command-line usage error).
pub fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if error.use_stderr() => {
            let rendered = error.render().to_string();
            let first_line = rendered.lines().next().unwrap_or("invalid arguments");
            eprintln!("{first_line} (see --help)");
            return std::process::ExitCode::from(2);
        }
        Err(error) => error.exit(),
    };
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", one_line_message(&error));
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs one parsed command, writing its output to stdout.
fn run(cli: Cli) -> anyhow::Result<()> {
    let ledger_path = cli.ledger.as_path();
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Init {
            branch,
            name,
            allow_negative_stock,
        } => ledger_commands::init(ledger_path, &branch, &name, allow_negative_stock, &mut out),
        Command::Product {
            action:
                ProductAction::Add {
                    code,
                    name,
                    unit,
                    price,
                },
        } => {
            let record = record_commands::product_record(&code, &name, unit, price)?;
            record_commands::add_record(&open(ledger_path)?, record, &mut out)
        }
        Command::Customer { action } => add_record(ledger_path, BaseKind::Customer, action, &mut out),
        Command::Supplier { action } => add_record(ledger_path, BaseKind::Supplier, action, &mut out),
        Command::Warehouse { action } => add_record(ledger_path, BaseKind::Warehouse, action, &mut out),
        Command::Template {
            action: TemplateAction::Import { file },
        } => record_commands::import_template(ledger_path, &file, &mut out),
        Command::Doc { action } => doc_commands::run_doc(&open(ledger_path)?, action, &mut out),
        Command::Stock {
            warehouse,
            product,
            below_min,
            above_max,
            format,
        } => {
            let limits = match (below_min, above_max) {
                (true, _) => Some(LimitFilter::BelowMin),
                (false, true) => Some(LimitFilter::AboveMax),
                (false, false) => None,
            };
            let asked = ledger_commands::StockQuery {
                warehouse: warehouse.as_deref(),
                product: product.as_deref(),
                limits,
            };
            ledger_commands::stock(&open(ledger_path)?, asked, format, &mut out)
        }
        Command::Serve {
            listen,
            allow_network,
        } => serve_command::serve(ledger_path, &listen, allow_network, &mut out),
        Command::User {
            action: args::UserAction::Password,
        } => serve_command::set_password(ledger_path, &mut out),
        Command::Bundle {
            action:
                BundleAction::Export {
                    out: file,
                    max_entries,
                    max_bytes,
                },
        } => ledger_commands::export_bundle(&open(ledger_path)?, &file, max_entries, max_bytes, &mut out),
        Command::Epoch {
            action: EpochAction::New,
        } => ledger_commands::new_epoch(&open(ledger_path)?, &mut out),
        Command::Status { format } => ledger_commands::status(&open(ledger_path)?, format, &mut out),
    }
}

/// `customer add`, `supplier add`, `warehouse add`: a record of `kind` with a code and a name.
fn add_record(
    ledger_path: &Path,
    kind: BaseKind,
    action: RecordAction,
    out: &mut impl std::io::Write,
) -> anyhow::Result<()> {
    let RecordAction::Add { code, name } = action;
    record_commands::add_record(&open(ledger_path)?, BaseRecord::new(kind, &code, &name), out)
}

fn open(path: &Path) -> anyhow::Result<Ledger> {
    Ok(Ledger::open(path)?)
}

/// The error and its causes on one line, joined by ": ", leaving out a cause whose text the
/// message already ends with (an error that quotes its source in its own message).
fn one_line_message(error: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if message.ends_with(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message.replace('\n', " ")
}

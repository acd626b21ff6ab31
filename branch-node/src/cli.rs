//! The `branch-node` command line (README): argument parsing and one function per command.
//!
//! Errors surface as one line on stderr (`error: ...`) and exit status 1 (see `main`).

use crate::bundle_export::{BundleBound, BUNDLE_BYTES_MAX, BUNDLE_ENTRIES_MAX};
use crate::bundle_files::export_bundle_files;
use crate::documents::DocFilter;
use crate::import::ImportProgress;
use crate::ledger::Ledger;
use crate::render;
use anyhow::{bail, Context};
use branchline_shared::{
    echo_prefix, parse_date, parse_decimal, parse_line_decimals, BaseKind, BaseRecord, DecimalKind, DocLine,
    DocStatus, DocType, Document,
};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Imports with more documents than this show a progress bar (when stderr is a terminal).
const PROGRESS_BAR_MIN_DOCUMENTS: usize = 10_000;

#[derive(Debug, Parser)]
#[command(name = "branch-node", version, about = "A branch's offline ledger (账套)")]
pub struct Cli {
    /// The ledger file.
    #[arg(long, env = "BRANCHLINE_LEDGER", global = true, default_value = "ledger.db")]
    pub ledger: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Creates a new ledger file.
    Init {
        #[arg(long)]
        branch: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        allow_negative_stock: bool,
    },
    /// Products.
    Product {
        #[command(subcommand)]
        action: ProductAction,
    },
    /// Customers.
    Customer {
        #[command(subcommand)]
        action: RecordAction,
    },
    /// Suppliers.
    Supplier {
        #[command(subcommand)]
        action: RecordAction,
    },
    /// Warehouses.
    Warehouse {
        #[command(subcommand)]
        action: RecordAction,
    },
    /// Templates from HQ.
    Template {
        #[command(subcommand)]
        action: TemplateAction,
    },
    /// Documents (单据).
    Doc {
        #[command(subcommand)]
        action: DocAction,
    },
    /// On-hand stock per warehouse and product.
    Stock {
        #[arg(long)]
        warehouse: Option<String>,
        #[arg(long)]
        product: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Bundle files for HQ (file transfer, no network).
    Bundle {
        #[command(subcommand)]
        action: BundleAction,
    },
    /// Ledger epochs (docs/guarantees.md).
    Epoch {
        #[command(subcommand)]
        action: EpochAction,
    },
    /// Epoch, outbox and inbox positions.
    Status {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProductAction {
    Add {
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        unit: String,
        #[arg(long, allow_hyphen_values = true)]
        price: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RecordAction {
    Add {
        code: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TemplateAction {
    Import { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum BundleAction {
    /// Writes the unsent outbox to FILE; a backlog past one bundle's bounds goes to several
    /// files named FILE with a sequence number before the extension (sz.0001.bundle, ...).
    Export {
        #[arg(long)]
        out: PathBuf,
        /// Most entries of one bundle file.
        #[arg(long, default_value_t = BUNDLE_ENTRIES_MAX)]
        max_entries: usize,
        /// Most body bytes of one bundle file (at least one entry each).
        #[arg(long, default_value_t = BUNDLE_BYTES_MAX)]
        max_bytes: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum EpochAction {
    /// Starts a new epoch after a restore from an old backup.
    New,
}

#[derive(Debug, Subcommand)]
pub enum DocAction {
    /// Adds a document, confirmed unless --draft; prints its number last.
    Add {
        #[arg(long = "type")]
        doc_type: String,
        #[arg(long)]
        number: Option<String>,
        /// YYYY-MM-DD; today by default.
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        partner: Option<String>,
        #[arg(long)]
        warehouse: String,
        /// PRODUCT:QTY@PRICE[:DISCOUNT[:TAXRATE]], repeatable.
        #[arg(long = "line", required = true)]
        lines: Vec<String>,
        #[arg(long)]
        draft: bool,
    },
    /// Confirms a draft (审核).
    Confirm { number: String },
    /// Reverses a confirmed document with a red document; prints its number last.
    Red {
        number: String,
        #[arg(long = "number")]
        red_number: Option<String>,
        #[arg(long)]
        date: Option<String>,
    },
    /// Rejects a draft routed from another branch.
    Reject {
        number: String,
        #[arg(long, default_value = "rejected by the receiving branch")]
        reason: String,
    },
    Show {
        number: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    List {
        #[arg(long = "type")]
        doc_type: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Imports a documents JSONL file as confirmed documents, all or nothing.
    Import { file: PathBuf },
}

/// Runs one parsed command, writing its output to stdout.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let ledger_path = cli.ledger.as_path();
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Init {
            branch,
            name,
            allow_negative_stock,
        } => {
            Ledger::create(ledger_path, &branch, &name, allow_negative_stock)?;
            writeln!(
                out,
                "created ledger {} for branch {branch}",
                ledger_path.display()
            )?;
        }
        Command::Product {
            action:
                ProductAction::Add {
                    code,
                    name,
                    unit,
                    price,
                },
        } => {
            let mut record = BaseRecord::new(BaseKind::Product, &code, &name);
            record.unit = unit;
            record.price = price
                .map(|price| parse_decimal(&price, DecimalKind::Price))
                .transpose()
                .with_context(|| format!("product {code}: --price"))?;
            add_record(&open(ledger_path)?, record, &mut out)?;
        }
        Command::Customer {
            action: RecordAction::Add { code, name },
        } => add_record(
            &open(ledger_path)?,
            BaseRecord::new(BaseKind::Customer, &code, &name),
            &mut out,
        )?,
        Command::Supplier {
            action: RecordAction::Add { code, name },
        } => add_record(
            &open(ledger_path)?,
            BaseRecord::new(BaseKind::Supplier, &code, &name),
            &mut out,
        )?,
        Command::Warehouse {
            action: RecordAction::Add { code, name },
        } => add_record(
            &open(ledger_path)?,
            BaseRecord::new(BaseKind::Warehouse, &code, &name),
            &mut out,
        )?,
        Command::Template {
            action: TemplateAction::Import { file },
        } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let outcome = open(ledger_path)?
                .import_template_file(&bytes)
                .with_context(|| file.display().to_string())?;
            if outcome.applied {
                writeln!(
                    out,
                    "applied template {} version {}: {} records updated",
                    outcome.name, outcome.version, outcome.upserted
                )?;
            } else {
                writeln!(
                    out,
                    "template {} version {} is not newer than the applied one; nothing changed",
                    outcome.name, outcome.version
                )?;
            }
            for kept in &outcome.kept_local {
                writeln!(out, "kept branch-local {kept} (the template has the same code)")?;
            }
        }
        Command::Doc { action } => run_doc(&open(ledger_path)?, action, &mut out)?,
        Command::Stock {
            warehouse,
            product,
            format,
        } => {
            let rows = open(ledger_path)?.stock(warehouse.as_deref(), product.as_deref())?;
            match format {
                Format::Json => writeln!(out, "{}", render::stock_json(&rows))?,
                Format::Table => write!(out, "{}", render::stock_table(&rows))?,
            }
        }
        Command::Bundle {
            action:
                BundleAction::Export {
                    out: file,
                    max_entries,
                    max_bytes,
                },
        } => {
            let bound = BundleBound {
                entries_max: max_entries.max(1),
                bytes_max: max_bytes.max(1),
            };
            export_bundle_files(&open(ledger_path)?, &file, bound, &mut out)?;
        }
        Command::Epoch {
            action: EpochAction::New,
        } => {
            let outcome = open(ledger_path)?.new_epoch()?;
            for (old_number, new_number) in &outcome.renumbered {
                writeln!(out, "{old_number} → {new_number}")?;
            }
            writeln!(
                out,
                "started epoch {}: carried {} unacknowledged entries of epoch {} into it, renumbered {} documents",
                outcome.epoch,
                outcome.carried,
                outcome.previous_epoch,
                outcome.renumbered.len()
            )?;
        }
        Command::Status { format } => {
            let status = open(ledger_path)?.status()?;
            match format {
                Format::Json => writeln!(out, "{}", render::status_json(&status))?,
                Format::Table => write!(out, "{}", render::status_text(&status))?,
            }
        }
    }
    Ok(())
}

fn run_doc(ledger: &Ledger, action: DocAction, out: &mut impl Write) -> anyhow::Result<()> {
    match action {
        DocAction::Add {
            doc_type,
            number,
            date,
            partner,
            warehouse,
            lines,
            draft,
        } => {
            if number.as_deref().is_some_and(|number| number.trim().is_empty()) {
                bail!("--number is empty: leave it out to have the ledger number the document");
            }
            let document = Document {
                number: number.unwrap_or_default(),
                doc_type: DocType::parse(&doc_type)?,
                date: date_or_today(date.as_deref())?,
                partner: partner.unwrap_or_default(),
                warehouse,
                red_of: None,
                lines: lines
                    .iter()
                    .map(|line| parse_line_arg(line))
                    .collect::<anyhow::Result<_>>()?,
                link: None,
            };
            let outcome = ledger.add_document(document, draft)?;
            match &outcome {
                crate::DocumentOutcome::AlreadyPresent { .. } => {
                    writeln!(out, "already present with the same content; nothing changed")?
                }
                crate::DocumentOutcome::Draft { .. } => writeln!(out, "saved as a draft")?,
                crate::DocumentOutcome::Confirmed { seq, .. } => {
                    writeln!(out, "confirmed (outbox seq {seq})")?
                }
            }
            writeln!(out, "{}", outcome.number())?;
        }
        DocAction::Confirm { number } => {
            let seq = ledger.confirm_document(&number)?;
            writeln!(out, "confirmed {number} (outbox seq {seq})")?;
        }
        DocAction::Red {
            number,
            red_number,
            date,
        } => {
            let outcome =
                ledger.red_document(&number, red_number.as_deref(), date_or_today(date.as_deref())?)?;
            writeln!(out, "reversed {number}")?;
            writeln!(out, "{}", outcome.number())?;
        }
        DocAction::Reject { number, reason } => {
            let seq = ledger.reject_document(&number, &reason)?;
            writeln!(out, "rejected {number} (outbox seq {seq})")?;
        }
        DocAction::Show { number, format } => {
            let stored = ledger.document(&number)?;
            match format {
                Format::Json => writeln!(out, "{}", render::document_json(&stored))?,
                Format::Table => write!(out, "{}", render::document_text(&stored))?,
            }
        }
        DocAction::List {
            doc_type,
            status,
            format,
        } => {
            let filter = DocFilter {
                doc_type: doc_type.as_deref().map(DocType::parse).transpose()?,
                status: status.as_deref().map(DocStatus::parse).transpose()?,
            };
            let documents = ledger.documents(filter)?;
            match format {
                Format::Json => writeln!(out, "{}", render::documents_json(&documents))?,
                Format::Table => write!(out, "{}", render::documents_table(&documents))?,
            }
        }
        DocAction::Import { file } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let summary = import_with_progress(ledger, &bytes).with_context(|| file.display().to_string())?;
            writeln!(
                out,
                "imported {} documents ({} lines); {} already present",
                summary.imported, summary.lines, summary.already_present
            )?;
        }
    }
    Ok(())
}

fn import_with_progress(ledger: &Ledger, bytes: &[u8]) -> Result<crate::ImportSummary, crate::LedgerError> {
    let mut bar: Option<indicatif::ProgressBar> = None;
    let summary = ledger.import_documents(bytes, &mut |progress: ImportProgress| {
        if progress.documents_total < PROGRESS_BAR_MIN_DOCUMENTS {
            return;
        }
        let bar = bar.get_or_insert_with(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(progress.documents_total as u64),
                indicatif::ProgressDrawTarget::stderr(),
            );
            bar.set_message("importing documents");
            bar
        });
        bar.set_position(progress.documents_done as u64);
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    summary
}

fn open(path: &Path) -> anyhow::Result<Ledger> {
    Ok(Ledger::open(path)?)
}

fn add_record(ledger: &Ledger, record: BaseRecord, out: &mut impl Write) -> anyhow::Result<()> {
    match ledger.add_base_record(&record)? {
        crate::AddOutcome::Added { seq } => {
            writeln!(out, "added {} {} (outbox seq {seq})", record.kind, record.code)?
        }
        crate::AddOutcome::AlreadyPresent => writeln!(
            out,
            "{} {} already present; nothing changed",
            record.kind, record.code
        )?,
    }
    Ok(())
}

fn date_or_today(date: Option<&str>) -> anyhow::Result<chrono::NaiveDate> {
    match date {
        Some(text) => Ok(parse_date(text).context("--date")?),
        None => Ok(chrono::Local::now().date_naive()),
    }
}

/// Parses `PRODUCT:QTY@PRICE[:DISCOUNT[:TAXRATE]]`.
pub fn parse_line_arg(text: &str) -> anyhow::Result<DocLine> {
    let shape = "expected PRODUCT:QTY@PRICE[:DISCOUNT[:TAXRATE]]";
    let text_echo = echo_prefix(text);
    let Some((product, rest)) = text.split_once(':') else {
        bail!("--line {text_echo:?}: {shape}");
    };
    let Some((qty, rest)) = rest.split_once('@') else {
        bail!("--line {text_echo:?}: {shape}");
    };
    let mut parts = rest.split(':');
    let price = parts.next().unwrap_or_default();
    let discount = parts.next();
    let tax_rate = parts.next();
    if parts.next().is_some() {
        bail!("--line {text_echo:?}: {shape}");
    }
    let (qty, price, discount, tax_rate) = parse_line_decimals("", qty, price, discount, tax_rate)
        .with_context(|| format!("--line {text_echo:?}"))?;
    Ok(DocLine {
        product: product.to_owned(),
        qty,
        price,
        discount,
        tax_rate,
    })
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

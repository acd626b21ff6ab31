//! Document commands (`doc add`, `confirm`, `red`, `reject`, `show`, `list`, `import FILE`):
//! one function per command, and the progress bar of a large import.

use super::args::{DocAction, Format};
use super::line_arg::{date_or_today, parse_line_arg};
use crate::documents::{DocFilter, DocumentOutcome};
use crate::error::LedgerError;
use crate::import::{ImportProgress, ImportSummary};
use crate::ledger::Ledger;
use crate::render;
use anyhow::{bail, Context};
use branchline_shared::{DocStatus, DocType, Document};
use std::io::Write;
use std::path::Path;

/// Imports with more documents than this show a progress bar (when stderr is a terminal).
const PROGRESS_BAR_MIN_DOCUMENTS: usize = 10_000;

/// Runs one `doc` command.
pub(super) fn run_doc(ledger: &Ledger, action: DocAction, out: &mut impl Write) -> anyhow::Result<()> {
    match action {
        DocAction::Add {
            doc_type,
            number,
            date,
            partner,
            warehouse,
            to_warehouse,
            lines,
            draft,
        } => {
            let places = Places {
                partner,
                warehouse,
                to_warehouse,
            };
            let document = document_from_args(&doc_type, number, date.as_deref(), places, &lines)?;
            add_document(ledger, document, draft, out)?;
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
            let counted = ledger.counted(&number)?;
            match format {
                Format::Json => writeln!(out, "{}", render::document_json(&stored, counted.as_deref()))?,
                Format::Table => write!(out, "{}", render::document_text(&stored, counted.as_deref()))?,
            }
        }
        DocAction::List {
            doc_type,
            status,
            format,
        } => list_documents(ledger, doc_type.as_deref(), status.as_deref(), format, out)?,
        DocAction::Import { file } => import_documents(ledger, &file, out)?,
    }
    Ok(())
}

/// Who and where `doc add` names: the partner, the warehouse and a transfer's destination.
struct Places {
    partner: Option<String>,
    warehouse: String,
    to_warehouse: Option<String>,
}

/// The document `doc add` describes; an empty number is left for the ledger to fill in.
fn document_from_args(
    doc_type: &str,
    number: Option<String>,
    date: Option<&str>,
    places: Places,
    lines: &[String],
) -> anyhow::Result<Document> {
    if number.as_deref().is_some_and(|number| number.trim().is_empty()) {
        bail!("--number is empty: leave it out to have the ledger number the document");
    }
    Ok(Document {
        number: number.unwrap_or_default(),
        doc_type: DocType::parse(doc_type)?,
        date: date_or_today(date)?,
        partner: places.partner.unwrap_or_default(),
        warehouse: places.warehouse,
        to_warehouse: places.to_warehouse.unwrap_or_default(),
        red_of: None,
        lines: lines
            .iter()
            .map(|line| parse_line_arg(line))
            .collect::<anyhow::Result<_>>()?,
        link: None,
    })
}

/// `doc add`: what happened, then the document's number on the last line.
fn add_document(
    ledger: &Ledger,
    document: Document,
    draft: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let outcome = ledger.add_document(document, draft)?;
    match &outcome {
        DocumentOutcome::AlreadyPresent { .. } => {
            writeln!(out, "already present with the same content; nothing changed")?
        }
        DocumentOutcome::Draft { .. } => writeln!(out, "saved as a draft")?,
        DocumentOutcome::Confirmed { seq, .. } => writeln!(out, "confirmed (outbox seq {seq})")?,
    }
    writeln!(out, "{}", outcome.number())?;
    Ok(())
}

/// `doc list [--type TYPE] [--status STATUS]`.
fn list_documents(
    ledger: &Ledger,
    doc_type: Option<&str>,
    status: Option<&str>,
    format: Format,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let filter = DocFilter {
        doc_type: doc_type.map(DocType::parse).transpose()?,
        status: status.map(DocStatus::parse).transpose()?,
    };
    let documents = ledger.documents(filter)?;
    match format {
        Format::Json => writeln!(out, "{}", render::documents_json(&documents))?,
        Format::Table => write!(out, "{}", render::documents_table(&documents))?,
    }
    Ok(())
}

/// `doc import FILE`: the whole file as confirmed documents, all or nothing.
fn import_documents(ledger: &Ledger, file: &Path, out: &mut impl Write) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let summary = import_with_progress(ledger, &bytes).with_context(|| file.display().to_string())?;
    writeln!(
        out,
        "imported {} documents ({} lines); {} already present",
        summary.imported, summary.lines, summary.already_present
    )?;
    Ok(())
}

fn import_with_progress(ledger: &Ledger, bytes: &[u8]) -> Result<ImportSummary, LedgerError> {
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

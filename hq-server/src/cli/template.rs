//! `hq-server admin template create|publish|export` (模板发放) and `admin trade list`
//! (单据转换: what HQ routed between branches, and what the receivers did with it).

use super::client::{refused, Client};
use super::output::{print_table, Format};
use anyhow::Context;
use branchline_proto::v1::*;
use clap::Subcommand;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Snapshots HQ base data as the next version of template NAME.
    Create {
        name: String,
        /// product,customer,supplier,warehouse (any of them)
        #[arg(long, value_delimiter = ',', required = true)]
        kinds: Vec<String>,
        /// Only these codes (default: every record of those kinds).
        #[arg(long, value_delimiter = ',')]
        codes: Vec<String>,
    },
    /// Queues the newest version of NAME for every branch in the subtree of each organization.
    Publish {
        name: String,
        #[arg(long, value_delimiter = ',', required = true)]
        to: Vec<String>,
    },
    /// Writes the newest version of NAME as a template file (for `branch-node template import`).
    Export {
        name: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum TradeCommand {
    /// Documents HQ routed between branches: queued, quarantined, linked, confirmed or rejected.
    List {
        /// Only trades in this state.
        #[arg(long)]
        state: Option<String>,
        /// Only trades from or to a branch in this organization's subtree (default: your scope).
        #[arg(long)]
        org: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

pub(super) async fn run_template(client: &mut Client, command: TemplateCommand) -> anyhow::Result<()> {
    match command {
        TemplateCommand::Create { name, kinds, codes } => {
            let request = CreateTemplateRequest {
                name: name.clone(),
                kinds,
                codes,
            };
            let response = client
                .create_template(request)
                .await
                .map_err(refused)?
                .into_inner();
            println!(
                "template {name} version {}: {} records",
                response.version, response.records
            );
        }
        TemplateCommand::Publish { name, to } => {
            let request = PublishTemplateRequest {
                name: name.clone(),
                orgs: to.clone(),
            };
            let response = client
                .publish_template(request)
                .await
                .map_err(refused)?
                .into_inner();
            println!(
                "template {name} version {} published to {}: queued for [{}], already queued for [{}]",
                response.version,
                to.join(","),
                response.branches.join(","),
                response.already_queued.join(",")
            );
        }
        TemplateCommand::Export { name, out } => {
            let request = ExportTemplateRequest { name: name.clone() };
            let response = client
                .export_template(request)
                .await
                .map_err(refused)?
                .into_inner();
            write_atomically(&out, &response.file)?;
            println!(
                "template {name} version {} ({} records) written to {}",
                response.version,
                response.records,
                out.display()
            );
        }
    }
    Ok(())
}

/// Writes `bytes` beside `path` then renames, so a watched folder never sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".part");
    let partial = PathBuf::from(partial);
    let mut file =
        std::fs::File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, path)
        .with_context(|| format!("cannot rename {} to {}", partial.display(), path.display()))
}

pub(super) async fn run_trade(client: &mut Client, command: TradeCommand) -> anyhow::Result<()> {
    let TradeCommand::List { state, org, format } = command;
    let request = RoutedListRequest {
        state: state.unwrap_or_default(),
        org: org.unwrap_or_default(),
    };
    let response = client.routed_list(request).await.map_err(refused)?.into_inner();
    match format {
        Format::Json => {
            let trades: Vec<_> = response
                .trades
                .iter()
                .map(|trade| {
                    json!({
                        "source_branch": trade.source_branch, "source_number": trade.source_number,
                        "target_branch": trade.target_branch, "type": trade.doc_type, "state": trade.state,
                        "inbox_seq": trade.inbox_seq, "target_number": trade.target_number,
                        "reason": trade.reason, "updated_at": trade.updated_at,
                        "routed_at": trade.routed_at,
                    })
                })
                .collect();
            println!("{}", json!({ "trades": trades }));
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = response
                .trades
                .iter()
                .map(|trade| {
                    vec![
                        format!("{} {}", trade.source_branch, trade.source_number),
                        trade.target_branch.clone(),
                        trade.doc_type.clone(),
                        trade.state.clone(),
                        trade.target_number.clone(),
                        trade.reason.clone(),
                    ]
                })
                .collect();
            print_table(
                &["source", "to", "type", "state", "number there", "reason"],
                &rows,
            );
        }
    }
    Ok(())
}

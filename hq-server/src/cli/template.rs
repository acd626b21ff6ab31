//! `hq-server admin template create|publish|export|list|rollout` (模板发放) and `admin trade list`
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
    /// Snapshots HQ base data, and its stock limits with stock-limit, as the next version of
    /// template NAME.
    Create {
        name: String,
        /// product,customer,supplier,warehouse,stock-limit (any of them; stock-limit: each
        /// branch is sent the limits of its own warehouses, replacing older versions')
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
    /// Every template's newest version, and how many branches of your scope applied what HQ
    /// queued for them.
    List {
        /// Count only the branches in this organization's subtree (default: your scope).
        #[arg(long)]
        org: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Per branch: the newest version of NAME queued in its inbox, and whether its ledger has
    /// applied it (as it reported at its last contact).
    Rollout {
        name: String,
        /// Only the branches in this organization's subtree (default: your scope).
        #[arg(long)]
        org: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
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
        TemplateCommand::List { org, format } => {
            let templates = list_templates(client, String::new(), org).await?;
            print_templates(&templates, format);
        }
        TemplateCommand::Rollout { name, org, format } => {
            let templates = list_templates(client, name, org).await?;
            for template in &templates {
                print_rollout(template, format);
            }
        }
    }
    Ok(())
}

async fn list_templates(
    client: &mut Client,
    name: String,
    org: Option<String>,
) -> anyhow::Result<Vec<TemplateSummary>> {
    let request = ListTemplatesRequest {
        name,
        org: org.unwrap_or_default(),
    };
    let response = client.list_templates(request).await.map_err(refused)?;
    Ok(response.into_inner().templates)
}

fn rollout_json(row: &TemplateRollout) -> serde_json::Value {
    json!({
        "branch": row.branch, "org": row.org, "version": row.version, "inbox_seq": row.inbox_seq,
        "queued_at": row.queued_at, "applied": row.applied, "applied_version": row.applied_version,
        "branch_inbox_seq": row.branch_inbox_seq,
    })
}

fn template_json(template: &TemplateSummary) -> serde_json::Value {
    json!({
        "name": template.name, "version": template.version, "kinds": template.kinds,
        "records": template.records, "created_at": template.created_at,
        "rollout": template.rollout.iter().map(rollout_json).collect::<Vec<_>>(),
    })
}

fn print_templates(templates: &[TemplateSummary], format: Format) {
    match format {
        Format::Json => {
            let templates: Vec<_> = templates.iter().map(template_json).collect();
            println!("{}", json!({ "templates": templates }));
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = templates
                .iter()
                .map(|template| {
                    let applied = template.rollout.iter().filter(|row| row.applied).count();
                    vec![
                        template.name.clone(),
                        template.version.to_string(),
                        template.kinds.join(","),
                        template.records.to_string(),
                        template.created_at.clone(),
                        template.rollout.len().to_string(),
                        applied.to_string(),
                        (template.rollout.len() - applied).to_string(),
                    ]
                })
                .collect();
            let header = [
                "name",
                "version",
                "kinds",
                "records",
                "created_at",
                "branches",
                "applied",
                "queued",
            ];
            print_table(&header, &rows);
        }
    }
}

fn print_rollout(template: &TemplateSummary, format: Format) {
    match format {
        Format::Json => println!("{}", template_json(template)),
        Format::Table => {
            let rows: Vec<Vec<String>> = template
                .rollout
                .iter()
                .map(|row| {
                    vec![
                        row.branch.clone(),
                        row.org.clone(),
                        row.version.to_string(),
                        if row.applied { "applied" } else { "queued" }.to_owned(),
                        match row.applied_version {
                            0 => "-".to_owned(),
                            version => version.to_string(),
                        },
                        row.queued_at.clone(),
                    ]
                })
                .collect();
            let header = [
                "branch",
                "org",
                "version",
                "state",
                "applied_version",
                "queued_at",
            ];
            print_table(&header, &rows);
        }
    }
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

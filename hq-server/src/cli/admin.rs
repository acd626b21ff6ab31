//! `hq-server admin [--hq URL] [--token TOKEN] ...`: the administrator's commands over gRPC.

use super::audit::{audit, AuditArgs};
use super::bundle_import::import_bundles;
use super::client::{account_client, admin_client, refused, Client};
use super::commission::{run_commission, CommissionCommand};
use super::credentials::HqArgs;
use super::day_close::{run_close, CloseCommand};
use super::org::{run_branch, run_org, BranchCommand, OrgCommand};
use super::output::{print_table, Format};
use super::status::print_status;
use super::stock_limits::{import_stock_limits, is_stock_limit_kind};
use super::template::{run_template, run_trade, TemplateCommand, TradeCommand};
use super::user::{run_user, UserCommand};
use crate::base_csv::read_base_csv;
use anyhow::bail;
use branchline_proto::v1::*;
use branchline_shared::BaseKind;
use clap::Subcommand;
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    #[command(flatten)]
    hq: HqArgs,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Organizations (组织机构).
    #[command(subcommand)]
    Org(OrgCommand),
    /// Branches and their transfer credentials.
    #[command(subcommand)]
    Branch(BranchCommand),
    /// Imports HQ master data from CSV: products|customers|suppliers|warehouses FILE.csv, or
    /// stock limits (安全库存): stock-limits FILE.csv with product,warehouse,org,min,max
    Import { kind: String, file: PathBuf },
    /// Per branch: health (green, amber, red and why), epoch, last applied seq, last contact,
    /// reported backlog, quarantined entries, conflicts, applied templates, agent release.
    Status {
        /// Only the branches in this organization's subtree (default: your whole scope).
        #[arg(long)]
        org: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Entries HQ could not apply.
    #[command(subcommand)]
    Quarantine(QuarantineCommand),
    /// Bundle files exported by a branch.
    #[command(subcommand)]
    Bundle(BundleCommand),
    /// Templates (模板发放): create, publish to organization subtrees, export as a file.
    #[command(subcommand)]
    Template(TemplateCommand),
    /// Inter-branch trade (单据转换) HQ routed between branches.
    #[command(subcommand)]
    Trade(TradeCommand),
    /// Daily closes (日结对账) HQ recorded: a branch's business days that matched at both ends.
    #[command(subcommand)]
    Close(CloseCommand),
    /// Monthly sales targets per organization.
    #[command(subcommand)]
    Target(TargetCommand),
    /// Commission plans (佣金方案) and the organizations they pay.
    #[command(subcommand)]
    Commission(CommissionCommand),
    /// People at HQ: accounts with a role and an organization scope.
    #[command(subcommand)]
    User(UserCommand),
    /// Refusals and administrative actions.
    Audit(AuditArgs),
}

#[derive(Debug, Subcommand)]
enum QuarantineCommand {
    List {
        /// Only the entries of branches in this organization's subtree (default: your scope).
        #[arg(long)]
        org: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    Retry {
        id: u64,
    },
}

#[derive(Debug, Subcommand)]
enum TargetCommand {
    /// Sets ORGCODE's sales target for month YYYY-MM to AMOUNT.
    Set {
        org: String,
        month: String,
        amount: String,
    },
}

#[derive(Debug, Subcommand)]
enum BundleCommand {
    /// A branch's bundle files, with the same guarantees as a push: applied in sequence order
    /// (by each file's header, not its name).
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// Runs one admin command against the HQ and with the credential `args.hq` resolves to.
pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    let target = args.hq.resolve()?;
    let admin = || admin_client(&target);
    match args.command {
        AdminCommand::Org(command) => run_org(&mut admin().await?, command).await,
        AdminCommand::Branch(command) => run_branch(&mut admin().await?, command).await,
        AdminCommand::Import { kind, file } if is_stock_limit_kind(&kind) => {
            import_stock_limits(&mut admin().await?, &file).await
        }
        AdminCommand::Import { kind, file } => import_base_data(&mut admin().await?, &kind, &file).await,
        AdminCommand::Status { org, format } => status(&mut admin().await?, org, format).await,
        AdminCommand::Quarantine(command) => run_quarantine(&mut admin().await?, command).await,
        AdminCommand::Bundle(BundleCommand::Import { files }) => {
            import_bundles(&mut admin().await?, &files).await
        }
        AdminCommand::Close(command) => run_close(&mut admin().await?, command).await,
        AdminCommand::Target(command) => run_target(&mut admin().await?, command).await,
        AdminCommand::Commission(command) => run_commission(&target, command).await,
        AdminCommand::Template(command) => run_template(&mut admin().await?, command).await,
        AdminCommand::Trade(command) => run_trade(&mut admin().await?, command).await,
        AdminCommand::Audit(args) => audit(&mut admin().await?, args).await,
        AdminCommand::User(command) => run_user(&mut account_client(&target).await?, command).await,
    }
}

async fn import_base_data(client: &mut Client, kind: &str, file: &Path) -> anyhow::Result<()> {
    let kind = BaseKind::parse(kind)?;
    let records = read_base_csv(file, kind)?;
    let request = ImportBaseDataRequest {
        kind: kind.as_str().to_owned(),
        records: records.iter().map(Into::into).collect(),
    };
    let response = client
        .import_base_data(request)
        .await
        .map_err(refused)?
        .into_inner();
    println!(
        "{}: {} {kind} records, {} created, {} updated",
        file.display(),
        records.len(),
        response.created,
        response.updated
    );
    Ok(())
}

async fn status(client: &mut Client, org: Option<String>, format: Format) -> anyhow::Result<()> {
    let request = StatusRequest {
        org: org.unwrap_or_default(),
    };
    let response = client.status(request).await.map_err(refused)?.into_inner();
    print_status(&response.branches, format);
    Ok(())
}

async fn run_quarantine(client: &mut Client, command: QuarantineCommand) -> anyhow::Result<()> {
    match command {
        QuarantineCommand::List { org, format } => {
            let request = QuarantineListRequest {
                org: org.unwrap_or_default(),
                id: 0,
            };
            let response = client
                .quarantine_list(request)
                .await
                .map_err(refused)?
                .into_inner();
            print_quarantine(&response.entries, format);
        }
        QuarantineCommand::Retry { id } => {
            let response = client
                .quarantine_retry(QuarantineRetryRequest { id })
                .await
                .map_err(refused)?
                .into_inner();
            if !response.applied {
                bail!("quarantined entry {id} is still quarantined: {}", response.reason);
            }
            println!("quarantined entry {id} applied");
        }
    }
    Ok(())
}

async fn run_target(client: &mut Client, command: TargetCommand) -> anyhow::Result<()> {
    let TargetCommand::Set { org, month, amount } = command;
    let request = SetTargetRequest {
        org: org.clone(),
        month: month.clone(),
        amount: amount.clone(),
    };
    client.set_target(request).await.map_err(refused)?;
    println!("sales target of {org} for {month} set to {amount}");
    Ok(())
}

fn print_quarantine(entries: &[QuarantinedEntry], format: Format) {
    match format {
        Format::Json => {
            let entries: Vec<_> = entries
                .iter()
                .map(|entry| {
                    // The entry as HQ holds it (null when it was malformed on arrival).
                    let content = serde_json::from_str::<serde_json::Value>(&entry.content)
                        .unwrap_or(serde_json::Value::Null);
                    json!({
                        "id": entry.id, "branch": entry.branch, "epoch": entry.epoch, "seq": entry.seq,
                        "summary": entry.summary, "reason": entry.reason, "created_at": entry.created_at,
                        "content": content,
                    })
                })
                .collect();
            println!("{}", json!({ "entries": entries }));
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = entries
                .iter()
                .map(|entry| {
                    vec![
                        entry.id.to_string(),
                        entry.branch.clone(),
                        entry.epoch.to_string(),
                        entry.seq.to_string(),
                        entry.summary.clone(),
                        entry.reason.clone(),
                    ]
                })
                .collect();
            print_table(&["id", "branch", "epoch", "seq", "entry", "reason"], &rows);
        }
    }
}

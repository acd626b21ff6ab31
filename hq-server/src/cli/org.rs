//! `hq-server admin org add|list` (组织机构: the tree, with each organization's branch) and
//! `admin branch add|token rotate|revoke` (分支机构 and their transfer credentials).

use super::client::{refused, Client};
use super::output::{print_table, Format};
use branchline_proto::v1::*;
use clap::Subcommand;
use serde_json::json;

#[derive(Debug, Subcommand)]
pub(super) enum OrgCommand {
    Add {
        code: String,
        #[arg(long)]
        name: String,
    },
    /// The organization tree and its branches (counterparts, mode, revoked or not).
    List {
        /// Only this organization's subtree (default: your whole scope).
        #[arg(long)]
        org: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum BranchCommand {
    /// Registers a branch; the last stdout line is its transfer token. Its counterpart customer,
    /// supplier and warehouse must be HQ master data (import them first) and no other branch's.
    Add {
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        org: String,
        #[arg(long)]
        customer: String,
        #[arg(long)]
        supplier: String,
        #[arg(long)]
        warehouse: String,
        #[arg(long, default_value = "independent-sales")]
        mode: String,
        /// Accept a counterpart customer or supplier HQ already holds documents with: its trade
        /// routes to this branch from now on (written to the audit log).
        #[arg(long)]
        adopt_existing: bool,
    },
    /// The branch's transfer token.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Revokes the branch's token at once; `branch token rotate` issues a new one.
    Revoke { code: String },
}

#[derive(Debug, Subcommand)]
pub(super) enum TokenCommand {
    /// Issues a new token (the last stdout line); the old one is refused from now on.
    Rotate { code: String },
}

pub(super) async fn run_org(client: &mut Client, command: OrgCommand) -> anyhow::Result<()> {
    match command {
        OrgCommand::Add { code, name } => {
            client
                .add_org(AddOrgRequest {
                    code: code.clone(),
                    name,
                })
                .await
                .map_err(refused)?;
            println!("organization {code} added");
        }
        OrgCommand::List { org, format } => {
            let request = ListOrgsRequest {
                org: org.unwrap_or_default(),
            };
            let response = client.list_orgs(request).await.map_err(refused)?.into_inner();
            print_orgs(&response, format);
        }
    }
    Ok(())
}

pub(super) async fn run_branch(client: &mut Client, command: BranchCommand) -> anyhow::Result<()> {
    match command {
        BranchCommand::Token(TokenCommand::Rotate { code }) => {
            let request = RotateBranchTokenRequest { code: code.clone() };
            let response = client
                .rotate_branch_token(request)
                .await
                .map_err(refused)?
                .into_inner();
            println!("branch {code}: new transfer token (shown once; the old one is refused now):");
            println!("{}", response.token);
        }
        BranchCommand::Revoke { code } => {
            let request = RevokeBranchRequest { code: code.clone() };
            client.revoke_branch(request).await.map_err(refused)?;
            println!("branch {code}: token revoked");
        }
        BranchCommand::Add {
            code,
            name,
            org,
            customer,
            supplier,
            warehouse,
            mode,
            adopt_existing,
        } => {
            let request = AddBranchRequest {
                code: code.clone(),
                name,
                org: org.clone(),
                customer,
                supplier,
                warehouse,
                mode,
                adopt_existing,
            };
            let response = client.add_branch(request).await.map_err(refused)?.into_inner();
            println!("branch {code} added under organization {org}; its transfer token (shown once):");
            println!("{}", response.token);
        }
    }
    Ok(())
}

/// One row per organization, its branch (if any) beside it.
fn print_orgs(tree: &ListOrgsResponse, format: Format) {
    match format {
        Format::Json => {
            let orgs: Vec<_> = tree
                .orgs
                .iter()
                .map(|org| json!({ "code": org.code, "name": org.name }))
                .collect();
            let branches: Vec<_> = tree
                .branches
                .iter()
                .map(|branch| {
                    json!({
                        "code": branch.code, "name": branch.name, "org": branch.org,
                        "customer": branch.customer, "supplier": branch.supplier,
                        "warehouse": branch.warehouse, "mode": branch.mode, "revoked": branch.revoked,
                    })
                })
                .collect();
            println!("{}", json!({ "orgs": orgs, "branches": branches }));
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = tree
                .orgs
                .iter()
                .map(|org| {
                    let depth = org.code.matches('.').count();
                    let mut row = vec![format!("{}{}", "  ".repeat(depth), org.code), org.name.clone()];
                    match tree.branches.iter().find(|branch| branch.org == org.code) {
                        Some(branch) => row.extend([
                            branch.code.clone(),
                            branch.customer.clone(),
                            branch.supplier.clone(),
                            branch.warehouse.clone(),
                            if branch.revoked { "revoked" } else { "active" }.to_owned(),
                        ]),
                        None => row.extend(std::iter::repeat_n("-".to_owned(), 5)),
                    }
                    row
                })
                .collect();
            let header = [
                "org",
                "name",
                "branch",
                "customer",
                "supplier",
                "warehouse",
                "token",
            ];
            print_table(&header, &rows);
        }
    }
}

//! The `branch-node` command line's arguments: every command and its options, as clap parses
//! them. The commands themselves live in the sibling modules.

use crate::bundle_export::{BUNDLE_BYTES_MAX, BUNDLE_ENTRIES_MAX};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "branch-node", version, about = "A branch's offline ledger (账套)")]
pub(super) struct Cli {
    /// The ledger file.
    #[arg(long, env = "BRANCHLINE_LEDGER", global = true, default_value = "ledger.db")]
    pub(super) ledger: PathBuf,
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub(super) enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
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
    /// Serves the workbench (工作台): prints `workbench on http://HOST:PORT`, stops on SIGTERM
    /// or Ctrl-C.
    Serve {
        /// The address; port 0 picks a free port. Beyond loopback it needs --allow-network.
        #[arg(long, default_value = "127.0.0.1:8040")]
        listen: String,
        /// Serves other machines too: every page then asks for the password set with
        /// `user password`.
        #[arg(long)]
        allow_network: bool,
    },
    /// The workbench's user.
    User {
        #[command(subcommand)]
        action: UserAction,
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
pub(super) enum ProductAction {
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
pub(super) enum RecordAction {
    Add {
        code: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum TemplateAction {
    Import { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub(super) enum BundleAction {
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
pub(super) enum EpochAction {
    /// Starts a new epoch after a restore from an old backup.
    New,
}

#[derive(Debug, Subcommand)]
pub(super) enum DocAction {
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
        /// A transfer's destination warehouse (调拨单).
        #[arg(long)]
        to_warehouse: Option<String>,
        /// PRODUCT:QTY@PRICE[:DISCOUNT[:TAXRATE]], repeatable; a stock count's QTY is the
        /// quantity counted.
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

#[derive(Debug, Subcommand)]
pub(super) enum UserAction {
    /// Sets the workbench's password (read from the terminal, or stdin when not a terminal).
    Password,
}

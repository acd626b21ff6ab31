//! `hq-server admin close list --branch B`: the daily closes (日结对账) HQ recorded for a branch,
//! each with its state (closed, or reopened by a document that arrived later) and figures.

use super::client::{refused, Client};
use super::output::{empty_as_null, or_dash, print_table, Format};
use branchline_proto::v1::{DayClose, ListDayClosesRequest};
use clap::Subcommand;
use serde_json::json;

#[derive(Debug, Subcommand)]
pub(super) enum CloseCommand {
    /// Every business day HQ recorded closed for BRANCH, with its state and figures.
    List {
        #[arg(long)]
        branch: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

pub(super) async fn run_close(client: &mut Client, command: CloseCommand) -> anyhow::Result<()> {
    let CloseCommand::List { branch, format } = command;
    let response = client
        .list_day_closes(ListDayClosesRequest { branch })
        .await
        .map_err(refused)?
        .into_inner();
    print_closes(&response.closes, format);
    Ok(())
}

fn close_json(close: &DayClose) -> serde_json::Value {
    json!({
        "branch": close.branch,
        "day": close.day,
        "state": close.state,
        "documents": close.documents,
        "lines": close.lines,
        "qty": close.qty,
        "amount": close.amount,
        "tax": close.tax,
        "first_seq": empty_as_null(&close.first_seq),
        "last_seq": empty_as_null(&close.last_seq),
        "closed_at": close.closed_at,
        "reopened_at": empty_as_null(&close.reopened_at),
    })
}

fn print_closes(closes: &[DayClose], format: Format) {
    match format {
        Format::Json => {
            let closes: Vec<_> = closes.iter().map(close_json).collect();
            println!("{}", json!({ "closes": closes }));
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = closes
                .iter()
                .map(|close| {
                    vec![
                        close.day.clone(),
                        close.state.clone(),
                        close.documents.to_string(),
                        close.lines.to_string(),
                        close.qty.clone(),
                        close.amount.clone(),
                        close.tax.clone(),
                        or_dash(&close.first_seq),
                        or_dash(&close.last_seq),
                        close.closed_at.clone(),
                        or_dash(&close.reopened_at),
                    ]
                })
                .collect();
            let header = [
                "day",
                "state",
                "documents",
                "lines",
                "qty",
                "amount",
                "tax",
                "first_seq",
                "last_seq",
                "closed_at",
                "reopened_at",
            ];
            print_table(&header, &rows);
        }
    }
}

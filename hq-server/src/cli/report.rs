//! `hq-server report [--hq URL] [--token TOKEN] sales|inventory|ranking|count-differences ...`: consolidated reports
//! over the report service, printed as an aligned table (with a freshness section, and the
//! replay lag of a report read on a standby), one JSON document (docs/formats.md) or CSV with a
//! header row. A change against a month without sales is JSON `null` and an empty cell.

use super::client::{refused, report_client};
use super::credentials::{HqArgs, Target};
use super::output::print_table;
use anyhow::Context;
use branchline_proto::v1::{Freshness, ReplayLag, ReportRequest, ReportResponse, ReportRow};
use clap::ValueEnum;
use serde_json::{json, Map, Value};

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[command(flatten)]
    hq: HqArgs,
    #[arg(value_enum)]
    kind: ReportKind,
    /// The organization whose subtree the report covers (default: the root of your scope).
    #[arg(long)]
    org: Option<String>,
    /// First day, YYYY-MM-DD (inclusive).
    #[arg(long)]
    from: Option<String>,
    /// Last day, YYYY-MM-DD (inclusive).
    #[arg(long)]
    to: Option<String>,
    /// Grouping: any of org,product,customer,warehouse,day,month (ranking: one of product,customer,org,month).
    #[arg(long, value_delimiter = ',')]
    by: Vec<String>,
    /// Ranking length: rows to show, at least 1 (default 10).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    top: Option<u32>,
    /// Sales and inventory: a subtotal row after every organization's subtree and a total row
    /// last, marked in a `level` column.
    #[arg(long)]
    subtotals: bool,
    /// Inventory: this product's on-hand only.
    #[arg(long)]
    product: Option<String>,
    /// Inventory: this warehouse's on-hand only.
    #[arg(long)]
    warehouse: Option<String>,
    /// Inventory: only what is under its stock limit's minimum (库存预警), per branch,
    /// warehouse and product, with min, max, shortfall and suggested_order.
    #[arg(long)]
    below_min: bool,
    /// Commission: the period, YYYY-MM, YYYY-Qn or YYYY.
    #[arg(long, required_if_eq("kind", "commission"))]
    period: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportKind {
    /// 多组织销售汇总表: confirmed sales-outs and retail sales, red documents with their sign.
    Sales,
    /// 多组织库存查询表: on-hand by organization, warehouse and product.
    Inventory,
    /// The top groups by amount.
    Ranking,
    /// 佣金: each organization's commission for `--period` under its plan.
    Commission,
    /// 盘点差异表: what the stock counts found above (gain) and below (loss) the books.
    CountDifferences,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
}

pub async fn run(args: ReportArgs) -> anyhow::Result<()> {
    let target = args.hq.resolve()?;
    if args.below_min && args.kind != ReportKind::Inventory {
        anyhow::bail!("--below-min is for report inventory only");
    }
    let request = ReportRequest {
        org: args.org.clone().unwrap_or_default(),
        from: args.from.clone().unwrap_or_default(),
        to: args.to.clone().unwrap_or_default(),
        by: args.by.clone(),
        top: args.top.unwrap_or(0),
        subtotals: args.subtotals,
        product: args.product.clone().unwrap_or_default(),
        warehouse: args.warehouse.clone().unwrap_or_default(),
        below_min: args.below_min,
    };
    let client = || report_client(&target);
    let response = match args.kind {
        ReportKind::Sales => client().await?.sales(request).await,
        ReportKind::Inventory => client().await?.inventory(request).await,
        ReportKind::Ranking => client().await?.ranking(request).await,
        ReportKind::CountDifferences => client().await?.count_differences(request).await,
        ReportKind::Commission => return commission(&target, args).await,
    }
    .map_err(refused)?
    .into_inner();
    let header = header(args.kind, args.below_min, &response);
    match args.format {
        Format::Json => println!("{}", to_json(&header, &response)),
        Format::Csv => print_csv(&header, &response)?,
        Format::Table => print_report_table(&header, &response),
    }
    Ok(())
}

/// `report commission`: the period's figures (`cli/commission.rs`).
async fn commission(target: &Target, args: ReportArgs) -> anyhow::Result<()> {
    let format = args
        .format
        .to_possible_value()
        .map(|value| value.get_name().to_owned());
    let (org, period) = (args.org.unwrap_or_default(), args.period.unwrap_or_default());
    super::commission::print_figures(target, org, period, &format.unwrap_or_default()).await
}

/// The output columns: level (with subtotals), rank (ranking), org and branch, the other
/// grouping columns, then values (by month: 环比 and 同比 last; below the minimum: the limit,
/// shortfall and suggested order).
fn header(kind: ReportKind, below_min: bool, response: &ReportResponse) -> Vec<&'static str> {
    let mut header = Vec::new();
    let by_org = response.columns.iter().any(|column| column == "org");
    if response.rows.iter().any(|row| !row.level.is_empty()) {
        header.push("level");
    }
    if kind == ReportKind::Ranking {
        header.push("rank");
    }
    header.push("org");
    if by_org || kind != ReportKind::Ranking {
        header.push("branch");
    }
    // The other grouping columns in the order asked.
    for asked in &response.columns {
        if let Some(column) = ["product", "customer", "warehouse", "day", "month"]
            .into_iter()
            .find(|c| c == asked)
        {
            header.push(column);
        }
    }
    if kind == ReportKind::Inventory {
        header.push("on_hand");
        if below_min {
            header.extend(["min", "max", "shortfall", "suggested_order"]);
        }
    } else if kind == ReportKind::CountDifferences {
        header.extend([
            "gain_qty",
            "loss_qty",
            "qty",
            "gain_amount",
            "loss_amount",
            "amount",
        ]);
    } else {
        header.extend(["qty", "amount", "tax", "total"]);
        if response.rows.iter().any(|row| !row.target.is_empty()) {
            header.extend(["target", "completion"]);
        }
        if response.growth {
            header.extend(["month_on_month", "year_on_year"]);
        }
    }
    header
}

fn cell(row: &ReportRow, column: &str) -> String {
    match column {
        "level" => row.level.clone(),
        "rank" => row.rank.to_string(),
        "org" => row.org.clone(),
        "branch" => row.branch.clone(),
        "product" => row.product.clone(),
        "customer" => row.customer.clone(),
        "warehouse" => row.warehouse.clone(),
        "day" => row.day.clone(),
        "month" => row.month.clone(),
        "qty" => row.qty.clone(),
        "amount" => row.amount.clone(),
        "tax" => row.tax.clone(),
        "total" => row.total.clone(),
        "target" => row.target.clone(),
        "completion" => row.completion.clone(),
        "month_on_month" => row.month_on_month.clone().unwrap_or_default(),
        "year_on_year" => row.year_on_year.clone().unwrap_or_default(),
        "min" => row.min.clone(),
        "max" => row.max.clone(),
        "shortfall" => row.shortfall.clone(),
        "suggested_order" => row.suggested_order.clone(),
        "gain_qty" => row.gain_qty.clone(),
        "loss_qty" => row.loss_qty.clone(),
        "gain_amount" => row.gain_amount.clone(),
        "loss_amount" => row.loss_amount.clone(),
        _ => row.on_hand.clone(),
    }
}

fn freshness_json(freshness: &Freshness) -> Value {
    json!({
        "org": freshness.org,
        "branch": freshness.branch,
        "epoch": freshness.epoch,
        "last_seq": freshness.last_seq,
        "received_at": if freshness.received_at.is_empty() { Value::Null } else { json!(freshness.received_at) },
        "backlog": freshness.backlog,
    })
}

/// A standby's replay lag; `null` for a report the store answered.
fn replay_lag_json(replay_lag: Option<&ReplayLag>) -> Value {
    let Some(lag) = replay_lag else {
        return Value::Null;
    };
    json!({
        "bytes": lag.bytes,
        "ms": lag.ms,
        "replayed_at": if lag.replayed_at.is_empty() { Value::Null } else { json!(lag.replayed_at) },
    })
}

fn to_json(header: &[&str], response: &ReportResponse) -> Value {
    let rows: Vec<Value> = response
        .rows
        .iter()
        .map(|row| {
            let mut object = Map::new();
            for column in header {
                let value = cell(row, column);
                let value = match *column {
                    "rank" => json!(row.rank),
                    // A month without a target has none; a change against a month without
                    // sales is none too, never 0.
                    "target" | "completion" | "month_on_month" | "year_on_year" | "max"
                    | "suggested_order"
                        if value.is_empty() =>
                    {
                        Value::Null
                    }
                    _ => json!(value),
                };
                object.insert((*column).to_owned(), value);
            }
            Value::Object(object)
        })
        .collect();
    let freshness: Vec<Value> = response.freshness.iter().map(freshness_json).collect();
    json!({
        "rows": rows,
        "freshness": freshness,
        "replay_lag": replay_lag_json(response.replay_lag.as_ref()),
    })
}

fn print_csv(header: &[&str], response: &ReportResponse) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_writer(std::io::stdout().lock());
    writer.write_record(header).context("writing CSV")?;
    for row in &response.rows {
        writer
            .write_record(header.iter().map(|column| cell(row, column)))
            .context("writing CSV")?;
    }
    writer.flush().context("writing CSV")?;
    Ok(())
}

fn print_report_table(header: &[&str], response: &ReportResponse) {
    let rows: Vec<Vec<String>> = response
        .rows
        .iter()
        .map(|row| header.iter().map(|column| cell(row, column)).collect())
        .collect();
    print_table(header, &rows);
    println!();
    println!("freshness");
    let freshness: Vec<Vec<String>> = response
        .freshness
        .iter()
        .map(|freshness| {
            vec![
                freshness.org.clone(),
                freshness.branch.clone(),
                freshness.epoch.to_string(),
                freshness.last_seq.to_string(),
                if freshness.received_at.is_empty() {
                    "-".to_owned()
                } else {
                    freshness.received_at.clone()
                },
                freshness.backlog.to_string(),
            ]
        })
        .collect();
    print_table(
        &["org", "branch", "epoch", "last_seq", "received_at", "backlog"],
        &freshness,
    );
    if let Some(lag) = &response.replay_lag {
        println!();
        println!("replay lag (read on the report database, a standby)");
        let replayed_at = match lag.replayed_at.as_str() {
            "" => "-".to_owned(),
            at => at.to_owned(),
        };
        print_table(
            &["bytes", "ms", "replayed_at"],
            &[vec![lag.bytes.to_string(), lag.ms.to_string(), replayed_at]],
        );
    }
}

//! `hq-server admin commission ...` (plans added, listed and assigned) and `hq-server report
//! commission --period P` (a period's figures), over the commission service.

use super::client::{commission_client, refused, Commissions};
use super::credentials::Target;
use super::output::print_table;
use crate::commission_columns;
use branchline_proto::v1::*;
use clap::Subcommand;
use serde_json::{json, Value};

#[derive(Debug, Subcommand)]
pub(super) enum CommissionCommand {
    /// Commission plans (佣金方案).
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Makes PLAN the one that pays organization ORG (replacing its earlier one).
    Assign { org: String, plan: String },
    /// Freezes a period's figures into statements (佣金结算单), never rewritten: a later red
    /// document is carried into the next open period as an adjustment.
    Settle {
        /// YYYY-MM, YYYY-Qn or YYYY.
        #[arg(long)]
        period: String,
        /// The subtree to settle (default: the root of your scope).
        #[arg(long)]
        org: Option<String>,
        /// table, json or csv.
        #[arg(long, default_value = "table")]
        format: String,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum PlanCommand {
    /// Adds plan NAME: bands FROM:RATE in percent of the target and of sales, e.g.
    /// `--band 80:3 --band 100:5` (nothing below 80%, 3% from 80%, 5% from 100%).
    Add {
        name: String,
        #[arg(long = "band", required = true)]
        bands: Vec<String>,
        /// marginal: each band's rate on the sales inside it; whole: the reached band's rate on all.
        #[arg(long, default_value = "marginal")]
        mode: String,
        /// month, quarter or year.
        #[arg(long, default_value = "month")]
        period: String,
        /// 下级合作伙伴奖金: this percent of the organization's descendants' sales or commission.
        #[arg(long, requires = "override_on")]
        override_rate: Option<String>,
        /// sales or commission.
        #[arg(long, requires = "override_rate")]
        override_on: Option<String>,
    },
    /// Every plan with the organizations it pays.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub(super) async fn run_commission(target: &Target, command: CommissionCommand) -> anyhow::Result<()> {
    let mut client = commission_client(target).await?;
    match command {
        CommissionCommand::Assign { org, plan } => {
            let request = AssignCommissionPlanRequest {
                org: org.clone(),
                plan: plan.clone(),
            };
            client.assign_plan(request).await.map_err(refused)?;
            println!("commission plan {plan} now pays {org}");
        }
        CommissionCommand::Plan(PlanCommand::Add {
            name,
            bands,
            mode,
            period,
            override_rate,
            override_on,
        }) => {
            let plan = CommissionPlan {
                name: name.clone(),
                mode,
                period,
                bands,
                override_rate: override_rate.unwrap_or_default(),
                override_on: override_on.unwrap_or_default(),
                orgs: Vec::new(),
            };
            let request = AddCommissionPlanRequest { plan: Some(plan) };
            let added = client
                .add_plan(request)
                .await
                .map_err(refused)?
                .into_inner()
                .added;
            if added {
                println!("commission plan {name} added");
            } else {
                println!("commission plan {name} is already there, unchanged");
            }
        }
        CommissionCommand::Plan(PlanCommand::List { json }) => list_plans(&mut client, json).await?,
        CommissionCommand::Settle { period, org, format } => {
            let request = CommissionFiguresRequest {
                org: org.unwrap_or_default(),
                period,
            };
            let statements = client.settle(request).await.map_err(refused)?.into_inner();
            print_response(&statements, &format)?;
        }
    }
    Ok(())
}

async fn list_plans(client: &mut Commissions, json: bool) -> anyhow::Result<()> {
    let plans = client
        .list_plans(ListCommissionPlansRequest {})
        .await
        .map_err(refused)?
        .into_inner()
        .plans;
    if json {
        let plans: Vec<Value> = plans
            .iter()
            .map(|plan| {
                json!({
                    "name": plan.name, "mode": plan.mode, "period": plan.period, "bands": plan.bands,
                    "override_rate": plan.override_rate, "override_on": plan.override_on, "orgs": plan.orgs,
                })
            })
            .collect();
        println!("{}", json!({ "plans": plans }));
        return Ok(());
    }
    let rows: Vec<Vec<String>> = plans
        .iter()
        .map(|plan| {
            let overrides = match plan.override_rate.as_str() {
                "" => String::new(),
                rate => format!("{rate}% of {}", plan.override_on),
            };
            vec![
                plan.name.clone(),
                plan.mode.clone(),
                plan.period.clone(),
                plan.bands.join(","),
                overrides,
                plan.orgs.join(","),
            ]
        })
        .collect();
    print_table(&["name", "mode", "period", "bands", "override", "orgs"], &rows);
    Ok(())
}

/// `report commission`: the period's figures as a table, JSON or CSV.
pub(super) async fn print_figures(
    target: &Target,
    org: String,
    period: String,
    format: &str,
) -> anyhow::Result<()> {
    let mut client = commission_client(target).await?;
    let request = CommissionFiguresRequest { org, period };
    let figures = client.figures(request).await.map_err(refused)?.into_inner();
    print_response(&figures, format)
}

/// A period's figures or statements as a table, JSON or CSV.
fn print_response(figures: &CommissionFiguresResponse, format: &str) -> anyhow::Result<()> {
    match format {
        "json" => println!("{}", figures_json(figures)),
        "csv" => print!("{}", commission_columns::csv(figures)),
        _ => {
            println!(
                "commission for {} ({} to {})",
                figures.period, figures.from, figures.to
            );
            let rows: Vec<Vec<String>> = figures.rows.iter().map(commission_columns::cells).collect();
            print_table(&commission_columns::COLUMNS, &rows);
        }
    }
    Ok(())
}

fn figures_json(figures: &CommissionFiguresResponse) -> Value {
    let or_null = |text: &str| if text.is_empty() { Value::Null } else { json!(text) };
    let rows: Vec<Value> = figures
        .rows
        .iter()
        .map(|row| {
            let bands: Vec<Value> = row
                .bands
                .iter()
                .map(|band| json!({ "from": band.from, "rate": band.rate, "base": band.base, "amount": band.amount }))
                .collect();
            json!({
                "org": row.org, "plan": row.plan, "sales": row.sales, "target": or_null(&row.target),
                "completion": or_null(&row.completion), "bands": bands, "commission": row.commission,
                "override_base": or_null(&row.override_base), "override": or_null(&row.r#override),
                "payable": row.payable, "adjustment": row.adjustment, "total": row.total,
                "settled_at": or_null(&row.settled_at),
            })
        })
        .collect();
    json!({ "period": figures.period, "from": figures.from, "to": figures.to, "rows": rows })
}

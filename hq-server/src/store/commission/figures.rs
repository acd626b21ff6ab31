//! A period's commission figures for an organization's subtree: for every organization there
//! that a plan of the period's length pays, its own sales (amount before tax, from the sales
//! report), its target (the sum of its monthly targets), completion, each band's base and
//! amount, the commission, and the parent's override on its descendants' sales or commission,
//! as the documents the store holds now make them.

use super::period::Period;
use super::{plans, Plan, PlanError};
use crate::store::registry::target::targets;
use crate::store::report::consolidated::sales;
use crate::store::report::query::{GroupBy, ReportQuery};
use crate::store::Store;
use branchline_shared::{commission, org_in_subtree, override_amount, BandAmount, OverrideBase};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// One organization's figures for the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommissionRow {
    pub org: String,
    pub plan: String,
    pub sales: Decimal,
    /// `None` when no monthly target of the period is set.
    pub target: Option<Decimal>,
    pub completion_pct: Option<Decimal>,
    pub bands: Vec<BandAmount>,
    pub commission: Decimal,
    /// The override's base and amount, for a plan with one.
    pub overrides: Option<(Decimal, Decimal)>,
    /// Commission plus override.
    pub payable: Decimal,
    /// What earlier settled periods' figures changed by since they were settled, carried here.
    pub adjustment: Decimal,
    /// Payable plus adjustment.
    pub total: Decimal,
    /// When the period was settled for this organization (its statement), if it was.
    pub settled_at: Option<String>,
}

/// The figures of `org`'s subtree for `period` as the store's documents make them now, by
/// organization (no statement, no adjustment: `statement::figures` adds those).
pub async fn fresh(store: &Store, org: &str, period: &Period) -> Result<Vec<CommissionRow>, PlanError> {
    let query = ReportQuery {
        org: org.to_owned(),
        from: Some(period.first),
        to: Some(period.last),
        by: vec![GroupBy::Org],
        product: None,
        warehouse: None,
        subtotals: false,
    };
    let sold: BTreeMap<String, Decimal> = sales(store, &query)
        .await?
        .rows
        .into_iter()
        .map(|row| (row.key.org.to_string(), row.sums.amount))
        .collect();
    let targets = targets(store).await?;
    let months = period.months();
    let mut paid: Vec<(Plan, String)> = plans(store)
        .await?
        .into_iter()
        .filter(|(plan, _)| plan.period == period.kind)
        .flat_map(|(plan, orgs)| orgs.into_iter().map(move |paid| (plan.clone(), paid)))
        .filter(|(_, paid)| org_in_subtree(paid, org))
        .collect();
    // By organization, the rows' order.
    paid.sort_by(|left, right| left.1.cmp(&right.1));
    let mut rows: Vec<CommissionRow> = paid
        .iter()
        .map(|(plan, paid)| {
            let sales = sold.get(paid).copied().unwrap_or_default();
            let set: Vec<Decimal> = months
                .iter()
                .filter_map(|month| targets.get(&(paid.clone(), month.clone())).copied())
                .collect();
            let target = (!set.is_empty()).then(|| set.iter().copied().sum::<Decimal>());
            let figures = commission(sales, target.unwrap_or_default(), &plan.bands, plan.mode);
            CommissionRow {
                org: paid.clone(),
                plan: plan.name.clone(),
                sales,
                target,
                completion_pct: figures.completion_pct,
                bands: figures.bands,
                commission: figures.commission,
                overrides: None,
                payable: figures.commission,
                adjustment: Decimal::ZERO,
                total: figures.commission,
                settled_at: None,
            }
        })
        .collect();
    let commissions: BTreeMap<String, Decimal> =
        rows.iter().map(|row| (row.org.clone(), row.commission)).collect();
    for (row, (plan, _)) in rows.iter_mut().zip(&paid) {
        let Some((rate, on)) = plan.overrides else {
            continue;
        };
        let below = |of: &BTreeMap<String, Decimal>| -> Decimal {
            of.iter()
                .filter(|(code, _)| **code != row.org && org_in_subtree(code, &row.org))
                .map(|(_, value)| *value)
                .sum()
        };
        let base = match on {
            OverrideBase::Sales => below(&sold),
            OverrideBase::Commission => below(&commissions),
        };
        let amount = override_amount(base, rate);
        row.overrides = Some((base, amount));
        row.payable = row.commission + amount;
        row.total = row.payable;
    }
    Ok(rows)
}
